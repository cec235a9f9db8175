#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import InterlockProfile

/// A compiled classic-BPF seccomp program, ready for seccomp(SECCOMP_SET_MODE_FILTER) in the
/// child. Compiled in the supervisor (libseccomp allocates; the child must not).
public struct SeccompProgram: Sendable, Equatable {
    /// `struct sock_filter` array, 8 bytes per instruction.
    public let bytes: [UInt8]
    public var instructionCount: Int { bytes.count / 8 }
    public let ruleCount: Int
}

public struct SeccompError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public var description: String { message }
}

/// Turns the `[syscalls]` policy into a filter. Always present, whatever the profile says:
/// terminal injection (TIOCSTI, TIOCLINUX) is refused, and syscalls of any architecture but
/// the native one (x32 numbers, 32-bit `int 0x80`) kill the process.
public enum SeccompCompiler {
    static let actionAllow: UInt32 = 0x7fff_0000
    static let actionKillProcess: UInt32 = 0x8000_0000
    static func actionErrno(_ e: Int32) -> UInt32 { 0x0005_0000 | (UInt32(e) & 0xffff) }

    /// Terminal ioctls that push input into a terminal or read its selection.
    static let TIOCSTI: UInt64 = 0x5412
    static let TIOCLINUX: UInt64 = 0x541C

    public static func syscallNumber(_ name: String) -> Int32? {
        let n = seccomp_syscall_resolve_name(name)
        return n == __NR_SCMP_ERROR ? nil : n
    }

    public static func compile(_ policy: SyscallPolicy) throws(SeccompError) -> SeccompProgram {
        guard let ctx = seccomp_init(actionAllow) else { throw SeccompError(message: "seccomp_init failed") }
        defer { seccomp_release(ctx) }
        // Other architectures' syscalls (and x32's numbers on x86_64) are not in this filter's
        // arch list: libseccomp sends them to the bad-arch action.
        guard seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, actionKillProcess) == 0,
              seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) == 0 else {
            throw SeccompError(message: "seccomp: cannot set filter attributes")
        }
        let denyAction: UInt32
        switch policy.onDeny {
        case .kill: denyAction = actionKillProcess
        case .errno(let name):
            guard let value = ErrnoNames.value(of: name) else {
                throw SeccompError(message: "syscalls.on_deny: unknown errno name '\(name)'")
            }
            denyAction = actionErrno(value)
        }
        var rules = 0
        for request in [TIOCSTI, TIOCLINUX] {
            // The kernel compares ioctl's request as 32 bits: mask so high bits cannot dodge the rule.
            var cmp = scmp_arg_cmp(arg: 1, op: SCMP_CMP_MASKED_EQ, datum_a: 0xffff_ffff, datum_b: request)
            guard let nr = syscallNumber("ioctl"), seccomp_rule_add_array(ctx, actionErrno(EPERM), nr, 1, &cmp) == 0 else {
                throw SeccompError(message: "seccomp: cannot add the terminal-injection rule")
            }
            rules += 1
        }
        for name in policy.deny {
            guard let nr = syscallNumber(name) else {
                throw SeccompError(message: "syscalls.deny: unknown syscall '\(name)'")
            }
            guard seccomp_rule_add_array(ctx, denyAction, nr, 0, nil) == 0 else {
                throw SeccompError(message: "syscalls.deny: cannot add a rule for '\(name)'")
            }
            rules += 1
        }
        for name in policy.allow where syscallNumber(name) == nil {
            throw SeccompError(message: "syscalls.allow: unknown syscall '\(name)'")
        }
        return SeccompProgram(bytes: try export(ctx), ruleCount: rules)
    }

    private static func export(_ ctx: scmp_filter_ctx) throws(SeccompError) -> [UInt8] {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SeccompError(message: "seccomp: pipe failed") }
        defer { close(fds[0]) }
        let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ: room for any filter, so export never blocks
        _ = fcntl(fds[1], setPipeSize, Int32(1 << 20))
        let rc = seccomp_export_bpf(ctx, fds[1])
        close(fds[1])
        guard rc == 0 else { throw SeccompError(message: "seccomp: cannot export the filter") }
        var out = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }
}

/// errno names accepted by `on_deny = "errno:NAME"`.
public enum ErrnoNames {
    public static let all: [String: Int32] = [
        "EPERM": EPERM, "ENOENT": ENOENT, "ESRCH": ESRCH, "EINTR": EINTR, "EIO": EIO, "ENXIO": ENXIO,
        "E2BIG": E2BIG, "ENOEXEC": ENOEXEC, "EBADF": EBADF, "ECHILD": ECHILD, "EAGAIN": EAGAIN,
        "ENOMEM": ENOMEM, "EACCES": EACCES, "EFAULT": EFAULT, "EBUSY": EBUSY, "EEXIST": EEXIST,
        "EXDEV": EXDEV, "ENODEV": ENODEV, "ENOTDIR": ENOTDIR, "EISDIR": EISDIR, "EINVAL": EINVAL,
        "ENFILE": ENFILE, "EMFILE": EMFILE, "ENOTTY": ENOTTY, "EFBIG": EFBIG, "ENOSPC": ENOSPC,
        "ESPIPE": ESPIPE, "EROFS": EROFS, "EMLINK": EMLINK, "EPIPE": EPIPE, "ENOSYS": ENOSYS,
        "EOPNOTSUPP": EOPNOTSUPP, "EAFNOSUPPORT": EAFNOSUPPORT, "ECONNREFUSED": ECONNREFUSED,
        "ENETUNREACH": ENETUNREACH, "EHOSTUNREACH": EHOSTUNREACH,
    ]
    public static func value(of name: String) -> Int32? { all[name] }
}
