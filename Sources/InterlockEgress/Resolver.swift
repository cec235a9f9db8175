#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import InterlockProfile
import NIOCore
import NIOPosix

/// Turns an allowed name into addresses: the hosts map first (a name in it never reaches DNS),
/// else the host's resolver (`getaddrinfo`) on a thread pool, so the event loop never blocks.
/// IP literals resolve to themselves. Only names that `EgressRules.decide` allowed are ever
/// resolved, so DNS sees nothing the profile did not name.
final class Resolver: Sendable {
    let hosts: [String: IPAddress]
    let threadPool: NIOThreadPool
    let timeout: TimeAmount

    init(hosts: [String: IPAddress], threadPool: NIOThreadPool, timeout: TimeAmount) {
        self.hosts = hosts
        self.threadPool = threadPool
        self.timeout = timeout
    }

    /// The addresses of `target`, in the resolver's order, without duplicates. Fails with an
    /// `EgressError` whose message says why (unknown name, timeout).
    func resolve(_ target: EgressRules.Target, on eventLoop: EventLoop) -> EventLoopFuture<[IPAddress]> {
        switch target {
        case .address(let address):
            return eventLoop.makeSucceededFuture([address])
        case .name(let name):
            if let mapped = hosts[name] { return eventLoop.makeSucceededFuture([mapped]) }
            let promise = eventLoop.makePromise(of: [IPAddress].self)
            let timer = eventLoop.scheduleTask(in: timeout) {
                promise.fail(EgressError("resolving \(name) timed out"))
            }
            threadPool.runIfActive(eventLoop: eventLoop) { () throws -> [IPAddress] in
                try Resolver.getaddrinfo(name)
            }.whenComplete { result in
                timer.cancel()
                promise.completeWith(result)
            }
            return promise.futureResult
        }
    }

    /// Blocking: call on the thread pool only.
    static func getaddrinfo(_ name: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        hints.ai_protocol = Int32(IPPROTO_TCP)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = name.withCString { Glibc.getaddrinfo($0, nil, &hints, &list) }
        guard status == 0 else {
            let reason = status == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(status))
            throw EgressError("cannot resolve \(name): \(reason)")
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var cursor = list
        while let info = cursor?.pointee {
            if let sockaddr = info.ai_addr, let address = IPAddress(sockaddr: sockaddr), !addresses.contains(address) {
                addresses.append(address)
            }
            cursor = info.ai_next
        }
        guard !addresses.isEmpty else { throw EgressError("cannot resolve \(name): no addresses") }
        return addresses
    }
}

extension IPAddress {
    /// From a `sockaddr_in` or `sockaddr_in6`.
    init?(sockaddr pointer: UnsafePointer<sockaddr>) {
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            let raw = pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            self = .v4(UInt32(bigEndian: raw))
        case AF_INET6:
            let bytes = pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p -> [UInt8] in
                withUnsafeBytes(of: p.pointee.sin6_addr) { Array($0) }
            }
            self.init(bytes: bytes)
        default:
            return nil
        }
    }

    /// From a NIO socket address (nil for unix sockets).
    init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            self = .v4(UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            self.init(bytes: bytes)
        default:
            return nil
        }
    }

    /// The NIO socket address to connect to.
    func socketAddress(port: Int) -> SocketAddress {
        switch self {
        case .v4(let value):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(port)).bigEndian
            sin.sin_addr.s_addr = value.bigEndian
            return SocketAddress(sin, host: description)
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(port)).bigEndian
            let bytes = self.bytes
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for index in 0..<16 { raw[index] = bytes[index] }
            }
            return SocketAddress(sin6, host: description)
        }
    }
}
