#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// Runs `body(worker)` on `workers` threads (the calling one included) and waits for all.
enum Parallel {
    private final class Start: @unchecked Sendable {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func run(workers: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard workers > 1 else {
            body(0)
            return
        }
        var threads: [pthread_t] = []
        for worker in 1..<workers {
            let start = Unmanaged.passRetained(Start { body(worker) }).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { raw in
                let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
                start.body()
                return nil
            }, start)
            if status == 0 {
                threads.append(thread)
            } else {
                Unmanaged<Start>.fromOpaque(start).release()
                body(worker)  // no thread: do its share here
            }
        }
        body(0)
        for thread in threads { pthread_join(thread, nil) }
    }
}
