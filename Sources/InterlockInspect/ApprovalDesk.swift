import NIOCore
import Synchronization

/// Requests held for a human (`action = "ask"`): each gets an id (`RUN-N`), waits for
/// `decide` (from `interlock approve|deny`, through `ApprovalServer`) or the timeout (refused).
public final class ApprovalDesk: Sendable {
    public struct Verdict: Sendable {
        public var approved: Bool
        /// `uid 1000 (pid 4242) via interlock approve`, `timeout after 120 s`.
        public var decidedBy: String
    }

    public struct Held: Sendable {
        public var id: String
        public var summary: String
    }

    private struct Entry {
        var summary: String
        var promise: EventLoopPromise<Verdict>
        var timer: Scheduled<Void>?
    }

    public let runID: String
    private let state = Mutex<(next: Int, entries: [String: Entry], order: [String])>((1, [:], []))
    /// Told about each held request (the supervisor prints how to answer it).
    private let notice: @Sendable (Held, Int) -> Void

    public init(runID: String, notice: @escaping @Sendable (Held, Int) -> Void) {
        self.runID = runID
        self.notice = notice
    }

    /// Holds a request; the future completes on `loop` with the verdict.
    func hold(summary: String, timeoutSeconds: Int, on loop: EventLoop) -> (String, EventLoopFuture<Verdict>) {
        let promise = loop.makePromise(of: Verdict.self)
        let id: String = state.withLock { state in
            let id = "\(runID)-\(state.next)"
            state.next += 1
            state.entries[id] = Entry(summary: summary, promise: promise, timer: nil)
            state.order.append(id)
            return id
        }
        let timer = loop.scheduleTask(in: .seconds(Int64(timeoutSeconds))) { [weak self] in
            _ = self?.decide(id: id, approved: false, by: "timeout after \(timeoutSeconds) s")
        }
        state.withLock { $0.entries[id]?.timer = timer }
        notice(Held(id: id, summary: summary), timeoutSeconds)
        return (id, promise.futureResult)
    }

    /// Answers a held request. False if no such request is waiting (answered, timed out, unknown).
    @discardableResult
    public func decide(id: String, approved: Bool, by: String) -> Bool {
        let entry: Entry? = state.withLock { state in
            state.order.removeAll { $0 == id }
            return state.entries.removeValue(forKey: id)
        }
        guard let entry else { return false }
        entry.timer?.cancel()
        entry.promise.succeed(Verdict(approved: approved, decidedBy: by))
        return true
    }

    public var pending: [Held] {
        state.withLock { state in state.order.compactMap { id in state.entries[id].map { Held(id: id, summary: $0.summary) } } }
    }

    /// Refuses everything still waiting (the run is ending).
    public func refuseAll(by: String) {
        for held in pending { decide(id: held.id, approved: false, by: by) }
    }
}
