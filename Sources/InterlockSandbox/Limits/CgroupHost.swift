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
