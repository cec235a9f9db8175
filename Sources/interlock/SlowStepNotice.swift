import Dispatch
import Synchronization

/// On a terminal, a line saying what Interlock is doing when a start-up step (the first secrets
/// scan of a large HOME or workspace) takes longer than `delay`; nothing when it is quick.
final class SlowStepNotice: Sendable {
    private let state = Mutex<(finished: Bool, shown: Bool)>((false, false))

    init(after delay: Double, _ message: String) {
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
            let show = state.withLock { s in
                if s.finished { return false }
                s.shown = true
                return true
            }
            if show { Shell.printError(message) }
        }
    }

    /// Ends the notice; `done` is printed only if the notice was.
    func finish(_ done: @autoclosure () -> String) {
        let shown = state.withLock { s in
            s.finished = true
            return s.shown
        }
        if shown { Shell.printError(done()) }
    }
}
