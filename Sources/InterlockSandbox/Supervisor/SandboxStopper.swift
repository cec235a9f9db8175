#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import Synchronization

/// Kills the sandbox (through its pidfd) from any thread until disarmed: a record that cannot
/// be written, or a secrets guard that fails, stops the run.
final class SandboxStopper: Sendable {
    private let pidfd: Mutex<Int32>
    init(pidfd: Int32) { self.pidfd = Mutex(pidfd) }
    func stop() { pidfd.withLock { if $0 >= 0 { _ = il_pidfd_send_signal($0, SIGKILL) } } }
    func disarm() { pidfd.withLock { $0 = -1 } }
}
