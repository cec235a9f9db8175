import Foundation
import XCTest
@testable import InterlockProfile

/// The built-in profiles are compiled in from `profiles/*.toml` by `profiles/embed.sh`; these
/// tests fail when the two drift apart.
final class BuiltinProfilesTests: XCTestCase {
    /// Tests/InterlockProfileTests/ThisFile.swift → the repository root.
    private var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func testEmbeddedTextEqualsProfileFiles() throws {
        let directory = repositoryRoot.appendingPathComponent("profiles")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".toml") }
        let names = files.map { String($0.dropLast(".toml".count)) }.sorted()
        XCTAssertEqual(names, BuiltinProfiles.names, "run profiles/embed.sh")
        XCTAssertFalse(names.isEmpty)
        for name in names {
            let onDisk = try String(contentsOf: directory.appendingPathComponent(name + ".toml"), encoding: .utf8)
            XCTAssertEqual(BuiltinProfiles.all[name], onDisk, "profiles/\(name).toml differs from the embedded text; run profiles/embed.sh")
        }
    }

    func testEmbedScriptExists() {
        let script = repositoryRoot.appendingPathComponent("profiles/embed.sh").path
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: script), script)
    }

    func testBuiltinsParseAndAreCommented() throws {
        for (name, text) in BuiltinProfiles.all {
            XCTAssertNoThrow(try ProfileLoader.validate(text: text, file: "builtin:" + name), name)
            XCTAssertTrue(text.hasPrefix("# Interlock built-in profile \"\(name)\""), name)
        }
    }
}
