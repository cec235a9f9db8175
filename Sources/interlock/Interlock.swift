import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockAudit
import InterlockProfile
import InterlockSandbox
import InterlockSeccomp

@main
struct Interlock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interlock",
        abstract: "Run AI coding agents and their tools in a sandbox defined by a per-project profile.",
        subcommands: [Run.self, Exec.self, Mcp.self, Init.self, ProfileCommand.self, SecretsCommand.self, AuditCommand.self, Replay.self, Doctor.self,
                      ApproveCommand.self, DenyCommand.self]
    )

    /// Invoked through a link named `interlock-shell` (SHELL=…/interlock-shell), behave as `exec`.
    static func main() {
        StartupTrace.mark("process start until main (clock-tick resolution)")
        var arguments = Array(CommandLine.arguments.dropFirst())
        if CommandLine.arguments.first?.split(separator: "/").last == "interlock-shell" {
            arguments = ["exec", "--"] + arguments
        } else if let first = arguments.first, AgentProfile.names.contains(first) {
            // `interlock claude ARGS…` = `interlock run --agent claude -- claude ARGS…`
            arguments = ["run", "--agent", first, "--"] + arguments
        }
        if arguments.first == "run" || arguments.first == "exec" { Prewarm.start() }
        if arguments.first == "run", let run = RunFastPath.parse(Array(arguments.dropFirst())) {
            Launcher.run(options: run.options, command: run.command, verbose: run.verbose && !run.quiet, audit: run.audit,
                         learn: run.learn, quiet: run.quiet)
        }
        main(arguments)
    }
}

/// Options shared by every command that resolves a profile.
struct ProfileOptions: ParsableArguments {
    @Option(name: .long, help: "Profile: a built-in name (default, strict) or a path. Default: .interlock.toml found from the workspace upward, else the built-in default.")
    var profile: String?

    @Option(name: .long, help: "Environment: an [env.NAME] section of the profile. Default: the profile's default_env.")
    var env: String?

    @Option(name: .long, help: "The writable workspace. Default: the directory holding the project profile, else the current directory.")
    var workspace: String?

    @Option(name: .long, help: "Layer an agent profile under the project profile: \(AgentProfile.names.joined(separator: ", ")).")
    var agent: String?

    /// The agent profile asked for, without the state paths that do not exist on this host.
    func agentProfile() throws(LaunchError) -> (AgentProfile, skipped: [String])? {
        guard let agent else { return nil }
        do {
            let home = Shell.home()
            return try AgentProfile.named(agent).expandingHome(home).keepingExistingPaths { path in
                var st = stat()
                return lstat(path.hasPrefix("~/") ? home + path.dropFirst(1) : path, &st) == 0
            }
        } catch { throw .profile(error) }
    }

    /// The resolved policy and the workspace it applies to.
    func resolve() throws(LaunchError) -> (Policy, workspace: String) {
        let cwd = Shell.currentDirectory()
        var explicitWorkspace: String?
        if let workspace {
            guard let real = Shell.realPath(workspace.hasPrefix("/") ? workspace : cwd + "/" + workspace),
                  Shell.isDirectory(real) else {
                throw .invalid("--workspace \(workspace): no such directory")
            }
            explicitWorkspace = real
        }
        let agent = try agentProfile()?.0
        let policy: Policy
        do {
            policy = try ProfileLoader.load(reference: profile, searchFrom: explicitWorkspace ?? cwd, environment: env, agent: agent)
        } catch {
            throw .profile(error)
        }
        // Only a discovered project profile moves the workspace: `--profile` names rules, not a place.
        let projectDirectory = profile == nil ? policy.profileDirectory.flatMap(Shell.realPath) : nil
        let workspace = explicitWorkspace ?? projectDirectory ?? Shell.realPath(cwd) ?? cwd
        return (policy, workspace)
    }
}

enum Shell {
    static func currentDirectory() -> String {
        guard let p = getcwd(nil, 0) else { return "/" }
        defer { free(p) }
        return String(cString: p)
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func home() -> String {
        if let h = getenv("HOME") { return String(cString: h) }
        if let pw = getpwuid(geteuid()), let dir = pw.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }

    static func environment() -> [String] {
        var result: [String] = []
        var p = environ
        while let entry = p.pointee {
            result.append(String(cString: entry))
            p += 1
        }
        return result
    }

    /// Where the content-scan cache lives: outside any workspace, never writable inside.
    static func scanCacheDirectory() -> String {
        let env = environmentDictionary()
        let cache = env["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home() + "/.cache"
        return cache + "/interlock/scan"
    }

    static func environmentDictionary() -> [String: String] {
        var d: [String: String] = [:]
        for entry in environment() {
            guard let eq = entry.firstIndex(of: "=") else { continue }
            d[String(entry[..<eq])] = String(entry[entry.index(after: eq)...])
        }
        return d
    }

    static func printError(_ message: String) {
        var text = "interlock: \(message)\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }

    /// Prints the error and exits with its code: nothing runs after a failed launch.
    static func fail(_ error: LaunchError) -> Never {
        printError("\(error)")
        Glibc.exit(error.exitCode)
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command in the sandbox.",
        discussion: "Example: interlock run --env staging -- claude"
    )

    @OptionGroup var options: ProfileOptions

    @Flag(name: .shortAndLong, help: "Print what the sandbox hides and allows, and a summary at exit.")
    var verbose = false

    @Option(name: .long, help: "Audit log file (JSON Lines). Default: $XDG_STATE_HOME/interlock/audit/<time>-<id>.jsonl")
    var audit: String?

    @Flag(name: .long, help: "Learn mode: record syscalls the profile would block, but let them run. Not a security boundary.")
    var learn = false

    @Flag(name: .shortAndLong, help: "No banner and no summary at exit (the audit log still records everything).")
    var quiet = false

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (after --).")
    var command: [String] = []

    func run() throws {
        var command = command
        if command.first == "--" { command.removeFirst() }
        Launcher.run(options: options, command: command, verbose: verbose && !quiet, audit: audit, learn: learn, quiet: quiet)
    }
}

/// `interlock exec`: a drop-in shell for agents that run each tool command through `$SHELL -c`
/// (set SHELL to a link named `interlock-shell`, or call `interlock exec -c CMD`): every command
/// runs in its own sandbox with the project's profile.
struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a shell in the sandbox: `interlock exec -c CMD` behaves like `bash -c CMD`.",
        discussion: "The shell is $INTERLOCK_SHELL, else /bin/bash, else /bin/sh. A link to interlock named interlock-shell behaves as `interlock exec`."
    )

    @Argument(parsing: .captureForPassthrough, help: "Shell arguments, as bash takes them (-c CMD, -l, a script).")
    var arguments: [String] = []

    func run() throws {
        var args = arguments
        if args.first == "--" { args.removeFirst() }
        let env = Shell.environmentDictionary()
        let shell = env["INTERLOCK_SHELL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh")
        let options = (try? ProfileOptions.parse([])) ?? ProfileOptions()
        Launcher.run(options: options, command: [shell] + args, verbose: false, audit: nil, learn: false)
    }
}

/// Profile approval: a changed profile runs only once the user has seen it.
enum Trust {
    static var directory: String {
        let env = Shell.environmentDictionary()
        let state = env["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? Shell.home() + "/.local/state"
        return state + "/interlock/trust"
    }

    static func files(_ policy: Policy) -> [String] {
        policy.sources.filter { !$0.hasPrefix("builtin:agents/") } + (policy.syscalls.importPath.map { [$0] } ?? [])
    }

    /// `named`: the user gave the profile on the command line (`--profile PATH`): naming it is
    /// approving it the first time; a later change still needs approval.
    static func check(policy: Policy, verbose: Bool, named: Bool = false) {
        guard let profile = policy.sources.last, profile.hasPrefix("/") else { return }  // built-ins need no approval
        let fingerprint = ProfileTrust.fingerprint(files: files(policy))
        // A profile seen for the first time is not trusted on sight: a sandboxed run may have
        // written it (a new `.interlock.toml` in a subdirectory), and the next run must not
        // pick it up without the user seeing it. `interlock init` approves what it writes.
        let what: String
        switch ProfileTrust.status(profile: profile, fingerprint: fingerprint, directory: directory) {
        case .trusted:
            return
        case .new where named:
            if verbose { Shell.printError("first use of \(profile), named on the command line: recording it as approved") }
            do { try ProfileTrust.record(profile: profile, fingerprint: fingerprint, directory: directory) } catch { Shell.fail(.profile(error)) }
            return
        case .new:
            what = "\(profile) has not been approved yet"
        case .changed:
            what = "\(profile) (or a file it extends) changed since you last approved it"
        }
        guard isatty(0) == 1, isatty(2) == 1, let tty = fopen("/dev/tty", "r") else {
            Shell.printError("\(what). Review it with `interlock profile show`, then approve it with `interlock profile trust \(profile)`.")
            Glibc.exit(2)
        }
        defer { fclose(tty) }
        Shell.printError("\(what) (see `interlock profile show`). Run with it? [y/N] ")
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        guard getline(&line, &capacity, tty) > 0, let line, String(cString: line).lowercased().hasPrefix("y") else {
            Shell.printError("not approved: nothing was run")
            Glibc.exit(2)
        }
        do { try ProfileTrust.record(profile: profile, fingerprint: fingerprint, directory: directory) } catch {
            Shell.fail(.profile(error))
        }
    }
}

struct ProfileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Check, show or approve profiles.",
        subcommands: [Check.self, Show.self, TrustCommand.self]
    )

    struct TrustCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "trust", abstract: "Approve a profile as it is now (and every file it extends).")
        @OptionGroup var options: ProfileOptions

        func run() throws {
            let (policy, _): (Policy, String)
            do { (policy, _) = try options.resolve() } catch { Shell.fail(error) }
            guard let profile = policy.sources.last, profile.hasPrefix("/") else {
                print("built-in profiles need no approval")
                return
            }
            do {
                try ProfileTrust.record(profile: profile, fingerprint: ProfileTrust.fingerprint(files: Trust.files(policy)), directory: Trust.directory)
            } catch { Shell.fail(.profile(error)) }
            print("approved: \(profile)")
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
