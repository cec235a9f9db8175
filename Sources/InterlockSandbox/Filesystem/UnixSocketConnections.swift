#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockSeccomp
import InterlockSystem

/// Connections to pathname unix sockets, checked as they are made. Masks cover the host
/// sockets bound at launch; a socket bound later (a daemon started or restarted during the
/// run: unlink + bind detaches the mask) would be reachable through the read-only root. So
/// the filter refers `connect` and addressed `sendto` to the supervisor, which refuses any
/// pathname socket that is neither granted nor bound inside the sandbox itself.
/// Limits: the address is read from the caller's memory, which another thread could change
/// after the check; `sendmsg` with an address is not referred (it is the hot path of every
/// datagram socket). Masks stay the first line.
public struct UnixSocketConnections: Sendable {
    let granted: Set<String>
    let identity: Identity

    public init(granted: [String], identity: Identity, workspace: String, home: String) {
        self.granted = Set(granted.compactMap { PathResolution.resolve($0, workspace: workspace, home: home).real })
        self.identity = identity
    }

    /// What `refused` returns for an address that could not be read.
    public static let unreadable = "(an address the supervisor could not read)"

    /// connect, and sendto with a destination address.
    public static func watchRules() -> [SyscallRule] {
        [SyscallRule(syscall: "connect", action: .watch, origin: "unix sockets"),
         SyscallRule(syscall: "sendto", conditions: [.notEqual(4, 0)], action: .watch, origin: "unix sockets")]
    }

    /// The socket path this call would reach without a grant, if any. Called while the caller is blocked.
    public func refused(syscall: String, arguments: [UInt64], pid: pid_t) -> String? {
        let (address, length): (UInt64, UInt64)
        switch syscall {
        case "connect" where arguments.count > 2: (address, length) = (arguments[1], arguments[2])
        case "sendto" where arguments.count > 5: (address, length) = (arguments[4], arguments[5])
        default: return nil
        }
        var buffer = [UInt8](repeating: 0, count: 110)  // sizeof(struct sockaddr_un)
        let want = Int(min(length & 0xffff_ffff, UInt64(buffer.count)))
        guard want > 2 else { return nil }  // too short to name a path: the kernel refuses it
        // An address we cannot read is not let through on trust (the caller could map it before
        // the kernel reads it): refused as unreadable, which is what the kernel would say.
        guard buffer.withUnsafeMutableBytes({ il_read_remote(pid, address, $0.baseAddress, want) }) == want else {
            return Self.unreadable
        }
        guard UInt16(buffer[0]) | UInt16(buffer[1]) << 8 == UInt16(AF_UNIX) else { return nil }
        let name = buffer[2..<want].prefix { $0 != 0 }
        // Abstract (leading NUL) and unnamed sockets live in the sandbox's network namespace.
        guard buffer[2] != 0, !name.isEmpty, let path = CallerPath.absolute(String(decoding: name, as: UTF8.self), pid: pid) else { return nil }
        if granted.contains(path) || path.hasPrefix("/tmp/") { return nil }  // /tmp is the sandbox's own tmpfs
        // Only host sockets the sandbox could otherwise reach: a missing path (glibc probing for
        // nscd) or one its uid may not write (EACCES) is left to the kernel's own answer.
        var st = stat()
        guard lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK, UnixSockets.reachable(path, identity: identity) else { return nil }
        return Self.boundInside(path, pid: pid) ? nil : path
    }

    /// Whether a process of the sandbox bound `path` (its network namespace's /proc/net/unix,
    /// where a socket bound by a relative name appears under that name).
    static func boundInside(_ path: String, pid: pid_t) -> Bool {
        guard let table = FileIO.read("/proc/\(pid)/net/unix") else { return false }
        for line in table.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", maxSplits: 7, omittingEmptySubsequences: true)
            guard fields.count == 8 else { continue }
            let bound = fields[7]
            if bound.hasPrefix("/") ? bound == path : path.hasSuffix("/" + bound) { return true }
        }
        return false
    }
}
