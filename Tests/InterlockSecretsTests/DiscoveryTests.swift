import Foundation
import XCTest
import Glibc
@testable import InterlockSecrets
@testable import InterlockProfile

/// A fake HOME holding every credential kind of the issue's item 1, and a workspace inside it
/// holding the item 2 cases.
final class DiscoveryTests: XCTestCase {
    var root: Fixture!
    var home: String { root.absolute("home") }
    var workspace: String { root.absolute("home/projects/app") }
    var environment: [String] = []

    /// HOME-relative paths that must be hidden (directories whole).
    let hiddenHome: [String] = [
        ".aws", ".azure", ".config/gcloud", ".kube", ".oci", ".config/doctl",
        ".railway", ".fly", ".vercel", ".local/share/com.vercel.cli", ".netlify", ".config/netlify",
        ".config/heroku", ".render", ".supabase", ".wrangler", ".config/.wrangler",
        ".terraform.d/credentials.tfrc.json", ".docker/config.json",
        ".ssh/id_rsa", ".ssh/id_ed25519", ".ssh/deploy.pem", ".ssh/keys/github_deploy", ".ssh/old/id_ecdsa",
        ".ssh/cm/git@github.com:22",
        ".gnupg", ".netrc", ".git-credentials", ".config/gh", ".npmrc", ".pypirc", ".cargo/credentials.toml",
        ".gem/credentials", ".m2/settings.xml", ".m2/settings-security.xml", ".pgpass", ".my.cnf",
        ".password-store", ".local/share/keyrings", ".mozilla", ".config/google-chrome", ".config/chromium",
        ".config/BraveSoftware", ".bash_history", ".zsh_history", ".local/share/fish/fish_history",
        ".python_history", ".psql_history", ".mysql_history", ".node_repl_history",
    ]

    /// Workspace-relative paths hidden by default, with their rule.
    let hiddenWorkspace: [String: String] = [
        ".env.production": "workspace: .env file",
        ".env.staging": "workspace: .env file",
        "config/gcp/service-account.json": "content: Google service account key",
        "scripts/domains.sh": "content: bearer token",
        "scripts/deploy.sh": "content: secret assignment",
        "certs/server.key": "workspace: private key or certificate store",
        "infra/prod.tfvars": "workspace: terraform variables or state",
        "node_modules/leaky-pkg/.env": "workspace: .env file",
        "node_modules/leaky-pkg/test/fixtures/id_rsa": "workspace: ssh private key",
        "node_modules/leaky-pkg/test/fixtures/server.pem": "workspace: PEM private key file",
        "deploy/prod.pem": "workspace: PEM private key file",
        "docs/notes.md": "content: GitHub token",
        "build/.cache/token.txt": "content: Anthropic API key",
    ]

    override func setUpWithError() throws {
        root = try Fixture("discovery")
        try makeHome()
        try makeWorkspace()
    }

    override func tearDown() {
        root.remove()
    }

    func makeHome() throws {
        func h(_ path: String, _ text: String = "secret\n") throws { try root.write("home/" + path, text) }
        try h(".aws/credentials", "[default]\naws_access_key_id = \(Samples.aws)\n")
        try h(".aws/config", "[default]\nregion = eu-west-1\n")
        try h(".azure/msal_token_cache.json")
        try h(".config/gcloud/credentials.db")
        try h(".config/gcloud/application_default_credentials.json")
        try h(".kube/config")
        try h(".oci/config")
        try h(".config/doctl/config.yaml")
        try h(".railway/config.json", "{\"user\":{\"token\":\"\(Samples.randomValue)\"}}\n")
        try h(".fly/config.yml")
        try h(".vercel/auth.json")
        try h(".local/share/com.vercel.cli/auth.json")
        try h(".netlify/config.json")
        try h(".config/netlify/config.json")
        try h(".config/heroku/config.json")
        try h(".render/cli.yaml")
        try h(".supabase/access-token")
        try h(".wrangler/config/default.toml")
        try h(".config/.wrangler/config/default.toml")
        try h(".terraform.d/credentials.tfrc.json")
        try h(".terraform.d/plugins/readme.txt", "providers\n")  // visible
        try h(".docker/config.json", "{\"auths\":{}}\n")
        try h(".docker/contexts/meta/x/meta.json", "{}\n")  // visible
        try h(".ssh/id_rsa", Samples.pem)
        try h(".ssh/id_rsa.pub", "ssh-rsa AAAA user@host\n")
        try h(".ssh/id_ed25519", Samples.openSSH)
        try h(".ssh/id_ed25519.pub", "ssh-ed25519 AAAA user@host\n")
        try h(".ssh/known_hosts", "github.com ssh-ed25519 AAAA\n")
        try h(".ssh/config", "Host *\n  IdentityFile ~/.ssh/id_ed25519\n")
        try h(".ssh/authorized_keys", "ssh-ed25519 AAAA\n")
        try h(".ssh/deploy.pem", "not even a key, but named like one\n")
        try h(".ssh/keys/github_deploy", Samples.openSSH)  // any name: found by content
        try h(".ssh/old/id_ecdsa", "old key\n")
        try h(".ssh/notes.txt", "which key is which\n")  // visible
        try root.socket("home/.ssh/cm/git@github.com:22")  // an open ControlMaster connection
        try root.socket("home/.gnupg/S.gpg-agent")
        try h(".gnupg/private-keys-v1.d/ABCD.key")
        try h(".netrc", "machine api.heroku.com login me password \(Samples.randomValue)\n")
        try h(".git-credentials", "https://me:\(Samples.github)@github.com\n")
        try h(".config/gh/hosts.yml")
        try h(".npmrc", "//registry.npmjs.org/:_authToken=\(Samples.randomValue)\n")
        try h(".pypirc")
        try h(".cargo/credentials.toml")
        try h(".cargo/config.toml", "[build]\njobs = 2\n")  // visible
        try h(".gem/credentials")
        try h(".m2/settings.xml")
        try h(".m2/settings-security.xml")
        try h(".m2/repository/org/x.pom", "<project/>\n")  // visible
        try h(".pgpass")
        try h(".my.cnf")
        try h(".password-store/github.gpg")
        try h(".local/share/keyrings/login.keyring")
        try h(".mozilla/firefox/profiles.ini")
        try h(".config/google-chrome/Default/Login Data")
        try h(".config/chromium/Default/Cookies")
        try h(".config/BraveSoftware/Brave-Browser/Default/Cookies")
        try h(".bash_history", "export GITHUB_TOKEN=\(Samples.github)\n")
        try h(".zsh_history")
        try h(".local/share/fish/fish_history")
        try h(".local/share/fish/fish_variables", "visible\n")  // visible
        try h(".python_history")
        try h(".psql_history")
        try h(".mysql_history")
        try h(".node_repl_history")
        try root.symlink("home/.sqlite_history", to: "/dev/null")  // not a secret: /dev/null is never masked
        try h(".bashrc", "export PATH=$HOME/bin:$PATH\n")
        try h(".gitconfig", "[user]\n  name = Me\n")
        // The agent socket lives outside HOME; the runtime directory holds a gpg-agent directory.
        let agent = try root.socket("tmp/ssh-XXXXabcd/agent.1234")
        let runtime = try root.makeDirectory("run/user/1000")
        try root.socket("run/user/1000/gnupg/S.gpg-agent")
        environment = [
            "PATH=/usr/bin:/bin", "HOME=\(home)", "SSH_AUTH_SOCK=\(agent)", "XDG_RUNTIME_DIR=\(runtime)",
            "TERM=xterm-256color", "LANG=C.UTF-8",
        ]
    }

    func makeWorkspace() throws {
        func w(_ path: String, _ text: String) throws { try root.write("home/projects/app/" + path, text) }
        try w(".gitignore", ".env.production\nnode_modules/\nbuild/\n")
        try w(".env.production", "DATABASE_URL=postgres://app:\(Samples.randomValue)@db.internal:5432/app\n")
        try w(".env.staging", "DATABASE_URL=postgres://app:\(Samples.randomValue)@staging-db:5432/app\n")
        try w(".env.example", "DATABASE_URL=postgres://user:password@localhost:5432/app\nAPI_TOKEN=changeme\n")
        try root.symlink("home/projects/app/.env", to: ".env.staging")
        try w("config/gcp/service-account.json", Samples.serviceAccount)
        try w("config/settings.json", "{\"region\": \"eu-west-1\", \"retries\": 3}\n")
        try w("scripts/domains.sh", """
            #!/bin/sh
            # Point the staging domains at the new service.
            curl -s -X POST https://backboard.railway.app/graphql/v2 \\
              -H "Authorization: \("Bea" + "rer") 6b1f3c9e-2a4d-4f8b-9c31-7e5d2a8b4f10" \\
              -d '{"query":"mutation { customDomainCreate }"}'

            """)
        try w("scripts/deploy.sh", "#!/bin/sh\nRAILWAY_TOKEN=\"c81f2e4a-9b3d-47e1-a5c6-2d8f0b7e9a13\" railway up\n")
        try w("certs/server.key", Samples.pem)
        try w("certs/README.md", "Certificates are issued by the ops team.\n")
        // Certificates only: CA bundles must stay visible (TLS needs them), in .venv too.
        let certificate = "-----BEGIN CERTIFICATE-----\n\(Samples.repeated(Samples.alnum, 64))\n-----END CERTIFICATE-----\n"
        try w("certs/ca-bundle.pem", certificate)
        try w(".venv/lib/python3.11/site-packages/certifi/cacert.pem", certificate)
        try w("deploy/prod.pem", certificate + Samples.pem)
        try w("node_modules/leaky-pkg/test/fixtures/server.pem", Samples.pem)
        try w("infra/prod.tfvars", "db_password = \"x\"\n")
        try w("infra/main.tf", "variable \"db_password\" { sensitive = true }\n")
        try w("node_modules/leaky-pkg/.env", "NPM_TOKEN=\(Samples.randomValue)\n")
        try w("node_modules/leaky-pkg/test/fixtures/id_rsa", Samples.pem)
        // Not content-scanned: dependency trees are skipped for content (file names still count).
        try w("node_modules/leaky-pkg/lib/index.js", "module.exports = '\(Samples.github)';\n")
        try w("docs/notes.md", "Temporary token for the demo: \(Samples.github)\n")
        // Ignored by git, still scanned.
        try w("build/.cache/token.txt", Samples.anthropic + "\n")
        try w("src/app.py", """
            import os

            def handler(request):
                token = request.headers.get("X-Token")
                password_field = "password"
                api_key = os.environ["API_KEY"]
                secret = settings.SECRET_KEY
                return {"ok": token == api_key, "field": password_field}

            """)
        try w("README.md", "# App\n\nSet `API_TOKEN=...` in `.env`; see `.env.example`.\n")
        try w("assets/logo.bin", "\u{0}\u{1}\u{2}" + Samples.github)  // binary: not content-scanned
    }

    func relativeHidden(_ report: SecretsReport, under base: String) -> Set<String> {
        Set(report.hidden.filter { Path.isWithin($0.path, base) }.map { String($0.path.dropFirst(base.count + 1)) })
    }

    // MARK: Default policy

    func testDefaultPolicyHidesEveryCredential() throws {
        let report = scan(home: home, workspace: workspace, environment: environment)
        XCTAssertEqual(report.granted, [])
        var expected = Set(hiddenHome)
        for path in hiddenWorkspace.keys { expected.insert("projects/app/" + path) }
        XCTAssertEqual(relativeHidden(report, under: home), expected)
        // Outside HOME: the ssh-agent socket and the gpg-agent runtime directory.
        let outside = report.hidden.filter { !Path.isWithin($0.path, home) }
        XCTAssertEqual(outside.map(\.path).sorted(),
                       [root.absolute("run/user/1000/gnupg"), root.absolute("tmp/ssh-XXXXabcd/agent.1234")])
        XCTAssertEqual(outside.first { $0.path.hasSuffix("agent.1234") }?.kind, .socket)
        XCTAssertEqual(outside.first { $0.path.hasSuffix("agent.1234") }?.rule, "home: ssh-agent socket ($SSH_AUTH_SOCK)")
        XCTAssertEqual(outside.first { $0.path.hasSuffix("gnupg") }?.rule, "home: gnupg keyring and agent ($XDG_RUNTIME_DIR/gnupg)")

        // Rules and kinds.
        func secret(_ relative: String) -> DiscoveredSecret? { report.hidden.first { $0.path == home + "/" + relative } }
        XCTAssertEqual(secret(".aws")?.rule, "home: aws credentials (~/.aws)")
        XCTAssertEqual(secret(".aws")?.kind, .directory)
        XCTAssertEqual(secret(".netrc")?.kind, .file)
        XCTAssertEqual(secret(".ssh/id_rsa")?.rule, "home: ssh private key (~/.ssh/**/id_*)")
        XCTAssertEqual(secret(".ssh/keys/github_deploy")?.rule, "home: ssh private key (~/.ssh/**)")
        XCTAssertEqual(secret(".ssh/cm/git@github.com:22")?.kind, .socket)
        XCTAssertEqual(secret(".ssh/cm/git@github.com:22")?.rule, "home: ssh connection socket (~/.ssh/**)")
        XCTAssertEqual(secret(".railway")?.rule, "home: railway credentials (~/.railway)")
        for (path, rule) in hiddenWorkspace {
            XCTAssertEqual(secret("projects/app/" + path)?.rule, rule, path)
        }
        // Visible: public keys, known_hosts, config, innocent files, templates, node_modules code.
        let hiddenPaths = Set(report.hidden.map(\.path))
        for visible in [".ssh/id_rsa.pub", ".ssh/known_hosts", ".ssh/config", ".ssh/authorized_keys", ".ssh/notes.txt",
                        ".ssh", ".docker", ".terraform.d", ".cargo/config.toml", ".m2/repository", ".bashrc",
                        ".gitconfig", ".local/share/fish/fish_variables", ".sqlite_history",
                        "projects/app/.env.example", "projects/app/src/app.py", "projects/app/README.md",
                        "projects/app/config/settings.json", "projects/app/certs/README.md",
                        "projects/app/infra/main.tf", "projects/app/.gitignore",
                        "projects/app/node_modules/leaky-pkg/lib/index.js", "projects/app/assets/logo.bin",
                        "projects/app/certs/ca-bundle.pem",
                        "projects/app/.venv/lib/python3.11/site-packages/certifi/cacert.pem"] {
            XCTAssertFalse(hiddenPaths.contains(home + "/" + visible), visible)
        }
        XCTAssertFalse(hiddenPaths.contains("/dev/null"))
        // The gpg-agent socket is inside the hidden ~/.gnupg: not listed on its own.
        XCTAssertFalse(hiddenPaths.contains(home + "/.gnupg/S.gpg-agent"))
        XCTAssertEqual(report.warnings, [])
        // Stats.
        XCTAssertGreaterThan(report.scanStats.filesVisited, 15)
        XCTAssertGreaterThan(report.scanStats.filesContentScanned, 5)
        XCTAssertFalse(report.scanStats.cacheUsed)
        print("discovery fixture: \(report.hidden.count) hidden, \(report.scanStats.milliseconds) ms")
    }

    // MARK: Grants

    func testAllowFilesGrantsExactlyTheNamedFile() throws {
        let report = scan(home: home, workspace: workspace, environment: environment, allowFiles: [".env.staging"])
        XCTAssertEqual(report.granted, [
            DiscoveredSecret(path: workspace + "/.env.staging", kind: .file, rule: "workspace: .env file",
                             ruleID: "dotenv", granted: true, grantedBy: "allow_files: .env.staging"),
        ])
        var expected = Set(hiddenWorkspace.keys)
        expected.remove(".env.staging")
        XCTAssertEqual(relativeHidden(report, under: workspace), expected)
        XCTAssertEqual(report.hidden.count, hiddenHome.count + 2 + expected.count)
    }

    func testEnvironmentSectionsGrantTheirOwnEnvFile() throws {
        try root.write("home/projects/app/.interlock.toml", """
            extends = "default"

            [env.staging]
            secrets.allow_files = [".env.staging"]

            [env.production]
            secrets.allow_files = [".env.production"]

            """)
        let profile = workspace + "/.interlock.toml"
        for (env, visible, hiddenFile) in [("staging", ".env.staging", ".env.production"),
                                           ("production", ".env.production", ".env.staging")] {
            let policy = try ProfileLoader.load(reference: profile, searchFrom: workspace, environment: env)
            let report = SecretsScanner.scan(home: home, workspace: workspace, environment: environment,
                                             policy: policy.secrets, cacheDirectory: nil)
            XCTAssertEqual(report.granted.map(\.path), [workspace + "/" + visible], env)
            XCTAssertTrue(report.hidden.contains { $0.path == workspace + "/" + hiddenFile }, env)
        }
        let base = try ProfileLoader.load(reference: profile, searchFrom: workspace, environment: nil)
        let report = SecretsScanner.scan(home: home, workspace: workspace, environment: environment,
                                         policy: base.secrets, cacheDirectory: nil)
        XCTAssertEqual(report.granted, [])
    }

    func testGlobsHomePathsAndDirectories() throws {
        let report = scan(home: home, workspace: workspace, environment: environment,
                          allowFiles: ["**/*.key", "~/.config/gh", "infra", "~/.ssh/id_ed25519"])
        XCTAssertEqual(report.granted.map(\.path), [
            home + "/.config/gh", home + "/.ssh/id_ed25519", workspace + "/certs/server.key",
            workspace + "/infra/prod.tfvars",
        ])
        XCTAssertEqual(report.granted.map(\.grantedBy), [
            "allow_files: ~/.config/gh", "allow_files: ~/.ssh/id_ed25519", "allow_files: **/*.key",
            "allow_files: infra",
        ])
        XCTAssertTrue(report.hidden.contains { $0.path == home + "/.ssh/id_rsa" })
    }

    /// A granted file inside a discovered directory splits the directory: its other entries stay hidden.
    func testGrantInsideAHiddenDirectorySplitsIt() throws {
        let report = scan(home: home, workspace: workspace, environment: environment, allowFiles: ["~/.aws/config"])
        XCTAssertEqual(report.granted.map(\.path), [home + "/.aws/config"])
        XCTAssertEqual(report.granted.first?.rule, "home: aws credentials (~/.aws)")
        XCTAssertTrue(report.hidden.contains { $0.path == home + "/.aws/credentials" && $0.kind == .file })
        XCTAssertFalse(report.hidden.contains { $0.path == home + "/.aws" })

        let nested = scan(home: home, workspace: workspace, environment: environment,
                          allowFiles: ["~/.wrangler/config/default.toml"])
        XCTAssertEqual(nested.granted.map(\.path), [home + "/.wrangler/config/default.toml"])
        XCTAssertFalse(nested.hidden.contains { $0.path.hasPrefix(home + "/.wrangler/") })  // nothing else there
    }

    func testSymlinkedSecretsResolveToTheirTarget() throws {
        try root.write("elsewhere/kube/config", "apiVersion: v1\n")
        try FileManager.default.removeItem(atPath: home + "/.kube")
        try root.symlink("home/.kube", to: root.absolute("elsewhere/kube"))
        try root.symlink("home/projects/app/deploy/.env.prod", to: root.absolute("elsewhere/prod.env.real"))
        try root.write("elsewhere/prod.env.real", "X=1\n")
        let report = scan(home: home, workspace: workspace, environment: environment)
        let kube = report.hidden.first { $0.ruleID == "kube" }
        XCTAssertEqual(kube?.path, root.absolute("elsewhere/kube"))
        XCTAssertEqual(kube?.kind, .directory)
        XCTAssertTrue(report.hidden.contains { $0.path == root.absolute("elsewhere/prod.env.real") })
        // Granting the symlink's own path grants its target.
        let granted = scan(home: home, workspace: workspace, environment: environment, allowFiles: ["~/.kube", ".env"])
        XCTAssertEqual(Set(granted.granted.map(\.path)), [root.absolute("elsewhere/kube"), workspace + "/.env.staging"])
    }

    func testAgentSocketIsGrantedWithItsVariable() throws {
        let report = scan(home: home, workspace: workspace, environment: environment, allowEnv: ["SSH_AUTH_SOCK"])
        XCTAssertEqual(report.granted.map(\.path), [root.absolute("tmp/ssh-XXXXabcd/agent.1234")])
        XCTAssertEqual(report.granted.first?.grantedBy, "allow_env: SSH_AUTH_SOCK")
        XCTAssertTrue(report.keptEnvironment.contains { $0.hasPrefix("SSH_AUTH_SOCK=") })
    }

    func testDiscoverFalseHidesNothing() throws {
        let env = environment + ["GITHUB_TOKEN=\(Samples.github)"]
        let report = scan(home: home, workspace: workspace, environment: env, discover: false)
        XCTAssertEqual(report.hidden, [])
        XCTAssertEqual(report.granted, [])
        XCTAssertEqual(report.environment, [])
        XCTAssertEqual(report.keptEnvironment, env)
    }

    /// A credential location that holds the workspace or HOME cannot be masked: a warning instead.
    func testUnmaskableLocationsAreWarnings() throws {
        let env = environment + ["GNUPGHOME=\(home)", "KUBECONFIG=/"]
        let report = scan(home: home, workspace: workspace, environment: env)
        XCTAssertFalse(report.hidden.contains { $0.path == home || $0.path == "/" })
        XCTAssertTrue(report.warnings.contains { $0.contains("it holds the workspace") }, "\(report.warnings)")
    }

    // MARK: Environment

    func testEnvironmentScrubbing() throws {
        let env = [
            "PATH=/usr/bin", "HOME=/home/me", "TERM=xterm", "LANG=C.UTF-8", "EDITOR=vim",
            "GITHUB_TOKEN=\(Samples.github)", "AWS_SECRET_ACCESS_KEY=abc", "AWS_ACCESS_KEY_ID=\(Samples.aws)",
            "NPM_TOKEN=x", "ANTHROPIC_API_KEY=\(Samples.anthropic)", "OPENAI_API_KEY=y", "MY_SERVICE_PASSWORD=p",
            "STRIPE_SECRET_KEY=z", "GOOGLE_CREDENTIALS=w", "DATABASE_URL=postgres://app:s3cret@db:5432/app",
            "REDIS_URL=redis://localhost:6379/0", "SSH_AUTH_SOCK=/tmp/ssh-x/agent.1",
            "SOME_SETTING=\(Samples.stripe)", "lowercase_token=abc", "LS_COLORS=rs=0:di=01;34:ln=01;36",
            "CI=true", "MALFORMED",
        ]
        let report = scan(home: home, workspace: workspace, environment: env, allowEnv: ["NPM_*"])
        let byName = Dictionary(uniqueKeysWithValues: report.environment.map { ($0.name, $0) })
        XCTAssertEqual(Set(report.scrubbedEnvironment), [
            "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "ANTHROPIC_API_KEY", "OPENAI_API_KEY",
            "MY_SERVICE_PASSWORD", "STRIPE_SECRET_KEY", "GOOGLE_CREDENTIALS", "DATABASE_URL", "SSH_AUTH_SOCK",
            "SOME_SETTING", "lowercase_token",
        ])
        XCTAssertEqual(byName["GITHUB_TOKEN"]?.rule, "env: secret-named variable (*_TOKEN)")
        XCTAssertEqual(byName["AWS_SECRET_ACCESS_KEY"]?.rule, "env: secret-named variable (*_SECRET_*)")
        XCTAssertEqual(byName["AWS_ACCESS_KEY_ID"]?.rule, "env: secret-named variable (*_ACCESS_KEY_ID)")
        XCTAssertEqual(byName["DATABASE_URL"]?.rule, "env: URL with a password")
        XCTAssertEqual(byName["SOME_SETTING"]?.rule, "env: token-shaped value (Stripe live key)")
        XCTAssertEqual(byName["SSH_AUTH_SOCK"]?.rule, "env: agent socket variable (SSH_AUTH_SOCK)")
        XCTAssertEqual(byName["NPM_TOKEN"]?.granted, true)
        XCTAssertEqual(byName["NPM_TOKEN"]?.grantedBy, "allow_env: NPM_*")
        XCTAssertEqual(report.keptEnvironment, [
            "PATH=/usr/bin", "HOME=/home/me", "TERM=xterm", "LANG=C.UTF-8", "EDITOR=vim", "NPM_TOKEN=x",
            "REDIS_URL=redis://localhost:6379/0", "LS_COLORS=rs=0:di=01;34:ln=01;36", "CI=true", "MALFORMED",
        ])
    }

    func testURLPasswords() {
        XCTAssertTrue(EnvironmentScrubber.hasURLPassword("postgres://u:p@h/db"))
        XCTAssertTrue(EnvironmentScrubber.hasURLPassword("http://user:pa:ss@proxy:3128"))
        XCTAssertFalse(EnvironmentScrubber.hasURLPassword("postgres://u@h/db"))
        XCTAssertFalse(EnvironmentScrubber.hasURLPassword("postgres://u:@h/db"))
        XCTAssertFalse(EnvironmentScrubber.hasURLPassword("https://h:443/a:b@c"))
        XCTAssertFalse(EnvironmentScrubber.hasURLPassword("no url here"))
    }

    func testReportEncodesWithoutTheKeptEnvironment() throws {
        let report = scan(home: home, workspace: workspace, environment: environment + ["NPM_TOKEN=\(Samples.randomValue)"],
                          allowFiles: [".env.staging"], allowEnv: ["NPM_TOKEN"])
        let data = try JSONEncoder().encode(report)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertFalse(text.contains(Samples.randomValue), "granted values are not printed")
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        XCTAssertEqual(Set(object.keys), ["hidden", "granted", "environment", "scan_stats", "warnings"])
        let granted = (object["granted"] as! [[String: Any]]).first!
        XCTAssertEqual(granted["granted_by"] as? String, "allow_files: .env.staging")
        XCTAssertEqual(granted["kind"] as? String, "file")
        XCTAssertEqual(granted["rule_id"] as? String, "dotenv")
        XCTAssertEqual(SecretRuleSet.builtin.rule(id: "dotenv")?.reason,
                       "environment files hold the project's API keys, database URLs and passwords")
    }
}
