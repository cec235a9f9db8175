import InterlockProfile
import NIOCore

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
