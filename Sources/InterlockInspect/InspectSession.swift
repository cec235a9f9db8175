import InterlockEgress
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import NIOCore
import NIOHTTP1
import NIOSSL

/// One inspected connection: the client's side and the origin's, on one event loop.
final class InspectSession {
    let inspector: RequestInspector
    let host: String
    let connectionID: UInt64
    let client: Channel
    let origin: Channel
    /// Why the origin cannot be used (failed certificate verification, closed).
    var originFailure: String?
    var originClosed = false
    /// A request was forwarded and its response is not complete yet.
    var awaitingResponse = false
    var closeAfterResponse = false
    /// The end of the last response relayed (a clean close of the origin waits for it).
    var lastResponseWrite: EventLoopFuture<Void>?

    init(inspector: RequestInspector, host: String, connectionID: UInt64, client: Channel, origin: Channel) {
        self.inspector = inspector
        self.host = host
        self.connectionID = connectionID
        self.client = client
        self.origin = origin
    }

    func record(_ action: String, _ request: InspectedRequest, what: String, rule: String, reason: String? = nil,
                decidedBy: String? = nil, requestID: String? = nil, injected: [String] = []) {
        inspector.audit(InspectEvent(action: action, host: host, method: request.method, path: request.path, what: what,
                                     rule: rule, reason: reason, decidedBy: decidedBy, requestID: requestID,
                                     injected: injected, connectionID: connectionID))
    }

    /// A response of Interlock's own to the client (the request never left).
    func respond(status: HTTPResponseStatus, _ message: String, rule: String?, keepAlive: Bool) {
        var headers = HTTPHeaders()
        let body = message + "\n"
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: String(body.utf8.count))
        headers.add(name: "X-Interlock-Request", value: status == .forbidden ? "denied" : "failed")
        if let rule { headers.add(name: "X-Interlock-Rule", value: Self.printable(rule)) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        client.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers)), promise: nil)
        client.write(HTTPServerResponsePart.body(.byteBuffer(client.allocator.buffer(string: body))), promise: nil)
        let done = client.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive {
            let client = self.client
            done.whenComplete { _ in client.close(promise: nil) }
        }
    }

    /// Header values must be one printable line.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    func originFailed(_ reason: String) {
        guard originFailure == nil else { return }
        originFailure = reason
        if awaitingResponse {
            awaitingResponse = false
            // The head may be out already: the only honest answer is to close.
            client.close(promise: nil)
        }
    }
}
