#if canImport(Glibc)
import Glibc
#endif
import InterlockInspect
import Synchronization

/// Held requests asked at the supervisor's terminal: while one is waiting, the keys the user
/// types go to the prompt (y: approve, n or Enter: refuse), not to the sandbox. The sandbox has
/// its own terminal and cannot write to this one's input; `interlock approve|deny` from another
/// terminal answers the same requests.
final class TerminalPrompt: Sendable {
    private let waiting = Mutex<[ApprovalDesk.Held]>([])
    private let desk = Mutex<ApprovalDesk?>(nil)

    func attach(_ desk: ApprovalDesk) { self.desk.withLock { $0 = desk } }

    /// From the desk's notice (any thread).
    func ask(_ held: ApprovalDesk.Held, timeout: Int) {
        let first = waiting.withLock { queue -> Bool in
            queue.append(held)
            return queue.count == 1
        }
        Self.say("held for approval: \(held.summary)\r\ninterlock:   here: y approves, n refuses (refused in \(timeout) s); "
                 + "elsewhere: interlock approve \(held.id) | interlock deny \(held.id)")
        if first { Self.say("approve \(held.id)? [y/N] ", newline: false) }
    }

    /// Takes the keys meant for a prompt; returns the rest (for the sandbox).
    func consume(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var rest = bytes
        while let byte = rest.first {
            let current: ApprovalDesk.Held? = waiting.withLock { queue in
                let live = desk.withLock { $0?.pending.map(\.id) } ?? []
                queue.removeAll { !live.contains($0.id) }
                return queue.first
            }
            guard let current else { return rest }
            rest = rest.dropFirst()
            let approve: Bool
            switch byte {
            case UInt8(ascii: "y"), UInt8(ascii: "Y"): approve = true
            case UInt8(ascii: "n"), UInt8(ascii: "N"), 0x0D, 0x0A: approve = false
            default: continue
            }
            let decided = desk.withLock { $0 }?.decide(id: current.id, approved: approve, by: "the supervisor's terminal (uid \(getuid()))") ?? false
            let next: ApprovalDesk.Held? = waiting.withLock { queue in
                queue.removeAll { $0.id == current.id }
                return queue.first
            }
            Self.say(decided ? (approve ? "y — approved" : "n — refused") : "already decided", prefix: false)
            if let next { Self.say("approve \(next.id)? [y/N] ", newline: false) }
        }
        return rest
    }

    var isWaiting: Bool { waiting.withLock { !$0.isEmpty } }

    private static func say(_ text: String, newline: Bool = true, prefix: Bool = true) {
        var line = (prefix ? "\r\ninterlock: " : "") + text + (newline ? "\r\n" : "")
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
