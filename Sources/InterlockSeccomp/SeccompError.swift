#if canImport(Glibc)
import Glibc
#endif
import CSeccomp
import InterlockProfile
import InterlockSystem

public struct SeccompError: Error, CustomStringConvertible, Sendable, Equatable {
    /// One line: `FILE:LINE: KEY: MESSAGE` when the problem is in a profile (file and line when
    /// the policy knows them), else `KEY: MESSAGE` or a plain message.
    public let message: String
    public var description: String { message }
    public init(message: String) {
        self.message = message
    }
}
