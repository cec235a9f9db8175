import Foundation
import XCTest
@testable import InterlockSecrets

final class RulesTests: XCTestCase {
    private var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The embedded text is `profiles/secrets/rules.toml`, byte for byte.
    func testEmbeddedRulesEqualTheRulesFile() throws {
        let onDisk = try String(contentsOf: repositoryRoot.appendingPathComponent("profiles/secrets/rules.toml"), encoding: .utf8)
        XCTAssertEqual(BuiltinRules.text, onDisk, "profiles/secrets/rules.toml differs from the embedded text; run profiles/embed.sh")
        let script = repositoryRoot.appendingPathComponent("profiles/embed.sh").path
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: script), script)
    }

    func testBuiltinRulesParseAndEveryRuleHasAReason() throws {
        let rules = SecretRuleSet.builtin
        XCTAssertFalse(rules.rules.isEmpty)
        XCTAssertEqual(Set(rules.rules.map(\.id)).count, rules.rules.count, "ids are unique")
        for rule in rules.rules {
            XCTAssertFalse(rule.reason.isEmpty, rule.id)
            XCTAssertFalse(rule.reason.contains("\n"), rule.id)
            XCTAssertFalse(rule.name.isEmpty, rule.id)
        }
        let counts = Dictionary(grouping: rules.rules, by: \.kind).mapValues(\.count)
        let patterns = Dictionary(grouping: rules.rules, by: \.kind).mapValues { $0.reduce(0) { $0 + $1.patterns.count } }
        print("secret rules: home \(counts[.home] ?? 0) (\(patterns[.home] ?? 0) paths), workspace \(counts[.workspace] ?? 0) (\(patterns[.workspace] ?? 0) file patterns), content \(counts[.content] ?? 0), environment \(counts[.environment] ?? 0) (\(patterns[.environment] ?? 0) name patterns)")
        XCTAssertGreaterThanOrEqual(counts[.home] ?? 0, 30)
        XCTAssertGreaterThanOrEqual(counts[.content] ?? 0, 10)
    }

    /// Every location item 1 of the issue names is in the rules.
    func testHomeRulesCoverTheIssue() {
        let paths = Set(SecretRuleSet.builtin.rules(of: .home).flatMap(\.patterns))
        for expected in [
            "~/.aws", "~/.azure", "~/.config/gcloud", "~/.kube", "~/.oci", "~/.config/doctl",
            "~/.railway", "~/.fly", "~/.vercel", "~/.local/share/com.vercel.cli", "~/.netlify", "~/.config/netlify",
            "~/.netrc", "~/.config/heroku", "~/.render", "~/.supabase", "~/.wrangler", "~/.config/.wrangler",
            "~/.terraform.d/credentials.tfrc.json", "~/.docker/config.json", "~/.ssh/**/id_*", "~/.ssh/**/*.pem",
            "$SSH_AUTH_SOCK", "~/.gnupg", "/run/user/$UID/gnupg", "~/.git-credentials", "~/.config/gh", "~/.npmrc",
            "~/.pypirc", "~/.cargo/credentials*", "~/.gem/credentials", "~/.m2/settings*.xml", "~/.pgpass",
            "~/.my.cnf", "~/.password-store", "~/.local/share/keyrings", "~/.mozilla", "~/.config/google-chrome*",
            "~/.config/chromium", "~/.config/BraveSoftware", "~/.bash_history", "~/.zsh_history",
            "~/.local/share/fish/fish_history", "~/.python_history", "~/.psql_history", "~/.mysql_history",
            "~/.node_repl_history",
        ] {
            XCTAssertTrue(paths.contains(expected), expected)
        }
        let names = Set(SecretRuleSet.builtin.rules(of: .environment).flatMap(\.patterns))
        for expected in ["*_TOKEN", "*_SECRET", "*_SECRET_*", "*_API_KEY", "*_PASSWORD", "*_CREDENTIALS",
                         "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "NPM_TOKEN",
                         "ANTHROPIC_API_KEY", "OPENAI_API_KEY", "SSH_AUTH_SOCK"] {
            XCTAssertTrue(names.contains(expected), expected)
        }
    }

    private func parseError(_ text: String) -> SecretRulesError? {
        do {
            _ = try SecretRuleSet.parse(text, file: "rules.toml")
            return nil
        } catch {
            return error
        }
    }

    func testErrorsNameFileLineAndKey() {
        XCTAssertEqual(parseError("[[home]]\nid = \"a\"\nname = \"n\"\nreason = \"r\"\npaths = [\"~/.a\"]\ncolour = 1\n")?.description,
                       "rules.toml:6: home.colour: unknown key 'colour'; valid keys: content, except, granted_by_env, id, name, only, paths, reason")
        XCTAssertEqual(parseError("[[content]]\nid = \"a\"\nname = \"n\"\nreason = \"r\"\nkind = \"regex\"\n")?.description,
                       "rules.toml:5: content.kind: invalid value 'regex'; valid values: all-of, assignment, private-key, token")
        XCTAssertEqual(parseError("[[home]]\nid = \"a\"\nname = \"n\"\nreason = \"r\"\npaths = [\"~/.a\"]\ncontent = [\"nope\"]\n")?.description,
                       "rules.toml:6: home.content: unknown content rule 'nope'")
        XCTAssertEqual(parseError("[[home]]\nid = \"a\"\nname = \"n\"\nreason = \"r\"\npaths = [\"relative\"]\n")?.description,
                       "rules.toml:5: home.paths: invalid path 'relative': use '~/...', an absolute path or '$VARIABLE/...'")
        XCTAssertEqual(parseError("[[workspace]]\nid = \"a\"\nname = \"n\"\nreason = \"r\"\nfiles = [\"x\"]\n[[workspace]]\nid = \"a\"\nname = \"n\"\nreason = \"r\"\nfiles = [\"y\"]\n")?.description,
                       "rules.toml:7: workspace.id: duplicate id 'a'")
        XCTAssertEqual(parseError("[[content]]\nid = \"t\"\nname = \"n\"\nreason = \"r\"\nkind = \"token\"\nprefixes = [\"x_\"]\ncharset = \"A-Z\"\n")?.description,
                       "rules.toml:1: content: missing key 'min_length'")
        XCTAssertEqual(parseError("[[environment]]\nid = \"e\"\nname = \"n\"\nkind = \"name\"\nnames = [\"X\"]\n")?.description,
                       "rules.toml:1: environment: missing key 'reason'")
        XCTAssertEqual(parseError("version = 2\n")?.description, "rules.toml:1: version: unsupported version; this build reads version 1")
        XCTAssertEqual(parseError("[scan\n")?.line, 1)
        XCTAssertNil(parseError(""))
    }

    func testFingerprintFollowsTheText() throws {
        let a = try SecretRuleSet.parse("version = 1\n", file: "a")
        let b = try SecretRuleSet.parse("version = 1 # changed\n", file: "b")
        XCTAssertNotEqual(a.fingerprint, b.fingerprint)
        XCTAssertNotEqual(a.fingerprint, SecretRuleSet.builtin.fingerprint)
    }
}

final class GlobTests: XCTestCase {
    func testComponentsAndDoubleStar() {
        XCTAssertTrue(Glob(".env.*").matches(".env.staging"))
        XCTAssertFalse(Glob(".env.*").matches(".env"))
        XCTAssertTrue(Glob("*.pem").matches("server.pem"))
        XCTAssertTrue(Glob("id_*").matches("id_ed25519"))
        XCTAssertTrue(Glob("credentials*.json").matches("credentials.json"))
        XCTAssertTrue(Glob("/w/**/*.pem").matches("/w/a/b/c.pem"))
        XCTAssertTrue(Glob("/w/**/*.pem").matches("/w/c.pem"))
        XCTAssertFalse(Glob("/w/*.pem").matches("/w/a/c.pem"))
        XCTAssertTrue(Glob("/w/**").matches("/w/a/b"))
        XCTAssertTrue(Glob("/w/?.txt").matches("/w/a.txt"))
        XCTAssertFalse(Glob("/w/?.txt").matches("/w/ab.txt"))
        XCTAssertTrue(Glob("**/.aws/credentials").matches("x/.aws/credentials"))
        XCTAssertTrue(Glob("**/.aws/credentials").matches(".aws/credentials"))
        XCTAssertFalse(Glob("**/.aws/credentials").matches("x.aws/credentials"))
        XCTAssertTrue(Glob("*_token", caseInsensitive: true).matches("GITHUB_TOKEN"))
        XCTAssertFalse(Glob("*_TOKEN").matches("GITHUB_TOKENS"))
        XCTAssertTrue(Glob("TF_TOKEN_*").matches("TF_TOKEN_app_terraform_io"))
    }
}
