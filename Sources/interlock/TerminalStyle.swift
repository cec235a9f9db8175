#if canImport(Glibc)
import Glibc
#endif

/// Colour only on a terminal, and never with NO_COLOR set.
struct TerminalStyle {
    let enabled: Bool
    init(fd: Int32) {
        enabled = isatty(fd) == 1 && getenv("NO_COLOR") == nil
    }
    func wrap(_ s: String, _ code: String) -> String { enabled ? "\u{1b}[\(code)m\(s)\u{1b}[0m" : s }
    func bold(_ s: String) -> String { wrap(s, "1") }
    func red(_ s: String) -> String { wrap(s, "31") }
    func dim(_ s: String) -> String { wrap(s, "2") }
}
