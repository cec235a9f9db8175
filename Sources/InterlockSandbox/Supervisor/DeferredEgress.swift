#if canImport(Glibc)
import Glibc
#endif
import InterlockEgress

/// The egress proxy, started when the sandbox first uses the network. Most commands an agent
/// runs (ls, grep, a compiler, git status) never do, and starting and stopping the proxy's
/// threads costs milliseconds of every run. The listeners already exist inside the sandbox's
/// network namespace, so a first connection (or DNS query) simply waits in their queue until the
/// supervisor, which polls them, has started the proxy.
///
/// Fail closed: a proxy that cannot start closes the listeners (the sandbox has no network) and
/// the run says so, as when the proxy dies mid-run.
final class DeferredEgress {
    private let proxy: EgressProxy
    private let start: (EgressProxy) throws -> Void
    /// Polled until the proxy runs; empty afterwards.
    private(set) var listeners: [Int32]
    private(set) var started = false

    /// `proxy` is built (and its configuration checked) now; `start` adopts the listeners.
    init(proxy: EgressProxy, listeners: [Int32], start: @escaping (EgressProxy) throws -> Void) {
        self.proxy = proxy
        self.listeners = listeners
        self.start = start
        proxy.whenStopped { reason in
            guard let reason else { return }
            Self.say("the egress proxy stopped (\(reason)): the sandbox has no network any more")
        }
    }

    /// A listener became readable: start serving.
    func startServing() {
        guard !started else { return }
        started = true
        let fds = listeners
        listeners = []
        do {
            try start(proxy)
            StartupTrace.mark("egress proxy started (first use of the network)")
        } catch {
            for fd in fds { close(fd) }
            Self.say("the egress proxy could not start (\(error)): the sandbox has no network")
        }
    }

    func shutdown() {
        if started {
            proxy.shutdown()
        } else {
            for fd in listeners { close(fd) }
            listeners = []
            proxy.shutdown()
        }
    }

    private static func say(_ message: String) {
        var line = "interlock: \(message)\n"
        line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    }
}
