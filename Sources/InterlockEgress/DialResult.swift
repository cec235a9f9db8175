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

enum DialResult {
    /// Allowed and connected. The session has reported the `connect` event.
    case connected(OriginSocket, RelaySession)
    /// Refused by the policy (reported). `message` is the one-line refusal text
    /// (`egress to HOST:PORT is not allowed …`), `body` the full explanation.
    case refused(EgressDecision, message: String, body: String)
    /// Allowed, but resolution or every connection attempt failed (reported).
    case failed(host: String, port: Int, reason: String)
}
