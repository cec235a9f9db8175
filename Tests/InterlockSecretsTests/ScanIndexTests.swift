import XCTest
@testable import InterlockSecrets

/// The scan index's wire format and mountinfo parsing; the keeper itself runs for real in
/// Tests/integration/test_secrets.py (inotify, a detached process, a killed keeper).
final class ScanIndexTests: XCTestCase {
    func testAnswerRoundTripsAnyFileName() throws {
        var result = WorkspaceScanner.Result()
        result.filesVisited = 12
        result.directoriesVisited = 3
        result.findings = [
            .init(relativePath: "a b/line\nbreak\t.env", isSymlink: false, rule: "workspace: .env file", ruleID: "dotenv"),
            .init(relativePath: "ü/id_rsa", isSymlink: true, rule: "workspace: ssh key", ruleID: "ssh-key"),
        ]
        result.warnings = ["x: not scanned: Permission denied"]
        guard case .result(let decoded)? = ScanIndex.decode(ScanIndex.encode(result)) else { return XCTFail("not decoded") }
        XCTAssertEqual(decoded.filesVisited, 12)
        XCTAssertEqual(decoded.directoriesVisited, 3)
        XCTAssertEqual(decoded.findings.map(\.relativePath), result.findings.map(\.relativePath))
        XCTAssertEqual(decoded.findings.map(\.isSymlink), [false, true])
        XCTAssertEqual(decoded.findings.map(\.ruleID), ["dotenv", "ssh-key"])
        XCTAssertEqual(decoded.warnings, result.warnings)
    }

    func testTruncatedOrMalformedAnswersAreRejected() {
        var result = WorkspaceScanner.Result()
        result.findings = [.init(relativePath: ".env", isSymlink: false, rule: "r", ruleID: "i")]
        let bytes = ScanIndex.encode(result)
        for cut in 0..<bytes.count { XCTAssertNil(ScanIndex.decode(Array(bytes[0..<cut])), "cut at \(cut)") }
        XCTAssertNil(ScanIndex.decode(Array("ok\u{0}1\u{0}1\u{0}5\u{0}0\u{0}".utf8)))  // five findings announced, none sent
        guard case .refused(let reason)? = ScanIndex.decode(ScanIndex.encodeRefusal("inotify queue overflowed")) else {
            return XCTFail("refusal not decoded")
        }
        XCTAssertEqual(reason, "inotify queue overflowed")
    }

    func testMountinfoEscapesAreDecoded() {
        XCTAssertEqual(MountWatch.unescape(ArraySlice(Array(#"/work/my\040project\134x"#.utf8))), "/work/my project\\x")
        XCTAssertEqual(MountWatch.unescape(ArraySlice(Array(#"/trailing\04"#.utf8))), #"/trailing\04"#)
    }
}
