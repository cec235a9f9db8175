#if canImport(Glibc)
import Glibc
#endif
import CInterlock

/// The C launch spec (`il_launch_spec`) for one run: the only place a `LaunchPlan` is turned
/// into what `il_spawn` reads. The child works on its own copy after clone, so the strings and
/// arrays only need to outlive the `il_spawn` call; `arena` holds them until then.
struct LaunchSpec {
    var spec = il_launch_spec()
    private let arena = CArena()

    init(plan: LaunchPlan, channels: ChildChannels, terminal: Bool) {
        var fdIndex: Int32 = 0
        let ops: [il_mount_op] = plan.mounts.steps.map { [arena] step in
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
        let stdio = terminal ? TerminalRelay.sandboxStdio : [0, 1, 2]
        spec.clone_flags = LaunchPlan.namespaceFlags
        spec.unshare_cgroup = 1
        spec.inner_uid = plan.identity.innerUid
        spec.inner_gid = plan.identity.innerGid
        spec.drop_groups = plan.identity.privileged ? 1 : 0
        spec.hostname = arena.string(plan.hostname)
        spec.sync_fd = channels.sync.child
        spec.supervisor_sync_fd = channels.sync.supervisor
        spec.error_fd = channels.errors.child
        spec.status_fd = channels.status.child
        spec.received_fd_count = fdIndex
        spec.mounts = arena.array(ops)
        spec.mount_count = Int32(ops.count)
        spec.cwd = arena.string(plan.workingDirectory)
        spec.stdio = (stdio[0], stdio[1], stdio[2])
        spec.pty = terminal ? 1 : 0
        spec.rlimits = arena.array(limits)
        spec.rlimit_count = Int32(limits.count)
        spec.tmpfs_size = plan.limits.memory ?? 0
        spec.filter = arena.array(plan.seccomp.bytes).map { UnsafeRawPointer($0) }
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
    }
}

/// C strings and arrays that must outlive the il_spawn call (the child works on its copy).
fileprivate final class CArena {
    private var allocations: [UnsafeMutableRawPointer] = []

    func string(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        allocations.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }

    func stringArray(_ list: [String]) -> UnsafePointer<UnsafeMutablePointer<CChar>?> {
        let array = raw(MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (list.count + 1))
            .bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: list.count + 1)
        for (i, s) in list.enumerated() {
            let p = strdup(s)!
            allocations.append(UnsafeMutableRawPointer(p))
            array[i] = p
        }
        array[list.count] = nil
        return UnsafePointer(array)
    }

    func array<T>(_ items: [T]) -> UnsafePointer<T>? {
        guard !items.isEmpty else { return nil }
        let p = raw(MemoryLayout<T>.stride * items.count).bindMemory(to: T.self, capacity: items.count)
        p.initialize(from: items, count: items.count)
        return UnsafePointer(p)
    }

    private func raw(_ bytes: Int) -> UnsafeMutableRawPointer {
        let p = malloc(max(bytes, 1))!
        allocations.append(p)
        return p
    }

    deinit {
        for p in allocations { free(p) }
    }
}
