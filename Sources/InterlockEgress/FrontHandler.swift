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

/// The first handler of every client connection: collects what the client sends until the
/// subclass knows where it wants to go, dials, and hands the channel to the relay. While
/// dialing, reads are held (bytes already read are kept, bounded) so nothing is lost or
/// forwarded unchecked.
class FrontHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let core: ProxyCore
    let connectionID: UInt64
    /// The client socket (owned by NIO during the front phase; the relay takes a duplicate).
    var client: ClientSlot?
    /// Everything received and not yet consumed.
    var buffer: ByteBuffer
    private(set) var dialing = false
    private var heldRead = false
    var inputClosed = false
    private(set) var done = false
    private var timer: Scheduled<Void>?

    init(core: ProxyCore, connectionID: UInt64) {
        self.core = core
        self.connectionID = connectionID
        self.buffer = ByteBuffer()
    }

    // MARK: For subclasses

    /// New bytes are in `buffer` (or the input closed): act on them.
    func process(context: ChannelHandlerContext) {}

    /// How long the client has to say where it wants to go.
    var requestTimeout: TimeAmount { TimeAmount(core.options.requestTimeout) }

    /// The client said nothing useful in time. Default: close.
    func timedOut(context: ChannelHandlerContext) {
        finish(context: context)
    }

    /// The most the handler buffers before the request is complete.
    var bufferLimit: Int { core.options.maxRequestBytes }

    /// Over `bufferLimit`. Default: close.
    func overflowed(context: ChannelHandlerContext) {
        finish(context: context)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startTimer(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        startTimer(context: context)
        context.fireChannelActive()
    }

    private func startTimer(context: ChannelHandlerContext) {
        guard timer == nil, !done else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: requestTimeout) {
            self.timer = nil
            if !self.dialing, !self.done { self.timedOut(context: context) }
        }
    }

    func cancelTimer() {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard !done else { return }
        if buffer.readableBytes + incoming.readableBytes > bufferLimit + (dialing ? core.options.maxRequestBytes : 0) {
            overflowed(context: context)
            return
        }
        buffer.writeBuffer(&incoming)
        if !dialing { process(context: context) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            inputClosed = true
            if !dialing, !done { process(context: context) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        done = true
        cancelTimer()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        finish(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if dialing {
            heldRead = true
        } else {
            context.read()
        }
    }

    // MARK: Helpers

    /// Holds reads, dials, and calls `then` on the loop (unless the client went away meanwhile;
    /// an outbound channel is then closed here).
    func dial(context: ChannelHandlerContext, host: String, port: Int, proto: EgressEvent.ProtocolKind,
              then: @escaping (DialResult) -> Void) {
        dialing = true
        cancelTimer()
        let request = DialRequest(host: host, port: port, proto: proto, connectionID: connectionID)
        core.dial(request, on: context.eventLoop) { result in
            if self.done || !context.channel.isActive {
                if case .connected(let origin, let session) = result {
                    origin.close()
                    session.finish(reason: "the client closed before the connection was established")
                }
                return
            }
            then(result)
        }
    }

    /// Relay from now on; `pending` goes to the origin first (default: what is buffered).
    func relay(context: ChannelHandlerContext, to origin: OriginSocket, session: RelaySession, pending: ByteBuffer? = nil) {
        let bytes = pending ?? buffer
        buffer.clear()
        startRelay(client: context, front: self, origin: origin, session: session, pending: bytes)
    }

    /// Called by `startRelay` just before this handler leaves the pipeline.
    func relayStarted() {
        done = true
        cancelTimer()
    }

    /// Writes `bytes` (if any), then closes.
    func respondAndClose(context: ChannelHandlerContext, _ bytes: [UInt8]) {
        guard !done else { return }
        done = true
        cancelTimer()
        guard !bytes.isEmpty else {
            context.close(promise: nil)
            return
        }
        let response = context.channel.allocator.buffer(bytes: bytes)
        context.writeAndFlush(wrapOutboundOut(response)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func finish(context: ChannelHandlerContext) {
        respondAndClose(context: context, [])
    }
}
