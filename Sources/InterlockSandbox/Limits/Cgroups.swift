#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSystem

/// Which cgroup hierarchies this host offers and where the supervisor sits in them.
/// Hosts may be pure v2, pure v1, or hybrid (v1 controllers plus an empty v2 hierarchy):
/// each controller is used from whichever hierarchy actually has it.
public struct CgroupHost: Sendable {
    public enum Mechanism: String, Sendable { case v2 = "cgroup v2", v1 = "cgroup v1", rlimit = "rlimit", unavailable }

    struct Hierarchy: Sendable {
        var mountPoint: String
        var currentPath: String  // the supervisor's cgroup in it
        var directory: String { currentPath == "/" ? mountPoint : mountPoint + currentPath }
    }

    var v2: Hierarchy?
    var v2Controllers: Set<String> = []
    var v1: [String: Hierarchy] = [:]

    public static func detect() -> CgroupHost {
        var host = CgroupHost()
        var membership: [String: String] = [:]  // controller (or "" for v2) → path
        for line in (FileIO.read("/proc/self/cgroup") ?? "").split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if fields[0] == "0" && fields[1].isEmpty {
                membership[""] = String(fields[2])
            } else {
                for c in fields[1].split(separator: ",") { membership[String(c)] = String(fields[2]) }
            }
        }
        for line in (FileIO.read("/proc/self/mountinfo") ?? "").split(separator: "\n") {
            let halves = line.split(separator: " - ", maxSplits: 1)
            guard halves.count == 2 else { continue }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { continue }
            let mountPoint = String(left[4])
            if right[0] == "cgroup2", let path = membership[""] {
                host.v2 = Hierarchy(mountPoint: mountPoint, currentPath: path)
            } else if right[0] == "cgroup" {
                for option in right[2].split(separator: ",") {
                    let name = String(option)
                    if let path = membership[name] { host.v1[name] = Hierarchy(mountPoint: mountPoint, currentPath: path) }
                }
            }
        }
        if let v2 = host.v2 {
            let listed = FileIO.read(v2.directory + "/cgroup.controllers") ?? ""
            host.v2Controllers = Set(listed.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }
        return host
    }

    /// Starts paying, on a thread of its own, the RCU grace period that the first cgroup v1
    /// migration after a quiet spell waits for (10-16 ms on a small VM): moving this process into
    /// the cgroup it is already in takes the same global lock as placing the sandbox later, so
    /// by then the lock's fast path is open and placement takes a fraction of a millisecond.
    /// Does nothing where the caller may not write its own v1 cgroup (the sandbox then uses no
    /// v1 cgroup either).
    public static func startWarmingMigrations() {
        var tid = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        _ = pthread_create(&tid, &attributes, { _ in
            let host = CgroupHost.detect()
            guard let own = ["memory", "pids", "cpu"].compactMap({ host.v1[$0] }).first(where: { access($0.directory + "/cgroup.procs", W_OK) == 0 })
            else { return nil }
            try? FileIO.write(own.directory + "/cgroup.procs", "\(getpid())")
            return nil
        }, nil)
        pthread_attr_destroy(&attributes)
    }

    /// How a limit on `controller` is enforced here for this caller.
    public func mechanism(for controller: String) -> Mechanism {
        if let v2, v2Controllers.contains(controller), access(v2.directory, W_OK) == 0 { return .v2 }
        if let h = v1[controller], access(h.directory, W_OK) == 0 { return .v1 }
        return controller == "cpu" ? .unavailable : .rlimit
    }

    func hierarchy(for controller: String) -> (Hierarchy, Mechanism)? {
        switch mechanism(for: controller) {
        case .v2: v2.map { ($0, .v2) }
        case .v1: v1[controller].map { ($0, .v1) }
        default: nil
        }
    }
}

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

extension Substring {
    var trimmingSpaces: Substring {
        var s = self
        while let f = s.first, f == " " || f == "\n" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\n" { s = s.dropLast() }
        return s
    }
}
