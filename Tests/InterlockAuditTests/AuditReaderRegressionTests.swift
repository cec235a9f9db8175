import Foundation
import XCTest
@testable import InterlockAudit

/// Inputs the audit-log fuzzer (Fuzz/, FuzzAuditReader) found crashing the reader, kept as
/// regression tests; plus every committed seed and regression input, replayed.
final class AuditReaderRegressionTests: XCTestCase {
    /// -1.5e308 was converted with Int64(Double), which traps out of range: `interlock audit
    /// show` crashed on a corrupted (or hostile) log instead of reporting the bad line.
    func testNumbersOutsideInt64AreNotRecordsNotCrashes() {
        for text in ["-1.5e308", "1e19", "9.3e18", "1e400", "-1e400"] {
            XCTAssertNil(AuditRecord.readJSON(line: "{\"n\": \(text)}"), text)
        }
        XCTAssertEqual(AuditRecord.readJSON(line: "{\"n\": 2.0e3}")?["n"]?.intValue, 2000)
        XCTAssertEqual(AuditRecord.readJSON(line: "{\"n\": -9.2e18}")?["n"]?.intValue, -9_200_000_000_000_000_000)
    }

    func testFuzzCorpusAndRegressionsReadOrFailCleanly() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var seen = 0
        for folder in ["Fuzz/corpus/audit", "Fuzz/regressions/audit"] {
            let url = root.appendingPathComponent(folder)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] {
                let run = try? AuditRun.load(path: url.appendingPathComponent(name).path)
                _ = (run?.start, run?.exit, run?.exitCode, run?.refusalCounts)
                seen += 1
            }
        }
        XCTAssertGreaterThan(seen, 1, "no committed fuzz inputs found")
    }
}
