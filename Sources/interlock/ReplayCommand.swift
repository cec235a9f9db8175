import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockAudit
import InterlockProfile
import InterlockSandbox
import InterlockSeccomp
import InterlockJSON

/// `interlock replay LOG`: re-evaluates a recorded run's syscall events against a (changed)
/// profile, suggests the smallest change that would allow what was blocked, and can run the
/// recorded command again under the new profile.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-evaluate a recorded run against a profile; exit 1 if anything is still denied.",
        discussion: "LOG is a sandbox id (or prefix), an audit file name, or a path."
    )

    @Argument(help: "The recorded run.")
    var log: String

    @OptionGroup var options: ProfileOptions

    @Option(name: .long, help: "Audit directory. Default: $XDG_STATE_HOME/interlock/audit.")
    var directory: String?

    @Flag(name: .long, help: "JSON output (one object per event, then a summary object).")
    var json = false

    @Flag(name: .long, help: "Print the smallest profile change (TOML) that would allow what is still denied.")
    var suggest = false

    @Flag(name: .long, help: "With --suggest: include syscalls that are dangerous to allow (mount, ptrace, bpf, …).")
    var allowDangerous = false

    @Flag(name: .long, help: "Run the recorded command again under the profile and compare what is blocked.")
    var rerun = false

    func run() throws {
        let dir = directory ?? AuditLog.defaultDirectory(home: Shell.home(), environment: Shell.environmentDictionary())
        let recorded: AuditRun
        do { recorded = try AuditRun.load(path: try AuditRun.find(log, in: dir)) } catch {
            Shell.printError("\(error)")
            throw ExitCode(2)
        }
        // The profile: as given, else the one the recorded workspace would pick up now.
        var opts = options
        if opts.workspace == nil, let ws = recorded.start?.detail.first(where: { $0.0 == "workspace" })?.1.stringValue,
           Shell.isDirectory(ws) {
            opts.workspace = ws
        }
        let (policy, workspace): (Policy, String)
        do { (policy, workspace) = try opts.resolve() } catch { Shell.fail(error) }
        let rules: SyscallRuleSet
        do { rules = try SeccompCompiler.ruleSet(for: policy.syscalls, profileDirectory: policy.profileDirectory) } catch {
            Shell.fail(.invalid(error.message))
        }

        let events = SyscallReplay.evaluate(recorded, rules: rules)
        let stillDenied = events.filter { $0.newDecision != "allow" }
        if json {
            for e in events {
                print(JSONValue.object([
                    ("syscall", .string(e.syscall)), ("count", .int(Int64(e.count))),
                    ("old", .string(e.oldDecision)), ("new", .string(e.newDecision)),
                    ("old_rule", e.record.rule.map { .string($0) } ?? .null), ("new_rule", e.newRule.map { .string($0) } ?? .null),
                    ("exe", e.record.exe.map { .string($0) } ?? .null),
                ]).encoded())
            }
            print(JSONValue.object([
                ("events", .int(Int64(events.reduce(0) { $0 + $1.count }))),
                ("still_denied", .int(Int64(stillDenied.reduce(0) { $0 + $1.count }))),
                ("profile", .array(policy.sources.map { .string($0) })),
            ]).encoded())
        } else {
            print("replaying \(recorded.sandbox ?? "?") (\(recorded.command.joined(separator: " "))) against \(policy.sources.joined(separator: " <- "))\(policy.environment.map { ", env \($0)" } ?? "")")
            if events.isEmpty { print("no syscall events recorded") }
            for e in events {
                let change = e.oldDecision == e.newDecision ? "unchanged" : "CHANGED"
                let times = e.count > 1 ? " ×\(e.count)" : ""
                print("  \(e.syscall)\(times): \(e.oldDecision) -> \(e.newDecision)  (\(change))\(e.newRule.map { "  rule: \($0)" } ?? "")")
            }
            print("\(stillDenied.reduce(0) { $0 + $1.count }) of \(events.reduce(0) { $0 + $1.count }) recorded syscall events would still be denied")
        }

        if suggest { printSuggestion(stillDenied) }
        if rerun { try rerunCommand(recorded, workspace: workspace) }
        if !stillDenied.isEmpty { throw ExitCode(1) }
    }

    /// The smallest change, by where the refusal now comes from: a baseline (or import) refusal
    /// is lifted with `allow`; the profile's own `deny` and `rules` entries must be removed
    /// (arrays append along `extends`, so no snippet can take them back); terminal injection
    /// is never lifted.
    private func printSuggestion(_ stillDenied: [SyscallReplay.Event]) {
        if stillDenied.isEmpty {
            print("\n# nothing to suggest: the profile already allows every recorded call")
            return
        }
        var allow: Set<String> = [], fromDeny: Set<String> = [], fromRules: [String: String] = [:], fixed: Set<String> = []
        for e in stillDenied {
            switch e.newOrigin ?? "" {
            case "syscalls.deny": fromDeny.insert(e.syscall)
            case let o where o.hasPrefix("syscalls.rules"): fromRules[o] = e.newRule ?? o
            case "terminal injection": fixed.insert(e.syscall)
            default: allow.insert(e.syscall)
            }
        }
        let dangerous = allow.filter { DangerousSyscalls.reason($0) != nil }.sorted()
        let allowed = (allowDangerous ? Array(allow) : allow.filter { DangerousSyscalls.reason($0) == nil }).sorted()
        print("\n# Smallest change to your profile (.interlock.toml):")
        if !allowed.isEmpty {
            print("[syscalls]")
            print("allow = [\(allowed.map { "\"\($0)\"" }.joined(separator: ", "))]")
        }
        for name in fromDeny.sorted() {
            print("# remove \"\(name)\" from [syscalls] deny: your profile refuses it itself (allow cannot override deny)")
        }
        for (_, label) in fromRules.sorted(by: { $0.key < $1.key }) {
            print("# change or remove the [[syscalls.rules]] entry that refuses it: \(label)")
        }
        for name in fixed.sorted() {
            print("# \(name): refused by the always-on terminal-injection rule; no profile can allow it")
        }
        for name in dangerous {
            let reason = DangerousSyscalls.reason(name) ?? ""
            if allowDangerous {
                print("# WARNING: allowing \(name): \(reason)")
            } else {
                print("# not suggested: \(name): \(reason). The refusal is probably what you want; pass --allow-dangerous to include it anyway.")
            }
        }
        if allowed.isEmpty && fromDeny.isEmpty && fromRules.isEmpty { print("# (nothing that is safe to allow)") }
    }

    private func rerunCommand(_ recorded: AuditRun, workspace: String) throws {
        guard !recorded.command.isEmpty else { Shell.printError("the log has no command to rerun"); throw ExitCode(2) }
        let dir = "/tmp/interlock-replay-\(getpid())"
        let audit = dir + "/rerun.jsonl"
        var args = ["interlock", "run", "--audit", audit, "--workspace", workspace]
        if let p = options.profile { args += ["--profile", p] }
        if let e = options.env { args += ["--env", e] }
        args += ["--"] + recorded.command
        let status = Spawn.run(executable: "/proc/self/exe", arguments: args,
                               cwd: recorded.start?.detail.first { $0.0 == "cwd" }?.1.stringValue ?? workspace)
        defer { unlink(audit); rmdir(dir) }
        let after = (try? AuditRun.load(path: audit)).map { run in
            Dictionary(run.records.filter { $0.kind == .syscall }.map { ($0.detail.first { $0.0 == "syscall" }?.1.stringValue ?? "?", $0.count ?? 1) }, uniquingKeysWith: +)
        } ?? [:]
        let before = Dictionary(recorded.records.filter { $0.kind == .syscall }.map { ($0.detail.first { $0.0 == "syscall" }?.1.stringValue ?? "?", $0.count ?? 1) }, uniquingKeysWith: +)
        func show(_ d: [String: Int]) -> String { d.isEmpty ? "nothing" : d.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ") }
        if json {
            func object(_ d: [String: Int]) -> JSONValue { .object(d.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }) }
            print(JSONValue.object([("rerun_exit_code", .int(Int64(status))), ("recorded_exit_code", recorded.exitCode.map { .int($0) } ?? .null),
                                    ("blocked_before", object(before)), ("blocked_now", object(after))]).encoded())
            return
        }
        print("\nrerun: exit \(status) (recorded: \(recorded.exitCode.map(String.init) ?? "?"))")
        print("  blocked before: \(show(before))")
        print("  blocked now:    \(show(after))")
    }
}
