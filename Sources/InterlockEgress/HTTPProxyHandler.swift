import InterlockProfile
import NIOCore

/// `host:port` (with `[v6]:port`) into its parts; `defaultPort` when there is no port.
func splitHostPort(_ text: Substring, defaultPort: Int?) -> (host: String, port: Int)? {
    var host: Substring
    var portText: Substring?
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]") else { return nil }
        host = text[text.startIndex...close]
        let rest = text[text.index(after: close)...]
        if !rest.isEmpty {
            guard rest.hasPrefix(":") else { return nil }
            portText = rest.dropFirst()
        }
    } else if let colon = text.lastIndex(of: ":") {
        host = text[..<colon]
        portText = text[text.index(after: colon)...]
        if host.contains(":") { return nil }  // bare IPv6 needs brackets
    } else {
        host = text
    }
    guard !host.isEmpty else { return nil }
    let port: Int
    if let portText {
        guard !portText.isEmpty, portText.count <= 5, portText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let value = Int(portText), (1...65535).contains(value) else { return nil }
        port = value
    } else {
        guard let defaultPort else { return nil }
        port = defaultPort
    }
    return (String(host), port)
}

/// The HTTP proxy port. Serves:
/// - `CONNECT host:port`: decided, resolved, checked and connected, then `200 Connection
///   established` and a byte relay (bytes the client sent after the head go through too).
/// - Absolute-URI requests (`GET http://host[:port]/path HTTP/1.1`): decided like CONNECT for
///   host:port (80 by default), then the request is forwarded with the path made relative,
///   `Host` set from the URI, the proxy's hop-by-hop headers removed (`Proxy-Connection`,
///   `Proxy-Authorization`, `Connection`, `Keep-Alive` and what `Connection` lists) and
///   `Connection: close` added (or `Connection: Upgrade` for an upgrade such as a websocket);
///   the rest (body, response) is relayed as bytes. One request per proxy connection: the
///   origin closes after its response, and the proxy closes the client connection with it;
///   anything else the client sends on that connection can only reach the same, already checked
///   origin.
/// - SOCKS5, when the first byte is 0x05 (hands the connection to `SOCKS5Handler`).
/// Refusals: 403 (reason phrase: the refusal message; body: message, rule, reason); malformed
/// requests 400, `https://` absolute URIs 400 (use CONNECT), origin-form requests 400, a head
/// over `maxRequestBytes` 431, no complete head within `requestTimeout` 408; resolution or
/// connection failure 502.
final class HTTPProxyHandler: FrontHandler {
    private static let dropped: Set<String> = ["host", "proxy-connection", "proxy-authorization", "connection", "keep-alive"]

    override func process(context: ChannelHandlerContext) {
        guard let first = buffer.readableBytesView.first else {
            if inputClosed { finish(context: context) }
            return
        }
        if first == 0x05 {
            switchToSOCKS5(context: context)
            return
        }
        switch HTTPRequestHead.parse(Array(buffer.readableBytesView)[...]) {
        case .incomplete:
            if inputClosed { respondAndClose(context: context, HTTPResponses.badRequest("incomplete request head")) }
        case .invalid(let problem):
            respondAndClose(context: context, HTTPResponses.badRequest(problem))
        case .complete(let head):
            handle(head, context: context)
        }
    }

    override func timedOut(context: ChannelHandlerContext) {
        respondAndClose(context: context, HTTPResponses.response(
            status: 408, reason: "Request Timeout", body: "interlock egress proxy: no complete request head in time\n"))
    }

    override func overflowed(context: ChannelHandlerContext) {
        respondAndClose(context: context, HTTPResponses.response(
            status: 431, reason: "Request Header Fields Too Large",
            body: "interlock egress proxy: the request head is larger than \(core.options.maxRequestBytes) bytes\n"))
    }

    private func switchToSOCKS5(context: ChannelHandlerContext) {
        let socks = SOCKS5Handler(core: core, connectionID: connectionID)
        socks.inputClosed = inputClosed
        socks.client = client
        do {
            try context.pipeline.syncOperations.addHandler(socks, position: .after(self))
        } catch {
            finish(context: context)
            return
        }
        let bytes = buffer
        buffer.clear()
        relayStarted()  // this handler is done
        context.fireChannelRead(wrapInboundOut(bytes))
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        if !socks.dialing { context.channel.read() }
    }

    private func handle(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        if head.method == "CONNECT" {
            guard let (host, port) = splitHostPort(Substring(head.target), defaultPort: nil) else {
                respondAndClose(context: context, HTTPResponses.badRequest("CONNECT needs HOST:PORT"))
                return
            }
            buffer.moveReaderIndex(forwardBy: head.length)
            dial(context: context, host: host, port: port, proto: .connect) { result in
                switch result {
                case .connected(let origin, let session):
                    let established = context.channel.allocator.buffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")
                    context.writeAndFlush(self.wrapOutboundOut(established), promise: nil)
                    if let inspector = self.inspector(for: session.host, port: session.port) {
                        self.inspect(context: context, to: origin, session: session, inspector: inspector)
                    } else {
                        self.relay(context: context, to: origin, session: session)
                    }
                case .refused(let decision, let message, let body):
                    self.respondAndClose(context: context, HTTPResponses.forbidden(message: message, body: body, rule: decision.rule))
                case .failed(let host, let port, let reason):
                    self.respondAndClose(context: context, HTTPResponses.badGateway(host: host, port: port, reason: reason))
                }
            }
            return
        }

        let target = head.target
        guard let schemeEnd = target.firstRange(of: "://") else {
            respondAndClose(context: context, HTTPResponses.badRequest(
                "this is an HTTP proxy: send absolute-URI requests (GET http://host/path) or CONNECT host:port"))
            return
        }
        let scheme = target[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" else {
            respondAndClose(context: context, HTTPResponses.badRequest(
                scheme == "https" ? "use CONNECT for https:// URLs" : "unsupported URL scheme '\(EgressRules.printable(scheme))'"))
            return
        }
        let afterScheme = target[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        var authority = afterScheme[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        guard let (host, port) = splitHostPort(authority, defaultPort: 80) else {
            respondAndClose(context: context, HTTPResponses.badRequest("invalid host in the request URI"))
            return
        }
        if inspector(for: host.lowercased(), port: port) != nil {
            let message = FrontHandler.inspectedNeedsTLS(host: host.lowercased(), port: port)
            core.audit(EgressEvent(kind: .connect, action: .deny, host: host.lowercased(), port: port, rule: "inspected host",
                                   protocol: .http, reason: message, connectionID: connectionID))
            respondAndClose(context: context, HTTPResponses.forbidden(message: "interlock: plain HTTP to an inspected host", body: "interlock: " + message + "\n", rule: "inspected host"))
            return
        }
        var path = String(afterScheme[authorityEnd...])
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }

        // The forwarded head: request line with the relative path, Host from the URI, end-to-end
        // headers as received.
        let connectionTokens = Set((head.header("connection") ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: " \t").lowercased()
        })
        let upgrading = connectionTokens.contains("upgrade") && head.header("upgrade") != nil
        var out: [UInt8] = Array("\(head.method) \(path) \(head.version)\r\nHost: \(authority)\r\n".utf8)
        for header in head.headers {
            if HTTPProxyHandler.dropped.contains(header.name) { continue }
            if connectionTokens.contains(header.name), !(upgrading && header.name == "upgrade") { continue }
            out.append(contentsOf: header.line)
            out.append(contentsOf: [0x0D, 0x0A])
        }
        out.append(contentsOf: Array((upgrading ? "Connection: Upgrade\r\n\r\n" : "Connection: close\r\n\r\n").utf8))
        buffer.moveReaderIndex(forwardBy: head.length)

        dial(context: context, host: host, port: port, proto: .http) { result in
            switch result {
            case .connected(let origin, let session):
                var pending = context.channel.allocator.buffer(bytes: out)
                pending.writeBuffer(&self.buffer)
                self.relay(context: context, to: origin, session: session, pending: pending)
            case .refused(let decision, let message, let body):
                self.respondAndClose(context: context, HTTPResponses.forbidden(message: message, body: body, rule: decision.rule))
            case .failed(let host, let port, let reason):
                self.respondAndClose(context: context, HTTPResponses.badGateway(host: host, port: port, reason: reason))
            }
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var result = self
        while let first = result.first, set.contains(first) { result = result.dropFirst() }
        while let last = result.last, set.contains(last) { result = result.dropLast() }
        return result
    }
}
