import Foundation
import XCTest
@testable import InterlockProfile

/// A fresh directory under the system temporary directory, removed by `remove()`.
final class TemporaryDirectory {
    let path: String

    init() throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("interlock-profile-tests-" + UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        // Resolve symlinks (macOS /var → /private/var) so paths compare equal to what the loader reports.
        path = url.resolvingSymlinksInPath().path
    }

    /// Writes `text` to `relativePath` (creating directories) and returns the absolute path.
    @discardableResult
    func write(_ relativePath: String, _ text: String) throws -> String {
        let full = path + "/" + relativePath
        let directory = (full as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    func makeDirectory(_ relativePath: String) throws -> String {
        let full = path + "/" + relativePath
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

extension XCTestCase {
    /// Runs `body`, expecting a `ProfileError`, and returns it.
    func profileError(_ body: () throws(ProfileError) -> Policy,
                      file: StaticString = #filePath, line: UInt = #line) -> ProfileError? {
        do {
            let policy = try body()
            XCTFail("expected an error, loaded \(policy)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }
}
