/// Why a text is not read as JSON, and where reading stopped.
public struct JSONReadError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for callers that word or classify it themselves.
    public enum Kind: Sendable, Equatable {
        /// End of input or a byte no JSON value starts with, where a value was expected.
        case expectedValue
        /// `t`, `f` or `n` not followed by the rest of `true`, `false` or `null`.
        case invalidLiteral
        /// Nested deeper than `Options.maxDepth`.
        case tooDeep
        /// In an object, something other than a quoted member name.
        case expectedMemberName
        /// A member name not followed by ':'.
        case expectedColon
        /// Between elements, something other than ',' or the closing bracket.
        case expectedCommaOrEnd
        /// An object or array still open at the end of the input.
        case unterminated
        /// Not RFC 8259's number grammar (a leading zero included).
        case invalidNumber
        /// A string still open at the end of the input.
        case unterminatedString
        /// A raw control character (below 0x20) in a string.
        case controlCharacter
        /// A backslash followed by a character JSON has no escape for.
        case invalidEscape
        /// `\u` not followed by four hex digits.
        case invalidUnicodeEscape
        /// A surrogate `\u` escape that is not half of a high-low pair.
        case unpairedSurrogate
        /// A string whose bytes are not valid UTF-8.
        case invalidUTF8
        /// A member name seen twice in one object (when `Options.duplicateKeys` is `.reject`).
        case duplicateKey(String)
        /// A NUL character in a member name (when `Options.rejectsNULInKeys` is set).
        case nulInKey
        /// Something other than whitespace after the value.
        case trailingData
    }

    /// What went wrong.
    public var kind: Kind
    /// The message, naming what was found where it matters ("expected ':' after \"a\", found '}'").
    public var message: String
    /// The byte offset where reading stopped.
    public var offset: Int
    /// The 1-based line of `offset`.
    public var line: Int
    /// The 1-based column (in bytes) of `offset`.
    public var column: Int

    /// An error of `kind` at `offset` (`line` and `column` locate the same byte).
    public init(kind: Kind, message: String, offset: Int, line: Int, column: Int) {
        self.kind = kind
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// `line N: message`.
    public var description: String { "line \(line): \(message)" }
}
