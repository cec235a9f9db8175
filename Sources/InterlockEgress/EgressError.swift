import InterlockProfile

/// A policy the proxy cannot work with (an entry or hosts value that does not parse, a listener
/// that cannot be used). The message is one line.
public struct EgressError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
