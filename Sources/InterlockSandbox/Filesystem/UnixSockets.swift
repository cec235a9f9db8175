#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockSeccomp
import InterlockSystem

/// Host unix sockets the sandbox could connect to. A socket stays connectable through a
/// read-only bind mount, so each bound socket the sandbox's uid could open for writing is
/// masked, unless the profile grants that one socket (`network.unix_sockets`). Abstract sockets
/// need nothing: they belong to the host's network namespace, which the sandbox is not in.
enum UnixSockets {
    /// Pathname sockets bound on the host right now (from /proc/net/unix), that exist as sockets.
    static func bound() -> [String] {
        guard let table = FileIO.read("/proc/net/unix") else { return [] }
        var paths = Set<String>()
        for line in table.split(separator: "\n").dropFirst() {
            // Seven fields, then the path, which may itself contain spaces.
            let fields = line.split(separator: " ", maxSplits: 7, omittingEmptySubsequences: true)
            guard fields.count == 8, fields[7].hasPrefix("/") else { continue }
            paths.insert(String(fields[7]))
        }
        // /proc/net/unix knows only this network namespace's sockets, under the name they were
        // bound with: sockets under /run (and /var/run) are found by looking at the files too.
        for root in ["/run", "/var/run"] { collect(in: root, depth: 4, into: &paths) }
        // The table holds paths as they were bound (through symlinks, possibly since renamed):
        // masks go on real paths.
        let real = paths.compactMap { PathResolution.resolve($0, workspace: "/", home: "/").real }
        return Set(real).filter { path in
            var st = stat()
            return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFSOCK
        }.sorted()
    }

    private static func collect(in directory: String, depth: Int, into paths: inout Set<String>) {
        guard depth > 0, let dir = opendir(directory) else { return }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard name != ".", name != ".." else { continue }
            let path = directory + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFSOCK: paths.insert(path)
            case S_IFDIR: collect(in: path, depth: depth - 1, into: &paths)
            default: break
            }
        }
    }

    /// Whether the sandbox's identity could connect (write permission on the socket inode, and
    /// every directory on the way searchable). A root caller's sandbox uid is "other" to all.
    static func reachable(_ path: String, identity: Identity) -> Bool {
        var current = ""
        let components = path.split(separator: "/")
        for (i, component) in components.enumerated() {
            current += "/" + component
            var st = stat()
            guard stat(current, &st) == 0 else { return false }
            let last = i == components.count - 1
            let need: mode_t = last ? 0o2 : 0o1  // write on the socket, search on directories
            let bits: mode_t
            if identity.privileged {
                bits = st.st_mode & 0o7
            } else if st.st_uid == identity.hostUid {
                bits = (st.st_mode >> 6) & 0o7
            } else if st.st_gid == identity.hostGid {
                bits = (st.st_mode >> 3) & 0o7
            } else {
                bits = st.st_mode & 0o7
            }
            if bits & need == 0 && !(identity.privileged == false && identity.hostUid == 0) { return false }
        }
        return true
    }

    /// Mask steps for reachable, ungranted sockets.
    /// A socket inside a writable bind is always masked: there the sandbox may be its owner
    /// (idmapped workspace), whatever the host's permission bits say.
    static func masks(granted: [String], identity: Identity, home: String, workspace: String,
                      writable: [String] = []) -> [MountPlan.Step] {
        let grants = Set(granted.compactMap { PathResolution.resolve($0, workspace: workspace, home: home).real })
        let owned = [workspace] + writable
        return bound().filter { path in
            !grants.contains(path) && (owned.contains { PathResolution.contains($0, path) } || reachable(path, identity: identity))
        }
            .map { MountPlan.Step(kind: .hideFile, source: nil, target: $0, origin: "network: unix socket not granted (network.unix_sockets)") }
    }
}
