#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockSystem

/// The three channels between the supervisor and the sandbox's init, each created before clone:
/// - `sync` (socket pair): the handshake; mount descriptors, the terminal, the egress listeners
///   and the seccomp listener come back over it (SCM_RIGHTS);
/// - `errors` (pipe): a failed setup step (or execve) as an `il_setup_error`; EOF means the
///   command runs;
/// - `status` (pipe): the command's stops and its exit, as `il_status_event`s.
struct ChildChannels {
    struct Pair { var supervisor: Int32; var child: Int32 }
    let sync: Pair
    let errors: Pair
    let status: Pair

    init() throws(LaunchError) {
        var sync: [Int32] = [-1, -1], errors: [Int32] = [-1, -1], status: [Int32] = [-1, -1]
        guard il_socketpair_cloexec(&sync) == 0, il_pipe_cloexec(&errors) == 0, il_pipe_cloexec(&status) == 0 else {
            let reason = String(cString: strerror(errno))
            for fd in sync + errors + status where fd >= 0 { close(fd) }
            throw .setup("cannot create supervisor channels: \(reason)")
        }
        self.sync = Pair(supervisor: sync[0], child: sync[1])
        self.errors = Pair(supervisor: errors[0], child: errors[1])
        self.status = Pair(supervisor: status[0], child: status[1])
    }

    /// After clone: only the child may hold its ends, or EOF never comes.
    func closeChildEnds() {
        close(sync.child); close(errors.child); close(status.child)
    }

    func closeSupervisorEnds() {
        close(sync.supervisor); close(errors.supervisor); close(status.supervisor)
    }

    struct SetupFailure { var err: Int32; var step: String }

    /// The step that failed in the child, or nil once the command runs (EOF).
    func readSetupFailure() -> SetupFailure? {
        var record = il_setup_error()
        let size = MemoryLayout<il_setup_error>.size
        let got = withUnsafeMutableBytes(of: &record) { raw -> Int in
            guard let base = raw.baseAddress else { return 0 }
            return FileIO.readFully(errors.supervisor, base, size)
        }
        guard got == size else { return nil }
        let step = withUnsafeBytes(of: record.step) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return SetupFailure(err: record.err, step: step)
    }

    /// The next status event, or nil at EOF (init has exited).
    func readStatusEvent() -> il_status_event? {
        var event = il_status_event()
        let n = withUnsafeMutableBytes(of: &event) { read(status.supervisor, $0.baseAddress, $0.count) }
        return n == MemoryLayout<il_status_event>.size ? event : nil
    }
}
