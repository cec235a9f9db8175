import Foundation
import XCTest
@testable import InterlockProfile

final class ProfileLoaderTests: ProfileTestCase {
    // MARK: Built-ins

    func testBuiltinDefault() throws {
        let policy = try ProfileLoader.load(reference: "default", searchFrom: dir.path, environment: nil)
        XCTAssertEqual(policy.sources, ["builtin:default"])
        XCTAssertNil(policy.profileDirectory)
        XCTAssertNil(policy.environment)
        XCTAssertEqual(policy.environments, [])
        XCTAssertEqual(policy.filesystem, FilesystemPolicy(readOnly: [], readWrite: ["."], hidden: [], tmpfs: ["/tmp"]))
        XCTAssertEqual(policy.secrets, SecretsPolicy(discover: true, allowFiles: [], allowEnv: []))
        XCTAssertEqual(policy.syscalls, SyscallPolicy(baseline: "agent", deny: [], allow: [], onDeny: .errno("EPERM"), mode: .enforce))
        XCTAssertEqual(policy.network, NetworkPolicy(egress: [], deny: []))
        XCTAssertEqual(policy.limits, LimitsPolicy(memory: 8 << 30, pids: 4096, cpu: nil, openFiles: 8192))
    }

    func testBuiltinStrictExtendsDefault() throws {
        let policy = try ProfileLoader.load(reference: "strict", searchFrom: dir.path, environment: nil)
        XCTAssertEqual(policy.sources, ["builtin:default", "builtin:strict"])
        XCTAssertEqual(policy.filesystem.readWrite, ["."])
        XCTAssertEqual(policy.filesystem.tmpfs, ["/tmp"])
        XCTAssertEqual(policy.filesystem.hidden, [])
        XCTAssertEqual(policy.syscalls.onDeny, .errno("EPERM"))
        XCTAssertEqual(policy.syscalls.mode, .enforce)
        XCTAssertEqual(policy.limits, LimitsPolicy(memory: 2 << 30, pids: 512, cpu: 2, openFiles: 1024))
    }

    func testEveryBuiltinIsValid() throws {
        XCTAssertEqual(BuiltinProfiles.names, ["default", "strict"])
        for name in BuiltinProfiles.names {
            XCTAssertNoThrow(try ProfileLoader.load(reference: name, searchFrom: "/", environment: nil), name)
        }
    }

    // MARK: Discovery

    func testDiscoveryWalksUpward() throws {
        let profile = try dir.write("repo/.interlock.toml", "extends = \"default\"\n[limits]\npids = 77\n")
        let deep = try dir.makeDirectory("repo/src/module/deep")
        XCTAssertEqual(ProfileLoader.discover(from: deep), profile)
        XCTAssertEqual(ProfileLoader.discover(from: dir.path + "/repo"), profile)
        XCTAssertEqual(ProfileLoader.discover(from: deep + "/../.."), profile)

        let policy = try ProfileLoader.load(reference: nil, searchFrom: deep, environment: nil)
        XCTAssertEqual(policy.sources, ["builtin:default", profile])
        XCTAssertEqual(policy.profileDirectory, dir.path + "/repo")
        XCTAssertEqual(policy.limits.pids, 77)

        // The nearest one wins.
        let inner = try dir.write("repo/src/.interlock.toml", "[limits]\npids = 5\n")
        XCTAssertEqual(ProfileLoader.discover(from: deep), inner)
        XCTAssertEqual(try ProfileLoader.load(reference: nil, searchFrom: deep, environment: nil).limits.pids, 5)
    }

    func testDiscoveryIgnoresDirectoriesNamedLikeTheProfile() throws {
        let profile = try dir.write("repo/.interlock.toml", "")
        _ = try dir.makeDirectory("repo/sub/.interlock.toml")
        XCTAssertEqual(ProfileLoader.discover(from: dir.path + "/repo/sub"), profile)
    }

    func testNoProfileFoundFallsBackToBuiltinDefault() throws {
        let empty = try dir.makeDirectory("nothing/here")
        let aboveHasProfile = [dir.path, Paths.directory(of: dir.path), "/"].contains {
            FileManager.default.fileExists(atPath: $0 + "/.interlock.toml")
        }
        try XCTSkipIf(aboveHasProfile, "a .interlock.toml exists above the temporary directory")
        XCTAssertNil(ProfileLoader.discover(from: empty))
        let policy = try ProfileLoader.load(reference: nil, searchFrom: empty, environment: nil)
        XCTAssertEqual(policy.sources, ["builtin:default"])
        XCTAssertNil(policy.profileDirectory)
    }

    // MARK: Merging

    func testExtendsChainMergesBaseFirst() throws {
        try dir.write("shared/grand.toml", """
        [filesystem]
        read_only = ["/opt/tools", "/etc/ssl"]
        hidden = ["secret.txt"]
        [secrets]
        discover = false
        [syscalls]
        baseline = "docker"
        deny = ["ptrace"]
        mode = "learn"
        [limits]
        memory = 1073741824
        pids = 100
        cpu = 1
        """)
        try dir.write("shared/parent.toml", """
        extends = "grand.toml"
        [filesystem]
        read_only = ["/etc/ssl", "/usr/share/dict"]
        [syscalls]
        deny = ["ptrace", "mount"]
        on_deny = "kill"
        [limits]
        pids = 200
        """)
        let child = try dir.write("project/child.toml", """
        extends = "../shared/parent.toml"
        [filesystem]
        read_only = ["/opt/tools", "docs"]
        read_write = ["."]
        [secrets]
        discover = true
        allow_env = ["NPM_TOKEN"]
        [network]
        egress = ["github.com:443"]
        [limits]
        cpu = 0.5
        """)
        let policy = try load(child)
        XCTAssertEqual(policy.sources, [dir.path + "/shared/grand.toml", dir.path + "/shared/parent.toml", child])
        XCTAssertEqual(policy.profileDirectory, dir.path + "/project")
        // Arrays: appended base first, duplicates dropped at their first position.
        XCTAssertEqual(policy.filesystem.readOnly, ["/opt/tools", "/etc/ssl", "/usr/share/dict", "docs"])
        XCTAssertEqual(policy.filesystem.readWrite, ["."])
        XCTAssertEqual(policy.filesystem.hidden, ["secret.txt"])
        XCTAssertEqual(policy.syscalls.deny, ["ptrace", "mount"])
        // Scalars: the most derived setting wins; unset ones are inherited.
        XCTAssertEqual(policy.secrets.discover, true)
        XCTAssertEqual(policy.secrets.allowEnv, ["NPM_TOKEN"])
        XCTAssertEqual(policy.syscalls.baseline, "docker")
        XCTAssertEqual(policy.syscalls.mode, .learn)
        XCTAssertEqual(policy.syscalls.onDeny, .kill)
        XCTAssertEqual(policy.network.egress, ["github.com:443"])
        XCTAssertEqual(policy.limits, LimitsPolicy(memory: 1 << 30, pids: 200, cpu: 0.5, openFiles: nil))
    }

    func testNoExtendsMeansPolicyDefaults() throws {
        let path = try dir.write("bare.toml", "[network]\negress = [\"example.com:443\"]\n")
        let policy = try load(path)
        XCTAssertEqual(policy.sources, [path])
        XCTAssertEqual(policy.filesystem, FilesystemPolicy())
        XCTAssertEqual(policy.syscalls, SyscallPolicy())
        XCTAssertEqual(policy.secrets, SecretsPolicy())
        XCTAssertEqual(policy.limits, LimitsPolicy())
        XCTAssertEqual(policy.network.egress, ["example.com:443"])
    }

    func testEnvironmentsMergeOverTheMergedBase() throws {
        try dir.write("base.toml", """
        extends = "default"
        default_env = "staging"
        [network]
        egress = ["github.com:443"]
        [env.staging]
        network.egress = ["api.staging.example.com:443"]
        limits.pids = 300
        [env.qa.limits]
        memory = "1G"
        """)
        let project = try dir.write(".interlock.toml", """
        extends = "base.toml"
        [network]
        egress = ["registry.npmjs.org:443"]
        [env.staging]
        secrets.allow_files = [".env.staging"]
        network.egress = ["github.com:443", "sentry.example.com:443"]
        [env.production.limits]
        memory = "2G"
        [env.production.syscalls]
        on_deny = "kill"
        """)

        // default_env from base.toml applies.
        let staging = try load(project)
        XCTAssertEqual(staging.environment, "staging")
        XCTAssertEqual(staging.environments, ["production", "qa", "staging"])
        XCTAssertEqual(staging.sources, ["builtin:default", dir.path + "/base.toml", project])
        XCTAssertEqual(staging.network.egress, [
            "github.com:443", "registry.npmjs.org:443", "api.staging.example.com:443", "sentry.example.com:443",
        ])
        XCTAssertEqual(staging.secrets.allowFiles, [".env.staging"])
        XCTAssertEqual(staging.limits.pids, 300)
        XCTAssertEqual(staging.limits.memory, 8 << 30)

        // An explicit environment wins over default_env.
        let production = try load(project, env: "production")
        XCTAssertEqual(production.environment, "production")
        XCTAssertEqual(production.network.egress, ["github.com:443", "registry.npmjs.org:443"])
        XCTAssertEqual(production.secrets.allowFiles, [])
        XCTAssertEqual(production.limits.memory, 2 << 30)
        XCTAssertEqual(production.limits.pids, 4096)
        XCTAssertEqual(production.syscalls.onDeny, .kill)

        let qa = try load(project, env: "qa")
        XCTAssertEqual(qa.limits.memory, 1 << 30)
    }

    func testMostDerivedDefaultEnvWins() throws {
        try dir.write("base.toml", "default_env = \"a\"\n[env.a]\n[env.b]\nlimits.pids = 2\n")
        let child = try dir.write("child.toml", "extends = \"base.toml\"\ndefault_env = \"b\"\n")
        let policy = try load(child)
        XCTAssertEqual(policy.environment, "b")
        XCTAssertEqual(policy.limits.pids, 2)
        XCTAssertEqual(policy.environments, ["a", "b"])
    }

    func testNoEnvironmentChosen() throws {
        let path = try dir.write("p.toml", "[env.staging]\nlimits.pids = 9\n")
        let policy = try load(path)
        XCTAssertNil(policy.environment)
        XCTAssertEqual(policy.environments, ["staging"])
        XCTAssertNil(policy.limits.pids)
    }

    func testValueForms() throws {
        let path = try dir.write("p.toml", """
        [filesystem]
        read_only = ["~", "~/.config/git", "/usr/local", "./build", "a~b", "x/.../y"]
        [syscalls]
        deny = ["mount", "open_by_handle_at", "io_uring_setup"]
        on_deny = "errno:ENOSYS"
        [limits]
        memory = "4GiB"
        cpu = 2
        open_files = 16
        pids = 1
        """)
        let policy = try load(path)
        XCTAssertEqual(policy.filesystem.readOnly, ["~", "~/.config/git", "/usr/local", "./build", "a~b", "x/.../y"])
        XCTAssertEqual(policy.syscalls.onDeny, .errno("ENOSYS"))
        XCTAssertEqual(policy.limits, LimitsPolicy(memory: 4 << 30, pids: 1, cpu: 2.0, openFiles: 16))
    }

    func testMemorySizes() {
        let cases: [(String, MemorySize)] = [
            ("512M", .bytes(512 << 20)), ("4G", .bytes(4 << 30)), ("4GiB", .bytes(4 << 30)), ("4gb", .bytes(4 << 30)),
            ("1T", .bytes(1 << 40)), ("2048K", .bytes(2 << 20)), ("1048576", .bytes(1 << 20)), ("1048576B", .bytes(1 << 20)),
            ("8388607T", .bytes(8_388_607 << 40)), ("8388608T", .tooLarge), ("99999999999999999999", .tooLarge),
            ("", .invalid), ("G", .invalid), ("1.5G", .invalid), ("4 G", .invalid), ("-1G", .invalid), ("4X", .invalid),
            ("4iB", .invalid),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(MemorySize.parse(text), expected, text)
        }
        XCTAssertEqual(MemorySize.format(8 << 30), "8G")
        XCTAssertEqual(MemorySize.format(1536 << 20), "1536M")
        XCTAssertEqual(MemorySize.format(1 << 40), "1T")
        XCTAssertEqual(MemorySize.format(1_000_000), "1000000")
    }

    // MARK: Errors, with their exact text

    func testSyntaxError() throws {
        let path = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[limits]\npids = 1\npids = 2\n"), "\(path):3: duplicate key 'limits.pids'")
        XCTAssertEqual(try errorText("extends = default\n"), "\(path):1: invalid value 'default' (strings must be quoted)")
        XCTAssertEqual(try errorText("\n\nx = 1979-05-27\n"), "\(path):3: dates are not supported")
    }

    func testUnknownKeys() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("\n[filesytem]\nread_only = []\n"),
                       "\(p):2: filesytem: unknown key 'filesytem'; valid keys: capabilities, credentials, default_env, env, extends, filesystem, git, http, limits, network, requires, secrets, syscalls")
        XCTAssertEqual(try errorText("[filesystem]\nread_onyl = []\n"),
                       "\(p):2: filesystem.read_onyl: unknown key 'read_onyl'; valid keys: hidden, read_only, read_write, tmpfs, unprotect")
        XCTAssertEqual(try errorText("[secrets]\ndiscovery = true\n"),
                       "\(p):2: secrets.discovery: unknown key 'discovery'; valid keys: allow_env, allow_files, discover, set_env")
        XCTAssertEqual(try errorText("[syscalls]\nbase = \"agent\"\n"),
                       "\(p):2: syscalls.base: unknown key 'base'; valid keys: allow, baseline, deny, import, mode, on_deny, rules")
        XCTAssertEqual(try errorText("[network]\nallow = []\n"),
                       "\(p):2: network.allow: unknown key 'allow'; valid keys: ask_timeout, deny, egress, found_tokens, hosts, unix_sockets, upstream_ca")
        XCTAssertEqual(try errorText("[limits]\nmem = 1\n"),
                       "\(p):2: limits.mem: unknown key 'mem'; valid keys: cpu, memory, open_files, pids")
        XCTAssertEqual(try errorText("[env.staging]\nnetwork.egres = []\n"),
                       "\(p):2: env.staging.network.egres: unknown key 'egres'; valid keys: ask_timeout, deny, egress, found_tokens, hosts, unix_sockets, upstream_ca")
        XCTAssertEqual(try errorText("[env.staging]\nextends = \"x\"\n"),
                       "\(p):2: env.staging.extends: unknown key 'extends'; valid keys: capabilities, filesystem, limits, network, secrets, syscalls")
    }

    func testWrongTypes() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[filesystem]\nread_only = 5\n"),
                       "\(p):2: filesystem.read_only: expected an array of strings, found integer")
        XCTAssertEqual(try errorText("[filesystem]\nread_write = [\n  \".\",\n  1,\n]\n"),
                       "\(p):4: filesystem.read_write: expected an array of strings, found integer element")
        XCTAssertEqual(try errorText("[network]\negress = \"github.com:443\"\n"),
                       "\(p):2: network.egress: expected an array of strings, found string")
        XCTAssertEqual(try errorText("filesystem = \"rw\"\n"), "\(p):1: filesystem: expected a table, found string")
        XCTAssertEqual(try errorText("[[limits]]\npids = 1\n"), "\(p):1: limits: expected a table, found array")
        XCTAssertEqual(try errorText("env = 1\n"), "\(p):1: env: expected a table, found integer")
        XCTAssertEqual(try errorText("env.staging = true\n"), "\(p):1: env.staging: expected a table, found boolean")
        XCTAssertEqual(try errorText("[secrets]\ndiscover = \"yes\"\n"), "\(p):2: secrets.discover: expected a boolean, found string")
        XCTAssertEqual(try errorText("extends = 3\n"), "\(p):1: extends: expected a string, found integer")
        XCTAssertEqual(try errorText("default_env = [\"a\"]\n"), "\(p):1: default_env: expected a string, found array")
        XCTAssertEqual(try errorText("[syscalls]\nmode = true\n"), "\(p):2: syscalls.mode: expected a string, found boolean")
        XCTAssertEqual(try errorText("[limits]\npids = 1.5\n"), "\(p):2: limits.pids: expected an integer, found float")
        XCTAssertEqual(try errorText("[limits]\nopen_files = \"4096\"\n"), "\(p):2: limits.open_files: expected an integer, found string")
        XCTAssertEqual(try errorText("[limits]\ncpu = \"2\"\n"), "\(p):2: limits.cpu: expected a number, found string")
        XCTAssertEqual(try errorText("[limits]\nmemory = 1.5\n"),
                       "\(p):2: limits.memory: expected an integer number of bytes or a size string such as \"4G\", found float")
        XCTAssertEqual(try errorText("[env.production.limits]\nmemory = true\n"),
                       "\(p):2: env.production.limits.memory: expected an integer number of bytes or a size string such as \"4G\", found boolean")
    }

    func testBadPaths() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[filesystem]\nhidden = [\"\"]\n"),
                       "\(p):2: filesystem.hidden: invalid path '': paths must not be empty")
        XCTAssertEqual(try errorText("[filesystem]\nread_only = [\"ok\", \"../outside\"]\n"),
                       "\(p):2: filesystem.read_only: invalid path '../outside': '..' components are not allowed")
        XCTAssertEqual(try errorText("[filesystem]\ntmpfs = [\"/a/b/..\"]\n"),
                       "\(p):2: filesystem.tmpfs: invalid path '/a/b/..': '..' components are not allowed")
        XCTAssertEqual(try errorText("[filesystem]\nread_write = [\"~bob/src\"]\n"),
                       "\(p):2: filesystem.read_write: invalid path '~bob/src': '~' is only allowed as '~' or a '~/' prefix")
        XCTAssertEqual(try errorText("[secrets]\nallow_files = [\"a\\u0000b\"]\n"),
                       "\(p):2: secrets.allow_files: invalid path 'a\\0b': paths must not contain NUL characters")
        XCTAssertEqual(try errorText("[env.ci.filesystem]\nhidden = [\"x/../../y\"]\n"),
                       "\(p):2: env.ci.filesystem.hidden: invalid path 'x/../../y': '..' components are not allowed")
    }

    func testMemoryErrors() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[limits]\nmemory = \"4X\"\n"),
                       "\(p):2: limits.memory: invalid memory size '4X'; use a number of bytes or a number with a K, M, G or T suffix, such as \"512M\" or \"4G\"")
        XCTAssertEqual(try errorText("[limits]\nmemory = \"1.5G\"\n"),
                       "\(p):2: limits.memory: invalid memory size '1.5G'; use a number of bytes or a number with a K, M, G or T suffix, such as \"512M\" or \"4G\"")
        XCTAssertEqual(try errorText("[limits]\nmemory = \"512K\"\n"),
                       "\(p):2: limits.memory: memory must be at least 1M (1048576 bytes), found '512K'")
        XCTAssertEqual(try errorText("[limits]\nmemory = 1000\n"),
                       "\(p):2: limits.memory: memory must be at least 1M (1048576 bytes), found 1000")
        XCTAssertEqual(try errorText("[limits]\nmemory = -1\n"),
                       "\(p):2: limits.memory: memory must be at least 1M (1048576 bytes), found -1")
        XCTAssertEqual(try errorText("[limits]\nmemory = \"9999999T\"\n"),
                       "\(p):2: limits.memory: memory size '9999999T' is too large")
    }

    func testOutOfRangeNumbers() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[limits]\npids = 0\n"), "\(p):2: limits.pids: pids must be between 1 and 4194304, found 0")
        XCTAssertEqual(try errorText("[limits]\npids = 5000000\n"), "\(p):2: limits.pids: pids must be between 1 and 4194304, found 5000000")
        XCTAssertEqual(try errorText("[limits]\nopen_files = 8\n"),
                       "\(p):2: limits.open_files: open_files must be between 16 and 1073741816, found 8")
        XCTAssertEqual(try errorText("[limits]\ncpu = 0\n"), "\(p):2: limits.cpu: cpu must be a finite number greater than 0, found 0")
        XCTAssertEqual(try errorText("[limits]\ncpu = -1.5\n"), "\(p):2: limits.cpu: cpu must be a finite number greater than 0, found -1.5")
        XCTAssertEqual(try errorText("[limits]\ncpu = inf\n"), "\(p):2: limits.cpu: cpu must be a finite number greater than 0, found inf")
        XCTAssertEqual(try errorText("[limits]\ncpu = nan\n"), "\(p):2: limits.cpu: cpu must be a finite number greater than 0, found nan")
    }

    func testBadEnumValuesListTheChoices() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[syscalls]\nbaseline = \"podman\"\n"),
                       "\(p):2: syscalls.baseline: invalid value 'podman'; valid values: agent, docker, none")
        XCTAssertEqual(try errorText("[syscalls]\nmode = \"audit\"\n"),
                       "\(p):2: syscalls.mode: invalid value 'audit'; valid values: enforce, learn")
        XCTAssertEqual(try errorText("[syscalls]\non_deny = \"deny\"\n"),
                       "\(p):2: syscalls.on_deny: invalid value 'deny'; valid values: kill, errno:NAME")
        let names = SyscallPolicy.errnoNumbers.keys.sorted().joined(separator: ", ")
        XCTAssertEqual(try errorText("[syscalls]\non_deny = \"errno:EFOO\"\n"),
                       "\(p):2: syscalls.on_deny: unknown errno name 'EFOO'; valid names: \(names)")
        XCTAssertTrue(names.hasPrefix("E2BIG, EACCES, EADDRINUSE"), names)
        for common in ["EPERM", "EACCES", "ENOSYS", "EINVAL", "ENOENT", "EROFS"] {
            XCTAssertNotNil(SyscallPolicy.errnoNumbers[common], common)
        }
        XCTAssertGreaterThanOrEqual(SyscallPolicy.errnoNumbers.count, 30)
    }

    func testBadStrings() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[syscalls]\ndeny = [\"mount\", \"Ptrace\"]\n"),
                       "\(p):2: syscalls.deny: invalid syscall name 'Ptrace'; use lowercase letters, digits and '_'")
        XCTAssertEqual(try errorText("[syscalls]\nallow = [\"\"]\n"),
                       "\(p):2: syscalls.allow: invalid syscall name ''; use lowercase letters, digits and '_'")
        XCTAssertEqual(try errorText("[secrets]\nallow_env = [\"A=B\"]\n"),
                       "\(p):2: secrets.allow_env: invalid environment variable name 'A=B'; names must be non-empty and contain no '=' or NUL")
        XCTAssertEqual(try errorText("[network]\negress = [\"\"]\n"), "\(p):2: network.egress: value must not be empty")
        XCTAssertEqual(try errorText("[network]\ndeny = [\"ok\", \"\"]\n"), "\(p):2: network.deny: value must not be empty")
        XCTAssertEqual(try errorText("extends = \"\"\n"), "\(p):1: extends: value must not be empty")
        XCTAssertEqual(try errorText("[env.\"two words\"]\n"),
                       "\(p):1: env.\"two words\": invalid environment name 'two words'; use letters, digits, '-' and '_'")
    }

    func testExtendsCycle() throws {
        let a = try dir.write("a.toml", "extends = \"b.toml\"\n")
        let b = try dir.write("b.toml", "# b\nextends = \"./sub/../a.toml\"\n")
        let error = profileError { () throws(ProfileError) in try load(a) }
        XCTAssertEqual(error, ProfileError(file: b, line: 2, key: "extends", message: "extends cycle: \(a) -> \(b) -> \(a)"))
        XCTAssertEqual(error?.description, "\(b):2: extends: extends cycle: \(a) -> \(b) -> \(a)")

        let selfish = try dir.write("self.toml", "extends = \"self.toml\"\n")
        XCTAssertEqual(profileError { () throws(ProfileError) in try load(selfish) }?.description,
                       "\(selfish):1: extends: extends cycle: \(selfish) -> \(selfish)")
    }

    func testExtendsCycleWithRelativePaths() throws {
        try dir.write("a.toml", "extends = \"b.toml\"\n")
        try dir.write("b.toml", "extends = \"a.toml\"\n")
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(dir.path))
        defer { FileManager.default.changeCurrentDirectoryPath(previous) }
        let error = profileError { () throws(ProfileError) in try ProfileLoader.load(reference: "./a.toml", searchFrom: ".", environment: nil) }
        XCTAssertEqual(error?.description, "b.toml:1: extends: extends cycle: a.toml -> b.toml -> a.toml")
        // Relative references still resolve to absolute sources.
        try dir.write("c.toml", "extends = \"strict\"\n")
        let policy = try ProfileLoader.load(reference: "c.toml", searchFrom: ".", environment: nil)
        XCTAssertEqual(policy.sources, ["builtin:default", "builtin:strict", dir.path + "/c.toml"])
        XCTAssertEqual(policy.profileDirectory, dir.path)
    }

    func testExtendsTargetNotFound() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("\nextends = \"defualt\"\n"),
                       "\(p):2: extends: unknown built-in profile 'defualt'; built-in profiles: default, strict")
        XCTAssertEqual(try errorText("extends = \"missing.toml\"\n"),
                       "\(p):1: extends: profile file not found: \(dir.path)/missing.toml")
        XCTAssertEqual(try errorText("extends = \"nested/dir/base.toml\"\n"),
                       "\(p):1: extends: profile file not found: \(dir.path)/nested/dir/base.toml")
    }

    func testCommandLineProfileErrors() throws {
        XCTAssertEqual(profileError { () throws(ProfileError) in try load("strcit") },
                       ProfileError(file: "<command line>", key: "--profile",
                                    message: "unknown built-in profile 'strcit'; built-in profiles: default, strict"))
        XCTAssertEqual(profileError { () throws(ProfileError) in try load(dir.path + "/nope.toml") }?.description,
                       "<command line>: --profile: profile file not found: \(dir.path)/nope.toml")
        let directory = try dir.makeDirectory("adir.toml")
        XCTAssertEqual(profileError { () throws(ProfileError) in try load(directory) }?.description,
                       "<command line>: --profile: cannot read profile file \(directory): Is a directory")
    }

    func testUnknownEnvironment() throws {
        let path = try dir.write("p.toml", "[env.staging]\n[env.production]\n")
        XCTAssertEqual(profileError { () throws(ProfileError) in try load(path, env: "prod") },
                       ProfileError(file: "<command line>", key: "--env",
                                    message: "unknown environment 'prod'; valid environments: production, staging"))
        XCTAssertEqual(profileError { () throws(ProfileError) in try load(path, env: "prod") }?.description,
                       "<command line>: --env: unknown environment 'prod'; valid environments: production, staging")

        let none = try dir.write("none.toml", "[limits]\npids = 3\n")
        XCTAssertEqual(profileError { () throws(ProfileError) in try load(none, env: "staging") }?.description,
                       "<command line>: --env: unknown environment 'staging'; the profile defines no environments")

        let p = dir.path + "/d.toml"
        XCTAssertEqual(try errorText("# c\ndefault_env = \"stagin\"\n[env.staging]\n", name: "d.toml"),
                       "\(p):2: default_env: unknown environment 'stagin'; valid environments: staging")
        // default_env is checked even when --env picks another environment.
        XCTAssertEqual(try errorText("default_env = \"x\"\n[env.staging]\n", name: "d.toml", env: "staging"),
                       "\(p):1: default_env: unknown environment 'x'; valid environments: staging")
    }

    func testDefaultEnvMayNameAnEnvironmentOfTheBase() throws {
        try dir.write("base.toml", "[env.ci]\nlimits.pids = 8\n")
        let child = try dir.write("child.toml", "extends = \"base.toml\"\ndefault_env = \"ci\"\n")
        XCTAssertEqual(try load(child).limits.pids, 8)
    }

    func testErrorDescriptionFormats() {
        XCTAssertEqual(ProfileError(file: "a.toml", line: 3, key: "limits.memory", message: "m").description, "a.toml:3: limits.memory: m")
        XCTAssertEqual(ProfileError(file: "a.toml", line: 3, message: "m").description, "a.toml:3: m")
        XCTAssertEqual(ProfileError(file: "a.toml", key: "extends", message: "m").description, "a.toml: extends: m")
        XCTAssertEqual(ProfileError(file: "a.toml", message: "m").description, "a.toml: m")
    }

    func testValidateText() {
        XCTAssertNoThrow(try ProfileLoader.validate(text: "[limits]\npids = 3\n", file: "x.toml"))
        XCTAssertThrowsError(try ProfileLoader.validate(text: "[limits]\npids = 0\n", file: "x.toml")) { error in
            XCTAssertEqual((error as? ProfileError)?.description, "x.toml:2: limits.pids: pids must be between 1 and 4194304, found 0")
        }
    }

    func testPathNormalization() {
        XCTAssertEqual(Paths.normalize("/a/./b//c/../d/"), "/a/b/d")
        XCTAssertEqual(Paths.normalize("/../a"), "/a")
        XCTAssertEqual(Paths.normalize("./a.toml"), "a.toml")
        XCTAssertEqual(Paths.normalize("../x/../y"), "../y")
        XCTAssertEqual(Paths.normalize("a/.."), ".")
        XCTAssertEqual(Paths.directory(of: "/a/b"), "/a")
        XCTAssertEqual(Paths.directory(of: "/a"), "/")
        XCTAssertEqual(Paths.directory(of: "a"), ".")
    }
}
