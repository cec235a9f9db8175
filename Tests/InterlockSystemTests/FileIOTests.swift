import Foundation
import Glibc
import InterlockSystem
import SystemPackage
import XCTest

final class FileIOTests: XCTestCase {
    private var directory = ""

    override func setUpWithError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("interlock-system-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        directory = FileIO.realPath(url.path) ?? url.path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func make(_ name: String, _ text: String) -> String {
        let path = directory + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(text.utf8)))
        return path
    }

    func testRealPathResolvesLinksAndDots() throws {
        let target = make("target", "x")
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: false)
        XCTAssertEqual(symlink(target, directory + "/link"), 0)
        XCTAssertEqual(FileIO.realPath(directory + "/link"), target)
        XCTAssertEqual(FileIO.realPath(directory + "/sub/../sub/./../target"), target)
        XCTAssertNil(FileIO.realPath(directory + "/missing"))
    }

    func testReadRegularFileHonoursTheLimit() throws {
        let path = make("ten", "0123456789")
        XCTAssertEqual(FileIO.readRegularFile(path, limit: 10), Array("0123456789".utf8))
        XCTAssertNil(FileIO.readRegularFile(path, limit: 9))
        XCTAssertEqual(FileIO.readRegularFile(make("empty", ""), limit: 0), [])
        XCTAssertNil(FileIO.readRegularFile(directory, limit: 1 << 20), "a directory is not a regular file")
        XCTAssertEqual(mkfifo(directory + "/fifo", 0o600), 0)
        XCTAssertNil(FileIO.readRegularFile(directory + "/fifo", limit: 1 << 20), "a FIFO is neither read nor waited on")
        XCTAssertNil(FileIO.readRegularFile(directory + "/missing", limit: 1 << 20))
    }

    func testReadFileThrowsPastTheLimitAndWhenMissing() throws {
        let path = make("big", String(repeating: "a", count: 100_000))
        XCTAssertEqual(try FileIO.readFile(path, limit: 100_000).count, 100_000)
        XCTAssertThrowsError(try FileIO.readFile(path, limit: 99_999)) { error in
            XCTAssertEqual((error as? SystemCallError)?.errno, .fileTooLarge)
        }
        XCTAssertThrowsError(try FileIO.readFile(directory + "/missing", limit: 10)) { error in
            XCTAssertEqual((error as? SystemCallError)?.errno, .noSuchFileOrDirectory)
            XCTAssertEqual((error as? SystemCallError)?.call, "open \(directory)/missing")
        }
        XCTAssertThrowsError(try FileIO.readFile(directory, limit: 10)) { error in
            XCTAssertEqual((error as? SystemCallError)?.errno, .isDirectory)
        }
    }

    func testReadAndWriteText() throws {
        let path = make("control", "")
        try FileIO.write(path, "max 100\n")
        XCTAssertEqual(FileIO.read(path), "max 100\n")
        XCTAssertNil(FileIO.read(directory + "/missing"))
        XCTAssertThrowsError(try FileIO.write(directory + "/missing", "x")) { error in
            XCTAssertEqual((error as? SystemCallError)?.call, "open \(directory)/missing")
        }
        XCTAssertFalse(FileIO.read("/proc/self/stat")?.isEmpty ?? true)
    }

    func testReadToEndAndReadFullyOnAPipe() throws {
        var ends: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&ends), 0)
        defer { close(ends[0]) }
        let bytes = Array("hello, pipe".utf8)
        XCTAssertTrue(bytes.withUnsafeBytes { FileIO.writeAll(ends[1], $0) })
        var first = [UInt8](repeating: 0, count: 5)
        let count = first.withUnsafeMutableBytes { FileIO.readFully(ends[0], $0.baseAddress!, $0.count) }
        XCTAssertEqual(count, 5)
        XCTAssertEqual(first, Array("hello".utf8))
        close(ends[1])
        XCTAssertEqual(FileIO.readToEnd(ends[0], chunk: 4), Array(", pipe".utf8))
        XCTAssertEqual(FileIO.readToEnd(-1), [], "an error ends the read with what was read")
    }

    /// More than a pipe holds, through a non-blocking write end: writeAll waits for the reader
    /// instead of failing with EAGAIN.
    func testWriteAllWaitsOnAFullNonBlockingPipe() throws {
        var ends: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&ends), 0)
        for end in ends { XCTAssertEqual(fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK), 0) }
        let readEnd = ends[0]
        let flags = fcntl(readEnd, F_GETFL)
        XCTAssertEqual(fcntl(readEnd, F_SETFL, flags & ~O_NONBLOCK), 0)
        let payload = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let received = LockedBytes()
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            received.set(FileIO.readToEnd(readEnd))
            done.signal()
        }
        XCTAssertTrue(payload.withUnsafeBytes { FileIO.writeAll(ends[1], $0) })
        close(ends[1])
        done.wait()
        close(readEnd)
        XCTAssertEqual(received.get(), payload)
        XCTAssertFalse([UInt8(1)].withUnsafeBytes { FileIO.writeAll(-1, $0) })
    }
}

private final class LockedBytes: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    func set(_ value: [UInt8]) { lock.withLock { bytes = value } }
    func get() -> [UInt8] { lock.withLock { bytes } }
}
