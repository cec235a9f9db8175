#if canImport(Glibc)
import Glibc
#endif
import InterlockJSON
import InterlockSystem
import Synchronization

/// One audit record (one JSON line): `time`, `sandbox`, `kind`, `action`, then whatever
/// applies (`pid`, `exe`, `argv`, `rule`, `detail`, `count`).
public struct AuditRecord: Sendable {
    public var time: String
    public var sandbox: String
    public var kind: AuditKind
    public var action: String
    public var pid: Int32?
    public var exe: String?
    public var argv: [String]?
    public var rule: String?
    public var detail: [(String, JSONValue)]
    /// Set on aggregate records: how many identical events this line stands for.
    public var count: Int?

    public init(time: String = AuditClock.now(), sandbox: String, kind: AuditKind, action: String, pid: Int32? = nil,
                exe: String? = nil, argv: [String]? = nil, rule: String? = nil, detail: [(String, JSONValue)] = [], count: Int? = nil) {
        self.time = time
        self.sandbox = sandbox
        self.kind = kind
        self.action = action
        self.pid = pid
        self.exe = exe
        self.argv = argv
        self.rule = rule
        self.detail = detail
        self.count = count
    }

    public var json: JSONValue {
        var fields: [(String, JSONValue)] = [
            ("time", .string(time)), ("sandbox", .string(sandbox)), ("kind", .string(kind.rawValue)), ("action", .string(action)),
        ]
        if let pid { fields.append(("pid", .int(Int64(pid)))) }
        if let exe { fields.append(("exe", .string(exe))) }
        if let argv { fields.append(("argv", .array(argv.map { .string($0) }))) }
        if let rule { fields.append(("rule", .string(rule))) }
        if !detail.isEmpty { fields.append(("detail", .object(detail))) }
        if let count { fields.append(("count", .int(Int64(count)))) }
        return .object(fields)
    }

    /// The JSON value of one log line, or nil if it is not JSON or holds a number that is not
    /// an Int64 (audit records hold no other numbers; such a line is a corrupted record).
    public static func readJSON(line: String) -> JSONValue? {
        guard let value = try? JSONReader.read(line) else { return nil }
        func numbersFit(_ value: JSONValue) -> Bool {
            switch value {
            case .number: value.intValue != nil
            case .array(let items): items.allSatisfy(numbersFit)
            case .object(let members): members.allSatisfy { numbersFit($0.1) }
            default: true
            }
        }
        return numbersFit(value) ? value : nil
    }

    /// Reads a record back from its JSON line.
    public init?(json: JSONValue) {
        guard let time = json["time"]?.stringValue, let sandbox = json["sandbox"]?.stringValue,
              let kind = json["kind"]?.stringValue.flatMap(AuditKind.init(rawValue:)), let action = json["action"]?.stringValue else { return nil }
        self.init(time: time, sandbox: sandbox, kind: kind, action: action,
                  pid: json["pid"]?.intValue.map { Int32(truncatingIfNeeded: $0) }, exe: json["exe"]?.stringValue,
                  argv: json["argv"]?.arrayValue?.compactMap(\.stringValue), rule: json["rule"]?.stringValue,
                  detail: { if case .object(let f)? = json["detail"] { return f } else { return [] } }(),
                  count: json["count"]?.intValue.map { Int($0) })
    }
}
