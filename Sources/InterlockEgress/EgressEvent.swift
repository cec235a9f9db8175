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

/// One audit record of the egress proxy.
///
/// - `connect`: a decision. `deny` (refused by the policy: `rule` and `reason` say why),
///   `allow` (connected to `resolvedAddress`), or `error` (allowed, but resolution or the
///   connection failed: `reason`).
/// - `close`: an allowed connection ended (`action` is `allow`); `bytesUp` (sandbox → origin),
///   `bytesDown` (origin → sandbox) and `durationMs` are set. Same `connectionID` as its `connect`.
/// - `dns`: the sandbox's DNS responder refused a query (`host` is the name asked, `port` 53).
///
/// Events are delivered on the proxy's event loop thread: the callback must not block.
public struct EgressEvent: Sendable, Equatable {
    public enum Kind: String, Sendable { case connect, close, dns }
    public enum Action: String, Sendable { case allow, deny, error }
    /// How the sandbox asked: `connect` (HTTP CONNECT), `http` (absolute-URI request),
    /// `socks5`, `transparent` (intercepted, by SNI/Host/destination), `dns`.
    public enum ProtocolKind: String, Sendable { case connect, http, socks5, transparent, dns }

    public var kind: Kind
    public var action: Action
    /// The host as decided on: a lowercased name, or a normalised IP address.
    public var host: String
    public var port: Int
    public var resolvedAddress: String?
    /// What decided (see `EgressDecision.rule`).
    public var rule: String
    public var `protocol`: ProtocolKind
    public var bytesUp: UInt64?
    public var bytesDown: UInt64?
    public var durationMs: Double?
    public var reason: String?
    /// Ties the `connect` and `close` events of one connection (unique per proxy).
    public var connectionID: UInt64

    public init(kind: Kind, action: Action, host: String, port: Int, resolvedAddress: String? = nil, rule: String,
                protocol: ProtocolKind, bytesUp: UInt64? = nil, bytesDown: UInt64? = nil, durationMs: Double? = nil,
                reason: String? = nil, connectionID: UInt64 = 0) {
        self.kind = kind
        self.action = action
        self.host = host
        self.port = port
        self.resolvedAddress = resolvedAddress
        self.rule = rule
        self.protocol = `protocol`
        self.bytesUp = bytesUp
        self.bytesDown = bytesDown
        self.durationMs = durationMs
        self.reason = reason
        self.connectionID = connectionID
    }
}
