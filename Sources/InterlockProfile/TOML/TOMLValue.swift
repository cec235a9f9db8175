/// One value of a TOML document, with the line it starts on and its full key path.
public struct TOMLValue: Sendable, Equatable {
    public enum Storage: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case array([TOMLValue])
        case table(TOMLTable)
    }

    public var storage: Storage
    /// 1-based line where the value (or the table's header) starts.
    public var line: Int
    /// Key components from the document root. Elements of an array share the array's path.
    public var path: [String]

    public init(_ storage: Storage, line: Int, path: [String]) {
        self.storage = storage
        self.line = line
        self.path = path
    }

    /// The full dotted key, e.g. `env.staging.limits.memory` (components that are not bare keys
    /// are quoted: `env."my env".limits`).
    public var key: String { TOMLKey.render(path) }

    /// `string`, `integer`, `float`, `boolean`, `array` or `table`.
    public var typeName: String {
        switch storage {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .boolean: return "boolean"
        case .array: return "array"
        case .table: return "table"
        }
    }

    public var string: String? { if case .string(let v) = storage { return v } else { return nil } }
    public var integer: Int64? { if case .integer(let v) = storage { return v } else { return nil } }
    public var float: Double? { if case .float(let v) = storage { return v } else { return nil } }
    public var boolean: Bool? { if case .boolean(let v) = storage { return v } else { return nil } }
    public var array: [TOMLValue]? { if case .array(let v) = storage { return v } else { return nil } }
    public var table: TOMLTable? { if case .table(let v) = storage { return v } else { return nil } }
}
