import InterlockProfile
import NIOCore

/// The server name a TLS ClientHello asks for.
enum ClientHello {
    enum Parse: Equatable {
        case incomplete
        case invalid
        /// The SNI host name (lowercased by the caller), or nil when the hello has none.
        case complete(serverName: String?)
    }

    /// `bytes` starts with TLS records; the ClientHello may span several handshake records.
    static func parse(_ bytes: ArraySlice<UInt8>) -> Parse {
        var handshake: [UInt8] = []
        var offset = bytes.startIndex
        while true {
            guard bytes.endIndex - offset >= 5 else { return .incomplete }
            guard bytes[offset] == 0x16, bytes[offset + 1] == 0x03 else { return .invalid }
            let length = Int(bytes[offset + 3]) << 8 | Int(bytes[offset + 4])
            guard length > 0, length <= 16384 + 2048 else { return .invalid }
            guard bytes.endIndex - offset >= 5 + length else { return .incomplete }
            handshake.append(contentsOf: bytes[(offset + 5)..<(offset + 5 + length)])
            offset += 5 + length
            if handshake.count >= 4 {
                guard handshake[0] == 0x01 else { return .invalid }  // ClientHello
                let messageLength = Int(handshake[1]) << 16 | Int(handshake[2]) << 8 | Int(handshake[3])
                guard messageLength <= 65536 else { return .invalid }
                if handshake.count >= 4 + messageLength {
                    return parseBody(handshake[4..<(4 + messageLength)])
                }
            }
        }
    }

    private static func parseBody(_ body: ArraySlice<UInt8>) -> Parse {
        var reader = Reader(bytes: body)
        guard reader.skip(2 + 32),  // legacy_version, random
              let sessionIDLength = reader.u8(), reader.skip(Int(sessionIDLength)),
              let suitesLength = reader.u16(), reader.skip(Int(suitesLength)),
              let compressionLength = reader.u8(), reader.skip(Int(compressionLength)) else { return .invalid }
        if reader.atEnd { return .complete(serverName: nil) }
        guard let extensionsLength = reader.u16(), var extensions = reader.sub(Int(extensionsLength)) else { return .invalid }
        while !extensions.atEnd {
            guard let type = extensions.u16(), let length = extensions.u16(), var data = extensions.sub(Int(length)) else {
                return .invalid
            }
            guard type == 0 else { continue }  // server_name
            guard let listLength = data.u16(), var list = data.sub(Int(listLength)) else { return .invalid }
            while !list.atEnd {
                guard let nameType = list.u8(), let nameLength = list.u16(), let name = list.take(Int(nameLength)) else {
                    return .invalid
                }
                if nameType == 0 { return .complete(serverName: String(decoding: name, as: UTF8.self)) }
            }
            return .complete(serverName: nil)
        }
        return .complete(serverName: nil)
    }

    private struct Reader {
        var bytes: ArraySlice<UInt8>
        var atEnd: Bool { bytes.isEmpty }
        mutating func u8() -> UInt8? {
            guard let first = bytes.first else { return nil }
            bytes = bytes.dropFirst()
            return first
        }
        mutating func u16() -> UInt16? {
            guard bytes.count >= 2 else { return nil }
            let value = UInt16(bytes[bytes.startIndex]) << 8 | UInt16(bytes[bytes.startIndex + 1])
            bytes = bytes.dropFirst(2)
            return value
        }
        mutating func skip(_ count: Int) -> Bool {
            guard bytes.count >= count else { return false }
            bytes = bytes.dropFirst(count)
            return true
        }
        mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard bytes.count >= count else { return nil }
            let taken = bytes.prefix(count)
            bytes = bytes.dropFirst(count)
            return taken
        }
        mutating func sub(_ count: Int) -> Reader? {
            take(count).map { Reader(bytes: $0) }
        }
    }

    /// A fatal TLS alert, `access_denied` (49): what a refused TLS client reads.
    static let accessDeniedAlert: [UInt8] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31]
}

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
