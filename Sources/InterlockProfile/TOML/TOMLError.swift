/// A TOML syntax or structure error: the file, the 1-based line and what is wrong.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    /// `FILE:LINE: MESSAGE`
    public var description: String { "\(file):\(line): \(message)" }
}
