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

/// The sandbox's only way out: an HTTP/SOCKS5 proxy, transparent listeners and a DNS responder,
/// on listening sockets the caller created (inside the sandbox's network namespace) and hands
/// over as file descriptors. Decisions run on one event loop thread (plus resolver threads); one
/// splice thread accepts the clients, connects to the origins and relays the bytes (SpliceRelay.swift).
///
///     let rules = try EgressRules(policy: policy.network, environment: policy.environment,
///                                 profileFile: policy.sources.last)
///     let proxy = try EgressProxy(rules: rules, hosts: [:]) { event in log(event) }
///     try proxy.start(httpListener: fd, transparentListeners: [(fd: fd443, port: 443)],
///                     dnsSocket: dnsFD, syntheticAddress: "127.0.0.2")
///     …
///     proxy.shutdown()
///
/// - The HTTP listener serves HTTP proxy requests (CONNECT and absolute-URI) and SOCKS5 (a
///   connection whose first byte is 0x05).
/// - Each transparent listener stands for one destination port: the destination name comes from
///   the TLS ClientHello's SNI or the HTTP Host header, else from the socket's original
///   destination address (a synthetic address handed out by the DNS responder, or an IP entry).
/// - The DNS socket (UDP) answers A queries for allowed names with `syntheticAddress`.
///
/// Wiring it to a sandbox (the supervisor's side):
/// - Inside the sandbox's network namespace (loopback up), create and hand over: a TCP socket
///   listening on `127.0.0.1:PORT` (HTTP/SOCKS5), one TCP socket listening on `0.0.0.0:P` for
///   each transparent port P (80, 443, and the ports of the `egress` entries), and a UDP socket
///   bound to `127.0.0.1:53`. Close them in the child before `execve`.
/// - Add the route `local 0.0.0.0/0 dev lo` (table local) in that namespace, so a connection to
///   any IPv4 address lands on the transparent listener of its port (or is refused: fail closed).
/// - `/etc/resolv.conf` inside: `nameserver 127.0.0.1` (`options ndots:1`, no `search`).
/// - Environment: the proxy variables (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and their
///   lower-case forms) = `http://127.0.0.1:PORT` (a SOCKS5 client may use the same port);
///   `NO_PROXY`, `no_proxy` = `localhost,127.0.0.1,::1`.
/// - `syntheticAddress`: a block in 127/8 such as `127.100.0.0/16` is best (ssh, database
///   clients and `socks5://` clients then work by name); `127.0.0.2` is enough for TLS and HTTP.
/// - Audit events arrive on the proxy's event loop thread; `whenStopped` reports a listener that
///   closed on its own; call `shutdown()` (not from the event loop) when the sandbox exits.
public final class EgressProxy: Sendable {
    public let rules: EgressRules
    public let options: EgressOptions
    private let audit: @Sendable (EgressEvent) -> Void
    private let inspector: (any EgressInspector)?

    private enum Phase { case idle, running, stopping, stopped }
    private struct State {
        var phase: Phase = .idle
        var group: MultiThreadedEventLoopGroup?
        var threadPool: NIOThreadPool?
        var core: ProxyCore?
        var splice: SpliceEngine?
        /// The DNS channel (the TCP listeners are the splice engine's).
        var listeners: [any Channel] = []
        var stopCallbacks: [@Sendable (String?) -> Void] = []
        var stopReason: String?
        var stopReported = false
    }
    private let state = Mutex(State())

    /// `hosts` adds to (and overrides) the policy's `network.hosts`. Throws for a name or address
    /// that does not parse.
    /// `inspector`: takes over connections to the hosts it inspects (TLS inspection, request rules).
    public init(rules: EgressRules, hosts: [String: String] = [:], options: EgressOptions = EgressOptions(),
                inspector: (any EgressInspector)? = nil, audit: @escaping @Sendable (EgressEvent) -> Void) throws(EgressError) {
        self.inspector = inspector
        var merged = rules
        try merged.addHosts(hosts)
        self.rules = merged
        self.options = options
        self.audit = audit
    }

    /// Starts serving. Takes ownership of every descriptor (listening TCP sockets, bound UDP
    /// socket): they are closed by `shutdown`, or here if starting fails. The TCP sockets are put
    /// into listening state (with `options.backlog`) if they are not already.
    ///
    /// `syntheticAddress`: what the DNS responder answers for allowed names. One IPv4 address
    /// (`127.0.0.2`: every name gets it; the transparent listeners then need SNI or a Host
    /// header), or an IPv4 block (`127.100.0.0/16`: each name gets its own address for the
    /// proxy's lifetime, so a connection to it is known to mean that name even without SNI or
    /// Host — ssh, databases — and a SOCKS5 client that resolved locally still works).
    public func start(httpListener fd: Int32, transparentListeners: [(fd: Int32, port: Int)], dnsSocket: Int32?,
                      syntheticAddress: String) throws(EgressError) {
        var pending = PendingDescriptors([fd] + transparentListeners.map(\.fd) + (dnsSocket.map { [$0] } ?? []))
        let alreadyStarted = state.withLock { state -> Bool in
            guard state.phase == .idle else { return true }
            state.phase = .running
            return false
        }
        if alreadyStarted {
            pending.closeAll()
            throw EgressError("the egress proxy can be started only once")
        }
        let synthetic: SyntheticAddresses, splice: SpliceEngine
        do throws(EgressError) {
            synthetic = try Self.checkDescriptors(http: fd, transparent: transparentListeners, dns: dnsSocket,
                                                  all: pending.descriptors, syntheticAddress: syntheticAddress)
            do { splice = try SpliceEngine() } catch { throw EgressError("cannot start the egress relay thread: \(error)") }
        } catch {
            pending.closeAll()
            state.withLock { $0.phase = .stopped }
            throw error
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let threadPool = NIOThreadPool(numberOfThreads: max(1, options.resolverThreads))
        threadPool.start()
        let resolver = Resolver(hosts: rules.hosts, threadPool: threadPool, timeout: TimeAmount(options.resolveTimeout))
        let core = ProxyCore(rules: rules, resolver: resolver, options: options, synthetic: synthetic, inspector: inspector,
                             splice: splice, audit: audit)
        var listeners: [any Channel] = []
        do throws(EgressError) {
            try serve(fd, what: "HTTP proxy listener", core: core, group: group, splice: splice, pending: &pending) { core, id in
                HTTPProxyHandler(core: core, connectionID: id)
            }
            for listener in transparentListeners {
                let port = listener.port
                try serve(listener.fd, what: "transparent listener for port \(port)", core: core, group: group, splice: splice,
                          pending: &pending) { core, id in
                    TransparentHandler(core: core, connectionID: id, port: port)
                }
            }
            if let dnsSocket {
                pending.adopt(dnsSocket)
                listeners.append(try Self.serveDNS(dnsSocket, core: core, synthetic: synthetic, group: group))
            }
        } catch {
            pending.closeAll()
            for listener in listeners { try? listener.close().wait() }
            splice.shutdown()
            try? group.syncShutdownGracefully()
            try? threadPool.syncShutdownGracefully()
            state.withLock { $0.phase = .stopped }
            throw error
        }

        state.withLock { state in
            state.group = group
            state.threadPool = threadPool
            state.core = core
            state.splice = splice
            state.listeners = listeners
        }
        for listener in listeners {
            listener.closeFuture.whenComplete { [weak self] _ in
                self?.listenerClosed(reason: "the DNS socket closed unexpectedly")
            }
        }
    }

    /// The descriptors `start` was given and has not handed on yet: closed if starting fails.
    private struct PendingDescriptors {
        private(set) var descriptors: [Int32]
        init(_ descriptors: [Int32]) { self.descriptors = descriptors }
        /// `descriptor` is someone else's to close from now on.
        mutating func adopt(_ descriptor: Int32) { descriptors.removeAll { $0 == descriptor } }
        mutating func closeAll() {
            for descriptor in descriptors { _ = Glibc.close(descriptor) }
            descriptors = []
        }
    }

    /// NIO traps on a descriptor that is not open: every one is checked before it sees any.
    /// Returns the parsed synthetic address (block).
    private static func checkDescriptors(http: Int32, transparent: [(fd: Int32, port: Int)], dns: Int32?, all: [Int32],
                                         syntheticAddress: String) throws(EgressError) -> SyntheticAddresses {
        for listener in transparent where !(1...65535).contains(listener.port) {
            throw EgressError("transparent listener port \(listener.port) is not a TCP port")
        }
        try checkSocket(http, type: SOCK_STREAM, families: [AF_INET, AF_INET6, AF_UNIX], what: "HTTP proxy listener")
        for listener in transparent {
            try checkSocket(listener.fd, type: SOCK_STREAM, families: [AF_INET, AF_INET6],
                            what: "transparent listener for port \(listener.port)")
        }
        if let dns {
            try checkSocket(dns, type: SOCK_DGRAM, families: [AF_INET, AF_INET6], what: "DNS socket")
        }
        guard Set(all).count == all.count else {
            throw EgressError("the same descriptor was passed twice")
        }
        return try SyntheticAddresses(syntheticAddress)
    }

    /// Serves one TCP listener. The proxy accepts the clients itself (on the splice thread), so
    /// that it knows their descriptors when it hands them to the splice relay; NIO serves each
    /// front phase (the request, the SOCKS5 handshake, the ClientHello).
    private func serve(_ descriptor: Int32, what: String, core: ProxyCore, group: MultiThreadedEventLoopGroup, splice: SpliceEngine,
                       pending: inout PendingDescriptors,
                       makeHandler: @escaping @Sendable (ProxyCore, UInt64) -> FrontHandler) throws(EgressError) {
        pending.adopt(descriptor)
        guard Glibc.listen(descriptor, options.backlog) == 0 else {
            let error = SystemCallError("listen")
            _ = Glibc.close(descriptor)
            throw EgressError("cannot serve the \(what) on descriptor \(descriptor): \(error)")
        }
        let maxConnections = options.maxConnections
        let loop = group.next()
        splice.listen(on: descriptor, accepted: { client in
            // Over the limit: closed at once (before NIO sees it).
            guard core.clientConnections.add(1, ordering: .relaxed).newValue <= maxConnections else {
                core.clientConnections.subtract(1, ordering: .relaxed)
                _ = Glibc.close(client)
                return
            }
            let slot = ClientSlot(core: core, descriptor: client)
            ClientBootstrap(group: loop)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .channelOption(.tcpOption(.tcp_nodelay), value: 1)
                .channelOption(.recvAllocator, value: RelayTuning.recvAllocator)
                .channelOption(.writeBufferWaterMark, value: RelayTuning.waterMark)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        channel.closeFuture.whenComplete { _ in
                            if !slot.handedOver { slot.release() }
                        }
                        core.track(channel)
                        let handler = makeHandler(core, core.newConnectionID())
                        handler.client = slot
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .withConnectedSocket(client)
                .whenFailure { _ in slot.release() }
        }, failed: { [weak self] reason in
            self?.listenerClosed(reason: "the \(what) closed unexpectedly, \(reason)")
        })
    }

    /// The DNS responder on the bound UDP socket.
    private static func serveDNS(_ socket: Int32, core: ProxyCore, synthetic: SyntheticAddresses,
                                 group: MultiThreadedEventLoopGroup) throws(EgressError) -> any Channel {
        do {
            return try DatagramBootstrap(group: group)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(DNSResponder(core: core, synthetic: synthetic))
                    }
                }
                .withBoundSocket(socket)
                .wait()
        } catch {
            throw EgressError("cannot serve DNS on descriptor \(socket): \(error)")
        }
    }

    /// An open socket of `type` in one of `families`.
    private static func checkSocket(_ fd: Int32, type: __socket_type, families: [Int32], what: String) throws(EgressError) {
        guard fd >= 0, fcntl(fd, F_GETFD) >= 0 else {
            throw EgressError("the \(what) (descriptor \(fd)) is not an open descriptor")
        }
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &value, &length) == 0 else {
            throw EgressError("the \(what) (descriptor \(fd)) is not a socket")
        }
        guard value == Int32(type.rawValue) else {
            throw EgressError("the \(what) (descriptor \(fd)) is not a \(type == SOCK_STREAM ? "stream" : "datagram") socket")
        }
        var storage = sockaddr_storage()
        var storageLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &storageLength) }
        }
        guard named == 0, families.contains(Int32(storage.ss_family)) else {
            throw EgressError("the \(what) (descriptor \(fd)) has an unsupported address family")
        }
    }

    /// Whether every listener is serving.
    public var isRunning: Bool {
        state.withLock { state in
            state.phase == .running && !state.stopReported && state.splice != nil && state.listeners.allSatisfy(\.isActive)
        }
    }

    /// Client connections currently open.
    public var activeConnections: Int {
        state.withLock { $0.core }?.clientConnections.load(ordering: .relaxed) ?? 0
    }

    /// `callback` runs once when the proxy stops: with nil after `shutdown()`, with a reason when
    /// a listener closed on its own (the sandbox has no network from then on: fail closed).
    /// Runs at once if the proxy already stopped.
    public func whenStopped(_ callback: @escaping @Sendable (String?) -> Void) {
        let reported: (Bool, String?) = state.withLock { state in
            if state.stopReported { return (true, state.stopReason) }
            state.stopCallbacks.append(callback)
            return (false, nil)
        }
        if reported.0 { callback(reported.1) }
    }

    private func listenerClosed(reason: String) {
        let callbacks: [@Sendable (String?) -> Void] = state.withLock { state in
            guard state.phase == .running, !state.stopReported else { return [] }
            state.stopReported = true
            state.stopReason = reason
            let callbacks = state.stopCallbacks
            state.stopCallbacks = []
            return callbacks
        }
        for callback in callbacks { callback(reason) }
    }

    /// Closes the listeners and every connection, and waits for the threads to stop. Call from
    /// outside the proxy's event loop (not from the audit callback). Idempotent.
    public func shutdown() {
        let taken = state.withLock { state -> (MultiThreadedEventLoopGroup?, NIOThreadPool?, ProxyCore?, SpliceEngine?, [any Channel])? in
            switch state.phase {
            case .idle:
                state.phase = .stopped
                return nil
            case .stopping, .stopped:
                return nil
            case .running:
                state.phase = .stopping
                let taken = (state.group, state.threadPool, state.core, state.splice, state.listeners)
                state.splice = nil
                state.group = nil
                state.threadPool = nil
                state.listeners = []
                return taken
            }
        }
        guard let (group, threadPool, core, splice, listeners) = taken else { return }
        for listener in listeners { try? listener.close().wait() }
        // Closes the TCP listeners and the spliced connections; their close records are queued
        // on the loop (run below, before it stops).
        splice?.shutdown()
        if let core, let loop = group?.next() {
            let open = core.openChannels()
            for channel in open { channel.close(promise: nil) }
            let closed = EventLoopFuture.andAllComplete(open.map(\.closeFuture), on: loop)
            _ = try? closed.wait()
            _ = try? loop.submit {}.wait()  // the close records the splice engine queued
        }
        try? group?.syncShutdownGracefully()
        try? threadPool?.syncShutdownGracefully()
        let callbacks: [@Sendable (String?) -> Void] = state.withLock { state in
            state.phase = .stopped
            state.core = nil
            guard !state.stopReported else { return [] }
            state.stopReported = true
            let callbacks = state.stopCallbacks
            state.stopCallbacks = []
            return callbacks
        }
        for callback in callbacks { callback(nil) }
    }
}
