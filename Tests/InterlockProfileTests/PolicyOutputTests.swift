import Foundation
import XCTest
@testable import InterlockProfile

final class PolicyOutputTests: XCTestCase {
    private var dir: TemporaryDirectory!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
    }

    override func tearDown() {
        dir.remove()
    }

    private func samplePolicy() throws -> Policy {
        let path = try dir.write(".interlock.toml", """
        extends = "default"
        default_env = "staging"
        [filesystem]
        hidden = ["infra/prod.tfvars", "quote\\"and\\\\slash"]
        [syscalls]
        deny = ["ptrace"]
        on_deny = "kill"
        [limits]
        memory = "1536M"
        cpu = 1.5
        [env.staging]
        network.egress = ["api.staging.example.com:443"]
        """)
        return try ProfileLoader.load(reference: path, searchFrom: dir.path, environment: nil)
    }

    func testJSONIsSortedSnakeCaseAndDecodesBack() throws {
        let policy = try samplePolicy()
        let json = policy.jsonString()
        XCTAssertTrue(json.hasSuffix("}\n"))
        for key in ["\"read_only\": []", "\"allow_files\": []", "\"on_deny\": \"kill\"", "\"open_files\": 8192",
                    "\"profile_directory\": \"\(dir.path)\"", "\"memory\": 1610612736", "\"cpu\": 1.5",
                    "\"environment\": \"staging\"", "\"mode\": \"enforce\""] {
            XCTAssertTrue(json.contains(key), "missing \(key) in\n\(json)")
        }
        // Top-level keys in sorted order.
        let topLevel = json.split(separator: "\n").filter { $0.hasPrefix("  \"") }.map { $0.split(separator: "\"")[1] }
        XCTAssertEqual(topLevel, ["capabilities", "environment", "environments", "filesystem", "inspection", "limits", "network",
                                  "profile_directory", "secrets", "sources", "syscalls"])

        let decoded = try JSONDecoder().decode(Policy.self, from: Data(json.utf8))
        XCTAssertEqual(decoded, policy)

        // Same shape as the Codable encoding.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let viaCodable = try JSONSerialization.jsonObject(with: encoder.encode(policy)) as? NSDictionary
        let viaString = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
        XCTAssertNotNil(viaString)
        XCTAssertEqual(viaCodable, viaString)
    }

    func testJSONWritesUnsetValuesAsNull() throws {
        let json = Policy().jsonString()
        XCTAssertTrue(json.contains("\"environment\": null"), json)
        XCTAssertTrue(json.contains("\"profile_directory\": null"), json)
        XCTAssertTrue(json.contains("\"memory\": null"), json)
        XCTAssertTrue(json.contains("\"on_deny\": \"errno:EPERM\""), json)
        XCTAssertEqual(try JSONDecoder().decode(Policy.self, from: Data(json.utf8)), Policy())
    }

    func testOnDenyCoding() throws {
        XCTAssertEqual(SyscallPolicy.OnDeny(parsing: "kill"), .kill)
        XCTAssertEqual(SyscallPolicy.OnDeny(parsing: "errno:EACCES"), .errno("EACCES"))
        XCTAssertNil(SyscallPolicy.OnDeny(parsing: "errno:NOPE"))
        XCTAssertNil(SyscallPolicy.OnDeny(parsing: "EPERM"))
        XCTAssertThrowsError(try JSONDecoder().decode([SyscallPolicy.OnDeny].self, from: Data("[\"errno:NOPE\"]".utf8)))
        XCTAssertEqual(try JSONDecoder().decode([SyscallPolicy.OnDeny].self, from: Data("[\"kill\",\"errno:EROFS\"]".utf8)),
                       [.kill, .errno("EROFS")])
    }

    func testTOMLRendersAndLoadsBackToTheSamePolicy() throws {
        let policy = try samplePolicy()
        let toml = policy.tomlString()
        XCTAssertTrue(toml.contains("on_deny = \"kill\"\n"), toml)
        XCTAssertTrue(toml.contains("memory = \"1536M\"\n"), toml)
        XCTAssertTrue(toml.contains("cpu = 1.5\n"), toml)
        XCTAssertTrue(toml.contains("egress = [\"api.staging.example.com:443\"]\n"), toml)
        XCTAssertTrue(toml.contains("# environment: staging (defined: staging)\n"), toml)
        XCTAssertTrue(toml.contains("hidden = [\"infra/prod.tfvars\", \"quote\\\"and\\\\slash\"]\n"), toml)

        let path = try dir.write("rendered.toml", toml)
        let reloaded = try ProfileLoader.load(reference: path, searchFrom: dir.path, environment: nil)
        XCTAssertEqual(reloaded.filesystem, policy.filesystem)
        XCTAssertEqual(reloaded.secrets, policy.secrets)
        XCTAssertEqual(reloaded.syscalls, policy.syscalls)
        XCTAssertEqual(reloaded.network, policy.network)
        XCTAssertEqual(reloaded.limits, policy.limits)
    }

    func testTOMLOfUnsetLimitsAndLongArrays() throws {
        var policy = Policy()
        policy.network.egress = (1...8).map { "host\($0).example.com:443" }
        let toml = policy.tomlString()
        XCTAssertTrue(toml.contains("# memory: no limit\n"), toml)
        XCTAssertTrue(toml.contains("egress = [\n    \"host1.example.com:443\",\n"), toml)
        let path = try dir.write("rendered.toml", toml)
        let reloaded = try ProfileLoader.load(reference: path, searchFrom: dir.path, environment: nil)
        XCTAssertEqual(reloaded.network.egress, policy.network.egress)
        XCTAssertEqual(reloaded.limits, LimitsPolicy())
    }
}
