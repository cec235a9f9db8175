#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemPackage

/// Runs a system call the one way this package does: a call interrupted by a signal (EINTR) is
/// made again, and a failure (a negative result, -1 by the C convention) becomes a
/// `SystemCallError` naming the call and carrying errno.
///
///     let n = try SystemCall.retrying("read") { read(fd, buffer, count) }
///
/// The body must be the system call alone, so that errno, read right after it returns, is the
/// call's. `call` is an autoclosure: the name is only built when the call fails.
public enum SystemCall {
    /// The call's result, never negative; EINTR is retried, any other failure thrown.
    @inlinable
    @discardableResult
    public static func retrying<Value: FixedWidthInteger & SignedInteger>(
        _ call: @autoclosure () -> String, _ body: () -> Value
    ) throws(SystemCallError) -> Value {
        while true {
            let result = body()
            if result >= 0 { return result }
            let error = Errno(rawValue: Glibc.errno)
            if error == .interrupted { continue }
            throw SystemCallError(call(), errno: error)
        }
    }

    /// As `retrying`, for a non-blocking descriptor: `nil` when the call would block
    /// (EAGAIN/EWOULDBLOCK), which is not a failure there.
    @inlinable
    public static func retryingUnlessWouldBlock<Value: FixedWidthInteger & SignedInteger>(
        _ call: @autoclosure () -> String, _ body: () -> Value
    ) throws(SystemCallError) -> Value? {
        do {
            return try retrying(call(), body)
        } catch where error.errno == .wouldBlock || error.errno == .resourceTemporarilyUnavailable {
            return nil
        }
    }
}
