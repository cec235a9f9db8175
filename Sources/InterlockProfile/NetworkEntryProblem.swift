/// Why a `[network]` value is invalid: one phrase, without the value itself.
public struct NetworkEntryProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
