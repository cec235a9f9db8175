import InterlockInspectReaders
import InterlockProfile
import NIOCore
import NIOHTTP1

/// Decides one complete request and either refuses it, holds it for a human, or forwards it
/// (with the brokered credential) to the real host. Runs on the connection's event loop.
struct RequestGate {
    let session: InspectSession
    let head: HTTPRequestHead
    var request: InspectedRequest

    private var inspector: RequestInspector { session.inspector }
    private var host: String { session.host }

    func run() {
        var request = self.request
        let keepAlive = head.isKeepAlive
        if let failure = session.originFailure {
            session.record("error", request, what: "\(request.method) \(request.path)", rule: "upstream", reason: failure)
            session.respond(status: .badGateway, "interlock: \(request.method) \(request.path) on \(host) was not sent: \(failure)",
                            rule: nil, keepAlive: false)
            return
        }
        // The request goes to the host the connection was checked for, under that name only
        // (no fronting another tenant of the same server, no absolute-form detours).
        let hostHeader = request.header("host").map { $0.lowercased() }
        let namedHost = hostHeader.map { value -> String in
            if value.hasPrefix("[") { return String(value.prefix { $0 != "]" }) + "]" }
            return String(value.prefix { $0 != ":" })
        }
        guard request.target.hasPrefix("/") || (request.target == "*" && request.method == "OPTIONS"),
              namedHost == nil || namedHost == host else {
            refuse(request, what: "\(request.method) \(request.target.prefix(200))", rule: "inspected host",
                   sentence: "interlock: the request names another host (\(namedHost ?? request.target.prefix(100).description)) than the one "
                       + "this connection is for (\(host)): refused", keepAlive: false)
            return
        }
        if request.headers.contains(where: { $0.name == "upgrade" }) {
            refuse(request, what: "an upgrade to \(request.header("upgrade") ?? "another protocol")", rule: "inspected host",
                   sentence: "interlock: protocol upgrades (websockets) on \(host) are not supported on inspected hosts", keepAlive: false)
            return
        }

        // The broker's headers: the sandbox may not bring its own.
        let brokered = inspector.settings.credentials.filter { HostPattern.matches($0.host, host) }
        for credential in brokered {
            let name = credential.header.lowercased()
            guard request.headers.contains(where: { $0.name == name }) else { continue }
            switch credential.onPresent {
            case .strip:
                request.headers.removeAll { $0.name == name }
            case .refuse:
                let sentence = "interlock: a request to \(host) carries its own \(credential.header) header; Interlock supplies the "
                    + "credential for \(host) itself (\(credential.source)) — send the request without it"
                refuse(request, what: "\(request.method) \(request.path) with its own \(credential.header)",
                       rule: "credentials (\(credential.source))", sentence: sentence, keepAlive: keepAlive)
                return
            }
        }

        // The rules and the found-token check read the body the server will read.
        do {
            request.decodedBody = try ContentCoding.decode(request, limit: inspector.settings.maxBodyBytes)
        } catch {
            let what = "\(request.method) \(request.path) with a Content-Encoding"
            refuse(request, what: what, rule: "inspected host",
                   sentence: "interlock: a request to \(host) is refused: \(error.message) — send it uncompressed", keepAlive: keepAlive,
                   reason: error.message)
            return
        }

        // A credential the broker did not inject is one the agent found: it cannot be spent.
        if inspector.settings.foundTokens != "off", let found = inspector.tokens.find(in: request) {
            let what = "a request carrying a \(found.kind) in \(found.location)"
            let rule = "found credential (network.found_tokens)"
            if inspector.settings.foundTokens == "ask", inspector.desk != nil {
                hold(request, what: what, rule: rule, keepAlive: keepAlive, brokered: brokered)
                return
            }
            let sentence = "interlock: a request to \(host) carries a \(found.kind) in \(found.location) that Interlock did not "
                + "inject — credentials found in the sandbox cannot be used; ask a human to set up credential brokering for \(host)"
            refuse(request, what: what, rule: rule, sentence: sentence, keepAlive: keepAlive)
            return
        }

        // git's smart HTTP protocol on a host with [[git]] rules: decided per ref.
        if GitGate(gate: self, request: request, keepAlive: keepAlive, brokered: brokered).run() { return }

        let decision = inspector.rules.decide(request)
        switch decision.action {
        case .allow:
            forward(request, brokered: brokered, keepAlive: keepAlive, action: "allow", what: decision.what,
                    rule: decision.rule?.label ?? "no rule matched (allowed)")
        case .deny:
            let rule = decision.rule?.label ?? "?"
            var sentence = inspector.refusal(decision.what, host: host, verb: "denied", by: "rule \(rule)")
            if let problem = decision.problem {
                sentence = inspector.refusal(decision.what, host: host, verb: "refused", by: "rule \(rule), which needs to read it: \(problem)",
                                             advice: "send it in a plain form that reads only one way, or ask a human")
            }
            refuse(request, what: decision.what, rule: rule, sentence: sentence, keepAlive: keepAlive, reason: decision.problem)
        case .ask:
            hold(request, what: decision.what, rule: decision.rule?.label ?? "?", keepAlive: keepAlive, brokered: brokered)
        }
    }

    private func refuse(_ request: InspectedRequest, what: String, rule: String, sentence: String, keepAlive: Bool,
                        reason: String? = nil, decidedBy: String? = nil, requestID: String? = nil, action: String = "deny") {
        session.record(action, request, what: what, rule: rule, reason: reason ?? sentence, decidedBy: decidedBy, requestID: requestID)
        session.respond(status: .forbidden, sentence, rule: rule, keepAlive: keepAlive)
    }

    /// Held until a human approves or refuses it, or the timeout refuses it.
    private func hold(_ request: InspectedRequest, what: String, rule: String, keepAlive: Bool, brokered: [BrokeredCredential]) {
        guard let desk = inspector.desk else {
            refuse(request, what: what, rule: rule, sentence: inspector.refusal(what, host: host, verb: "denied",
                   by: "rule \(rule) (it asks a human, and no one can answer in this run)"), keepAlive: keepAlive)
            return
        }
        let loop = session.client.eventLoop
        let summary = "\(what) on \(host) (\(request.method) \(request.path)), rule \(rule)"
        let timeout = inspector.settings.askTimeoutSeconds
        let (id, verdict) = desk.hold(summary: summary, timeoutSeconds: timeout, on: loop)
        session.record("ask", request, what: what, rule: rule, reason: "held for approval: interlock approve \(id) / interlock deny \(id) (refused after \(timeout) s)",
                       requestID: id)
        let gate = self
        verdict.assumeIsolated().whenSuccess { verdict in
            if verdict.approved {
                gate.forward(request, brokered: brokered, keepAlive: keepAlive, action: "approve", what: what, rule: rule,
                             decidedBy: verdict.decidedBy, requestID: id)
            } else {
                let sentence = gate.inspector.refusal(what, host: gate.host, verb: "refused", by: "\(verdict.decidedBy) (rule \(rule) asked a human)")
                gate.refuse(request, what: what, rule: rule, sentence: sentence, keepAlive: keepAlive, decidedBy: verdict.decidedBy,
                            requestID: id, action: "refuse")
            }
        }
    }

    private static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding",
                                                "upgrade", "content-length", "proxy-authorization", "trailer"]

    /// `recorded`: the caller wrote the decision's records (one per ref of a push).
    func forward(_ request: InspectedRequest, brokered: [BrokeredCredential], keepAlive: Bool, action: String, what: String,
                 rule: String, decidedBy: String? = nil, requestID: String? = nil, recorded: Bool = false) {
        if let failure = session.originFailure {
            session.record("error", request, what: what, rule: rule, reason: failure, decidedBy: decidedBy, requestID: requestID)
            session.respond(status: .badGateway, "interlock: \(what) on \(host) was not sent: \(failure)", rule: nil, keepAlive: false)
            return
        }
        var headers = HTTPHeaders()
        for (name, value) in request.headers where !Self.hopByHop.contains(name) {
            headers.add(name: name, value: value)
        }
        var injected: [String] = []
        for credential in brokered {
            headers.replaceOrAdd(name: credential.header, value: credential.value)
            injected.append(credential.header)
        }
        if !request.body.isEmpty || !RequestRules.methodsWithoutBody.contains(request.method.uppercased()) {
            headers.add(name: "Content-Length", value: String(request.body.count))
        }
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
            session.closeAfterResponse = true
        }
        var out = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: headers)
        out.version = .http1_1
        if !recorded {
            session.record(action, request, what: what, rule: rule, decidedBy: decidedBy, requestID: requestID, injected: injected)
        }
        session.awaitingResponse = true
        let origin = session.origin
        origin.write(HTTPClientRequestPart.head(out), promise: nil)
        if !request.body.isEmpty {
            origin.write(HTTPClientRequestPart.body(.byteBuffer(origin.allocator.buffer(bytes: request.body))), promise: nil)
        }
        origin.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }
}
