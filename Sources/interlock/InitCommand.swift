import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSecrets

/// `interlock init`: a starter `.interlock.toml` for the project in the current directory.
struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Write a starter .interlock.toml: the stack's package registries, one [env.*] per environment file."
    )

    @Flag(name: .long, help: "Overwrite an existing .interlock.toml.")
    var force = false

    @Option(name: .long, help: "Project directory. Default: the current directory.")
    var directory: String?

    /// Files that identify a stack, and the hosts its package manager needs.
    static let stacks: [(marker: [String], name: String, egress: [String])] = [
        (["package.json"], "Node.js (npm)", ["registry.npmjs.org:443", "registry.yarnpkg.com:443"]),
        (["requirements.txt", "pyproject.toml", "setup.py", "Pipfile", "poetry.lock"], "Python (pip)", ["pypi.org:443", "files.pythonhosted.org:443"]),
        (["Package.swift"], "Swift (SwiftPM)", ["github.com:443", "codeload.github.com:443", "objects.githubusercontent.com:443"]),
        (["go.mod"], "Go modules", ["proxy.golang.org:443", "sum.golang.org:443", "storage.googleapis.com:443"]),
        (["Cargo.toml"], "Rust (cargo)", ["index.crates.io:443", "static.crates.io:443", "crates.io:443"]),
        (["Gemfile"], "Ruby (bundler)", ["rubygems.org:443", "index.rubygems.org:443"]),
    ]

    func run() throws {
        let dir = directory.flatMap(Shell.realPath) ?? Shell.realPath(Shell.currentDirectory()) ?? "."
        let path = dir + "/.interlock.toml"
        if access(path, F_OK) == 0 && !force {
            Shell.printError("\(path) exists; pass --force to overwrite it")
            throw ExitCode(1)
        }
        let text = Self.render(directory: dir)
        var fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            Shell.printError("cannot write \(path): \(String(cString: strerror(errno)))")
            throw ExitCode(1)
        }
        defer { if fd >= 0 { close(fd) } }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else { throw ExitCode(1) }
        close(fd)
        fd = -1
        // Validate what we wrote, and approve it: the user asked for this file.
        do {
            let policy = try ProfileLoader.load(reference: path, searchFrom: dir, environment: nil)
            let approval = ProfileApproval(environment: Shell.environmentDictionary(), home: Shell.home())
            try ProfileTrust.record(profile: path, fingerprint: ProfileTrust.fingerprint(files: ProfileApproval.files(policy)),
                                    directory: approval.directory)
        } catch {
            Shell.printError("the generated profile is invalid (please report this): \(error)")
            throw ExitCode(2)
        }
        print(text, terminator: "")
        print("\nwrote \(path)")
        // What secret discovery will hide with this profile (no environment chosen).
        if let policy = try? ProfileLoader.load(reference: path, searchFrom: dir, environment: nil) {
            let report = SecretsScanner.scan(home: Shell.realPath(Shell.home()) ?? Shell.home(), workspace: dir,
                                             environment: Shell.environment(), policy: policy.secrets,
                                             cacheDirectory: Shell.scanCacheDirectory())
            print("secret discovery will hide \(report.hidden.count) path\(report.hidden.count == 1 ? "" : "s") and \(report.scrubbedEnvironment.count) environment variable\(report.scrubbedEnvironment.count == 1 ? "" : "s"):")
            for secret in report.hidden.prefix(40) { print("  \(secret.path)  [\(secret.rule)]") }
            if report.hidden.count > 40 { print("  … (`interlock secrets scan` lists all)") }
            for name in report.scrubbedEnvironment { print("  $\(name)") }
        }
    }

    static func exists(_ dir: String, _ name: String) -> Bool { access(dir + "/" + name, F_OK) == 0 }

    /// Environment files (.env.staging → env "staging"); templates are not environments.
    static func environmentFiles(in dir: String) -> [(file: String, env: String)] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var found: [(String, String)] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            guard name.hasPrefix(".env."), name.count > 5 else { continue }
            let env = String(name.dropFirst(5))
            if ["example", "sample", "template", "dist", "defaults"].contains(env) { continue }
            guard env.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { continue }
            found.append((name, env))
        }
        return found.sorted { $0.1 < $1.1 }
    }

    static func render(directory dir: String) -> String {
        let detected = stacks.filter { stack in stack.marker.contains { exists(dir, $0) } }
        var egress: [String] = []
        for stack in detected { for host in stack.egress where !egress.contains(host) { egress.append(host) } }
        let gitHosts = exists(dir, ".git") ? ["github.com:443"] : []
        for host in gitHosts where !egress.contains(host) { egress.append(host) }
        let envs = environmentFiles(in: dir)

        var out = """
        # Interlock profile for this project (written by `interlock init`; edit freely).
        # Reference: the README, "Profiles". Check with `interlock profile check`,
        # see the result with `interlock profile show`.
        extends = "default"

        """
        let packHosts: Set<String> = ["github.com", "gitlab.com", "bitbucket.org"]
        let pushHosts = GitRemotes.httpsHosts(repository: dir).filter { packHosts.contains($0) }
        if !pushHosts.isEmpty {
            out += "# This repository pushes over https to \(pushHosts.joined(separator: ", ")). To let an agent push only\n"
            out += "# refs/heads/agent/* (no force-push, no deletion, no tags), extend the git rule pack instead:\n"
            out += "# extends = [\"default\", \"rules/git-agent-branches\"]\n"
        }
        if let first = envs.first(where: { $0.env != "production" && $0.env != "prod" }) ?? envs.first {
            out += "default_env = \"\(first.env)\"\n"
        }
        out += "\n[network]\n"
        out += "# Detected: \(detected.isEmpty ? "no package manager" : detected.map(\.name).joined(separator: ", "))\(gitHosts.isEmpty ? "" : ", a git repository").\n"
        out += "egress = [\(egress.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
        out += """

        [filesystem]
        # The workspace is writable; protected files (.git/hooks, .git/config, editor and agent
        # settings, this file) stay read-only inside. Paths to hide on top of secret discovery:
        hidden = []

        [secrets]
        # Credential files are hidden unless granted here or in an environment below.
        allow_files = []
        allow_env = []

        """
        for (file, env) in envs {
            out += """

            [env.\(env)]
            # Grants \(file) only when running with --env \(env); every other environment's file stays hidden.
            secrets.allow_files = ["\(file)"]
            network.egress = []

            """
        }
        return out
    }
}
