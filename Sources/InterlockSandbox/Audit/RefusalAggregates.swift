import InterlockAudit

/// Bursts of one refusal stay bounded in the log and exact in count: the first
/// `SyscallAuditor.fullRecords` of each key are written in full as they happen, and the rest
/// become one aggregate record (`count`) per key when the run ends.
enum RefusalAggregates {
    /// Writes the aggregate records for `counts`, each a copy of its key's first record in `samples`.
    /// `what` names what was counted ("events", "refusals").
    static func write(counts: [String: Int], samples: [String: AuditRecord], what: String, to log: AuditLog?) {
        let full = SyscallAuditor.fullRecords
        for (key, count) in counts.sorted(by: { $0.key < $1.key }) where count > full {
            guard var aggregate = samples[key] else { continue }
            aggregate.time = AuditClock.now()
            aggregate.count = count - full
            aggregate.detail.append(("aggregate", .string("identical \(what) after the first \(full), counted")))
            log?.append(aggregate)
        }
    }
}
