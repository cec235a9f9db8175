import Foundation
import Glibc
import InterlockProfile
import XCTest
@testable import InterlockEgress

final class LoadTests: ProxyTestCase {
    /// 500 client connections open at the same time, each through its own CONNECT tunnel to a
    /// loopback echo server: every one must work.
    func testFiveHundredConcurrentConnections() throws {
        let echo = try servers.echo()
        let proxy = try ProxyFixture(egress: ["echo.test:\(echo)"], hosts: ["echo.test": "127.0.0.1"])
        fixture = proxy
        let count = 500
        var clients: [BlockingClient] = []
        var errors: [String] = []
        for _ in 0..<count {
            do {
                let client = try BlockingClient(port: proxy.httpPort)
                client.send("CONNECT echo.test:\(echo) HTTP/1.1\r\nHost: echo.test:\(echo)\r\n\r\n")
                clients.append(client)
            } catch {
                errors.append("connect: \(error)")
            }
        }
        for client in clients {
            let head = client.read(until: "\r\n\r\n")
            if head != "HTTP/1.1 200 Connection established\r\n\r\n" { errors.append("head: \(head)") }
        }
        XCTAssertEqual(proxy.proxy.activeConnections, count)
        let rssOpen = LoadTests.residentMiB()
        for (index, client) in clients.enumerated() {
            client.send("payload-\(index)-" + String(repeating: "x", count: 1000))
        }
        for (index, client) in clients.enumerated() {
            let expected = "payload-\(index)-" + String(repeating: "x", count: 1000)
            let echoed = String(decoding: client.read(exactly: expected.utf8.count), as: UTF8.self)
            if echoed != expected { errors.append("echo \(index): \(echoed.prefix(40))") }
        }
        for client in clients { client.shutdownWrite() }
        for client in clients where !client.readToEnd().isEmpty { errors.append("bytes after EOF") }
        XCTAssertEqual(errors, [])
        clients.removeAll()
        print(String(format: "egress 500 connections: resident memory of the test process (proxy, servers and clients) "
                     + "%.1f MiB with all open", rssOpen))

        // Every connection reported its close with the right counts.
        let deadline = Date().addingTimeInterval(20)
        while proxy.audit.all.filter({ $0.kind == .close }).count < count, Date() < deadline { usleep(10_000) }
        let closes = proxy.audit.all.filter { $0.kind == .close }
        XCTAssertEqual(closes.count, count)
        XCTAssertTrue(closes.allSatisfy { $0.bytesUp == $0.bytesDown && ($0.bytesUp ?? 0) >= 1009 })
        XCTAssertEqual(proxy.audit.all.filter { $0.action != .allow }.count, 0)
        while proxy.proxy.activeConnections > 0, Date() < deadline { usleep(10_000) }
        XCTAssertEqual(proxy.proxy.activeConnections, 0)
    }

    static func residentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        let kib = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        return kib / 1024
    }

    /// 100 MiB (or `INTERLOCK_EGRESS_BENCH_MIB`) through a CONNECT tunnel, compared with the same
    /// transfer straight from the server (`INTERLOCK_EGRESS_BENCH_ROUNDS` rounds, best of each).
    /// Prints the throughput of both; asserts only the byte counts.
    func testHundredMegabyteTransferThroughConnect() throws {
        let environment = ProcessInfo.processInfo.environment
        let mib = Int(environment["INTERLOCK_EGRESS_BENCH_MIB"] ?? "") ?? 100
        let rounds = max(1, Int(environment["INTERLOCK_EGRESS_BENCH_ROUNDS"] ?? "") ?? 1)
        let size = mib << 20
        let source = try servers.source(bytes: size)
        let proxy = try ProxyFixture(egress: ["bulk.test:\(source)"], hosts: ["bulk.test": "127.0.0.1"])
        fixture = proxy

        var bestDirect = Double.infinity
        var bestProxied = Double.infinity
        var setup: [Double] = []
        for round in 0..<rounds {
            var start = Date()
            let direct = try BlockingClient(port: source)
            XCTAssertEqual(direct.drain(), size)
            bestDirect = min(bestDirect, Date().timeIntervalSince(start))

            start = Date()
            let client = try BlockingClient(port: proxy.httpPort)
            client.send("CONNECT bulk.test:\(source) HTTP/1.1\r\n\r\n")
            XCTAssertEqual(client.read(until: "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n")
            setup.append(Date().timeIntervalSince(start))
            XCTAssertEqual(client.drain(), size)
            bestProxied = min(bestProxied, Date().timeIntervalSince(start))
            client.shutdownWrite()  // the client's half: the tunnel ends when both sides are done

            let deadline = Date().addingTimeInterval(10)
            var allCloses = proxy.audit.all.filter { $0.kind == .close }
            while allCloses.count < round + 1, Date() < deadline {
                usleep(5_000)
                allCloses = proxy.audit.all.filter { $0.kind == .close }
            }
            XCTAssertEqual(allCloses.count, round + 1)
            XCTAssertEqual(allCloses.last?.bytesDown, UInt64(size))
            XCTAssertEqual(allCloses.last?.bytesUp, 0)
        }
        let medianSetup = setup.sorted()[setup.count / 2] * 1000
        print(String(format: "egress throughput, %d MiB x %d: direct %.0f MiB/s, through CONNECT %.0f MiB/s (%.0f%%); "
                     + "CONNECT until 200: median %.2f ms",
                     mib, rounds, Double(mib) / bestDirect, Double(mib) / bestProxied, 100 * bestDirect / bestProxied, medianSetup))
    }

    /// Connection setup: time to the first echoed byte, direct and through CONNECT (sequential,
    /// 200 each). Prints the medians; asserts only that every connection worked.
    func testConnectionSetupLatency() throws {
        let echo = try servers.echo()
        let proxy = try ProxyFixture(egress: ["echo.test:\(echo)"], hosts: ["echo.test": "127.0.0.1"])
        fixture = proxy
        var direct: [Double] = []
        var proxied: [Double] = []
        for _ in 0..<200 {
            var start = Date()
            let plain = try BlockingClient(port: echo)
            plain.send("x")
            XCTAssertEqual(plain.read(exactly: 1), [0x78])
            direct.append(Date().timeIntervalSince(start))

            start = Date()
            let tunnelled = try BlockingClient(port: proxy.httpPort)
            tunnelled.send("CONNECT echo.test:\(echo) HTTP/1.1\r\n\r\nx")
            XCTAssertEqual(tunnelled.read(until: "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n")
            XCTAssertEqual(tunnelled.read(exactly: 1), [0x78])
            proxied.append(Date().timeIntervalSince(start))
        }
        let medianDirect = direct.sorted()[direct.count / 2] * 1000
        let medianProxied = proxied.sorted()[proxied.count / 2] * 1000
        print(String(format: "egress setup to first echoed byte, median of 200: direct %.3f ms, through CONNECT %.3f ms (+%.3f ms)",
                     medianDirect, medianProxied, medianProxied - medianDirect))
    }

    /// Upload direction: 32 MiB up through the tunnel to the echo server and back, with the
    /// client writing and reading on two threads (backpressure both ways).
    func testBidirectionalTransferWithBackpressure() throws {
        let echo = try servers.echo()
        let proxy = try ProxyFixture(egress: ["echo.test:\(echo)"], hosts: ["echo.test": "127.0.0.1"])
        fixture = proxy
        let client = try BlockingClient(port: proxy.httpPort)
        client.send("CONNECT echo.test:\(echo) HTTP/1.1\r\n\r\n")
        XCTAssertEqual(client.read(until: "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n")
        let size = 32 << 20
        let writer = Thread {
            let chunk = [UInt8](repeating: 0x5A, count: 1 << 20)
            for _ in 0..<(size >> 20) { client.send(chunk) }
            client.shutdownWrite()
        }
        writer.start()
        XCTAssertEqual(client.drain(), size)
        let close = proxy.audit.wait { $0.kind == .close }
        XCTAssertEqual(close?.bytesUp, UInt64(size))
        XCTAssertEqual(close?.bytesDown, UInt64(size))
    }
}
