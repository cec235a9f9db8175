#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// `INTERLOCK_TRACE_STARTUP=1`: prints how long each launch step took, so the slow step is
/// visible (the benchmark reads it).
public enum StartupTrace {
    private static let enabled = getenv("INTERLOCK_TRACE_STARTUP") != nil
    /// Test-only (`INTERLOCK_TEST_STOP_AT=STEP`): the supervisor stops itself (SIGSTOP) right
    /// after the step whose name starts with STEP, so a test can kill it in that phase
    /// (Tests/Adversarial/test_faults.py). Read from the supervisor's own environment; the
    /// sandbox never gets INTERLOCK_TEST_* variables, and it only ever stops this process.
    private static let stopAt: String? = getenv("INTERLOCK_TEST_STOP_AT").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    private static let last = Mutex<Double>(processStart())

    /// The process's start, from /proc/self/stat, as CLOCK_MONOTONIC seconds.
    private static func processStart() -> Double {
        guard let ticks = ProcessStart.ticks() else { return now() }
        return Double(ticks) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static func mark(_ step: String) {
        if let stopAt, step.hasPrefix(stopAt) { raise(SIGSTOP) }
        guard enabled else { return }
        let t = now()
        let elapsed = last.withLock { previous -> Double in
            defer { previous = t }
            return t - previous
        }
        var line = "interlock-trace: \(step): \(Int((elapsed * 1e6).rounded())) µs\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
