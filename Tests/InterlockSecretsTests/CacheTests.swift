import Foundation
import XCTest
import Glibc
@testable import InterlockSecrets

final class CacheTests: XCTestCase {
    var root: Fixture!
    var workspace: String { root.absolute("ws") }
    var home: String { root.absolute("home") }
    var cache: String { root.absolute("cache/interlock/scan") }

    override func setUpWithError() throws {
        root = try Fixture("cache")
        try root.makeDirectory("home")
        try root.write("ws/clean.sh", "#!/bin/sh\necho hello\n")
        try root.write("ws/src/main.swift", "print(\"hi\")\n")
        try root.write("ws/src/util.swift", "let x = 1\n")
        try root.write("ws/notes.md", "remember: \(Samples.github)\n")
        // Files changed just before a scan are not cached (racily clean): let these age past the
        // window these tests use (the default is a second).
        usleep(250_000)
    }

    func quickScan(cache: String?) -> SecretsReport {
        scan(home: home, workspace: workspace, cache: cache, racyWindow: 200_000_000)
    }

    override func tearDown() { root.remove() }

    func hiddenNames(_ report: SecretsReport) -> [String] { report.hidden.map { Path.name($0.path) } }

    func testRepeatRunReadsNothingAndWritesNothing() throws {
        let first = quickScan(cache: cache)
        XCTAssertFalse(first.scanStats.cacheUsed)
        XCTAssertEqual(first.scanStats.filesContentScanned, 4)
        XCTAssertEqual(hiddenNames(first), ["notes.md"])
        let file = cache + "/" + ScanCache.fileName(workspace: workspace)
        var before = stat()
        XCTAssertEqual(stat(file, &before), 0, "cache file written")
        XCTAssertEqual(before.st_mode & 0o777, 0o600)

        let second = quickScan(cache: cache)
        XCTAssertTrue(second.scanStats.cacheUsed)
        XCTAssertEqual(second.scanStats.cacheHits, 4)
        XCTAssertEqual(second.scanStats.filesContentScanned, 0)
        XCTAssertEqual(second.hidden, first.hidden)
        var after = stat()
        XCTAssertEqual(stat(file, &after), 0)
        XCTAssertEqual(after.st_ino, before.st_ino, "an unchanged tree does not rewrite the cache")

        // The cache holds no names.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        for name in ["clean.sh", "notes.md", "main.swift", "ws"] {
            XCTAssertNil(bytes.range(of: name.data(using: .utf8)!), name)
        }
    }

    func testTokenAddedToACachedCleanFileIsFound() throws {
        _ = quickScan(cache: cache)
        try root.append("ws/clean.sh", "export DEPLOY_KEY=\(Samples.aws)\n")
        let report = quickScan(cache: cache)
        XCTAssertEqual(report.scanStats.cacheHits, 3)
        XCTAssertEqual(report.scanStats.filesContentScanned, 1)
        XCTAssertEqual(Set(hiddenNames(report)), ["notes.md", "clean.sh"])
        XCTAssertEqual(report.hidden.first { $0.path.hasSuffix("clean.sh") }?.rule, "content: AWS access key id")
    }

    /// Same size, same inode: only the timestamps tell.
    func testModifiedFileIsRescannedAndCleanedSecretDisappears() throws {
        _ = quickScan(cache: cache)
        let original = try String(contentsOfFile: root.absolute("ws/notes.md"), encoding: .utf8)
        let cleaned = String(repeating: "x", count: original.utf8.count - 1) + "\n"
        let fd = open(root.absolute("ws/notes.md"), O_WRONLY)
        XCTAssertGreaterThanOrEqual(fd, 0)
        _ = cleaned.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let report = quickScan(cache: cache)
        XCTAssertEqual(report.scanStats.filesContentScanned, 1)
        XCTAssertEqual(hiddenNames(report), [])
    }

    func testNewAndRemovedFiles() throws {
        _ = quickScan(cache: cache)
        try root.write("ws/src/new.py", "OPENAI = '\(Samples.openai)'\n")
        unlink(root.absolute("ws/notes.md"))
        let report = quickScan(cache: cache)
        XCTAssertEqual(hiddenNames(report), ["new.py"])
        XCTAssertEqual(report.scanStats.cacheHits, 3)
        // new.py was written just now: read again next time, until it is older than the window.
        let again = quickScan(cache: cache)
        XCTAssertEqual(again.scanStats.filesContentScanned, 1)
        XCTAssertEqual(hiddenNames(again), ["new.py"])
    }

    func testOtherRulesIgnoreTheCache() throws {
        _ = quickScan(cache: cache)
        let rules = try SecretRuleSet.parse(BuiltinRules.text + "# local change\n", file: "changed.toml")
        let report = SecretsScanner.scan(home: home, workspace: workspace, environment: [],
                                         policy: .init(), cacheDirectory: cache, rules: rules)
        XCTAssertFalse(report.scanStats.cacheUsed)
        XCTAssertEqual(report.scanStats.filesContentScanned, 4)
    }

    func testCorruptCacheIsIgnored() throws {
        _ = quickScan(cache: cache)
        let file = cache + "/" + ScanCache.fileName(workspace: workspace)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: file))
        let report = quickScan(cache: cache)
        XCTAssertFalse(report.scanStats.cacheUsed)
        XCTAssertEqual(hiddenNames(report), ["notes.md"])
        XCTAssertTrue(quickScan(cache: cache).scanStats.cacheUsed)
    }

    /// The sandbox can write the workspace: a cache there could be forged to pass a secret as clean.
    func testCacheInsideTheWorkspaceIsRefused() throws {
        let inside = workspace + "/.cache/interlock"
        let report = quickScan(cache: inside)
        XCTAssertEqual(report.warnings, ["scan cache \(inside) not used: it must be an absolute path outside the workspace"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: inside))
        XCTAssertEqual(hiddenNames(report), ["notes.md"])
    }

    func testCacheWritableByOthersIsIgnored() throws {
        _ = quickScan(cache: cache)
        let file = cache + "/" + ScanCache.fileName(workspace: workspace)
        chmod(file, 0o666)
        XCTAssertFalse(quickScan(cache: cache).scanStats.cacheUsed)
        // Rewritten 0600, and used again.
        XCTAssertTrue(quickScan(cache: cache).scanStats.cacheUsed)
    }
}
