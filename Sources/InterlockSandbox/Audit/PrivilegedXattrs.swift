#if canImport(Glibc)
import Glibc
#endif
import InterlockSeccomp

/// Extended attributes that grant power: `security.*` (file capabilities, LSM labels),
/// `trusted.*`, and `system.*` (POSIX ACLs, which can grant users more than the mode shows).
/// Setting one is refused; `user.*` passes.
///
/// The name is a pointer, read from the caller while it is held. A racing thread can change
/// it after the read; the kernel still refuses `security.capability` and `trusted.*` to a
/// sandbox without capabilities, and the end-of-run sweep removes any `security.capability`
/// (see `WorkspaceSweep`). What the race could still set is an ACL on a file the sandbox owns,
/// which grants no more than a chmod of it could.
public enum PrivilegedXattrs {
    /// The name argument of each setter.
    static let nameArgument: [String: Int] = ["setxattr": 1, "lsetxattr": 1, "fsetxattr": 1, "setxattrat": 3]

    static let refusedPrefixes = ["security.", "trusted.", "system."]

    public static func watchRules() -> [SyscallRule] {
        nameArgument.keys.sorted().filter(SeccompCompiler.isNative).map {
            SyscallRule(syscall: $0, action: .watch, origin: "privilege bits")
        }
    }

    static func isSetter(_ syscall: String) -> Bool { nameArgument[syscall] != nil }

    /// The refused name, or `unreadable` when the name cannot be read (refused too); nil: allowed.
    static func refused(syscall: String, arguments: [UInt64], pid: pid_t) -> String? {
        guard let index = nameArgument[syscall], index < arguments.count else { return nil }
        guard let name = ArgumentDecoder.readString(pid: pid, address: arguments[index]) else { return unreadable }
        return refusedPrefixes.contains(where: name.hasPrefix) ? name : nil
    }

    static let unreadable = "(unreadable name)"
}
