import Foundation
import Glibc
import InterlockSystem
import SystemPackage
import XCTest

final class SystemCallTests: XCTestCase {
    /// A signal that interrupts a blocking read(2) (its handler installed without SA_RESTART)
    /// makes the read fail with EINTR: `retrying` makes it again, and it returns the byte
    /// written later.
    func testRetriesAReadInterruptedByASignal() throws {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0
        sigemptyset(&action.sa_mask)
        var previous = sigaction()
        XCTAssertEqual(sigaction(SIGUSR1, &action, &previous), 0)
        defer { sigaction(SIGUSR1, &previous, nil) }

        var ends: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&ends), 0)
        defer { close(ends[0]); close(ends[1]) }
        let reader = pthread_self()
        let writeEnd = ends[1]
        let done = DispatchSemaphore(value: 0)
        // Signals until well after the read has blocked, then the byte it waits for.
        Thread.detachNewThread {
            for _ in 0..<10 {
                usleep(20_000)
                pthread_kill(reader, SIGUSR1)
            }
            var byte: UInt8 = 42
            _ = write(writeEnd, &byte, 1)
            done.signal()
        }

        var calls = 0
        var byte: UInt8 = 0
        let n = try SystemCall.retrying("read") { () -> Int in
            calls += 1
            return read(ends[0], &byte, 1)
        }
        done.wait()
        XCTAssertEqual(n, 1)
        XCTAssertEqual(byte, 42)
        XCTAssertGreaterThan(calls, 1, "the read was never interrupted")
    }

    func testMapsFailureToErrnoAndCallName() {
        do {
            try SystemCall.retrying("close") { close(-1) }
            XCTFail("close(-1) succeeded")
        } catch {
            XCTAssertEqual(error.call, "close")
            XCTAssertEqual(error.errno, .badFileDescriptor)
            XCTAssertEqual(error.reason, String(cString: strerror(EBADF)))
            XCTAssertEqual(error.description, "close: \(String(cString: strerror(EBADF)))")
        }
    }

    func testNameIsOnlyBuiltOnFailure() throws {
        var built = false
        let result = try SystemCall.retrying({ built = true; return "getpid" }()) { getpid() }
        XCTAssertEqual(result, getpid())
        XCTAssertFalse(built)
    }

    func testWouldBlockIsNilNotAnError() throws {
        var ends: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&ends), 0)
        for end in ends { XCTAssertEqual(fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK), 0) }
        defer { close(ends[0]); close(ends[1]) }
        var byte: UInt8 = 0
        XCTAssertNil(try SystemCall.retryingUnlessWouldBlock("read") { read(ends[0], &byte, 1) })
        byte = 7
        XCTAssertEqual(try SystemCall.retryingUnlessWouldBlock("write") { write(ends[1], &byte, 1) }, 1)
        XCTAssertEqual(try SystemCall.retryingUnlessWouldBlock("read") { read(ends[0], &byte, 1) }, 1)
        close(ends[1])
        XCTAssertEqual(try SystemCall.retryingUnlessWouldBlock("read") { read(ends[0], &byte, 1) }, 0)
        XCTAssertThrowsError(try SystemCall.retryingUnlessWouldBlock("read") { read(-1, &byte, 1) }) { error in
            XCTAssertEqual((error as? SystemCallError)?.errno, .badFileDescriptor)
        }
    }

    func testErrorFromAReturnedCode() {
        let error = SystemCallError("pthread_create", code: EAGAIN)
        XCTAssertEqual(error.errno, .resourceTemporarilyUnavailable)
        XCTAssertEqual(error, SystemCallError("pthread_create", errno: .resourceTemporarilyUnavailable))
    }

    func testDefaultErrnoIsTheCurrentOne() {
        errno = ENOENT
        XCTAssertEqual(SystemCallError("open").errno, .noSuchFileOrDirectory)
    }
}
