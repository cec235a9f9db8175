#if canImport(Glibc)
import Glibc
#endif
import InterlockSandbox
import InterlockSecrets

/// Work a sandboxed run will need, started on other threads the moment `main` knows it is a
/// run, so that it overlaps argument parsing and profile loading (2 cores are the norm).
enum Prewarm {
    static func start() {
        // The cgroup v1 migration lock's grace period (see CgroupHost).
        CgroupHost.startWarmingMigrations()
        // The built-in secret rules, parsed once per process (a few ms of TOML).
        detached { _ = SecretRuleSet.builtin }
    }

    private static func detached(_ work: @escaping @Sendable () -> Void) {
        final class Box: @unchecked Sendable { let work: @Sendable () -> Void; init(_ w: @escaping @Sendable () -> Void) { work = w } }
        var tid = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let box = Unmanaged.passRetained(Box(work)).toOpaque()
        if pthread_create(&tid, &attributes, { context in
            guard let context else { return nil }
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().work()
            return nil
        }, box) != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
        }
        pthread_attr_destroy(&attributes)
    }
}
