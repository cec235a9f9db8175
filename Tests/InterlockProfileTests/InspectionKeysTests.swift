import Foundation
@testable import InterlockProfile
import XCTest

final class InspectionKeysTests: XCTestCase {
    var dir: String = ""

    override func setUpWithError() throws {
        dir = "/tmp/interlock-inspection-keys-\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertEqual(mkdir(dir, 0o755), 0)
    }

    override func tearDown() {
        _ = try? FileManager.default.removeItem(atPath: dir)
    }

    func load(_ text: String, env: String? = nil) throws -> Policy {
        let path = dir + "/p.toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try ProfileLoader.load(reference: path, searchFrom: dir, environment: env)
    }

    func error(_ text: String) -> String {
        do { _ = try load(text); return "no error" } catch { return "\(error)" }
    }

    func testRulesAndCredentialsMergePerEnvironment() throws {
        try "-----BEGIN CERTIFICATE-----\n".write(toFile: dir + "/ca.pem", atomically: true, encoding: .utf8)
        let policy = try load("""
            [network]
            upstream_ca = "ca.pem"
            ask_timeout = 30
            [[http]]
            host = "api.test"
            action = "deny"
            graphql = ["mutation volumeDelete"]
            [[env.staging.http]]
            host = "*.railway.test"
            action = "ask"
            method = ["delete", "POST"]
            path = "/v1/**"
            headers = { "X-Env" = "prod*" }
            [[env.staging.credentials]]
            host = "api.test"
            header = "Authorization"
            value = "Bearer {token}"
            env = "RAILWAY_TOKEN"
            on_present = "strip"
            """, env: "staging")
        let inspection = policy.inspection
        XCTAssertEqual(inspection.http.count, 2)
        XCTAssertEqual(inspection.http[0].graphql, ["mutation volumeDelete"])
        XCTAssertEqual(inspection.http[1].methods, ["DELETE", "POST"])
        XCTAssertEqual(inspection.http[1].headers, ["x-env": "prod*"])
        XCTAssertEqual(inspection.http[1].source, dir + "/p.toml:8")
        XCTAssertEqual(inspection.credentials.first?.onPresent, .strip)
        XCTAssertEqual(inspection.upstreamCA, dir + "/ca.pem")
        XCTAssertEqual(inspection.askTimeout, 30)
        XCTAssertEqual(inspection.inspectedHosts, ["api.test", "*.railway.test"])
        XCTAssertEqual(try load("[[http]]\nhost = \"a.test\"\n[env.x]\n").inspection.http.count, 1)
    }

    func testErrorsNameFileLineAndKey() {
        let p = dir + "/p.toml"
        XCTAssertTrue(error("[[http]]\naction = \"deny\"\n").hasPrefix("\(p):1: http.host: missing key 'host'"), error("[[http]]\naction = \"deny\"\n"))
        XCTAssertTrue(error("[[http]]\nhost = \"a.test\"\naction = \"block\"\n").hasPrefix("\(p):3: http.action:"))
        XCTAssertTrue(error("[[http]]\nhost = \"a.test\"\ngraphql = [\"delete volume\"]\n").hasPrefix("\(p):3: http.graphql:"))
        XCTAssertTrue(error("[[http]]\nhost = \"a.test\"\nverb = \"GET\"\n").contains("unknown key 'verb'"))
        XCTAssertTrue(error("[[credentials]]\nhost = \"a.test\"\nheader = \"Authorization\"\n").contains("exactly one of 'file'"))
        XCTAssertTrue(error("[[credentials]]\nhost = \"a.test\"\nheader = \"A\"\nenv = \"T\"\nvalue = \"Bearer\"\n").contains("must contain {token}"))
        XCTAssertTrue(error("[network]\nfound_tokens = \"maybe\"\n").hasPrefix("\(p):2: network.found_tokens:"))
        XCTAssertTrue(error("http = 3\n").contains("an array of tables"))
    }

    func testExtendsTakesSeveralProfilesAndRulePacks() throws {
        let policy = try load("extends = [\"default\", \"rules/railway\", \"rules/github\", \"rules/railway\"]\n")
        XCTAssertEqual(policy.sources.first, "builtin:default")
        XCTAssertTrue(policy.sources.contains("builtin:rules/railway"))
        XCTAssertEqual(policy.sources.filter { $0 == "builtin:rules/railway" }.count, 1)
        XCTAssertTrue(policy.inspection.inspectedHosts.contains("backboard.railway.app"))
        XCTAssertTrue(policy.inspection.inspectedHosts.contains("api.github.com"))
        XCTAssertTrue(policy.syscalls.baseline == "agent")
        XCTAssertTrue(error("extends = [\"default\", \"rules/nope\"]\n").contains("rules/nope"))
    }

    func testRulePacksLoadAndMatchTheirFilesOnDisk() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path + "/profiles/rules").filter { $0.hasSuffix(".toml") }
        XCTAssertEqual(Set(names.map { "rules/" + $0.dropLast(5) }), Set(BuiltinRulePacks.all.keys), "run profiles/embed.sh")
        for name in names {
            let onDisk = try String(contentsOfFile: root.path + "/profiles/rules/" + name, encoding: .utf8)
            XCTAssertEqual(BuiltinRulePacks.all["rules/" + name.dropLast(5)], onDisk, "run profiles/embed.sh")
        }
        for name in BuiltinRulePacks.all.keys {
            let policy = try load("extends = [\"default\", \"\(name)\"]\n")
            XCTAssertFalse(policy.inspection.http.isEmpty, name)
        }
        XCTAssertEqual(try load("extends = [\"rules/rest-delete\"]\n").inspection.inspectedHosts, [], "host = * inspects nothing by itself")
    }
}

extension InspectionKeysTests {
    func testGitRulesParseMergeAndInspectTheirHost() throws {
        let policy = try load("""
            [[git]]
            host = "github.com"
            repos = ["acme/*"]
            push = ["refs/heads/agent/*"]
            force = "deny"
            delete = "ask"
            action_otherwise = "ask"
            [[env.staging.git]]
            host = "gitlab.com"
            """, env: "staging")
        XCTAssertEqual(policy.inspection.git.map(\.host), ["github.com", "gitlab.com"])
        XCTAssertEqual(policy.inspection.git[0].repos, ["acme/*"])
        XCTAssertEqual(policy.inspection.git[0].delete, .ask)
        XCTAssertEqual(policy.inspection.git[1].push, [])
        XCTAssertEqual(policy.inspection.git[1].force, .deny)
        XCTAssertTrue(policy.inspection.inspectedHosts.contains("github.com"))
        XCTAssertTrue(policy.inspection.isActive)
    }

    func testGitRuleErrorsNameFileLineAndKey() {
        XCTAssertTrue(error("[[git]]\nhost = \"github.com\"\nforce = \"maybe\"\n").contains(":3"), error("[[git]]\nhost = \"github.com\"\nforce = \"maybe\"\n"))
        XCTAssertTrue(error("[[git]]\nhost = \"github.com\"\npush = [\"main\"]\n").contains("refs/"))
        XCTAssertTrue(error("[[git]]\nhost = \"github.com\"\nrepos = [\"acme/app.git\"]\n").contains(".git"))
        XCTAssertTrue(error("[[git]]\nhost = \"github.com\"\nbranch = \"x\"\n").contains("branch"))
        XCTAssertTrue(error("[[git]]\npush = [\"refs/heads/x\"]\n").contains("host"))
        XCTAssertTrue(error("[[git]]\nhost = \"*\"\n").contains("*"))
    }
}
