#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockProfile
import InterlockSystem

/// `interlock doctor`: the kernel features a sandbox relies on, probed for real, and which of
/// them the given policy requires.
public struct HostReport: Sendable {
    public struct Check: Sendable {
        public var name: String
        public var ok: Bool
        public var required: Bool
        public var detail: String
    }

    public var checks: [Check]

    public static func probe(policy: Policy) -> HostReport {
        var checks: [Check] = []
        let userns = il_probe_userns() == 0
        checks.append(Check(name: "user namespaces", ok: userns, required: true,
                            detail: userns ? "can create (max \(FileIO.read("/proc/sys/user/max_user_namespaces")?.trimmed ?? "?"))" : "cannot create a user namespace: \(String(cString: strerror(errno)))"))
        let seccompActions = FileIO.read("/proc/sys/kernel/seccomp/actions_avail")?.trimmed
        checks.append(Check(name: "seccomp filter", ok: seccompActions != nil, required: true,
                            detail: seccompActions.map { "actions: \($0)" } ?? "no seccomp in this kernel"))
        let notify = il_seccomp_user_notif_available() == 1
        checks.append(Check(name: "seccomp user notif", ok: notify, required: false,
                            detail: notify ? "available (audit of blocked syscalls)" : "not available"))
        var notificationOnly: Int32 = 0
        let fan = il_fanotify_open(&notificationOnly)
        if fan >= 0 { close(fan) }
        checks.append(Check(name: "fanotify", ok: fan >= 0, required: false,
                            detail: fan < 0 ? "not available: hidden paths stay hidden, but opens of them are not recorded"
                                : notificationOnly == 0 ? "permission events: every open of a hidden path is recorded with its process"
                                : "notifications: every open of a hidden path is recorded; the kernel names the opening process only to root, so records name it when it still holds the file"))
        checks.append(Self.liveSecretsCheck(discover: policy.secrets.discover))
        let landlock = il_landlock_abi()
        checks.append(Check(name: "landlock", ok: landlock > 0, required: false,
                            detail: landlock > 0 ? "ABI \(landlock)" : "not available"))
        let idmap = access("/proc/self/ns/user", F_OK) == 0  // idmapped mounts need 5.12+; probed at launch
        checks.append(Check(name: "idmapped mounts", ok: idmap, required: geteuid() == 0,
                            detail: geteuid() == 0 ? "needed: root-invoked sandboxes run as an unprivileged uid" : "not needed for unprivileged callers"))

        let cgroups = CgroupHost.detect()
        let v2List = cgroups.v2Controllers.sorted().joined(separator: " ")
        let version: String
        switch (cgroups.v2 != nil, cgroups.v1.isEmpty) {
        case (true, true): version = "v2 (controllers: \(v2List))"
        case (true, false): version = "hybrid: v1 controllers (\(cgroups.v1.keys.sorted().joined(separator: " "))), v2 with [\(v2List)]"
        case (false, false): version = "v1 (\(cgroups.v1.keys.sorted().joined(separator: " ")))"
        case (false, true): version = "none"
        }
        checks.append(Check(name: "cgroups", ok: version != "none", required: false, detail: version))
        let l = policy.limits
        let wanted: [(String, String, Bool)] = [("memory", "memory", l.memory != nil), ("pids", "pids", l.pids != nil), ("cpu", "cpu", l.cpu != nil)]
        for (key, controller, set) in wanted {
            let m = cgroups.mechanism(for: controller)
            let detail: String
            switch m {
            case .v2, .v1: detail = "\(m.rawValue)" + (set ? "" : " (not set by the profile)")
            case .rlimit: detail = "rlimit fallback (\(controller == "memory" ? "RLIMIT_AS: per process, not the whole sandbox" : "RLIMIT_NPROC: counts all of this user's processes"))"
            case .unavailable: detail = "no mechanism: a profile that sets it cannot run here"
            }
            checks.append(Check(name: "limits.\(key)", ok: m != .unavailable || !set, required: set, detail: detail))
        }
        checks.append(Check(name: "limits.open_files", ok: true, required: l.openFiles != nil, detail: "rlimit (RLIMIT_NOFILE)"))
        let nftPaths: [String] = ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"]
        let nft = nftPaths.contains { (path: String) in access(path, X_OK) == 0 }
        checks.append(Check(name: "nftables", ok: nft, required: false, detail: nft ? "nft present" : "nft not installed (not needed: the sandbox has no route out)"))
        return HostReport(checks: checks)
    }

    public func json() -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        }
        let items = checks.map { "{\"name\":\"\(esc($0.name))\",\"ok\":\($0.ok),\"required\":\($0.required),\"detail\":\"\(esc($0.detail))\"}" }
        return "[" + items.joined(separator: ",") + "]"
    }
}

extension String {
    var trimmed: String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}

extension HostReport {
    /// Unprivileged runs' residual risk, in the words `doctor` and the run banner use.
    public static let startTimeOnlySecrets = "fixed at start: this run is unprivileged, and the kernel holds opens for a "
        + "supervisor only with CAP_SYS_ADMIN (fanotify permission events), so a credential that appears on the host during "
        + "the run (a CLI login, a file renamed over a hidden one, a token written into a file) is readable inside until the "
        + "next run; run Interlock as root (sudo) to keep the view current"

    static func liveSecretsCheck(discover: Bool) -> Check {
        guard discover else {
            return Check(name: "live secrets view", ok: true, required: false, detail: "secret discovery is off in this profile")
        }
        guard geteuid() == 0 else {
            return Check(name: "live secrets view", ok: false, required: false, detail: startTimeOnlySecrets)
        }
        let fan = il_guard_open()
        let detail = fan >= 0
            ? "kept current for the whole run: every open and read through the sandbox is judged against the secret rules"
            : "cannot hold opens (fanotify permission events: \(String(cString: strerror(errno)))): root-invoked runs refuse to start; "
              + "the kernel needs CONFIG_FANOTIFY_ACCESS_PERMISSIONS, or set [secrets] discover = false"
        if fan >= 0 { close(fan) }
        return Check(name: "live secrets view", ok: fan >= 0, required: true, detail: detail)
    }
}
