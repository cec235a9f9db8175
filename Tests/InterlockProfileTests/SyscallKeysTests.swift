import Foundation
import XCTest
@testable import InterlockProfile

/// `[syscalls] import`, `[[syscalls.rules]]`, `[capabilities] keep`.
final class SyscallKeysTests: ProfileTestCase {
    // MARK: import

    func testImportIsResolvedAgainstTheProfileDirectory() throws {
        try dir.write("profiles/seccomp/docker.json", "{}")
        let path = try dir.write("profiles/p.toml", """
        extends = "default"
        [syscalls]
        import = "seccomp/docker.json"
        """)
        let policy = try load(path)
        XCTAssertEqual(policy.syscalls.importPath, dir.path + "/profiles/seccomp/docker.json")
        XCTAssertEqual(policy.syscalls.locations.importPath, SourceLocation(file: path, line: 3))
        // The default profile's `baseline = "agent"` stays, ignored.
        XCTAssertEqual(policy.syscalls.baseline, "agent")
    }

    func testImportInAnExtendedProfileIsRelativeToThatProfile() throws {
        try dir.write("base/custom.json", "{}")
        try dir.write("base/base.toml", "[syscalls]\nimport = \"./custom.json\"\n")
        let child = try dir.write("project/child.toml", "extends = \"../base/base.toml\"\n")
        XCTAssertEqual(try load(child).syscalls.importPath, dir.path + "/base/custom.json")
    }

    func testBaselineAndImportAreOneSetting() throws {
        try dir.write("a.json", "{}")
        try dir.write("base.toml", "[syscalls]\nimport = \"a.json\"\n")
        // A later baseline replaces an inherited import…
        let child = try dir.write("child.toml", "extends = \"base.toml\"\n[syscalls]\nbaseline = \"docker\"\n")
        let policy = try load(child)
        XCTAssertNil(policy.syscalls.importPath)
        XCTAssertEqual(policy.syscalls.baseline, "docker")
        // …and so does an environment's.
        let envs = try dir.write("envs.toml", """
        extends = "base.toml"
        [env.plain.syscalls]
        baseline = "none"
        [env.imported.syscalls]
        import = "/\(dir.path.dropFirst())/a.json"
        """)
        XCTAssertNil(try load(envs, env: "plain").syscalls.importPath)
        XCTAssertEqual(try load(envs).syscalls.importPath, dir.path + "/a.json")
        XCTAssertEqual(try load(envs, env: "imported").syscalls.importPath, dir.path + "/a.json")
        // Both in one table is an error.
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[syscalls]\nbaseline = \"docker\"\nimport = \"a.json\"\n"),
                       "\(p):3: syscalls.import: set either baseline or import, not both (an import replaces the baseline)")
    }

    func testImportErrors() throws {
        let p = dir.path + "/p.toml"
        XCTAssertEqual(try errorText("[syscalls]\nimport = \"nope.json\"\n"),
                       "\(p):2: syscalls.import: import file not found: \(dir.path)/nope.json")
        XCTAssertEqual(try errorText("[syscalls]\nimport = \"\"\n"), "\(p):2: syscalls.import: value must not be empty")
        XCTAssertEqual(try errorText("[syscalls]\nimport = [\"a.json\"]\n"), "\(p):2: syscalls.import: expected a string, found array")
    }

    // MARK: rules

    func testRules() throws {
        let path = try dir.write("p.toml", """
        [syscalls]
        deny = ["ptrace"]

        [[syscalls.rules]]
        syscall = "socket"
        args = [{ index = 0, op = "==", value = "AF_PACKET" }]

        [[syscalls.rules]]
        syscall = "socket"
        action = "allow"
        args = [
            { index = 0, op = "==", value = 2 },
            { index = 1, op = "&=", mask = 0xf, value = "SOCK_RAW" },
            { index = 2, op = ">=", value = -1 },
        ]

        [[syscalls.rules]]
        syscall = "mount"
        action = "deny"
        """)
        let policy = try load(path)
        XCTAssertEqual(policy.syscalls.rules, [
            SyscallRuleEntry(syscall: "socket", action: .deny, args: [.init(index: 0, op: .equal, value: 17)]),
            SyscallRuleEntry(syscall: "socket", action: .allow, args: [
                .init(index: 0, op: .equal, value: 2), .init(index: 1, op: .maskedEqual, value: 3, mask: 0xf),
                .init(index: 2, op: .greaterOrEqual, value: .max),
            ]),
            SyscallRuleEntry(syscall: "mount"),
        ])
        XCTAssertEqual(policy.syscalls.locations.rules.map(\.line), [4, 8, 17])
        XCTAssertEqual(policy.syscalls.locations.deny["ptrace"], SourceLocation(file: path, line: 2))
    }

    func testRulesMergeAcrossExtendsAndEnvironments() throws {
        try dir.write("base.toml", """
        [[syscalls.rules]]
        syscall = "kill"
        [env.ci]
        [[env.ci.syscalls.rules]]
        syscall = "ptrace"
        """)
        let child = try dir.write("child.toml", """
        extends = "base.toml"
        [syscalls]
        rules = [{ syscall = "kill" }, { syscall = "bpf", action = "allow" }]
        """)
        XCTAssertEqual(try load(child).syscalls.rules.map(\.syscall), ["kill", "bpf"])
        let ci = try load(child, env: "ci")
        XCTAssertEqual(ci.syscalls.rules.map(\.syscall), ["kill", "bpf", "ptrace"])
        XCTAssertEqual(ci.syscalls.locations.rules.map(\.file), [dir.path + "/base.toml", child, dir.path + "/base.toml"])
    }

    func testRuleErrors() throws {
        let p = dir.path + "/p.toml"
        let cases: [(String, String)] = [
            ("[[syscalls.rules]]\naction = \"deny\"\n", "\(p):1: syscalls.rules[0]: missing key 'syscall'"),
            ("[[syscalls.rules]]\nsyscall = \"Socket\"\n",
             "\(p):2: syscalls.rules[0].syscall: invalid syscall name 'Socket'; use lowercase letters, digits and '_'"),
            ("[[syscalls.rules]]\nsyscall = \"socket\"\naction = \"block\"\n",
             "\(p):3: syscalls.rules[0].action: invalid value 'block'; valid values: deny, allow"),
            ("[[syscalls.rules]]\nsyscall = \"socket\"\nwhen = 1\n",
             "\(p):3: syscalls.rules[0].when: unknown key 'when'; valid keys: action, args, syscall"),
            ("[syscalls]\nrules = \"deny everything\"\n", "\(p):2: syscalls.rules: expected an array of tables, found string"),
            ("[syscalls]\nrules = [\"socket\"]\n", "\(p):2: syscalls.rules[0]: expected a table, found string"),
            ("[[syscalls.rules]]\nsyscall = \"socket\"\nargs = { index = 0 }\n",
             "\(p):3: syscalls.rules[0].args: expected an array of tables, found table"),
            ("[[syscalls.rules]]\nsyscall = \"socket\"\n[[syscalls.rules]]\nsyscall = \"ioctl\"\nargs = [{ index = 6, op = \"==\", value = 1 }]\n",
             "\(p):5: syscalls.rules[1].args[0].index: index must be between 0 and 5, found 6"),
            ("[[syscalls.rules]]\nsyscall = \"ioctl\"\nargs = [{ index = 1, op = \"=\", value = 1 }]\n",
             "\(p):3: syscalls.rules[0].args[0].op: invalid value '='; valid values: ==, !=, <, <=, >, >=, &="),
            ("[[syscalls.rules]]\nsyscall = \"ioctl\"\nargs = [{ index = 1, op = \"==\" }]\n",
             "\(p):3: syscalls.rules[0].args[0]: missing key 'value'"),
            ("[[syscalls.rules]]\nsyscall = \"ioctl\"\nargs = [{ index = 1, op = \"&=\", value = 1 }]\n",
             "\(p):3: syscalls.rules[0].args[0]: op '&=' needs a mask"),
            ("[[syscalls.rules]]\nsyscall = \"ioctl\"\nargs = [{ index = 1, op = \"==\", value = 1, mask = 1 }]\n",
             "\(p):3: syscalls.rules[0].args[0].mask: mask is only allowed with op '&='"),
            ("[[syscalls.rules]]\nsyscall = \"ioctl\"\nargs = [{ index = 1, op = \"&=\", value = 0x10, mask = 0xf }]\n",
             "\(p):3: syscalls.rules[0].args[0]: value has bits outside the mask, so the comparison could never hold"),
            ("[[syscalls.rules]]\nsyscall = \"ioctl\"\nargs = [{ index = 1, op = \"==\", value = 1.5 }]\n",
             "\(p):3: syscalls.rules[0].args[0].value: expected an integer or a constant name such as \"AF_INET\", found float"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try errorText(text), expected, text)
        }
        let unknown = try XCTUnwrap(try errorText("[[syscalls.rules]]\nsyscall = \"socket\"\nargs = [{ index = 0, op = \"==\", value = \"AF_WHAT\" }]\n"))
        XCTAssertTrue(unknown.hasPrefix("\(p):3: syscalls.rules[0].args[0].value: unknown constant 'AF_WHAT'; valid constants: ADDR_LIMIT_32BIT, ADDR_NO_RANDOMIZE, AF_ALG,"), unknown)
    }

    // MARK: capabilities

    func testCapabilities() throws {
        try dir.write("base.toml", "[capabilities]\nkeep = [\"CAP_NET_BIND_SERVICE\"]\n[env.raw.capabilities]\nkeep = [\"CAP_NET_RAW\"]\n")
        let child = try dir.write("child.toml", "extends = \"base.toml\"\n[capabilities]\nkeep = [\"CAP_NET_BIND_SERVICE\", \"CAP_CHOWN\"]\n")
        XCTAssertEqual(try load(child).capabilities.keep, ["CAP_NET_BIND_SERVICE", "CAP_CHOWN"])
        XCTAssertEqual(try load(child, env: "raw").capabilities.keep, ["CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_NET_RAW"])
        XCTAssertEqual(try load(try dir.write("none.toml", "")).capabilities, CapabilitiesPolicy())

        let p = dir.path + "/p.toml"
        let error = try XCTUnwrap(try errorText("[capabilities]\nkeep = [\"NET_BIND_SERVICE\"]\n"))
        XCTAssertTrue(error.hasPrefix("\(p):2: capabilities.keep: unknown capability 'NET_BIND_SERVICE'; valid names: CAP_AUDIT_CONTROL, CAP_AUDIT_READ,"), error)
        XCTAssertEqual(try errorText("[capabilities]\ndrop = []\n"), "\(p):2: capabilities.drop: unknown key 'drop'; valid keys: keep")
        XCTAssertEqual(CapabilityNames.all.count, 41)
        XCTAssertEqual(CapabilityNames.all.first, "CAP_CHOWN")
    }

    // MARK: Output

    func testNewKeysRoundTripThroughTOMLAndJSON() throws {
        try dir.write("seccomp.json", "{}")
        let path = try dir.write(".interlock.toml", """
        extends = "default"
        [syscalls]
        import = "seccomp.json"
        [[syscalls.rules]]
        syscall = "socket"
        args = [{ index = 0, op = "&=", mask = 0xffffffff, value = "AF_PACKET" }, { index = 2, op = "!=", value = -2 }]
        [[syscalls.rules]]
        syscall = "ptrace"
        action = "allow"
        [capabilities]
        keep = ["CAP_NET_BIND_SERVICE"]
        """)
        let policy = try load(path)
        let toml = policy.tomlString()
        XCTAssertTrue(toml.contains("import = \"\(dir.path)/seccomp.json\"\n"), toml)
        XCTAssertFalse(toml.contains("baseline ="), toml)
        XCTAssertTrue(toml.contains("[[syscalls.rules]]\nsyscall = \"socket\"\naction = \"deny\"\n"
                                    + "args = [{ index = 0, op = \"&=\", mask = 4294967295, value = 17 }, { index = 2, op = \"!=\", value = -2 }]\n"), toml)
        XCTAssertTrue(toml.contains("[capabilities]\nkeep = [\"CAP_NET_BIND_SERVICE\"]\n"), toml)
        let reloaded = try load(try dir.write("rendered.toml", toml))
        XCTAssertEqual(reloaded.syscalls.importPath, policy.syscalls.importPath)
        XCTAssertEqual(reloaded.syscalls.rules, policy.syscalls.rules)
        XCTAssertEqual(reloaded.capabilities, policy.capabilities)

        let json = policy.jsonString()
        XCTAssertTrue(json.contains("\"value\": 18446744073709551614"), json)
        XCTAssertTrue(json.contains("\"mask\": null"), json)
        XCTAssertEqual(try JSONDecoder().decode(Policy.self, from: Data(json.utf8)), policy)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let viaCodable = try JSONSerialization.jsonObject(with: encoder.encode(policy)) as? NSDictionary
        let viaString = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
        XCTAssertEqual(viaCodable, viaString)
    }

    func testLocationsAreNotPartOfThePolicyValue() {
        var a = SyscallPolicy(deny: ["mount"])
        let b = a
        a.locations.deny["mount"] = SourceLocation(file: "x.toml", line: 1)
        XCTAssertEqual(a, b)
    }
}

final class SetEnvKeyTests: XCTestCase {
    func testSetEnvLoadsMergesAndValidates() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("interlock-setenv-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let p = dir + "/p.toml"
        try "[secrets]\nset_env = { FOO = \"base\", BAR = \"1\" }\n[env.ci]\nsecrets.set_env = { FOO = \"ci\" }\n"
            .write(toFile: p, atomically: true, encoding: .utf8)
        let base = try ProfileLoader.load(reference: p, searchFrom: dir, environment: nil)
        XCTAssertEqual(base.secrets.setEnv, ["FOO": "base", "BAR": "1"])
        let ci = try ProfileLoader.load(reference: p, searchFrom: dir, environment: "ci")
        XCTAssertEqual(ci.secrets.setEnv, ["FOO": "ci", "BAR": "1"])
        try "[secrets]\nset_env = { \"A=B\" = \"x\" }\n".write(toFile: p, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ProfileLoader.load(reference: p, searchFrom: dir, environment: nil)) { error in
            XCTAssertTrue("\(error)".contains("p.toml:2:"), "\(error)")
        }
        try "[secrets]\nset_env = { A = 1 }\n".write(toFile: p, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ProfileLoader.load(reference: p, searchFrom: dir, environment: nil)) { error in
            XCTAssertTrue("\(error)".contains("expected a string"), "\(error)")
        }
    }
}
