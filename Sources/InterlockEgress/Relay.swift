import InterlockProfile
import NIOCore

// The byte relay between a sandbox client and the origin it was allowed to reach, once the
// front handler (HTTP proxy, SOCKS5, transparent) has decided and connected.
//
// Two `RelayHandler`s, one per channel, each the other's partner ("glue"). Every channel runs on
// the proxy's one event loop, so a handler calls its partner directly.
//
// - Backpressure: a side reads only while its partner's channel is writable; when the partner
//   stops being writable (its pending writes passed the high water mark), the read is held
//   until the partner drains. Memory per connection is bounded by the write buffer water marks
//   plus one read buffer per direction.
// - Half-close: both channels allow remote half-closure. EOF from one side shuts down the output
//   of the other after its pending writes are flushed; a channel whose both halves are shut is
//   closed. When one channel closes, the other flushes what it holds and closes (forced after
//   `lingerTimeout`).

/// Socket settings of both sides of a relay: large reads (fewer system calls per byte; a buffer
/// grows only while the connection is busy) and write water marks that bound what one
/// connection can hold in memory (a side stops reading while its partner holds more than
/// `high` unwritten bytes).
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
    private var openSides = 2
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

    func sideClosed() {
        openSides -= 1
        if openSides <= 0 { finish(reason: nil) }
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

final class RelayHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Side { case client, origin }

    let session: RelaySession
    let side: Side
    var partner: RelayHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false
    private(set) var inputClosed = false
    private var outputShut = false
    private var closing = false
    private var lingerTimer: Scheduled<Void>?

    init(session: RelaySession, side: Side) {
        self.session = session
        self.side = side
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        lingerTimer?.cancel()
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        switch side {
        case .client: session.bytesUp += UInt64(buffer.readableBytes)
        case .origin: session.bytesDown += UInt64(buffer.readableBytes)
        }
        partner?.write(buffer)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            inputClosed = true
            partner?.shutdownOutput()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.partnerBecameWritable() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        lingerTimer?.cancel()
        lingerTimer = nil
        let partner = self.partner
        self.partner = nil
        partner?.partner = nil
        partner?.flushAndClose()
        session.sideClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if let partner, !partner.isWritable {
            pendingRead = true
        } else {
            context.read()
        }
    }

    // MARK: Called by the partner

    var isWritable: Bool { context?.channel.isWritable ?? false }

    func write(_ buffer: ByteBuffer) {
        context?.write(wrapOutboundOut(buffer), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    /// Reads were held because the partner was full: resume.
    func partnerBecameWritable() {
        if pendingRead, let context {
            pendingRead = false
            context.read()
        }
    }

    /// The partner's peer sent EOF: pass it on once everything before it is written.
    func shutdownOutput() {
        guard let context, !outputShut, !closing else { return }
        outputShut = true
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { _ in
            guard let context = self.context else { return }
            if self.inputClosed {
                context.close(promise: nil)
            } else {
                context.close(mode: .output, promise: nil)
            }
        }
    }

    /// The partner's channel closed: write what is pending, then close.
    func flushAndClose() {
        guard let context, !closing else { return }
        closing = true
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer()), promise: promise)
        promise.futureResult.assumeIsolated().whenComplete { _ in
            self.context?.close(promise: nil)
        }
        lingerTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(session.core.options.lingerTimeout)) {
            self.context?.close(promise: nil)
        }
    }
}

/// Moves the client channel from its front handler to a relay with `outbound`: installs both
/// relay handlers, writes `pending` (bytes already received from the client, or a rewritten
/// request) to the origin, removes the front handler, and resumes reading.
func startRelay(client context: ChannelHandlerContext, front: FrontHandler, outbound: Channel,
                session: RelaySession, pending: ByteBuffer?, clientInputClosed: Bool) {
    let clientSide = RelayHandler(session: session, side: .client)
    let originSide = RelayHandler(session: session, side: .origin)
    clientSide.partner = originSide
    originSide.partner = clientSide
    let client = context.channel
    guard client.isActive, outbound.isActive else {
        outbound.close(promise: nil)
        context.close(promise: nil)
        session.finish(reason: "closed before the relay started")
        return
    }
    do {
        try outbound.pipeline.syncOperations.addHandler(originSide)
        try context.pipeline.syncOperations.addHandler(clientSide)
    } catch {
        outbound.close(promise: nil)
        context.close(promise: nil)
        session.finish(reason: "relay setup failed: \(error)")
        return
    }
    session.core.track(outbound)
    if let pending, pending.readableBytes > 0 {
        session.bytesUp += UInt64(pending.readableBytes)
        originSide.write(pending)
        originSide.flush()
    }
    front.relayStarted()
    context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    if clientInputClosed {
        clientSide.markInputClosedBeforeRelay()
        originSide.shutdownOutput()
    }
    client.read()
    outbound.read()
}

extension RelayHandler {
    fileprivate func markInputClosedBeforeRelay() { inputClosed = true }
}
