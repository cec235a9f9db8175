#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

struct KeeperFailure: Error {
    var text: String
}
