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
