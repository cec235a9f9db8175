import InterlockProfile
import NIOCore

/// A transparent listener for one destination port: connections that reached the sandbox's
/// `0.0.0.0:PORT` because of the `local 0.0.0.0/0 dev lo` route, from tools that ignore proxy
/// variables. The destination name comes from what the client sends first, checked exactly like
/// an HTTP CONNECT to NAME:PORT:
/// - a TLS ClientHello: its SNI (the whole hello is replayed to the origin);
/// - an HTTP/1 request: its Host header (port ignored: PORT is where the client connected);
/// - otherwise (no SNI, no Host, another protocol, or nothing within `serverFirstDelay`, as with
///   server-first protocols such as ssh): the original destination address (`getsockname`),
///   which is allowed only if it is a synthetic address the sandbox's DNS handed out for a name
///   (then that name is checked), or an IP literal an IP entry allows.
/// Refusals: HTTP gets the 403 of the proxy port, TLS a fatal `access_denied` alert, anything
/// else a closed connection; all are audited (`transparent`).
final class TransparentHandler: FrontHandler {
    let port: Int
    private var destination: IPAddress?
    private var serverFirstTimer: Scheduled<Void>?

    init(core: ProxyCore, connectionID: UInt64, port: Int) {
        self.port = port
        super.init(core: core, connectionID: connectionID)
    }

    override func handlerAdded(context: ChannelHandlerContext) {
        super.handlerAdded(context: context)
        if context.channel.isActive { started(context: context) }
    }

    override func channelActive(context: ChannelHandlerContext) {
        super.channelActive(context: context)
        started(context: context)
    }

    override func handlerRemoved(context: ChannelHandlerContext) {
        serverFirstTimer?.cancel()
        super.handlerRemoved(context: context)
    }

    private func started(context: ChannelHandlerContext) {
        guard destination == nil else { return }
        destination = context.channel.localAddress.flatMap { IPAddress($0) }
        serverFirstTimer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(core.options.serverFirstDelay)) {
            self.serverFirstTimer = nil
            if self.buffer.readableBytes == 0, !self.dialing, !self.done { self.byDestination(context: context, kind: .other) }
        }
    }

    private enum Kind { case tls, http, other }

    override func process(context: ChannelHandlerContext) {
        let bytes = Array(buffer.readableBytesView)[...]
        guard let first = bytes.first else {
            if inputClosed { finish(context: context) }
            return
        }
        serverFirstTimer?.cancel()
        serverFirstTimer = nil
        if first == 0x16 {
            switch ClientHello.parse(bytes) {
            case .incomplete:
                if inputClosed { finish(context: context) }
            case .invalid:
                refuseMalformed(context: context, kind: .tls, problem: "the TLS ClientHello does not parse")
            case .complete(let serverName):
                if let serverName {
                    connect(context: context, host: serverName, kind: .tls)
                } else {
                    byDestination(context: context, kind: .tls)
                }
            }
            return
        }
        if TransparentHandler.looksLikeHTTP(bytes) {
            switch HTTPRequestHead.parse(bytes) {
            case .incomplete:
                if inputClosed { finish(context: context) }
            case .invalid(let problem):
                respondAndClose(context: context, HTTPResponses.badRequest(problem))
            case .complete(let head):
                if let hostHeader = head.header("host"), let (host, _) = splitHostPort(Substring(hostHeader), defaultPort: port) {
                    connect(context: context, host: host, kind: .http)
                } else {
                    byDestination(context: context, kind: .http)
                }
            }
            return
        }
        byDestination(context: context, kind: .other)
    }

    override var requestTimeout: TimeAmount { TimeAmount(core.options.requestTimeout) }

    /// An uppercase method token and a space: the start of an HTTP/1 request line.
    static func looksLikeHTTP(_ bytes: ArraySlice<UInt8>) -> Bool {
        var count = 0
        for byte in bytes {
            if byte == 0x20 { return count > 0 }
            guard byte >= 0x41, byte <= 0x5A, count < 16 else { return false }
            count += 1
        }
        return true  // undecided: wait for more
    }

    private func byDestination(context: ChannelHandlerContext, kind: Kind) {
        guard let destination else {
            finish(context: context)
            return
        }
        connect(context: context, host: destination.description, kind: kind)
    }

    private func refuseMalformed(context: ChannelHandlerContext, kind: Kind, problem: String) {
        core.audit(EgressEvent(kind: .connect, action: .deny, host: destination?.description ?? "?", port: port,
                               rule: "invalid request", protocol: .transparent, reason: problem, connectionID: connectionID))
        respondAndClose(context: context, kind == .tls ? ClientHello.accessDeniedAlert : [])
    }

    private func connect(context: ChannelHandlerContext, host: String, kind: Kind) {
        dial(context: context, host: host, port: port, proto: .transparent) { result in
            switch result {
            case .connected(let origin, let session):
                if let inspector = self.inspector(for: session.host, port: session.port) {
                    guard kind == .tls else {
                        origin.close()
                        session.finish(reason: FrontHandler.inspectedNeedsTLS(host: session.host, port: session.port))
                        let message = FrontHandler.inspectedNeedsTLS(host: session.host, port: session.port)
                        if kind == .http {
                            self.respondAndClose(context: context, HTTPResponses.forbidden(
                                message: "interlock: plain HTTP to an inspected host", body: "interlock: " + message + "\n", rule: "inspected host"))
                        } else {
                            self.finish(context: context)
                        }
                        return
                    }
                    self.inspect(context: context, to: origin, session: session, inspector: inspector)
                } else {
                    self.relay(context: context, to: origin, session: session)
                }
            case .refused(let decision, let message, let body):
                switch kind {
                case .http: self.respondAndClose(context: context, HTTPResponses.forbidden(message: message, body: body, rule: decision.rule))
                case .tls: self.respondAndClose(context: context, ClientHello.accessDeniedAlert)
                case .other: self.finish(context: context)
                }
            case .failed(let host, let port, let reason):
                switch kind {
                case .http: self.respondAndClose(context: context, HTTPResponses.badGateway(host: host, port: port, reason: reason))
                default: self.finish(context: context)
                }
            }
        }
    }
}
