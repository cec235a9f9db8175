import Foundation
import XCTest
@testable import InterlockProfile

/// Agent profiles (`profiles/agents/*.toml`): embedded verbatim, each granting only its agent's
/// own hosts, state and credential, layered under the project profile.
final class AgentProfilesTests: ProfileTestCase {
    private var agentsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("profiles/agents")
    }

    func testEmbeddedTextEqualsFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: agentsDirectory.path).filter { $0.hasSuffix(".toml") }
        XCTAssertEqual(files.map { String($0.dropLast(5)) }.sorted(), AgentProfile.names, "run profiles/embed.sh")
        for file in files {
            let text = try String(contentsOf: agentsDirectory.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(BuiltinAgentProfiles.all[String(file.dropLast(5))], text, "\(file) differs: run profiles/embed.sh")
        }
    }

    func testTheSixAgentsGrantOnlyTheirOwnStateHostsAndCredential() throws {
        XCTAssertEqual(AgentProfile.names, ["aider", "claude", "codex", "cursor-agent", "gemini", "opencode"])
        for name in AgentProfile.names {
            let agent = try AgentProfile.named(name)
            // Nothing but state paths, credentials, key variables and hosts: no extends, no environments,
            // no syscall, limit or capability changes, nothing hidden or unprotected.
            var expected = ProfileLayer()
            expected.readWrite = agent.layer.readWrite
            expected.allowFiles = agent.layer.allowFiles
            expected.allowEnv = agent.layer.allowEnv
            expected.egress = agent.layer.egress
            expected.setEnv = agent.layer.setEnv
            XCTAssertEqual(agent.layer, expected, name)
            // set_env only points the agent at its own state.
            for value in agent.layer.setEnv.values { XCTAssertTrue(agent.readWrite.contains(value), "\(name): \(value)") }
            let parsed = try ProfileSchema.read(bytes: Array((BuiltinAgentProfiles.all[name] ?? "").utf8), file: name, directory: nil)
            XCTAssertTrue(parsed.extends.isEmpty, name)
            XCTAssertTrue(parsed.environments.isEmpty, name)
            XCTAssertFalse(agent.readWrite.isEmpty, name)
            XCTAssertEqual(agent.allowFiles.count, 1, "\(name): exactly one credential file")
            XCTAssertFalse(agent.egress.isEmpty, name)
            for path in agent.readWrite + agent.allowFiles { XCTAssertTrue(path.hasPrefix("~/"), "\(name): \(path) is not in HOME") }
            // Its credential is one secret discovery hides (so the other agents do not see it).
            let rules = try XCTUnwrap(BuiltinAgentProfiles.all[name])
            XCTAssertTrue(rules.hasPrefix("# Interlock agent profile \"\(name)\""), name)
        }
    }

    func testUnknownAgentNamesTheKnownOnes() {
        XCTAssertThrowsError(try AgentProfile.named("vim")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("--agent"), text)
            XCTAssertTrue(text.contains("claude, codex"), text)
        }
    }

    func testLayeredUnderTheProjectProfile() throws {
        let profile = try dir.write("p/.interlock.toml", """
            extends = "default"
            [network]
            egress = ["github.com:443"]
            deny = ["statsig.anthropic.com"]
            [secrets]
            allow_files = ["~/.aws/config"]
            [env.staging]
            network.egress = ["api.staging.test:443"]
            """)
        let agent = try AgentProfile.named("claude")
        let policy = try ProfileLoader.load(reference: profile, searchFrom: dir.path, environment: "staging", agent: agent)
        XCTAssertEqual(policy.sources, ["builtin:agents/claude", "builtin:default", profile])
        // The agent's entries first, then the project's (and its environment's) added to them.
        XCTAssertEqual(policy.network.egress, agent.egress + ["github.com:443", "api.staging.test:443"])
        XCTAssertEqual(policy.network.deny, ["statsig.anthropic.com"])
        XCTAssertEqual(policy.secrets.allowFiles, ["~/.claude/.credentials.json", "~/.aws/config"])
        XCTAssertEqual(policy.filesystem.readWrite, ["~/.claude", "."])
        XCTAssertEqual(policy.secrets.setEnv, ["CLAUDE_CONFIG_DIR": "~/.claude"])
        // Without --agent nothing of it is there.
        let plain = try ProfileLoader.load(reference: profile, searchFrom: dir.path, environment: "staging")
        XCTAssertEqual(plain.network.egress, ["github.com:443", "api.staging.test:443"])
        XCTAssertEqual(plain.secrets.allowFiles, ["~/.aws/config"])
    }

    func testMissingStateIsSkipped() throws {
        let (agent, skipped) = try AgentProfile.named("opencode").keepingExistingPaths { $0 == "~/.config/opencode" }
        XCTAssertEqual(agent.readWrite, ["~/.config/opencode"])
        XCTAssertEqual(skipped, ["~/.local/share/opencode", "~/.local/state/opencode", "~/.cache/opencode"])
    }

    func testHomeInSetEnvIsTheCallers() throws {
        let agent = try AgentProfile.named("claude").expandingHome("/home/u/")
        XCTAssertEqual(agent.layer.setEnv, ["CLAUDE_CONFIG_DIR": "/home/u/.claude"])
    }
}
