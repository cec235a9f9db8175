import XCTest
@testable import InterlockSecrets

final class ContentMatcherTests: XCTestCase {
    let rules = SecretRuleSet.builtin

    /// The id of the first content rule the text matches, or nil.
    func match(_ text: String) -> String? {
        let found = rules.content.scan(Array(text.utf8), enabled: rules.content.allRules)
        return found == 0 ? nil : rules.contentRules[found.trailingZeroBitCount].id
    }

    func testTokenShapes() {
        XCTAssertEqual(match("aws_access_key_id = \(Samples.aws)\n"), "aws-access-key")
        XCTAssertEqual(match("key: AS" + "IA" + Samples.repeated(Samples.upperDigits, 16)), "aws-access-key")
        XCTAssertEqual(match("curl -H 'Authorization: token \(Samples.github)'"), "github-token")
        for prefix in ["gho_", "ghu_", "ghs_", "ghr_"] {
            XCTAssertEqual(match(prefix + Samples.repeated(Samples.alnum, 36)), "github-token", prefix)
        }
        XCTAssertEqual(match(Samples.githubPAT), "github-pat")
        XCTAssertEqual(match("GITLAB=\(Samples.gitlab)"), "gitlab-token")
        XCTAssertEqual(match("slack: \(Samples.slack)"), "slack-token")
        XCTAssertEqual(match("stripe.api_key = '\(Samples.stripe)'"), "stripe-key")
        XCTAssertEqual(match("rk" + "_live_" + Samples.repeated(Samples.alnum, 30)), "stripe-key")
        XCTAssertEqual(match("openai.api_key = \"\(Samples.openai)\""), "openai-key")
        XCTAssertEqual(match("sk" + "-" + Samples.repeated(Samples.alnum, 48)), "openai-key")
        XCTAssertEqual(match("client = Anthropic(api_key=\"\(Samples.anthropic)\")"), "anthropic-key")
        XCTAssertEqual(match("maps: \(Samples.google)"), "google-api-key")
        XCTAssertEqual(match(Samples.pem), "private-key")
        XCTAssertEqual(match(Samples.openSSH), "private-key")
        let body = Samples.repeated(Samples.alnum + "+/", 64)
        XCTAssertEqual(match("-----BEGIN " + "PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n\(body)\n"), "private-key")
        XCTAssertEqual(match("-----BEGIN " + "ENCRYPTED PRIVATE KEY-----\r\n\(body)\r\n"), "private-key")
        XCTAssertEqual(match("-----BEGIN " + "RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,8A5B2C\n\n\(body)\n"), "private-key")
        XCTAssertEqual(match("key = \"-----BEGIN " + "EC PRIVATE KEY-----\\n\(body)\\n-----END EC PRIVATE KEY-----\""), "private-key")
        XCTAssertEqual(match(Samples.serviceAccount), "gcp-service-account")
    }

    func testLookAlikesAreNotTokens() {
        XCTAssertNil(match("AK" + "IA" + Samples.repeated(Samples.upperDigits, 15)))  // too short
        XCTAssertNil(match("AK" + "IA" + Samples.repeated(Samples.upperDigits, 17)))  // too long
        XCTAssertNil(match("XAK" + "IA" + Samples.repeated(Samples.upperDigits, 16)))  // not at a boundary
        XCTAssertNil(match("gh" + "p_" + Samples.repeated(Samples.alnum, 20)))
        XCTAssertNil(match("sk" + "_test_" + Samples.repeated(Samples.alnum, 24)))  // Stripe test keys
        XCTAssertNil(match("sk-learn-is-a-python-machine-learning-library-name"))  // low-entropy words
        XCTAssertNil(match("task-runner-configuration-for-the-default-pipeline"))
        XCTAssertNil(match("-----BEGIN " + "CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"))
        XCTAssertNil(match("-----BEGIN " + "PUBLIC KEY-----"))
        // Code that parses keys names the header without a key after it.
        XCTAssertNil(match("_SK_START = b\"-----BEGIN " + "OPENSSH PRIVATE KEY-----\"\n_SK_END = b\"-----END OPENSSH PRIVATE KEY-----\"\n"))
        XCTAssertNil(match("{\"type\": \"service_account\", \"client_email\": \"x\"}"))  // no private key
        XCTAssertNil(match("The quick brown fox: jumps over = the lazy dog."))
    }

    func testAssignments() {
        let value = Samples.randomValue
        XCTAssertEqual(match("export RAILWAY_TOKEN=\(value)\n"), "secret-assignment")
        XCTAssertEqual(match("DB_PASSWORD = \"\(value)\""), "secret-assignment")
        XCTAssertEqual(match("  \"api_key\": \"\(value)\",\n"), "secret-assignment")
        XCTAssertEqual(match("client-secret: \(value)\n"), "secret-assignment")
        XCTAssertEqual(match("spring.datasource.password=\(value)\n"), "secret-assignment")
        XCTAssertEqual(match("SECRET := \(value)\n"), "secret-assignment")
        XCTAssertEqual(match("const token = '\(value)';"), "secret-assignment")
        XCTAssertEqual(match("STRIPE_WEBHOOK_SECRET=" + Samples.repeated("0123456789abcdef", 16)), "secret-assignment")

        // References, templates, code, placeholders, short or repetitive values.
        XCTAssertNil(match("GITHUB_TOKEN=${GITHUB_TOKEN}"))
        XCTAssertNil(match("export GITHUB_TOKEN=$(gh auth token)"))
        XCTAssertNil(match("const token = process.env.GITHUB_TOKEN;"))
        XCTAssertNil(match("API_KEY=your_api_key_here_please"))
        XCTAssertNil(match("API_KEY=REPLACE_WITH_YOUR_TOKEN"))
        XCTAssertNil(match("PASSWORD=hunter2"))
        XCTAssertNil(match("API_TOKEN=00000000000000000000000000"))
        XCTAssertNil(match("SECRET_KEY=<generate-with-openssl-rand-32>"))
        XCTAssertNil(match("password = hash(\(value))"))
        XCTAssertNil(match("let token: String = \"\(value)\""))  // the ':' is a type annotation, '=' follows a type
        XCTAssertNil(match("if token == \"\(value)\" {"))
        XCTAssertNil(match("max_tokens: 4096123456789012345"))  // name is not a secret name
        XCTAssertNil(match("TOKEN_URL=https://example.com/oauth2/token/v1/1234"))
        XCTAssertNil(match("password_hash = \"\(value)\""))
        XCTAssertNil(match("def load(self, private_key: ed25519.Ed25519PrivateKey, data: bytes):"))
        XCTAssertNil(match("SECRET_KEY = settings.DJANGO_SECRET_KEY_V2"))
        XCTAssertEqual(match("API_TOKEN=abc123.def456.\(value)"), "secret-assignment")  // a long segment: not a name
        XCTAssertNil(match("GET /revoke?token=abc&callback=package.myCallback1 HTTP/1.1"))  // '&' ends the value
    }

    func testEntropy() {
        let bytes = Array("aaaa".utf8)
        bytes.withUnsafeBufferPointer { XCTAssertEqual(ContentMatcher.entropy($0, 0..<4), 0) }
        let mixed = Array("abcd".utf8)
        mixed.withUnsafeBufferPointer { XCTAssertEqual(ContentMatcher.entropy($0, 0..<4), 2, accuracy: 1e-9) }
    }
}
