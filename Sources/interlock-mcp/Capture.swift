import Foundation
import InterlockSystem
import MCP

/// Keeps the first `limit` bytes of a stream and counts the rest.
final class Capture: @unchecked Sendable {
    struct Snapshot: Sendable {
        var text: String
        var totalBytes: Int
        var truncated: Bool
    }

    private let lock = NSLock()
    private var kept = Data()
    private var total = 0
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Reads until end of file (the pipe must always be drained, or the command blocks on it).
    func drain(_ handle: FileHandle) {
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { return }
            lock.lock()
            total += chunk.count
            if kept.count < limit { kept.append(chunk.prefix(limit - kept.count)) }
            lock.unlock()
        }
    }

    var snapshot: Snapshot {
        lock.lock()
        defer { lock.unlock() }
        return Snapshot(text: String(decoding: kept, as: UTF8.self), totalBytes: total, truncated: total > kept.count)
    }
}
