import Foundation
@testable import InterlockInspectReaders
import InterlockProfile
import XCTest

/// The ref update commands of a push, read one way or refused, and what `[[git]]` rules decide.
final class GitPushTests: XCTestCase {
    let a = String(repeating: "a", count: 40), b = String(repeating: "b", count: 40), zero = String(repeating: "0", count: 40)

    func pkt(_ text: String) -> String {
        String(format: "%04x", text.utf8.count + 4) + text
    }

    func body(_ lines: [String], pack: String = "PACK....") -> [UInt8] {
        Array((lines.map(pkt).joined() + "0000" + pack).utf8)
    }

    func problem(_ bytes: [UInt8]) -> String? {
        do { _ = try GitPushCommands.read(bytes); return nil } catch { return error.message }
    }

    func testCommandsCapabilitiesAndKinds() throws {
        let push = try GitPushCommands.read(body([
            "\(a) \(b) refs/heads/main\0report-status side-band-64k agent=git/2.43\n",
            "\(zero) \(b) refs/heads/agent/x\n",
            "\(a) \(zero) refs/tags/v1\n",
        ]))
        XCTAssertEqual(push.commands.map(\.ref), ["refs/heads/main", "refs/heads/agent/x", "refs/tags/v1"])
        XCTAssertEqual(push.commands.map(\.kind), [.update, .create, .delete])
        XCTAssertEqual(push.capabilities, ["report-status", "side-band-64k", "agent=git/2.43"])
        XCTAssertEqual(push.packOffset, body([
            "\(a) \(b) refs/heads/main\0report-status side-band-64k agent=git/2.43\n",
            "\(zero) \(b) refs/heads/agent/x\n",
            "\(a) \(zero) refs/tags/v1\n",
        ], pack: "").count)
        // Deletions only: no pack.
        XCTAssertEqual(try GitPushCommands.read(body(["\(a) \(zero) refs/heads/x\0report-status\n"], pack: "")).commands.count, 1)
        // Push options, then the pack.
        let options = Array((pkt("\(zero) \(b) refs/heads/x\0push-options\n") + "0000" + pkt("ci.skip\n") + "0000" + "PACK").utf8)
        XCTAssertEqual(try GitPushCommands.read(options).packOffset, options.count - 4)
    }

    func testMalformedBodiesAreRefused() {
        let good = "\(a) \(b) refs/heads/main\n"
        XCTAssertNotNil(problem(Array("0000".utf8)), "a flush before any command")
        XCTAssertNotNil(problem(Array("0003".utf8)), "length 3")
        XCTAssertNotNil(problem(Array(("0001" + pkt(good) + "0000PACK").utf8)), "a delimiter")
        XCTAssertNotNil(problem(Array(("00zz" + good).utf8)), "not hex")
        XCTAssertNotNil(problem(Array(("ffff" + good + "0000").utf8)), "longer than the body")
        XCTAssertNotNil(problem(Array(("fff5" + good + String(repeating: "x", count: 0xfff5)).utf8)), "over git's largest packet")
        XCTAssertNotNil(problem(Array(pkt(good).utf8)), "no flush")
        XCTAssertNotNil(problem(body([good, good])), "a ref twice")
        XCTAssertNotNil(problem(body(["\(a.uppercased()) \(b) refs/heads/main\n"])), "uppercase ids")
        XCTAssertNotNil(problem(body(["\(a) \(b.dropLast()) refs/heads/main\n"])), "a short id")
        XCTAssertNotNil(problem(body(["\(zero) \(zero) refs/heads/main\n"])), "both zero")
        XCTAssertNotNil(problem(body([good, "\(a) \(b) refs/heads/x\0report-status\n"])), "a NUL after the first")
        XCTAssertNotNil(problem(body([good], pack: "garbage")), "not a pack")
        XCTAssertNotNil(problem(body([good], pack: "")), "an update without a pack")
        XCTAssertNotNil(problem(body(["push-cert\0report-status\n"])), "a signed push")
        for ref in ["main", "refs/heads/a..b", "refs/heads/a b", "refs/heads/x.lock", "refs/heads/.x", "refs/heads/x/", "refs/heads/a@{1}",
                    "refs/heads/a\u{7f}", "refs/heads/a:b", "refs/heads//a"] {
            XCTAssertNotNil(problem(body(["\(a) \(b) \(ref)\n"])), ref)
        }
        // Unusual but valid characters are read as they are.
        XCTAssertNil(problem(body(["\(a) \(b) refs/heads/agent/ünïcode-#1+x\n"])))
    }

    func rule(push: [String] = ["refs/heads/agent/*"], repos: [String] = [], force: HTTPRuleEntry.Action = .deny,
              otherwise: HTTPRuleEntry.Action = .deny) -> GitRuleEntry {
        var rule = GitRuleEntry(host: "git.test", source: "p.toml:1")
        rule.push = push
        rule.repos = repos
        rule.force = force
        rule.actionOtherwise = otherwise
        return rule
    }

    func decide(_ rules: [GitRuleEntry], _ commands: [GitPushCommands.Command], repository: String = "acme/app",
                fastForward: Bool = false) -> [HTTPRuleEntry.Action] {
        GitRules(rules: rules).decide(commands, host: "git.test", repository: repository) { _ in fastForward }.map(\.action)
    }

    func testDecisionsPerRef() {
        typealias C = GitPushCommands.Command
        let rules = [rule()]
        XCTAssertEqual(decide(rules, [C(oldID: zero, newID: b, ref: "refs/heads/agent/x")]), [.allow])
        XCTAssertEqual(decide(rules, [C(oldID: a, newID: b, ref: "refs/heads/agent/x")]), [.deny], "an update not proven a fast-forward")
        XCTAssertEqual(decide(rules, [C(oldID: a, newID: b, ref: "refs/heads/agent/x")], fastForward: true), [.allow])
        XCTAssertEqual(decide(rules, [C(oldID: a, newID: b, ref: "refs/heads/main")], fastForward: true), [.deny])
        XCTAssertEqual(decide(rules, [C(oldID: a, newID: zero, ref: "refs/heads/agent/x")]), [.deny], "a deletion")
        XCTAssertEqual(decide(rules, [C(oldID: zero, newID: b, ref: "refs/tags/v1")]), [.deny], "a tag")
        XCTAssertEqual(decide(rules, [C(oldID: zero, newID: b, ref: "refs/heads/agent/x/y")]), [.deny], "* stays within a segment")
        XCTAssertEqual(decide([rule(otherwise: .ask)], [C(oldID: zero, newID: b, ref: "refs/heads/main")]), [.ask])
        // The most restrictive rule wins; a repository no rule names is refused.
        XCTAssertEqual(decide([rule(force: .allow), rule()], [C(oldID: a, newID: b, ref: "refs/heads/agent/x")]), [.deny])
        XCTAssertEqual(decide([rule(repos: ["acme/*"])], [C(oldID: zero, newID: b, ref: "refs/heads/agent/x")], repository: "other/app"), [.deny])
        XCTAssertEqual(decide([rule(repos: ["acme/*"])], [C(oldID: zero, newID: b, ref: "refs/heads/agent/x")]), [.allow])
    }

    func testEndpoints() throws {
        func endpoint(_ method: String, _ target: String) throws -> GitEndpoint? {
            try GitEndpoint.of(InspectedRequest(host: "git.test", method: method, target: target, headers: [], body: []))
        }
        XCTAssertEqual(try endpoint("POST", "/acme/App.git/git-receive-pack"), GitEndpoint(repository: "acme/app", service: .push))
        XCTAssertEqual(try endpoint("POST", "/acme/app/git-upload-pack"), GitEndpoint(repository: "acme/app", service: .fetch))
        XCTAssertEqual(try endpoint("GET", "/acme/app.git/info/refs?service=git-receive-pack"),
                       GitEndpoint(repository: "acme/app", service: .pushAdvertisement))
        XCTAssertEqual(try endpoint("GET", "/acme/app.git/objects/info/packs"), GitEndpoint(repository: "acme/app", service: .fetch))
        XCTAssertNil(try endpoint("GET", "/acme/app/issues"))
        XCTAssertNil(try endpoint("GET", "/acme/app/blob/main/objects/readme.md"))
        XCTAssertEqual(try endpoint("GET", "/acme/app.git/objects/ab/cdef01"), GitEndpoint(repository: "acme/app", service: .fetch))
        XCTAssertEqual(try endpoint("GET", "/acme/app.git/objects/pack/pack-0123abc.idx"), GitEndpoint(repository: "acme/app", service: .fetch))
        for ambiguous in ["/other/x/../../acme/app/git-receive-pack", "/acme/app/git-receive-pac%6b", "/acme//app/git-receive-pack",
                          "/acme/app/git-receive-pack/", "/acme/app/info/refs?service=git-upload-pack&service=git-receive-pack"] {
            XCTAssertThrowsError(try endpoint("POST", ambiguous), ambiguous)
        }
    }

    func testReplyCarriesTheReasonOnTheSideBandAndInTheReport() {
        let reply = GitReceivePackReply.refusal(messages: ["interlock: no"], statuses: [("refs/heads/main", "interlock: denied")],
                                                capabilities: ["report-status", "side-band-64k"])
        XCTAssertEqual(String(decoding: reply, as: UTF8.self),
                       "0013\u{2}interlock: no\n" + "0040\u{1}000eunpack ok\n0029ng refs/heads/main interlock: denied\n0000" + "0000")
        let bare = GitReceivePackReply.refusal(messages: ["x"], statuses: [("refs/heads/main", "no")], capabilities: ["report-status"])
        XCTAssertEqual(String(decoding: bare, as: UTF8.self), "000eunpack ok\n001ang refs/heads/main no\n0000")
    }

    func testObjectIDsAndPackProofs() {
        XCTAssertEqual(GitSHA1.hex([]), "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        XCTAssertEqual(GitSHA1.hex(Array("blob 0\0".utf8)), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391")
        XCTAssertEqual(GitSHA1.hex(Array(String(repeating: "x", count: 1000).utf8)).count, 40)
        // Nothing understood proves nothing.
        XCTAssertFalse(GitPackCommits(pack: Array("PACK\0\0\0\u{2}\0\0\0\u{1}garbage-garbage-garbage-garbage".utf8)[...]).proves(b, descendsFrom: a))
        XCTAssertFalse(GitPackCommits(pack: [][...]).proves(b, descendsFrom: a))
    }

    func testRulePackAgentBranches() throws {
        let dir = "/tmp/interlock-git-pack-\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertEqual(mkdir(dir, 0o755), 0)
        defer { unlink(dir + "/p.toml"); rmdir(dir) }
        try "extends = [\"default\", \"rules/git-agent-branches\"]\n".write(toFile: dir + "/p.toml", atomically: false, encoding: .utf8)
        let policy = try ProfileLoader.load(reference: dir + "/p.toml", searchFrom: dir, environment: nil)
        XCTAssertEqual(Set(policy.inspection.git.map(\.host)), ["github.com", "gitlab.com", "bitbucket.org"])
        XCTAssertTrue(policy.inspection.inspectedHosts.contains("github.com"))
        let rules = GitRules(rules: policy.inspection.git)
        typealias C = GitPushCommands.Command
        func on(_ command: C, fastForward: Bool = false) -> HTTPRuleEntry.Action? {
            rules.decide([command], host: "github.com", repository: "acme/app") { _ in fastForward }.first?.action
        }
        XCTAssertEqual(on(C(oldID: zero, newID: b, ref: "refs/heads/agent/fix")), .allow)
        XCTAssertEqual(on(C(oldID: a, newID: b, ref: "refs/heads/agent/fix"), fastForward: true), .allow)
        XCTAssertEqual(on(C(oldID: a, newID: b, ref: "refs/heads/agent/fix")), .deny)
        XCTAssertEqual(on(C(oldID: a, newID: b, ref: "refs/heads/main"), fastForward: true), .deny)
        XCTAssertEqual(on(C(oldID: a, newID: zero, ref: "refs/heads/agent/fix")), .deny)
        XCTAssertEqual(on(C(oldID: zero, newID: b, ref: "refs/tags/v1")), .deny)

        // The same refs through the APIs.
        let http = RequestRules(rules: policy.inspection.http)
        func api(_ host: String, _ method: String, _ target: String, body: String = "") -> HTTPRuleEntry.Action {
            http.decide(InspectedRequest(host: host, method: method, target: target, headers: [("content-type", "application/json")],
                                         body: Array(body.utf8))).action
        }
        XCTAssertEqual(api("api.github.com", "DELETE", "/repos/acme/app/git/refs/heads/main"), .deny)
        XCTAssertEqual(api("api.github.com", "PATCH", "/repos/acme/app/git/refs/heads/main", body: #"{"sha":"x","force":true}"#), .deny)
        XCTAssertEqual(api("api.github.com", "DELETE", "/repos/acme/app/branches/main/protection"), .deny)
        XCTAssertEqual(api("api.github.com", "POST", "/repos/acme/app/git/refs", body: #"{"ref":"refs/heads/x","sha":"y"}"#), .ask)
        XCTAssertEqual(api("api.github.com", "POST", "/graphql", body: #"{"query":"mutation { deleteRef(input: {refId: \"r\"}) { clientMutationId } }"}"#), .deny)
        XCTAssertEqual(api("api.github.com", "GET", "/repos/acme/app/git/refs/heads/main"), .allow)
        XCTAssertEqual(api("gitlab.com", "DELETE", "/api/v4/projects/acme%2Fapp/repository/branches/main"), .deny)
        XCTAssertEqual(api("api.bitbucket.org", "DELETE", "/2.0/repositories/acme/app/refs/branches/main"), .deny)
    }
}
