#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Hands out indices 0..<count in batches to concurrent workers.
final class WorkCounter: Sendable {
    private let next = Atomic<Int>(0)
    let count: Int
    let batch: Int

    init(count: Int, batch: Int) {
        self.count = count
        self.batch = batch
    }

    /// The next range to process, or nil when all are taken.
    func take() -> Range<Int>? {
        let start = next.wrappingAdd(batch, ordering: .relaxed).oldValue
        guard start < count else { return nil }
        return start..<min(start + batch, count)
    }
}
