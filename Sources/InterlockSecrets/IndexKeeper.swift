#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

/// The index keeper (`ScanIndex`): one process per workspace and user, started detached by a run
/// that scanned a large workspace, gone after `idleSeconds` without a query.
///
/// It watches every workspace directory with inotify (the watch is added to the opened directory
/// before it is listed, so nothing created meanwhile is missed), judges every file with the same
/// `EntryCheck` as the full scan, and re-judges a name whenever an event names it. It stops
/// (runs fall back to the full scan) on anything it cannot follow: a queue overflow, the watch
/// limit, the workspace moved or deleted, a directory reachable twice, a mount or unmount inside
/// the workspace, a file system whose changes inotify does not see (network, FUSE).
///
/// Not seen by inotify, and so handled apart: a file with several hard links can be written
/// through a name outside the watched directories, so such files are re-stat-ed at each query.
public enum IndexKeeper {
    /// Serves queries until idle or broken; the exit status says which (0 idle or superseded, 1 broken).
    public static func run(workspace: String, directory: String, idleSeconds: Int) -> Int32 {
        umask(0o077)
        signal(SIGPIPE, SIG_IGN)
        guard Posix.makeDirectories(directory, mode: 0o700), ScanIndex.directoryIsPrivate(directory) else { return 1 }
        let lockFd = open(ScanIndex.lockPath(directory: directory, workspace: workspace),
                          O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lockFd >= 0 else { return 1 }
        // One keeper per workspace: whoever holds the lock owns the socket path.
        guard flock(lockFd, LOCK_EX | LOCK_NB) == 0 else { return 0 }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(lockFd, 0)
        _ = pid.withUnsafeBytes { pwrite(lockFd, $0.baseAddress!, $0.count, 0) }
        let socketPath = ScanIndex.socketPath(directory: directory, workspace: workspace)
        let state: KeeperState
        switch KeeperState.start(workspace: workspace, cacheDirectory: directory) {
        case .success(let started): state = started
        case .failure(let reason):
            // Runs do not start another keeper for this workspace for a while (`ScanIndex.recentFailure`).
            log(directory, workspace, reason.text, suffix: ".failed")
            return 1
        }
        unlink(socketPath)
        let listenFd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard listenFd >= 0, UnixSocket.bind(listenFd, socketPath), listen(listenFd, 16) == 0 else { return 1 }
        var retired = false
        defer { if !retired { unlink(socketPath) } }  // once retired, the path may be the next keeper's

        var lastQuery = Posix.clock(CLOCK_MONOTONIC)
        while true {
            var fds = [pollfd(fd: listenFd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: state.inotifyFd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: state.mounts.fd, events: Int16(POLLPRI), revents: 0)]
            let idleLeft = Int64(idleSeconds) * 1_000_000_000 - (Posix.clock(CLOCK_MONOTONIC) - lastQuery)
            if idleLeft <= 0 { return 0 }
            // Woken at least every 10 s to notice a deleted workspace (see `workspaceDeleted`).
            guard (try? SystemCall.retrying("poll") { poll(&fds, nfds_t(fds.count), Int32(min(idleLeft / 1_000_000 + 1, 10_000))) }) != nil else { return 1 }
            if fds[2].revents != 0 { state.checkMounts() }
            if fds[1].revents != 0 {
                // Let a burst of writes settle (one file written in many pieces is judged once),
                // unless a run is waiting: a query catches up by itself.
                var listener = pollfd(fd: listenFd, events: Int16(POLLIN), revents: 0)
                if poll(&listener, 1, 100) == 0 { state.catchUp() }
            }
            if fds[0].revents != 0 {
                let client = accept(listenFd, nil, nil)  // accept4 is not in Swift's Glibc; nothing here forks
                if client >= 0 {
                    _ = fcntl(client, F_SETFD, FD_CLOEXEC)
                    _ = fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK)
                    lastQuery = Posix.clock(CLOCK_MONOTONIC)
                    let keep = serve(client, state) {
                        // Gone before the refusal arrives: the refused run may start the next keeper at once.
                        unlink(socketPath)
                        flock(lockFd, LOCK_UN)
                        retired = true
                    }
                    close(client)
                    if !keep {
                        if let broken = state.broken { log(directory, workspace, "stopped: \(broken)", suffix: ".log") }
                        break
                    }
                }
            }
            if let broken = state.broken {
                log(directory, workspace, "stopped: \(broken)", suffix: ".log")
                return 1
            }
            if state.workspaceDeleted {
                log(directory, workspace, "stopped: the workspace was deleted", suffix: ".log")
                return 0
            }
        }
        return 0
    }

    /// One query; false when the keeper must go (it cannot answer this run, or any later one).
    private static func serve(_ client: Int32, _ state: KeeperState, retire: () -> Void) -> Bool {
        guard UnixSocket.peerUID(client) == geteuid() else { return true }
        let deadline = Posix.clock(CLOCK_MONOTONIC) + 2_000_000_000
        guard let query = UnixSocket.receiveMessage(client, deadline: deadline) else { return true }
        guard String(decoding: query, as: UTF8.self) == state.identity() else {
            // Another binary, other rules or another directory at that path: a new keeper will serve it.
            retire()
            _ = UnixSocket.send(client, ScanIndex.encodeRefusal("identity differs"), deadline: deadline)
            state.broken = state.broken ?? "a run with another identity asked"
            return false
        }
        // Every change completed before the query has queued its event by now.
        state.checkMounts()
        state.catchUp()
        state.revalidateLinked()
        if let broken = state.broken {
            retire()
            _ = UnixSocket.send(client, ScanIndex.encodeRefusal(broken), deadline: deadline)
            return false
        }
        _ = UnixSocket.send(client, ScanIndex.encode(state.result()), deadline: Posix.clock(CLOCK_MONOTONIC) + 5_000_000_000)
        return true
    }

    /// Why a keeper stopped (`.log`) or could not start (`.failed`), next to its socket.
    private static func log(_ directory: String, _ workspace: String, _ line: String, suffix: String) {
        let path = ScanIndex.lockPath(directory: directory, workspace: workspace) + suffix
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        let bytes = Array("\(line)\n".utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)
    }
}
