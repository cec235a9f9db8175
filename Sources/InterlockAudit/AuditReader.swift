#if canImport(Glibc)
import Glibc
#endif
import InterlockJSON

/// Reads audit logs back: one run per file, records in order.
public struct AuditRun: Sendable {
    public var path: String
    public var records: [AuditRecord]

    public var sandbox: String? { records.first?.sandbox }
    public var start: AuditRecord? { records.first { $0.kind == .lifecycle && $0.action == "start" } }
    public var exit: AuditRecord? { records.last { $0.kind == .lifecycle && $0.action == "exit" } }
    public var command: [String] { start?.argv ?? [] }
    public var exitCode: Int64? { exit?.detail.first { $0.0 == "exit_code" }?.1.intValue }

    /// Refusals (deny and kill records; aggregate records count for `count` events).
    public var refusals: [AuditRecord] { records.filter { $0.action == "deny" || $0.action == "kill" || $0.action == "refuse" } }

    /// Exact number of refused events per kind (aggregate records count for `count` events).
    public var refusalCounts: [AuditKind: Int] {
        var counts: [AuditKind: Int] = [:]
        for r in refusals { counts[r.kind, default: 0] += r.count ?? 1 }
        return counts
    }

    public static func load(path: String) throws(AuditError) -> AuditRun {
        guard let f = fopen(path, "r") else { throw AuditError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var records: [AuditRecord] = []
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        var number = 0
        defer { free(line) }
        while getline(&line, &capacity, f) > 0, let line {
            number += 1
            let text = String(cString: line)
            if text.allSatisfy({ $0.isWhitespace }) { continue }
            guard let json = AuditRecord.readJSON(line: text), let record = AuditRecord(json: json) else {
                throw AuditError("\(path):\(number): not an audit record")
            }
            records.append(record)
        }
        return AuditRun(path: path, records: records)
    }

    /// Log files in `directory`, oldest first (file names start with their start time).
    public static func files(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name.hasSuffix(".jsonl") { names.append(directory + "/" + name) }
        }
        return names.sorted()
    }

    /// A run by sandbox id (or a unique prefix of it), file name, or path.
    public static func find(_ id: String, in directory: String) throws(AuditError) -> String {
        if id.contains("/") || id.hasSuffix(".jsonl") {
            let path = id.contains("/") ? id : directory + "/" + id
            guard access(path, R_OK) == 0 else { throw AuditError("no audit log \(path)") }
            return path
        }
        let matches = files(in: directory).filter { path in
            let base = path.split(separator: "/").last.map(String.init) ?? path
            return base.hasPrefix(id) || base.dropLast(6).hasSuffix("-" + id) || base.contains("-" + id)
        }
        guard let first = matches.first else { throw AuditError("no run '\(id)' in \(directory) (see `interlock audit list`)") }
        guard matches.count == 1 else { throw AuditError("'\(id)' matches \(matches.count) runs; give more of the id") }
        return first
    }
}
