import Foundation
import InterlockSystem
import MCP

/// One `run_command` call: `interlock run` of `$SHELL -c COMMAND` in its own sandbox with the
/// project's profile, its output (bounded), and the refusals its audit log recorded.
struct CommandResult: Sendable {
    var exitCode: Int32
    var stdout: Capture.Snapshot
    var stderr: Capture.Snapshot
    var timedOut: Bool
    var refusals: [Value]
    var auditPath: String
}
