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

// The byte relay between a sandbox client and the origin it was allowed to reach, once the
// front handler (HTTP proxy, SOCKS5, transparent) has decided and connected: both sockets go to
// the splice engine (SpliceEngine.swift), which moves the bytes without copying them through
// user space and reports the counts when the connection ends. Connections the inspector takes
// over stay on NIO (Inspection.swift).
//
// NIO owns the client socket during the front phase; the proxy accepted it itself, so it knows
// the descriptor. At the handover the proxy duplicates it and closes the NIO channel (which
// deregisters and closes only NIO's descriptor): the connection lives on in the duplicate. NIO
// reads nothing past the request meanwhile (the front handler holds reads while dialing), so
// what it did read is in `pending`, written to the origin first.

/// One allowed connection: counts bytes and reports the close audit event once.
final class RelaySession {
    let core: ProxyCore
    let id: UInt64
    let proto: EgressEvent.ProtocolKind
    let host: String
    let port: Int
    let address: IPAddress
    let rule: String
    let started: NIODeadline
    /// Bytes written to the origin (what the client sent, including bytes the front handler
    /// replayed or rewrote).
    var bytesUp: UInt64 = 0
    /// Bytes the origin sent to the client.
    var bytesDown: UInt64 = 0
    private var finished = false

    init(core: ProxyCore, id: UInt64, proto: EgressEvent.ProtocolKind, host: String, port: Int, address: IPAddress, rule: String) {
        self.core = core
        self.id = id
        self.proto = proto
        self.host = host
        self.port = port
        self.address = address
        self.rule = rule
        self.started = .now()
    }

    /// Reports the close event (once).
    func finish(reason: String?) {
        guard !finished else { return }
        finished = true
        let elapsed = NIODeadline.now() - started
        core.audit(EgressEvent(
            kind: .close, action: .allow, host: host, port: port, resolvedAddress: address.description, rule: rule,
            protocol: proto, bytesUp: bytesUp, bytesDown: bytesDown,
            durationMs: Double(elapsed.nanoseconds) / 1_000_000, reason: reason, connectionID: id))
    }
}
