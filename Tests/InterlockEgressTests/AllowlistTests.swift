import XCTest
import InterlockProfile
@testable import InterlockEgress

final class AllowlistTests: XCTestCase {
    private func rules(_ egress: [String], deny: [String] = [], hosts: [String: String] = [:]) throws -> EgressRules {
        try EgressRules(egress: egress, deny: deny, hosts: hosts, environment: "staging", profileFile: "/w/.interlock.toml")
    }

    /// (host, port, allowed, rule) rows against one rule set.
    private func assertTable(_ rules: EgressRules, _ rows: [(String, Int, Bool, String)],
                             file: StaticString = #filePath, line: UInt = #line) {
        for (host, port, allowed, rule) in rows {
            let decision = rules.decide(host: host, port: port)
            XCTAssertEqual(decision.allowed, allowed, "\(host):\(port) → \(decision)", file: file, line: line)
            XCTAssertEqual(decision.rule, rule, "\(host):\(port)", file: file, line: line)
        }
    }

    func testHostPortWildcardBareHostAndPortForms() throws {
        let r = try rules(["api.staging.example.com:443", "*.pkg.example.org:443", "git.example.com",
                           "db.example.com:*", "ci.example.com:8000-8999", "Mixed.Case.COM.:8443"])
        assertTable(r, [
            ("api.staging.example.com", 443, true, "egress \"api.staging.example.com:443\""),
            ("API.Staging.Example.com.", 443, true, "egress \"api.staging.example.com:443\""),
            ("api.staging.example.com", 80, false, "no matching egress entry"),
            ("api.production.example.com", 443, false, "no matching egress entry"),
            ("staging.example.com", 443, false, "no matching egress entry"),
            ("x.api.staging.example.com", 443, false, "no matching egress entry"),
            ("a.pkg.example.org", 443, true, "egress \"*.pkg.example.org:443\""),
            ("a.b.pkg.example.org", 443, true, "egress \"*.pkg.example.org:443\""),
            ("pkg.example.org", 443, false, "no matching egress entry"),
            ("evilpkg.example.org", 443, false, "no matching egress entry"),
            ("a.pkg.example.org", 80, false, "no matching egress entry"),
            ("git.example.com", 443, true, "egress \"git.example.com\""),
            ("git.example.com", 80, true, "egress \"git.example.com\""),
            ("git.example.com", 22, false, "no matching egress entry"),
            ("db.example.com", 5432, true, "egress \"db.example.com:*\""),
            ("db.example.com", 1, true, "egress \"db.example.com:*\""),
            ("ci.example.com", 8000, true, "egress \"ci.example.com:8000-8999\""),
            ("ci.example.com", 8999, true, "egress \"ci.example.com:8000-8999\""),
            ("ci.example.com", 9000, false, "no matching egress entry"),
            ("mixed.case.com", 8443, true, "egress \"Mixed.Case.COM.:8443\""),
            ("bad host", 443, false, "invalid request"),
            ("api.staging.example.com", 0, false, "invalid request"),
            ("api.staging.example.com", 70000, false, "invalid request"),
        ])
    }

    /// Decisions come from an index of the name entries; they must be what walking the lists
    /// entry by entry gives (first deny that matches, else first egress entry), on overlapping
    /// exact and suffix entries with different ports.
    func testNameIndexAgreesWithEntryByEntryMatching() throws {
        let labels = ["a", "b", "api", "x-y", "example", "com", "org"]
        var egress: [String] = [], deny: [String] = []
        var generator = SystemRandomNumberGenerator()
        func name(_ depth: Int) -> String {
            (0..<depth).map { _ in labels.randomElement(using: &generator) ?? "a" }.joined(separator: ".")
        }
        let ports = ["", ":443", ":80", ":*", ":8000-8999", ":22"]
        for _ in 0..<300 {
            let entry = (Bool.random(using: &generator) ? "*." : "") + name(Int.random(in: 1...3, using: &generator))
                + (ports.randomElement(using: &generator) ?? "")
            if Int.random(in: 0..<5, using: &generator) == 0 { deny.append(entry) } else { egress.append(entry) }
        }
        egress += ["10.0.0.0/8:443", "192.0.2.1"]
        let r = try rules(egress, deny: deny)
        for _ in 0..<3000 {
            let host = name(Int.random(in: 1...4, using: &generator))
            let port = [443, 80, 22, 8080, 8500, 5432].randomElement(using: &generator) ?? 443
            let expected: (Bool, String)
            if let entry = r.deny.first(where: { EgressRules.matches($0, name: host, port: port, isDeny: true) }) {
                expected = (false, "deny \"\(entry.text)\"")
            } else if let entry = r.allow.first(where: { EgressRules.matches($0, name: host, port: port, isDeny: false) }) {
                expected = (true, "egress \"\(entry.text)\"")
            } else {
                expected = (false, "no matching egress entry")
            }
            let decision = r.decide(host: host, port: port)
            XCTAssertEqual(decision.allowed, expected.0, "\(host):\(port)")
            XCTAssertEqual(decision.rule, expected.1, "\(host):\(port)")
            let deniedEverywhere = r.deny.contains {
                EgressRules.matchesName($0.target, host) && EgressRules.coversAllPorts($0.ports, isDeny: true)
            }
            let named = !deniedEverywhere && r.allow.contains { EgressRules.matchesName($0.target, host) }
            XCTAssertEqual(r.allowsName(host), named, host)
        }
    }

    func testDenyOverridesAndBareDenyCoversEveryPort() throws {
        let r = try rules(["*.example.com:*", "10.0.0.0/8:*"], deny: ["*.prod.example.com", "admin.example.com:22", "10.9.0.0/16"])
        assertTable(r, [
            ("api.example.com", 443, true, "egress \"*.example.com:*\""),
            ("api.prod.example.com", 443, false, "deny \"*.prod.example.com\""),
            ("api.prod.example.com", 5432, false, "deny \"*.prod.example.com\""),
            ("admin.example.com", 22, false, "deny \"admin.example.com:22\""),
            ("admin.example.com", 443, true, "egress \"*.example.com:*\""),
            ("10.1.2.3", 5432, true, "egress \"10.0.0.0/8:*\""),
            ("10.9.2.3", 5432, false, "deny \"10.9.0.0/16\""),
        ])
        // Resolved addresses are checked against deny CIDRs too.
        let checked = r.check(resolved: [.v4(0x0A09_0001)], host: "api.example.com", port: 443)
        XCTAssertFalse(checked.allowed)
        XCTAssertEqual(checked.rule, "deny \"10.9.0.0/16\"")
        XCTAssertFalse(r.allowsName("x.prod.example.com"))
        XCTAssertTrue(r.allowsName("x.example.com"))
    }

    func testCIDRAndIPEntries() throws {
        let r = try rules(["203.0.113.0/24:5432", "198.51.100.7", "[2001:db8::/32]:443", "2001:db8:1::5", "0.0.0.0/0:8443"])
        assertTable(r, [
            ("203.0.113.9", 5432, true, "egress \"203.0.113.0/24:5432\""),
            ("203.0.113.9", 5433, false, "no matching egress entry"),
            ("203.0.114.1", 5432, false, "no matching egress entry"),
            ("198.51.100.7", 443, true, "egress \"198.51.100.7\""),
            ("198.51.100.7", 80, true, "egress \"198.51.100.7\""),
            ("198.51.100.7", 22, false, "no matching egress entry"),
            ("[2001:db8::1]", 443, true, "egress \"[2001:db8::/32]:443\""),
            ("2001:db8::1", 443, true, "egress \"[2001:db8::/32]:443\""),
            ("2001:db8:1::5", 80, true, "egress \"[2001:db8::/32]:443\"".replacingOccurrences(of: "[2001:db8::/32]:443", with: "2001:db8:1::5")),
            ("93.184.216.34", 8443, true, "egress \"0.0.0.0/0:8443\""),
            // A /0 does not name private, loopback or link-local addresses.
            ("10.0.0.1", 8443, false, "built-in: private addresses need an explicit entry"),
            ("127.0.0.1", 8443, false, "built-in: loopback addresses need an explicit entry"),
            ("169.254.169.254", 8443, false, "built-in: link-local addresses need an explicit entry"),
        ])
        // A name never matches an IP entry, an IP literal never matches a name entry.
        let names = try rules(["localhost:80", "127.0.0.1:8080"])
        XCTAssertFalse(names.decide(host: "127.0.0.1", port: 80).allowed)
        XCTAssertEqual(names.decide(host: "127.0.0.1", port: 80).reason,
                       "raw IP addresses are allowed only by an IP or CIDR entry in network.egress, and none covers 127.0.0.1:80")
    }

    func testIPLiteralNormalisation() throws {
        let r = try rules(["127.0.0.1:8080", "[::1]:8080", "10.1.2.3:22"])
        // Every spelling of 127.0.0.1 is the same destination, and it is named explicitly.
        for spelling in ["127.0.0.1", "2130706433", "0x7f000001", "0x7F.0.0.1", "0177.0.0.1", "0177.0.0.01", "127.1", "127.0.1",
                         "::ffff:127.0.0.1", "[::ffff:127.0.0.1]", "::ffff:7f00:1", "0:0:0:0:0:ffff:7f00:0001", "127.0.0.1."] {
            let decision = r.decide(host: spelling, port: 8080)
            XCTAssertTrue(decision.allowed, "\(spelling): \(decision)")
            XCTAssertEqual(decision.addresses, [.v4(0x7F00_0001)], spelling)
        }
        XCTAssertTrue(r.decide(host: "0:0:0:0:0:0:0:1", port: 8080).allowed)
        XCTAssertTrue(r.decide(host: "10.66051", port: 22).allowed)  // 10.1.2.3 as a.b (b: 24 bits)
        XCTAssertTrue(r.decide(host: "012.1.2.3", port: 22).allowed)  // octal 012 = 10
        XCTAssertFalse(r.decide(host: "127.0.0.2", port: 8080).allowed)
        // Not addresses (and not names either): refused as invalid.
        for bogus in ["256.0.0.1", "1.2.3.4.5", "0x1ffffffff", "08.0.0.1", "fe80::1%eth0", "[127.0.0.1]", "1::2::3"] {
            XCTAssertNil(IPAddress(normalizing: bogus), bogus)
            XCTAssertFalse(r.decide(host: bogus, port: 8080).allowed, bogus)
        }
        XCTAssertEqual(IPAddress(normalizing: "0x7f000001")?.description, "127.0.0.1")
        XCTAssertEqual(IPAddress(normalizing: "[2001:DB8:0:0:1:0:0:1]")?.description, "2001:db8::1:0:0:1")
        XCTAssertEqual(IPAddress(normalizing: "::")?.description, "::")
        XCTAssertEqual(IPAddress("::ffff:10.0.0.1"), .v4(0x0A00_0001))
        // Profiles use the strict forms only.
        XCTAssertNil(IPAddress("127.1"))
        XCTAssertNil(IPAddress("0177.0.0.1"))
    }

    func testSpecialAddressesAreRefusedUnlessNamed() throws {
        let r = try rules(["api.example.com:443", "metadata.example.com:80", "db.internal:5432", "10.20.0.0/16:5432",
                           "mapped.test:8080", "link.example.com:80"],
                          hosts: ["mapped.test": "127.0.0.1"])
        let cases: [(IPAddress, String)] = [
            (IPAddress("127.0.0.1")!, "loopback"), (IPAddress("127.255.0.9")!, "loopback"), (IPAddress("::1")!, "loopback"),
            (IPAddress("10.1.1.1")!, "private"), (IPAddress("172.16.0.1")!, "private"), (IPAddress("172.31.255.255")!, "private"),
            (IPAddress("192.168.1.1")!, "private"), (IPAddress("100.64.0.1")!, "private"), (IPAddress("fd00::1")!, "private"),
            (IPAddress("169.254.169.254")!, "link-local"), (IPAddress("fe80::1")!, "link-local"),
            (IPAddress("0.0.0.0")!, "unspecified"), (IPAddress("::")!, "unspecified"),
            (IPAddress("224.0.0.1")!, "multicast"), (IPAddress("ff02::1")!, "multicast"),
            (IPAddress("255.255.255.255")!, "broadcast"), (IPAddress("240.0.0.1")!, "reserved"),
            (IPAddress("64:ff9b::a9fe:a9fe")!, "link-local"),  // NAT64 of 169.254.169.254
            (IPAddress("2002:a00:1::1")!, "private"),  // 6to4 of 10.0.0.1
        ]
        for (address, expected) in cases {
            XCTAssertEqual(EgressRules.classify(address)?.name, expected, address.description)
            let decision = r.check(resolved: [address], host: "api.example.com", port: 443)
            XCTAssertFalse(decision.allowed, address.description)
            XCTAssertEqual(decision.rule, "built-in: \(expected) addresses need an explicit entry")
        }
        for global in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "172.32.0.1", "100.128.0.1", "64:ff9b::5db8:d822"] {
            XCTAssertNil(EgressRules.classify(IPAddress(global)!), global)
            XCTAssertTrue(r.check(resolved: [IPAddress(global)!], host: "api.example.com", port: 443).allowed, global)
        }
        // The metadata address, reached by name, with the reason spelled out.
        let metadata = r.check(resolved: [IPAddress("169.254.169.254")!], host: "metadata.example.com", port: 80)
        XCTAssertFalse(metadata.allowed)
        XCTAssertEqual(metadata.reason, "metadata.example.com resolves to 169.254.169.254, a link-local address (169.254.0.0/16); "
            + "only a profile entry within that block, such as \"169.254.169.254:80\" or network.hosts \"metadata.example.com\" = \"169.254.169.254\", allows it")
        // Named by a CIDR inside the private block, on the right port.
        XCTAssertTrue(r.check(resolved: [IPAddress("10.20.3.4")!], host: "db.internal", port: 5432).allowed)
        XCTAssertFalse(r.check(resolved: [IPAddress("10.21.3.4")!], host: "db.internal", port: 5432).allowed)
        // Named through network.hosts: exactly that address.
        let mapped = r.check(resolved: [IPAddress("127.0.0.1")!], host: "mapped.test", port: 8080)
        XCTAssertTrue(mapped.allowed)
        XCTAssertEqual(mapped.rule, "egress \"mapped.test:8080\", network.hosts \"mapped.test\" = \"127.0.0.1\"")
        XCTAssertFalse(r.check(resolved: [IPAddress("127.0.0.2")!], host: "mapped.test", port: 8080).allowed)
        // Mixed answers: the special address is dropped, the global one kept (no rebinding to it).
        let mixed = r.check(resolved: [IPAddress("127.0.0.1")!, IPAddress("93.184.216.34")!], host: "api.example.com", port: 443)
        XCTAssertTrue(mixed.allowed)
        XCTAssertEqual(mixed.addresses, [IPAddress("93.184.216.34")!])
        // The check repeats the name decision.
        XCTAssertFalse(r.check(resolved: [IPAddress("93.184.216.34")!], host: "other.example.com", port: 443).allowed)
        // Literal metadata address: refused, and an explicit /32 allows it.
        XCTAssertFalse(r.decide(host: "169.254.169.254", port: 80).allowed)
        let named = try rules(["169.254.169.254/32:80"])
        XCTAssertTrue(named.decide(host: "169.254.169.254", port: 80).allowed)
        XCTAssertTrue(named.decide(host: "0xa9fea9fe", port: 80).allowed)
    }

    func testHostsMapAndDNSNames() throws {
        var r = try rules(["api.staging.test:8443", "*.cdn.test:443"], deny: ["blocked.cdn.test"],
                          hosts: ["api.staging.test": "127.0.0.1", "Only.Mapped.test": "::1"])
        XCTAssertEqual(r.hosts["api.staging.test"], .v4(0x7F00_0001))
        XCTAssertEqual(r.hosts["only.mapped.test"], IPAddress("::1"))
        XCTAssertTrue(r.allowsName("api.staging.test"))
        XCTAssertTrue(r.allowsName("API.staging.test."))
        XCTAssertTrue(r.allowsName("only.mapped.test"))
        XCTAssertTrue(r.allowsName("a.cdn.test"))
        XCTAssertFalse(r.allowsName("blocked.cdn.test"))
        XCTAssertFalse(r.allowsName("cdn.test"))
        XCTAssertFalse(r.allowsName("evil.test"))
        XCTAssertFalse(r.allowsName("127.0.0.1"))
        // Mapped but not allowed: the name resolves, the connection is still refused.
        XCTAssertFalse(r.decide(host: "only.mapped.test", port: 443).allowed)
        try r.addHosts(["extra.test": "10.0.0.5"])
        XCTAssertEqual(r.hosts["extra.test"], .v4(0x0A00_0005))
        XCTAssertThrowsError(try r.addHosts(["bad name": "127.0.0.1"]))
        XCTAssertThrowsError(try r.addHosts(["ok.test": "localhost"]))
    }

    func testRefusalMessage() throws {
        let r = try rules([])
        XCTAssertEqual(r.refusalMessage(host: "Evil.TEST", port: 443),
                       "egress to evil.test:443 is not allowed in environment 'staging' (profile /w/.interlock.toml)")
        XCTAssertEqual(r.refusalMessage(host: "0x7f000001", port: 80),
                       "egress to 127.0.0.1:80 is not allowed in environment 'staging' (profile /w/.interlock.toml)")
        XCTAssertEqual(r.refusalMessage(host: "::1", port: 80),
                       "egress to [::1]:80 is not allowed in environment 'staging' (profile /w/.interlock.toml)")
        let none = try EgressRules(policy: NetworkPolicy(), environment: nil, profileFile: nil)
        XCTAssertEqual(none.refusalMessage(host: "a.test", port: 1), "egress to a.test:1 is not allowed in environment '(none)' (profile (none))")
    }

    func testEntryGrammarErrors() {
        let bad: [(String, String)] = [
            ("api.example.com:https", "the port must be a number from 1 to 65535, a range such as 8000-8999, or *"),
            ("api.example.com:0", "the port must be a number from 1 to 65535, a range such as 8000-8999, or *"),
            ("api.example.com:9-1", "the port range 9-1 is empty"),
            ("*", "'*' is only allowed as a leading '*.' (such as *.example.com)"),
            ("*.", "the host name is empty"),
            ("a.*.example.com:443", "'*' is only allowed as a leading '*.' (such as *.example.com)"),
            ("10.1.0.0/8", "10.1.0.0 has bits set past /8; the network is 10.0.0.0/8"),
            ("10.0.0.0/33", "the prefix length must be a number from 0 to 32"),
            ("127.1:80", "this looks like an IP address; write IPv4 addresses as four decimal numbers, such as 10.0.0.1"),
            ("[example.com]:80", "only IPv6 addresses are written in brackets"),
            ("api example.com", "entries contain no spaces or control characters"),
            ("bücher.example", "host names must be ASCII (write internationalised names in their xn-- form)"),
            ("https://api.example.com", "the port must be a number from 1 to 65535, a range such as 8000-8999, or *"),
        ]
        for (text, problem) in bad {
            guard case .failure(let error) = EgressEntry.parse(text) else {
                XCTFail("\(text) parsed")
                continue
            }
            XCTAssertEqual(error.message, problem, text)
        }
        XCTAssertThrowsError(try EgressRules(egress: ["bad entry"])) { error in
            XCTAssertEqual("\(error)", "network.egress: invalid entry 'bad entry': entries contain no spaces or control characters")
        }
        XCTAssertEqual(EgressEntry("*.Example.COM:443")?.target, .suffix("example.com"))
        XCTAssertEqual(EgressEntry("[::1]:22")?.target, .network(IPNetwork("::1/128")!))
        XCTAssertEqual(EgressEntry("fd00::/8")?.ports, .unspecified)
    }
}
