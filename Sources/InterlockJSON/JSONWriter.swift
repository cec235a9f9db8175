/// Writes a `JSONValue` as text. Members are written in their stored order and numbers as
/// their text, so output is stable byte for byte.
public struct JSONWriter: Sendable {
    /// Where whitespace goes.
    public enum Layout: Sendable {
        /// No whitespace at all: one value per line (audit records, `--json` output).
        case compact
        /// One element or member per line, indented two spaces per level, `"name": value`;
        /// empty arrays and objects as `[]` and `{}`.
        case indented
    }

    /// How string characters are escaped. Both escape `"`, `\`, `\n`, `\r`, `\t` and every
    /// other control character below 0x20.
    public enum Escaping: Sendable {
        /// Other control characters as `\u00xx` (lowercase hex); everything else as is.
        case controlCharacters
        /// Also `\b`, `\f`, and DEL; `\u00XX` in uppercase hex. Such a string is a TOML basic
        /// string too.
        case tomlCompatible
    }

    /// Where whitespace goes.
    public var layout: Layout
    /// How strings are escaped.
    public var escaping: Escaping

    /// By default compact, with `.controlCharacters` escaping.
    public init(layout: Layout = .compact, escaping: Escaping = .controlCharacters) {
        self.layout = layout
        self.escaping = escaping
    }

    /// The text of `value`.
    public func write(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: "", into: &out)
        return out
    }

    /// `text` as a JSON string, quotes included.
    public func quote(_ text: String) -> String {
        var out = ""
        quote(text, into: &out)
        return out
    }

    private func write(_ value: JSONValue, indent: String, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let text): out += text
        case .string(let text): quote(text, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            let inner = indent + "  "
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                if layout == .indented { out += "\n" + inner }
                write(item, indent: inner, into: &out)
            }
            if layout == .indented { out += "\n" + indent }
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            let inner = indent + "  "
            out += "{"
            for (i, (name, member)) in members.enumerated() {
                if i > 0 { out += "," }
                if layout == .indented { out += "\n" + inner }
                quote(name, into: &out)
                out += layout == .indented ? ": " : ":"
                write(member, indent: inner, into: &out)
            }
            if layout == .indented { out += "\n" + indent }
            out += "}"
        }
    }

    private func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}" where escaping == .tomlCompatible: out += "\\b"
            case "\u{0C}" where escaping == .tomlCompatible: out += "\\f"
            default:
                if scalar.value < 0x20 || (scalar.value == 0x7F && escaping == .tomlCompatible) {
                    let hex = String(scalar.value, radix: 16, uppercase: escaping == .tomlCompatible)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
