#if canImport(Glibc)
import Glibc
#endif
import InterlockJSON
import InterlockSystem
import Synchronization

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
