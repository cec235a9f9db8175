import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockAudit
import InterlockProfile
import InterlockSecrets
import InterlockJSON

/// `interlock secrets scan`: what a run would hide and grant, and why, before any agent runs.
struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Credential discovery.",
        subcommands: [Scan.self, IndexKeeperCommand.self]
    )

    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "scan", abstract: "List what a run would hide and grant, with the rule behind each.")

        @OptionGroup var options: ProfileOptions

        @Flag(name: .long, help: "JSON output (variable values are never printed).")
        var json = false

        func run() throws {
            let (policy, workspace): (Policy, String)
            do { (policy, workspace) = try options.resolve() } catch { Shell.fail(error) }
            let report = SecretsScanner.scan(home: Shell.realPath(Shell.home()) ?? Shell.home(), workspace: workspace,
                                             environment: Shell.environment(), policy: policy.secrets,
                                             cacheDirectory: Shell.scanCacheDirectory(), index: ScanIndexStart.options())
            func entry(_ s: DiscoveredSecret) -> JSONValue {
                .object([("path", .string(s.path)), ("kind", .string(s.kind.rawValue)), ("rule", .string(s.rule)),
                         ("granted_by", s.grantedBy.map { .string($0) } ?? .null)])
            }
            if json {
                let stats: JSONValue = .object([
                    ("files", .int(Int64(report.scanStats.filesVisited))),
                    ("content_scanned", .int(Int64(report.scanStats.filesContentScanned))),
                    ("cache_hits", .int(Int64(report.scanStats.cacheHits))),
                    ("source", .string(report.scanStats.source)),
                    ("index_note", report.scanStats.indexNote.map { .string($0) } ?? .null),
                    ("milliseconds", .int(Int64(report.scanStats.milliseconds.rounded()))),
                ])
                print(JSONValue.object([
                    ("workspace", .string(workspace)), ("environment", policy.environment.map { .string($0) } ?? .null),
                    ("hidden", .array(report.hidden.map(entry))), ("granted", .array(report.granted.map(entry))),
                    ("environment_variables", .array(report.environment.map { v in
                        .object([("name", .string(v.name)), ("rule", .string(v.rule)), ("granted", .bool(v.granted)),
                                 ("granted_by", v.grantedBy.map { .string($0) } ?? .null)])
                    })),
                    ("warnings", .array(report.warnings.map { .string($0) })),
                    ("stats", stats),
                ]).encoded())
                return
            }
            let style = TerminalStyle(fd: 1)
            print(style.bold("workspace \(workspace)") + (policy.environment.map { ", env \($0)" } ?? ""))
            print("\n" + style.bold("hidden (\(report.hidden.count))"))
            for s in report.hidden { print("  \(s.path)\(s.kind == .directory ? "/" : "")  " + style.dim("[\(s.rule)]")) }
            print("\n" + style.bold("granted (\(report.granted.count))"))
            for s in report.granted { print("  \(s.path)  " + style.dim("[\(s.rule); \(s.grantedBy ?? "")]")) }
            print("\n" + style.bold("environment variables"))
            for v in report.environment {
                print("  \(v.granted ? "kept   " : "removed") \(v.name)  " + style.dim("[\(v.rule)\(v.grantedBy.map { "; \($0)" } ?? "")]"))
            }
            for w in report.warnings { print(style.red("warning: ") + w) }
            let st = report.scanStats
            print("\n\(st.filesVisited) files, \(st.filesContentScanned) read, \(st.cacheHits) from cache, \(Int(st.milliseconds.rounded())) ms"
                  + (st.source == "index" ? "; workspace from the scan index" : "") + (st.indexNote.map { " (index: \($0))" } ?? ""))
        }
    }
}
