#if canImport(Glibc)
import Glibc
#endif
import InterlockSystem

/// Who the sandbox is, inside and on the host.
///
/// Unprivileged caller: the sandbox runs as the caller (inside uid = host uid), the only
/// mapping an unprivileged process may write.
///
/// Root caller: the sandbox must not hold real-root power over anything outside its view
/// (global sysctls, cgroupfs, sysfs, root-owned unix sockets). So its single mapped id is a
/// fresh unprivileged host uid/gid, different for every run; inside it is the workspace owner,
/// and writable binds are idmapped (on-disk owner <-> that host uid) so the workspace stays
/// writable and new files keep their owner on disk. Every other host file appears as
/// nobody:nogroup and is reachable only through its "other" permission bits.
public struct Identity: Sendable, Equatable {
    public var hostUid: UInt32
    public var hostGid: UInt32
    public var innerUid: UInt32
    public var innerGid: UInt32
    /// Root caller: write "allow" to setgroups and drop supplementary groups in the child.
    public var privileged: Bool

    /// The range root-invoked sandboxes draw their host uid from: above the usual subuid
    /// ranges (100000–6553599 on most distributions) and below the overflow ids.
    public static let sandboxUidBase: UInt32 = 0x5f00_0000
    public static let sandboxUidSpan: UInt32 = 0x0100_0000

    public static func forCaller(workspace: String) -> Identity {
        let uid = geteuid(), gid = getegid()
        guard uid == 0 else {
            return Identity(hostUid: uid, hostGid: gid, innerUid: uid, innerGid: gid, privileged: false)
        }
        var st = stat()
        let (ownerUid, ownerGid): (UInt32, UInt32) = stat(workspace, &st) == 0 ? (st.st_uid, st.st_gid) : (0, 0)
        let id = sandboxUidBase + UInt32.random(in: 0..<sandboxUidSpan)
        return Identity(hostUid: id, hostGid: id, innerUid: ownerUid, innerGid: ownerGid, privileged: true)
    }

    /// Writes the child's uid/gid maps (and setgroups policy) from the supervisor.
    func writeMaps(pid: pid_t) throws {
        try FileIO.write("/proc/\(pid)/setgroups", privileged ? "allow" : "deny")
        try FileIO.write("/proc/\(pid)/gid_map", "\(innerGid) \(hostGid) 1\n")
        try FileIO.write("/proc/\(pid)/uid_map", "\(innerUid) \(hostUid) 1\n")
    }
}
