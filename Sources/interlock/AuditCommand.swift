import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockAudit
import InterlockJSON

/// `interlock audit list|show|tail`: what the sandbox refused, for people and for scripts.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Read the audit logs of past and running sandboxes.",
        subcommands: [List.self, Show.self, Tail.self]
    )

    struct Location: ParsableArguments {
        @Option(name: .long, help: "Audit directory. Default: $XDG_STATE_HOME/interlock/audit.")
        var directory: String?

        @Flag(name: .long, help: "JSON output.")
        var json = false

        var resolvedDirectory: String {
            directory ?? AuditLog.defaultDirectory(home: Shell.home(), environment: Shell.environmentDictionary())
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Runs, oldest first, with what each had refused.")
        @OptionGroup var location: Location

        func run() throws {
            for path in AuditRun.files(in: location.resolvedDirectory) {
                guard let run = try? AuditRun.load(path: path) else { continue }
                let counts = run.refusalCounts
                if location.json {
                    let fields: [(String, JSONValue)] = [
                        ("sandbox", .string(run.sandbox ?? "?")), ("path", .string(path)),
                        ("start", run.start.map { .string($0.time) } ?? .null),
                        ("command", .array(run.command.map { .string($0) })),
                        ("exit_code", run.exitCode.map { .int($0) } ?? .null),
                        ("refused", .object(AuditKind.allCases.compactMap { k in counts[k].map { (k.rawValue, .int(Int64($0))) } })),
                    ]
                    print(JSONValue.object(fields).encoded())
                } else {
                    let refused = counts.isEmpty ? "nothing refused"
                        : AuditKind.allCases.compactMap { k in counts[k].map { "\($0) \(k.rawValue)" } }.joined(separator: ", ")
                    let exit = run.exitCode.map { "exit \($0)" } ?? "running"
                    print("\(run.sandbox ?? "?")  \(run.start?.time ?? "?")  \(exit.padding(8))  \(refused)  —  \(AuditDescription.oneLine(run.command))")
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One run's refusals, grouped by kind, with the rule and the profile change that would allow each.")
        @OptionGroup var location: Location
        @Argument(help: "Sandbox id (or a prefix), log file name, or path.")
        var id: String

        func run() throws {
            let run: AuditRun
            do { run = try AuditRun.load(path: try AuditRun.find(id, in: location.resolvedDirectory)) } catch {
                Shell.printError("\(error)")
                throw ExitCode(2)
            }
            if location.json {
                for r in run.records { print(r.json.encoded()) }
                return
            }
            let style = TerminalStyle(fd: 1)
            print(style.bold("sandbox \(run.sandbox ?? "?")") + "  \(AuditDescription.oneLine(run.command))")
            if let start = run.start {
                let profile = start.detail.first { $0.0 == "profile" }?.1.arrayValue?.compactMap(\.stringValue).joined(separator: " <- ") ?? "?"
                print("  started \(start.time), profile \(profile)")
            }
            print("  " + (run.exitCode.map { "exit \($0)" } ?? "still running (or the supervisor was killed)"))
            let refusals = run.refusals
            if refusals.isEmpty { print("  nothing was refused"); return }
            for kind in AuditKind.allCases where kind != .lifecycle {
                let group = refusals.filter { $0.kind == kind }
                guard !group.isEmpty else { continue }
                print("\n" + style.bold("\(kind.rawValue): \(group.reduce(0) { $0 + ($1.count ?? 1) }) refused"))
                for r in group {
                    let what = AuditDescription.summary(r)
                    let times = r.count.map { " (×\($0) more)" } ?? ""
                    print("  " + style.red(r.action) + " \(what)\(times)  " + style.dim("[\(r.exe ?? "?") pid \(r.pid.map(String.init) ?? "?")]"))
                    if let rule = r.rule { print("      rule: \(rule)") }
                    if let hint = AuditDescription.hint(r) { print("      to allow: \(hint)") }
                }
            }
        }
    }

    struct Tail: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "tail", abstract: "Print a run's records as they are written (the newest run by default).")
        @OptionGroup var location: Location
        @Flag(name: .short, help: "Follow: keep printing new records until interrupted.")
        var follow = false
        @Argument(help: "Sandbox id (or a prefix), log file name, or path.")
        var id: String?

        func run() throws {
            let dir = location.resolvedDirectory
            let path: String
            do {
                if let id { path = try AuditRun.find(id, in: dir) } else {
                    guard let newest = AuditRun.files(in: dir).last else { throw AuditError("no audit logs in \(dir)") }
                    path = newest
                }
            } catch {
                Shell.printError("\(error)")
                throw ExitCode(2)
            }
            guard let f = fopen(path, "r") else { throw ExitCode(2) }
            defer { fclose(f) }
            var line: UnsafeMutablePointer<CChar>? = nil
            var capacity = 0
            defer { free(line) }
            var pending = ""
            while true {
                if getline(&line, &capacity, f) > 0, let line {
                    pending += String(cString: line)
                    guard pending.hasSuffix("\n") else { continue }
                    let text = String(pending.dropLast())
                    pending = ""
                    if location.json { print(text) } else if let json = AuditRecord.readJSON(line: text), let r = AuditRecord(json: json) {
                        print("\(r.time)  \(r.kind.rawValue)  \(r.action)  \(AuditDescription.summary(r))\(r.rule.map { "  [\($0)]" } ?? "")")
                    }
                    fflush(nil)
                    continue
                }
                guard follow else { return }
                clearerr(f)
                usleep(200_000)
            }
        }
    }
}

/// Human wording of records.
enum AuditDescription {
    /// A command line on one line, shortened for listings.
    static func oneLine(_ argv: [String], limit: Int = 100) -> String {
        let text = argv.joined(separator: " ").split(whereSeparator: { $0 == "\n" }).joined(separator: " ⏎ ")
        return text.count > limit ? String(text.prefix(limit)) + "…" : text
    }

    static func summary(_ r: AuditRecord) -> String {
        let d = Dictionary(r.detail.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        switch r.kind {
        case .syscall:
            let name = d["syscall"]?.stringValue ?? "?"
            var args: [String] = []
            if case .object(let decoded)? = d["decoded"] {
                args = decoded.map { "\($0.0)=\($0.1.stringValue ?? $0.1.intValue.map(String.init) ?? "null")" }
            }
            return "\(name)(\(args.joined(separator: ", ")))" + (d["errno"]?.stringValue.map { " → \($0)" } ?? "")
        case .request:
            let what = d["what"]?.stringValue ?? "?", host = d["host"]?.stringValue ?? "?"
            let by = d["decided_by"]?.stringValue.map { ", decided by \($0)" } ?? ""
            return "\(what) on \(host) (\(d["method"]?.stringValue ?? "?") \(d["path"]?.stringValue ?? "?"))\(by)"
        case .lifecycle:
            return d["exit_code"].flatMap(\.intValue).map { "exit \($0)" } ?? (r.argv?.joined(separator: " ") ?? "")
        default:
            return r.detail.map { "\($0.0)=\($0.1.encoded())" }.joined(separator: " ")
        }
    }

    static func hint(_ r: AuditRecord) -> String? {
        if r.kind == .connect, let host = r.detail.first(where: { $0.0 == "host" })?.1.stringValue,
           let port = r.detail.first(where: { $0.0 == "port" })?.1.intValue {
            let entry = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            return "[network] egress = [\"\(entry)\"] (or under the [env.NAME] that needs it)"
        }
        let path = r.detail.first(where: { $0.0 == "path" })?.1.stringValue
        if r.kind == .connect, r.rule == "network.unix_sockets", let path {
            return "[network] unix_sockets = [\"\(path)\"] if the tools really need that socket"
        }
        if r.kind == .file, path != nil, let rule = r.rule, rule.hasPrefix("protected: ") {
            let entry = String(rule.dropFirst("protected: ".count))
            let reason = r.detail.first(where: { $0.0 == "reason" })?.1.stringValue.map { " (protected because: \($0))" } ?? ""
            return "[filesystem] unprotect = [\"\(entry)\"] only if the project must let the sandbox change it\(reason)"
        }
        if r.kind == .file, let path {
            return "[secrets] allow_files = [\"\(path)\"] if the tools really need it"
        }
        if r.kind == .request {
            return "a human runs it outside the sandbox, or the project changes the rule (\(r.rule ?? "?"))"
        }
        guard r.kind == .syscall, let name = r.detail.first(where: { $0.0 == "syscall" })?.1.stringValue else { return nil }
        return "[syscalls] allow = [\"\(name)\"]" + (DangerousSyscalls.reason(name).map { "  — not advised: \($0)" } ?? "")
    }
}

/// Syscalls whose refusal is the point: replay --suggest will not propose them without
/// --allow-dangerous, and `audit show` says why.
enum DangerousSyscalls {
    static let reasons: [String: String] = [
        "mount": "mounting lets a process reshape its view of the filesystem and reach hidden paths",
        "umount2": "unmounting can reveal what masks hide", "umount": "unmounting can reveal what masks hide",
        "pivot_root": "changes the root of the sandbox", "chroot": "changes the root of the sandbox",
        "move_mount": "new mount API: reshapes the filesystem view", "open_tree": "new mount API: clones mounts",
        "fsopen": "new mount API", "fsmount": "new mount API", "fsconfig": "new mount API", "fspick": "new mount API",
        "mount_setattr": "changes mount flags (read-only, idmaps)",
        "ptrace": "lets a process read and rewrite another's memory", "process_vm_readv": "reads another process's memory",
        "process_vm_writev": "writes another process's memory",
        "bpf": "loads programs into the kernel", "perf_event_open": "kernel profiling: a large, bug-prone surface",
        "kexec_load": "replaces the running kernel", "kexec_file_load": "replaces the running kernel",
        "init_module": "loads kernel code", "finit_module": "loads kernel code", "delete_module": "unloads kernel code",
        "unshare": "new namespaces from inside (user namespaces re-grant capabilities)",
        "setns": "joins other namespaces", "keyctl": "the kernel keyring holds credentials",
        "add_key": "the kernel keyring holds credentials", "request_key": "the kernel keyring holds credentials",
        "open_by_handle_at": "opens files by handle, bypassing path-based views",
        "name_to_handle_at": "pairs with open_by_handle_at", "userfaultfd": "a common exploit primitive",
        "io_uring_setup": "io_uring bypasses seccomp filtering of the operations it performs",
        "io_uring_enter": "io_uring bypasses seccomp filtering", "io_uring_register": "io_uring bypasses seccomp filtering",
        "ioctl": "TIOCSTI/TIOCLINUX inject keystrokes into a terminal", "personality": "can disable ASLR and change syscall semantics",
        "reboot": "host power control", "swapon": "host memory configuration", "swapoff": "host memory configuration",
        "settimeofday": "host clock", "clock_settime": "host clock", "clock_adjtime": "host clock", "acct": "host accounting",
    ]

    static func reason(_ name: String) -> String? { reasons[name] }
}

/// Colour only on a terminal, and never with NO_COLOR set.
struct TerminalStyle {
    let enabled: Bool
    init(fd: Int32) {
        enabled = isatty(fd) == 1 && getenv("NO_COLOR") == nil
    }
    func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1b}[\(code)m\(s)\u{1b}[0m" : s }
    func bold(_ s: String) -> String { wrap(s, "1") }
    func red(_ s: String) -> String { wrap(s, "31") }
    func dim(_ s: String) -> String { wrap(s, "2") }
}
