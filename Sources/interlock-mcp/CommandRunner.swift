import Foundation
import InterlockSystem
import MCP

enum CommandRunner {
    enum Failure: Error, CustomStringConvertible {
        case badDirectory(String)
        case cannotStart(String)

        var description: String {
            switch self {
            case .badDirectory(let message), .cannotStart(let message): return message
            }
        }
    }

    /// The working directory: relative to the workspace or absolute, and inside it after
    /// symlinks are resolved (a command never starts outside the project).
    static func directory(_ requested: String?, workspace: String) throws -> String {
        guard let requested, !requested.isEmpty else { return workspace }
        let joined = requested.hasPrefix("/") ? requested : workspace + "/" + requested
        guard let path = FileIO.realPath(joined) else { throw Failure.badDirectory("cwd \(requested): no such directory") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure.badDirectory("cwd \(requested): not a directory")
        }
        guard path == workspace || path.hasPrefix(workspace + "/") else {
            throw Failure.badDirectory("cwd \(requested) (\(path)) is outside the workspace \(workspace)")
        }
        return path
    }

    /// Blocking: run it on a thread of its own, never on the cooperative pool.
    static func execute(command: String, directory: String, timeout: Double, config: Configuration) throws -> CommandResult {
        let auditPath = config.auditDirectory + "/" + stamp() + "-mcp-" + UUID().uuidString.prefix(8).lowercased() + ".jsonl"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: config.interlock)
        process.arguments = ["run", "--quiet", "--audit", auditPath, "--workspace", config.workspace]
            + config.profileArguments + ["--", config.shell, "-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        let outPipe = Pipe(), errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do { try process.run() } catch {
            throw Failure.cannotStart("cannot start \(config.interlock): \(error.localizedDescription)")
        }
        let out = Capture(limit: config.outputLimit), err = Capture(limit: config.outputLimit)
        let readers = DispatchGroup()
        for (capture, pipe) in [(out, outPipe), (err, errPipe)] {
            readers.enter()
            Thread.detachNewThread {
                capture.drain(pipe.fileHandleForReading)
                readers.leave()
            }
        }
        var timedOut = false
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            // SIGTERM reaches the supervisor, which forwards it; the sandbox dies with it anyway.
            timedOut = true
            process.terminate()
            if exited.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                exited.wait()
            }
        }
        readers.wait()
        let status = process.terminationStatus
        let code = process.terminationReason == .uncaughtSignal ? 128 + status : status
        return CommandResult(exitCode: code, stdout: out.snapshot, stderr: err.snapshot, timedOut: timedOut,
                             refusals: refusals(auditPath), auditPath: auditPath)
    }

    /// Every `deny` record of the run's audit log, as recorded (at most 100).
    static func refusals(_ path: String) -> [Value] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        var found: [Value] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let record = try? decoder.decode(Value.self, from: Data(line)),
                  record.objectValue?["action"]?.stringValue == "deny" else { continue }
            found.append(record)
            if found.count == 100 { break }
        }
        return found
    }

    static func stamp() -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HH-mm-ss.SSS"
        return formatter.string(from: Date())
    }
}
