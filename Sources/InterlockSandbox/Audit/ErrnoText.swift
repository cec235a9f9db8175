#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockProfile
import InterlockSeccomp
import InterlockSystem
import Synchronization
import InterlockJSON

enum ErrnoText {
    static func name(_ e: Int32) -> String {
        SyscallPolicy.errnoNumbers.first { $0.value == e }?.key ?? "errno \(e)"
    }
}
