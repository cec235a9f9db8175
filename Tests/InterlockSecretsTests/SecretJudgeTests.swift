import Foundation
import XCTest
import Glibc
import InterlockSystem
@testable import InterlockSecrets
@testable import InterlockProfile

/// The live judge (`SecretJudge`, used by the secrets guard as files are opened) must reach the
/// verdict the start scan reaches, file by file: on the discovery fixture (every home location,
/// every workspace rule, content rules, templates, skipped directories, symlinks), under several
/// grant sets. (An extension: the fixture is DiscoveryTests'.)
extension DiscoveryTests {
    /// Every regular file below the fixture, by real path (what the kernel names an open file by).
    func regularFiles() -> [String] {
        var files: [String] = []
        var stack = [root.path]
        while let directory = stack.popLast() {
            for entry in Posix.list(directory) {
                let path = directory + "/" + entry.name
                guard let info = Posix.lstatInfo(path) else { continue }
                switch Posix.type(of: info) {
                case .directory: stack.append(path)
                case .regular: files.append(FileIO.realPath(path) ?? path)
                default: continue
                }
            }
        }
        return files.sorted()
    }

    /// What the scan says of one file: hidden (itself or a directory above it), granted, or clean.
    func scanVerdict(_ report: SecretsReport, _ path: String) -> String {
        func covers(_ secret: DiscoveredSecret) -> Bool { secret.path == path || (secret.isDirectory && Path.isWithin(path, secret.path)) }
        if report.granted.contains(where: { $0.path == path }) { return "granted" }
        if report.hidden.contains(where: covers) { return "hidden" }
        if report.granted.contains(where: covers) { return "granted" }
        return "clean"
    }

    func judgeVerdict(_ judge: SecretJudge, _ path: String, buffer: UnsafeMutableRawPointer) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "unreadable" }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return "unreadable" }
        switch judge.verdict(path: path, fd: fd, size: Int(info.st_size), buffer: buffer) {
        case .clean: return "clean"
        case .granted: return "granted"
        case .hidden: return "hidden"
        }
    }

    func assertAgreement(allowFiles: [String], allowEnv: [String] = [], file: StaticString = #filePath, line: UInt = #line) {
        let report = scan(home: home, workspace: workspace, environment: environment, allowFiles: allowFiles, allowEnv: allowEnv)
        let judge = SecretJudge(home: home, workspace: workspace, environment: environment,
                                policy: SecretsPolicy(allowFiles: allowFiles, allowEnv: allowEnv))
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: judge.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var counts: [String: Int] = [:]
        for path in regularFiles() {
            let expected = scanVerdict(report, path)
            XCTAssertEqual(judgeVerdict(judge, path, buffer: buffer), expected, "\(path) (grants \(allowFiles))",
                           file: file, line: line)
            counts[expected, default: 0] += 1
        }
        // The fixture exercises all three verdicts, or the comparison proves little.
        XCTAssertGreaterThan(counts["hidden"] ?? 0, 40, file: file, line: line)
        XCTAssertGreaterThan(counts["clean"] ?? 0, 20, file: file, line: line)
        if !allowFiles.isEmpty { XCTAssertGreaterThan(counts["granted"] ?? 0, 0, file: file, line: line) }
    }

    func testJudgeAgreesWithTheScanOnEveryFile() {
        assertAgreement(allowFiles: [])
    }

    func testJudgeAgreesWithTheScanUnderGrants() {
        assertAgreement(allowFiles: [".env.staging"])
        assertAgreement(allowFiles: ["**/*.key", "~/.config/gh", "infra", "~/.ssh/id_ed25519", "~/.aws/config"])
    }

    /// The judge reads content from the scan cache when the file is unchanged, and from the file
    /// once it changed: a token written after the scan is found.
    func testJudgeUsesTheCacheOnlyForUnchangedFiles() throws {
        let cache = root.absolute("cache")
        _ = scan(home: home, workspace: workspace, environment: environment, cache: cache, racyWindow: 0)
        let judge = SecretJudge(home: home, workspace: workspace, environment: environment, policy: SecretsPolicy(),
                                cacheDirectory: cache).loadingCache()
        XCTAssertNotNil(judge.check.cache)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: judge.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        let readme = workspace + "/README.md"
        XCTAssertEqual(judgeVerdict(judge, readme, buffer: buffer), "clean")
        try root.write("home/projects/app/README.md", "# App\ntoken: \(Samples.github)\n")
        XCTAssertEqual(judgeVerdict(judge, readme, buffer: buffer), "hidden")
    }

    /// Paths that appear after start: a CLI login's directory, a new .env file.
    func testLateLocationsAreJudgedByTheirRules() throws {
        let judge = SecretJudge(home: home, workspace: workspace, environment: environment, policy: SecretsPolicy())
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: judge.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        for late in ["home/.config/doctl/late/config.yaml", "home/.supabase/late-token", "home/projects/app/.env.local",
                     "home/projects/app/sub/dir/.env.production", "home/.ssh/new/id_ecdsa"] {
            try root.write(late, "x\n")
            XCTAssertEqual(judgeVerdict(judge, root.absolute(late), buffer: buffer), "hidden", late)
        }
        for visible in ["home/.ssh/new/id_ecdsa.pub", "home/.ssh/new/known_hosts", "home/projects/app/notes.txt"] {
            try root.write(visible, "x\n")
            XCTAssertEqual(judgeVerdict(judge, root.absolute(visible), buffer: buffer), "clean", visible)
        }
    }
}
