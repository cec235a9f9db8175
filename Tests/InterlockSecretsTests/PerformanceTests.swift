import Foundation
import XCTest
import Glibc
@testable import InterlockSecrets

/// Times discovery on a generated 50,000-file workspace. Prints the figures; asserts only correctness.
final class PerformanceTests: XCTestCase {
    /// 50 × 50 directories of 20 files: 50,000 files of 200–4,000 bytes of code-like text (about 100 MB),
    /// every one of them content-scanned, with a few secrets planted.
    static func generate(at root: String, files: Int = 50_000) -> (bytes: Int, planted: [String]) {
        var rng = UInt64(42)
        func next() -> UInt64 {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return rng >> 33
        }
        let words = ["let", "value", "config", "request", "handler", "user", "items", "result", "count", "index",
                     "return", "import", "func", "struct", "self", "name", "path", "data", "error", "options"]
        // A pool of code-like lines, drawn at random (building lines per file is slow in debug builds).
        var pool: [[UInt8]] = []
        for _ in 0..<4096 {
            let a = words[Int(next() % 20)], b = words[Int(next() % 20)], c = words[Int(next() % 20)]
            switch next() % 4 {
            case 0: pool.append(Array("    \(a)_\(b) = \(c)(\(next() % 1000))\n".utf8))
            case 1: pool.append(Array("    \"\(a)\": \"\(b) \(c)\",\n".utf8))
            case 2: pool.append(Array("func \(a)\(b)(\(c): Int) -> \(a.capitalized) {\n".utf8))
            default: pool.append(Array("    // \(a) \(b) \(c): see \(words[Int(next() % 20)]).\n".utf8))
            }
        }
        var total = 0
        var planted: [String] = []
        let perDirectory = 20
        let directories = files / perDirectory
        var content = [UInt8]()
        content.reserveCapacity(8192)
        for d in 0..<directories {
            let dir = root + "/pkg\(d / 50)/mod\(d % 50)"
            mkdir(root + "/pkg\(d / 50)", 0o755)
            mkdir(dir, 0o755)
            for f in 0..<perDirectory {
                let index = d * perDirectory + f
                let size = 200 + Int(next() % 3800)
                content.removeAll(keepingCapacity: true)
                while content.count < size { content.append(contentsOf: pool[Int(next() % 4096)]) }
                if index % 5000 == 1234 {
                    content += Array("token = \"\(Samples.github)\"\n".utf8)
                    planted.append(dir + "/file\(f).swift")
                }
                let fd = open(dir + "/file\(f).swift", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                _ = content.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
                total += content.count
            }
        }
        return (total, planted)
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// Set INTERLOCK_SECRETS_BENCH_DIR to keep the generated tree between runs (it is generated
    /// there once); otherwise it lives in a temporary directory removed afterwards.
    func test50kFileWorkspace() throws {
        let fixture = try Fixture("perf")
        defer { fixture.remove() }
        let home = try fixture.makeDirectory("home")
        let cache = fixture.absolute("cache")
        let workspace: String
        var planted: [String]
        if let kept = ProcessInfo.processInfo.environment["INTERLOCK_SECRETS_BENCH_DIR"] {
            workspace = kept
            if FileManager.default.fileExists(atPath: kept + "/pkg0") {
                planted = []
            } else {
                try FileManager.default.createDirectory(atPath: kept, withIntermediateDirectories: true)
                let generated = Self.generate(at: kept)
                print(String(format: "generated 50,000 files, %.1f MB", Double(generated.bytes) / 1e6))
                planted = generated.planted
                usleep(1_100_000)
            }
        } else {
            workspace = try fixture.makeDirectory("ws")
            let generated = Self.generate(at: workspace)
            print(String(format: "generated 50,000 files, %.1f MB", Double(generated.bytes) / 1e6))
            planted = generated.planted
            usleep(1_100_000)  // past the racily-clean window, so that the first run caches every file
        }
        let cacheFile = cache + "/" + ScanCache.fileName(workspace: workspace)

        func run(_ label: String, times: Int, before: () -> Void = {}) -> SecretsReport {
            var walls: [Double] = []
            var cpus: [Double] = []
            var report = SecretsReport()
            for _ in 0..<times {
                before()
                let cpu = Self.cpuSeconds()
                report = scan(home: home, workspace: workspace, cache: cache)
                cpus.append((Self.cpuSeconds() - cpu) * 1000)
                walls.append(report.scanStats.milliseconds)
            }
            let s = report.scanStats
            walls.sort()
            print(String(format: "secrets scan, 50k files, %@: %.0f ms (best of %d; median %.0f ms; CPU %.0f ms over %d cores): %d files, %d dirs, %d read (%.1f MB), %d cache hits, %d hidden",
                         label, walls[0], times, walls[walls.count / 2], cpus.min()!, Posix.processorCount(),
                         s.filesVisited, s.directoriesVisited, s.filesContentScanned,
                         Double(s.bytesContentScanned) / 1e6, s.cacheHits, report.hidden.count))
            return report
        }
        #if DEBUG
        // Unoptimized code is several times slower: one round, and the figures say "debug".
        let rounds = 1
        let build = "debug build"
        #else
        let rounds = 5
        let build = "release build"
        #endif
        print("secrets scan benchmark: \(build), \(Posix.processorCount()) cores")
        _ = scan(home: home, workspace: workspace, cache: nil)  // page cache warm, as after a checkout or build
        let first = run("first run (no cache)", times: rounds) { unlink(cacheFile) }
        XCTAssertEqual(first.scanStats.filesVisited, 50_000)
        XCTAssertEqual(first.scanStats.filesContentScanned, 50_000)
        if planted.isEmpty { planted = first.hidden.map(\.path) }
        XCTAssertEqual(Set(first.hidden.map(\.path)), Set(planted))
        XCTAssertEqual(planted.count, 10)
        let second = run("cached run", times: rounds)
        XCTAssertEqual(second.scanStats.cacheHits, 50_000)
        XCTAssertEqual(second.scanStats.filesContentScanned, 0)
        XCTAssertEqual(second.hidden, first.hidden)
        // Ten files edited.
        var edits = 0
        let edited = run("cached run, 10 files edited", times: 1) {
            for i in 0..<10 {
                let fd = open(workspace + "/pkg\(i)/mod\(i)/file\(i).swift", O_WRONLY | O_APPEND)
                _ = "// edited\n".withCString { write(fd, $0, strlen($0)) }
                close(fd)
                edits += 1
            }
        }
        XCTAssertEqual(edited.scanStats.filesContentScanned, 10)
    }
}
