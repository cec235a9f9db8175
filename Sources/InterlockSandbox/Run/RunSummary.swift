import InterlockProfile

/// The line a run ends with: what was refused, exactly counted, by kind, and where the audit log is.
public struct RunSummary: Sendable {
    public let outcome: Supervisor.Outcome
    /// Learn mode: refused syscalls ran, so they are "recorded", not "blocked".
    public let learn: Bool

    public init(outcome: Supervisor.Outcome, learn: Bool) {
        self.outcome = outcome
        self.learn = learn
    }

    /// Whether anything was refused, swept or read that the user should hear of at exit.
    public var hasNews: Bool {
        !outcome.blockedSyscalls.isEmpty || outcome.hiddenPathOpens > 0 || !outcome.refusedConnections.isEmpty
            || !outcome.protectedWrites.isEmpty || !outcome.refusedRequests.isEmpty || !outcome.lateSecrets.isEmpty
            || !outcome.swept.isEmpty
    }

    /// `exit N · blocked: … · audit: PATH`.
    public var line: String {
        let o = outcome
        let blocked = o.blockedSyscalls
        let total = blocked.values.reduce(0, +)
        let names = blocked.sorted { $0.value > $1.value }.prefix(6).map { "\($0.key)\($0.value > 1 ? " ×\($0.value)" : "")" }
        var parts: [String] = []
        if total > 0 { parts.append("\(total) syscall\(total == 1 ? "" : "s") (\(names.joined(separator: ", ")))") }
        let dns = o.refusedConnections.filter { $0.key.hasPrefix("dns ") }
        let connections = o.refusedConnections.filter { !$0.key.hasPrefix("dns ") }
        func listed(_ keys: [String]) -> String {
            keys.prefix(4).joined(separator: ", ") + (keys.count > 4 ? ", +\(keys.count - 4) more" : "")
        }
        func counted(_ counts: [String: Int], _ one: String, _ many: String, keys: (String) -> String = { $0 }) {
            guard !counts.isEmpty else { return }
            let n = counts.values.reduce(0, +)
            parts.append("\(n) \(n == 1 ? one : many) (\(listed(counts.keys.sorted().map(keys))))")
        }
        counted(connections, "connection", "connections")
        counted(dns, "DNS query", "DNS queries") { String($0.dropFirst(4)) }
        counted(o.refusedRequests, "request", "requests")
        counted(o.protectedWrites, "write to protected or hidden files", "writes to protected or hidden files")
        if !o.swept.isEmpty {
            let n = o.swept.count
            parts.append("\(n) plant\(n == 1 ? "" : "s") swept after the run (\(listed(o.swept.map { "\($0.action) \($0.path)" })))")
        }
        if o.hiddenPathOpens > 0 { parts.append("\(o.hiddenPathOpens) hidden file read\(o.hiddenPathOpens == 1 ? "" : "s")") }
        counted(o.lateSecrets, "read of credentials that appeared during the run", "reads of credentials that appeared during the run")
        let learned = learn && total > 0
        if learned { parts[0] = "\(total) syscall\(total == 1 ? "" : "s") (\(names.joined(separator: ", "))) allowed by learn mode" }
        let what = parts.isEmpty ? "nothing blocked" : (learned ? "recorded: " : "blocked: ") + parts.joined(separator: ", ")
        return "exit \(o.exitCode) · \(what) · audit: \(o.auditPath ?? "none")"
    }
}
