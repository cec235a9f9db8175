#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSplice
import InterlockSystem
import NIOCore
import Synchronization

/// How a spliced connection ended.
struct SpliceOutcome: Sendable {
    /// Written to the origin (including the pending bytes), and to the client.
    var bytesUp: UInt64
    var bytesDown: UInt64
    /// nil for an orderly end (EOF both ways, or a peer that reset or went away mid-stream).
    var reason: String?
}
