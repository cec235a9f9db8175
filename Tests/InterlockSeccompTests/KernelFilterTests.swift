import XCTest
@testable import InterlockSeccomp
import InterlockProfile

/// Compiled filters loaded into a real process on this kernel (see `FilterHelper`).
final class KernelFilterTests: XCTestCase {
    private var helper: FilterHelper!

    override func setUpWithError() throws {
        helper = try FilterHelper()
    }

    override func tearDown() {
        helper?.remove()
    }

    /// A distinctive errno for refusals, so that a refusal by the kernel itself (EPERM for want
    /// of a capability) cannot pass for the filter's.
    static let marker: Int32 = 101  // ENETUNREACH
    static let minusOne = UInt64.max

    private func nr(_ name: String, file: StaticString = #filePath, line: UInt = #line) -> UInt64 {
        guard let number = SeccompCompiler.syscallNumber(name) else {
            XCTFail("no number for \(name)", file: file, line: line)
            return 0
        }
        return UInt64(number)
    }

    /// What `evaluate` predicts for a probe: the errno, or nil for "allowed: anything but a refusal".
    private func predicted(_ rules: SyscallRuleSet, _ probe: [UInt64], refusal: Int32) -> Int32? {
        switch rules.evaluate(syscallNumber: Int32(probe[0]), arguments: Array(probe.dropFirst())) {
        case .allowed: return nil
        case .denied: return refusal
        case .silentErrno(let e, _): return e
        }
    }

    /// Runs the probes and checks every result against `evaluate`; returns the errnos by probe.
    @discardableResult
    private func checkAgainstEvaluate(_ rules: SyscallRuleSet, notify: Bool = false, _ probes: [[UInt64]],
                                      refusal: Int32 = marker, allowedResult: Int32? = nil,
                                      userNamespace: Bool = true, sanity: Bool = false,
                                      file: StaticString = #filePath, line: UInt = #line) throws -> FilterHelper.Outcome {
        let program = try SeccompCompiler.compile(rules, notify: notify)
        let outcome = try helper.probe(program, probes, userNamespace: userNamespace, sanity: sanity, file: file, line: line)
        XCTAssertEqual(outcome.errnos.count, probes.count, file: file, line: line)
        for (probe, result) in zip(probes, outcome.errnos) {
            let name = SeccompCompiler.syscallName(Int32(probe[0])) ?? "#\(probe[0])"
            let args = probe.dropFirst().map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
            if let expected = predicted(rules, probe, refusal: refusal) {
                XCTAssertEqual(result, expected, "\(name)(\(args)) should be refused with \(expected)", file: file, line: line)
            } else if let allowedResult {
                XCTAssertEqual(result, allowedResult, "\(name)(\(args)) should be allowed", file: file, line: line)
            } else {
                XCTAssertNotEqual(result, refusal, "\(name)(\(args)) should be allowed", file: file, line: line)
            }
        }
        return outcome
    }

    func testAgentBaselineRefusesEverythingItListsOnTheKernel() throws {
        let rules = try SeccompCompiler.ruleSet(for: SyscallPolicy(onDeny: .errno("ENETUNREACH")), profileDirectory: nil)
        var probes: [[UInt64]] = []
        // Every syscall the baseline refuses whatever the arguments, called with zero arguments
        // (inside a fresh user namespace, so that nothing could reach the host even unfiltered).
        for rule in Baselines.agent where rule.conditions.isEmpty && rule.action == .deny {
            if let number = SeccompCompiler.syscallNumber(rule.syscall) { probes.append([UInt64(number)]) }
        }
        XCTAssertGreaterThan(probes.count, 70)
        let socket = nr("socket"), ioctl = nr("ioctl"), personality = nr("personality"), clone = nr("clone")
        let threadFlag: UInt64 = 0x10000  // CLONE_THREAD without CLONE_SIGHAND: EINVAL, never a fork
        probes += [
            [socket, 17, 3, 0x300],  // AF_PACKET
            [socket, 0xdead_0000_0011, 3, 0],  // AF_PACKET with high bits the kernel ignores
            [socket, 2, 3, 1], [socket, 2, 0x80803, 1],  // AF_INET, SOCK_RAW (| SOCK_CLOEXEC | SOCK_NONBLOCK)
            [socket, 2, 10, 0],  // AF_INET, SOCK_PACKET
            [socket, 10, 3, 58],  // AF_INET6, SOCK_RAW
            [socket, 16, 3, 9], [socket, 16, 2, 0x1_0000_0000],  // netlink audit; "route" with high bits
            [socket, 38, 5, 0], [socket, 40, 1, 0],  // AF_ALG, AF_VSOCK
            [socket, 2, 1, 0], [socket, 10, 2, 0], [socket, 1, 1, 0], [socket, 16, 3, 0],  // allowed
            [ioctl, Self.minusOne, 0x5412, 0], [ioctl, Self.minusOne, 0xffff_ffff_0000_5412, 0], [ioctl, Self.minusOne, 0x541C, 0],
            [ioctl, Self.minusOne, 0x5401, 0],  // TCGETS: allowed (EBADF)
            [personality, 0x40000], [personality, 0x400000], [personality, 0x1_0000_0000],
            [personality, 0xffff_ffff],  // the query: allowed
            [clone, threadFlag], [nr("clone3"), 0, 0], [nr("ptrace"), Self.minusOne, 0, 0, 0],
            [nr("getpid")], [nr("unshare"), 0x1000_0000], [nr("open_tree_attr"), Self.minusOne, 0, 0, 0, 0],
        ]
        for flag in Baselines.Constant.namespaceFlags { probes.append([clone, flag | threadFlag]) }

        let outcome = try checkAgainstEvaluate(rules, probes, sanity: true)
        // Independently of `evaluate`: a few known answers.
        let errnos = Dictionary(zip(probes.map { $0.map(String.init).joined(separator: ",") }, outcome.errnos), uniquingKeysWith: { a, _ in a })
        func result(_ probe: [UInt64]) -> Int32? { errnos[probe.map(String.init).joined(separator: ",")] }
        XCTAssertEqual(result([nr("mount")]), Self.marker)
        XCTAssertEqual(result([socket, 17, 3, 0x300]), Self.marker)
        XCTAssertEqual(result([ioctl, Self.minusOne, 0xffff_ffff_0000_5412, 0]), Self.marker)
        XCTAssertEqual(result([ioctl, Self.minusOne, 0x5401, 0]), EBADF)
        XCTAssertEqual(result([personality, 0x40000]), Self.marker)
        XCTAssertEqual(result([personality, 0xffff_ffff]), 0)
        XCTAssertEqual(result([clone, 0x1000_0000 | threadFlag]), Self.marker)
        XCTAssertEqual(result([clone, threadFlag]), EINVAL)
        XCTAssertEqual(result([nr("clone3"), 0, 0]), ENOSYS)
        XCTAssertEqual(result([nr("getpid")]), 0)
        XCTAssertEqual(result([socket, 2, 1, 0]), 0)
        // clone3 → ENOSYS makes libc fall back to clone: threads and processes still work.
        for key in ["read", "thread", "subprocess", "tcp", "udp6", "unix"] {
            XCTAssertEqual(outcome.sanity[key] as? Bool, true, "\(key): \(outcome.sanity[key] ?? "missing")")
        }
    }

    /// The default `on_deny`: EPERM, for calls that would succeed (or fail otherwise) without the
    /// filter, run as the invoking user (no user namespace).
    func testRefusalsGetEPERMAndAllowedCallsWork() throws {
        let rules = try SeccompCompiler.ruleSet(for: SyscallPolicy(), profileDirectory: nil)
        let program = try SeccompCompiler.compile(rules, notify: false)
        let probes: [[UInt64]] = [
            [nr("mount"), 0, 0, 0, 0, 0],  // EFAULT without the filter
            [nr("unshare"), 0x1000_0000],  // would succeed
            [nr("socket"), 17, 3, 0],  // AF_PACKET: would succeed as root
            [nr("ioctl"), Self.minusOne, 0x1_0000_5412, 0],  // TIOCSTI with a high bit: EBADF without
            [nr("personality"), 0x0040000],  // ADDR_NO_RANDOMIZE: would succeed
            [nr("personality"), 0xffff_ffff],
            [nr("getpid")],
            [nr("clone3"), 0, 0],
        ]
        let withFilter = try helper.probe(program, probes)
        XCTAssertEqual(withFilter.errnos, [EPERM, EPERM, EPERM, EPERM, EPERM, 0, 0, ENOSYS])
    }

    func testOtherArchitecturesKillTheProcess() throws {
        let program = try SeccompCompiler.compile(try SeccompCompiler.ruleSet(for: SyscallPolicy(baseline: "none"), profileDirectory: nil),
                                                  notify: false)
        // Unfiltered: x32 is not configured in this kernel (ENOSYS), int 0x80 works if IA32
        // emulation is on.
        guard case .exited(0, let x32Text) = try helper.foreign(nil, "x32") else { return XCTFail("x32 probe failed unfiltered") }
        XCTAssertTrue(x32Text.contains("returned -1"), x32Text)
        XCTAssertEqual(try helper.foreign(program, "x32"), .signaled(SIGSYS))

        guard case .exited(0, let int80Text) = try helper.foreign(nil, "int80"), !int80Text.contains("returned -1") else {
            throw XCTSkip("32-bit syscalls (int 0x80) are not available on this kernel")
        }
        XCTAssertEqual(try helper.foreign(program, "int80"), .signaled(SIGSYS))
    }

    /// Under user notification with no listener (a dead supervisor), refused calls fail with
    /// ENOSYS: closed, not open.
    func testNotifiedRefusalsFailClosedWithoutSupervisor() throws {
        let rules = try SeccompCompiler.ruleSet(for: SyscallPolicy(), profileDirectory: nil)
        let probes: [[UInt64]] = [[nr("mount"), 0, 0, 0, 0, 0], [nr("socket"), 17, 3, 0], [nr("getpid")], [nr("clone3"), 0, 0],
                                  [nr("socket"), 2, 1, 0]]
        let outcome = try helper.probe(try SeccompCompiler.compile(rules, notify: true), probes)
        XCTAssertEqual(outcome.errnos, [ENOSYS, ENOSYS, 0, ENOSYS, 0])
    }

    /// Watches refer calls to the supervisor (ENOSYS here: no listener) only under
    /// notification and only for the arguments they name; `evaluate` ignores them, and a
    /// refusing rule still decides when the supervisor applies the rules.
    func testWatchesAreNotifiedOnlyForTheirArguments() throws {
        var rules = try SeccompCompiler.ruleSet(for: SyscallPolicy(), profileDirectory: nil)
        rules.watches = [SyscallRule(syscall: "getppid", conditions: [.masked(0, 0o1, 0o1)], action: .watch, origin: "w"),
                         SyscallRule(syscall: "mount", action: .watch, origin: "w")]
        XCTAssertEqual(rules.evaluate(syscall: "getppid", arguments: [1]), .allowed)
        XCTAssertTrue(rules.isWatched(syscall: "getppid", arguments: [1]))
        XCTAssertFalse(rules.isWatched(syscall: "getppid", arguments: [2]))
        if case .denied = rules.evaluate(syscall: "mount", arguments: []) {} else { XCTFail("mount must stay refused") }
        let probes: [[UInt64]] = [[nr("getppid"), 1], [nr("getppid"), 2], [nr("getpid")]]
        let watched = try helper.probe(try SeccompCompiler.compile(rules, notify: true), probes)
        XCTAssertEqual(watched.errnos, [ENOSYS, 0, 0])
        let unwatched = try helper.probe(try SeccompCompiler.compile(rules, notify: false), probes)
        XCTAssertEqual(unwatched.errnos, [0, 0, 0])
    }

    func testDockerBaselineOnTheKernel() throws {
        let rules = try SeccompCompiler.ruleSet(for: SyscallPolicy(baseline: "docker", onDeny: .errno("ENETUNREACH")),
                                                profileDirectory: nil)
        let socket = nr("socket"), ioctl = nr("ioctl"), personality = nr("personality")
        var probes: [[UInt64]] = [
            [nr("mount"), 0, 0, 0, 0, 0], [nr("unshare"), 0x1000_0000], [nr("chroot"), 0], [nr("io_uring_setup"), 0, 0],
            [nr("getpid")], [nr("ptrace"), Self.minusOne, 0, 0, 0], [nr("clone3"), 0, 0], [nr("clone"), 0x1001_0000],
            [ioctl, Self.minusOne, 0x5412, 0], [ioctl, Self.minusOne, 0x5401, 0],
            [personality, 0x40000], [personality, 0xffff_ffff],
        ]
        // Docker's socket rules: family < 38, == 39, > 40 (AF_ALG and AF_VSOCK refused).
        for family: UInt64 in [0, 1, 2, 17, 37, 38, 39, 40, 41, 0x1_0000_0026] { probes.append([socket, family, 0xdead, 0]) }
        let outcome = try checkAgainstEvaluate(rules, probes, sanity: true)
        XCTAssertEqual(outcome.errnos[0], Self.marker)
        XCTAssertEqual(outcome.errnos[8], Self.marker, "TIOCSTI is refused whatever the baseline")
        for key in ["read", "thread", "subprocess", "tcp", "udp6", "unix"] {
            XCTAssertEqual(outcome.sanity[key] as? Bool, true, "\(key): \(outcome.sanity[key] ?? "missing")")
        }
    }

    /// Docker's default profile as JSON, imported: enforced like the built-in baseline.
    func testImportedDockerJSONIsEnforced() throws {
        let path = helper.directory.appendingPathComponent("docker.json")
        try DockerProfileTests.json(Baselines.docker).write(to: path, atomically: true, encoding: .utf8)
        var policy = SyscallPolicy(onDeny: .errno("ENETUNREACH"))
        policy.importPath = path.path
        let rules = try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil)
        let probes: [[UInt64]] = [[nr("mount"), 0, 0, 0, 0, 0], [nr("keyctl"), 0, 0], [nr("getpid")], [nr("clone3"), 0, 0],
                                  [nr("socket"), 40, 1, 0], [nr("socket"), 2, 1, 0]]
        let outcome = try checkAgainstEvaluate(rules, probes, sanity: true)
        XCTAssertEqual(outcome.errnos, [Self.marker, Self.marker, 0, ENOSYS, Self.marker, 0])
        XCTAssertEqual(outcome.sanity["subprocess"] as? Bool, true)
    }

    /// `evaluate` against the kernel for random rule sets: every operator, 64-bit values around
    /// the 32-bit boundary, overlapping rules with different actions, both default actions.
    func testEvaluateAgreesWithTheKernelOnRandomRules() throws {
        var generator = SplitMix64(seed: 0x1b1e_5eed)
        let syscalls = ["getppid", "getpgrp", "getegid"]
        let interesting: [UInt64] = [0, 1, 2, 5, 0x7f, 0xff, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff,
                                     0x1_0000_0000, 0x1_0000_0005, 0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, .max]
        let silentErrnos: [Int32] = [EACCES, EBUSY, EEXIST, EXDEV, ENODEV]
        func pick<T>(_ items: [T]) -> T { items[Int(generator.next() % UInt64(items.count))] }
        func randomValue() -> UInt64 {
            switch generator.next() % 4 {
            case 0: return generator.next()
            case 1: return generator.next() & 0xffff
            default: return pick(interesting)
            }
        }
        for round in 0..<24 {
            var rules: [SyscallRule] = []
            var values = interesting
            for name in syscalls {
                for _ in 0..<(1 + Int(generator.next() % 6)) {
                    var indices = Array(0..<6)
                    var conditions: [ArgumentCondition] = []
                    for _ in 0..<Int(generator.next() % 4) {
                        // Mostly distinct arguments; sometimes one compared twice (a range).
                        let index = generator.next() % 4 == 0 ? Int(generator.next() % 6)
                            : indices.remove(at: Int(generator.next() % UInt64(indices.count)))
                        let value = randomValue()
                        values += [value, value &+ 1, value &- 1]
                        let op: ArgumentCondition.Operator
                        switch generator.next() % 7 {
                        case 0: op = .equal
                        case 1: op = .notEqual
                        case 2: op = .less
                        case 3: op = .lessOrEqual
                        case 4: op = .greater
                        case 5: op = .greaterOrEqual
                        default:
                            let mask = pick([0xffff_ffff, 0xf, 0x1000_0000, 0xffff_ffff_0000_0000, randomValue()])
                            values.append(value & mask)
                            op = .maskedEqual(mask: mask)
                        }
                        conditions.append(ArgumentCondition(index: index, op: op, value: value))
                    }
                    let action: RuleAction = pick([.allow, .deny, .errnoSilently(pick(silentErrnos))])
                    rules.append(SyscallRule(syscall: name, conditions: conditions, action: action, origin: "random"))
                }
            }
            // The default action must stay "allow" (python itself runs under the filter): half
            // the rounds end each syscall's rules with an unconditional refusal instead.
            if round % 2 == 1 {
                rules += syscalls.map { SyscallRule(syscall: $0, action: .deny, origin: "fallback") }
            }
            let ruleSet = SyscallRuleSet(rules: rules, defaultAction: .allow, defaultOrigin: "random",
                                         onDeny: .errno("ENETUNREACH"))
            var probes: [[UInt64]] = []
            for name in syscalls {
                for _ in 0..<120 {
                    probes.append([nr(name)] + (0..<6).map { _ in generator.next() % 3 == 0 ? 0 : pick(values) })
                }
            }
            try checkAgainstEvaluate(ruleSet, probes, allowedResult: 0, userNamespace: false)
            if testRun?.failureCount ?? 0 > 0 {
                print("round \(round) rules:\n" + rules.map { "  \($0)" }.joined(separator: "\n"))
                break
            }
        }
    }
}

/// A small deterministic generator for reproducible random tests.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
