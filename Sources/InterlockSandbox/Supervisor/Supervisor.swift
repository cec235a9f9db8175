#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockProfile
import InterlockEgress
import InterlockSystem

/// Runs one command in a sandbox and stays with it until it ends. A run is five phases, in
/// this order: prepare (signals, channels, watchers, the C launch spec), spawn (clone3 into
/// new namespaces), handshake (maps, mounts, cgroups, watches, terminal, egress, the seccomp
/// listener, while the child waits), supervise (the event loop, until init is gone) and
/// teardown (counts, sweep, exit record).
public final class Supervisor {
    private let plan: LaunchPlan
    private let cgroupHost: CgroupHost
    public let runID: String
    private let recorder: RunRecorder
    private let prompt = TerminalPrompt()

    /// Writes the run's start record to `log` (policy hash, command): every refusal follows it.
    public init(plan: LaunchPlan, policy: Policy, cgroupHost: CgroupHost, runID: String, log: AuditLog?) {
        self.plan = plan
        self.cgroupHost = cgroupHost
        self.runID = runID
        recorder = RunRecorder(log: log, runID: runID)
        recorder.start(policy: policy, plan: plan)
    }

    public static func newRunID() -> String {
        let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Signals the supervisor relays to the sandbox (SIGWINCH, SIGCONT are handled here too).
    static let relayedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGTSTP]

    /// Test-only fault injection, from the supervisor's own environment (the sandbox's never
    /// carries INTERLOCK_TEST_*): `proxy-crash` makes the egress proxy's listeners fail once its
    /// first connection has closed, as a crashed proxy would (Tests/Adversarial/test_faults.py);
    /// `no-secrets-guard` and `secrets-guard`: see SecretsGuard.forRun.
    static let testFault: String? = getenv("INTERLOCK_TEST_FAULT").map { String(cString: $0) }

    public func run() throws(LaunchError) -> Outcome {
        // Prepare.
        let signalPipe = try installSignalRelay()
        let channels = try ChildChannels()
        defer { channels.closeSupervisorEnds() }
        let wantsTerminal = TerminalRelay.wanted
        let hides = plan.mounts.steps.filter { $0.kind == .hideFile || $0.kind == .hideDirectory }
        let watcher = hides.isEmpty ? nil : HiddenPathWatcher(sandbox: runID, log: recorder.log)
        let secretsGuard = try SecretsGuard.forRun(plan: plan, runID: runID, log: recorder.log, fault: Self.testFault)
        var launch = LaunchSpec(plan: plan, channels: channels, terminal: wantsTerminal)
        StartupTrace.mark("audit log, channels")

        // Spawn.
        let child = try SandboxChild.spawn(&launch, channels: channels)
        StartupTrace.mark("clone3 into new namespaces")
        defer { child.release() }
        // From here on, a record that cannot be written stops the sandbox (the run then ends
        // with 125 and says why).
        recorder.log?.onFailure { _ in child.stopper.stop() }

        // Handshake. Cgroups are created once the child exists, just before it is placed: on
        // cgroup v1 the first cgroup operation waits out an RCU grace period that started at
        // launch (CgroupHost.startWarmingMigrations), and everything before it overlaps that.
        var cgroups: RunCgroups? = nil
        defer { cgroups?.remove() }
        try sendMounts(child: child, channels: channels)
        cgroups = try placeInCgroups(child: child)
        try watchFinalView(child: child, channels: channels, hides: hides, watcher: watcher, secretsGuard: secretsGuard)
        let terminal = try receiveTerminal(child: child, channels: channels, wanted: wantsTerminal)
        try waitForExec(child: child, channels: channels, terminal: terminal, wanted: wantsTerminal)
        let (egress, inspection) = try startEgress(child: child, channels: channels, terminal: terminal != nil)
        defer { egress.shutdown() }
        // Before the proxy stops: a held request is answered (refused) while its loop still runs.
        defer { inspection?.end() }
        let auditor = try startSyscallAuditor(child: child, channels: channels)
        StartupTrace.mark("seccomp listener received")

        // Supervise.
        let code = EventLoop(child: child, channels: channels, signalPipe: signalPipe, terminal: terminal, watcher: watcher,
                             egress: egress, prompt: prompt).run()

        // Teardown.
        return tearDown(code: code, watcher: watcher, secretsGuard: secretsGuard, auditor: auditor, egress: egress,
                        inspection: inspection)
    }

    // MARK: Prepare

    private func installSignalRelay() throws(LaunchError) -> Int32 {
        _ = il_ignore_signal(SIGPIPE)
        // The start record could not be written (disk full, read-only): nothing runs unrecorded.
        if let reason = recorder.log?.failed { throw .setup(reason) }
        let signals = Self.relayedSignals + [SIGWINCH, SIGCONT]
        let signalPipe = signals.withUnsafeBufferPointer { il_signal_pipe($0.baseAddress, Int32($0.count)) }
        guard signalPipe >= 0 else { throw .setup("cannot install signal handlers") }
        return signalPipe
    }

    // MARK: Handshake

    /// The uid/gid maps, then the idmapped mounts the child cannot make itself, then "go".
    private func sendMounts(child: SandboxChild, channels: ChildChannels) throws(LaunchError) {
        let prepared = plan.mounts.steps.filter { $0.kind.isPrepared }
        do {
            try plan.identity.writeMaps(pid: child.pid)
            var mountFds: [Int32] = []
            defer { for fd in mountFds { close(fd) } }
            if !prepared.isEmpty {
                let userns = open("/proc/\(child.pid)/ns/user", O_RDONLY | O_CLOEXEC)
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
            let sent = mountFds.withUnsafeBufferPointer { il_send_fds(channels.sync.supervisor, $0.baseAddress, Int32($0.count)) }
            guard sent == 0 else { throw SystemCallError("hand the sandbox its mounts") }
        } catch {
            throw child.abort("\(error)")
        }
    }

    /// While the child builds its mounts: cgroup placement (slow on cgroup v1).
    private func placeInCgroups(child: SandboxChild) throws(LaunchError) -> RunCgroups? {
        do {
            RunCgroups.collectStale(host: cgroupHost)
            let l = plan.limits
            var cgroups: RunCgroups? = nil
            if l.memory != nil || l.pids != nil || l.cpu != nil {
                cgroups = try RunCgroups(host: cgroupHost, runID: runID, limits: l)
            }
            try cgroups?.add(pid: child.pid)
            StartupTrace.mark("cgroups created, placement")
            return cgroups
        } catch let e as LaunchError {
            throw child.abort(e.description)
        } catch {
            throw child.abort("cgroups: \(error)")
        }
    }

    /// The child stops once its view is final ("M"), so that its masks are watched, and the
    /// secrets guard holds, before anything of the command runs.
    private func watchFinalView(child: SandboxChild, channels: ChildChannels, hides: [MountPlan.Step],
                                watcher: HiddenPathWatcher?, secretsGuard: SecretsGuard?) throws(LaunchError) {
        var byte: UInt8 = 0
        guard recv(channels.sync.supervisor, &byte, 1, 0) == 1, byte == UInt8(ascii: "M") else { return }
        do {
            try watcher?.watch(hides, pid: child.pid)
            try secretsGuard?.watch(pid: child.pid, skipping: Set(plan.mounts.steps.filter(\.kind.holdsNothingOfTheHost).map(\.target)))
            try secretsGuard?.start { _ in child.stopper.stop() }
        } catch { throw child.abort("\(error)") }
        guard il_send_fds(channels.sync.supervisor, nil, 0) == 0 else { throw child.abort("resume the sandbox after its mounts") }
    }

    /// With a terminal, the child sends the PTY master once its devpts exists.
    private func receiveTerminal(child: SandboxChild, channels: ChildChannels, wanted: Bool) throws(LaunchError) -> TerminalRelay? {
        guard wanted else { return nil }
        var master: Int32 = -1
        return il_recv_fds(channels.sync.supervisor, &master, 1) == 0 ? TerminalRelay(master: master) : nil
    }

    /// The child reports a failed setup (or execve) on the error pipe; EOF means the command runs.
    private func waitForExec(child: SandboxChild, channels: ChildChannels, terminal: TerminalRelay?, wanted: Bool) throws(LaunchError) {
        let failure = channels.readSetupFailure()
        StartupTrace.mark("sandbox setup in the child until execve of the command")
        if let failure {
            _ = child.reap()
            let reason = "\(failure.step): \(String(cString: strerror(failure.err)))"
            if failure.step.hasPrefix("execve ") {
                throw failure.err == ENOENT ? .commandNotFound(plan.arguments.first ?? plan.executable)
                                            : .commandNotExecutable(reason)
            }
            throw .setup(reason)
        }
        if wanted && terminal == nil { throw child.abort("the sandbox did not hand over its terminal") }
    }

    /// The egress listeners the child opened in its network namespace: the proxy serves them.
    /// The proxy itself starts at the first connection (see DeferredEgress); its configuration
    /// is checked now: no valid proxy, no run.
    private func startEgress(child: SandboxChild, channels: ChildChannels, terminal: Bool)
        throws(LaunchError) -> (DeferredEgress, InspectionSession?) {
        var inspection: InspectionSession? = nil
        do {
            var fds = [Int32](repeating: -1, count: 2 + plan.egress.transparentPorts.count)
            guard il_recv_fds(channels.sync.supervisor, &fds, Int32(fds.count)) == 0 else {
                throw SystemCallError("receive the egress listeners")
            }
            if let settings = plan.egress.inspection {
                inspection = try InspectionSession(plan: settings, runID: runID, terminal: terminal, prompt: prompt,
                                                   events: recorder.requestEvents())
            }
            let crash = Self.testFault == "proxy-crash" ? [fds[0]] + fds.dropFirst(2) : []
            let proxy = try EgressProxy(rules: plan.egress.rules, hosts: plan.egress.hosts, inspector: inspection?.inspector,
                                        audit: recorder.egressEvents(crashingListeners: crash))
            let transparent = zip(fds.dropFirst(2), plan.egress.transparentPorts).map { (fd: $0, port: Int($1)) }
            let egress = DeferredEgress(proxy: proxy, listeners: fds) { proxy in
                try proxy.start(httpListener: fds[0], transparentListeners: transparent,
                                dnsSocket: fds[1], syntheticAddress: EgressPlan.syntheticBlock)
            }
            return (egress, inspection)
        } catch {
            inspection?.end()
            throw child.abort("egress proxy: \(error)")
        }
    }

    /// The child hands over the filter's listener just before execve (after the terminal).
    private func startSyscallAuditor(child: SandboxChild, channels: ChildChannels) throws(LaunchError) -> SyscallAuditor? {
        guard plan.notify else { return nil }
        var listener: Int32 = -1
        guard il_recv_fds(channels.sync.supervisor, &listener, 1) == 0 else {
            throw child.abort("the sandbox did not hand over its seccomp listener")
        }
        let auditor = SyscallAuditor(listener: listener, sandbox: runID, log: recorder.log,
                                     protectedWrites: ProtectedWrites(plan: plan.mounts),
                                     unixSockets: plan.unixSocketConnections, decide: SyscallDecider.make(plan.syscallRules))
        do { try auditor.start() } catch { throw child.abort("\(error)") }
        return auditor
    }

    // MARK: Teardown

    /// Init is gone, and every process of the sandbox with it: collect the exact counts, sweep
    /// the workspace, and write the exit record.
    private func tearDown(code: Int32, watcher: HiddenPathWatcher?, secretsGuard: SecretsGuard?, auditor: SyscallAuditor?,
                          egress: DeferredEgress, inspection: InspectionSession?) -> Outcome {
        watcher?.drain()
        let lateSecrets = secretsGuard?.finish() ?? [:]
        StartupTrace.mark("the command ran")
        let summary = auditor?.finish()
        let blocked = summary?.bySyscall ?? [:], protectedWrites = summary?.protectedWrites ?? [:]
        recorder.countUnixSocketRefusals(summary?.unixSockets ?? [:])
        inspection?.end()
        egress.shutdown()
        recorder.writeConnectionAggregates()
        let swept = WorkspaceSweep(plan: plan.mounts, runStart: plan.runStart,
                                   quarantine: WorkspaceSweep.quarantineDirectory(runID: runID)).run(log: recorder.log, sandbox: runID)
        // A protected path that was absent could not be mounted read-only; if the run created
        // it (and the sweep left it), the user must hear of it before anything outside runs it.
        let created = plan.mounts.watched.filter { access($0.path, F_OK) == 0 }
        for c in created { recorder.createdProtected(c) }
        var code = code
        recorder.exit(code: code, blocked: blocked, hiddenPathOpens: watcher?.count ?? 0, lateSecrets: lateSecrets,
                      protectedWrites: protectedWrites)
        if let reason = recorder.log?.failed ?? secretsGuard?.failure {
            var line = "interlock: \(reason): the sandbox was stopped\n"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            code = 125
        }
        return Outcome(exitCode: code, runID: runID, hiddenPaths: plan.mounts.hiddenPaths, blockedSyscalls: blocked,
                       auditPath: recorder.log?.path, createdProtected: created, hiddenPathOpens: watcher?.count ?? 0,
                       refusedConnections: recorder.connectionRefusals, protectedWrites: protectedWrites,
                       refusedRequests: recorder.requestRefusals, lateSecrets: lateSecrets, swept: swept)
    }
}
