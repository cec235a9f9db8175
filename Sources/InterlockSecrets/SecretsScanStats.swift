#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockProfile
import InterlockSystem

public struct SecretsScanStats: Sendable, Equatable, Codable {
    /// Regular files and symlinks seen in the workspace.
    public var filesVisited = 0
    public var directoriesVisited = 0
    /// Files whose content was read this time (cache misses).
    public var filesContentScanned = 0
    public var bytesContentScanned = 0
    /// Files whose content result came from the cache.
    public var cacheHits = 0
    /// Whether a cache file was found and used.
    public var cacheUsed = false
    /// The whole scan: home, workspace, environment.
    public var milliseconds = 0.0
    public var workspaceMilliseconds = 0.0
    /// Where the workspace result came from: `index` (the keeper answered) or `full` (this run walked the tree).
    public var source = "full"
    /// Why the index did not answer (nil when it did, or was not asked); `keeper started` when this run started one.
    public var indexNote: String?

    enum CodingKeys: String, CodingKey {
        case filesVisited = "files_visited", directoriesVisited = "directories_visited"
        case filesContentScanned = "files_content_scanned", bytesContentScanned = "bytes_content_scanned"
        case cacheHits = "cache_hits", cacheUsed = "cache_used", milliseconds
        case workspaceMilliseconds = "workspace_milliseconds", source, indexNote = "index_note"
    }

    public init() {}
}
