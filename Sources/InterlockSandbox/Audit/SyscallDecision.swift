#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockProfile
import InterlockSeccomp
import InterlockSystem
import Synchronization
import InterlockJSON

/// What the supervisor does with one notified syscall.
public struct SyscallDecision: Sendable {
    public enum Response: Sendable, Equatable {
        case fail(Int32)      // the call returns -1 with this errno
        case killProcess      // the calling process is killed (on_deny = "kill")
        case proceed          // learn mode: recorded, then allowed to run
        case inspect          // a watched call the rules allow: runs unless it writes a protected path or reaches a host socket
    }
    public var response: Response
    /// The rule that matched, e.g. "baseline agent: mount".
    public var rule: String
    public init(response: Response, rule: String) {
        self.response = response
        self.rule = rule
    }
}
