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

    /// Every generated file (profiles, data, agent profiles, rule packs, secret rules) is what
    /// `profiles/embed.sh` writes today, byte for byte: `--check` regenerates into a scratch directory.
    func testGeneratedFilesAreCurrent() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [repositoryRoot.appendingPathComponent("profiles/embed.sh").path, "--check"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, message)
    }

    func testBuiltinsParseAndAreCommented() throws {
        for (name, text) in BuiltinProfiles.all {
            XCTAssertNoThrow(try ProfileLoader.validate(text: text, file: "builtin:" + name), name)
            XCTAssertTrue(text.hasPrefix("# Interlock built-in profile \"\(name)\""), name)
        }
    }
}
