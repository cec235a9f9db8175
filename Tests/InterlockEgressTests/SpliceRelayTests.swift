import Foundation
import Glibc
import InterlockProfile
import XCTest
@testable import InterlockEgress

/// The splice relay: large transfers arrive intact and in order (bytes the front handler read
/// past the request first), the close record counts them exactly, and half-close passes through.
final class SpliceRelayTests: ProxyTestCase {
    /// A deterministic stream: a 1 MiB + 7 byte pseudo-random block repeated, so that chunk
    /// boundaries fall at a different place in the block each time.
    private static let block: [UInt8] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<((1 << 20) + 7)).map { _ in
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
    }()

    /// FNV-1a over a stream fed in pieces.
    private struct Digest {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        var count = 0
        mutating func update(_ bytes: UnsafeRawBufferPointer) {
            var hash = value
            for byte in bytes {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
            value = hash
            count += bytes.count
        }
    }

    /// Sends `size` bytes of the stream (the first `head.count` of them already sent by the
    /// caller as `head`) on one thread while reading the echo until EOF on this one; returns
    /// the digests of what was sent and what came back.
    private func echoRoundTrip(_ client: BlockingClient, size: Int, alreadySent: Int) -> (sent: UInt64, received: Digest) {
        var sent = Digest()
        let block = SpliceRelayTests.block
        var position = 0
        var chunks: [[UInt8]] = []
        // The sending thread gets its chunks precomputed (and hashed) here, in order.
        while position < size {
            let offset = position % block.count
            let length = min(block.count - offset, size - position, 1 << 20)
            let chunk = Array(block[offset..<(offset + length)])
            chunk.withUnsafeBytes { sent.update($0) }
            chunks.append(chunk)
            position += length
        }
        let toSend = chunks
        let writer = Thread {
            var skip = alreadySent
            for chunk in toSend {
                if skip >= chunk.count {
                    skip -= chunk.count
                    continue
                }
                client.send(Array(chunk[skip...]))
                skip = 0
            }
            client.shutdownWrite()
        }
        writer.start()
        var received = Digest()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            buffer.withUnsafeBytes { received.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return (sent.value, received)
    }

    private func assertCloseRecord(_ proxy: ProxyFixture, proto: EgressEvent.ProtocolKind, up: Int, down: Int,
                                   file: StaticString = #filePath, line: UInt = #line) {
        let close = proxy.audit.wait(timeout: 30) { $0.kind == .close && $0.protocol == proto }
        XCTAssertEqual(close?.bytesUp, UInt64(up), file: file, line: line)
        XCTAssertEqual(close?.bytesDown, UInt64(down), file: file, line: line)
        XCTAssertNil(close?.reason, file: file, line: line)
        XCTAssertNotNil(close?.durationMs, file: file, line: line)
    }

    func testSixtyFourMebibytesThroughConnectArriveIntactAndAreCounted() throws {
        let echo = try servers.echo()
        let proxy = try ProxyFixture(egress: ["echo.test:\(echo)"], hosts: ["echo.test": "127.0.0.1"])
        fixture = proxy
        let size = 64 << 20
        let client = try BlockingClient(port: proxy.httpPort)
        // The first 1000 bytes travel with the request: the front handler holds them and they
        // must reach the origin before anything spliced.
        let early = Array(SpliceRelayTests.block[0..<1000])
        client.send(Array("CONNECT echo.test:\(echo) HTTP/1.1\r\n\r\n".utf8) + early)
        XCTAssertEqual(client.read(until: "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n")
        let (sent, received) = echoRoundTrip(client, size: size, alreadySent: early.count)
        XCTAssertEqual(received.count, size)
        XCTAssertEqual(received.value, sent)
        assertCloseRecord(proxy, proto: .connect, up: size, down: size)
    }

    func testSixtyFourMebibytesThroughSOCKS5ArriveIntactAndAreCounted() throws {
        let echo = try servers.echo()
        let proxy = try ProxyFixture(egress: ["echo.test:\(echo)"], hosts: ["echo.test": "127.0.0.1"])
        fixture = proxy
        let size = 64 << 20
        let client = try BlockingClient(port: proxy.httpPort)
        let name = Array("echo.test".utf8)
        let early = Array(SpliceRelayTests.block[0..<1000])
        // Greeting, request and the first bytes in one go.
        client.send([0x05, 0x01, 0x00] + [0x05, 0x01, 0x00, 0x03, UInt8(name.count)] + name
                    + [UInt8(echo >> 8), UInt8(echo & 0xFF)] + early)
        XCTAssertEqual(client.read(exactly: 2), [0x05, 0x00])
        XCTAssertEqual(client.read(exactly: 10), [0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
        let (sent, received) = echoRoundTrip(client, size: size, alreadySent: early.count)
        XCTAssertEqual(received.count, size)
        XCTAssertEqual(received.value, sent)
        assertCloseRecord(proxy, proto: .socks5, up: size, down: size)
    }

    /// The client sends, shuts down its write side and still gets the reply the origin sends
    /// only after that EOF; then the tunnel ends.
    func testHalfCloseReachesTheOriginAndTheReplyStillComesBack() throws {
        let server = try servers.replyAfterEOF()
        let proxy = try ProxyFixture(egress: ["reply.test:\(server)"], hosts: ["reply.test": "127.0.0.1"])
        fixture = proxy
        let client = try BlockingClient(port: proxy.httpPort)
        client.send("CONNECT reply.test:\(server) HTTP/1.1\r\n\r\n")
        XCTAssertEqual(client.read(until: "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n")
        let request = [UInt8](repeating: 0x61, count: 300_000)
        client.send(request)
        client.shutdownWrite()
        XCTAssertEqual(String(decoding: client.readToEnd(), as: UTF8.self), "received 300000")
        assertCloseRecord(proxy, proto: .connect, up: 300_000, down: 15)
    }

    /// A client that goes away mid-download (closing with unread data: a reset) ends the
    /// relay's connection without taking the process down (a write to the reset socket must
    /// not raise SIGPIPE), and the proxy keeps serving.
    func testClientResetMidTransferEndsTheConnectionOnly() throws {
        let source = try servers.source(bytes: 256 << 20)
        let proxy = try ProxyFixture(egress: ["bulk.test:\(source)"], hosts: ["bulk.test": "127.0.0.1"])
        fixture = proxy
        for _ in 0..<3 {
            let client = try BlockingClient(port: proxy.httpPort)
            client.send("CONNECT bulk.test:\(source) HTTP/1.1\r\n\r\n")
            XCTAssertEqual(client.read(until: "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n")
            XCTAssertEqual(client.read(exactly: 1 << 20).count, 1 << 20)
            var linger = linger(l_onoff: 1, l_linger: 0)
            setsockopt(client.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<linger>.size))
        }  // each client is closed here, with a reset
        let deadline = Date().addingTimeInterval(20)
        while proxy.audit.all.filter({ $0.kind == .close }).count < 3, Date() < deadline { usleep(10_000) }
        let closes = proxy.audit.all.filter { $0.kind == .close }
        XCTAssertEqual(closes.count, 3)
        XCTAssertTrue(closes.allSatisfy { ($0.bytesDown ?? 0) >= 1 << 20 && ($0.bytesDown ?? 0) < 256 << 20 })
        XCTAssertTrue(proxy.proxy.isRunning)
    }
}
