import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSandbox
import InterlockSeccomp

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Check, show or approve profiles.",
        subcommands: [Check.self, Show.self, TrustCommand.self]
    )

    struct TrustCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "trust", abstract: "Approve a profile as it is now (and every file it extends).")

        @Argument(help: "Profile: a path. Default: the project's .interlock.toml (or --profile).")
        var path: String?

        @OptionGroup var options: ProfileOptions

        func run() throws {
            var options = options
            if let path {
                guard options.profile == nil || options.profile == path else {
                    Shell.fail(.invalid("profile trust: give the profile once, as PATH or --profile"))
                }
                options.profile = path
            }
            let (policy, _): (Policy, String)
            do { (policy, _) = try options.resolve() } catch { Shell.fail(error) }
            let caller = CallerContext.current()
            let approved: String?
            do {
                approved = try ProfileApproval(environment: caller.environmentDictionary, home: caller.home).approve(policy)
            } catch { Shell.fail(.profile(error)) }
            guard let approved else {
                print("built-in profiles need no approval")
                return
            }
            print("approved: \(approved)")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate a profile (and every environment it defines); exit 2 if it is invalid.")

        @Argument(help: "Profile: a path or a built-in name. Default: the project's .interlock.toml.")
        var profile: String?

        @Option(name: .long, help: "Directory to search for .interlock.toml from.")
        var workspace: String?

        func run() throws {
            let options = try ProfileOptions.parse((profile.map { ["--profile", $0] } ?? []) + (workspace.map { ["--workspace", $0] } ?? []))
            let (policy, _): (Policy, String)
            do { (policy, _) = try options.resolve() } catch { Shell.fail(error) }
            // Every environment must resolve, and every syscall name must be known.
            for env in [nil] + policy.environments.map(Optional.some) {
                var o = options
                o.env = env
                let resolved: Policy
                do { (resolved, _) = try o.resolve() } catch { Shell.fail(error) }
                do { _ = try SeccompCompiler.compile(SeccompCompiler.ruleSet(for: resolved), notify: false) } catch {
                    Shell.fail(.invalid(error.message + (env.map { " (env \($0))" } ?? "")))
                }
            }
            print("ok: \(policy.sources.joined(separator: " <- "))" + (policy.environments.isEmpty ? "" : "; environments: \(policy.environments.joined(separator: ", "))"))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the fully resolved policy.")

        @OptionGroup var options: ProfileOptions

        @Flag(name: .long, help: "JSON output.")
        var json = false

        func run() throws {
            let (policy, workspace): (Policy, String)
            do { (policy, workspace) = try options.resolve() } catch { Shell.fail(error) }
            if json {
                print(policy.jsonString())
            } else {
                print("# workspace: \(workspace)")
                print(policy.tomlString())
            }
        }
    }
}
