#if canImport(Glibc)
import Glibc
#endif
import CInterlock

/// The sandbox's own pseudo-terminal, relayed by the supervisor.
///
/// The command never holds the user's terminal: whatever it does with TIOCSTI or TIOCLINUX
/// reaches only this PTY, never the user's shell. Because it is a real terminal of its own
/// (the worker's controlling tty, in its own session), job control, Ctrl-C, raw mode and
/// resizes work as they do outside.
final class TerminalRelay {
    let master: Int32
    private(set) var slave: Int32
    /// The user's terminal we read keys from (stdin), if it is one.
    let input: Int32?
    /// Where the terminal size comes from.
    private let sizeSource: Int32
    private var saved: termios?

    /// A relay if any of stdin, stdout, stderr is a terminal; nil otherwise.
    init?() throws {
        let ttys = (0..<3).filter { isatty(Int32($0)) == 1 }.map { Int32($0) }
        guard let first = ttys.first else { return nil }
        var m: Int32 = -1, s: Int32 = -1
        guard il_open_pty(&m, &s) == 0 else { throw SystemCallError("open a pseudo-terminal") }
        master = m
        slave = s
        sizeSource = first
        input = isatty(0) == 1 ? 0 : nil
        // The sandbox's terminal starts with the user's settings (echo, erase, signals).
        var attrs = termios()
        if tcgetattr(first, &attrs) == 0 { tcsetattr(slave, TCSANOW, &attrs) }
        syncSize()
        let flags = fcntl(master, F_GETFL)
        _ = fcntl(master, F_SETFL, flags | O_NONBLOCK)
    }

    /// The fds the worker gets as 0, 1, 2: the PTY where the user's fd is a terminal.
    var sandboxStdio: [Int32] { (0..<3).map { isatty(Int32($0)) == 1 ? slave : Int32($0) } }

    func closeSlave() {
        if slave >= 0 { close(slave); slave = -1 }
    }

    /// Keys go to the sandbox's terminal untouched: its line discipline, not the user's,
    /// turns ^C into SIGINT for the sandbox's foreground job.
    func enterRawMode() {
        guard let input else { return }
        var attrs = termios()
        guard tcgetattr(input, &attrs) == 0 else { return }
        if saved == nil { saved = attrs }
        cfmakeraw(&attrs)
        tcsetattr(input, TCSADRAIN, &attrs)
    }

    func restore() {
        guard let input, var attrs = saved else { return }
        tcsetattr(input, TCSADRAIN, &attrs)
    }

    func syncSize() {
        _ = il_copy_winsize(sizeSource, master)
    }

    deinit {
        restore()
        closeSlave()
        close(master)
    }
}
