import InterlockProfile
import NIOCore

/// An HTTP/1.x request head, parsed from raw bytes. Header lines are kept as received so that a
/// forwarded request keeps them byte for byte.
struct HTTPRequestHead {
    var method: String
    var target: String
    var version: String
    /// Lowercased name, and the whole line as received (without its line ending).
    var headers: [(name: String, value: String, line: ArraySlice<UInt8>)]
    /// Bytes of the head, final empty line included.
    var length: Int

    enum Parse {
        case incomplete
        case invalid(String)
        case complete(HTTPRequestHead)
    }

    func header(_ name: String) -> String? {
        headers.first { $0.name == name }?.value
    }

    /// Parses the head at the start of `bytes` (CRLF or bare LF line endings).
    static func parse(_ bytes: ArraySlice<UInt8>) -> Parse {
        // Find the empty line that ends the head.
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = bytes.startIndex
        var index = bytes.startIndex
        var end: Int?
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                var line = bytes[lineStart..<index]
                if line.last == 0x0D { line = line.dropLast() }
                if line.isEmpty {
                    if lines.isEmpty {
                        // Tolerate empty lines before the request line (RFC 9112 2.2).
                        lineStart = index + 1
                        index += 1
                        continue
                    }
                    end = index + 1
                    break
                }
                lines.append(line)
                lineStart = index + 1
            }
            index += 1
        }
        guard let end else {
            // Bail out early on something that is clearly not HTTP.
            if let first = lines.first ?? (bytes.isEmpty ? nil : bytes[bytes.startIndex...]),
               let problem = requestLineProblem(first, complete: !lines.isEmpty) {
                return .invalid(problem)
            }
            return .incomplete
        }
        let requestLine = lines[0]
        if let problem = requestLineProblem(requestLine, complete: true) { return .invalid(problem) }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        var headers: [(name: String, value: String, line: ArraySlice<UInt8>)] = []
        for line in lines.dropFirst() {
            guard let first = line.first, first != 0x20, first != 0x09 else {
                return .invalid("folded header lines are not supported")
            }
            guard let colon = line.firstIndex(of: 0x3A) else { return .invalid("a header line has no ':'") }
            let name = line[line.startIndex..<colon]
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else { return .invalid("invalid header name") }
            var value = line[(colon + 1)...]
            while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
            while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
            guard !value.contains(where: { $0 == 0x00 || $0 == 0x0D }) else { return .invalid("invalid header value") }
            headers.append((String(decoding: name, as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self), line))
        }
        return .complete(HTTPRequestHead(
            method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self),
            version: String(decoding: parts[2], as: UTF8.self), headers: headers, length: end - bytes.startIndex))
    }

    /// Why `line` cannot be (the start of) a request line, or nil.
    static func requestLineProblem(_ line: ArraySlice<UInt8>, complete: Bool) -> String? {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard let method = parts.first, !method.isEmpty || !complete else { return "invalid request line" }
        if !method.allSatisfy(isTokenByte) { return "invalid request line" }
        if parts.count == 1, method.count > 32 { return "invalid request line" }
        guard complete else { return nil }
        guard parts.count == 3, !parts[1].isEmpty else { return "invalid request line" }
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return "invalid request target" }
        let version = parts[2]
        guard version.elementsEqual("HTTP/1.1".utf8) || version.elementsEqual("HTTP/1.0".utf8) else {
            return "unsupported HTTP version"
        }
        return nil
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }
}

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

/// Status line and headers of the proxy's own responses.
enum HTTPResponses {
    static func response(status: Int, reason: String, body: String, extraHeaders: [(String, String)] = []) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(EgressRules.printable(reason))\r\n"
        head += "Content-Type: text/plain; charset=utf-8\r\n"
        head += "Content-Length: \(body.utf8.count)\r\n"
        for (name, value) in extraHeaders { head += "\(name): \(EgressRules.printable(value))\r\n" }
        head += "Connection: close\r\nProxy-Connection: close\r\n\r\n"
        return Array(head.utf8) + Array(body.utf8)
    }

    /// 403 whose reason phrase is the refusal message and whose body explains the rule.
    static func forbidden(message: String, body: String, rule: String) -> [UInt8] {
        response(status: 403, reason: message, body: body,
                 extraHeaders: [("X-Interlock-Egress", "denied"), ("X-Interlock-Rule", rule)])
    }

    static func badRequest(_ problem: String) -> [UInt8] {
        response(status: 400, reason: "Bad Request", body: "interlock egress proxy: bad request: \(problem)\n")
    }

    static func badGateway(host: String, port: Int, reason: String) -> [UInt8] {
        let shown = host.contains(":") ? "[\(host)]" : host
        return response(status: 502, reason: "Bad Gateway",
                        body: "egress to \(shown):\(port) is allowed, but the connection failed: \(reason)\n")
    }
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
