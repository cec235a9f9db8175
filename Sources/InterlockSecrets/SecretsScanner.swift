#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockProfile
import InterlockSystem

public enum SecretsScanner {
    /// Discovers credentials in HOME, the workspace and the environment, and applies the profile's grants.
    ///
    /// - home: the invoking user's HOME (real path).
    /// - workspace: the workspace (real path).
    /// - environment: the caller's `K=V` list.
    /// - policy: the resolved `[secrets]` policy. `allow_files` entries are paths or globs (`*`,
    ///   `?`, `**`) relative to the workspace, `~/…` for HOME, or absolute; an entry that matches a
    ///   directory grants what is below it; a granted path inside a discovered directory splits
    ///   that directory (its other entries stay hidden). `allow_env` entries are names or globs.
    /// - cacheDirectory: where the content-scan cache lives (outside the workspace, e.g.
    ///   `$XDG_CACHE_HOME/interlock/scan`); nil: no cache.
    public static func scan(home: String, workspace: String, environment: [String], policy: SecretsPolicy,
                            cacheDirectory: String?) -> SecretsReport {
        scan(home: home, workspace: workspace, environment: environment, policy: policy,
             cacheDirectory: cacheDirectory, rules: .builtin)
    }

    /// The same, asking the workspace's index keeper first (`ScanIndex`); the full scan when it
    /// cannot answer, and then a keeper is started if the workspace is large.
    public static func scan(home: String, workspace: String, environment: [String], policy: SecretsPolicy,
                            cacheDirectory: String?, index: ScanIndexOptions?) -> SecretsReport {
        scan(home: home, workspace: workspace, environment: environment, policy: policy,
             cacheDirectory: cacheDirectory, rules: .builtin, racyWindowNanoseconds: 1_000_000_000, index: index)
    }

    /// The same with other rules (tests, or a user's rules file).
    public static func scan(home: String, workspace: String, environment: [String], policy: SecretsPolicy,
                            cacheDirectory: String?, rules: SecretRuleSet) -> SecretsReport {
        scan(home: home, workspace: workspace, environment: environment, policy: policy,
             cacheDirectory: cacheDirectory, rules: rules, racyWindowNanoseconds: 1_000_000_000)
    }

    static func scan(home homeArgument: String, workspace workspaceArgument: String, environment: [String],
                     policy: SecretsPolicy, cacheDirectory: String?, rules: SecretRuleSet,
                     racyWindowNanoseconds: Int64, index: ScanIndexOptions? = nil) -> SecretsReport {
        var report = SecretsReport()
        guard policy.discover else {
            report.keptEnvironment = environment
            return report
        }
        let started = Posix.clock(CLOCK_MONOTONIC)
        let home = FileIO.realPath(homeArgument) ?? Path.normalize(homeArgument)
        let workspace = FileIO.realPath(workspaceArgument) ?? Path.normalize(workspaceArgument)
        let allowEnv = policy.allowEnv.map { (text: $0, glob: Glob($0)) }
        let grants = Grants(entries: policy.allowFiles, home: home, workspace: workspace)

        // Environment.
        let scrubbed = EnvironmentScrubber(rules: rules, allow: allowEnv).scrub(environment)
        report.environment = scrubbed.variables
        report.keptEnvironment = scrubbed.kept

        // HOME (and the sockets and files environment variables point at).
        var variables: [String: String] = [:]
        for entry in environment {
            guard let equals = entry.firstIndex(of: "=") else { continue }
            let name = String(entry[..<equals])
            if variables[name] == nil { variables[name] = String(entry[entry.index(after: equals)...]) }
        }
        var candidates: [Candidate] = []
        let homeFindings = HomeScanner(rules: rules, home: home, variables: variables, uid: getuid())
            .scan(warnings: &report.warnings)
        for finding in homeFindings {
            var candidate = Candidate(path: finding.path, alternatives: [finding.foundAt], kind: finding.kind,
                                      rule: finding.rule, ruleID: finding.ruleID)
            if let name = finding.grantedByEnv.first(where: { name in allowEnv.contains { $0.glob.matches(name) } }) {
                candidate.envGrant = "allow_env: " + (allowEnv.first { $0.glob.matches(name) }!.text)
            }
            candidates.append(candidate)
        }

        // Workspace.
        let workspaceStarted = Posix.clock(CLOCK_MONOTONIC)
        var cacheDirectory = cacheDirectory.map(Path.normalize)
        if let directory = cacheDirectory, !directory.hasPrefix("/") || Path.isWithin(FileIO.realPath(directory) ?? directory, workspace) {
            // What the sandbox can write must not decide what it sees.
            report.warnings.append("scan cache \(directory) not used: it must be an absolute path outside the workspace")
            cacheDirectory = nil
        }
        var index = index
        if let options = index, let directory = cacheDirectory, Path.normalize(options.directory) != directory {
            // The keeper's socket sits beside the cache, whose placement was just checked.
            index = nil
        }
        var source = "full"
        var indexNote: String?
        var answered: WorkspaceScanner.Result?
        report.cacheDirectory = cacheDirectory
        if let index, cacheDirectory != nil {
            (answered, indexNote) = ScanIndex.query(options: index, rules: rules, workspace: workspace)
            if answered != nil { source = "index"; indexNote = nil }
        }
        let result = answered ?? WorkspaceScanner(rules: rules, root: workspace, cacheDirectory: cacheDirectory,
                                                  racyWindowNanoseconds: racyWindowNanoseconds).scan()
        if let index, cacheDirectory != nil, answered == nil, result.filesVisited >= index.minimumFiles,
           ScanIndex.keeperAbsent(directory: index.directory, workspace: workspace) {
            if let failure = ScanIndex.recentFailure(directory: index.directory, workspace: workspace) {
                indexNote = (indexNote.map { $0 + "; " } ?? "") + "no keeper started (one failed recently: \(failure))"
            } else {
                index.startKeeper(workspace)
                indexNote = (indexNote.map { $0 + "; " } ?? "") + "keeper started"
            }
        }
        report.warnings += result.warnings
        // One order whatever the walk's (its threads finish in any order, the index keeps no order):
        // a file's own finding first, and the symlinks that resolve to it as its other names, so
        // that granting either name grants it whichever the walk met first.
        let findings = result.findings.sorted { ($0.isSymlink ? 1 : 0, $0.relativePath) < ($1.isSymlink ? 1 : 0, $1.relativePath) }
        var workspaceCandidate: [String: Int] = [:]
        for finding in findings {
            let found = Path.join(workspace, finding.relativePath)
            var candidate = Candidate(path: found, alternatives: [], kind: .file, rule: finding.rule, ruleID: finding.ruleID)
            if finding.isSymlink {
                // Not followed while walking; what it points at is the secret.
                guard let info = Posix.statInfo(found), Posix.type(of: info) == .regular,
                      let real = FileIO.realPath(found) else { continue }
                candidate = Candidate(path: real, alternatives: [found], kind: .file, rule: finding.rule, ruleID: finding.ruleID)
            }
            if let existing = workspaceCandidate[candidate.path] {
                candidates[existing].alternatives += candidate.alternatives
            } else {
                workspaceCandidate[candidate.path] = candidates.count
                candidates.append(candidate)
            }
        }
        var stats = SecretsScanStats()
        stats.filesVisited = result.filesVisited
        stats.directoriesVisited = result.directoriesVisited
        stats.filesContentScanned = result.contentScanned
        stats.bytesContentScanned = result.bytesScanned
        stats.cacheHits = result.cacheHits
        stats.cacheUsed = result.cacheUsed
        stats.workspaceMilliseconds = Double(Posix.clock(CLOCK_MONOTONIC) - workspaceStarted) / 1e6
        stats.source = source
        stats.indexNote = indexNote

        // Grants, de-duplication, pruning.
        let (hidden, granted) = resolve(candidates, grants: grants, home: home, workspace: workspace,
                                        warnings: &report.warnings)
        report.hidden = hidden
        report.granted = granted
        stats.milliseconds = Double(Posix.clock(CLOCK_MONOTONIC) - started) / 1e6
        report.scanStats = stats
        return report
    }

    struct Candidate {
        var path: String
        /// Other names of the same thing (the symlink a rule matched), also checked against grants.
        var alternatives: [String]
        var kind: DiscoveredSecret.Kind
        var rule: String
        var ruleID: String
        var envGrant: String?
    }

    static func resolve(_ candidates: [Candidate], grants: Grants, home: String, workspace: String,
                        warnings: inout [String]) -> (hidden: [DiscoveredSecret], granted: [DiscoveredSecret]) {
        var seen: Set<String> = []
        var hidden: [DiscoveredSecret] = []
        var granted: [DiscoveredSecret] = []
        func add(_ secret: DiscoveredSecret) {
            guard seen.insert(secret.path).inserted else { return }
            if secret.granted { granted.append(secret) } else { hidden.append(secret) }
        }
        for candidate in candidates {
            guard !seen.contains(candidate.path) else { continue }
            if let problem = unmaskable(candidate.path, kind: candidate.kind, home: home, workspace: workspace) {
                seen.insert(candidate.path)
                warnings.append("\(candidate.path) (\(candidate.rule)) is not hidden: \(problem)")
                continue
            }
            if let grant = candidate.envGrant ?? grants.grant(for: candidate.path, alternatives: candidate.alternatives) {
                add(DiscoveredSecret(path: candidate.path, kind: candidate.kind, rule: candidate.rule,
                                     ruleID: candidate.ruleID, granted: true, grantedBy: grant))
            } else if candidate.kind == .directory && grants.reachesInto(candidate.path) {
                for secret in grants.split(candidate.path, rule: candidate.rule, ruleID: candidate.ruleID, depth: 0) {
                    if unmaskable(secret.path, kind: secret.kind, home: home, workspace: workspace) == nil { add(secret) }
                }
            } else {
                add(DiscoveredSecret(path: candidate.path, kind: candidate.kind, rule: candidate.rule,
                                     ruleID: candidate.ruleID))
            }
        }
        // Whatever lies inside a hidden directory is hidden with it.
        let hiddenDirectories = Set(hidden.filter(\.isDirectory).map(\.path))
        func insideHiddenDirectory(_ path: String) -> Bool {
            var current = Path.parent(path)
            while current != "/" && current != "." {
                if hiddenDirectories.contains(current) { return true }
                current = Path.parent(current)
            }
            return false
        }
        hidden = hidden.filter { !insideHiddenDirectory($0.path) }
        hidden.sort { $0.path < $1.path }
        granted.sort { $0.path < $1.path }
        return (hidden, granted)
    }

    /// Why a path cannot be masked without breaking the sandbox, or nil.
    static func unmaskable(_ path: String, kind: DiscoveredSecret.Kind, home: String, workspace: String) -> String? {
        let depth = path.split(separator: "/").count
        if depth == 0 || (depth == 1 && kind == .directory) { return "a top-level directory" }
        for system in ["/proc", "/sys", "/dev"] where Path.isWithin(path, system) { return "a system path" }
        if Path.isWithin(workspace, path) { return "it holds the workspace" }
        if Path.isWithin(home, path) { return "it holds HOME" }
        return nil
    }
}
