import InterlockProfile

/// Why a run did not start (or could not be torn down cleanly). Each case maps to an exit code
/// the CLI returns: 2 for a bad profile or invocation, 125 when the sandbox could not be built
/// (fail closed: the command never runs unprotected), 126/127 when the command cannot be run.
public enum LaunchError: Error, CustomStringConvertible, Sendable {
    case profile(ProfileError)
    case invalid(String)
    case setup(String)
    case commandNotFound(String)
    case commandNotExecutable(String)

    public var exitCode: Int32 {
        switch self {
        case .profile, .invalid: 2
        case .setup: 125
        case .commandNotExecutable: 126
        case .commandNotFound: 127
        }
    }

    public var description: String {
        switch self {
        case .profile(let e): "\(e)"
        case .invalid(let m): m
        case .setup(let m): "cannot build the sandbox: \(m)"
        case .commandNotFound(let c): "\(c): command not found"
        case .commandNotExecutable(let m): m
        }
    }
}
