import XCTest
@testable import InterlockSeccomp
import InterlockProfile

final class SeccompCompilerTests: XCTestCase {
    func testUnknownSyscallIsRejected() {
        var policy = SyscallPolicy()
        policy.deny = ["definitely_not_a_syscall"]
        XCTAssertThrowsError(try SeccompCompiler.compile(policy)) { error in
            XCTAssertEqual("\(error)", "syscalls.deny: unknown syscall 'definitely_not_a_syscall'")
        }
    }

    func testUnknownSyscallNamesEveryKeyWithFileAndLine() {
        var policy = SyscallPolicy(allow: ["mout"])
        policy.locations.allow["mout"] = SourceLocation(file: ".interlock.toml", line: 4)
        XCTAssertThrowsError(try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil)) { error in
            XCTAssertEqual("\(error)", ".interlock.toml:4: syscalls.allow: unknown syscall 'mout'")
        }
        policy = SyscallPolicy(rules: [SyscallRuleEntry(syscall: "sockett")])
        XCTAssertThrowsError(try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil)) { error in
            XCTAssertEqual("\(error)", "syscalls.rules[0].syscall: unknown syscall 'sockett'")
        }
        policy.locations.rules = [SourceLocation(file: "p.toml", line: 9)]
        XCTAssertThrowsError(try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil)) { error in
            XCTAssertEqual("\(error)", "p.toml:9: syscalls.rules[0].syscall: unknown syscall 'sockett'")
        }
    }

    func testSyscallsOfOtherArchitecturesAreValidNames() throws {
        // chown32 and socketcall exist on 32-bit x86 only: accepted, nothing to filter here.
        let policy = SyscallPolicy(deny: ["chown32", "socketcall"])
        let rules = try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil)
        XCTAssertNoThrow(try SeccompCompiler.compile(rules, notify: false))
        XCTAssertNil(SeccompCompiler.syscallNumber("chown32"))
    }

    func testSyscallNamesAndNumbers() throws {
        try XCTSkipUnless(SyscallTable.isX86_64, "x86-64 numbers")
        XCTAssertEqual(SeccompCompiler.syscallNumber("read"), 0)
        XCTAssertEqual(SeccompCompiler.syscallNumber("mount"), 165)
        XCTAssertEqual(SeccompCompiler.syscallName(165), "mount")
        // Newer than libseccomp 2.5.4's table.
        XCTAssertEqual(SeccompCompiler.syscallNumber("open_tree_attr"), 467)
        XCTAssertEqual(SeccompCompiler.syscallName(467), "open_tree_attr")
        XCTAssertNil(SeccompCompiler.syscallNumber("mout"))
        XCTAssertNil(SeccompCompiler.syscallName(100_000))
    }

    func testUnknownErrnoIsRejected() {
        let policy = SyscallPolicy(onDeny: .errno("EWHATEVER"))
        XCTAssertThrowsError(try SeccompCompiler.compile(policy)) { error in
            XCTAssertEqual("\(error)", "syscalls.on_deny: unknown errno name 'EWHATEVER'")
        }
    }

    func testCompiledProgramIsWholeInstructions() throws {
        let program = try SeccompCompiler.compile(SyscallPolicy())
        XCTAssertGreaterThan(program.instructionCount, 4)
        XCTAssertEqual(program.bytes.count % 8, 0)
    }

    func testEveryBaselineCompilesWithAndWithoutNotification() throws {
        for baseline in SyscallPolicy.baselines {
            for onDeny in [SyscallPolicy.OnDeny.errno("EPERM"), .errno("ENOSYS"), .kill] {
                let policy = SyscallPolicy(baseline: baseline, onDeny: onDeny)
                let rules = try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil)
                for notify in [false, true] {
                    let program = try SeccompCompiler.compile(rules, notify: notify)
                    XCTAssertEqual(program.bytes.count % 8, 0)
                    XCTAssertGreaterThan(program.instructionCount, 4, "\(baseline) notify=\(notify)")
                    XCTAssertLessThanOrEqual(program.instructionCount, SeccompCompiler.maximumInstructions)
                    XCTAssertTrue(BPF.returnsOnlyKnownActions(program), "\(baseline) notify=\(notify)")
                    XCTAssertEqual(BPF.returns(program, notifyAction), notify, "\(baseline) \(onDeny) notify=\(notify)")
                }
            }
        }
    }

    /// Argument blocks are reached by forward jumps, and the program ends with a return.
    func testArgumentBlocksAreLinkedByInRangeJumps() throws {
        let rules = try SeccompCompiler.ruleSet(for: SyscallPolicy(), profileDirectory: nil)
        let program = try SeccompCompiler.compile(rules, notify: false)
        let instructions = BPF.decode(program)
        var jumps = 0
        for (i, instruction) in instructions.enumerated() where instruction.code == 0x05 {
            jumps += 1
            XCTAssertLessThan(i + 1 + Int(instruction.k), instructions.count)
        }
        XCTAssertGreaterThan(jumps, 0, "expected argument blocks (ioctl, socket, clone, personality)")
        XCTAssertEqual(instructions.last?.code, 0x06)
        XCTAssertFalse(instructions.contains { $0.code == 0x06 && $0.k & 0xffff_0000 == 0x7ff0_0000 }, "a marker was left")
    }

    func testEmptyRuleSets() throws {
        for action in [RuleAction.allow, .deny, .errnoSilently(ENOSYS)] {
            let program = try SeccompCompiler.compile(SyscallRuleSet(rules: [], defaultAction: action), notify: false)
            XCTAssertEqual(BPF.decode(program).last?.code, 0x06)
        }
    }

    func testSendmsgIsNeverNotified() throws {
        // An allow-list import that does not list sendmsg: the launcher's hand-off of the
        // listener must not wait for the supervisor.
        let rules = SyscallRuleSet(rules: [SyscallRule(syscall: "read", action: .allow, origin: "t")],
                                   defaultAction: .deny, defaultOrigin: "t")
        let program = try SeccompCompiler.compile(rules, notify: true)
        XCTAssertTrue(BPF.returns(program, notifyAction))
        XCTAssertTrue(BPF.returns(program, SeccompCompiler.actionErrno(EPERM)))
    }

    func testRulesWithDifferentActionsOnOneSyscall() throws {
        // deny, allow, errno, deny, and a rule after the unconditional one that never decides.
        let rules = SyscallRuleSet(rules: [
            SyscallRule(syscall: "getppid", conditions: [.equal(0, 1)], action: .deny, origin: "a"),
            SyscallRule(syscall: "getppid", conditions: [.equal(1, 1)], action: .allow, origin: "b"),
            SyscallRule(syscall: "getppid", conditions: [.equal(2, 1)], action: .errnoSilently(EACCES), origin: "c"),
            SyscallRule(syscall: "getppid", action: .deny, origin: "d"),
            SyscallRule(syscall: "getppid", action: .allow, origin: "never reached"),
        ])
        let program = try SeccompCompiler.compile(rules, notify: false)
        XCTAssertEqual(program.ruleCount, 4)
    }

    func testAnArgumentMayBeComparedTwice() throws {
        // A range: 10 ≤ arg0 ≤ 20.
        let policy = SyscallPolicy(baseline: "none", rules: [SyscallRuleEntry(syscall: "getppid", args: [
            .init(index: 0, op: .greaterOrEqual, value: 10), .init(index: 0, op: .lessOrEqual, value: 20),
        ])])
        let rules = try SeccompCompiler.ruleSet(for: policy, profileDirectory: nil)
        XCTAssertEqual(rules.evaluate(syscall: "getppid", arguments: [9]), .allowed)
        XCTAssertEqual(rules.evaluate(syscall: "getppid", arguments: [21]), .allowed)
        guard case .denied(let rule) = rules.evaluate(syscall: "getppid", arguments: [15]) else { return XCTFail() }
        XCTAssertEqual(rule.origin, "syscalls.rules[0]")
        XCTAssertNoThrow(try SeccompCompiler.compile(rules, notify: false))
    }

    private let notifyAction: UInt32 = 0x7fc0_0000
}

/// Reading compiled programs.
enum BPF {
    struct Instruction {
        var code: UInt16
        var jt: UInt8
        var jf: UInt8
        var k: UInt32
    }

    static func decode(_ program: SeccompProgram) -> [Instruction] {
        stride(from: 0, to: program.bytes.count, by: 8).map { base in
            let b = program.bytes
            return Instruction(code: UInt16(b[base]) | UInt16(b[base + 1]) << 8, jt: b[base + 2], jf: b[base + 3],
                               k: UInt32(b[base + 4]) | UInt32(b[base + 5]) << 8 | UInt32(b[base + 6]) << 16 | UInt32(b[base + 7]) << 24)
        }
    }

    static func returns(_ program: SeccompProgram, _ action: UInt32) -> Bool {
        decode(program).contains { $0.code == 0x06 && $0.k == action }
    }

    /// allow, errno, kill-process, notify.
    static func returnsOnlyKnownActions(_ program: SeccompProgram) -> Bool {
        decode(program).filter { $0.code == 0x06 }.allSatisfy { instruction in
            let action = instruction.k & 0xffff_0000
            return [0x7fff_0000, 0x0005_0000, 0x8000_0000, 0x7fc0_0000].contains(action)
        }
    }
}
