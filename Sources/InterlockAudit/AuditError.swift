#if canImport(Glibc)
import Glibc
#endif
import InterlockJSON
import InterlockSystem
import Synchronization

public struct AuditError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ d: String) { description = d }
}
