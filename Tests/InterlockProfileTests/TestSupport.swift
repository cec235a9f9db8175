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

/// A test case with a fresh temporary directory per test, and the loader and error helpers the
/// profile tests share.
class ProfileTestCase: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws {
        dir = try TemporaryDirectory()
    }

    override func tearDown() {
        dir.remove()
    }

    func load(_ path: String, env: String? = nil) throws(ProfileError) -> Policy {
        try ProfileLoader.load(reference: path, searchFrom: dir.path, environment: env)
    }

    /// Writes a profile and returns the error loading it gives, as its one-line description.
    func errorText(_ text: String, name: String = "p.toml", env: String? = nil,
                   file: StaticString = #filePath, line: UInt = #line) throws -> String? {
        let path = try dir.write(name, text)
        return profileError({ () throws(ProfileError) in try load(path, env: env) }, file: file, line: line)?.description
    }
}
