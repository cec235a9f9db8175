import InterlockEgress
import InterlockInspectReaders
import InterlockProfile
import InterlockSecrets
import NIOCore
import NIOHTTP1
import NIOSSL

/// One decision about one request on an inspected host: an audit record (`kind: request`).
///
/// `action`: `allow` (forwarded), `deny` (refused by a rule, a found credential or an unreadable
/// body), `ask` (held for a human), `approve` / `refuse` (the human's answer, or the timeout:
/// `decidedBy` says which), `error` (forwarded, but the real host failed: `reason`).
public struct InspectEvent: Sendable {
    public var action: String
    public var host: String
    public var method: String
    public var path: String
    /// What was matched: `mutation volumeDelete`, `DELETE /v1/volumes/7`.
    public var what: String
    public var rule: String
    public var reason: String?
    public var decidedBy: String?
    public var requestID: String?
    /// Header names the credential broker injected.
    public var injected: [String] = []
    public var connectionID: UInt64
    /// A git request: the repository, and for a push the ref with its old and new ids.
    public var git: GitRecord?
}

/// A credential the supervisor read at start, to inject into requests to one host.
public struct BrokeredCredential: Sendable {
    public var host: String
    /// As written in the profile (`Authorization`).
    public var header: String
    /// The whole header value (template filled in). Never logged.
    public var value: String
    public var onPresent: CredentialEntry.OnPresent
    public var source: String

    public init(host: String, header: String, value: String, onPresent: CredentialEntry.OnPresent, source: String) {
        self.host = host
        self.header = header
        self.value = value
        self.onPresent = onPresent
        self.source = source
    }
}

/// Everything the inspector needs, resolved by the supervisor before the run starts.
public struct InspectionSettings: Sendable {
    public var rules: [HTTPRuleEntry]
    public var gitRules: [GitRuleEntry]
    public var credentials: [BrokeredCredential]
    /// The environment the run is in (for messages).
    public var environment: String?
    /// Extra trust anchors (PEM file) for the real hosts.
    public var upstreamCA: String?
    public var askTimeoutSeconds: Int
    /// `deny`, `ask` or `off`.
    public var foundTokens: String
    /// Secret values read from the credential files Interlock hid (never logged).
    public var hiddenValues: [String]
    /// Largest request body inspected; a larger one is refused.
    public var maxBodyBytes: Int = 8 << 20

    public init(policy: InspectionPolicy, environment: String?, credentials: [BrokeredCredential], hiddenValues: [String]) {
        self.rules = policy.http
        self.gitRules = policy.git
        self.credentials = credentials
        self.environment = environment
        self.upstreamCA = policy.upstreamCA
        self.askTimeoutSeconds = policy.askTimeout ?? InspectionPolicy.defaultAskTimeout
        self.foundTokens = policy.foundTokens ?? "deny"
        self.hiddenValues = hiddenValues
        self.inspectedHosts = policy.inspectedHosts
    }

    /// `name` or `*.suffix`.
    public var inspectedHosts: [String]
}

/// TLS inspection for the egress proxy: terminates the sandbox's TLS with a leaf of the run's
/// CA, parses HTTP/1.1, applies the rules, the credential broker and the found-token check, and
/// re-originates each allowed request over a verified TLS connection to the real host.
public final class RequestInspector: EgressInspector {
    let settings: InspectionSettings
    let authority: CertificateAuthority
    let upstreamContext: NIOSSLContext
    let rules: RequestRules
    let tokens: FoundTokens
    let desk: ApprovalDesk?
    let audit: @Sendable (InspectEvent) -> Void

    public init(settings: InspectionSettings, authority: CertificateAuthority, desk: ApprovalDesk?,
                audit: @escaping @Sendable (InspectEvent) -> Void) throws(CertificateAuthority.Failure) {
        self.settings = settings
        self.authority = authority
        self.desk = desk
        self.audit = audit
        self.rules = RequestRules(rules: settings.rules)
        self.tokens = FoundTokens(hiddenValues: settings.hiddenValues)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        if let ca = settings.upstreamCA { configuration.additionalTrustRoots = [.file(ca)] }
        do {
            upstreamContext = try NIOSSLContext(configuration: configuration)
        } catch {
            throw CertificateAuthority.Failure(description: "TLS to the inspected hosts: \(error)")
        }
    }

    public func inspects(host: String, port: Int) -> Bool {
        settings.inspectedHosts.contains { HostPattern.matches($0, host) }
    }

    public func takeOver(client: Channel, origin: Channel, host: String, port: Int, connectionID: UInt64, pending: ByteBuffer) {
        let session = InspectSession(inspector: self, host: host, connectionID: connectionID, client: client, origin: origin)
        do {
            let server = try authority.serverContext(for: host)
            try client.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: server))
            try client.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
            try client.pipeline.syncOperations.addHandler(ClientSideHandler(session: session))
            try origin.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: upstreamContext, serverHostname: host))
            try origin.pipeline.syncOperations.addHTTPClientHandlers()
            try origin.pipeline.syncOperations.addHandler(OriginSideHandler(session: session))
        } catch {
            client.close(promise: nil)
            origin.close(promise: nil)
            return
        }
        if pending.readableBytes > 0 { client.pipeline.fireChannelRead(pending) }
        client.read()
        origin.read()
    }

    /// The refusal sentence an agent reads and relays.
    func refusal(_ what: String, host: String, verb: String, by: String, advice: String = "ask a human to run it") -> String {
        let environment = settings.environment.map { " in environment \($0)" } ?? ""
        return "interlock: \(what) on \(host) is \(verb)\(environment) by \(by) — \(advice)"
    }
}

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

/// The sandbox's side: complete requests in, decisions made, responses out.
final class ClientSideHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let session: InspectSession
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false
    private var prefix: [UInt8] = []
    static let prefixBytes = 64 << 10

    init(session: InspectSession) { self.session = session }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = nil
            tooLarge = false
            prefix = []
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > session.inspector.settings.maxBodyBytes {
                prefix = Array(((body.map { Array($0.readableBytesView.prefix(Self.prefixBytes)) } ?? [])
                    + Array(chunk.readableBytesView.prefix(Self.prefixBytes))).prefix(Self.prefixBytes))
                tooLarge = true
                body = nil
                return
            }
            if body == nil { body = chunk } else { body?.writeBuffer(&chunk) }
        case .end:
            guard let head else { return }
            self.head = nil
            var request = InspectedRequest(
                host: session.host, method: head.method.rawValue, target: head.uri,
                headers: head.headers.map { ($0.name.lowercased(), $0.value) },
                body: body.map { Array($0.readableBytesView) } ?? [])
            request.bodyTooLarge = tooLarge
            request.bodyPrefix = prefix
            prefix = []
            body = nil
            RequestGate(session: session, head: head, request: request).run()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.origin.close(promise: nil)
        context.fireChannelInactive()
    }
}

/// The real host's side: responses relayed to the sandbox as they come.
final class OriginSideHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    let session: InspectSession

    init(session: InspectSession) { self.session = session }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let client = session.client
        switch unwrapInboundIn(data) {
        case .head(let head):
            var out = head
            if session.closeAfterResponse { out.headers.replaceOrAdd(name: "Connection", value: "close") }
            client.write(HTTPServerResponsePart.head(out), promise: nil)
        case .body(let chunk):
            client.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(chunk)), promise: nil)
        case .end(let trailers):
            session.awaitingResponse = false
            let done = client.writeAndFlush(HTTPServerResponsePart.end(trailers))
            session.lastResponseWrite = done
            if session.closeAfterResponse || session.originClosed {
                done.whenComplete { _ in client.close(promise: nil) }
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        session.originFailed(UpstreamError.describe(error, host: session.host))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        session.originClosed = true
        if session.originFailure == nil {
            // A clean close (the host's idle timeout): the client reconnects for its next request.
            // A failure (its certificate did not verify) stays, to be explained on the next request.
            session.originFailure = "the connection to \(session.host) closed"
            if session.awaitingResponse {
                session.awaitingResponse = false
                session.client.close(promise: nil)
            } else {
                let client = session.client
                if let last = session.lastResponseWrite {
                    last.whenComplete { _ in client.close(promise: nil) }
                } else {
                    client.close(promise: nil)
                }
            }
        }
        context.fireChannelInactive()
    }
}

enum UpstreamError {
    static func describe(_ error: Error, host: String) -> String {
        if let tls = error as? NIOSSLError {
            switch tls {
            case .handshakeFailed(let inner):
                return "the TLS handshake with \(host) failed (its certificate did not verify against the host's trust store): \(inner)"
            default:
                return "TLS with \(host) failed: \(tls)"
            }
        }
        if let tls = error as? BoringSSLError {
            return "TLS with \(host) failed: \(tls)"
        }
        return "the connection to \(host) failed: \(error)"
    }
}
