#if canImport(Glibc)
import Glibc
#endif
import InterlockAudit
import InterlockEgress
import InterlockInspect
import InterlockJSON
import InterlockProfile
import Synchronization

/// Everything a run writes about itself: the start record, each refused connection and request
/// as it happens (bounded per target, counted exactly), the aggregates, and the exit record.
/// Threads of the proxy and the inspector report here; the supervisor reads the counts at the end.
final class RunRecorder: Sendable {
    let log: AuditLog?
    let runID: String

    /// Refusals per target (exact), and the first record of each, for aggregates: like syscalls,
    /// the first `SyscallAuditor.fullRecords` identical refusals are written in full, the rest counted.
    private final class Tally: Sendable {
        struct State { var counts: [String: Int] = [:]; var samples: [String: AuditRecord] = [:] }
        let state = Mutex(State())
        var counts: [String: Int] { state.withLock { $0.counts } }
    }
    private let connections = Tally()
    private let requests = Tally()

    init(log: AuditLog?, runID: String) {
        self.log = log
        self.runID = runID
    }

    /// Connections the egress proxy refused (and unix sockets, as `unix:PATH`), per target, exact.
    var connectionRefusals: [String: Int] { connections.counts }
    /// Requests refused on inspected hosts, per "what on host", exact.
    var requestRefusals: [String: Int] { requests.counts }

    /// The start record: policy hash, profile, environment, workspace, what is hidden and protected,
    /// and the Interlock version and commit that ran it.
    func start(policy: Policy, plan: LaunchPlan) {
        log?.append(AuditRecord(sandbox: runID, kind: .lifecycle, action: "start", pid: getpid(), exe: plan.executable,
                                argv: plan.arguments, detail: [
                                    ("policy_hash", .string(AuditHash.fnv1a64(policy.jsonString()))),
                                    ("profile", .array(policy.sources.map { .string($0) })),
                                    ("environment", policy.environment.map { .string($0) } ?? .null),
                                    ("workspace", .string(plan.mounts.workspace)),
                                    ("cwd", .string(plan.workingDirectory)),
                                    ("hidden", .array(plan.mounts.hiddenPaths.map { .string($0) })),
                                    ("protected", .array(plan.mounts.protected.map { .string($0.path) })),
                                    ("syscall_mode", .string(policy.syscalls.mode.rawValue)),
                                    ("version", .string(InterlockVersion.current)),
                                    ("commit", InterlockVersion.commit.map { .string($0) } ?? .null),
                                ]))
    }

    /// Refused unix socket connections are refused connections, by path.
    func countUnixSocketRefusals(_ byPath: [String: Int]) {
        for (path, count) in byPath {
            connections.state.withLock { $0.counts["unix:\(path)", default: 0] += count }
        }
    }

    /// Egress events become audit records (`connect`); refusals are also counted.
    /// `crashingListeners`: the `proxy-crash` test fault shuts them once a connection has closed.
    func egressEvents(crashingListeners: [Int32] = []) -> @Sendable (EgressEvent) -> Void {
        let (log, sandbox, counter) = (self.log, runID, connections)
        return { e in
            if e.kind == .close { for fd in crashingListeners { _ = shutdown(fd, Int32(SHUT_RDWR)) } }
            let action: String
            switch (e.kind, e.action) {
            case (.close, _): action = "close"
            case (_, .allow): action = "allow"
            case (_, .deny): action = "deny"
            case (_, .error): action = "error"
            }
            let key = e.kind == .dns ? "dns \(e.host)" : "\(e.host):\(e.port)"
            var detail: [(String, JSONValue)] = [("host", .string(e.host)), ("port", .int(Int64(e.port))),
                                                 ("protocol", .string(e.protocol.rawValue)), ("connection", .int(Int64(e.connectionID)))]
            if let a = e.resolvedAddress { detail.append(("address", .string(a))) }
            if let r = e.reason { detail.append(("reason", .string(r))) }
            if let b = e.bytesUp { detail.append(("bytes_up", .int(Int64(b)))) }
            if let b = e.bytesDown { detail.append(("bytes_down", .int(Int64(b)))) }
            if let d = e.durationMs { detail.append(("duration_ms", .int(Int64(d.rounded())))) }
            let record = AuditRecord(sandbox: sandbox, kind: .connect, action: action, rule: e.rule, detail: detail)
            if e.action == .deny {
                let full = counter.state.withLock { s -> Bool in
                    s.counts[key, default: 0] += 1
                    if s.samples[key] == nil { s.samples[key] = record }
                    return s.counts[key, default: 0] <= SyscallAuditor.fullRecords
                }
                guard full else { return }
            }
            log?.append(record)
        }
    }

    /// Inspected requests become audit records (`request`); refusals are also counted.
    func requestEvents() -> @Sendable (InspectEvent) -> Void {
        let (log, sandbox, counter) = (self.log, runID, requests)
        return { e in
            var detail: [(String, JSONValue)] = [("host", .string(e.host)), ("method", .string(e.method)), ("path", .string(e.path)),
                                                 ("what", .string(e.what)), ("connection", .int(Int64(e.connectionID)))]
            if let r = e.reason { detail.append(("reason", .string(r))) }
            if let d = e.decidedBy { detail.append(("decided_by", .string(d))) }
            if let id = e.requestID { detail.append(("request_id", .string(id))) }
            if !e.injected.isEmpty { detail.append(("injected", .array(e.injected.map { .string($0) }))) }
            if let git = e.git {
                detail.append(("repository", .string(git.repository)))
                if let ref = git.ref { detail.append(("ref", .string(ref))) }
                if let old = git.oldID { detail.append(("old", .string(old))) }
                if let new = git.newID { detail.append(("new", .string(new))) }
            }
            if e.action == "deny" || e.action == "refuse" {
                counter.state.withLock { $0.counts["\(e.what) on \(e.host)", default: 0] += 1 }
            }
            log?.append(AuditRecord(sandbox: sandbox, kind: .request, action: e.action, rule: e.rule, detail: detail))
        }
    }

    /// Aggregate records for connection refusals beyond the first `fullRecords` of a target.
    func writeConnectionAggregates() {
        let (counts, samples) = connections.state.withLock { ($0.counts, $0.samples) }
        RefusalAggregates.write(counts: counts, samples: samples, what: "refusals", to: log)
    }

    /// A protected path the run created (it could not be mounted read-only while absent).
    func createdProtected(_ protection: MountPlan.Protection) {
        log?.append(AuditRecord(sandbox: runID, kind: .file, action: "created", rule: "protected",
                                detail: [("path", .string(protection.path)), ("reason", .string(protection.reason))]))
    }

    /// The exit record: the exit code and every exact count.
    func exit(code: Int32, blocked: [String: Int], hiddenPathOpens: Int, lateSecrets: [String: Int], protectedWrites: [String: Int]) {
        func counts(_ d: [String: Int]) -> JSONValue { .object(d.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) }) }
        log?.append(AuditRecord(sandbox: runID, kind: .lifecycle, action: "exit", detail: [
            ("exit_code", .int(Int64(code))),
            ("blocked_syscalls", counts(blocked)),
            ("hidden_path_opens", .int(Int64(hiddenPathOpens))),
            ("late_secret_refusals", counts(lateSecrets)),
            ("protected_writes", counts(protectedWrites)),
            ("refused_connections", counts(connectionRefusals)),
        ]))
    }
}
