import Foundation
import XCTest
import Glibc
@testable import InterlockSecrets
@testable import InterlockProfile

/// A fresh directory under the system temporary directory (real path), removed by `remove()`.
final class Fixture {
    let path: String

    init(_ label: String = "fixture") throws {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("interlock-secrets-\(label)-" + UUID().uuidString, isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        path = realpath(url.path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? url.path
    }

    func absolute(_ relative: String) -> String { relative.isEmpty ? path : path + "/" + relative }

    /// Writes `text` at `relative` (creating directories) and returns the absolute path.
    @discardableResult
    func write(_ relative: String, _ text: String, mode: Int = 0o644) throws -> String {
        let full = absolute(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: false, encoding: .utf8)
        chmod(full, mode_t(mode))
        return full
    }

    /// Appends without replacing the file (same inode).
    func append(_ relative: String, _ text: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: absolute(relative)))
        handle.seekToEndOfFile()
        handle.write(text.data(using: .utf8)!)
        try handle.close()
    }

    @discardableResult
    func makeDirectory(_ relative: String) throws -> String {
        let full = absolute(relative)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }

    func symlink(_ relative: String, to target: String) throws {
        let full = absolute(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        XCTAssertEqual(Glibc.symlink(target, full), 0, "symlink \(full)")
    }

    /// A listening Unix socket bound at `relative` (closed again: the socket file stays).
    @discardableResult
    func socket(_ relative: String) throws -> String {
        let full = absolute(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(full.utf8)
        precondition(bytes.count < MemoryLayout.size(ofValue: address.sun_path))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
            raw[bytes.count] = 0
        }
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        XCTAssertEqual(status, 0, "bind \(full): \(String(cString: strerror(errno)))")
        return full
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Tokens assembled at run time, so that this source file does not itself look like a secret
/// to scanners (ours included).
enum Samples {
    static func repeated(_ alphabet: String, _ count: Int, seed: Int = 7) -> String {
        let chars = Array(alphabet)
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        var out = ""
        for _ in 0..<count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            out.append(chars[Int((state >> 33) % UInt64(chars.count))])
        }
        return out
    }

    static let alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    static let upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    static let urlSafe = alnum + "_-"

    static var aws: String { "AK" + "IA" + repeated(upperDigits, 16) }
    static var github: String { "gh" + "p_" + repeated(alnum, 36) }
    static var githubPAT: String { "github" + "_pat_" + repeated(alnum + "_", 82) }
    static var gitlab: String { "gl" + "pat-" + repeated(urlSafe, 20) }
    static var slack: String { "xo" + "xb-" + "123456789012-1234567890123-" + repeated(alnum, 24) }
    static var stripe: String { "sk" + "_live_" + repeated(alnum, 24) }
    static var openai: String { "sk" + "-proj-" + repeated(urlSafe, 48, seed: 3) }
    static var anthropic: String { "sk" + "-ant-api03-" + repeated(urlSafe, 93, seed: 5) + "AA" }
    static var google: String { "AI" + "za" + repeated(urlSafe, 35) }
    static var pemHeader: String { "-----BEGIN " + "RSA PRIVATE KEY-----" }
    static var pem: String { pemHeader + "\n" + repeated(alnum, 64) + "\n-----END RSA PRIVATE KEY-----\n" }
    static var openSSH: String {
        "-----BEGIN " + "OPENSSH PRIVATE KEY-----\n" + repeated(alnum, 70) + "\n-----END OPENSSH PRIVATE KEY-----\n"
    }
    static var serviceAccount: String {
        let type = "\"service" + "_account\""
        let key = "\"private" + "_key\""
        return """
        {
          "type": \(type),
          "project_id": "demo-project",
          "private_key_id": "\(repeated("0123456789abcdef", 40))",
          \(key): "\("-----BEGIN " + "PRIVATE KEY-----")\\n\(repeated(alnum, 64))\\n-----END PRIVATE KEY-----\\n",
          "client_email": "deployer@demo-project.iam.gserviceaccount.com"
        }

        """
    }
    /// A random-looking value for NAME_TOKEN= assignments.
    static var randomValue: String { repeated(alnum, 32, seed: 11) }
}

extension XCTestCase {
    /// Scan with a fresh, test-local policy.
    func scan(home: String, workspace: String, environment: [String] = [], allowFiles: [String] = [],
              allowEnv: [String] = [], discover: Bool = true, cache: String? = nil,
              racyWindow: Int64 = 1_000_000_000) -> SecretsReport {
        SecretsScanner.scan(home: home, workspace: workspace, environment: environment,
                            policy: SecretsPolicy(discover: discover, allowFiles: allowFiles, allowEnv: allowEnv),
                            cacheDirectory: cache, rules: .builtin, racyWindowNanoseconds: racyWindow)
    }
}
