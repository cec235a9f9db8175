#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockSystem

/// The supervisor's loop while the command runs: relays the terminal both ways, forwards
/// signals, suspends with the sandbox on Ctrl-Z, drains the hidden-path watcher and starts the
/// egress proxy at the first connection. It ends when init is gone, with the exit code to return.
struct EventLoop {
    let child: SandboxChild
    let channels: ChildChannels
    let signalPipe: Int32
    let terminal: TerminalRelay?
    let watcher: HiddenPathWatcher?
    let egress: DeferredEgress
    /// Sees the user's keystrokes first: it answers held requests typed at the terminal.
    let prompt: TerminalPrompt

    func run() -> Int32 {
        terminal?.enterRawMode()
        defer { terminal?.restore() }
        let statusPipe = channels.status.supervisor
        var waitStatus: Int32? = nil
        var pendingInput: [UInt8] = []
        var inputOpen = terminal?.input != nil
        var masterOpen = terminal != nil
        var initAlive = true
        // Init closes the status pipe when it exits, before its pid namespace has emptied and its
        // pidfd turns readable: a pipe at EOF is dropped from the poll set, or the loop would spin
        // through the teardown, taking a core from the kernel doing it.
        var statusOpen = true
        var buffer = [UInt8](repeating: 0, count: 65536)

        while initAlive {
            var fds = [pollfd(fd: child.pidfd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: statusOpen ? statusPipe : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signalPipe, events: Int16(POLLIN), revents: 0)]
            if let t = terminal, masterOpen {
                fds.append(pollfd(fd: t.master, events: Int16(POLLIN) | (pendingInput.isEmpty ? 0 : Int16(POLLOUT)), revents: 0))
            }
            if let w = watcher { fds.append(pollfd(fd: w.fd, events: Int16(POLLIN), revents: 0)) }
            for fd in egress.listeners { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if let t = terminal, let input = t.input, inputOpen, pendingInput.count < 65536 {
                fds.append(pollfd(fd: input, events: Int16(POLLIN), revents: 0))
            }
            guard (try? SystemCall.retrying("poll") { poll(&fds, nfds_t(fds.count), -1) }) != nil else { break }

            for p in fds where p.revents != 0 {
                switch p.fd {
                case statusPipe:
                    if let event = channels.readStatusEvent() {
                        if event.kind == IL_EVENT_EXITED.rawValue { waitStatus = event.status }
                        else if event.kind == IL_EVENT_STOPPED.rawValue { suspendWithSandbox() }
                    } else {
                        statusOpen = false
                    }
                case signalPipe:
                    relaySignals()
                case child.pidfd:
                    initAlive = false
                case watcher?.fd:
                    watcher?.drain()
                case _ where egress.listeners.contains(p.fd):
                    egress.startServing()
                default:
                    guard let t = terminal else { break }
                    if p.fd == t.master {
                        if p.revents & Int16(POLLOUT) != 0, !pendingInput.isEmpty {
                            let n = pendingInput.withUnsafeBytes { write(t.master, $0.baseAddress, $0.count) }
                            if n > 0 { pendingInput.removeFirst(n) }
                        }
                        if p.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                            masterOpen = drainMaster(t.master, into: &buffer)
                        }
                    } else if let input = t.input, p.fd == input {
                        do {
                            let n = try buffer.withUnsafeMutableBytes { raw throws(SystemCallError) in
                                try SystemCall.retryingUnlessWouldBlock("read") { read(input, raw.baseAddress, raw.count) }
                            }
                            if let n, n > 0 { pendingInput.append(contentsOf: prompt.consume(buffer[0..<n])) } else if n == 0 { inputOpen = false }
                        } catch {
                            inputOpen = false
                        }
                    }
                }
            }
        }
        // Init is gone, and with it every process of the sandbox: flush what they wrote.
        if let t = terminal, masterOpen { _ = drainMaster(t.master, into: &buffer) }
        while waitStatus == nil, let event = channels.readStatusEvent() {
            if event.kind == IL_EVENT_EXITED.rawValue { waitStatus = event.status }
        }
        let initStatus = child.reap()
        // Init died without reporting (killed from outside): report it as the signal it got.
        return ExitStatus.code(fromWaitStatus: waitStatus ?? initStatus)
    }

    private func relaySignals() {
        var signo: UInt8 = 0
        while read(signalPipe, &signo, 1) == 1 {
            switch Int32(signo) {
            case SIGWINCH: terminal?.syncSize()
            case SIGCONT:
                terminal?.enterRawMode()
                terminal?.syncSize()
                child.signal(SIGCONT)
            default: child.signal(Int32(signo))
            }
        }
    }

    /// Copies the sandbox terminal's output to the user's stdout; false once the PTY is closed.
    private func drainMaster(_ master: Int32, into buffer: inout [UInt8]) -> Bool {
        while true {
            let read: Int?
            do {
                read = try buffer.withUnsafeMutableBytes { raw throws(SystemCallError) in
                    try SystemCall.retryingUnlessWouldBlock("read") { Glibc.read(master, raw.baseAddress, raw.count) }
                }
            } catch {
                return false
            }
            guard let n = read else { return true }  // would block: drained, still open
            guard n > 0 else { return false }
            _ = buffer.withUnsafeBytes { FileIO.writeAll(1, UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }

    /// The command stopped (Ctrl-Z in the sandbox's terminal): give the user their terminal
    /// back and stop the supervisor too, so the user's shell sees the job stopped. `fg` sends
    /// SIGCONT, which the loop relays to the sandbox.
    private func suspendWithSandbox() {
        guard terminal?.input != nil else { return }
        terminal?.restore()
        kill(getpid(), SIGSTOP)
    }
}
