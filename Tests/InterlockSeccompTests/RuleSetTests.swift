import XCTest
@testable import InterlockSeccomp
import InterlockProfile

final class RuleSetTests: XCTestCase {
    private func rules(_ policy: SyscallPolicy, capabilities: [String] = []) throws -> SyscallRuleSet {
        try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil, capabilities: capabilities, kernel: KernelVersion(6, 18))
    }

    /// The origin of the rule that refused the call, or nil when it was allowed.
    private func refusal(_ set: SyscallRuleSet, _ syscall: String, _ arguments: [UInt64] = [],
                         file: StaticString = #filePath, line: UInt = #line) -> String? {
        switch set.evaluate(syscall: syscall, arguments: arguments) {
        case .allowed: return nil
        case .denied(let rule): return rule.origin
        case .silentErrno(let e, let rule): return "errno \(e) " + rule.origin
        }
    }

    // MARK: privilege bits

    func testPrivilegeBitsAreRefusedWhateverTheBaseline() throws {
        let docker = SyscallPolicy(baseline: "docker")
        let none = SyscallPolicy(baseline: "none")
        for set in try [rules(SyscallPolicy()), rules(docker), rules(none)] {
            for (name, args) in [("chmod", [0, 0o4755]), ("chmod", [0, 0o2755]), ("fchmod", [3, 0o6755]),
                                 ("fchmodat", [0, 0, 0o4000]), ("fchmodat2", [0, 0, 0o2000, 0]),
                                 ("creat", [0, 0o4755]), ("open", [0, 0o101, 0o4755]), ("openat", [0, 0, 0o301, 0o2755]),
                                 ("openat", [0, 0, 0o20200002, 0o4700]), ("mkdir", [0, 0o2775]), ("mkdirat", [0, 0, 0o2775]),
                                 ("mknod", [0, 0o104755, 0]), ("mknodat", [0, 0, 0o102755, 0]),
                                 ("fchmod", [3, 0xffff_ffff_0000_0800])] as [(String, [UInt64])] {
                XCTAssertEqual(refusal(set, name, args), "privilege bits", "\(name) \(args)")
            }
            // Plain modes, and a mode an open ignores (no O_CREAT, no O_TMPFILE).
            for (name, args) in [("chmod", [0, 0o755]), ("fchmod", [3, 0o1777]), ("open", [0, 0o1, 0o4755]),
                                 ("openat", [0, 0, 0o301, 0o644]), ("mkdir", [0, 0o755])] as [(String, [UInt64])] {
                XCTAssertNil(refusal(set, name, args), "\(name) \(args)")
            }
            XCTAssertEqual(refusal(set, "openat2", [0, 0, 0, 24]), "errno \(ENOSYS) privilege bits")
        }
        // A profile's allow cannot take them off: always-on rules come first.
        var allowing = SyscallPolicy()
        allowing.allow = ["chmod", "openat2"]
        XCTAssertEqual(refusal(try rules(allowing), "chmod", [0, 0o4755]), "privilege bits")
    }

    // MARK: agent

    func testAgentBaseline() throws {
        let agent = try rules(SyscallPolicy())
        XCTAssertEqual(agent.defaultAction, .allow)
        XCTAssertEqual(refusal(agent, "mount"), "baseline agent")
        XCTAssertNil(refusal(agent, "read"))
        XCTAssertNil(refusal(agent, "execve"))
        // The launcher's last calls after the filter is loaded.
        for name in ["sendmsg", "close", "execve"] { XCTAssertNil(refusal(agent, name), name) }

        XCTAssertEqual(refusal(agent, "socket", [17, 3, 0]), "baseline agent")  // AF_PACKET
        XCTAssertEqual(refusal(agent, "socket", [0xffff_ffff_0000_0011, 3, 0]), "baseline agent")  // high bits ignored
        XCTAssertNil(refusal(agent, "socket", [2, 1, 0]))  // AF_INET, SOCK_STREAM
        XCTAssertNil(refusal(agent, "socket", [10, 0x80002, 0]))  // AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC
        XCTAssertEqual(refusal(agent, "socket", [2, 0x80803, 1]), "baseline agent")  // raw, with flags
        XCTAssertEqual(refusal(agent, "socket", [10, 3, 58]), "baseline agent")
        XCTAssertEqual(refusal(agent, "socket", [2, 10, 0]), "baseline agent")  // AF_INET, SOCK_PACKET
        XCTAssertNil(refusal(agent, "socket", [16, 3, 0]))  // NETLINK_ROUTE
        XCTAssertEqual(refusal(agent, "socket", [16, 3, 9]), "baseline agent")  // NETLINK_AUDIT
        XCTAssertEqual(refusal(agent, "socket", [40, 1, 0]), "baseline agent")  // AF_VSOCK

        XCTAssertEqual(refusal(agent, "ioctl", [0, 0x5412, 0]), "terminal injection")
        XCTAssertEqual(refusal(agent, "ioctl", [0, 0xdead_beef_0000_5412, 0]), "terminal injection")
        XCTAssertEqual(refusal(agent, "ioctl", [0, 0x541C, 0]), "terminal injection")
        XCTAssertNil(refusal(agent, "ioctl", [0, 0x5401, 0]))  // TCGETS

        XCTAssertEqual(refusal(agent, "clone", [0x1000_0000 | 0x11]), "baseline agent")  // CLONE_NEWUSER | SIGCHLD
        XCTAssertEqual(refusal(agent, "clone", [0x2_0000]), "baseline agent")  // CLONE_NEWNS
        XCTAssertNil(refusal(agent, "clone", [0x3d0f00]))  // pthread_create's flags
        XCTAssertEqual(refusal(agent, "unshare", [0x1000_0000]), "baseline agent")
        XCTAssertEqual(agent.evaluate(syscall: "clone3", arguments: []),
                       .silentErrno(ENOSYS, SyscallRule(syscall: "clone3", action: .errnoSilently(ENOSYS), origin: "baseline agent")))

        XCTAssertNil(refusal(agent, "personality", [0xffff_ffff]))
        XCTAssertNil(refusal(agent, "personality", [0x8]))
        XCTAssertEqual(refusal(agent, "personality", [0x0040000]), "baseline agent")  // ADDR_NO_RANDOMIZE
        XCTAssertEqual(refusal(agent, "personality", [0x1_0000_0000]), "baseline agent")

        // Allowed on purpose (see Baselines): debuggers inside the sandbox, the caller's own NUMA policy.
        for name in ["ptrace", "process_vm_readv", "process_vm_writev", "get_mempolicy", "set_mempolicy"] {
            XCTAssertNil(refusal(agent, name), name)
        }
        for name in ["io_uring_setup", "bpf", "perf_event_open", "keyctl", "add_key", "request_key", "userfaultfd",
                     "open_by_handle_at", "name_to_handle_at", "kexec_load", "init_module", "chroot", "pivot_root",
                     "open_tree", "move_mount", "fsopen", "mount_setattr", "setns", "umount2", "open_tree_attr"] {
            XCTAssertEqual(refusal(agent, name), "baseline agent", name)
        }
    }

    /// `agent` refuses at least what Docker's default profile refuses without capabilities.
    func testAgentRefusesEverythingDockerRefuses() throws {
        let agent = try rules(SyscallPolicy())
        let docker = try rules(SyscallPolicy(baseline: "docker"))
        // Refused by Docker's profile only because they are newer than it (Linux 6.17): file
        // attributes through a path, like the FS_IOC_FSGETXATTR ioctl it allows.
        let newerThanDocker: Set = ["file_getattr", "file_setattr"]
        // Allowed on purpose (see Baselines): the calling thread's own NUMA policy, which libnuma
        // reads and sets at start (every `ps`); Docker asks CAP_SYS_NICE for them.
        let ownNUMAPolicy: Set = ["get_mempolicy", "set_mempolicy"]
        for name in SyscallTable.native.keys.sorted() where !newerThanDocker.contains(name) && !ownNUMAPolicy.contains(name) {
            if case .denied = docker.evaluate(syscall: name, arguments: []),
               !["clone", "socket", "personality"].contains(name) {
                XCTAssertNotNil(refusal(agent, name), "\(name): refused by docker, allowed by agent")
            }
        }
        for (family, expected) in [(38, true), (40, true), (2, false)] as [(UInt64, Bool)] {
            XCTAssertEqual(refusal(agent, "socket", [family, 1, 0]) != nil, expected, "family \(family)")
        }
        XCTAssertTrue(agent.deniedSyscallNames.isSuperset(of: ["mount", "socket", "clone", "clone3", "personality", "ioctl"]))
        XCTAssertFalse(agent.deniedSyscallNames.contains("read"))
    }

    func testNoneBaselineKeepsOnlyTheAlwaysOnRules() throws {
        let none = try rules(SyscallPolicy(baseline: "none"))
        XCTAssertNil(refusal(none, "mount"))
        XCTAssertEqual(refusal(none, "ioctl", [1, 0x5412]), "terminal injection")
        XCTAssertEqual(none.deniedSyscallNames, ["ioctl", "chmod", "fchmod", "fchmodat", "fchmodat2", "creat", "open", "openat",
                                                 "openat2", "mkdir", "mkdirat", "mknod", "mknodat"])
    }

    // MARK: docker

    func testDockerBaseline() throws {
        let docker = try rules(SyscallPolicy(baseline: "docker"))
        XCTAssertEqual(docker.defaultAction, .deny)
        XCTAssertEqual(refusal(docker, "mount"), "baseline docker (default action)")
        XCTAssertEqual(refusal(docker, "chroot"), "baseline docker (default action)")
        XCTAssertNil(refusal(docker, "read"))
        XCTAssertNil(refusal(docker, "ptrace"))  // minKernel 4.8
        XCTAssertEqual(refusal(docker, "clone3"), "errno 38 baseline docker")
        XCTAssertEqual(refusal(docker, "clone", [0x1000_0011]), "baseline docker (default action)")
        XCTAssertNil(refusal(docker, "clone", [0x11]))
        XCTAssertEqual(refusal(docker, "ioctl", [1, 0x5412]), "terminal injection")
        XCTAssertNil(refusal(docker, "ioctl", [1, 0x5401]))
        XCTAssertEqual(refusal(docker, "socket", [40, 1, 0]), "baseline docker (default action)")
        XCTAssertNil(refusal(docker, "socket", [2, 1, 0]))
        XCTAssertNil(refusal(docker, "personality", [8]))
        XCTAssertNotNil(refusal(docker, "personality", [0x40000]))
        for name in ["sendmsg", "close", "execve"] { XCTAssertNil(refusal(docker, name), name) }
    }

    func testDockerBaselineFollowsKeptCapabilities() throws {
        let plain = try rules(SyscallPolicy(baseline: "docker"))
        let admin = try rules(SyscallPolicy(baseline: "docker"), capabilities: ["CAP_SYS_ADMIN", "CAP_SYS_CHROOT"])
        XCTAssertNotNil(refusal(plain, "mount"))
        XCTAssertNil(refusal(admin, "mount"))
        XCTAssertNil(refusal(admin, "chroot"))
        // With CAP_SYS_ADMIN, clone3 and namespaces in clone are Docker's to allow.
        XCTAssertNil(refusal(admin, "clone3"))
        XCTAssertNil(refusal(admin, "clone", [0x1000_0011]))
        // Kernel too old for Docker's ptrace rule.
        let old = try SeccompCompiler.ruleSet(for: SyscallPolicy(baseline: "docker"), profileDirectory: nil, kernel: KernelVersion(4, 4))
        XCTAssertNotNil(refusal(old, "ptrace"))
    }

    // MARK: Precedence

    func testPrecedence() throws {
        // deny beats rules and allow; a rule beats allow; allow beats the baseline.
        let set = try rules(SyscallPolicy(
            deny: ["getpid", "ptrace"], allow: ["getpid", "socket", "mount", "ioctl"],
            rules: [
                SyscallRuleEntry(syscall: "socket", action: .deny, args: [.init(index: 0, op: .equal, value: 10)]),
                SyscallRuleEntry(syscall: "mount", action: .allow, args: [.init(index: 3, op: .equal, value: 0)]),
                SyscallRuleEntry(syscall: "mount", action: .deny),
                SyscallRuleEntry(syscall: "ptrace", action: .allow),
            ]))
        XCTAssertEqual(refusal(set, "getpid"), "syscalls.deny")
        XCTAssertEqual(refusal(set, "ptrace"), "syscalls.deny")
        XCTAssertEqual(refusal(set, "socket", [10, 1, 0]), "syscalls.rules[0]")
        XCTAssertNil(refusal(set, "socket", [17, 3, 0]), "allow takes socket out of the baseline, AF_PACKET included")
        XCTAssertNil(refusal(set, "mount", [0, 0, 0, 0]))
        XCTAssertEqual(refusal(set, "mount", [0, 0, 0, 1]), "syscalls.rules[2]")
        // The always-on rules come first: allow = ["ioctl"] does not let TIOCSTI through.
        XCTAssertEqual(refusal(set, "ioctl", [0, 0x5412]), "terminal injection")
        XCTAssertNil(refusal(set, "ioctl", [0, 0x5401]))
    }

    func testAllowAddsToAnAllowList() throws {
        let set = try rules(SyscallPolicy(baseline: "docker", allow: ["mount"],
                                          rules: [SyscallRuleEntry(syscall: "chroot", action: .allow)]))
        XCTAssertNil(refusal(set, "mount"))
        XCTAssertNil(refusal(set, "chroot"))
        XCTAssertNotNil(refusal(set, "pivot_root"))
    }

    func testRuleConditions() throws {
        let set = try rules(SyscallPolicy(baseline: "none", rules: [
            SyscallRuleEntry(syscall: "ioctl", action: .deny, args: [
                .init(index: 1, op: .maskedEqual, value: 0x5401, mask: 0xffff_ffff), .init(index: 0, op: .greater, value: 2),
            ]),
            SyscallRuleEntry(syscall: "kill", action: .deny, args: [.init(index: 1, op: .notEqual, value: 0)]),
            SyscallRuleEntry(syscall: "lseek", action: .deny, args: [.init(index: 2, op: .lessOrEqual, value: 1)]),
        ]))
        XCTAssertEqual(refusal(set, "ioctl", [3, 0x1_0000_5401]), "syscalls.rules[0]")
        XCTAssertNil(refusal(set, "ioctl", [2, 0x5401]))
        XCTAssertNil(refusal(set, "kill", [1, 0]))
        XCTAssertEqual(refusal(set, "kill", [1, 9]), "syscalls.rules[1]")
        XCTAssertEqual(refusal(set, "lseek", [3, 0, 1]), "syscalls.rules[2]")
        XCTAssertNil(refusal(set, "lseek", [3, 0, 2]))
        XCTAssertNil(refusal(set, "lseek", [3, 0, 0x1_0000_0000]))
    }

    func testEvaluateBySyscallNumberAndDecidingRule() throws {
        let agent = try rules(SyscallPolicy(onDeny: .kill, mode: .learn))
        XCTAssertEqual(agent.onDeny, .kill)
        XCTAssertEqual(agent.mode, .learn)
        let mount = try XCTUnwrap(SeccompCompiler.syscallNumber("mount"))
        guard case .denied(let rule) = agent.evaluate(syscallNumber: mount, arguments: []) else { return XCTFail() }
        XCTAssertEqual(rule.syscall, "mount")
        XCTAssertEqual(agent.evaluate(syscallNumber: 99_999, arguments: []), .allowed)
        XCTAssertEqual(agent.decidingRule(syscall: "read", arguments: []).origin, "baseline agent (default action)")
    }

    func testDescriptions() {
        let rule = SyscallRule(syscall: "ioctl", conditions: [.masked(1, 0xffff_ffff, 0x5412), .equal(0, 1)],
                               action: .errnoSilently(EPERM), origin: "x")
        XCTAssertEqual(rule.description, "ioctl (arg1 & 0xffffffff == 0x5412, arg0 == 1): errno EPERM [x]")
    }
}
