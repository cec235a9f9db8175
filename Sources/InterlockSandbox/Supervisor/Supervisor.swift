#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockProfile
import InterlockSeccomp
import InterlockEgress
import InterlockInspect
import Synchronization
import InterlockJSON

/// Runs one command in a sandbox and stays with it until it ends: relays the terminal,
/// forwards signals, suspends with it on Ctrl-Z, and tears everything down afterwards.
public final class Supervisor {
    public struct Outcome: Sendable {
        /// What the caller should exit with: the command's code, or 128+N for death by signal N.
        public var exitCode: Int32
        public var runID: String
        public var hiddenPaths: [String]
        /// Blocked syscalls per name (exact), when the filter reports to the supervisor.
        public var blockedSyscalls: [String: Int]
        public var auditPath: String?
        /// Protected paths that did not exist at start and were created by the run.
        public var createdProtected: [MountPlan.Protection]
        /// Opens of hidden paths (recorded when the supervisor can watch them).
        public var hiddenPathOpens: Int
        /// Connections the egress proxy refused, per host:port (exact).
        public var refusedConnections: [String: Int] = [:]
        /// Refused writes to protected paths, per path (exact).
        public var protectedWrites: [String: Int] = [:]
        /// Requests refused on inspected hosts, per "what on host" (exact).
        public var refusedRequests: [String: Int] = [:]
        /// Opens and reads of credentials that appeared or changed after start, per path (exact).
        public var lateSecrets: [String: Int] = [:]
        /// What the end-of-run sweep cleared or quarantined (WorkspaceSweep).
        public var swept: [WorkspaceSweep.Finding] = []
    }

    private let plan: LaunchPlan
    private let cgroupHost: CgroupHost
    public let runID: String
    private var audit: AuditLog?

    public init(plan: LaunchPlan, cgroupHost: CgroupHost, runID: String) {
        self.plan = plan
        self.cgroupHost = cgroupHost
        self.runID = runID
    }

    public static func newRunID() -> String {
        let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Records the run in `log`: a start record (policy hash, command), every refusal, an exit record.
    public func record(to log: AuditLog, policy: Policy) {
        audit = log
        log.append(AuditRecord(sandbox: runID, kind: .lifecycle, action: "start", pid: getpid(), exe: plan.executable,
                               argv: plan.arguments, detail: [
                                   ("policy_hash", .string(AuditHash.fnv1a64(policy.jsonString()))),
                                   ("profile", .array(policy.sources.map { .string($0) })),
                                   ("environment", policy.environment.map { .string($0) } ?? .null),
                                   ("workspace", .string(plan.mounts.workspace)),
                                   ("cwd", .string(plan.workingDirectory)),
                                   ("hidden", .array(plan.mounts.hiddenPaths.map { .string($0) })),
                                   ("protected", .array(plan.mounts.protected.map { .string($0.path) })),
                                   ("syscall_mode", .string(policy.syscalls.mode.rawValue)),
                               ]))
    }

    /// Signals the supervisor relays to the sandbox (SIGWINCH, SIGCONT are handled here too).
    static let relayedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGTSTP]

    public func run() throws(LaunchError) -> Outcome {
        _ = il_ignore_signal(SIGPIPE)
        // The start record could not be written (disk full, read-only): nothing runs unrecorded.
        if let reason = audit?.failed { throw .setup(reason) }
        let signals = Self.relayedSignals + [SIGWINCH, SIGCONT]
        let signalPipe = signals.withUnsafeBufferPointer { il_signal_pipe($0.baseAddress, Int32($0.count)) }
        guard signalPipe >= 0 else { throw .setup("cannot install signal handlers") }

        // Created once the child exists, just before it is placed (see below): on cgroup v1 the
        // first cgroup operation waits out an RCU grace period that started at launch
        // (CgroupHost.startWarmingMigrations), and everything before this point overlaps it.
        var cgroups: RunCgroups? = nil
        defer { cgroups?.remove() }

        let wantsTerminal = TerminalRelay.wanted

        var sync: [Int32] = [-1, -1], errors: [Int32] = [-1, -1], status: [Int32] = [-1, -1]
        guard il_socketpair_cloexec(&sync) == 0, il_pipe_cloexec(&errors) == 0, il_pipe_cloexec(&status) == 0 else {
            throw .setup("cannot create supervisor channels: \(String(cString: strerror(errno)))")
        }
        defer { for fd in [sync[0], errors[0], status[0]] { close(fd) } }

        let prepared = plan.mounts.steps.filter { $0.kind.isPrepared }
        let hides = plan.mounts.steps.filter { $0.kind == .hideFile || $0.kind == .hideDirectory }
        let watcher = hides.isEmpty ? nil : HiddenPathWatcher(sandbox: runID, log: audit)
        let secretsGuard = try startSecretsGuard()
        let arena = CArena()
        var fdIndex: Int32 = 0
        let ops: [il_mount_op] = plan.mounts.steps.map { step in
            var op = il_mount_op()
            op.kind = step.kind.rawValue
            op.source = step.kind == .hideDirectory && !step.children.isEmpty
                ? arena.string(step.children.joined(separator: "\n")) : step.source.map { arena.string($0) }
            op.target = arena.string(step.target)
            op.fd_index = -1
            if step.kind.isPrepared { op.fd_index = fdIndex; fdIndex += 1 }
            return op
        }
        let limits = plan.rlimits.map { il_rlimit(resource: $0.resource, soft: $0.value, hard: $0.value) }
        let stdio = wantsTerminal ? TerminalRelay.sandboxStdio : [0, 1, 2]
        var spec = il_launch_spec()
        spec.clone_flags = LaunchPlan.namespaceFlags
        spec.unshare_cgroup = 1
        spec.inner_uid = plan.identity.innerUid
        spec.inner_gid = plan.identity.innerGid
        spec.drop_groups = plan.identity.privileged ? 1 : 0
        spec.hostname = arena.string(plan.hostname)
        spec.sync_fd = sync[1]
        spec.supervisor_sync_fd = sync[0]
        spec.error_fd = errors[1]
        spec.status_fd = status[1]
        spec.received_fd_count = Int32(prepared.count)
        spec.mounts = arena.array(ops)
        spec.mount_count = Int32(ops.count)
        spec.cwd = arena.string(plan.workingDirectory)
        spec.stdio = (stdio[0], stdio[1], stdio[2])
        spec.pty = wantsTerminal ? 1 : 0
        spec.rlimits = arena.array(limits)
        spec.rlimit_count = Int32(limits.count)
        spec.tmpfs_size = plan.limits.memory ?? 0
        let filterBytes = arena.array(plan.seccomp.bytes)
        spec.filter = filterBytes.map { UnsafeRawPointer($0) }
        spec.filter_len = UInt16(plan.seccomp.instructionCount)
        spec.notify = plan.notify ? 1 : 0
        spec.egress = 1
        spec.proxy_port = EgressPlan.proxyPort
        spec.transparent_ports = arena.array(plan.egress.transparentPorts)
        spec.transparent_port_count = Int32(plan.egress.transparentPorts.count)
        spec.keep_caps = plan.keepCapabilities
        spec.path = arena.string(plan.executable)
        spec.argv = arena.stringArray(plan.arguments)
        spec.envp = arena.stringArray(plan.environment)

        StartupTrace.mark("audit log, channels")
        var pidfd: Int32 = -1
        let pid = il_spawn(&spec, &pidfd)
        StartupTrace.mark("clone3 into new namespaces")
        let spawnErrno = errno
        // The child's ends: only the child may hold them, or EOF never comes.
        close(sync[1]); close(errors[1]); close(status[1])
        guard pid > 0 else {
            throw .setup("clone3 into new namespaces failed: \(String(cString: strerror(spawnErrno)))" +
                         (spawnErrno == EPERM || spawnErrno == ENOSPC ? " (are user namespaces enabled? see `interlock doctor`)" : ""))
        }
        defer { close(pidfd) }
        // From here on, a record that cannot be written stops the sandbox (the run then ends
        // with 125 and says why). Disarmed before the pidfd is closed.
        let stopper = SandboxStopper(pidfd: pidfd)
        audit?.onFailure { _ in stopper.stop() }
        defer { stopper.disarm() }

        func abort(_ message: String) -> LaunchError {
            _ = il_pidfd_send_signal(pidfd, SIGKILL)
            var st: Int32 = 0
            _ = waitpid(pid, &st, 0)
            return .setup(message)
        }

        // Maps, cgroups and prepared mounts, then "go".
        do {
            try plan.identity.writeMaps(pid: pid)
            var mountFds: [Int32] = []
            defer { for fd in mountFds { close(fd) } }
            if !prepared.isEmpty {
                let userns = open("/proc/\(pid)/ns/user", O_RDONLY | O_CLOEXEC)
                guard userns >= 0 else { throw SystemCallError("open the sandbox's user namespace") }
                defer { close(userns) }
                for step in prepared {
                    let fd = il_open_idmapped_tree(step.source ?? step.target, userns, step.kind == .preparedReadOnly ? 1 : 0)
                    guard fd >= 0 else {
                        throw SystemCallError("idmapped mount of \(step.source ?? step.target) (the filesystem must support idmapped mounts)")
                    }
                    mountFds.append(fd)
                }
            }
            StartupTrace.mark("uid/gid maps, idmapped mounts")
            let sent = mountFds.withUnsafeBufferPointer { il_send_fds(sync[0], $0.baseAddress, Int32($0.count)) }
            guard sent == 0 else { throw SystemCallError("hand the sandbox its mounts") }
        } catch {
            throw abort("\(error)")
        }

        // While the child builds its mounts: cgroup placement (slow on cgroup v1). The child
        // stops once its view is final, so that its masks get watched before anything runs.
        do {
            CgroupHost.cleanupStale(cgroupHost)
            let l = plan.limits
            if l.memory != nil || l.pids != nil || l.cpu != nil {
                cgroups = try RunCgroups(host: cgroupHost, runID: runID, limits: l)
            }
            try cgroups?.add(pid: pid)
        } catch let e as LaunchError {
            throw abort(e.description)
        } catch {
            throw abort("cgroups: \(error)")
        }
        StartupTrace.mark("cgroups created, placement")
        var byte: UInt8 = 0
        if recv(sync[0], &byte, 1, 0) == 1, byte == UInt8(ascii: "M") {
            do {
                try watcher?.watch(hides, pid: pid)
                try secretsGuard?.watch(pid: pid, skipping: Set(plan.mounts.steps.filter(\.kind.holdsNothingOfTheHost).map(\.target)))
                try secretsGuard?.start { _ in stopper.stop() }
            } catch { throw abort("\(error)") }
            guard il_send_fds(sync[0], nil, 0) == 0 else { throw abort("resume the sandbox after its mounts") }
        }

        // With a terminal, the child sends the PTY master once its devpts exists.
        var terminal: TerminalRelay? = nil
        if wantsTerminal {
            var master: Int32 = -1
            if il_recv_fds(sync[0], &master, 1) == 0 { terminal = TerminalRelay(master: master) }
        }

        // The child reports a failed setup (or execve) on the error pipe; EOF means the command runs.
        let failure = readSetupError(errors[0])
        StartupTrace.mark("sandbox setup in the child until execve of the command")
        if let failure {
            var st: Int32 = 0
            _ = waitpid(pid, &st, 0)
            let reason = "\(failure.step): \(String(cString: strerror(failure.err)))"
            if failure.step.hasPrefix("execve ") {
                throw failure.err == ENOENT ? .commandNotFound(plan.arguments.first ?? plan.executable)
                                            : .commandNotExecutable(reason)
            }
            throw .setup(reason)
        }
        if wantsTerminal && terminal == nil { throw abort("the sandbox did not hand over its terminal") }
        // Then the egress listeners it opened in its network namespace: the proxy serves them.
        // The proxy itself starts at the first connection (see DeferredEgress); its configuration
        // is checked now: no valid proxy, no run.
        let egress: DeferredEgress
        var inspection: (inspector: RequestInspector, desk: ApprovalDesk?, server: ApprovalServer?)? = nil
        do {
            var fds = [Int32](repeating: -1, count: 2 + plan.egress.transparentPorts.count)
            guard il_recv_fds(sync[0], &fds, Int32(fds.count)) == 0 else { throw SystemCallError("receive the egress listeners") }
            inspection = try startInspection(terminal: terminal != nil)
            let crash = Self.testFault == "proxy-crash" ? [fds[0]] + fds.dropFirst(2) : []
            let proxy = try EgressProxy(rules: plan.egress.rules, hosts: plan.egress.hosts, inspector: inspection?.inspector,
                                        audit: egressRecorder(crashingListeners: crash))
            let transparent = zip(fds.dropFirst(2), plan.egress.transparentPorts).map { (fd: $0, port: Int($1)) }
            egress = DeferredEgress(proxy: proxy, listeners: fds) { proxy in
                try proxy.start(httpListener: fds[0], transparentListeners: transparent,
                                dnsSocket: fds[1], syntheticAddress: EgressPlan.syntheticBlock)
            }
        } catch {
            throw abort("egress proxy: \(error)")
        }
        defer { egress.shutdown() }
        // Before the proxy stops: a held request is answered (refused) while its loop still runs.
        defer {
            inspection?.desk?.refuseAll(by: "the run ended")
            inspection?.server?.shutdown()
        }

        // The worker hands over the filter's listener just before execve (after the terminal).
        var auditor: SyscallAuditor? = nil
        if plan.notify {
            var listener: Int32 = -1
            guard il_recv_fds(sync[0], &listener, 1) == 0 else { throw abort("the sandbox did not hand over its seccomp listener") }
            let a = SyscallAuditor(listener: listener, sandbox: runID, log: audit,
                                   protectedWrites: ProtectedWrites(plan: plan.mounts),
                                   unixSockets: plan.unixSocketConnections, decide: Self.decider(plan.syscallRules))
            do { try a.start() } catch { throw abort("\(error)") }
            auditor = a
        }

        StartupTrace.mark("seccomp listener received")
        var code = relay(pid: pid, pidfd: pidfd, statusPipe: status[0], signalPipe: signalPipe, terminal: terminal, watcher: watcher,
                         egress: egress)
        watcher?.drain()
        let lateSecrets = secretsGuard?.finish() ?? [:]
        StartupTrace.mark("the command ran")
        let summary = auditor?.finish()
        let blocked = summary?.bySyscall ?? [:], protectedWrites = summary?.protectedWrites ?? [:]
        // Refused unix socket connections are refused connections, by path.
        for (path, count) in summary?.unixSockets ?? [:] {
            refusedConnections.state.withLock { $0.counts["unix:\(path)", default: 0] += count }
        }
        inspection?.desk?.refuseAll(by: "the run ended")
        egress.shutdown()
        writeConnectionAggregates()
        let swept = WorkspaceSweep(plan: plan.mounts, runStart: plan.runStart,
                                   quarantine: WorkspaceSweep.quarantineDirectory(runID: runID)).run(log: audit, sandbox: runID)
        // A protected path that was absent could not be mounted read-only; if the run created
        // it (and the sweep left it), the user must hear of it before anything outside runs it.
        let created = plan.mounts.watched.filter { access($0.path, F_OK) == 0 }
        for c in created {
            audit?.append(AuditRecord(sandbox: runID, kind: .file, action: "created", rule: "protected",
                                      detail: [("path", .string(c.path)), ("reason", .string(c.reason))]))
        }
        audit?.append(AuditRecord(sandbox: runID, kind: .lifecycle, action: "exit", detail: [
            ("exit_code", .int(Int64(code))),
            ("blocked_syscalls", .object(blocked.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("hidden_path_opens", .int(Int64(watcher?.count ?? 0))),
            ("late_secret_refusals", .object(lateSecrets.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("protected_writes", .object(protectedWrites.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
            ("refused_connections", .object(connectionRefusals.sorted { $0.key < $1.key }.map { ($0.key, .int(Int64($0.value))) })),
        ]))
        if let reason = audit?.failed ?? secretsGuard?.failure {
            var line = "interlock: \(reason): the sandbox was stopped\n"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            code = 125
        }
        return Outcome(exitCode: code, runID: runID, hiddenPaths: plan.mounts.hiddenPaths, blockedSyscalls: blocked, auditPath: audit?.path,
                       createdProtected: created, hiddenPathOpens: watcher?.count ?? 0,
                       refusedConnections: connectionRefusals, protectedWrites: protectedWrites,
                       refusedRequests: requestRefusals, lateSecrets: lateSecrets, swept: swept)
    }

    /// The secrets guard, for runs whose supervisor may hold opens (root-invoked): a run that
    /// should have one and cannot start it does not run.
    private func startSecretsGuard() throws(LaunchError) -> SecretsGuard? {
        guard let judge = plan.secretsJudge, plan.identity.privileged else { return nil }
        if Self.testFault == "no-secrets-guard" {
            // `make bench` measures the guard's cost against the same run without it: said, never silent.
            var line = "interlock: INTERLOCK_TEST_FAULT=no-secrets-guard: the secrets view is fixed at start for this run\n"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            return nil
        }
        // A mount namespace made inside copies the mounts without their marks. A profile that grants
        // that (or learn mode, which lets refused calls run) chose it: said at start, never silent.
        let grants = ["unshare", "clone"].filter { call in
            if case .allowed = plan.syscallRules.evaluate(syscall: call, arguments: [Self.newMountNamespace, 0, 0, 0, 0, 0]) {
                return true
            }
            return plan.syscallRules.mode == .learn
        }
        if let call = grants.first {
            var line = "interlock: warning: this run lets the sandbox create mount namespaces (\(call)\(plan.syscallRules.mode == .learn ? ", learn mode" : "")); "
                + "files opened inside one are judged against the secrets view of the start only\n"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        }
        do {
            return try SecretsGuard(judge: judge, sandbox: runID, log: audit, fault: Self.testFault == "secrets-guard")
        } catch {
            throw .setup("\(error): credentials that appear on the host during the run could not be kept hidden. "
                         + "The kernel needs fanotify permission events (CONFIG_FANOTIFY_ACCESS_PERMISSIONS); "
                         + "see `interlock doctor`")
        }
    }

    /// Connections refused by the egress proxy (exact), for the summary.
    /// Refusals per target (exact), and the first record of each, for aggregates: like syscalls,
    /// the first `fullRecords` identical refusals are written in full, the rest counted.
    private final class Tally: Sendable {
        struct State { var counts: [String: Int] = [:]; var samples: [String: AuditRecord] = [:] }
        let state = Mutex(State())
    }
    private let refusedConnections = Tally()
    public var connectionRefusals: [String: Int] { refusedConnections.state.withLock { $0.counts } }

    /// Aggregate records for refusals beyond the first `fullRecords` of a target.
    private func writeConnectionAggregates() {
        let (counts, samples) = refusedConnections.state.withLock { ($0.counts, $0.samples) }
        RefusalAggregates.write(counts: counts, samples: samples, what: "refusals", to: audit)
    }

    /// TLS inspection (request rules, credential broker, approvals), when the profile asks for it.
    private func startInspection(terminal: Bool) throws -> (inspector: RequestInspector, desk: ApprovalDesk?, server: ApprovalServer?)? {
        guard let plan = plan.egress.inspection else { return nil }
        var desk: ApprovalDesk?
        var server: ApprovalServer?
        if let socket = plan.approvalSocket {
            let prompt = self.prompt
            let held = ApprovalDesk(runID: runID) { held, timeout in
                if terminal { return prompt.ask(held, timeout: timeout) }
                var line = "\r\ninterlock: held for approval: \(held.summary)\r\n"
                line += "interlock:   interlock approve \(held.id)   |   interlock deny \(held.id)   (refused in \(timeout) s)\r\n"
                line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            }
            server = try ApprovalServer(path: socket, desk: held)
            desk = held
            prompt.attach(held)
        }
        let inspector = try RequestInspector(settings: plan.settings, authority: plan.authority, desk: desk, audit: inspectRecorder())
        return (inspector, desk, server)
    }

    /// Inspected requests become audit records (`request`).
    private func inspectRecorder() -> @Sendable (InspectEvent) -> Void {
        let log = audit, sandbox = runID, counter = refusedRequests
        return { e in
            var detail: [(String, JSONValue)] = [("host", .string(e.host)), ("method", .string(e.method)), ("path", .string(e.path)),
                                                 ("what", .string(e.what)), ("connection", .int(Int64(e.connectionID)))]
            if let r = e.reason { detail.append(("reason", .string(r))) }
            if let d = e.decidedBy { detail.append(("decided_by", .string(d))) }
            if let id = e.requestID { detail.append(("request_id", .string(id))) }
            if !e.injected.isEmpty { detail.append(("injected", .array(e.injected.map { .string($0) }))) }
            if e.action == "deny" || e.action == "refuse" {
                counter.state.withLock { $0.counts["\(e.what) on \(e.host)", default: 0] += 1 }
            }
            log?.append(AuditRecord(sandbox: sandbox, kind: .request, action: e.action, rule: e.rule, detail: detail))
        }
    }
    private let refusedRequests = Tally()
    private let prompt = TerminalPrompt()
    public var requestRefusals: [String: Int] { refusedRequests.state.withLock { $0.counts } }

    /// Test-only fault injection, from the supervisor's own environment (the sandbox's never
    /// carries INTERLOCK_TEST_*): `INTERLOCK_TEST_FAULT=proxy-crash` makes the egress proxy's
    /// listeners fail once its first connection has closed, as a crashed proxy would
    /// (Tests/Adversarial/test_faults.py).
    static let testFault: String? = getenv("INTERLOCK_TEST_FAULT").map { String(cString: $0) }

    /// Egress events become audit records (`connect`); refusals are also counted.
    private func egressRecorder(crashingListeners: [Int32] = []) -> @Sendable (EgressEvent) -> Void {
        let log = audit, sandbox = runID, counter = refusedConnections
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

    /// Answers a notified call the way the rules say. The filter only notifies calls the rules
    /// refuse; should the two ever disagree, the call is refused (fail closed).
    /// CLONE_NEWNS | CLONE_NEWUSER (not exported by Swift's Glibc module).
    static let newMountNamespace: UInt64 = 0x0002_0000 | 0x1000_0000

    static func decider(_ rules: SyscallRuleSet) -> SyscallAuditor.Decide {
        { _, number, arguments in
            let rule: SyscallRule
            switch rules.evaluate(syscallNumber: number, arguments: arguments) {
            case .denied(let r): rule = r
            case .silentErrno(let e, let r): return SyscallDecision(response: .fail(e), rule: r.label)
            case .allowed:
                if rules.isWatched(syscall: SyscallNames.name(number), arguments: arguments) {
                    return SyscallDecision(response: .inspect, rule: "protected paths")
                }
                return SyscallDecision(response: .fail(EPERM), rule: "filter (rules disagree: refused)")
            }
            let name = rule.label
            if rules.mode == .learn { return SyscallDecision(response: .proceed, rule: name) }
            switch rules.onDeny {
            case .kill: return SyscallDecision(response: .killProcess, rule: name)
            case .errno(let e): return SyscallDecision(response: .fail(ErrnoNames.value(of: e) ?? EPERM), rule: name)
            }
        }
    }

    private struct SetupFailure { var err: Int32; var step: String }

    private func readSetupError(_ fd: Int32) -> SetupFailure? {
        var record = il_setup_error()
        let size = MemoryLayout<il_setup_error>.size
        var got = 0
        while got < size {
            let n = withUnsafeMutableBytes(of: &record) { read(fd, $0.baseAddress! + got, size - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            got += n
        }
        guard got == size else { return nil }
        let step = withUnsafeBytes(of: record.step) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return SetupFailure(err: record.err, step: step)
    }

    /// The supervisor's loop while the command runs. Returns the exit code to propagate.
    private func relay(pid: pid_t, pidfd: Int32, statusPipe: Int32, signalPipe: Int32, terminal: TerminalRelay?,
                       watcher: HiddenPathWatcher?, egress: DeferredEgress) -> Int32 {
        terminal?.enterRawMode()
        defer { terminal?.restore() }
        var waitStatus: Int32? = nil
        var pendingInput: [UInt8] = []
        var inputOpen = terminal?.input != nil
        var masterOpen = terminal != nil
        var initAlive = true
        // Init closes the status pipe when it exits, before its pid namespace has emptied and its
        // pidfd turns readable: a pipe at EOF is dropped from the poll set, or the loop would spin
        // through the teardown, taking a core from the kernel doing it.
        var statusOpen = true
        var buffer = [UInt8](repeating: 0, count: 65536)

        while initAlive {
            var fds = [pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: statusOpen ? statusPipe : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signalPipe, events: Int16(POLLIN), revents: 0)]
            if let t = terminal, masterOpen {
                fds.append(pollfd(fd: t.master, events: Int16(POLLIN) | (pendingInput.isEmpty ? 0 : Int16(POLLOUT)), revents: 0))
            }
            if let w = watcher { fds.append(pollfd(fd: w.fd, events: Int16(POLLIN), revents: 0)) }
            for fd in egress.listeners { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if let t = terminal, let input = t.input, inputOpen, pendingInput.count < 65536 {
                fds.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0))
            }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 { if errno == EINTR { continue }; break }

            for p in fds where p.revents != 0 {
                switch p.fd {
                case statusPipe:
                    if let event = readEvent(statusPipe) {
                        if event.kind == IL_EVENT_EXITED.rawValue { waitStatus = event.status }
                        else if event.kind == IL_EVENT_STOPPED.rawValue { suspendWithSandbox(terminal: terminal) }
                    } else {
                        statusOpen = false
                    }
                case signalPipe:
                    var signo: UInt8 = 0
                    while read(signalPipe, &signo, 1) == 1 {
                        switch Int32(signo) {
                        case SIGWINCH: terminal?.syncSize()
                        case SIGCONT:
                            terminal?.enterRawMode()
                            terminal?.syncSize()
                            _ = il_pidfd_send_signal(pidfd, SIGCONT)
                        default: _ = il_pidfd_send_signal(pidfd, Int32(signo))
                        }
                    }
                case pidfd:
                    initAlive = false
                case watcher?.fd:
                    watcher?.drain()
                case _ where egress.listeners.contains(p.fd):
                    egress.startServing()
                default:
                    guard let t = terminal else { break }
                    if p.fd == t.master {
                        if p.revents & Int16(POLLOUT) != 0, !pendingInput.isEmpty {
                            let n = pendingInput.withUnsafeBytes { write(t.master, $0.baseAddress, $0.count) }
                            if n > 0 { pendingInput.removeFirst(n) }
                        }
                        if p.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                            masterOpen = drainMaster(t.master, into: &buffer)
                        }
                    } else if let input = t.input, p.fd == input {
                        let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
                        if n > 0 { pendingInput.append(contentsOf: prompt.consume(buffer[0..<n])) } else if n == 0 || errno != EINTR && errno != EAGAIN { inputOpen = false }
                    }
                }
            }
        }
        // Init is gone, and with it every process of the sandbox: flush what they wrote.
        if let t = terminal, masterOpen { _ = drainMaster(t.master, into: &buffer) }
        while waitStatus == nil, let event = readEvent(statusPipe) {
            if event.kind == IL_EVENT_EXITED.rawValue { waitStatus = event.status }
        }
        var initStatus: Int32 = 0
        while waitpid(pid, &initStatus, 0) < 0 && errno == EINTR {}
        guard let status = waitStatus else {
            // Init died without reporting (killed from outside): report it as the signal it got.
            return Self.exitCode(fromWaitStatus: initStatus)
        }
        return Self.exitCode(fromWaitStatus: status)
    }

    /// Copies the sandbox terminal's output to the user's stdout; false once the PTY is closed.
    private func drainMaster(_ master: Int32, into buffer: inout [UInt8]) -> Bool {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(master, $0.baseAddress, $0.count) }
            if n > 0 {
                _ = buffer.withUnsafeBytes { FileIO.writeAll(1, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                continue
            }
            if n < 0 && errno == EINTR { continue }
            return n < 0 && errno == EAGAIN
        }
    }

    private func readEvent(_ fd: Int32) -> il_status_event? {
        var event = il_status_event()
        let n = withUnsafeMutableBytes(of: &event) { read(fd, $0.baseAddress, $0.count) }
        return n == MemoryLayout<il_status_event>.size ? event : nil
    }

    /// The command stopped (Ctrl-Z in the sandbox's terminal): give the user their terminal
    /// back and stop the supervisor too, so the user's shell sees the job stopped. `fg` sends
    /// SIGCONT, which the loop relays to the sandbox.
    private func suspendWithSandbox(terminal: TerminalRelay?) {
        guard terminal?.input != nil else { return }
        terminal?.restore()
        kill(getpid(), SIGSTOP)
    }

    public static func exitCode(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }
        return 128 + signal
    }
}

/// Kills the sandbox (through its pidfd) from any thread until disarmed.
private final class SandboxStopper: Sendable {
    private let pidfd: Mutex<Int32>
    init(pidfd: Int32) { self.pidfd = Mutex(pidfd) }
    func stop() { pidfd.withLock { if $0 >= 0 { _ = il_pidfd_send_signal($0, SIGKILL) } } }
    func disarm() { pidfd.withLock { $0 = -1 } }
}

extension CgroupHost {
    static func cleanupStale(_ host: CgroupHost) { RunCgroups.collectStale(host: host) }
}
