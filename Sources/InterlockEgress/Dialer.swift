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

enum DialResult {
    /// Allowed and connected. The session has reported the `connect` event.
    case connected(OriginSocket, RelaySession)
    /// Refused by the policy (reported). `message` is the one-line refusal text
    /// (`egress to HOST:PORT is not allowed …`), `body` the full explanation.
    case refused(EgressDecision, message: String, body: String)
    /// Allowed, but resolution or every connection attempt failed (reported).
    case failed(host: String, port: Int, reason: String)
}

/// State shared by every connection of one proxy: the rules, the resolver, the audit sink and
/// the registry of open channels (for shutdown). Thread-safe; the handlers run on the loop.
final class ProxyCore: Sendable {
    let rules: EgressRules
    let resolver: Resolver
    let options: EgressOptions
    let synthetic: SyntheticAddresses?
    /// TLS inspection of the hosts request rules name (nil: every connection is relayed as bytes).
    let inspector: (any EgressInspector)?
    /// Dials the origins, accepts the clients, relays what is not inspected.
    let splice: SpliceEngine
    private let auditSink: @Sendable (EgressEvent) -> Void
    private let nextConnectionID = Atomic<UInt64>(1)
    let clientConnections = Atomic<Int>(0)
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(rules: EgressRules, resolver: Resolver, options: EgressOptions, synthetic: SyntheticAddresses?,
         inspector: (any EgressInspector)? = nil, splice: SpliceEngine, audit: @escaping @Sendable (EgressEvent) -> Void) {
        self.inspector = inspector
        self.splice = splice
        self.rules = rules
        self.resolver = resolver
        self.options = options
        self.synthetic = synthetic
        self.auditSink = audit
    }

    func audit(_ event: EgressEvent) {
        auditSink(event)
    }

    func newConnectionID() -> UInt64 {
        nextConnectionID.add(1, ordering: .relaxed).oldValue
    }

    /// Remembers `channel` until it closes, so that `shutdown` can close it.
    func track(_ channel: Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            _ = self?.channels.withLock { $0.removeValue(forKey: key) }
        }
    }

    func openChannels() -> [any Channel] {
        channels.withLock { Array($0.values) }
    }

    /// The refusal text: first line the message, then the rule and the reason.
    func refusalBody(message: String, decision: EgressDecision) -> String {
        var body = message + "\nrule: " + decision.rule + "\n"
        if let reason = decision.reason { body += "reason: " + reason + "\n" }
        return body
    }

    /// Decide, resolve, check, connect: the same path for every protocol. Runs on `eventLoop`;
    /// `completion` is called there, exactly once.
    func dial(_ request: DialRequest, on eventLoop: EventLoop, completion: @escaping (DialResult) -> Void) {
        eventLoop.assertInEventLoop()
        let port = request.port
        var host = request.host
        var note: String?

        // An address this proxy's DNS handed out stands for the name it was handed out for.
        if let synthetic, let target = EgressRules.Target(host), case .address(let address) = target {
            switch synthetic.lookup(address) {
            case .name(let name):
                note = "\(address) is the synthetic address of \(name)"
                host = name
            case .shared:
                let decision = EgressDecision(
                    allowed: false, rule: "built-in: synthetic DNS address",
                    reason: "\(address) is the address Interlock's DNS gives every allowed name; connect by name "
                        + "(HTTP CONNECT NAME:PORT, socks5h://, or directly so that TLS SNI or the Host header names it)")
                refuse(request, host: host, decision: decision, resolved: nil, completion: completion)
                return
            case .none:
                break
            }
        }

        let decision = rules.decide(host: host, port: port)
        guard decision.allowed, let target = EgressRules.Target(host) else {
            refuse(request, host: host, decision: decision, resolved: nil, completion: completion)
            return
        }
        let shownHost = target.text
        resolver.resolve(target, on: eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .failure(let error):
                let reason = (error as? EgressError)?.message ?? "\(error)"
                self.audit(EgressEvent(kind: .connect, action: .error, host: shownHost, port: port, resolvedAddress: nil,
                                       rule: decision.rule, protocol: request.proto, reason: reason,
                                       connectionID: request.connectionID))
                completion(.failed(host: shownHost, port: port, reason: reason))
            case .success(let addresses):
                let checked = self.rules.check(resolved: addresses, host: host, port: port)
                guard checked.allowed else {
                    self.refuse(request, host: host, decision: checked, resolved: addresses.first, completion: completion)
                    return
                }
                self.connect(checked.addresses, index: 0, port: port, on: eventLoop) { outcome in
                    switch outcome {
                    case .success(let (origin, address)):
                        let session = RelaySession(core: self, id: request.connectionID, proto: request.proto, host: shownHost,
                                                   port: port, address: address, rule: checked.rule)
                        self.audit(EgressEvent(kind: .connect, action: .allow, host: shownHost, port: port,
                                               resolvedAddress: address.description, rule: checked.rule, protocol: request.proto,
                                               reason: note, connectionID: request.connectionID))
                        completion(.connected(origin, session))
                    case .failure(let error):
                        let reason = "connecting to \(checked.addresses.first.map { "\($0.hostPortForm):\(port)" } ?? "?") failed: "
                            + ProxyCore.describe(error)
                        self.audit(EgressEvent(kind: .connect, action: .error, host: shownHost, port: port,
                                               resolvedAddress: checked.addresses.first?.description, rule: checked.rule,
                                               protocol: request.proto, reason: reason, connectionID: request.connectionID))
                        completion(.failed(host: shownHost, port: port, reason: reason))
                    }
                }
            }
        }
    }

    private func refuse(_ request: DialRequest, host: String, decision: EgressDecision, resolved: IPAddress?,
                        completion: (DialResult) -> Void) {
        let shown = EgressRules.Target(host)?.text ?? EgressRules.printable(host)
        audit(EgressEvent(kind: .connect, action: .deny, host: shown, port: request.port,
                          resolvedAddress: resolved?.description, rule: decision.rule, protocol: request.proto,
                          reason: decision.reason, connectionID: request.connectionID))
        let message = rules.refusalMessage(host: host, port: request.port)
        completion(.refused(decision, message: message, body: refusalBody(message: message, decision: decision)))
    }

    /// Tries the addresses in order (at most four), each with the connect timeout. The sockets
    /// are the proxy's own (not NIO's), so that the relay can splice them.
    private func connect(_ addresses: [IPAddress], index: Int, port: Int, on eventLoop: EventLoop,
                         completion: @escaping (Result<(OriginSocket, IPAddress), Error>) -> Void) {
        let address = addresses[index]
        let promise = eventLoop.makePromise(of: Int32.self)
        let id = splice.dial(address.socketAddress(port: port), promise: promise)
        let splice = self.splice
        let timeout = eventLoop.scheduleTask(in: TimeAmount(options.connectTimeout)) { splice.cancelDial(id) }
        promise.futureResult.assumeIsolated().whenComplete { result in
            timeout.cancel()
            switch result {
            case .success(let descriptor):
                completion(.success((OriginSocket(descriptor), address)))
            case .failure(let error):
                if index + 1 < min(addresses.count, 4) {
                    self.connect(addresses, index: index + 1, port: port, on: eventLoop, completion: completion)
                } else {
                    completion(.failure(error))
                }
            }
        }
    }

    static func describe(_ error: Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) }
        if let call = error as? SystemCallError { return call.errno == .timedOut ? "timed out" : call.reason }
        if let channelError = error as? ChannelError, case .connectTimeout = channelError { return "timed out" }
        if let connection = error as? NIOConnectionError, let first = connection.connectionErrors.first {
            return describe(first.error)
        }
        return "\(error)"
    }
}

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
