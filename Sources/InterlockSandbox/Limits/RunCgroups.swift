#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSystem

/// The cgroups of one run: created before the command starts, removed when it ends.
/// A supervisor killed outright cannot remove them; the next run removes any whose
/// supervisor is gone (`collectStale`). They are named after the supervisor's pid *and* start
/// time: on a busy host pids wrap (pid_max is often 32768) and a stale cgroup whose pid now
/// belongs to another process would otherwise never be collected.
final class RunCgroups {
    private(set) var directories: [String] = []
    private let name: String

    init(host: CgroupHost, runID: String, limits: LimitsPolicy) throws {
        name = "interlock-\(getpid())-\(ProcessStart.ticks() ?? 0)-\(runID)"
        do {
            if let memory = limits.memory, let (h, m) = host.hierarchy(for: "memory") {
                let dir = try make(h, m, controller: "memory", host: host)
                if m == .v2 {
                    try FileIO.write(dir + "/memory.max", "\(memory)")
                    if access(dir + "/memory.swap.max", F_OK) == 0 { try FileIO.write(dir + "/memory.swap.max", "0") }
                } else {
                    try FileIO.write(dir + "/memory.limit_in_bytes", "\(memory)")
                    if access(dir + "/memory.memsw.limit_in_bytes", F_OK) == 0 {
                        try FileIO.write(dir + "/memory.memsw.limit_in_bytes", "\(memory)")
                    }
                }
            }
            if let pids = limits.pids, let (h, m) = host.hierarchy(for: "pids") {
                let dir = try make(h, m, controller: "pids", host: host)
                try FileIO.write(dir + "/pids.max", "\(pids)")
            }
            if let cpu = limits.cpu {
                guard let (h, m) = host.hierarchy(for: "cpu") else {
                    throw LaunchError.setup("limits.cpu needs a cpu cgroup controller this host does not offer to this user (see `interlock doctor`)")
                }
                let dir = try make(h, m, controller: "cpu", host: host)
                let period = 100_000
                let quota = max(1000, Int((cpu * Double(period)).rounded()))
                if m == .v2 {
                    try FileIO.write(dir + "/cpu.max", "\(quota) \(period)")
                } else {
                    try FileIO.write(dir + "/cpu.cfs_period_us", "\(period)")
                    try FileIO.write(dir + "/cpu.cfs_quota_us", "\(quota)")
                }
            }
        } catch {
            remove()
            throw error
        }
    }

    private func make(_ h: CgroupHost.Hierarchy, _ m: CgroupHost.Mechanism, controller: String, host: CgroupHost) throws -> String {
        if m == .v2 {
            // Controllers must be enabled for children in the parent (no-op if already on).
            let control = h.directory + "/cgroup.subtree_control"
            if !(FileIO.read(control) ?? "").split(separator: " ").contains(where: { $0.trimmingSpaces == controller }) {
                try FileIO.write(control, "+\(controller)")
            }
        }
        let dir = h.directory + "/" + name
        if !directories.contains(dir) {
            if mkdir(dir, 0o755) != 0 && errno != EEXIST { throw SystemCallError("mkdir \(dir)") }
            directories.append(dir)
        }
        return dir
    }

    func add(pid: pid_t) throws {
        for dir in directories { try FileIO.write(dir + "/cgroup.procs", "\(pid)") }
    }

    /// Removes the run's cgroups. Processes of a finished pid namespace may take a moment to
    /// leave their cgroup, so EBUSY is retried briefly.
    func remove() {
        for dir in directories.reversed() {
            // Usually immediate; on a machine under heavy load the pid namespace can take
            // seconds to empty, so keep trying (5 ms steps for a second, then 100 ms steps).
            var removed = false
            for attempt in 0..<250 {
                if rmdir(dir) == 0 || errno == ENOENT { removed = true; break }
                if errno != EBUSY { break }
                usleep(attempt < 200 ? 5000 : 100_000)
            }
            if !removed {
                var line = "interlock: could not remove the cgroup \(dir) (\(String(cString: strerror(errno)))); the next run collects it\n"
                line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            }
        }
        directories.removeAll()
    }

    /// Removes cgroups left by supervisors that died without cleaning up.
    static func collectStale(host: CgroupHost) {
        var parents = Set(host.v1.values.map(\.directory))
        if let v2 = host.v2 { parents.insert(v2.directory) }
        for parent in parents {
            guard let dir = opendir(parent) else { continue }
            defer { closedir(dir) }
            while let entry = readdir(dir) {
                let entryName = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                guard entryName.hasPrefix("interlock-") else { continue }
                // interlock-PID-START-RUN (interlock-PID-RUN before start times were added).
                let parts = entryName.split(separator: "-")
                guard parts.count >= 3, let owner = pid_t(parts[1]) else { continue }
                let gone = kill(owner, 0) != 0 && errno == ESRCH
                let reused = parts.count >= 4 && UInt64(parts[2]).map { $0 != ProcessStart.ticks(of: String(owner)) } == true
                if gone || reused { rmdir(parent + "/" + entryName) }
            }
        }
    }
}
