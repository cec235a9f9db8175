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
