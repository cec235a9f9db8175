import Foundation

/// What `interlock mcp` hands over: the interlock binary that runs each command, the resolved
/// workspace, and the profile options every run repeats.
struct Configuration: Sendable {
    var interlock = ""
    var workspace = ""
    /// `--profile P`, `--env E`, `--agent A`, as given to `interlock mcp`.
    var profileArguments: [String] = []
    var shell = "/bin/sh"
    var auditDirectory = ""
    /// Bytes of stdout and of stderr returned per call (the rest is counted, not kept).
    var outputLimit = 64 * 1024
    var defaultTimeout = 120.0
    var maximumTimeout = 3600.0

    struct UsageError: Error, CustomStringConvertible {
        var description: String
    }

    static func parse(_ arguments: [String], environment: [String: String]) throws -> Configuration {
        var config = Configuration()
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw UsageError(description: "\(flag) needs a value") }
            switch flag {
            case "--interlock": config.interlock = value
            case "--workspace": config.workspace = value
            case "--profile", "--env", "--agent": config.profileArguments += [flag, value]
            default: throw UsageError(description: "unknown option \(flag) (start it as `interlock mcp`)")
            }
        }
        guard config.interlock.hasPrefix("/"), config.workspace.hasPrefix("/") else {
            throw UsageError(description: "start it as `interlock mcp` (it needs --interlock and --workspace)")
        }
        let shell = environment["INTERLOCK_SHELL"].flatMap { $0.isEmpty ? nil : $0 }
        config.shell = shell ?? (FileManager.default.isExecutableFile(atPath: "/bin/bash") ? "/bin/bash" : "/bin/sh")
        let home = environment["HOME"] ?? NSHomeDirectory()
        let state = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/state"
        config.auditDirectory = state + "/interlock/audit"
        return config
    }
}
