import InterlockAudit
import InterlockSeccomp

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
