#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockSeccomp
import InterlockJSON

enum SyscallNames {
    static func name(_ number: Int32) -> String {
        SeccompCompiler.syscallName(number) ?? "syscall_\(number)"
    }
}
