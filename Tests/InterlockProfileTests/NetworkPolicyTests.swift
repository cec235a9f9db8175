import Foundation
import XCTest
@testable import InterlockProfile

/// `[network]`: egress/deny entry validation, `hosts`, `unix_sockets`.
final class NetworkPolicyTests: ProfileTestCase {
    func testHostsAndUnixSocketsLoadAndMerge() throws {
        try dir.write("base.toml", """
        [network]
        egress = ["api.staging.test:443", "*.pkg.test", "10.0.0.0/8:5432", "[fd00::/8]:443", "db.test:*", "ci.test:8000-8999"]
        deny = ["prod.test", "10.9.0.0/16"]
        hosts = { "api.staging.test" = "127.0.0.1", "OLD.test" = "10.0.0.1" }
        unix_sockets = ["~/.ssh/agent.sock"]
        """)
        let project = try dir.write(".interlock.toml", """
        extends = "base.toml"
        [network]
        hosts = { "old.test" = "10.0.0.2", "v6.test" = "0:0:0:0:0:0:0:1" }
        unix_sockets = ["/run/postgresql/.s.PGSQL.5432"]
        [env.staging]
        network.hosts = { "api.staging.test" = "127.0.0.5" }
        network.unix_sockets = ["run/app.sock"]
        """)
        let base = try load(project)
        XCTAssertEqual(base.network.egress.count, 6)
        XCTAssertEqual(base.network.deny, ["prod.test", "10.9.0.0/16"])
        // Names lowercased, addresses canonical; later profiles replace a name.
        XCTAssertEqual(base.network.hosts, ["api.staging.test": "127.0.0.1", "old.test": "10.0.0.2", "v6.test": "::1"])
        XCTAssertEqual(base.network.unixSockets, ["~/.ssh/agent.sock", "/run/postgresql/.s.PGSQL.5432"])
        let staging = try load(project, env: "staging")
        XCTAssertEqual(staging.network.hosts["api.staging.test"], "127.0.0.5")
        XCTAssertEqual(staging.network.unixSockets, ["~/.ssh/agent.sock", "/run/postgresql/.s.PGSQL.5432", "run/app.sock"])
    }

    func testNetworkErrorsNameFileLineAndKey() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[network]\negress = [\n  \"ok.test:443\",\n  \"api.test:https\",\n]\n"),
                       "\(p):4: network.egress: invalid egress entry 'api.test:https': the port must be a number from 1 to 65535, a range such as 8000-8999, or *")
        XCTAssertEqual(try errorText("[network]\ndeny = [\"10.1.0.0/8\"]\n"),
                       "\(p):2: network.deny: invalid deny entry '10.1.0.0/8': 10.1.0.0 has bits set past /8; the network is 10.0.0.0/8")
        XCTAssertEqual(try errorText("[env.staging]\nnetwork.egress = [\"a.*.test\"]\n"),
                       "\(p):2: env.staging.network.egress: invalid egress entry 'a.*.test': '*' is only allowed as a leading '*.' (such as *.example.com)")
        XCTAssertEqual(try errorText("[network]\negress = [\"127.1:80\"]\n"),
                       "\(p):2: network.egress: invalid egress entry '127.1:80': this looks like an IP address; write IPv4 addresses as four decimal numbers, such as 10.0.0.1")
        XCTAssertEqual(try errorText("[network]\negress = [\"\"]\n"), "\(p):2: network.egress: value must not be empty")
        XCTAssertEqual(try errorText("[network]\n\nhosts = { \"api.test\" = \"localhost\" }\n"),
                       "\(p):3: network.hosts.\"api.test\": invalid address 'localhost' for host 'api.test'; use an IPv4 address such as \"127.0.0.1\" or an IPv6 address such as \"::1\"")
        XCTAssertEqual(try errorText("[network]\nhosts = { \"api.test\" = \"127.1\" }\n"),
                       "\(p):2: network.hosts.\"api.test\": invalid address '127.1' for host 'api.test'; use an IPv4 address such as \"127.0.0.1\" or an IPv6 address such as \"::1\"")
        XCTAssertEqual(try errorText("[network]\nhosts = { \"bad name\" = \"127.0.0.1\" }\n"),
                       "\(p):2: network.hosts.\"bad name\": invalid host name 'bad name': host names contain only letters, digits, '-' and '_'")
        XCTAssertEqual(try errorText("[network]\nhosts = { \"a.test\" = \"127.0.0.1\", \"A.TEST\" = \"127.0.0.2\" }\n"),
                       "\(p):2: network.hosts.\"A.TEST\": host 'A.TEST' is already listed as 'a.test'")
        XCTAssertEqual(try errorText("[network]\nhosts = { \"a.test\" = 1 }\n"),
                       "\(p):2: network.hosts.\"a.test\": expected a string, found integer")
        XCTAssertEqual(try errorText("[network]\nhosts = [\"a.test\"]\n"),
                       "\(p):2: network.hosts: expected a table, found array")
        XCTAssertEqual(try errorText("[network.hosts]\n\"a.test\" = \"127.0.0.1\"\n\"b.test\" = \"nope\"\n"),
                       "\(p):3: network.hosts.\"b.test\": invalid address 'nope' for host 'b.test'; use an IPv4 address such as \"127.0.0.1\" or an IPv6 address such as \"::1\"")
        XCTAssertEqual(try errorText("[network]\nunix_sockets = [\"../docker.sock\"]\n"),
                       "\(p):2: network.unix_sockets: invalid path '../docker.sock': '..' components are not allowed")
        XCTAssertEqual(try errorText("[network]\nunix_sockets = \"/run/docker.sock\"\n"),
                       "\(p):2: network.unix_sockets: expected an array of strings, found string")
    }

    func testRenderingRoundTrips() throws {
        let path = try dir.write("p.toml", """
        [network]
        egress = ["api.staging.test:443"]
        hosts = { "api.staging.test" = "127.0.0.1", "v6.test" = "::1" }
        unix_sockets = ["~/.ssh/agent.sock"]
        """)
        let policy = try load(path)
        let toml = policy.tomlString()
        XCTAssertTrue(toml.contains("hosts = { \"api.staging.test\" = \"127.0.0.1\", \"v6.test\" = \"::1\" }\n"), toml)
        XCTAssertTrue(toml.contains("unix_sockets = [\"~/.ssh/agent.sock\"]\n"), toml)
        let reloaded = try load(try dir.write("rendered.toml", toml))
        XCTAssertEqual(reloaded.network, policy.network)
        XCTAssertTrue(Policy().tomlString().contains("hosts = {}\n"))
        XCTAssertEqual(try load(try dir.write("empty.toml", Policy().tomlString())).network, NetworkPolicy())

        let json = policy.jsonString()
        XCTAssertTrue(json.contains("\"unix_sockets\": [\n"), json)
        XCTAssertEqual(try JSONDecoder().decode(Policy.self, from: Data(json.utf8)).network, policy.network)
    }

    func testAddressAndEntryParsing() {
        XCTAssertEqual(IPAddress("10.0.0.1")?.description, "10.0.0.1")
        XCTAssertEqual(IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001")?.description, "2001:db8::1")
        XCTAssertEqual(IPAddress("1:0:0:1:0:0:0:1")?.description, "1:0:0:1::1")
        XCTAssertEqual(IPAddress("::ffff:192.168.1.1"), IPAddress("192.168.1.1"))
        XCTAssertNil(IPAddress("010.0.0.1"))
        XCTAssertNil(IPAddress("1.2.3"))
        XCTAssertNil(IPAddress(":::1"))
        XCTAssertEqual(IPNetwork("10.0.0.0/8")?.contains(IPAddress("10.255.1.2")!), true)
        XCTAssertEqual(IPNetwork("10.0.0.0/8")?.contains(IPAddress("11.0.0.1")!), false)
        XCTAssertEqual(IPNetwork("fe80::/10")?.contains(IPAddress("febf::1")!), true)
        XCTAssertEqual(IPNetwork("fe80::/10")?.contains(IPAddress("fec0::1")!), false)
        XCTAssertEqual(IPNetwork("0.0.0.0/0")?.contains(IPAddress("::1")!), false)
        XCTAssertEqual(EgressEntry("api.test")?.ports, .unspecified)
        XCTAssertEqual(EgressEntry("api.test:*")?.ports, .any)
        XCTAssertEqual(EgressEntry("api.test:22")?.ports, .range(22...22))
        XCTAssertEqual(EgressEntry("192.168.1.5")?.target, .network(IPNetwork("192.168.1.5/32")!))
        XCTAssertEqual(HostName.normalize("Api.Example.COM."), "api.example.com")
        XCTAssertNil(HostName.normalize("a..b"))
        XCTAssertNil(HostName.normalize(String(repeating: "a", count: 64) + ".test"))
    }
}
