#if canImport(Glibc)
import Glibc
#endif
import InterlockJSON
import InterlockSystem
import Synchronization

/// What an audit record is about.
public enum AuditKind: String, Sendable, CaseIterable {
    case lifecycle, syscall, file, connect, request
}

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

public enum AuditClock {
    /// UTC, ISO 8601 with milliseconds.
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var parts = tm()
        gmtime_r(&t, &parts)
        func pad(_ v: Int32, _ w: Int = 2) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
    }

    /// A file-name friendly timestamp that sorts in start order: 2026-11-21T23-40-12.345.
    public static func fileStamp() -> String {
        String(now().prefix(23)).replacingColons()
    }
}

extension String {
    func replacingColons() -> String { String(map { $0 == ":" ? "-" : $0 }) }
}

/// The audit log of one run: a JSON Lines file, written from any thread, each record one
/// write(2) of a whole line (so a concurrent `tail -f` never sees half a record).
///
/// A record that cannot be written (disk full, I/O error) makes the log `failed`, and the
/// handler given to `onFailure` runs once: a sandbox never goes on running unrecorded.
public final class AuditLog: Sendable {
    public let path: String
    private let fd: Mutex<Int32>
    private struct FailureState: Sendable {
        var reason: String?
        var handler: (@Sendable (String) -> Void)?
    }
    private let failure = Mutex(FailureState())

    /// `$XDG_STATE_HOME/interlock/audit` (default `~/.local/state/interlock/audit`).
    public static func defaultDirectory(home: String, environment: [String: String]) -> String {
        let state = environment["XDG_STATE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? home + "/.local/state"
        return state + "/interlock/audit"
    }

    public init(path: String) throws(AuditError) {
        self.path = path
        var dir = ""
        for component in path.split(separator: "/").dropLast() {
            dir += "/" + component
            if mkdir(dir, 0o700) != 0 && errno != EEXIST { throw AuditError("cannot create \(dir): \(String(cString: strerror(errno)))") }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw AuditError("cannot open the audit log \(path): \(String(cString: strerror(errno)))") }
        self.fd = Mutex(fd)
    }

    /// Why a record could not be written, once one could not.
    public var failed: String? { failure.withLock { $0.reason } }

    /// Runs `handler` (once, on the writing thread) when a record cannot be written; at once if
    /// one already could not.
    public func onFailure(_ handler: @escaping @Sendable (String) -> Void) {
        let already = failure.withLock { state -> String? in
            if state.reason == nil { state.handler = handler }
            return state.reason
        }
        if let already { handler(already) }
    }

    public func append(_ record: AuditRecord) {
        let line = record.json.encoded() + "\n"
        let error: Int32? = fd.withLock { fd in
            var bytes = Array(line.utf8)
            var offset = 0
            while offset < bytes.count {
                let code: Int32
                do throws(SystemCallError) {
                    let n = try bytes.withUnsafeMutableBytes { raw in
                        Result { () throws(SystemCallError) in try SystemCall.retrying("write") { write(fd, raw.baseAddress! + offset, raw.count - offset) } }
                    }.get()
                    if n > 0 {
                        offset += n
                        continue
                    }
                    code = ENOSPC
                } catch {
                    code = error.errno.rawValue
                }
                // Half a record is not a record: take it back, so the log stays whole lines.
                if offset > 0 { _ = ftruncate(fd, lseek(fd, 0, SEEK_END) - off_t(offset)) }
                return code
            }
            bytes.removeAll()
            return nil
        }
        guard let error else { return }
        let reason = "cannot write the audit log \(path): \(String(cString: strerror(error)))"
        let handler = failure.withLock { state -> (@Sendable (String) -> Void)? in
            guard state.reason == nil else { return nil }
            state.reason = reason
            defer { state.handler = nil }
            return state.handler
        }
        handler?(reason)
    }

    public func close() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd); fd = -1 }
        }
    }

    deinit { close() }
}

public struct AuditError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}

public enum AuditHash {
    /// FNV-1a, 64 bits: identifies a resolved policy in lifecycle records (not a security hash).
    public static func fnv1a64(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        let hex = String(h, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
