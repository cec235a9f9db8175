#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

/// The workspace scan index: a per-workspace keeper process (`IndexKeeper`) holds inotify watches
/// on every workspace directory and keeps the workspace scan's result current, so that a repeat
/// run asks it instead of stat-ing every file.
///
/// A run connects to `<cacheDirectory>/<fnv1a64(workspace)>.sock`, checks that the keeper runs as
/// its own user (SO_PEERCRED), and sends its identity: protocol version, rules fingerprint, the
/// interlock binary (dev, inode, size, mtime) and the workspace (path, dev, inode). The keeper
/// answers only if all match what it was started with, and only after draining its inotify
/// queue: inotify queues an event when the modifying call is made, so every change completed
/// before the query is in the answer. Anything else (no keeper, no answer in time, a mismatch,
/// an overflowed queue, a mount change in the workspace) makes the run do the full scan.
public struct ScanIndexOptions: Sendable {
    /// Where the keeper's socket and lock live: the scan cache directory (outside the workspace).
    public var directory: String
    /// A full scan of at least this many files starts a keeper (smaller trees scan fast enough).
    public var minimumFiles: Int
    /// How long a run waits for the keeper's answer before scanning itself.
    public var timeoutMilliseconds: Int32
    /// Starts a keeper for the workspace (detached; it outlives the run).
    public var startKeeper: @Sendable (_ workspace: String) -> Void

    public init(directory: String, minimumFiles: Int = 5_000, timeoutMilliseconds: Int32 = 3_000,
                startKeeper: @escaping @Sendable (_ workspace: String) -> Void) {
        self.directory = directory
        self.minimumFiles = minimumFiles
        self.timeoutMilliseconds = timeoutMilliseconds
        self.startKeeper = startKeeper
    }
}
