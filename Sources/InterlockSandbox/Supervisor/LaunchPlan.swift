#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockEgress
import InterlockProfile
import InterlockSeccomp
import InterlockSecrets

/// Everything the child needs, decided in the supervisor before clone: the C side only
/// carries it out.
public struct LaunchPlan: Sendable {
    public var identity: Identity
    public var mounts: MountPlan
    public var seccomp: SeccompProgram
    /// The rules the filter was compiled from: the supervisor decides notified calls with them.
    public var syscallRules: SyscallRuleSet
    /// Refused syscalls go to the supervisor (seccomp user notification) to be recorded.
    public var notify: Bool
    /// Unix socket connections the supervisor allows (with `notify`).
    public var unixSocketConnections: UnixSocketConnections
    public var keepCapabilities: UInt64
    public var egress: EgressPlan
    public var rlimits: [(resource: Int32, value: UInt64)]
    public var limits: LimitsPolicy
    public var executable: String
    public var arguments: [String]
    public var environment: [String]
    public var workingDirectory: String
    public var hostname: String
    /// Discovery's rules for files as they are opened (the secrets guard), when discovery is on.
    public var secretsJudge: SecretJudge?
    /// Before anything of the run exists: what the run writes has a later ctime (WorkspaceSweep).
    public var runStart: timespec = ProtectedPatterns.now()

    /// New user, mount, pid, ipc, uts and network namespaces; the cgroup namespace is entered
    /// by the child once the supervisor has placed it in its cgroups.
    static let namespaceFlags: UInt64 = il_namespace_flags()

    /// `secrets`: what discovery found (masked unless granted; its environment replaces the caller's).
    /// `runID`: the sandbox sees it as `INTERLOCK_SANDBOX`.
    public static func make(policy: Policy, workspace: String, workingDirectory: String, command: [String],
                            environment: [String], home: String, cgroups: CgroupHost,
                            secrets: SecretsReport? = nil, runID: String) throws(LaunchError) -> LaunchPlan {
        guard let name = command.first, !name.isEmpty else { throw .invalid("no command given: interlock run [options] -- COMMAND [ARGS…]") }
        let identity = Identity.forCaller(workspace: workspace)
        let discovered = (secrets?.hidden ?? []).map { secret in
            MountPlan.Step(kind: secret.kind == .directory ? .hideDirectory : .hideFile, source: nil, target: secret.path,
                           origin: "secrets: \(secret.rule)")
        }
        var mounts = try MountPlan.build(policy: policy, workspace: workspace, home: home, privileged: identity.privileged,
                                         extraMasks: discovered)
        StartupTrace.mark("mount plan")
        // Without user notification the filter still refuses, but nothing could be recorded.
        let notify = il_seccomp_user_notif_available() == 1
        var rules: SyscallRuleSet, seccomp: SeccompProgram
        do {
            rules = try SeccompCompiler.ruleSet(for: policy)
            // Writes near protected paths go past the supervisor, to be recorded (see ProtectedWrites).
            if !ProtectedWrites(plan: mounts).isEmpty { rules.watches = ProtectedWrites.watchRules() }
            // And connections to unix sockets (see UnixSocketConnections), and xattr setters.
            rules.watches += UnixSocketConnections.watchRules() + PrivilegedXattrs.watchRules()
            seccomp = try SeccompCompiler.compile(rules, notify: notify)
        } catch { throw .invalid(error.message) }
        StartupTrace.mark("seccomp rules and compile")
        let keep = try Capabilities.mask(policy.capabilities.keep)
        let egress = try EgressPlan.make(policy: policy)
        let writable = mounts.steps.filter { $0.kind == .bindReadWrite || $0.kind == .preparedReadWrite }.map(\.target)
        mounts.steps = MountPlan.ordered(mounts.steps + UnixSockets.masks(granted: policy.network.unixSockets, identity: identity,
                                                                           home: home, workspace: workspace, writable: writable))
        // The sandbox's own name resolves (getaddrinfo(gethostname()), the JVM's getLocalHost).
        if let hosts = PathResolution.resolve("/etc/hosts", workspace: "/", home: "/").real {
            mounts.steps.append(MountPlan.Step(kind: .generatedFile, source: "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tinterlock\n",
                                               target: hosts, origin: "network"))
        }
        if let resolv = PathResolution.resolve("/etc/resolv.conf", workspace: "/", home: "/").real {
            mounts.steps.append(MountPlan.Step(kind: .generatedFile, source: EgressPlan.resolvConf, target: resolv, origin: "network"))
        }

        var rlimits: [(Int32, UInt64)] = []
        let limits = policy.limits
        if let files = limits.openFiles { rlimits.append((il_rlimit_number("nofile"), UInt64(files))) }
        if let memory = limits.memory, cgroups.mechanism(for: "memory") == .rlimit {
            rlimits.append((il_rlimit_number("as"), memory))
        }
        if let pids = limits.pids, cgroups.mechanism(for: "pids") == .rlimit {
            rlimits.append((il_rlimit_number("nproc"), UInt64(pids)))
        }
        if limits.cpu != nil, cgroups.mechanism(for: "cpu") == .unavailable {
            throw .setup("limits.cpu needs a cpu cgroup controller, which this host does not offer to this user (see `interlock doctor`)")
        }
        let executable = try resolveCommand(name, workingDirectory: workingDirectory, environment: environment,
                                            reachable: { identity.privileged ? MountPlan.reachableByOthers($0, binds: mounts) : true })
        let sockets = UnixSocketConnections(granted: policy.network.unixSockets, identity: identity, workspace: workspace, home: home)
        return LaunchPlan(identity: identity, mounts: mounts, seccomp: seccomp, syscallRules: rules, notify: notify,
                          unixSocketConnections: sockets,
                          keepCapabilities: keep, egress: egress, rlimits: rlimits, limits: limits,
                          executable: executable, arguments: command,
                          environment: sandboxEnvironment(caller: secrets?.keptEnvironment ?? environment, policy: policy, runID: runID),
                          workingDirectory: workingDirectory, hostname: "interlock",
                          secretsJudge: policy.secrets.discover
                              ? SecretJudge(home: PathResolution.resolve(home, workspace: workspace, home: home).real ?? home, workspace: workspace, environment: environment,
                                            policy: policy.secrets, cacheDirectory: secrets?.cacheDirectory)
                              : nil)
    }

    /// What the command sees: the caller's environment less what discovery scrubbed, the
    /// profile's `set_env` (which replaces whatever the caller had under those names), the run's
    /// id, and the proxy settings.
    static func sandboxEnvironment(caller: [String], policy: Policy, runID: String) -> [String] {
        let set = policy.secrets.setEnv
        let kept = caller.filter { set[String($0.prefix { $0 != "=" })] == nil }
        return EgressPlan.apply(to: kept + set.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                                    + ["INTERLOCK_SANDBOX=\(runID)"])
    }

    /// execvp's search, done here so the child only calls execve.
    /// `reachable`: whether the sandbox's uid can reach the candidate (a root caller's PATH may
    /// lead through directories only root can enter, such as /root/.pyenv).
    static func resolveCommand(_ name: String, workingDirectory: String, environment: [String],
                               reachable: (String) -> Bool = { _ in true }) throws(LaunchError) -> String {
        if name.contains("/") {
            let path = name.hasPrefix("/") ? name : workingDirectory + "/" + name
            guard access(path, F_OK) == 0 else { throw .commandNotFound(name) }
            return path
        }
        let pathVariable = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) }
            ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        for dir in pathVariable.split(separator: ":", omittingEmptySubsequences: false) {
            let base = dir.isEmpty ? workingDirectory : (dir.hasPrefix("/") ? String(dir) : workingDirectory + "/" + dir)
            let candidate = base + "/" + name
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0, reachable(candidate) {
                return candidate
            }
        }
        throw .commandNotFound(name)
    }
}
