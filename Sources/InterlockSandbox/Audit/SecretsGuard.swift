#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockSeccomp
import InterlockSecrets
import InterlockSystem
import Synchronization

/// Keeps the secrets view true for the whole run, not only at start (root-invoked runs).
///
/// The masks put over what discovery found at start cannot follow the host: a credential file
/// created by a CLI login, a masked file replaced by rename (which detaches its mask), a token
/// written into a clean file. So every mount of the sandbox that could reach a host file carries a
/// fanotify mount mark for permission events: each open and each read through it is held until
/// this guard has judged the file with discovery's own rules (`SecretJudge`) and answered; a file
/// discovery would hide now fails with EPERM and is recorded. A file judged clean gets an ignore
/// mark, so that its later opens and reads cost nothing, until the kernel drops that mark at the
/// file's next modification, from the host or from inside.
///
/// Runs on its own thread: a held opener waits for nothing else. Fails closed: if it cannot read
/// or answer its events, it stops the sandbox.
final class SecretsGuard: @unchecked Sendable {
    private let fd: Int32
    private let judge: SecretJudge
    private let sandbox: String
    private let log: AuditLog?
    private let stop: [Int32]
    private let fault: Bool
    private var threads: [pthread_t] = []
    private let stopping = Atomic<Bool>(false)
    /// The judge with the scan cache loaded, once the walk has loaded it.
    private let cachedJudge = Mutex<SecretJudge?>(nil)
    /// Files the walk ahead of the command marks at most: each ignore mark pins its inode in memory.
    static let premarkLimit = 100_000

    private struct State {
        /// Refused opens and reads per path (exact), and the first full record of each.
        var refusals: [String: Int] = [:]
        var samples: [String: AuditRecord] = [:]
        var failure: String?
    }
    private let state = Mutex(State())

    /// Why the guard stopped the sandbox, if it did.
    var failure: String? { state.withLock { $0.failure } }

    /// `fault`: test-only, the guard fails at the first file whose name holds
    /// `.interlock-guard-fault` (Tests/Adversarial).
    init(judge: SecretJudge, sandbox: String, log: AuditLog?, fault: Bool = false) throws(SystemCallError) {
        let fd = il_guard_open()
        guard fd >= 0 else { throw SystemCallError("start the secrets guard (fanotify permission events)") }
        var pipe: [Int32] = [-1, -1]
        guard il_pipe_cloexec(&pipe) == 0 else {
            close(fd)
            throw SystemCallError("start the secrets guard (its stop pipe)")
        }
        self.fd = fd
        self.judge = judge
        self.sandbox = sandbox
        self.log = log
        self.stop = pipe
        self.fault = fault
    }

    deinit {
        il_fanotify_close_deferred(fd)
        close(stop[0])
        close(stop[1])
    }

    /// Marks the mounts of the sandbox (`pid`) through which a path discovery could hide is
    /// reached (`SecretJudge.roots`: HOME, the workspace, the absolute rule locations): for each
    /// root, the mount it lies on and every mount below it. Other mounts (the read-only host root
    /// when HOME is elsewhere, /usr's files) carry no mark and pay nothing. Mounts in `skipping`
    /// (masks, the sandbox's own tmpfs and generated files) hold nothing of the host's.
    func watch(pid: pid_t, skipping: Set<String>) throws(SystemCallError) {
        guard let table = FileIO.read("/proc/\(pid)/mountinfo") else { throw SystemCallError("read the sandbox's mount table") }
        let points = table.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: false)
            return fields.count > 4 ? Self.unescape(fields[4]) : nil
        }
        func within(_ path: String, _ ancestor: String) -> Bool {
            ancestor == "/" || path == ancestor || path.hasPrefix(ancestor + "/")
        }
        var wanted = Set<String>()
        for root in judge.roots {
            if let holder = points.filter({ within(root, $0) }).max(by: { $0.count < $1.count }) { wanted.insert(holder) }
            wanted.formUnion(points.filter { within($0, root) })
        }
        for point in wanted.sorted() {
            if ["/proc", "/dev", "/sys"].contains(where: { within(point, $0) }) || skipping.contains(point) { continue }
            guard il_guard_mark_mount(fd, "/proc/\(pid)/root" + point) == 0 else {
                throw SystemCallError("watch the sandbox's mount \(point) for late credentials")
            }
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
    static func unescape(_ field: Substring) -> String {
        var bytes: [UInt8] = []
        let raw = Array(field.utf8)
        var i = 0
        while i < raw.count {
            if raw[i] == 0x5C, i + 3 < raw.count,
               let value = UInt8(String(decoding: raw[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                bytes.append(value)
                i += 4
            } else {
                bytes.append(raw[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Starts the answering thread, and a second one that judges the workspace's files ahead of
    /// the command so that its first open of each costs nothing. `onFailure` runs if the guard
    /// can no longer answer.
    func start(onFailure: @escaping @Sendable (String) -> Void) throws(SystemCallError) {
        try spawn { [self] in loop(onFailure: onFailure) }
        try spawn { [self] in premark() }
    }

    private func spawn(_ body: @escaping () -> Void) throws(SystemCallError) {
        let context = Unmanaged.passRetained(Body(body))
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context.toOpaque())
        guard rc == 0 else {
            context.release()
            throw SystemCallError("start a secrets guard thread", code: rc)
        }
        threads.append(tid)
    }

    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    /// Stops the threads (the walk at its next file), writes aggregate records, and returns the refusals per path (exact).
    func finish() -> [String: Int] {
        stopping.store(true, ordering: .relaxed)
        var byte: UInt8 = 0
        _ = write(stop[1], &byte, 1)
        for thread in threads { pthread_join(thread, nil) }
        threads = []
        return state.withLock { s in
            RefusalAggregates.write(counts: s.refusals, samples: s.samples, what: "refusals", to: log)
            s.samples = [:]
            return s.refusals
        }
    }

    private func loop(onFailure: @Sendable (String) -> Void) {
        // The scan cache is loaded once, by the walk, and used here once it is: the command's
        // first opens (its executable, its libraries) need no content and do not wait for it.
        var judge = judge
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: judge.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var events = [il_guard_event](repeating: il_guard_event(), count: 64)
        while true {
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stop[0], events: Int16(POLLIN), revents: 0)]
            do {
                try SystemCall.retrying("poll") { poll(&fds, 2, -1) }
            } catch {
                return fail("poll: \(error.reason)", onFailure)
            }
            if fds[1].revents != 0 { return }
            if judge.cacheLoaded == false, let loaded = cachedJudge.withLock({ $0 }) { judge = loaded }
            let n = events.withUnsafeMutableBufferPointer { il_guard_read(fd, $0.baseAddress, Int32($0.count)) }
            if n < 0 { return fail("read its events: \(String(cString: strerror(errno)))", onFailure) }
            for event in events.prefix(Int(n)) {
                if let problem = answer(event, judge: judge, buffer: buffer) {
                    // Whatever is left unanswered stays held: the sandbox is stopped first.
                    for rest in events.prefix(Int(n)) where rest.fd != event.fd { close(rest.fd) }
                    return fail(problem, onFailure)
                }
            }
        }
    }

    private func fail(_ problem: String, _ onFailure: @Sendable (String) -> Void) {
        let message = "the secrets guard failed (\(problem))"
        state.withLock { $0.failure = message }
        onFailure(message)
    }

    /// Judges and answers one held open or read; a problem that stops the guard, or nil.
    private func answer(_ event: il_guard_event, judge: SecretJudge, buffer: UnsafeMutableRawPointer) -> String? {
        var info = stat()
        guard fstat(event.fd, &info) == 0 else { return "fstat: \(String(cString: strerror(errno)))" }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            // Directories (names only), devices, pipes and sockets hold no file content.
            _ = il_guard_ignore(fd, event.fd, 1)
            return respond(event, allow: true)
        }
        var path = CallerPath.link("/proc/self/fd/\(event.fd)") ?? ""
        if path.hasSuffix(" (deleted)") { path.removeLast(" (deleted)".count) }
        if fault && path.contains(".interlock-guard-fault") { return "test fault" }
        if case .hidden(let rule) = judgeAndMark(event.fd, path: path, info: info, judge: judge, buffer: buffer) {
            record(event, path: path, rule: rule)
            return respond(event, allow: false)
        }
        return respond(event, allow: true)
    }

    private enum Outcome { case allowed, hidden(String) }

    /// Judges the regular file open as `fd`, and gives it an ignore mark if it may be read and
    /// stayed unchanged while it was judged. The mark is added before the check: a change after
    /// the mark drops the mark, a change before it shows in ctime (which the judge's fstat
    /// queried, so the next change moves it).
    private func judgeAndMark(_ file: Int32, path: String, info: stat, judge: SecretJudge,
                              buffer: UnsafeMutableRawPointer) -> Outcome {
        var info = info
        for _ in 0..<4 {
            _ = lseek(file, 0, SEEK_SET)
            let verdict = judge.verdict(path: path, fd: file, size: Int(info.st_size), buffer: buffer)
            if case .hidden(let rule, _) = verdict { return .hidden(rule) }
            guard Self.settled(info), il_guard_ignore(fd, file, 1) == 0 else { return .allowed }
            var now = stat()
            guard fstat(file, &now) == 0 else { _ = il_guard_ignore(fd, file, 0); return .allowed }
            if now.st_size == info.st_size && now.st_ctim.tv_sec == info.st_ctim.tv_sec
                && now.st_ctim.tv_nsec == info.st_ctim.tv_nsec {
                return .allowed
            }
            _ = il_guard_ignore(fd, file, 0)
            info = now
        }
        // Still changing after a few looks: allowed as last judged, without an ignore mark, so
        // that every later open and read is judged again.
        return .allowed
    }

    /// Walks the workspace ahead of the command (host paths: no events), judging each regular
    /// file from the scan cache where it can and marking the clean ones.
    private func premark() {
        // Opportunistic: it starts once the command has run for a tenth of a second (short
        // commands, `git status`, open few files and would only pay for the walk) and runs on CPU
        // time the command leaves idle. A file it has not reached is judged when opened.
        var stopped = pollfd(fd: stop[0], events: Int16(POLLIN), revents: 0)
        if poll(&stopped, 1, 100) != 0 { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)  // 0: this thread, on Linux
        let judge = judge.loadingCache()
        cachedJudge.withLock { $0 = judge }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: judge.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var stack = [judge.workspace]
        var marked = 0
        while let directory = stack.popLast(), marked < Self.premarkLimit, !stopping.load(ordering: .relaxed) {
            let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard dfd >= 0 else { continue }
            guard let dir = fdopendir(dfd) else { close(dfd); continue }
            defer { closedir(dir) }
            // Depth first in directory order, as find, tar and most tools walk: the command then
            // mostly meets files already judged rather than racing the walk from the other end.
            var subdirectories: [String] = []
            defer { stack += subdirectories.reversed() }
            while let entry = readdir(dir), !stopping.load(ordering: .relaxed) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                if name == "." || name == ".." { continue }
                let type = entry.pointee.d_type
                if type == UInt8(DT_DIR) { subdirectories.append(directory + "/" + name); continue }
                guard type == UInt8(DT_REG) || type == UInt8(DT_UNKNOWN) else { continue }
                if premark(name, in: dfd, path: directory + "/" + name, judge: judge, buffer: buffer) { marked += 1 }
            }
        }
    }

    /// One file of the walk: judged by its stat (opened only when the scan cache cannot answer
    /// for its content), then marked by name and checked to be the same unchanged inode.
    private func premark(_ name: String, in directory: Int32, path: String, judge: SecretJudge,
                         buffer: UnsafeMutableRawPointer) -> Bool {
        var info = stat()
        guard fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return false }
        var opened: Int32 = -1
        defer { if opened >= 0 { close(opened) } }
        let verdict = judge.verdict(path: path, info: info, buffer: buffer) {
            opened = openat(directory, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
            var now = stat()
            guard opened >= 0, fstat(opened, &now) == 0, now.st_ino == info.st_ino, now.st_dev == info.st_dev else { return nil }
            return opened
        }
        if case .hidden = verdict { return false }
        guard Self.settled(info), il_guard_ignore_at(fd, directory, name, 1) == 0 else { return false }
        var now = stat()
        if fstatat(directory, name, &now, AT_SYMLINK_NOFOLLOW) == 0, now.st_ino == info.st_ino, now.st_dev == info.st_dev,
           now.st_size == info.st_size, now.st_ctim.tv_sec == info.st_ctim.tv_sec, now.st_ctim.tv_nsec == info.st_ctim.tv_nsec {
            return true
        }
        // Changed or replaced meanwhile: left to the held open, which judges it then.
        _ = il_guard_ignore_at(fd, directory, name, 0)
        return false
    }

    /// Whether a file last changed long enough ago to be given an ignore mark. A write updates
    /// ctime before it copies its data and drops ignore marks only after: a file changed within
    /// the last second may be in the middle of a write, so it is judged again at every open and
    /// read until it settles.
    static func settled(_ info: stat) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) - Int64(info.st_ctim.tv_sec) >= 2
    }

    private func respond(_ event: il_guard_event, allow: Bool) -> String? {
        il_guard_answer(fd, event.fd, allow ? 1 : 0) == 0 ? nil : "answer: \(String(cString: strerror(errno)))"
    }

    private func record(_ event: il_guard_event, path: String, rule: String) {
        let pid = event.pid
        // The opener is held until answered: who it is can be read now.
        let exe = pid > 0 ? ProcessInfo.exe(pid) : nil, argv = pid > 0 ? ProcessInfo.argv(pid) : nil
        let what = event.read != 0 ? "read" : "open"
        let record = AuditRecord(sandbox: sandbox, kind: .file, action: "deny", pid: pid > 0 ? pid : nil, exe: exe, argv: argv,
                                 rule: "secrets: " + rule, detail: [
                                     ("path", .string(path)),
                                     ("call", .string(what)),
                                     ("late", .bool(true)),
                                     ("why", .string("discovery hides it now: it appeared, was replaced or changed after the run started")),
                                 ])
        let full = state.withLock { s -> Bool in
            s.refusals[path, default: 0] += 1
            if s.samples[path] == nil { s.samples[path] = record }
            return s.refusals[path, default: 0] <= SyscallAuditor.fullRecords
        }
        if full { log?.append(record) }
    }
}

extension SecretsGuard {
    /// CLONE_NEWNS | CLONE_NEWUSER (not exported by Swift's Glibc module).
    static let newMountNamespace: UInt64 = 0x0002_0000 | 0x1000_0000

    /// The guard for a run whose supervisor may hold opens (root-invoked) and whose profile
    /// discovers secrets; nil otherwise. A run that should have one and cannot start it does not run.
    /// `fault` (INTERLOCK_TEST_FAULT): `no-secrets-guard` leaves it off, said on stderr, so that
    /// `make bench` can measure its cost; `secrets-guard` makes it fail (see init).
    static func forRun(plan: LaunchPlan, runID: String, log: AuditLog?, fault: String?) throws(LaunchError) -> SecretsGuard? {
        guard let judge = plan.secretsJudge, plan.identity.privileged else { return nil }
        if fault == "no-secrets-guard" {
            var line = "interlock: INTERLOCK_TEST_FAULT=no-secrets-guard: the secrets view is fixed at start for this run\n"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
            return nil
        }
        // A mount namespace made inside copies the mounts without their marks. A profile that grants
        // that (or learn mode, which lets refused calls run) chose it: said at start, never silent.
        let grants = ["unshare", "clone"].filter { call in
            if case .allowed = plan.syscallRules.evaluate(syscall: call, arguments: [newMountNamespace, 0, 0, 0, 0, 0]) {
                return true
            }
            return plan.syscallRules.mode == .learn
        }
        if let call = grants.first {
            var line = "interlock: warning: this run lets the sandbox create mount namespaces (\(call)\(plan.syscallRules.mode == .learn ? ", learn mode" : "")); "
                + "files opened inside one are judged against the secrets view of the start only\n"
            line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        }
        do {
            return try SecretsGuard(judge: judge, sandbox: runID, log: log, fault: fault == "secrets-guard")
        } catch {
            throw .setup("\(error): credentials that appear on the host during the run could not be kept hidden. "
                         + "The kernel needs fanotify permission events (CONFIG_FANOTIFY_ACCESS_PERMISSIONS); "
                         + "see `interlock doctor`")
        }
    }
}
