import InterlockAudit

/// Replay: a recorded run's syscall events decided again by a (changed) profile's rules.
public enum SyscallReplay {
    /// One recorded syscall record and what the rules decide for it now.
    public struct Event: Sendable {
        public var record: AuditRecord
        public var syscall: String
        public var arguments: [UInt64]
        /// How many times it happened (an aggregate record counts many).
        public var count: Int
        /// "allow", "deny" or "learn", then and now.
        public var oldDecision: String
        public var newDecision: String
        /// The rule that refuses it now, and where that rule comes from (`syscalls.deny`, a baseline…).
        public var newRule: String?
        public var newOrigin: String?
    }

    public static func evaluate(_ run: AuditRun, rules: SyscallRuleSet) -> [Event] {
        run.records.filter { $0.kind == .syscall }.compactMap { r -> Event? in
            let detail = Dictionary(r.detail.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
            guard let name = detail["syscall"]?.stringValue else { return nil }
            let args = (detail["args"]?.arrayValue ?? []).compactMap { v -> UInt64? in
                guard let s = v.stringValue else { return nil }
                return UInt64(s.hasPrefix("0x") ? String(s.dropFirst(2)) : s, radix: s.hasPrefix("0x") ? 16 : 10)
            }
            let (decision, rule): (String, SyscallRule?)
            switch rules.evaluate(syscall: name, arguments: args) {
            case .allowed: (decision, rule) = ("allow", nil)
            case .denied(let r): (decision, rule) = (rules.mode == .learn ? "learn" : "deny", r)
            case .silentErrno(_, let r): (decision, rule) = ("deny", r)
            }
            return Event(record: r, syscall: name, arguments: args, count: r.count ?? 1,
                         oldDecision: r.action == "kill" ? "deny" : r.action, newDecision: decision,
                         newRule: rule?.label, newOrigin: rule?.origin)
        }
    }
}
