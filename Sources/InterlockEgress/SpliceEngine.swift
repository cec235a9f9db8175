#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSplice
import InterlockSystem
import NIOCore
import Synchronization

// The byte relay of connections that are not inspected, once the front handler (HTTP proxy,
// SOCKS5, transparent) has decided and connected: socket → pipe → socket with splice(2), so the
// bytes never enter user space (NIO would copy each byte twice through its buffers).
//
// One thread with its own epoll drives every spliced connection; it also accepts the clients
// (the relay needs their descriptors, which NIO does not give out) and waits for the proxy's
// outgoing connects. Everything on the thread is non-blocking; other threads talk to it through
// a command queue and an eventfd.
//
// Per connection and direction: one pipe (its size bounds the memory a direction holds), bytes
// the front handler already consumed are written first, EOF from one side shuts down the
// output of the other once the pipe is drained (half-close), and the connection ends when both
// directions ended or one side failed (both sockets are then closed).

final class SpliceEngine: Sendable {
    /// Pipe size of a direction that moves a lot: a pipe starts at the system's default (64 KiB)
    /// and grows to this once a splice fills half of it. 1 MiB takes about a third of the CPU
    /// per byte that 64 KiB does here; it bounds what one direction holds. The kernel may
    /// refuse (pipe-max-size, or past the user's pipe-user-pages-soft without
    /// CAP_SYS_RESOURCE): the pipe then keeps its size.
    static let busyPipeSize: Int32 = 1 << 20

    fileprivate enum Command: Sendable {
        case listen(fd: Int32, accepted: @Sendable (Int32) -> Void, failed: @Sendable (String) -> Void)
        case dial(id: UInt64, fd: Int32, promise: EventLoopPromise<Int32>)
        case cancelDial(id: UInt64)
        case relay(id: UInt64, client: Int32, origin: Int32, pending: [UInt8], done: @Sendable (SpliceOutcome) -> Void)
        case stop
    }

    fileprivate final class Mailbox: Sendable {
        let commands = Mutex<[Command]>([])
        let wake: Int32

        init(wake: Int32) { self.wake = wake }

        func post(_ command: Command) {
            commands.withLock { $0.append(command) }
            var one: UInt64 = 1
            _ = withUnsafeBytes(of: &one) { Glibc.write(wake, $0.baseAddress, 8) }
        }
    }

    private let mailbox: Mailbox
    private let thread: pthread_t
    private let epoll: Int32
    private let nextID = Atomic<UInt64>(1)
    private let stopped = Atomic<Bool>(false)

    init() throws(SystemCallError) {
        let epoll = try Syscall.epollCreate()
        let wake: Int32
        do {
            wake = try Syscall.eventFD()
            try Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_ADD), fd: wake, events: UInt32(INTERLOCK_EPOLLIN), token: 0)
        } catch {
            _ = Glibc.close(epoll)
            throw error
        }
        let mailbox = Mailbox(wake: wake)
        let loop = SpliceLoop(epoll: epoll, mailbox: mailbox)
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<SpliceLoop>.fromOpaque(argument).takeRetainedValue().run()
            return nil
        }, Unmanaged.passRetained(loop).toOpaque())
        guard started == 0 else {
            _ = Glibc.close(wake)
            _ = Glibc.close(epoll)
            throw SystemCallError("pthread_create", code: started)
        }
        self.mailbox = mailbox
        self.thread = thread
        self.epoll = epoll
    }

    /// Accepts connections on `fd` (a listening socket, made non-blocking here) and passes each
    /// to `accepted` (on the splice thread: hand it on, don't block). `failed` runs once if the
    /// listener breaks.
    func listen(on fd: Int32, accepted: @escaping @Sendable (Int32) -> Void, failed: @escaping @Sendable (String) -> Void) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        mailbox.post(.listen(fd: fd, accepted: accepted, failed: failed))
    }

    /// Connects to `address`; the promise gets the connected socket, or the error (a
    /// `SystemCallError`). Returns an id for `cancelDial`.
    @discardableResult
    func dial(_ address: SocketAddress, promise: EventLoopPromise<Int32>) -> UInt64 {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        do {
            let (fd, connected) = try Syscall.connect(address)
            if connected {
                promise.succeed(fd)
            } else {
                mailbox.post(.dial(id: id, fd: fd, promise: promise))
            }
        } catch {
            promise.fail(error)
        }
        return id
    }

    /// Gives up on a connect still in progress (its promise fails with ETIMEDOUT).
    func cancelDial(_ id: UInt64) {
        mailbox.post(.cancelDial(id: id))
    }

    /// Relays between two connected sockets (taking ownership of both): `pending` goes to the
    /// origin first. `done` runs once, on the splice thread, after both are closed.
    func relay(client: Int32, origin: Int32, pending: [UInt8], done: @escaping @Sendable (SpliceOutcome) -> Void) {
        guard !stopped.load(ordering: .relaxed) else {
            _ = Glibc.close(client)
            _ = Glibc.close(origin)
            done(SpliceOutcome(bytesUp: 0, bytesDown: 0, reason: "the egress proxy shut down"))
            return
        }
        mailbox.post(.relay(id: nextID.add(1, ordering: .relaxed).oldValue, client: client, origin: origin, pending: pending, done: done))
    }

    /// Closes the listeners and every connection (reporting each), and waits for the thread.
    /// Not from the splice thread. Idempotent.
    func shutdown() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        mailbox.post(.stop)
        pthread_join(thread, nil)
        _ = Glibc.close(mailbox.wake)
        _ = Glibc.close(epoll)
    }
}

/// The splice thread's state; touched only by that thread.
private final class SpliceLoop {
    private enum Kind: UInt64 { case listener = 0, dial = 1, client = 2, origin = 3 }

    private struct Listener {
        let fd: Int32
        let accepted: @Sendable (Int32) -> Void
        let failed: @Sendable (String) -> Void
        /// Paused after running out of descriptors (until this monotonic time, ns).
        var pausedUntil: UInt64?
    }

    private struct Dial {
        let fd: Int32
        let promise: EventLoopPromise<Int32>
    }

    let epoll: Int32
    let mailbox: SpliceEngine.Mailbox
    private var listeners: [UInt64: Listener] = [:]
    private var nextListener: UInt64 = 1
    private var dials: [UInt64: Dial] = [:]
    private var connections: [UInt64: SplicedConnection] = [:]
    /// Connections that used up their turn with work left.
    private var ready: Set<UInt64> = []
    private var running = true

    init(epoll: Int32, mailbox: SpliceEngine.Mailbox) {
        self.epoll = epoll
        self.mailbox = mailbox
    }

    private static func token(_ id: UInt64, _ kind: Kind) -> UInt64 { id << 2 | kind.rawValue }

    func run() {
        // A splice or write to a socket the peer closed raises SIGPIPE for this thread (splice
        // has no MSG_NOSIGNAL); blocked here, it stays pending and the call fails with EPIPE,
        // whatever the host process does with the signal.
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &blocked, nil)
        var tokens = [UInt64](repeating: 0, count: 256)
        var events = [UInt32](repeating: 0, count: 256)
        while running {
            let timeout: Int32 = !ready.isEmpty ? 0 : (listeners.values.contains { $0.pausedUntil != nil } ? 100 : -1)
            let count: Int32
            do {
                count = try SystemCall.retrying("epoll_wait") { interlock_epoll_wait(epoll, &tokens, &events, 256, timeout) }
            } catch {
                fatalError("epoll_wait on the splice thread failed: \(error)")
            }
            for index in 0..<Int(count) {
                let token = tokens[index]
                if token == 0 {
                    drainMailbox()
                    continue
                }
                let id = token >> 2
                switch Kind(rawValue: token & 3) {
                case .listener: acceptAll(listener: id)
                case .dial: dialFinished(id)
                case .client, .origin:
                    guard let connection = connections[id] else { continue }
                    connection.service(events: events[index], clientSide: token & 3 == Kind.client.rawValue)
                    settle(connection)
                case nil: break
                }
            }
            for id in ready {
                ready.remove(id)
                guard let connection = connections[id] else { continue }
                connection.pump()
                settle(connection)
            }
            resumePausedListeners()
        }
        shutdownAll()
    }

    private func drainMailbox() {
        var counter: UInt64 = 0
        _ = withUnsafeMutableBytes(of: &counter) { read(mailbox.wake, $0.baseAddress, 8) }
        let commands = mailbox.commands.withLock { commands in
            defer { commands.removeAll() }
            return commands
        }
        for command in commands {
            switch command {
            case .listen(let fd, let accepted, let failed):
                let id = nextListener
                nextListener += 1
                listeners[id] = Listener(fd: fd, accepted: accepted, failed: failed)
                do {
                    try Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_ADD), fd: fd, events: UInt32(INTERLOCK_EPOLLIN),
                                             token: Self.token(id, .listener))
                } catch {
                    listenerFailed(id, reason: "\(error)")
                }
            case .dial(let id, let fd, let promise):
                dials[id] = Dial(fd: fd, promise: promise)
                do {
                    try Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_ADD), fd: fd, events: UInt32(INTERLOCK_EPOLLOUT),
                                             token: Self.token(id, .dial))
                } catch {
                    dials[id] = nil
                    _ = Glibc.close(fd)
                    promise.fail(error)
                }
            case .cancelDial(let id):
                guard let dial = dials.removeValue(forKey: id) else { continue }
                _ = Glibc.close(dial.fd)  // also leaves the epoll set
                dial.promise.fail(SystemCallError("connect", code: ETIMEDOUT))
            case .relay(let id, let client, let origin, let pending, let done):
                do {
                    let connection = try SplicedConnection(id: id, epoll: epoll, client: client, origin: origin, pending: pending,
                                                           done: done)
                    connections[id] = connection
                    connection.pump()
                    settle(connection)
                } catch {
                    _ = Glibc.close(client)
                    _ = Glibc.close(origin)
                    done(SpliceOutcome(bytesUp: 0, bytesDown: 0, reason: "the relay could not start: \(error)"))
                }
            case .stop:
                running = false
            }
        }
    }

    /// Registers what the connection waits for, or forgets it once it ended.
    private func settle(_ connection: SplicedConnection) {
        if connection.ended {
            connections[connection.id] = nil
            ready.remove(connection.id)
            return
        }
        connection.updateInterest()
        if connection.hasMoreWork { ready.insert(connection.id) }
    }

    private func acceptAll(listener id: UInt64) {
        guard let listener = listeners[id], listener.pausedUntil == nil else { return }
        while true {
            do {
                guard let fd = try Syscall.accept(listener.fd) else { return }
                listener.accepted(fd)
            } catch {
                switch error.errno.rawValue {
                case ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH:
                    continue  // that connection is gone; the next may be fine
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: stop watching for a moment instead of spinning.
                    _ = try? Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_DEL), fd: listener.fd, events: 0, token: 0)
                    listeners[id]?.pausedUntil = Self.now() + 100_000_000
                    return
                default:
                    listenerFailed(id, reason: "\(error)")
                    return
                }
            }
        }
    }

    private func resumePausedListeners() {
        let now = Self.now()
        for (id, listener) in listeners {
            guard let until = listener.pausedUntil, until <= now else { continue }
            listeners[id]?.pausedUntil = nil
            do {
                try Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_ADD), fd: listener.fd, events: UInt32(INTERLOCK_EPOLLIN),
                                         token: Self.token(id, .listener))
            } catch {
                listenerFailed(id, reason: "\(error)")
            }
        }
    }

    private func listenerFailed(_ id: UInt64, reason: String) {
        guard let listener = listeners.removeValue(forKey: id) else { return }
        _ = Glibc.close(listener.fd)
        listener.failed(reason)
    }

    private func dialFinished(_ id: UInt64) {
        guard let dial = dials.removeValue(forKey: id) else { return }
        _ = try? Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_DEL), fd: dial.fd, events: 0, token: 0)
        let error = Syscall.pendingError(dial.fd)
        if error == 0 {
            dial.promise.succeed(dial.fd)
        } else {
            _ = Glibc.close(dial.fd)
            dial.promise.fail(SystemCallError("connect", code: error))
        }
    }

    private func shutdownAll() {
        for id in Array(listeners.keys) {
            if let listener = listeners.removeValue(forKey: id) { _ = Glibc.close(listener.fd) }
        }
        for (_, dial) in dials {
            _ = Glibc.close(dial.fd)
            dial.promise.fail(SystemCallError("connect", code: ECANCELED))
        }
        dials = [:]
        for (_, connection) in connections { connection.end(reason: "the egress proxy shut down") }
        connections = [:]
        // Commands that arrived after `stop`: nothing runs them any more.
        let late = mailbox.commands.withLock { commands in
            defer { commands.removeAll() }
            return commands
        }
        for command in late {
            switch command {
            case .listen(let fd, _, _): _ = Glibc.close(fd)
            case .dial(_, let fd, let promise):
                _ = Glibc.close(fd)
                promise.fail(SystemCallError("connect", code: ECANCELED))
            case .relay(_, let client, let origin, _, let done):
                _ = Glibc.close(client)
                _ = Glibc.close(origin)
                done(SpliceOutcome(bytesUp: 0, bytesDown: 0, reason: "the egress proxy shut down"))
            case .cancelDial, .stop: break
            }
        }
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}

/// One direction of a spliced connection: source socket → pipe → destination socket.
private final class SpliceDirection {
    let source: Int32
    let destination: Int32
    let pipe: (read: Int32, write: Int32)
    /// Written before anything from the pipe (what the front handler consumed already).
    var pending: [UInt8]
    var pendingOffset = 0
    /// Bytes in the pipe, and its size.
    var inPipe = 0
    var capacity: Int
    private var grown = false
    var sourceEnded = false
    /// The destination's output is shut down: nothing more to do.
    var finished = false
    var bytes: UInt64 = 0
    var waitsReadable = false
    var waitsWritable = false
    /// Stopped with work left (its turn was used up).
    var moreWork = false

    init(source: Int32, destination: Int32, pending: [UInt8]) throws(SystemCallError) {
        self.source = source
        self.destination = destination
        self.pending = pending
        self.pipe = try Syscall.pipe()
        capacity = max(4096, Int(interlock_pipe_size(pipe.write)))
    }

    /// Moves what can move now, until the source has nothing or the destination takes nothing
    /// (the `waits…` flags say which), or `rounds` rounds passed (`moreWork`).
    func pump(rounds: Int = 64) throws(SystemCallError) {
        waitsReadable = false
        waitsWritable = false
        moreWork = false
        guard !finished else { return }
        for _ in 0..<rounds {
            if pendingOffset < pending.count {
                let offset = pendingOffset
                let destination = destination
                let attempt = pending.withUnsafeBytes { bytes in
                    Result { () throws(SystemCallError) in
                        try Syscall.write(destination, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                    }
                }
                guard let written = try attempt.get() else {
                    waitsWritable = true
                    return
                }
                pendingOffset += written
                bytes += UInt64(written)
                if pendingOffset == pending.count { pending = [] ; pendingOffset = 0 }
                continue
            }
            // Fill the pipe. With bytes in it, "would block" may mean a full pipe rather than an
            // empty socket: only an empty pipe makes it mean "wait for the source".
            var sourceEmpty = false
            if !sourceEnded {
                if let moved = try Syscall.splice(from: source, to: pipe.write, count: capacity) {
                    if moved == 0 { sourceEnded = true } else { inPipe += moved }
                    if moved >= capacity / 2, !grown {
                        grown = true  // tried once: a refusal is not retried on every splice
                        capacity = Syscall.growPipe(pipe.write, to: SpliceEngine.busyPipeSize) ?? capacity
                    }
                } else {
                    sourceEmpty = inPipe == 0
                }
            }
            if inPipe > 0 {
                guard let moved = try Syscall.splice(from: pipe.read, to: destination, count: inPipe) else {
                    waitsWritable = true
                    return
                }
                inPipe -= moved
                bytes += UInt64(moved)
                continue
            }
            if sourceEnded {
                Syscall.shutdownWrite(destination)
                finished = true
                return
            }
            if sourceEmpty {
                waitsReadable = true
                return
            }
        }
        moreWork = true
    }

    func closePipe() {
        _ = Glibc.close(pipe.read)
        _ = Glibc.close(pipe.write)
    }
}

/// A client and an origin socket spliced both ways.
private final class SplicedConnection {
    let id: UInt64
    let epoll: Int32
    let client: Int32
    let origin: Int32
    private let up: SpliceDirection
    private let down: SpliceDirection
    private let done: @Sendable (SpliceOutcome) -> Void
    private(set) var ended = false
    /// Registered event masks (nil: not in the epoll set, after a hang-up).
    private var clientInterest: UInt32? = 0
    private var originInterest: UInt32? = 0

    init(id: UInt64, epoll: Int32, client: Int32, origin: Int32, pending: [UInt8],
         done: @escaping @Sendable (SpliceOutcome) -> Void) throws(SystemCallError) {
        self.id = id
        self.epoll = epoll
        self.client = client
        self.origin = origin
        self.done = done
        up = try SpliceDirection(source: client, destination: origin, pending: pending)
        do {
            down = try SpliceDirection(source: origin, destination: client, pending: [])
        } catch {
            up.closePipe()
            throw error
        }
        do {
            try Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_ADD), fd: client, events: 0, token: id << 2 | 2)
            try Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_ADD), fd: origin, events: 0, token: id << 2 | 3)
        } catch {
            up.closePipe()
            down.closePipe()
            throw error
        }
    }

    var hasMoreWork: Bool { up.moreWork || down.moreWork }

    func pump(up pumpUp: Bool = true, down pumpDown: Bool = true) {
        guard !ended else { return }
        do {
            if pumpUp { try up.pump() }
            if pumpDown { try down.pump() }
        } catch {
            // A peer that reset or went away ends the connection like an EOF would have; other
            // failures are reported.
            let ordinary = [ECONNRESET, EPIPE, ETIMEDOUT, ECONNABORTED, EHOSTUNREACH, ENETUNREACH].contains(error.errno.rawValue)
            end(reason: ordinary ? nil : "relay: \(error)")
            return
        }
        if up.finished && down.finished { end(reason: nil) }
    }

    /// An epoll event on one of the sockets.
    func service(events: UInt32, clientSide: Bool) {
        let readable = events & UInt32(INTERLOCK_EPOLLIN) != 0
        let writable = events & UInt32(INTERLOCK_EPOLLOUT) != 0
        if events & UInt32(INTERLOCK_EPOLLERR | INTERLOCK_EPOLLHUP) != 0 {
            pump()
        } else {
            // Only the direction the event concerns: client readable or origin writable moves
            // data up, the other two down.
            pump(up: clientSide ? readable : writable, down: clientSide ? writable : readable)
        }
        guard !ended else { return }
        let fd = clientSide ? client : origin
        if events & UInt32(INTERLOCK_EPOLLERR) != 0 {
            let error = Syscall.pendingError(fd)
            end(reason: error == 0 || [ECONNRESET, EPIPE, ETIMEDOUT].contains(error)
                ? nil : "relay: \(SystemCallError("socket", code: error))")
            return
        }
        if events & UInt32(INTERLOCK_EPOLLHUP) != 0 {
            // Both halves of that socket are shut: reading it only gives EOF (the pump saw it),
            // writing to it would have failed. Stop watching it (epoll reports a hang-up
            // whatever the mask).
            _ = try? Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_DEL), fd: fd, events: 0, token: 0)
            if clientSide { clientInterest = nil } else { originInterest = nil }
        }
    }

    func updateInterest() {
        let readable = UInt32(INTERLOCK_EPOLLIN)
        let writable = UInt32(INTERLOCK_EPOLLOUT)
        let wantClient = (up.waitsReadable ? readable : 0) | (down.waitsWritable ? writable : 0)
        let wantOrigin = (down.waitsReadable ? readable : 0) | (up.waitsWritable ? writable : 0)
        if let current = clientInterest, current != wantClient {
            _ = try? Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_MOD), fd: client, events: wantClient, token: id << 2 | 2)
            clientInterest = wantClient
        }
        if let current = originInterest, current != wantOrigin {
            _ = try? Syscall.epollControl(epoll, Int32(INTERLOCK_EPOLL_MOD), fd: origin, events: wantOrigin, token: id << 2 | 3)
            originInterest = wantOrigin
        }
    }

    /// Closes everything and reports, once.
    func end(reason: String?) {
        guard !ended else { return }
        ended = true
        _ = Glibc.close(client)  // closing also removes them from the epoll set
        _ = Glibc.close(origin)
        up.closePipe()
        down.closePipe()
        done(SpliceOutcome(bytesUp: up.bytes, bytesDown: down.bytes, reason: reason))
    }
}
