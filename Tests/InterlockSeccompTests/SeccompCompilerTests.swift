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

    func testCompiledProgramIsWholeInstructions() throws {
        let program = try SeccompCompiler.compile(SyscallPolicy())
        XCTAssertGreaterThan(program.instructionCount, 4)
        XCTAssertEqual(program.bytes.count % 8, 0)
    }
}
