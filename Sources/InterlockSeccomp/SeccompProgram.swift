#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import InterlockProfile
import InterlockSystem

/// A compiled classic-BPF seccomp program, ready for seccomp(SECCOMP_SET_MODE_FILTER) in the
/// child. Compiled in the supervisor (libseccomp allocates; the child must not).
public struct SeccompProgram: Sendable, Equatable {
    /// `struct sock_filter` array, 8 bytes per instruction.
    public let bytes: [UInt8]
    public var instructionCount: Int { bytes.count / 8 }
    /// Rules the program was built from: libseccomp's (one per syscall with an unconditional
    /// action) and those of the argument blocks.
    public let ruleCount: Int
}
