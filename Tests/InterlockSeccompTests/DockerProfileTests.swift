import Foundation
import XCTest
@testable import InterlockSeccomp
import InterlockProfile

final class DockerProfileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("interlock-docker-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    @discardableResult
    private func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func importing(_ json: String, capabilities: [String] = [], kernel: KernelVersion = KernelVersion(6, 18),
                           policy: SyscallPolicy = SyscallPolicy()) throws -> SyscallRuleSet {
        var policy = policy
        policy.importPath = try write("profile.json", json)
        return try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil, capabilities: capabilities, kernel: kernel)
    }

    private func refusal(_ set: SyscallRuleSet, _ syscall: String, _ arguments: [UInt64] = []) -> String? {
        switch set.evaluate(syscall: syscall, arguments: arguments) {
        case .allowed: return nil
        case .denied(let rule): return rule.origin
        case .silentErrno(let e, let rule): return "errno \(e) " + rule.origin
        }
    }

    static let sample = """
    {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "comment": "ignored",
        "syscalls": [
            {"names": ["read", "write", "close", "exit_group", "chown32", "not_a_syscall_anywhere"], "action": "SCMP_ACT_ALLOW"},
            {"name": "getpid", "action": "SCMP_ACT_LOG"},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["kcmp"], "action": "SCMP_ACT_ALLOW", "excludes": {"minKernel": "5.0"}},
            {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
            {"names": ["set_tls"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["arm"]}},
            {"names": ["unshare"], "action": "SCMP_ACT_ALLOW", "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["lseek"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 2, "value": 3, "op": "SCMP_CMP_LT"}]},
            {"names": ["kill"], "action": "SCMP_ACT_KILL_PROCESS"},
            {"names": ["write"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
        ]
    }
    """

    func testImportedProfileBecomesTheBaseline() throws {
        let set = try importing(Self.sample)
        let path = directory.appendingPathComponent("profile.json").path
        XCTAssertEqual(set.defaultAction, .deny)
        XCTAssertEqual(set.defaultOrigin, "import \(path)")
        XCTAssertNil(refusal(set, "read"))
        XCTAssertNil(refusal(set, "getpid"))  // SCMP_ACT_LOG allows
        XCTAssertEqual(refusal(set, "mount"), "import \(path) (default action)")  // no CAP_SYS_ADMIN kept
        XCTAssertNil(refusal(set, "ptrace"))
        XCTAssertNotNil(refusal(set, "kcmp"))  // excluded from 5.0 on
        XCTAssertNil(refusal(set, "arch_prctl"))
        XCTAssertNil(refusal(set, "unshare"))
        XCTAssertEqual(refusal(set, "clone3"), "errno 38 import \(path) syscalls[10]")
        XCTAssertNil(refusal(set, "socket", [2, 1, 0]))
        XCTAssertNotNil(refusal(set, "socket", [10, 1, 0]))
        XCTAssertNil(refusal(set, "clone", [0x11]))
        XCTAssertNotNil(refusal(set, "clone", [0x1000_0011]))
        XCTAssertNil(refusal(set, "lseek", [0, 0, 2]))
        XCTAssertNotNil(refusal(set, "lseek", [0, 0, 3]))
        // Dropped: same as the default action. (kill's KILL_PROCESS is a refusal too.)
        XCTAssertEqual(refusal(set, "kill"), "import \(path) (default action)")
        // The first unconditional rule of a syscall wins, as in libseccomp.
        XCTAssertNil(refusal(set, "write"))
        // The always-on rules still come first.
        XCTAssertEqual(refusal(set, "ioctl", [1, 0x5412]), "terminal injection")
        for notify in [false, true] { XCTAssertNoThrow(try SeccompCompiler.compile(set, notify: notify)) }
    }

    func testImportHonoursCapabilitiesAndKernel() throws {
        let admin = try importing(Self.sample, capabilities: ["CAP_SYS_ADMIN"], kernel: KernelVersion(4, 4))
        XCTAssertNil(refusal(admin, "mount"))
        XCTAssertNotNil(refusal(admin, "unshare"))
        XCTAssertNotNil(refusal(admin, "ptrace"))  // kernel < 4.8
        XCTAssertNil(refusal(admin, "kcmp"))  // kernel < 5.0
    }

    func testProfileRulesApplyOverTheImport() throws {
        let set = try importing(Self.sample, policy: SyscallPolicy(deny: ["read"], allow: ["mount"]))
        XCTAssertEqual(refusal(set, "read"), "syscalls.deny")
        XCTAssertNil(refusal(set, "mount"))
    }

    func testAllowByDefaultImport() throws {
        let set = try importing("""
        {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mount", "umount2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
            {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_NE"}]},
            {"names": ["read"], "action": "SCMP_ACT_ALLOW"}
        ]}
        """)
        XCTAssertEqual(set.defaultAction, .allow)
        XCTAssertNotNil(refusal(set, "mount"))
        XCTAssertNil(refusal(set, "personality", [0xffff_ffff]))
        XCTAssertNotNil(refusal(set, "personality", [0]))
        XCTAssertFalse(set.rules.contains { $0.syscall == "read" }, "a rule with the default action is dropped")
    }

    func testEnosysDefaultIsSilent() throws {
        let set = try importing(#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": []}"#)
        XCTAssertEqual(set.defaultAction, .errnoSilently(ENOSYS))
    }

    func testErrorsNameTheMember() throws {
        let cases: [(String, String)] = [
            (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOPE"}]}"#,
             "syscalls[0].action: unknown action 'SCMP_ACT_NOPE'; valid actions: SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_LOG, SCMP_ACT_NOTIFY, SCMP_ACT_TRACE, SCMP_ACT_TRAP"),
            (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]}"#,
             "syscalls[0].args[0].op: unknown operator 'SCMP_CMP_ABOUT'; valid operators: SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_LE, SCMP_CMP_LT, SCMP_CMP_MASKED_EQ, SCMP_CMP_NE"),
            (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#,
             "syscalls[0].args[0].index: must be between 0 and 5, found 6"),
            (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": -1, "op": "SCMP_CMP_EQ"}]}]}"#,
             "syscalls[0].args[0].value: expected an integer between 0 and 18446744073709551615, found -1"),
            (#"{"syscalls": []}"#, "missing member 'defaultAction'"),
            (#"{"defaultAction": 3}"#, "defaultAction: expected a string, found a number"),
            (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": {}}"#, "syscalls: expected an array, found an object"),
            (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": "read", "action": "SCMP_ACT_ALLOW"}]}"#,
             "syscalls[0].names: expected an array of strings, found a string"),
            (#"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "new"}}]}"#,
             "syscalls[0].includes.minKernel: invalid kernel version 'new'; expected a version such as \"4.8\""),
            ("{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [,]\n}", "invalid JSON: line 3: expected a value, found ','"),
            ("[1, 2", "invalid JSON: line 1: unterminated array"),
        ]
        for (json, message) in cases {
            XCTAssertThrowsError(try DockerSeccompProfile.parse(Array(json.utf8)), json) { error in
                XCTAssertEqual((error as? SeccompError)?.message, message)
            }
        }
    }

    func testImportErrorsNameTheProfileFileAndLine() throws {
        var policy = SyscallPolicy()
        policy.importPath = directory.appendingPathComponent("missing.json").path
        policy.locations.importPath = SourceLocation(file: ".interlock.toml", line: 3)
        XCTAssertThrowsError(try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil)) { error in
            XCTAssertEqual("\(error)", ".interlock.toml:3: syscalls.import: \(policy.importPath!): cannot read: No such file or directory")
        }
        policy.importPath = try write("bad.json", "{")
        XCTAssertThrowsError(try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil)) { error in
            XCTAssertEqual("\(error)", ".interlock.toml:3: syscalls.import: \(policy.importPath!): invalid JSON: line 1: expected a member name in quotes, found end of file")
        }
    }

    func testRelativeImportResolvesAgainstTheProfileDirectory() throws {
        try write("p.json", #"{"defaultAction": "SCMP_ACT_ALLOW"}"#)
        var policy = SyscallPolicy()
        policy.importPath = "p.json"
        let set = try SeccompCompiler.ruleSet(for: policy, profileDirectory: directory.path)
        XCTAssertEqual(set.defaultOrigin, "import \(directory.path)/p.json")
    }

    /// The built-in `docker` baseline, written out as Docker JSON and imported, gives the same
    /// rules: the transcription and the importer agree.
    func testBuiltinDockerProfileRoundTripsThroughJSON() throws {
        let json = Self.json(Baselines.docker)
        let parsed = try DockerSeccompProfile.parse(Array(json.utf8))
        XCTAssertEqual(parsed, Baselines.docker)
        let imported = try importing(json)
        let builtin = try SeccompCompiler.ruleSet(for: SyscallPolicy(baseline: "docker"), profileDirectory: nil, kernel: KernelVersion(6, 18))
        XCTAssertEqual(imported.defaultAction, builtin.defaultAction)
        func strip(_ rules: [SyscallRule]) -> [SyscallRule] { rules.map { var r = $0; r.origin = ""; return r } }
        XCTAssertEqual(strip(imported.rules), strip(builtin.rules))
        // Docker's profile as shipped: about 360 names allowed, and the usual suspects refused.
        XCTAssertGreaterThan(Baselines.docker.syscalls[0].names.count, 350)
        for name in ["mount", "bpf", "io_uring_setup", "userfaultfd", "kexec_load", "unshare", "setns", "keyctl"] {
            XCTAssertNotNil(refusal(builtin, name), name)
        }
    }

    func testKernelVersions() {
        XCTAssertEqual(KernelVersion(parsing: "6.18.44-fc-v669"), KernelVersion(6, 18, 44))
        XCTAssertEqual(KernelVersion(parsing: "4.8"), KernelVersion(4, 8))
        XCTAssertNil(KernelVersion(parsing: "x"))
        XCTAssertLessThan(KernelVersion(4, 8), KernelVersion(4, 10))
        XCTAssertGreaterThan(KernelVersion.running, KernelVersion(3, 0))
    }

    /// Docker JSON for a profile (what moby's encoder would write).
    static func json(_ profile: DockerSeccompProfile) -> String {
        func strings(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        func filter(_ f: DockerSeccompProfile.Filter) -> String {
            var members: [String] = []
            if !f.caps.isEmpty { members.append("\"caps\": \(strings(f.caps))") }
            if !f.arches.isEmpty { members.append("\"arches\": \(strings(f.arches))") }
            if let k = f.minKernel { members.append("\"minKernel\": \"\(k)\"") }
            return "{" + members.joined(separator: ", ") + "}"
        }
        let entries = profile.syscalls.map { e -> String in
            var members = ["\"names\": \(strings(e.names))", "\"action\": \"\(e.action)\""]
            if let errno = e.errnoRet { members.append("\"errnoRet\": \(errno)") }
            if !e.args.isEmpty {
                members.append("\"args\": [" + e.args.map {
                    "{\"index\": \($0.index), \"value\": \($0.value), \"valueTwo\": \($0.valueTwo), \"op\": \"\($0.op)\"}"
                }.joined(separator: ", ") + "]")
            }
            members.append("\"includes\": \(filter(e.includes))")
            members.append("\"excludes\": \(filter(e.excludes))")
            return "{" + members.joined(separator: ", ") + "}"
        }
        return """
        {"defaultAction": "\(profile.defaultAction)", "defaultErrnoRet": \(profile.defaultErrnoRet.map(String.init) ?? "null"),
         "architectures": \(strings(profile.architectures)),
         "syscalls": [\(entries.joined(separator: ",\n"))]}
        """
    }
}
