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

/// Limits and timeouts. The defaults suit an interactive agent.
public struct EgressOptions: Sendable {
    /// Per connection attempt (a name with several addresses tries up to four).
    public var connectTimeout: Duration = .seconds(10)
    /// For a name outside `network.hosts` (getaddrinfo on the resolver threads).
    public var resolveTimeout: Duration = .seconds(10)
    /// How long a client has to send a complete request head (HTTP), greeting and request
    /// (SOCKS5), or something to sniff (transparent).
    public var requestTimeout: Duration = .seconds(30)
    /// Transparent listeners: if the client sends nothing for this long, the protocol is taken
    /// to be server-first (ssh, SMTP, MySQL) and the destination address decides.
    public var serverFirstDelay: Duration = .milliseconds(300)
    /// After one side of a relay closed, how long the other may take to drain.
    public var lingerTimeout: Duration = .seconds(30)
    /// Largest request head / ClientHello / SOCKS request accepted.
    public var maxRequestBytes: Int = 64 * 1024
    /// Concurrent client connections; more are closed on accept.
    public var maxConnections: Int = 4096
    /// `listen(2)` backlog set on every listener.
    public var backlog: Int32 = 1024
    /// Threads for getaddrinfo.
    public var resolverThreads: Int = 4

    public init() {}
}
