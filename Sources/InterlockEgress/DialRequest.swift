#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockProfile
import InterlockSystem
import NIOCore
import NIOPosix
import Synchronization

/// What every front handler asks for: "connect me to HOST:PORT".
struct DialRequest {
    /// As the client wrote it (a name, or an IP literal in any spelling).
    var host: String
    var port: Int
    var proto: EgressEvent.ProtocolKind
    var connectionID: UInt64
}
