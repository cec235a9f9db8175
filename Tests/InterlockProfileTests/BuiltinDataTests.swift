import Foundation
import XCTest
@testable import InterlockProfile

final class BuiltinDataTests: XCTestCase {
    /// The embedded data is exactly profiles/data/*.toml (run profiles/embed.sh after editing).
    func testEmbeddedDataMatchesFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("profiles/data")
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".toml") }
        XCTAssertFalse(files.isEmpty)
        XCTAssertEqual(Set(files.map { String($0.dropLast(5)) }), Set(BuiltinData.files.keys))
        for file in files {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(BuiltinData.files[String(file.dropLast(5))], text, "\(file) differs: run profiles/embed.sh")
        }
    }

    func testProtectedListParses() throws {
        let table = try TOML.parse(BuiltinData.files["protected"] ?? "", file: "protected")
        let entries = table["protect"]?.array ?? []
        XCTAssertGreaterThan(entries.count, 20)
        for entry in entries {
            XCTAssertNotNil(entry.table?["path"]?.string)
            XCTAssertFalse(entry.table?["reason"]?.string?.isEmpty ?? true)
        }
    }
}
