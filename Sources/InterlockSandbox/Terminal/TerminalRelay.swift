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
    /// The user's terminal we read keys from (stdin), if it is one.
    let input: Int32?
    /// Where the terminal size comes from.
    private let sizeSource: Int32
    private var saved: termios?

    /// Whether the sandbox gets a terminal: any of stdin, stdout, stderr is one.
    static var wanted: Bool { (0..<3).contains { isatty(Int32($0)) == 1 } }

    /// The worker's 0, 1, 2: -1 (the sandbox's terminal) where the user's fd is a terminal.
    static var sandboxStdio: [Int32] { (0..<3).map { isatty(Int32($0)) == 1 ? -1 : Int32($0) } }

    /// Takes the master of the PTY the sandbox opened in its own devpts.
    init(master: Int32) {
        self.master = master
        let ttys = (0..<3).filter { isatty(Int32($0)) == 1 }.map { Int32($0) }
        sizeSource = ttys.first ?? 0
        input = isatty(0) == 1 ? 0 : nil
        // The sandbox's terminal starts with the user's settings (echo, erase, signals).
        var attrs = termios()
        if tcgetattr(sizeSource, &attrs) == 0 {
            // Without a terminal on stdin the user's terminal stays in its own mode and does its
            // own output processing: the sandbox's must not add a second \r to every \n.
            if input == nil { attrs.c_oflag &= ~tcflag_t(OPOST) }
            tcsetattr(master, TCSANOW, &attrs)
        }
        syncSize()
        let flags = fcntl(master, F_GETFL)
        _ = fcntl(master, F_SETFL, flags | O_NONBLOCK)
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
        close(master)
    }
}
