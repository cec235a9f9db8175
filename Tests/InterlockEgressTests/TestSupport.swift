import Foundation
import Glibc
import InterlockProfile
import NIOCore
import NIOPosix
import Synchronization
import XCTest
@testable import InterlockEgress

// Real sockets on loopback only: the tests create the listening sockets themselves and pass
// their descriptors to `EgressProxy.start`, as the sandbox supervisor does.

enum Sockets {
    /// A listening TCP socket on `address`:0 (an ephemeral port).
    static func listenTCP(address: String = "127.0.0.1") -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        precondition(fd >= 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = 0
        inet_pton(AF_INET, address, &sin.sin_addr)
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(bound == 0, "bind: \(errno)")
        precondition(listen(fd, 1024) == 0)
        return (fd, localPort(fd))
    }

    /// A bound UDP socket on 127.0.0.1:0.
    static func bindUDP() -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        precondition(fd >= 0)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        precondition(bound == 0)
        return (fd, localPort(fd))
    }

    static func localPort(_ fd: Int32) -> Int {
        var sin = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: sin.sin_port))
    }

    /// One DNS query over UDP; the response bytes (nil on timeout).
    static func dnsQuery(port: Int, _ query: [UInt8], timeoutSeconds: Int = 5) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port)).bigEndian
        sin.sin_addr.s_addr = inet_addr("127.0.0.1")
        let sent = query.withUnsafeBytes { raw in
            withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, raw.baseAddress, raw.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        guard sent == query.count else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[0..<count]) : nil
    }
}

/// A blocking TCP client with a receive timeout.
final class BlockingClient: @unchecked Sendable {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, address: String = "127.0.0.1", timeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = in_port_t(UInt16(port)).bigEndian
        inet_pton(AF_INET, address, &sin.sin_addr)
        let result = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            let code = errno
            close(fd)
            throw NSError(domain: "connect", code: Int(code), userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(code))])
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return }
            offset += written
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// One recv; empty at EOF or timeout.
    private func receiveSome() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[0..<count]) : []
    }

    func read(exactly count: Int) -> [UInt8] {
        while pending.count < count {
            let more = receiveSome()
            if more.isEmpty { break }
            pending += more
        }
        let taken = Array(pending.prefix(count))
        pending.removeFirst(taken.count)
        return taken
    }

    /// Up to and including `terminator` (or whatever came before EOF).
    func read(until terminator: String) -> String {
        let marker = Array(terminator.utf8)
        while true {
            if let range = pending.firstRange(of: marker) {
                let taken = Array(pending[..<range.upperBound])
                pending.removeFirst(taken.count)
                return String(decoding: taken, as: UTF8.self)
            }
            let more = receiveSome()
            if more.isEmpty {
                let taken = pending
                pending = []
                return String(decoding: taken, as: UTF8.self)
            }
            pending += more
        }
    }

    func readToEnd() -> [UInt8] {
        var all = pending
        pending = []
        while true {
            let more = receiveSome()
            if more.isEmpty { return all }
            all += more
        }
    }

    /// Reads and discards until EOF; the byte count.
    func drain() -> Int {
        var total = pending.count
        pending = []
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return total }
            total += count
        }
    }

    /// An HTTP response: head and body (to EOF).
    func readHTTPResponse() -> (head: String, body: String) {
        let head = read(until: "\r\n\r\n")
        let body = String(decoding: readToEnd(), as: UTF8.self)
        return (head, body)
    }
}

/// Collects audit events; waits for the ones a test expects.
final class AuditRecorder: Sendable {
    private let events = Mutex<[EgressEvent]>([])

    var sink: @Sendable (EgressEvent) -> Void {
        { [self] event in events.withLock { $0.append(event) } }
    }

    var all: [EgressEvent] { events.withLock { $0 } }

    func wait(timeout: TimeInterval = 10, for predicate: (EgressEvent) -> Bool) -> EgressEvent? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let found = all.first(where: predicate) { return found }
            usleep(5_000)
        }
        return all.first(where: predicate)
    }
}

final class RequestLog: Sendable {
    private let heads = Mutex<[String]>([])
    func append(_ head: String) { heads.withLock { $0.append(head) } }
    var all: [String] { heads.withLock { $0 } }
}

/// Loopback servers the proxy connects to.
final class TestServers {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channels: [Channel] = []
    let requests = RequestLog()

    func shutdown() {
        for channel in channels { try? channel.close().wait() }
        try? group.syncShutdownGracefully()
    }

    private func serve(_ makeHandler: @escaping @Sendable () -> any ChannelHandler) throws -> Int {
        let channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(makeHandler()) }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        channels.append(channel)
        return channel.localAddress!.port!
    }

    /// Echoes everything; closes after the client's EOF.
    func echo() throws -> Int { try serve { EchoHandler() } }

    /// Answers `received N` after the client's EOF.
    func replyAfterEOF() throws -> Int { try serve { ReplyAfterEOFHandler() } }

    /// Sends `count` bytes, then closes.
    func source(bytes count: Int) throws -> Int { try serve { SourceHandler(total: count) } }

    /// Answers each request head with 200 and a body naming the request line; records the head.
    func http() throws -> Int {
        let requests = self.requests
        return try serve { HTTPHandler(record: { head in requests.append(head) }) }
    }
}

final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { context.flush() }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}

final class SourceHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let total: Int
    var sent = 0
    var chunk: ByteBuffer?
    init(total: Int) { self.total = total }

    func channelActive(context: ChannelHandlerContext) {
        chunk = context.channel.allocator.buffer(repeating: 0x61, count: 256 * 1024)
        pump(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { pump(context: context) }
    }

    private func pump(context: ChannelHandlerContext) {
        guard let chunk, sent < total else { return }
        while context.channel.isWritable, sent < total {
            let size = min(chunk.readableBytes, total - sent)
            context.write(wrapOutboundOut(chunk.getSlice(at: chunk.readerIndex, length: size)!), promise: nil)
            sent += size
        }
        if sent >= total {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        } else {
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}

final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let record: (String) -> Void
    var received = ""
    init(record: @escaping (String) -> Void) { self.record = record }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        received += String(decoding: unwrapInboundIn(data).readableBytesView, as: UTF8.self)
        guard let end = received.range(of: "\r\n\r\n") else { return }
        let head = String(received[..<end.lowerBound])
        received = ""
        record(head)
        let requestLine = head.split(separator: "\r\n").first.map(String.init) ?? ""
        let body = "hello from origin: \(requestLine)\n"
        let response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: response))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}

/// A running proxy on fresh listeners, with its audit recorder.
/// A test case with loopback servers and at most one proxy under test, both torn down after
/// each test.
class ProxyTestCase: XCTestCase {
    var servers: TestServers!
    var fixture: ProxyFixture?

    override func setUp() {
        servers = TestServers()
    }

    override func tearDown() {
        fixture?.shutdown()
        fixture = nil
        servers.shutdown()
    }
}

final class ProxyFixture {
    let proxy: EgressProxy
    let audit = AuditRecorder()
    let httpPort: Int
    var transparentPorts: [Int] = []
    var dnsPort: Int?

    /// `transparent`: for each destination port, a listener (bound to `transparentAddress`).
    init(egress: [String], deny: [String] = [], hosts: [String: String] = [:], transparent: [Int] = [],
         transparentAddress: String = "127.0.0.1", dns: Bool = false, synthetic: String = "127.0.0.2",
         options: EgressOptions = EgressOptions()) throws {
        let rules = try EgressRules(egress: egress, deny: deny, hosts: [:], environment: "staging",
                                    profileFile: "/w/.interlock.toml")
        proxy = try EgressProxy(rules: rules, hosts: hosts, options: options, audit: audit.sink)
        let http = Sockets.listenTCP()
        httpPort = http.port
        var listeners: [(fd: Int32, port: Int)] = []
        for port in transparent {
            let listener = Sockets.listenTCP(address: transparentAddress)
            transparentPorts.append(listener.port)
            listeners.append((listener.fd, port))
        }
        var dnsFD: Int32?
        if dns {
            let udp = Sockets.bindUDP()
            dnsFD = udp.fd
            dnsPort = udp.port
        }
        try proxy.start(httpListener: http.fd, transparentListeners: listeners, dnsSocket: dnsFD, syntheticAddress: synthetic)
    }

    func shutdown() { proxy.shutdown() }
}

extension Array where Element == UInt8 {
    var hex: String { map { String(format: "%02x", $0) }.joined() }
}

/// Test-made wire messages.
enum Wire {
    /// A TLS 1.3-style ClientHello record with the SNI `serverName` (or none).
    static func clientHello(serverName: String?) -> [UInt8] {
        var extensions: [UInt8] = []
        func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
        if let serverName {
            let name = Array(serverName.utf8)
            let entry = [0x00] + u16(name.count) + name
            let list = u16(entry.count) + entry
            extensions += u16(0x0000) + u16(list.count) + list
        }
        // supported_versions (TLS 1.3) and an unknown extension, to be skipped.
        extensions += u16(0x002B) + u16(3) + [0x02, 0x03, 0x04]
        extensions += u16(0xFFAA) + u16(2) + [0xAB, 0xCD]
        var body: [UInt8] = [0x03, 0x03] + [UInt8](repeating: 0x11, count: 32)
        body += [0x20] + [UInt8](repeating: 0x22, count: 32)  // session id
        body += u16(4) + [0x13, 0x01, 0x13, 0x02]  // cipher suites
        body += [0x01, 0x00]  // compression
        body += u16(extensions.count) + extensions
        let handshake = [0x01, 0x00] + u16(body.count) + body
        return [0x16, 0x03, 0x01] + u16(handshake.count) + handshake
    }

    /// A DNS query (RD set) for `name`, type `type`.
    static func dnsQuery(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
        for label in name.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        out += [0x00, UInt8(type >> 8), UInt8(type & 0xFF), 0x00, 0x01]
        return out
    }
}

/// Runs a command; its exit status and standard output.
func runProcess(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String, error: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    // No proxy settings from the environment: the test says where to go.
    process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.run()
    let outData = output.fileHandleForReading.readDataToEndOfFile()
    let errData = error.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Reads until the client's EOF, then answers `received N` (the byte count) and closes: a reply
/// that exists only if the half-close made it through.
final class ReplyAfterEOFHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var received = 0
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { received += unwrapInboundIn(data).readableBytes }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, case .inputClosed = event {
            let reply = context.channel.allocator.buffer(string: "received \(received)")
            context.writeAndFlush(wrapOutboundOut(reply)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
