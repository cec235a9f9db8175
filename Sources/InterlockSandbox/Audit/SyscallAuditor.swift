#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockProfile
import InterlockSeccomp
import InterlockSystem
import Synchronization
import InterlockJSON

/// Receives every syscall the filter refers to the supervisor (seccomp user notification),
/// answers it, and records it. Runs on its own thread, never on an event loop: the calling
/// thread in the sandbox is blocked until we answer.
///
/// Bursts lose nothing: the kernel queues notifications and each blocked call waits for its
/// answer. To keep the log and memory bounded, the first `fullRecords` events of each
/// (program, syscall, rule) are written in full and the rest counted; the counts are written
/// as aggregate records (`count`) when the sandbox ends, so records + counts are exact.
public final class SyscallAuditor: Sendable {
    public typealias Decide = @Sendable (_ syscall: String, _ number: Int32, _ arguments: [UInt64]) -> SyscallDecision

    public struct Summary: Sendable {
        /// Blocked calls per syscall name (exact).
        public var bySyscall: [String: Int] = [:]
        public var total: Int { bySyscall.values.reduce(0, +) }
        /// Refused writes to protected paths, per path (exact).
        public var protectedWrites: [String: Int] = [:]
        /// Refused connections to host unix sockets, per path (exact).
        public var unixSockets: [String: Int] = [:]
    }

    static let fullRecords = 50
    static let maxKeys = 4096

    private struct State {
        var summary = Summary()
        /// Events per (pid, syscall, rule), and the first full record of each.
        var pending: [String: Int] = [:]
        var samples: [String: AuditRecord] = [:]
        var finished = false
    }

    private let listener: Int32
    private let sandbox: String
    private let log: AuditLog?
    private let decide: Decide
    private let protectedWrites: ProtectedWrites?
    private let unixSockets: UnixSocketConnections?
    private let state = Mutex(State())

    public init(listener: Int32, sandbox: String, log: AuditLog?, protectedWrites: ProtectedWrites? = nil,
                unixSockets: UnixSocketConnections? = nil, decide: @escaping Decide) {
        self.listener = listener
        self.sandbox = sandbox
        self.log = log
        self.protectedWrites = protectedWrites
        self.unixSockets = unixSockets
        self.decide = decide
    }

    /// Starts the receiving thread. It ends by itself when no process uses the filter any more.
    public func start() throws {
        // Watched calls (writes, connects) are frequent: let each notified call hand the CPU
        // straight to this thread and back instead of waking it through the scheduler.
        _ = il_notif_sync_wakeup(listener)
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { context in
            let auditor = Unmanaged<SyscallAuditor>.fromOpaque(context!).takeRetainedValue()
            auditor.loop()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            throw SystemCallError("start the syscall audit thread", code: rc)
        }
        threadID.withLock { $0 = tid }
    }

    private let threadID = Mutex<pthread_t?>(nil)

    /// Waits for the thread (the sandbox is gone, so the filter's listener hangs up), writes
    /// aggregate records, and returns the exact counts.
    public func finish() -> Summary {
        if let tid = threadID.withLock({ $0 }) { pthread_join(tid, nil) }
        close(listener)
        return state.withLock { s in
            if !s.finished {
                s.finished = true
                RefusalAggregates.write(counts: s.pending, samples: s.samples, what: "events", to: log)
            }
            return s.summary
        }
    }

    private func loop() {
        while true {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard (try? SystemCall.retrying("poll") { poll(&p, 1, -1) }) != nil else { return }
            if p.revents & Int16(POLLIN) == 0 { return }  // POLLHUP: no process uses the filter any more
            var n = il_notification()
            do {
                try SystemCall.retrying("receive a seccomp notification") { il_notif_recv(listener, &n) }
            } catch {
                // ENOENT: the calling thread was killed, or its call interrupted, before it was received.
                if error.errno == .noSuchFileOrDirectory { continue }
                return
            }
            handle(n)
        }
    }

    private func handle(_ n: il_notification) {
        let args = withUnsafeBytes(of: n.args) { Array($0.bindMemory(to: UInt64.self)) }
        let name = SyscallNames.name(n.nr)
        let decision = decide(name, n.nr, args)
        let pid = pid_t(bitPattern: n.pid)
        if decision.response == .inspect {
            if name == "connect" || name == "sendto" { inspectConnection(n, name: name, arguments: args, pid: pid) }
            else if PrivilegedXattrs.isSetter(name) { inspectXattr(n, name: name, arguments: args, pid: pid) }
            else { inspectWrite(n, name: name, arguments: args, pid: pid) }
            return
        }
        // Count first (exact, always); only the first events of a (process, syscall, rule) are
        // inspected and written in full, so a tight loop of refusals stays cheap.
        let (full, key) = state.withLock { s -> (Bool, String) in
            s.summary.bySyscall[name, default: 0] += 1
            var key = "\(pid)|\(name)|\(decision.rule)"
            if s.pending[key] == nil && s.pending.count >= Self.maxKeys { key = "*|\(name)|\(decision.rule)" }
            s.pending[key, default: 0] += 1
            return (s.pending[key, default: 0] <= Self.fullRecords, key)
        }
        // Pointers are read while the caller is still blocked; then make sure the notification
        // is still the same call (the thread may have died meanwhile).
        var record: AuditRecord? = nil
        if full {
            let decoded = ArgumentDecoder.decode(syscall: name, arguments: args, pid: pid)
            var detail: [(String, JSONValue)] = [
                ("syscall", .string(name)), ("nr", .int(Int64(n.nr))),
                ("args", .array(args.map { .string("0x" + String($0, radix: 16)) })),
            ]
            if !decoded.isEmpty { detail.append(("decoded", .object(decoded))) }
            if case .fail(let e) = decision.response { detail.append(("errno", .string(ErrnoText.name(e)))) }
            record = AuditRecord(sandbox: sandbox, kind: .syscall, action: Self.action(decision.response), pid: pid,
                                 exe: ProcessInfo.exe(pid), argv: ProcessInfo.argv(pid), rule: decision.rule, detail: detail)
        }
        let valid = il_notif_id_valid(listener, n.id) == 1
        switch decision.response {
        case .fail(let e): _ = il_notif_respond(listener, n.id, e, 0)
        case .proceed, .inspect: _ = il_notif_respond(listener, n.id, 0, 1)
        case .killProcess:
            kill(pid, SIGKILL)
            _ = il_notif_respond(listener, n.id, EPERM, 0)
        }
        guard var record else { return }
        if !valid { record.detail.append(("note", .string("the calling thread was gone before the answer"))) }
        state.withLock { s in
            if s.samples[key] == nil { s.samples[key] = record }
        }
        log?.append(record)
    }

    static func action(_ response: SyscallDecision.Response) -> String {
        switch response {
        case .fail: "deny"
        case .killProcess: "kill"
        case .proceed: "learn"
        case .inspect: "allow"
        }
    }

    /// A write-intent call the rules allow: it proceeds unless it writes a protected path,
    /// which is refused with EROFS (what the read-only mount answers anyway) and recorded.
    /// Every refusal is written in full: they are rare, and each names a file worth knowing.
    private func inspectWrite(_ n: il_notification, name: String, arguments: [UInt64], pid: pid_t) {
        guard let hit = protectedWrites?.check(syscall: name, arguments: arguments, pid: pid) else {
            _ = il_notif_respond(listener, n.id, 0, 1)
            return
        }
        let record = AuditRecord(sandbox: sandbox, kind: .file, action: "deny", pid: pid, exe: ProcessInfo.exe(pid),
                                 argv: ProcessInfo.argv(pid), rule: hit.rule,
                                 detail: [("path", .string(hit.path)), ("syscall", .string(name)), ("reason", .string(hit.reason)),
                                          ("errno", .string("EROFS")),
                                          ("protection", .string(hit.protection))])
        _ = il_notif_respond(listener, n.id, EROFS, 0)
        state.withLock { $0.summary.protectedWrites[hit.path, default: 0] += 1 }
        log?.append(record)
    }

    /// An xattr setter: refused for a name that grants power (see PrivilegedXattrs), with
    /// EOPNOTSUPP, what a filesystem without them answers: `install` and `cp -p` set a POSIX ACL
    /// that mirrors the mode, and fall back to chmod on that answer (EPERM makes them fail).
    /// Counted as a blocked syscall and recorded in full.
    private func inspectXattr(_ n: il_notification, name: String, arguments: [UInt64], pid: pid_t) {
        guard let attribute = PrivilegedXattrs.refused(syscall: name, arguments: arguments, pid: pid) else {
            _ = il_notif_respond(listener, n.id, 0, 1)
            return
        }
        let record = AuditRecord(sandbox: sandbox, kind: .syscall, action: "deny", pid: pid, exe: ProcessInfo.exe(pid),
                                 argv: ProcessInfo.argv(pid), rule: "privilege bits: \(name) (security.*, trusted.*, system.*)",
                                 detail: [("syscall", .string(name)), ("nr", .int(Int64(n.nr))),
                                          ("decoded", .object(ArgumentDecoder.decode(syscall: name, arguments: arguments, pid: pid))),
                                          ("xattr", .string(attribute)), ("errno", .string("EOPNOTSUPP"))])
        _ = il_notif_respond(listener, n.id, EOPNOTSUPP, 0)
        state.withLock { $0.summary.bySyscall[name, default: 0] += 1 }
        log?.append(record)
    }

    /// A connect or addressed sendto: refused (ECONNREFUSED, as a masked socket answers) when it
    /// would reach a host unix socket the profile did not grant.
    private func inspectConnection(_ n: il_notification, name: String, arguments: [UInt64], pid: pid_t) {
        guard let path = unixSockets?.refused(syscall: name, arguments: arguments, pid: pid) else {
            _ = il_notif_respond(listener, n.id, 0, 1)
            return
        }
        let unreadable = path == UnixSocketConnections.unreadable
        let errno = unreadable ? EFAULT : ECONNREFUSED
        let record = AuditRecord(sandbox: sandbox, kind: .connect, action: "deny", pid: pid, exe: ProcessInfo.exe(pid),
                                 argv: ProcessInfo.argv(pid), rule: "network.unix_sockets",
                                 detail: [("path", .string(path)), ("syscall", .string(name)), ("errno", .string(ErrnoText.name(errno))),
                                          ("reason", .string(unreadable ? "the address could not be read, so it was not let through"
                                                                        : "a host unix socket not granted by network.unix_sockets"))])
        _ = il_notif_respond(listener, n.id, errno, 0)
        state.withLock { $0.summary.unixSockets[path, default: 0] += 1 }
        log?.append(record)
    }
}
