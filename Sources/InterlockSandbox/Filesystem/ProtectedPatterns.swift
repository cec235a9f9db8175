#if canImport(Glibc)
import Glibc
#endif
import CInterlock

/// The protected list (`profiles/data/protected.toml`) applied at any depth of the workspace,
/// to paths that exist and to paths not yet created: `sub/.claude/settings.json`, `a/.envrc`,
/// and the hooks, config and info of every git directory (`sub/.git`, `.git/modules/NAME`,
/// `.git/worktrees/NAME`, and any directory git accepts as one: bare, or `--separate-git-dir`).
///
/// A git directory the run itself created (`git init`, `git clone`, `git submodule add`) may
/// receive what git writes there: its `config`, `info/exclude`, the `hooks` directory and its
/// `*.sample` files (git never runs those). Its config is then checked at the end of the run
/// (`WorkspaceSweep`). Its work tree may hold the list's other entries while the run lasts
/// (`git clone` checks out `.github/workflows`); the sweep quarantines all but `.gitmodules`.
/// "Created by the run" is the directory's birth time (statx) at or after the run started;
/// without a birth time it counts as existing, and those writes are refused.
public struct ProtectedPatterns: Sendable {
    /// Where a path sits in the protected list.
    enum Location: Equatable {
        /// `gitdir/part/rest…`, part one of `gitParts`.
        case git(gitdir: [String], part: String, rest: [String])
        /// The entry (`.claude/settings.json`) starts at component `index`.
        case entry(index: Int, path: String)
    }

    /// What a git directory holds that runs commands or picks what does.
    static let gitParts: Set<String> = ["hooks", "config", "config.worktree", "info"]
    /// Directories of a git directory that hold data only: nothing beneath is a part.
    static let gitData: Set<String> = ["refs", "logs", "objects", "lfs", "rr-cache"]
    /// Entries of the list that the git rule covers, at any depth.
    static let gitEntries: Set<String> = [".git/hooks", ".git/config", ".git/info/attributes"]
    /// `.interlock.toml` elsewhere than the workspace is the trust store's: an unapproved profile
    /// never runs (see ProfileTrust).
    static let rootOnly: Set<String> = [".interlock.toml"]

    public let workspace: String
    /// Workspace entries (not `~/…`, not `writable`, not unprotected), as components.
    let entries: [(components: [String], path: String, reason: String)]
    let gitReasons: [String: String]
    /// When the run started (CLOCK_REALTIME_COARSE, the clock file times come from).
    public let runStart: timespec

    public init(entries: [ProtectedPath], workspace: String, runStart: timespec) {
        self.workspace = workspace
        self.runStart = runStart
        let local = entries.filter { !$0.writable && !$0.path.hasPrefix("~") }
        self.entries = local.filter { !Self.gitEntries.contains($0.path) && !Self.rootOnly.contains($0.path) }
            .map { ($0.path.split(separator: "/").map(String.init), $0.path, $0.reason) }
        var reasons: [String: String] = [:]
        for entry in local where Self.gitEntries.contains(entry.path) {
            reasons[String(entry.path.split(separator: "/")[1])] = entry.reason
        }
        reasons["config.worktree"] = reasons["config"]
        gitReasons = reasons
    }

    var isEmpty: Bool { entries.isEmpty && gitReasons.isEmpty }

    public static func now() -> timespec {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &t)
        return t
    }

    /// The path's components below the workspace; nil outside it.
    func components(_ path: String) -> [String]? {
        guard PathResolution.contains(workspace, path) else { return nil }
        return path.dropFirst(workspace.count).split(separator: "/").map(String.init)
    }

    /// Where `c` (components below the workspace) falls in the list, and why it is protected.
    func locate(_ c: [String]) -> (location: Location, reason: String)? {
        if let g = c.lastIndex(of: ".git"), g + 1 < c.count {
            // `.git/PART`, or `.git/modules/NAME…/PART`, `.git/worktrees/NAME/PART`.
            var i = g + 1
            if c[i] == "modules" || c[i] == "worktrees" {
                i += 1
                while i < c.count, !Self.gitParts.contains(c[i]), !Self.gitData.contains(c[i]) { i += 1 }
            }
            if i < c.count, Self.gitParts.contains(c[i]), let reason = gitReasons[c[i]] {
                return (.git(gitdir: Array(c[..<i]), part: c[i], rest: Array(c[(i + 1)...])), reason)
            }
        }
        for entry in entries where entry.components.count <= c.count {
            let m = entry.components.count
            for k in 0...(c.count - m) where c[k..<(k + m)].elementsEqual(entry.components) {
                // Packages' own files: npm, pip and cargo never run them.
                if c[..<k].contains("node_modules") { continue }
                return (.entry(index: k, path: entry.path), entry.reason)
            }
        }
        return nil
    }

    /// A git directory not named `.git` (bare, or one a `.git` file or `--separate-git-dir`
    /// points to): the first component that is a part and whose parent git accepts as a git
    /// directory. Looks at the filesystem, so only for paths that name a part.
    func locateUnnamedGit(_ c: [String]) -> (location: Location, reason: String)? {
        for (i, part) in c.enumerated() where Self.gitParts.contains(part) {
            guard let reason = gitReasons[part], Self.isGitDirectory(workspace + "/" + c[..<i].joined(separator: "/")) else { continue }
            return (.git(gitdir: Array(c[..<i]), part: part, rest: Array(c[(i + 1)...])), reason)
        }
        return nil
    }

    /// HEAD with objects and refs, or with commondir (a worktree's): what git accepts.
    static func isGitDirectory(_ path: String) -> Bool {
        access(path + "/HEAD", F_OK) == 0
            && ((access(path + "/objects", F_OK) == 0 && access(path + "/refs", F_OK) == 0) || access(path + "/commondir", F_OK) == 0)
    }

    /// Why `syscall` writing `path` (absolute, resolved as CallerPath does) is refused; nil if it is not.
    func refusal(_ path: String, syscall: String) -> String? {
        guard let c = components(path), let (location, reason) = locate(c) ?? locateUnnamedGit(c) else { return nil }
        switch location {
        case .git(let gitdir, let part, let rest):
            if isNew(gitdir), Self.allowedInNewGitDirectory(part: part, rest: rest, syscall: syscall) { return nil }
        case .entry(let index, _):
            // A repository the run created (`git clone` checking out `.github/workflows`): its
            // work tree may hold them during the run; the sweep quarantines them at the end.
            if inNewRepository(Array(c[..<index])) { return nil }
        }
        return reason
    }

    /// Whether the nearest repository holding directory `c` (a `.git` in it or above it, in the
    /// workspace) was created during the run.
    func inNewRepository(_ c: [String]) -> Bool {
        for j in stride(from: c.count, through: 0, by: -1) {
            let dotGit = Array(c[..<j]) + [".git"]
            if access(workspace + "/" + dotGit.joined(separator: "/"), F_OK) == 0 { return isNew(dotGit) }
        }
        return false
    }

    /// What git itself writes into a git directory it creates. `hooks` and `info` themselves
    /// are made or removed as directories only: a symlink or a rename there would bring in
    /// hooks from elsewhere.
    static func allowedInNewGitDirectory(part: String, rest: [String], syscall: String) -> Bool {
        let directoryCall = ["mkdir", "mkdirat", "rmdir", "unlinkat"].contains(syscall)
        switch part {
        case "config": return rest.isEmpty
        case "info": return rest.isEmpty ? directoryCall : rest == ["exclude"]
        case "hooks": return rest.isEmpty ? directoryCall : rest.count == 1 && rest[0].hasSuffix(".sample")
        default: return false
        }
    }

    /// Whether the workspace path made of `c` was born during the run (statx birth time).
    func isNew(_ c: [String]) -> Bool {
        guard let born = Self.birthTime(workspace + "/" + c.joined(separator: "/")) else { return false }
        return !Self.earlier(born, than: runStart)
    }

    static func birthTime(_ path: String) -> timespec? {
        var sec: Int64 = 0, nsec: Int64 = 0
        guard il_birth_time(path, &sec, &nsec) == 0 else { return nil }
        return timespec(tv_sec: Int(sec), tv_nsec: Int(nsec))
    }

    static func earlier(_ a: timespec, than b: timespec) -> Bool {
        a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec)
    }
}
