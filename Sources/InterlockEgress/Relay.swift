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
// the splice engine (SpliceRelay.swift), which moves the bytes without copying them through
// user space and reports the counts when the connection ends. Connections the inspector takes
// over stay on NIO (Inspection.swift).
//
// NIO owns the client socket during the front phase; the proxy accepted it itself, so it knows
// the descriptor. At the handover the proxy duplicates it and closes the NIO channel (which
// deregisters and closes only NIO's descriptor): the connection lives on in the duplicate. NIO
// reads nothing past the request meanwhile (the front handler holds reads while dialing), so
// what it did read is in `pending`, written to the origin first.

/// Socket settings of the NIO channels (client front phase, inspected connections): large reads
/// (fewer system calls per byte; a buffer grows only while the connection is busy) and write
/// water marks that bound what one connection can hold in memory.
enum RelayTuning {
    static let recvAllocator = AdaptiveRecvByteBufferAllocator(minimum: 1024, initial: 16 * 1024, maximum: 256 * 1024)
    static let waterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 128 * 1024, high: 512 * 1024)
}

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

/// One accepted client connection: its descriptor, and its place in the connection count,
/// released once when the connection ends (its NIO channel closed, or the splice relay ended).
final class ClientSlot: Sendable {
    let core: ProxyCore
    let descriptor: Int32
    private let released = Atomic<Bool>(false)
    private let spliced = Atomic<Bool>(false)

    init(core: ProxyCore, descriptor: Int32) {
        self.core = core
        self.descriptor = descriptor
    }

    /// Set when the splice relay took the connection over (the NIO channel's close then no
    /// longer ends it).
    var handedOver: Bool {
        get { spliced.load(ordering: .relaxed) }
        set { spliced.store(newValue, ordering: .relaxed) }
    }

    func release() {
        if !released.exchange(true, ordering: .relaxed) { core.clientConnections.subtract(1, ordering: .relaxed) }
    }
}

/// The connected origin socket, until the relay or the inspector takes it (or it is closed).
/// Used on the proxy's event loop only.
final class OriginSocket {
    private(set) var descriptor: Int32?

    init(_ descriptor: Int32) { self.descriptor = descriptor }

    deinit { close() }

    /// Ownership passes to the caller.
    func take() -> Int32? {
        defer { descriptor = nil }
        return descriptor
    }

    func close() {
        if let descriptor = take() { _ = Glibc.close(descriptor) }
    }

    /// A NIO channel on the socket, for the inspector.
    func channel(on eventLoop: EventLoop) -> EventLoopFuture<Channel> {
        guard let descriptor = take() else { return eventLoop.makeFailedFuture(ChannelError.alreadyClosed) }
        return ClientBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelOption(.recvAllocator, value: RelayTuning.recvAllocator)
            .channelOption(.writeBufferWaterMark, value: RelayTuning.waterMark)
            .withConnectedSocket(descriptor)
    }
}

/// Moves the connection to the splice engine: once what the front handler wrote to the client
/// (a 200, a SOCKS reply) is on the wire, the client socket leaves NIO and the engine relays
/// between it and `origin`, `pending` (bytes already received from the client, or a rewritten
/// request) first. The session's close record carries the engine's counts.
func startRelay(client context: ChannelHandlerContext, front: FrontHandler, origin: OriginSocket,
                session: RelaySession, pending: ByteBuffer) {
    let client = context.channel
    let loop = context.eventLoop
    let core = session.core
    context.writeAndFlush(NIOAny(ByteBuffer())).assumeIsolated().whenComplete { result in
        guard case .success = result, client.isActive, let slot = front.client,
              let originDescriptor = origin.take() else {
            origin.close()
            client.close(promise: nil)
            session.finish(reason: "closed before the relay started")
            return
        }
        let clientDescriptor = fcntl(slot.descriptor, F_DUPFD_CLOEXEC, 0)
        guard clientDescriptor >= 0 else {
            let reason = "relay setup failed: \(SystemCallError("dup"))"
            _ = Glibc.close(originDescriptor)
            client.close(promise: nil)
            session.finish(reason: reason)
            return
        }
        var bytes = pending
        bytes.writeBuffer(&front.buffer)  // anything that arrived since (nothing while reads are held)
        front.relayStarted()
        // The connection keeps its place in the count until the relay ends.
        slot.handedOver = true
        client.close(promise: nil)
        let boundSession = NIOLoopBound(session, eventLoop: loop)
        core.splice.relay(client: clientDescriptor, origin: originDescriptor, pending: bytes.readBytes(length: bytes.readableBytes) ?? []) { outcome in
            slot.release()
            loop.execute {
                let session = boundSession.value
                session.bytesUp = outcome.bytesUp
                session.bytesDown = outcome.bytesDown
                session.finish(reason: outcome.reason)
            }
        }
    }
}
