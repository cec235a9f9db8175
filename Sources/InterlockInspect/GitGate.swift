import InterlockInspectReaders
import InterlockProfile
import NIOCore
import NIOHTTP1

/// Git's smart HTTP protocol on a host with `[[git]]` rules: a push's ref updates are read
/// before anything is sent and decided per ref (all or nothing); a fetch is limited to the
/// repositories the rules name. A refused push is answered the way receive-pack answers, so that
/// `git push` itself prints why (`remote: interlock: …` and `! [remote rejected]`).
struct GitGate {
    let gate: RequestGate
    let request: InspectedRequest
    let keepAlive: Bool
    let brokered: [BrokeredCredential]

    private var session: InspectSession { gate.session }
    private var inspector: RequestInspector { gate.session.inspector }
    private var host: String { gate.session.host }

    /// One ref of a push with its decision.
    struct Ref {
        var command: GitPushCommands.Command
        var decision: GitRules.Decision
    }

    /// Decides the request if it is git's and its host has git rules; false: not git's, the
    /// ordinary rules decide it.
    func run() -> Bool {
        let rules = GitRules(rules: inspector.settings.gitRules)
        guard rules.governs(host) else { return false }
        let endpoint: GitEndpoint
        do {
            guard let found = try GitEndpoint.of(request) else { return false }
            endpoint = found
        } catch {
            plainRefusal(what: "a git request (\(request.method) \(request.path))", rule: "git rules",
                         reason: "a git request to \(host) is refused: \(error.message)", repository: nil)
            return true
        }
        let repository = endpoint.repository
        if rules.rules(host: host, repository: repository).isEmpty {
            let verb = endpoint.service == .fetch ? "fetch from" : "push to"
            plainRefusal(what: "\(verb) \(repository)", rule: "git rules",
                         reason: inspector.refusal("\(verb) \(repository)", host: host, verb: "denied",
                                                   by: "the git rules, which name no such repository", advice: "ask a human"),
                         repository: repository)
            return true
        }
        guard endpoint.service == .push else { return false }  // fetches and the ref advertisement: the ordinary rules
        if request.bodyTooLarge {
            // The ref updates come first: when they are in the part kept, git is told which refs were not pushed.
            if let push = try? GitPushCommands.read(request.bodyPrefix) {
                let reason = "the push is larger than the \(inspector.settings.maxBodyBytes >> 20) MiB Interlock inspects — push fewer commits at a time"
                let refs = push.commands.map { Ref(command: $0, decision: GitRules.Decision(action: .deny, rule: nil, reason: reason)) }
                refuse(push, refs, repository: repository, action: "deny", decidedBy: nil, requestID: nil)
                return true
            }
            plainRefusal(what: "push to \(repository)", rule: "git rules",
                         reason: "interlock: a push to \(repository) on \(host) is refused: it is larger than the "
                             + "\(inspector.settings.maxBodyBytes >> 20) MiB Interlock inspects — push fewer commits at a time, or ask a human",
                         repository: repository)
            return true
        }
        let body = request.decodedBody ?? request.body
        // git's probe before a large push (a lone flush): no ref moves, receive-pack answers nothing.
        if body == Array("0000".utf8) { return false }
        let push: GitPushCommands
        do {
            push = try GitPushCommands.read(body)
        } catch {
            plainRefusal(what: "push to \(repository)", rule: "git rules",
                         reason: "interlock: a push to \(repository) on \(host) is refused: its ref updates read more than one way or "
                             + "not at all (\(error.message))", repository: repository)
            return true
        }
        let graph = GitPackCommits(pack: body[push.packOffset...])
        let decisions = rules.decide(push.commands, host: host, repository: repository) { command in
            command.oldID == command.newID || graph.proves(command.newID, descendsFrom: command.oldID)
        }
        var refs = zip(push.commands, decisions).map { Ref(command: $0, decision: $1) }
        // The ordinary rules still apply to the request itself (a path or header rule).
        let http = inspector.rules.decide(request)
        if let rule = http.rule, rankLess(refs.map(\.decision.action).max(by: rankLess) ?? .allow, http.action) {
            for index in refs.indices {
                refs[index].decision = GitRules.Decision(action: http.action, rule: nil, reason: "rule \(rule.label) (\(http.what))")
            }
        }
        let worst = refs.map(\.decision.action).max(by: rankLess) ?? .allow
        switch worst {
        case .allow:
            forward(push, refs, repository: repository, action: "allow")
        case .deny:
            refuse(push, refs, repository: repository, action: "deny", decidedBy: nil, requestID: nil)
        case .ask:
            hold(push, refs, repository: repository)
        }
        return true
    }

    private func rankLess(_ a: HTTPRuleEntry.Action, _ b: HTTPRuleEntry.Action) -> Bool {
        func rank(_ action: HTTPRuleEntry.Action) -> Int {
            switch action { case .allow: 0; case .ask: 1; case .deny: 2 }
        }
        return rank(a) < rank(b)
    }

    static func what(_ command: GitPushCommands.Command) -> String {
        switch command.kind {
        case .create: "push creating \(command.ref)"
        case .update: "push to \(command.ref)"
        case .delete: "push deleting \(command.ref)"
        }
    }

    private func label(_ decision: GitRules.Decision) -> String {
        decision.rule?.label ?? "git rules"
    }

    private func record(_ action: String, _ ref: Ref, repository: String, reason: String?, decidedBy: String? = nil, requestID: String? = nil) {
        var event = InspectEvent(action: action, host: host, method: request.method, path: request.path, what: Self.what(ref.command),
                                 rule: label(ref.decision), reason: reason, decidedBy: decidedBy, requestID: requestID,
                                 connectionID: session.connectionID)
        event.git = GitRecord(repository: repository, ref: ref.command.ref, oldID: ref.command.oldID, newID: ref.command.newID)
        inspector.audit(event)
    }

    private func forward(_ push: GitPushCommands, _ refs: [Ref], repository: String, action: String,
                         decidedBy: String? = nil, requestID: String? = nil) {
        for ref in refs { record(action, ref, repository: repository, reason: ref.decision.reason, decidedBy: decidedBy, requestID: requestID) }
        let rule = refs.first.map { label($0.decision) } ?? "git rules"
        gate.forward(request, brokered: brokered, keepAlive: keepAlive, action: action, what: "push to \(repository)", rule: rule,
                     decidedBy: decidedBy, requestID: requestID, recorded: true)
    }

    /// All or nothing: every ref is answered `ng`; the refused ones say why on git's side band.
    private func refuse(_ push: GitPushCommands, _ refs: [Ref], repository: String, action: String, decidedBy: String?, requestID: String?) {
        var messages: [String] = []
        var statuses: [(String, String)] = []
        for ref in refs {
            let refused = ref.decision.action != .allow
            let reason: String
            if refused {
                let by = decidedBy.map { "\($0) (rule \(label(ref.decision)) asked a human)" } ?? "rule \(label(ref.decision))"
                reason = inspector.refusal(Self.what(ref.command), host: host, verb: decidedBy == nil ? "denied" : "refused", by: by,
                                           advice: "\(ref.decision.reason); ask a human")
                messages.append(reason)
                statuses.append((ref.command.ref, "interlock: \(decidedBy == nil ? "denied" : "refused") by \(label(ref.decision))"))
            } else {
                reason = "not pushed: another ref of the same push is refused (a push is all or nothing)"
                statuses.append((ref.command.ref, "interlock: not pushed, another ref of this push is refused"))
            }
            record(action, ref, repository: repository, reason: reason, decidedBy: decidedBy, requestID: requestID)
        }
        let body = GitReceivePackReply.refusal(messages: messages, statuses: statuses, capabilities: push.capabilities)
        session.respondGit(body, keepAlive: keepAlive)
    }

    private func hold(_ push: GitPushCommands, _ refs: [Ref], repository: String) {
        guard let desk = inspector.desk else {
            var denied = refs
            for index in denied.indices where denied[index].decision.action == .ask { denied[index].decision.action = .deny }
            refuse(push, denied, repository: repository, action: "deny", decidedBy: nil, requestID: nil)
            return
        }
        let asked = refs.filter { $0.decision.action == .ask }
        let summary = asked.map { Self.what($0.command) + " (" + $0.decision.reason + ")" }.joined(separator: ", ")
            + " of \(repository) on \(host), rule \(asked.first.map { label($0.decision) } ?? "git rules")"
        let timeout = inspector.settings.askTimeoutSeconds
        let (id, verdict) = desk.hold(summary: summary, timeoutSeconds: timeout, on: session.client.eventLoop)
        for ref in refs {
            record("ask", ref, repository: repository,
                   reason: "held for approval: interlock approve \(id) / interlock deny \(id) (refused after \(timeout) s)", requestID: id)
        }
        let git = self
        verdict.assumeIsolated().whenSuccess { verdict in
            if verdict.approved {
                git.forward(push, refs, repository: repository, action: "approve", decidedBy: verdict.decidedBy, requestID: id)
            } else {
                git.refuse(push, refs, repository: repository, action: "refuse", decidedBy: verdict.decidedBy, requestID: id)
            }
        }
    }

    /// A refusal where git's own framing cannot be used (the body was not read): a 403 with the
    /// sentence, which git prints as the reason the request failed.
    private func plainRefusal(what: String, rule: String, reason: String, repository: String?) {
        var event = InspectEvent(action: "deny", host: host, method: request.method, path: request.path, what: what, rule: rule,
                                 reason: reason, connectionID: session.connectionID)
        event.git = repository.map { GitRecord(repository: $0) }
        inspector.audit(event)
        session.respond(status: .forbidden, reason, rule: rule, keepAlive: keepAlive)
    }
}

extension InspectSession {
    /// receive-pack's own answer (HTTP 200, its result type), made by Interlock.
    func respondGit(_ body: [UInt8], keepAlive: Bool) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/x-git-receive-pack-result")
        headers.add(name: "Cache-Control", value: "no-cache")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "X-Interlock-Request", value: "denied")
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        client.write(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)), promise: nil)
        client.write(HTTPServerResponsePart.body(.byteBuffer(client.allocator.buffer(bytes: body))), promise: nil)
        let done = client.writeAndFlush(HTTPServerResponsePart.end(nil))
        if !keepAlive {
            let client = self.client
            done.whenComplete { _ in client.close(promise: nil) }
        }
    }
}
