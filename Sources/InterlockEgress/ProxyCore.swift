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
