#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import InterlockSystem

/// Loads a profile: finds it, follows `extends`, merges the chosen environment, validates every
/// value, and returns the resolved `Policy`.
///
/// Merge rules: the `extends` chain is applied base first; a profile's single values replace the
/// ones before it, its arrays are appended (duplicates dropped, first position kept). The
/// `[env.NAME]` sections of every profile in the chain are merged the same way, base first,
/// and the result is merged over the fully merged base. `default_env` comes from the most derived
/// profile that sets it; an explicit environment argument wins over it.
public enum ProfileLoader {
    /// The file name discovered from the workspace upward.
    public static let fileName = ".interlock.toml"

    /// `reference`: nil → discover `.interlock.toml` from `searchFrom` upward to `/` and use it;
    ///   if none found, use the built-in "default".
    ///   Otherwise a built-in name (no slash and no ".toml" suffix, e.g. "default", "strict") or a
    ///   path to a file.
    /// `environment`: explicit env name, or nil.
    /// `agent`: an agent profile layered under everything else (the project adds to it and wins).
    public static func load(reference: String?, searchFrom: String, environment: String?,
                            agent: AgentProfile? = nil) throws(ProfileError) -> Policy {
        let root: ProfileReference
        if let reference {
            root = try resolveRoot(reference)
        } else if let found = discover(from: searchFrom) {
            root = ProfileReference(kind: .file(absolute: found), display: found)
        } else {
            root = ProfileReference(kind: .builtin("default"), display: "builtin:default")
        }
        return try resolve(root: root, environment: environment, agent: agent)
    }

    /// Discovery only: the path of the nearest `.interlock.toml` at or above `directory`, or nil.
    public static func discover(from directory: String) -> String? {
        var dir = Paths.absolute(directory)
        while true {
            let candidate = Paths.join(dir, fileName)
            if FileSystem.isRegularFile(candidate) { return candidate }
            if dir == "/" { return nil }
            dir = Paths.directory(of: dir)
        }
    }

    /// Parses and validates one profile's text on its own (no `extends`, no environment choice).
    /// For `profile check`-style tools and tests; `file` labels errors.
    public static func validate(text: String, file: String) throws(ProfileError) {
        _ = try ProfileSchema.read(bytes: Array(text.utf8), file: file,
                                   directory: Paths.directory(of: Paths.absolute(file)))
    }

    // MARK: - Resolution

    struct ProfileReference {
        enum Kind: Equatable {
            case builtin(String)
            case file(absolute: String)
        }
        var kind: Kind
        /// How errors and cycle messages name it.
        var display: String

        /// `builtin:NAME`, or the absolute path.
        var source: String {
            switch kind {
            case .builtin(let name): return "builtin:" + name
            case .file(let path): return path
            }
        }

        /// What makes two references the same profile: symlinks resolved where possible.
        var identity: String {
            switch kind {
            case .builtin(let name): return "builtin:" + name
            case .file(let path): return FileSystem.realPath(path) ?? path
            }
        }
    }

    static func isBuiltinName(_ reference: String) -> Bool {
        builtinText(reference) != nil || (!reference.contains("/") && !reference.hasSuffix(".toml"))
    }

    /// A built-in profile (`default`) or rule pack (`rules/railway`).
    static func builtinText(_ name: String) -> String? {
        BuiltinProfiles.all[name] ?? BuiltinRulePacks.all[name]
    }

    static func resolveRoot(_ reference: String) throws(ProfileError) -> ProfileReference {
        if isBuiltinName(reference) {
            guard builtinText(reference) != nil else {
                throw ProfileError(file: ProfileError.commandLine, key: "--profile", message: Messages.unknownBuiltin(reference))
            }
            return ProfileReference(kind: .builtin(reference), display: "builtin:" + reference)
        }
        return ProfileReference(kind: .file(absolute: Paths.absolute(reference)), display: Paths.normalize(reference))
    }

    /// The profile an `extends` value names, relative to the profile that says it.
    static func resolveExtends(_ value: String, line: Int, from parent: ProfileReference) throws(ProfileError) -> ProfileReference {
        let error = { (message: String) in ProfileError(file: parent.display, line: line, key: "extends", message: message) }
        if isBuiltinName(value) {
            guard builtinText(value) != nil else { throw error(Messages.unknownBuiltin(value)) }
            return ProfileReference(kind: .builtin(value), display: "builtin:" + value)
        }
        guard case .file(let parentPath) = parent.kind else { throw error(Messages.builtinExtendsFile) }
        if value.hasPrefix("/") {
            return ProfileReference(kind: .file(absolute: Paths.normalize(value)), display: Paths.normalize(value))
        }
        let absolute = Paths.normalize(Paths.join(Paths.directory(of: parentPath), value))
        let display = Paths.normalize(Paths.join(Paths.directoryOrEmpty(of: parent.display), value))
        return ProfileReference(kind: .file(absolute: absolute), display: display)
    }

    /// Reads one profile. `referrer` is where the reference came from (nil: the command line or
    /// discovery), for "not found" errors.
    static func read(_ reference: ProfileReference, referrer: (file: String, line: Int)?) throws(ProfileError) -> ParsedProfile {
        switch reference.kind {
        case .builtin(let name):
            guard let text = builtinText(name) else {
                if let referrer {
                    throw ProfileError(file: referrer.file, line: referrer.line, key: "extends", message: Messages.unknownBuiltin(name))
                }
                throw ProfileError(file: ProfileError.commandLine, key: "--profile", message: Messages.unknownBuiltin(name))
            }
            return try ProfileSchema.read(bytes: Array(text.utf8), file: reference.display, directory: nil)
        case .file(let path):
            switch FileSystem.readFile(path) {
            case .success(let bytes):
                return try ProfileSchema.read(bytes: bytes, file: reference.display, directory: Paths.directory(of: path))
            case .failure(let failure):
                let message = failure.errno.rawValue == ENOENT || failure.errno.rawValue == ENOTDIR
                    ? Messages.notFound(reference.display)
                    : Messages.unreadable(reference.display, failure.reason)
                if let referrer {
                    throw ProfileError(file: referrer.file, line: referrer.line, key: "extends", message: message)
                }
                throw ProfileError(file: ProfileError.commandLine, key: "--profile", message: message)
            }
        }
    }

    static func resolve(root: ProfileReference, environment: String?, agent: AgentProfile? = nil) throws(ProfileError) -> Policy {
        // `extends` may name several profiles (`["default", "rules/railway"]`): each is applied,
        // with what it extends, in order, and a profile reached twice is applied once (first).
        var linearized: [(reference: ProfileReference, profile: ParsedProfile)] = []
        var applied: Set<String> = []
        var visiting: [(identity: String, display: String)] = []
        func visit(_ reference: ProfileReference, referrer: (file: String, line: Int)?) throws(ProfileError) {
            let identity = reference.identity
            if visiting.contains(where: { $0.identity == identity }) {
                throw ProfileError(file: referrer?.file ?? reference.display, line: referrer?.line, key: "extends",
                                   message: Messages.cycle(visiting.map(\.display) + [reference.display]))
            }
            guard !applied.contains(identity) else { return }
            let profile = try read(reference, referrer: referrer)
            visiting.append((identity, reference.display))
            for extends in profile.extends {
                let next = try resolveExtends(extends.value, line: extends.line, from: reference)
                try visit(next, referrer: (reference.display, extends.line))
            }
            visiting.removeLast()
            applied.insert(identity)
            linearized.append((reference, profile))
        }
        try visit(root, referrer: nil)
        // Most derived first.
        let chain = Array(linearized.reversed())

        var environmentNames: Set<String> = []
        for entry in chain { environmentNames.formUnion(entry.profile.environments.map(\.name)) }
        let sortedEnvironments = environmentNames.sorted()

        // default_env: the most derived profile that sets it; it must name a defined environment.
        var defaultEnvironment: String?
        for entry in chain {
            guard let setting = entry.profile.defaultEnvironment else { continue }
            guard environmentNames.contains(setting.value) else {
                throw ProfileError(file: entry.reference.display, line: setting.line, key: "default_env",
                                   message: Messages.unknownEnvironment(setting.value, valid: sortedEnvironments))
            }
            defaultEnvironment = setting.value
            break
        }
        if let environment, !environmentNames.contains(environment) {
            throw ProfileError(file: ProfileError.commandLine, key: "--env",
                               message: Messages.unknownEnvironment(environment, valid: sortedEnvironments))
        }
        let chosen = environment ?? defaultEnvironment

        var merged = agent?.layer ?? ProfileLayer()
        for entry in chain.reversed() { merged.merge(entry.profile.base) }
        if let chosen {
            var overlay = ProfileLayer()
            for entry in chain.reversed() {
                for env in entry.profile.environments where env.name == chosen { overlay.merge(env.layer) }
            }
            merged.merge(overlay)
        }

        var policy = merged.policy()
        policy.sources = (agent.map { [$0.source] } ?? []) + chain.reversed().map(\.reference.source)
        policy.environment = chosen
        policy.environments = sortedEnvironments
        if case .file(let path) = root.kind { policy.profileDirectory = Paths.directory(of: path) }
        return policy
    }
}
