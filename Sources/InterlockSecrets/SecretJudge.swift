#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockProfile
import InterlockSystem

/// Discovery's verdict on one file, reached at the moment it is opened rather than at start:
/// the `[[home]]` rules (with their `except`, `only` and `content`), the `[[workspace]]` name
/// rules, the content rules (outside the directories whose content is not scanned) and the
/// profile's grants, exactly as `SecretsScanner.scan` applies them, but for a path and an open
/// file instead of a walk. A run's secrets guard asks it about every file the sandbox opens that
/// it has not judged since the file last changed, so that credentials which appear, are replaced
/// or are written into a file during the run stay hidden too.
public struct SecretJudge: @unchecked Sendable {
    public enum Verdict: Sendable, Equatable {
        case clean
        /// Discovery would hide it, and `allow_files` or `allow_env` grants it.
        case granted(String)
        case hidden(rule: String, ruleID: String)
    }

    /// One `[[home]]` path pattern, expanded to absolute components.
    struct HomePattern {
        var components: [Glob]
        var rule: Int
        var text: String
        /// The components before the first wildcard, joined, with a trailing '/': a path that is
        /// neither this directory nor below it cannot match.
        var fixedPrefix: [UInt8]

        init(_ path: String, rule: Int, text: String) {
            components = path.split(separator: "/", omittingEmptySubsequences: true).map { Glob(String($0)) }
            let fixed = components.prefix { !$0.hasWildcard }.map { String(decoding: $0.pattern, as: UTF8.self) }
            fixedPrefix = Array(("/" + fixed.joined(separator: "/") + "/").utf8)
            self.rule = rule
            self.text = text
        }
    }

    let rules: SecretRuleSet
    var check: EntryCheck
    let cachePath: String?
    let home: String
    public let workspace: String
    let patterns: [HomePattern]
    let grants: Grants
    /// Home rules granted through `allow_env` (an agent socket's variable).
    let grantedByEnvironment: [Int: String]

    /// `home` and `workspace`: real paths. `environment`: the caller's `K=V` list (for `$VAR`
    /// paths and `allow_env`). `cacheDirectory`: the content-scan cache the start scan used
    /// (`SecretsReport.cacheDirectory`), whose records spare reading unchanged files again.
    public init(home: String, workspace: String, environment: [String], policy: SecretsPolicy,
                cacheDirectory: String? = nil, rules: SecretRuleSet = .builtin) {
        self.rules = rules
        self.check = EntryCheck(rules: rules, cache: nil, racyBefore: 0)
        self.home = Path.normalize(home)
        self.workspace = Path.normalize(workspace)
        self.cachePath = cacheDirectory.map { Path.join($0, ScanCache.fileName(workspace: Path.normalize(workspace))) }
        self.grants = Grants(entries: policy.allowFiles, home: self.home, workspace: self.workspace)
        var variables: [String: String] = [:]
        for entry in environment {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            let name = String(entry[..<equals])
            if variables[name] == nil { variables[name] = String(entry[entry.index(after: equals)...]) }
        }
        let allowEnv = policy.allowEnv.map { (text: $0, glob: Glob($0)) }
        var patterns: [HomePattern] = []
        var byEnvironment: [Int: String] = [:]
        let expander = HomeScanner(rules: rules, home: self.home, variables: variables, uid: getuid())
        for (index, rule) in rules.home.enumerated() {
            for text in rule.paths {
                for path in expander.absolutePatterns(text) {
                    patterns.append(HomePattern(path, rule: index, text: text))
                    // A symlinked fixed prefix (~/.aws -> /data/aws): files are opened by their real path.
                    if let real = Self.realFixedPrefix(path), real != path {
                        patterns.append(HomePattern(real, rule: index, text: text))
                    }
                }
            }
            if let name = rule.grantedByEnv.first(where: { name in allowEnv.contains { $0.glob.matches(name) } }),
               let entry = allowEnv.first(where: { $0.glob.matches(name) }) {
                byEnvironment[index] = "allow_env: " + entry.text
            }
        }
        self.patterns = patterns
        self.grantedByEnvironment = byEnvironment
    }

    /// The directories outside which no path can be hidden: HOME, the workspace, and each home
    /// rule's location up to its first wildcard.
    public var roots: [String] {
        var roots = [home, workspace]
        for pattern in patterns {
            let prefix = String(decoding: pattern.fixedPrefix.dropLast(), as: UTF8.self)
            if !roots.contains(where: { Path.isWithin(prefix, $0) }) { roots.append(prefix.isEmpty ? "/" : prefix) }
        }
        return roots
    }

    /// The same judge with the content-scan cache loaded (once per thread that judges: loading
    /// reads the whole cache file).
    public func loadingCache() -> SecretJudge {
        var copy = self
        copy.cacheLoaded = true
        guard let cachePath else { return copy }
        copy.check = EntryCheck(rules: rules, cache: ScanCache.load(path: cachePath, fingerprint: rules.fingerprint,
                                                                   workspaceHash: Hash.fnv1a(Array(workspace.utf8))),
                                racyBefore: 0)
        return copy
    }

    /// Whether `loadingCache` made this judge (whether or not a cache file was there).
    public private(set) var cacheLoaded = false

    /// Bytes a judge needs to read one file's content (`verdict`'s buffer).
    public var bufferSize: Int { rules.settings.maxFileSize + 1 }

    /// The verdict on the regular file open as `fd` (read from its current offset), reached
    /// through `path` (its real path, as the kernel names it). `buffer` holds `bufferSize` bytes.
    public func verdict(path: String, fd: Int32, size: Int, buffer: UnsafeMutableRawPointer) -> Verdict {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .hidden(rule: "unreadable", ruleID: "unreadable") }
        return verdict(path: path, info: info, buffer: buffer) { fd }
    }

    /// The same for a file described by `info` (its fstat): the file is opened with `open` only
    /// if its content is needed and the scan cache does not hold it; nil from `open` counts as
    /// unreadable, and so as hidden.
    public func verdict(path: String, info: stat, buffer: UnsafeMutableRawPointer, open: () -> Int32?) -> Verdict {
        var content: UInt64?  // every content rule's bit, once read
        func contentBits() -> UInt64 {
            if let content { return content }
            var found = check.cached(info)
            if found == nil {
                guard let fd = open() else { content = ~0; return ~0 }
                found = check.scan(openFile: fd, size: Int(info.st_size), enabled: rules.content.allRules,
                                   buffer: buffer, capacity: bufferSize).found
            }
            let bits = (found ?? 0) & ~(ScanCache.binaryFlag | ScanCache.tooLargeFlag)
            content = bits
            return bits
        }
        if let (rule, index) = homeRule(path, contentBits: contentBits) {
            return decide(path, rule: "home: \(rules.home[index].name) (\(rule))", ruleID: rules.home[index].id,
                          environmentGrant: grantedByEnvironment[index])
        }
        guard Path.isWithin(path, workspace), path != workspace else { return .clean }
        let relative = String(path.dropFirst(workspace == "/" ? 1 : workspace.count + 1))
        var name = Path.name(path)
        let named = name.withUTF8 { rules.workspace.match(name: $0, relativePath: { Array(relative.utf8) }) }
        if let named {
            let rule = rules.workspace.rules[named]
            if rule.contentMask == 0 || contentBits() & rule.contentMask != 0 {
                return decide(path, rule: "workspace: " + rule.name, ruleID: rule.id, environmentGrant: nil)
            }
        }
        guard !contentSkipped(relative) else { return .clean }
        let bits = contentBits()
        guard bits != 0 else { return .clean }
        let rule = rules.contentRules[bits.trailingZeroBitCount]
        return decide(path, rule: "content: " + rule.name, ruleID: rule.id, environmentGrant: nil)
    }

    private func decide(_ path: String, rule: String, ruleID: String, environmentGrant: String?) -> Verdict {
        if let grant = environmentGrant ?? grants.grant(for: path, alternatives: []) { return .granted(grant) }
        return .hidden(rule: rule, ruleID: ruleID)
    }

    /// The first home pattern that names the file or a directory above it, as `HomeScanner.check`
    /// would judge that entry; the pattern's text and the rule's index.
    private func homeRule(_ path: String, contentBits: () -> UInt64) -> (String, Int)? {
        var parts: [String]?
        // Byte-wise: this runs for every file the guard judges, against every home pattern.
        var copy = path + "/"
        let candidates = copy.withUTF8 { bytes in
            patterns.indices.filter { Bytes.hasPrefix(bytes, patterns[$0].fixedPrefix) }
        }
        for pattern in candidates.map({ patterns[$0] }) {
            if parts == nil { parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init) }
            guard let parts else { continue }
            let rule = rules.home[pattern.rule]
            for length in Set(Self.entryLengths(pattern.components[...], parts[...], matched: 0)).sorted() {
                let entryName = parts[length - 1]
                if rule.except.contains(where: { $0.matches(entryName) }) { continue }
                let isFile = length == parts.count
                if let only = rule.only, only != (isFile ? .file : .directory) { continue }
                if rule.contentMask != 0 && !(isFile && contentBits() & rule.contentMask != 0) { continue }
                return (pattern.text, pattern.rule)
            }
        }
        return nil
    }

    /// How many leading components of `path` each entry a pattern names along it spans (the
    /// file itself or a directory above it). A trailing `**` names every entry below, at every
    /// depth, as the scan lists them.
    static func entryLengths(_ pattern: ArraySlice<Glob>, _ path: ArraySlice<String>, matched: Int) -> [Int] {
        guard let first = pattern.first else { return [matched] }
        guard let component = path.first else { return [] }
        if first.pattern == doubleStar {
            if pattern.count == 1 { return Array((matched + 1)...(matched + path.count)) }
            return entryLengths(pattern.dropFirst(), path, matched: matched)
                + entryLengths(pattern, path.dropFirst(), matched: matched + 1)
        }
        guard first.matches(component) else { return [] }
        return entryLengths(pattern.dropFirst(), path.dropFirst(), matched: matched + 1)
    }

    private static let doubleStar = Array("**".utf8)

    /// The real path of a pattern's components before its first wildcard, joined again with the rest.
    private static func realFixedPrefix(_ path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let fixed = parts.prefix { !Glob($0).hasWildcard }
        guard !fixed.isEmpty, let real = FileIO.realPath("/" + fixed.joined(separator: "/")) else { return nil }
        let rest = parts.dropFirst(fixed.count)
        return rest.isEmpty ? real : Path.join(real, rest.joined(separator: "/"))
    }

    /// Whether a directory above the file (workspace-relative `relative`) is one whose files are
    /// not content-scanned (`skip_content_dirs`).
    private func contentSkipped(_ relative: String) -> Bool {
        var directory = ""
        for component in relative.split(separator: "/").dropLast() {
            directory = directory.isEmpty ? String(component) : directory + "/" + component
            var name = String(component)
            if name.withUTF8({ check.isSkipped(name: $0, relative: directory) }) { return true }
        }
        return false
    }
}
