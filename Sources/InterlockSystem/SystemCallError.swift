#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// A system call that failed: what was attempted and the errno it failed with.
///
/// `call` names the call, or says what was being done when that reads better to a user
/// ("open the sandbox's user namespace"); `description` appends the strerror text, so it can
/// be shown as it is.
public struct SystemCallError: Error, Sendable, Equatable, CustomStringConvertible {
    public let call: String
    public let errno: Errno

    /// `errno` defaults to the calling thread's current errno, so the error is made right after
    /// the call that failed.
    public init(_ call: String, errno: Errno = Errno(rawValue: Glibc.errno)) {
        self.call = call
        self.errno = errno
    }

    /// For the errno a call returned rather than set (pthread_create, posix_spawn).
    public init(_ call: String, code: Int32) {
        self.init(call, errno: Errno(rawValue: code))
    }

    public var description: String { "\(call): \(reason)" }

    /// The strerror text alone, for messages that name the call their own way.
    public var reason: String { String(cString: strerror(errno.rawValue)) }
}
