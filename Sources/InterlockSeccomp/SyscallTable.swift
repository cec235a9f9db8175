#if canImport(Glibc)
import Glibc
#endif
import CSeccomp

/// Syscall names and numbers of the native architecture: libseccomp's table, plus the syscalls
/// added to Linux after the libseccomp this is built with (2.5.4 knows up to futex_requeue, 456).
enum SyscallTable {
    /// What a name means here.
    enum Resolution: Equatable {
        /// A syscall of this architecture.
        case native(Int32)
        /// A syscall libseccomp knows on other architectures only (`chown32`, `socketcall`,
        /// `vm86`): valid in a profile, nothing to filter here.
        case otherArchitecture
        case unknown
    }

    static let x86_64: UInt32 = 0xC000_003E  // AUDIT_ARCH_X86_64 (SCMP_ARCH_X86_64)

    /// x86-64 numbers of syscalls libseccomp 2.5.4 does not know (from the kernel's
    /// syscall_64.tbl, through Linux 6.18). Used only when libseccomp cannot resolve the name.
    static let supplementX86_64: [String: Int32] = [
        "uretprobe": 335,
        "statmount": 457, "listmount": 458,
        "lsm_get_self_attr": 459, "lsm_set_self_attr": 460, "lsm_list_modules": 461,
        "mseal": 462,
        "setxattrat": 463, "getxattrat": 464, "listxattrat": 465, "removexattrat": 466,
        "open_tree_attr": 467,
        "file_getattr": 468, "file_setattr": 469,
    ]

    static let isX86_64 = seccomp_arch_native() == x86_64

    static func resolve(_ name: String) -> Resolution {
        let number = seccomp_syscall_resolve_name(name)
        if number >= 0 { return .native(number) }
        if isX86_64, let supplement = supplementX86_64[name] { return .native(supplement) }
        // libseccomp's pseudo numbers (__PNR_*) for syscalls of other architectures are -10000
        // and below.
        if number != __NR_SCMP_ERROR, number <= -10000 { return .otherArchitecture }
        return .unknown
    }

    /// Every name → number of this architecture.
    static let native: [String: Int32] = {
        var table: [String: Int32] = [:]
        for number in Int32(0)..<1024 {
            guard let raw = seccomp_syscall_resolve_num_arch(UInt32(SCMP_ARCH_NATIVE), number) else { continue }
            table[String(cString: raw)] = number
            free(raw)
        }
        if isX86_64 {
            for (name, number) in supplementX86_64 where table[name] == nil { table[name] = number }
        }
        return table
    }()

    static let names: [Int32: String] = {
        var byNumber: [Int32: String] = [:]
        for (name, number) in native { byNumber[number] = name }
        return byNumber
    }()
}
