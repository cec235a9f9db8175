#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockSystem

/// The sandbox's init, from clone until it is reaped. Killing it ends the whole sandbox: it is
/// the pid namespace's init, and the kernel kills every other process of the namespace with it.
struct SandboxChild {
    let pid: pid_t
    let pidfd: Int32
    /// Lets other threads (the audit log, the secrets guard) stop the sandbox until `release`.
    let stopper: SandboxStopper

    /// clone3 into new namespaces (`il_spawn`); the child then waits on the handshake.
    static func spawn(_ launch: inout LaunchSpec, channels: ChildChannels) throws(LaunchError) -> SandboxChild {
        var pidfd: Int32 = -1
        let pid = il_spawn(&launch.spec, &pidfd)
        let spawnErrno = errno
        channels.closeChildEnds()
        guard pid > 0 else {
            throw .setup("clone3 into new namespaces failed: \(String(cString: strerror(spawnErrno)))" +
                         (spawnErrno == EPERM || spawnErrno == ENOSPC ? " (are user namespaces enabled? see `interlock doctor`)" : ""))
        }
        return SandboxChild(pid: pid, pidfd: pidfd, stopper: SandboxStopper(pidfd: pidfd))
    }

    func signal(_ signo: Int32) { _ = il_pidfd_send_signal(pidfd, signo) }

    /// Kills and reaps the sandbox during set-up; returns the error the run ends with.
    func abort(_ message: String) -> LaunchError {
        signal(SIGKILL)
        var st: Int32 = 0
        _ = waitpid(pid, &st, 0)
        return .setup(message)
    }

    /// Waits for init to be reaped; its wait status.
    func reap() -> Int32 {
        var status: Int32 = 0
        _ = try? SystemCall.retrying("waitpid") { waitpid(pid, &status, 0) }
        return status
    }

    /// The stopper is disarmed before the pidfd it signals is closed.
    func release() {
        stopper.disarm()
        close(pidfd)
    }
}
