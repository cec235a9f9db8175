#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSystem

/// The filesystem view of a sandbox, as an ordered list of mounts over a read-only host root.
/// Built from the policy's paths, every one resolved on the host (symlinks included) before
/// launch; the C side then opens each path again without following symlinks.
public struct MountPlan: Sendable, Equatable {
    public enum Kind: Int32, Sendable {
        case bindReadOnly = 1, bindReadWrite = 2, preparedReadWrite = 3, tmpfs = 4, hideFile = 5, hideDirectory = 6
        case preparedReadOnly = 7
        /// A read-only file whose content is `source` (resolv.conf).
        case generatedFile = 8
        /// Prepared by the supervisor as an idmapped mount fd (root-invoked runs).
        public var isPrepared: Bool { self == .preparedReadWrite || self == .preparedReadOnly }
        /// Masks, tmpfs and generated files: made by the sandbox, never showing a host file.
        public var holdsNothingOfTheHost: Bool {
            self == .tmpfs || self == .hideFile || self == .hideDirectory || self == .generatedFile
        }
    }

    public struct Step: Sendable, Equatable {
        public var kind: Kind
        /// Host path (binds); nil for tmpfs and masks.
        public var source: String?
        /// Path inside the sandbox (the same as on the host: views never move paths).
        public var target: String
        /// Profile key that asked for it, for messages.
        public var origin: String
        /// A hidden directory's entries, recreated empty inside its mask ("d:sub", "f:sub/file"),
        /// so that reaching for one is an open of a watched inode, not a silent ENOENT.
        public var children: [String] = []
    }

    public var steps: [Step]
    public var workspace: String
    /// Protected paths made read-only, and absent ones watched for creation during the run.
    public var protected: [Protection] = []
    public var watched: [Protection] = []
    /// The protected list less the project's `unprotect`: applied at any depth (ProtectedPatterns).
    public var protectedList: [ProtectedPath] = []

    /// Paths masked by this plan (for the run summary and `profile show`).
    public var hiddenPaths: [String] {
        steps.filter { $0.kind == .hideFile || $0.kind == .hideDirectory }.map(\.target)
    }
}

extension MountPlan {
    /// Builds the plan for `policy` with `workspace` (a real path) read-write.
    /// `privileged` (root-invoked runs, whose sandbox uid is an unprivileged host uid): binds
    /// are idmapped mounts the supervisor prepares (on-disk owner <-> the sandbox uid), and any
    /// directory above a mount that the sandbox uid could not traverse is replaced by an empty
    /// tmpfs holding just the path to that mount (nothing else under it was reachable anyway).
    public static func build(policy: Policy, workspace: String, home: String, privileged: Bool,
                             protectedPaths: [ProtectedPath] = ProtectedPath.builtin,
                             extraMasks: [Step] = []) throws(LaunchError) -> MountPlan {
        var steps: [Step] = []
        let fs = policy.filesystem
        let writableKind: Kind = privileged ? .preparedReadWrite : .bindReadWrite
        let readOnlyKind: Kind = privileged ? .preparedReadOnly : .bindReadOnly

        // The workspace itself: writable unless the profile lists "." as read-only.
        if !fs.readOnly.contains(".") {
            steps.append(Step(kind: writableKind, source: workspace, target: workspace, origin: "workspace"))
        }

        func existing(_ raw: String, key: String) throws(LaunchError) -> String {
            let (absolute, real) = PathResolution.resolve(raw, workspace: workspace, home: home)
            guard let real else { throw .invalid("filesystem.\(key): '\(raw)' (\(absolute)) does not exist") }
            if PathResolution.isWorkspaceRelative(raw) && !PathResolution.contains(workspace, real) {
                throw .invalid("filesystem.\(key): '\(raw)' resolves to '\(real)', outside the workspace \(workspace) (a symlink?); refusing to mount it")
            }
            return real
        }

        for raw in fs.readOnly {
            let real = try existing(raw, key: "read_only")
            steps.append(Step(kind: readOnlyKind, source: real, target: real, origin: "filesystem.read_only"))
        }
        for raw in fs.readWrite where raw != "." {
            let real = try existing(raw, key: "read_write")
            steps.append(Step(kind: writableKind, source: real, target: real, origin: "filesystem.read_write"))
        }
        // A private /tmp is part of every sandbox, whatever the profile lists.
        for raw in ["/tmp"] + fs.tmpfs {
            let (absolute, real) = PathResolution.resolve(raw, workspace: workspace, home: home)
            if let real, !PathResolution.isDirectory(real) {
                throw .invalid("filesystem.tmpfs: '\(raw)' (\(real)) is not a directory")
            }
            if let real, PathResolution.isWorkspaceRelative(raw), !PathResolution.contains(workspace, real) {
                throw .invalid("filesystem.tmpfs: '\(raw)' resolves to '\(real)', outside the workspace \(workspace) (a symlink?); refusing to mount it")
            }
            steps.append(Step(kind: .tmpfs, source: nil, target: real ?? absolute, origin: "filesystem.tmpfs"))
        }
        for raw in fs.hidden {
            // Masks fail closed: whatever the path resolves to (even through a symlink out of the
            // workspace) is hidden. A path that does not exist has nothing to hide.
            let (_, real) = PathResolution.resolve(raw, workspace: workspace, home: home)
            guard let real else { continue }
            if real == "/" { throw .invalid("filesystem.hidden: '\(raw)' would hide the whole root") }
            let kind: Kind = PathResolution.isDirectory(real) ? .hideDirectory : .hideFile
            steps.append(Step(kind: kind, source: nil, target: real, origin: "filesystem.hidden"))
        }
        // Discovered secrets (already real paths).
        steps += extraMasks.filter { $0.target != "/" }

        // Files that decide what runs outside, and the files this run's rules came from.
        let ruleFiles = policy.sources.filter { $0.hasPrefix("/") } + (policy.syscalls.importPath.map { [$0] } ?? [])
        let writable = steps.filter { $0.kind == writableKind }
        // The project may take entries off the protected list (never its own rule files).
        let unprotected = Set(fs.unprotect)
        let listed = protectedPaths.filter { !unprotected.contains($0.path) }
        let guarded = protections(listed, extraFiles: ruleFiles, writable: writable, workspace: workspace,
                                  home: home, readOnlyKind: readOnlyKind)
        steps += guarded.steps
        if privileged {
            steps = scaffolded(steps)
            // A home the sandbox uid cannot enter (root's, 0700) becomes an empty private one:
            // tools that look for their config there find nothing instead of EACCES.
            var st = stat()
            if let realHome = PathResolution.resolve(home, workspace: "/", home: home).real, realHome != "/",
               stat(realHome, &st) == 0, st.st_mode & 0o001 == 0, !steps.contains(where: { $0.target == realHome }) {
                steps.append(Step(kind: .tmpfs, source: nil, target: realHome, origin: "home (not reachable by the sandbox uid)"))
            }
        }
        var plan = MountPlan(steps: ordered(withoutMasksInFreshTmpfs(steps)).map(mirrored), workspace: workspace)
        plan.protected = guarded.protected
        plan.watched = guarded.watched
        plan.protectedList = listed
        return plan
    }

    /// Whether an unmapped uid ("other" to every host owner) can execute `path`: every directory
    /// on the way searchable by others and the file executable by others, unless it lies inside
    /// one of the plan's idmapped binds (where the sandbox is the owner).
    static func reachableByOthers(_ path: String, binds: MountPlan) -> Bool {
        guard let real = PathResolution.resolve(path, workspace: "/", home: "/").real else { return false }
        if binds.steps.contains(where: { $0.kind.isPrepared && PathResolution.contains($0.target, real) }) { return true }
        var current = ""
        for component in real.split(separator: "/").dropLast() {
            current += "/" + component
            var st = stat()
            guard stat(current, &st) == 0, st.st_mode & 0o001 != 0 else { return false }
        }
        var st = stat()
        return stat(real, &st) == 0 && st.st_mode & 0o001 != 0
    }

    /// Adds an empty tmpfs over the shallowest directory above each mount that "other" cannot
    /// search (the sandbox uid is "other" to every unmapped owner). Masks stay: one below a
    /// scaffold may still sit inside a bind mounted there.
    static func scaffolded(_ steps: [Step]) -> [Step] {
        func untraversableAncestor(_ path: String) -> String? {
            var current = ""
            for component in path.split(separator: "/").dropLast() {
                current += "/" + component
                var st = stat()
                if stat(current, &st) == 0, st.st_mode & 0o001 == 0 { return current }
            }
            return nil
        }
        var scaffolds: [String] = []
        for step in steps where step.kind != .hideFile && step.kind != .hideDirectory {
            if let dir = untraversableAncestor(step.target), !scaffolds.contains(dir) { scaffolds.append(dir) }
        }
        return steps + scaffolds.map { Step(kind: .tmpfs, source: nil, target: $0, origin: "scaffold") }
    }

    /// At most this many entries of one hidden directory are mirrored, this deep.
    static let mirrorLimit = 128, mirrorDepth = 3

    /// A hidden directory's step with its entries' names (breadth first, up to the limits).
    /// Names are shown, contents never: an empty `credentials` tells a tool nothing, while the
    /// open of it is a record naming the exact file it was after.
    static func mirrored(_ step: Step) -> Step {
        guard step.kind == .hideDirectory else { return step }
        var out = step
        var queue: [(relative: String, depth: Int)] = [("", 1)]
        while !queue.isEmpty, out.children.count < mirrorLimit {
            let (relative, depth) = queue.removeFirst()
            guard let dir = opendir(relative.isEmpty ? step.target : step.target + "/" + relative) else { continue }
            defer { closedir(dir) }
            var names: [(String, Bool)] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                guard name != ".", name != "..", !name.contains("\n"), !name.contains("/") else { continue }
                names.append((name, entry.pointee.d_type == UInt8(DT_DIR)))
            }
            for (name, isDir) in names.sorted(by: { $0.0 < $1.0 }) where out.children.count < mirrorLimit {
                let path = relative.isEmpty ? name : relative + "/" + name
                out.children.append((isDir ? "d:" : "f:") + path)
                if isDir && depth < mirrorDepth { queue.append((path, depth + 1)) }
            }
        }
        return out
    }

    /// A mask whose nearest enclosing mount is a fresh tmpfs (private /tmp, an empty home for a
    /// root caller, a scaffold) hides nothing: what it would hide is not in the view at all.
    /// The same for a mask inside a hidden directory: that one already hides it (and its empty,
    /// read-only view has no mount point for it).
    static func withoutMasksInFreshTmpfs(_ steps: [Step]) -> [Step] {
        steps.filter { step in
            guard step.kind == .hideFile || step.kind == .hideDirectory else { return true }
            let enclosing = steps.filter {
                $0.kind != .hideFile && $0.target != step.target && PathResolution.contains($0.target, step.target)
            }.max { $0.target.count < $1.target.count }
            return enclosing?.kind != .tmpfs && enclosing?.kind != .hideDirectory
        }
    }

    /// Parents before children; for the same target the most restrictive step wins
    /// (hidden over read-only over writable over tmpfs).
    static func ordered(_ steps: [Step]) -> [Step] {
        func strength(_ k: Kind) -> Int {
            switch k {
            case .hideFile, .hideDirectory: 3
            case .bindReadOnly, .preparedReadOnly: 2
            case .bindReadWrite, .preparedReadWrite: 1
            case .tmpfs: 0
            case .generatedFile: 4
            }
        }
        var byTarget: [String: Step] = [:]
        var order: [String] = []
        for step in steps {
            if let current = byTarget[step.target] {
                if strength(step.kind) > strength(current.kind) { byTarget[step.target] = step }
            } else {
                byTarget[step.target] = step
                order.append(step.target)
            }
        }
        let depth = { (p: String) in p.split(separator: "/").count }
        return order.compactMap { byTarget[$0] }.enumerated()
            .sorted { a, b in
                let (da, db) = (depth(a.element.target), depth(b.element.target))
                return da != db ? da < db : a.offset < b.offset
            }
            .map(\.element)
    }
}
