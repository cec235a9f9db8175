#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
                let message = failure.code == ENOENT || failure.code == ENOTDIR
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

// MARK: - One profile, read and validated

struct Located<Value> {
    var value: Value
    var line: Int
}

/// Everything one section set can say: unset single values stay nil, arrays start empty.
struct ProfileLayer: Equatable {
    var readOnly: [String] = []
    var readWrite: [String] = []
    var hidden: [String] = []
    var tmpfs: [String] = []
    var unprotect: [String] = []
    var discover: Bool?
    var allowFiles: [String] = []
    var allowEnv: [String] = []
    var setEnv: [String: String] = [:]
    var baseline: String?
    var syscallDeny: [String] = []
    var syscallAllow: [String] = []
    var onDeny: SyscallPolicy.OnDeny?
    var mode: SyscallPolicy.Mode?
    /// Absolute. Setting `baseline` in a later layer clears an inherited import.
    var importPath: String?
    var syscallRules: [SyscallRuleEntry] = []
    var syscallLocations = SyscallSourceLocations()
    var keepCapabilities: [String] = []
    var egress: [String] = []
    var networkDeny: [String] = []
    /// Name → canonical address.
    var hosts: [String: String] = [:]
    var unixSockets: [String] = []
    var memory: UInt64?
    var pids: Int?
    var cpu: Double?
    var openFiles: Int?
    var inspection = InspectionPolicy()

    /// `child` over `self`: its single values replace, its arrays append.
    mutating func merge(_ child: ProfileLayer) {
        func append(_ base: inout [String], _ more: [String]) {
            for item in more where !base.contains(item) { base.append(item) }
        }
        append(&readOnly, child.readOnly)
        append(&readWrite, child.readWrite)
        append(&hidden, child.hidden)
        append(&tmpfs, child.tmpfs)
        append(&unprotect, child.unprotect)
        discover = child.discover ?? discover
        append(&allowFiles, child.allowFiles)
        append(&allowEnv, child.allowEnv)
        setEnv.merge(child.setEnv) { _, new in new }
        if let childBaseline = child.baseline {
            // `baseline` and `import` are one setting: the most derived one wins.
            baseline = childBaseline
            importPath = nil
            syscallLocations.importPath = nil
        }
        if let childImport = child.importPath {
            importPath = childImport
            syscallLocations.importPath = child.syscallLocations.importPath
        }
        for name in child.syscallDeny where !syscallDeny.contains(name) {
            syscallDeny.append(name)
            syscallLocations.deny[name] = child.syscallLocations.deny[name]
        }
        for name in child.syscallAllow where !syscallAllow.contains(name) {
            syscallAllow.append(name)
            syscallLocations.allow[name] = child.syscallLocations.allow[name]
        }
        for (index, rule) in child.syscallRules.enumerated() where !syscallRules.contains(rule) {
            syscallRules.append(rule)
            if index < child.syscallLocations.rules.count {
                syscallLocations.rules.append(child.syscallLocations.rules[index])
            }
        }
        onDeny = child.onDeny ?? onDeny
        mode = child.mode ?? mode
        append(&keepCapabilities, child.keepCapabilities)
        append(&egress, child.egress)
        append(&networkDeny, child.networkDeny)
        hosts.merge(child.hosts) { _, new in new }
        append(&unixSockets, child.unixSockets)
        memory = child.memory ?? memory
        pids = child.pids ?? pids
        cpu = child.cpu ?? cpu
        openFiles = child.openFiles ?? openFiles
        inspection.http += child.inspection.http.filter { !inspection.http.contains($0) }
        inspection.credentials += child.inspection.credentials.filter { !inspection.credentials.contains($0) }
        inspection.upstreamCA = child.inspection.upstreamCA ?? inspection.upstreamCA
        inspection.askTimeout = child.inspection.askTimeout ?? inspection.askTimeout
        inspection.foundTokens = child.inspection.foundTokens ?? inspection.foundTokens
    }

    func policy() -> Policy {
        let defaults = SyscallPolicy()
        var syscalls = SyscallPolicy(baseline: baseline ?? defaults.baseline, deny: syscallDeny, allow: syscallAllow,
                                     onDeny: onDeny ?? defaults.onDeny, mode: mode ?? defaults.mode,
                                     importPath: importPath, rules: syscallRules)
        syscalls.locations = syscallLocations
        return Policy(
            filesystem: FilesystemPolicy(readOnly: readOnly, readWrite: readWrite, hidden: hidden, tmpfs: tmpfs, unprotect: unprotect),
            secrets: SecretsPolicy(discover: discover ?? SecretsPolicy().discover, allowFiles: allowFiles, allowEnv: allowEnv, setEnv: setEnv),
            syscalls: syscalls,
            network: NetworkPolicy(egress: egress, deny: networkDeny, hosts: hosts, unixSockets: unixSockets),
            limits: LimitsPolicy(memory: memory, pids: pids, cpu: cpu, openFiles: openFiles),
            capabilities: CapabilitiesPolicy(keep: keepCapabilities), inspection: inspection)
    }
}

struct ParsedProfile {
    var extends: [Located<String>] = []
    var defaultEnvironment: Located<String>?
    var base = ProfileLayer()
    /// In document order.
    var environments: [(name: String, layer: ProfileLayer)] = []
}

/// The profile schema: which keys exist, what type each has, what values are valid.
enum ProfileSchema {
    static let topLevelKeys = ["capabilities", "credentials", "default_env", "env", "extends", "filesystem", "http", "limits", "network", "secrets", "syscalls"]
    static let sectionKeys: [String: [String]] = [
        "filesystem": ["hidden", "read_only", "read_write", "tmpfs", "unprotect"],
        "secrets": ["allow_env", "allow_files", "discover", "set_env"],
        "syscalls": ["allow", "baseline", "deny", "import", "mode", "on_deny", "rules"],
        "network": ["ask_timeout", "deny", "egress", "found_tokens", "hosts", "unix_sockets", "upstream_ca"],
        "limits": ["cpu", "memory", "open_files", "pids"],
        "capabilities": ["keep"],
    ]
    static let sectionNames = ["capabilities", "filesystem", "limits", "network", "secrets", "syscalls"]
    /// Arrays of tables: `[[http]]`, `[[credentials]]` (and `[[env.NAME.http]]`, …).
    static let arraySectionNames = ["credentials", "http"]
    static let ruleKeys = ["action", "args", "syscall"]
    static let argumentKeys = ["index", "mask", "op", "value"]
    static let argumentIndexRange: ClosedRange<Int64> = 0...5

    static let memoryMinimum: UInt64 = 1 << 20
    static let pidsRange: ClosedRange<Int64> = 1...4_194_304  // the kernel's PID_MAX_LIMIT
    static let openFilesRange: ClosedRange<Int64> = 16...1_073_741_816  // the largest fs.nr_open systemd sets

    /// `directory`: the absolute directory of the profile file, against which a relative `import`
    /// is resolved; nil for built-in profiles.
    static func read(bytes: [UInt8], file: String, directory: String?) throws(ProfileError) -> ParsedProfile {
        let document: TOMLTable
        do {
            document = try TOML.parse(bytes: bytes, file: file)
        } catch {
            throw ProfileError(error)
        }
        return try SchemaReader(file: file, directory: directory).profile(document)
    }
}

struct SchemaReader {
    let file: String
    let directory: String?

    func fail(_ value: TOMLValue, _ message: String) -> ProfileError {
        ProfileError(file: file, line: value.line, key: value.key, message: message)
    }

    func profile(_ document: TOMLTable) throws(ProfileError) -> ParsedProfile {
        var profile = ParsedProfile()
        for (key, value) in document.entries {
            switch key {
            case "extends":
                if let array = value.array {
                    for element in array { profile.extends.append(Located(value: try nonEmptyString(element), line: element.line)) }
                } else {
                    profile.extends = [Located(value: try nonEmptyString(value), line: value.line)]
                }
            case "default_env":
                profile.defaultEnvironment = Located(value: try string(value), line: value.line)
            case "env":
                for (name, section) in try table(value).entries {
                    guard !name.isEmpty, name.utf8.allSatisfy(TOMLKey.isBareKeyByte) else {
                        throw fail(section, Messages.invalidEnvName(name))
                    }
                    var layer = ProfileLayer()
                    for (sectionName, content) in try table(section).entries {
                        if ProfileSchema.arraySectionNames.contains(sectionName) {
                            try readInspection(sectionName, content, into: &layer)
                            continue
                        }
                        guard ProfileSchema.sectionNames.contains(sectionName) else {
                            throw fail(content, Messages.unknownKey(sectionName, valid: ProfileSchema.sectionNames))
                        }
                        try readSection(sectionName, content, into: &layer)
                    }
                    profile.environments.append((name, layer))
                }
            case "http", "credentials":
                try readInspection(key, value, into: &profile.base)
            default:
                guard ProfileSchema.sectionNames.contains(key) else {
                    throw fail(value, Messages.unknownKey(key, valid: ProfileSchema.topLevelKeys))
                }
                try readSection(key, value, into: &profile.base)
            }
        }
        return profile
    }

    func readSection(_ section: String, _ value: TOMLValue, into layer: inout ProfileLayer) throws(ProfileError) {
        let entries = try table(value).entries
        var baselineValue: TOMLValue?
        for (key, value) in entries {
            switch (section, key) {
            case ("filesystem", "read_only"): layer.readOnly += try paths(value)
            case ("filesystem", "read_write"): layer.readWrite += try paths(value)
            case ("filesystem", "hidden"): layer.hidden += try paths(value)
            case ("filesystem", "tmpfs"): layer.tmpfs += try paths(value)
            case ("filesystem", "unprotect"): layer.unprotect += try paths(value)
            case ("secrets", "discover"): layer.discover = try boolean(value)
            case ("secrets", "allow_files"): layer.allowFiles += try paths(value)
            case ("secrets", "allow_env"): layer.allowEnv += try strings(value, check: envVarProblem)
            case ("secrets", "set_env"):
                for (name, field) in try table(value).entries {
                    if let problem = envVarProblem(name) { throw fail(field, problem) }
                    guard let text = field.string else { throw fail(field, Messages.wrongType(expected: "a string", found: field.typeName)) }
                    guard !text.utf8.contains(0) else { throw fail(field, "value must not contain NUL characters") }
                    layer.setEnv[name] = text
                }
            case ("syscalls", "baseline"):
                layer.baseline = try choice(value, SyscallPolicy.baselines)
                baselineValue = value
            case ("syscalls", "deny"):
                for (name, line) in try locatedStrings(value, check: syscallProblem) where !layer.syscallDeny.contains(name) {
                    layer.syscallDeny.append(name)
                    layer.syscallLocations.deny[name] = SourceLocation(file: file, line: line)
                }
            case ("syscalls", "allow"):
                for (name, line) in try locatedStrings(value, check: syscallProblem) where !layer.syscallAllow.contains(name) {
                    layer.syscallAllow.append(name)
                    layer.syscallLocations.allow[name] = SourceLocation(file: file, line: line)
                }
            case ("syscalls", "import"):
                layer.importPath = try importPath(value)
                layer.syscallLocations.importPath = SourceLocation(file: file, line: value.line)
            case ("syscalls", "rules"):
                guard let array = value.array else {
                    throw fail(value, Messages.wrongType(expected: "an array of tables", found: value.typeName))
                }
                for (index, element) in array.enumerated() {
                    let rule = try syscallRule(element, key: value.key + "[\(index)]")
                    guard !layer.syscallRules.contains(rule) else { continue }
                    layer.syscallRules.append(rule)
                    layer.syscallLocations.rules.append(SourceLocation(file: file, line: element.line))
                }
            case ("capabilities", "keep"): layer.keepCapabilities += try strings(value, check: capabilityProblem)
            case ("syscalls", "on_deny"): layer.onDeny = try onDeny(value)
            case ("syscalls", "mode"):
                let text = try choice(value, SyscallPolicy.Mode.allCases.map(\.rawValue))
                layer.mode = SyscallPolicy.Mode(rawValue: text)
            case ("network", "egress"): layer.egress += try strings(value) { egressEntryProblem($0, list: "egress") }
            case ("network", "deny"): layer.networkDeny += try strings(value) { egressEntryProblem($0, list: "deny") }
            case ("network", "hosts"): try readHosts(value, into: &layer.hosts)
            case ("network", "unix_sockets"): layer.unixSockets += try paths(value)
            case ("network", "upstream_ca"): layer.inspection.upstreamCA = try upstreamCA(value)
            case ("network", "ask_timeout"): layer.inspection.askTimeout = try integer(value, name: "ask_timeout", in: 1...86_400)
            case ("network", "found_tokens"): layer.inspection.foundTokens = try choice(value, ["deny", "ask", "off"])
            case ("limits", "memory"): layer.memory = try memory(value)
            case ("limits", "pids"): layer.pids = try integer(value, name: "pids", in: ProfileSchema.pidsRange)
            case ("limits", "cpu"): layer.cpu = try cpu(value)
            case ("limits", "open_files"): layer.openFiles = try integer(value, name: "open_files", in: ProfileSchema.openFilesRange)
            default:
                throw fail(value, Messages.unknownKey(key, valid: ProfileSchema.sectionKeys[section] ?? []))
            }
        }
        if let baselineValue, layer.importPath != nil, let importLine = layer.syscallLocations.importPath?.line {
            throw ProfileError(file: file, line: importLine, key: TOMLKey.render(baselineValue.path.dropLast() + ["import"]),
                               message: Messages.baselineAndImport)
        }
    }

    // MARK: Network

    /// `hosts = { "api.staging.test" = "127.0.0.1" }`: each name a host name, each value an IP
    /// address in the strict forms (stored canonical).
    func readHosts(_ value: TOMLValue, into hosts: inout [String: String]) throws(ProfileError) {
        var seen: [String: String] = [:]
        for (name, field) in try table(value).entries {
            let normalized: String
            switch HostName.check(name) {
            case .success(let host): normalized = host
            case .failure(let problem): throw fail(field, Messages.invalidHostName(name, problem.message))
            }
            if let earlier = seen[normalized] { throw fail(field, Messages.duplicateHost(name, earlier)) }
            seen[normalized] = name
            guard let text = field.string else {
                throw fail(field, Messages.wrongType(expected: "a string", found: field.typeName))
            }
            guard let address = IPAddress(text) else { throw fail(field, Messages.invalidHostAddress(text, name)) }
            hosts[normalized] = address.description
        }
    }

    func egressEntryProblem(_ text: String, list: String) -> String? {
        if text.isEmpty { return Messages.empty }
        switch EgressEntry.parse(text) {
        case .success: return nil
        case .failure(let problem): return Messages.invalidEgressEntry(list, text, problem.message)
        }
    }

    // MARK: Syscall rules

    /// A relative path is resolved against the profile's directory; the file must exist.
    func importPath(_ value: TOMLValue) throws(ProfileError) -> String {
        let text = try nonEmptyString(value)
        if text.utf8.contains(0) { throw fail(value, Messages.invalidPath(text, "paths must not contain NUL characters")) }
        let resolved: String
        if text.hasPrefix("/") {
            resolved = Paths.normalize(text)
        } else if let directory {
            resolved = Paths.normalize(Paths.join(directory, text))
        } else {
            throw fail(value, Messages.relativeImportInBuiltin(text))
        }
        guard FileSystem.isRegularFile(resolved) else { throw fail(value, Messages.importNotFound(resolved)) }
        return resolved
    }

    /// One `[[syscalls.rules]]` table. `key` names it in errors: `syscalls.rules[2]`.
    func syscallRule(_ value: TOMLValue, key: String) throws(ProfileError) -> SyscallRuleEntry {
        let fail = { (value: TOMLValue, key: String, message: String) in
            ProfileError(file: self.file, line: value.line, key: key, message: message)
        }
        guard let entries = value.table else {
            throw fail(value, key, Messages.wrongType(expected: "a table", found: value.typeName))
        }
        var syscall: String?
        var action = SyscallRuleEntry.Action.deny
        var args: [SyscallRuleEntry.Argument] = []
        for (name, field) in entries.entries {
            let fieldKey = key + "." + name
            switch name {
            case "syscall":
                guard let text = field.string else {
                    throw fail(field, fieldKey, Messages.wrongType(expected: "a string", found: field.typeName))
                }
                if let problem = syscallProblem(text) { throw fail(field, fieldKey, problem) }
                syscall = text
            case "action":
                guard let text = field.string else {
                    throw fail(field, fieldKey, Messages.wrongType(expected: "a string", found: field.typeName))
                }
                guard let parsed = SyscallRuleEntry.Action(rawValue: text) else {
                    throw fail(field, fieldKey, Messages.invalidChoice(text, SyscallRuleEntry.Action.allCases.map(\.rawValue)))
                }
                action = parsed
            case "args":
                guard let array = field.array else {
                    throw fail(field, fieldKey, Messages.wrongType(expected: "an array of tables", found: field.typeName))
                }
                for (position, element) in array.enumerated() {
                    args.append(try ruleArgument(element, key: fieldKey + "[\(position)]"))
                }
            default:
                throw fail(field, fieldKey, Messages.unknownKey(name, valid: ProfileSchema.ruleKeys))
            }
        }
        guard let syscall else { throw fail(value, key, Messages.missingKey("syscall")) }
        return SyscallRuleEntry(syscall: syscall, action: action, args: args)
    }

    /// `{ index = 0, op = "==", value = 17 }`, `{ index = 1, op = "&=", mask = 0xf, value = "SOCK_RAW" }`.
    func ruleArgument(_ value: TOMLValue, key: String) throws(ProfileError) -> SyscallRuleEntry.Argument {
        let fail = { (value: TOMLValue, key: String, message: String) in
            ProfileError(file: self.file, line: value.line, key: key, message: message)
        }
        guard let entries = value.table else {
            throw fail(value, key, Messages.wrongType(expected: "a table", found: value.typeName))
        }
        var index: Int?
        var op: SyscallRuleEntry.Argument.Operator?
        var number: UInt64?
        var mask: (value: UInt64, field: TOMLValue)?
        for (name, field) in entries.entries {
            let fieldKey = key + "." + name
            switch name {
            case "index":
                guard let n = field.integer else {
                    throw fail(field, fieldKey, Messages.wrongType(expected: "an integer", found: field.typeName))
                }
                guard ProfileSchema.argumentIndexRange.contains(n) else {
                    throw fail(field, fieldKey, Messages.outOfRange("index", ProfileSchema.argumentIndexRange, found: n))
                }
                index = Int(n)
            case "op":
                guard let text = field.string else {
                    throw fail(field, fieldKey, Messages.wrongType(expected: "a string", found: field.typeName))
                }
                guard let parsed = SyscallRuleEntry.Argument.Operator(rawValue: text) else {
                    throw fail(field, fieldKey, Messages.invalidChoice(text, SyscallRuleEntry.Argument.Operator.allCases.map(\.rawValue)))
                }
                op = parsed
            case "value":
                number = try argumentValue(field, key: fieldKey)
            case "mask":
                mask = (try argumentValue(field, key: fieldKey), field)
            default:
                throw fail(field, fieldKey, Messages.unknownKey(name, valid: ProfileSchema.argumentKeys))
            }
        }
        guard let index else { throw fail(value, key, Messages.missingKey("index")) }
        guard let op else { throw fail(value, key, Messages.missingKey("op")) }
        guard let number else { throw fail(value, key, Messages.missingKey("value")) }
        if op == .maskedEqual {
            guard let mask else { throw fail(value, key, Messages.maskRequired) }
            if number & ~mask.value != 0 { throw fail(value, key, Messages.valueOutsideMask) }
            return SyscallRuleEntry.Argument(index: index, op: op, value: number, mask: mask.value)
        }
        if let mask { throw fail(mask.field, key + ".mask", Messages.maskNotAllowed) }
        return SyscallRuleEntry.Argument(index: index, op: op, value: number)
    }

    /// An integer (negative numbers are 64-bit two's complement: -1 is 0xffffffffffffffff) or a
    /// name from `SyscallConstants`.
    func argumentValue(_ field: TOMLValue, key: String) throws(ProfileError) -> UInt64 {
        switch field.storage {
        case .integer(let n):
            return UInt64(bitPattern: n)
        case .string(let name):
            guard let number = SyscallConstants.value(of: name) else {
                throw ProfileError(file: file, line: field.line, key: key, message: Messages.unknownConstant(name))
            }
            return number
        default:
            throw ProfileError(file: file, line: field.line, key: key,
                               message: Messages.wrongType(expected: "an integer or a constant name such as \"AF_INET\"", found: field.typeName))
        }
    }

    // MARK: Types

    func table(_ value: TOMLValue) throws(ProfileError) -> TOMLTable {
        guard let table = value.table else { throw fail(value, Messages.wrongType(expected: "a table", found: value.typeName)) }
        return table
    }

    func string(_ value: TOMLValue) throws(ProfileError) -> String {
        guard let text = value.string else { throw fail(value, Messages.wrongType(expected: "a string", found: value.typeName)) }
        return text
    }

    func nonEmptyString(_ value: TOMLValue) throws(ProfileError) -> String {
        let text = try string(value)
        guard !text.isEmpty else { throw fail(value, Messages.empty) }
        return text
    }

    func boolean(_ value: TOMLValue) throws(ProfileError) -> Bool {
        guard let flag = value.boolean else { throw fail(value, Messages.wrongType(expected: "a boolean", found: value.typeName)) }
        return flag
    }

    /// An array of strings, each checked by `check` (which returns a problem message or nil).
    func strings(_ value: TOMLValue, check: (String) -> String?) throws(ProfileError) -> [String] {
        guard let array = value.array else {
            throw fail(value, Messages.wrongType(expected: "an array of strings", found: value.typeName))
        }
        var result: [String] = []
        for element in array {
            guard let text = element.string else { throw fail(element, Messages.wrongElementType(found: element.typeName)) }
            if let problem = check(text) { throw fail(element, problem) }
            result.append(text)
        }
        return result
    }

    /// Like `strings`, with the line of each element.
    func locatedStrings(_ value: TOMLValue, check: (String) -> String?) throws(ProfileError) -> [(String, Int)] {
        guard let array = value.array else {
            throw fail(value, Messages.wrongType(expected: "an array of strings", found: value.typeName))
        }
        var result: [(String, Int)] = []
        for element in array {
            guard let text = element.string else { throw fail(element, Messages.wrongElementType(found: element.typeName)) }
            if let problem = check(text) { throw fail(element, problem) }
            result.append((text, element.line))
        }
        return result
    }

    func paths(_ value: TOMLValue) throws(ProfileError) -> [String] {
        try strings(value, check: pathProblem)
    }

    func choice(_ value: TOMLValue, _ choices: [String]) throws(ProfileError) -> String {
        let text = try string(value)
        guard choices.contains(text) else { throw fail(value, Messages.invalidChoice(text, choices)) }
        return text
    }

    func onDeny(_ value: TOMLValue) throws(ProfileError) -> SyscallPolicy.OnDeny {
        let text = try string(value)
        if let parsed = SyscallPolicy.OnDeny(parsing: text) { return parsed }
        if text.hasPrefix("errno:") { throw fail(value, Messages.unknownErrno(String(text.dropFirst("errno:".count)))) }
        throw fail(value, Messages.invalidChoice(text, ["kill", "errno:NAME"]))
    }

    func integer(_ value: TOMLValue, name: String, in range: ClosedRange<Int64>) throws(ProfileError) -> Int {
        guard let number = value.integer else {
            throw fail(value, Messages.wrongType(expected: "an integer", found: value.typeName))
        }
        guard range.contains(number) else { throw fail(value, Messages.outOfRange(name, range, found: number)) }
        return Int(number)
    }

    func cpu(_ value: TOMLValue) throws(ProfileError) -> Double {
        let cores: Double
        let shown: String
        switch value.storage {
        case .integer(let n):
            cores = Double(n)
            shown = String(n)
        case .float(let x):
            cores = x
            shown = x.isNaN ? "nan" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : String(x)
        default:
            throw fail(value, Messages.wrongType(expected: "a number", found: value.typeName))
        }
        guard cores.isFinite, cores > 0 else { throw fail(value, Messages.badCPU(shown)) }
        return cores
    }

    func memory(_ value: TOMLValue) throws(ProfileError) -> UInt64 {
        switch value.storage {
        case .integer(let n):
            guard n >= 0, UInt64(n) >= ProfileSchema.memoryMinimum else { throw fail(value, Messages.memoryTooSmall(String(n))) }
            return UInt64(n)
        case .string(let text):
            switch MemorySize.parse(text) {
            case .invalid: throw fail(value, Messages.invalidMemory(text))
            case .tooLarge: throw fail(value, Messages.memoryTooLarge(text))
            case .bytes(let bytes):
                guard bytes >= ProfileSchema.memoryMinimum else { throw fail(value, Messages.memoryTooSmall(Messages.quote(text))) }
                return bytes
            }
        default:
            throw fail(value, Messages.wrongType(expected: "an integer number of bytes or a size string such as \"4G\"",
                                                 found: value.typeName))
        }
    }

    // MARK: Checks (a problem message, or nil)

    func pathProblem(_ path: String) -> String? {
        if path.isEmpty { return Messages.invalidPath(path, "paths must not be empty") }
        if path.utf8.contains(0) { return Messages.invalidPath(path, "paths must not contain NUL characters") }
        if path.split(separator: "/", omittingEmptySubsequences: true).contains("..") {
            return Messages.invalidPath(path, "'..' components are not allowed")
        }
        if path.hasPrefix("~"), path != "~", !path.hasPrefix("~/") {
            return Messages.invalidPath(path, "'~' is only allowed as '~' or a '~/' prefix")
        }
        return nil
    }

    func syscallProblem(_ name: String) -> String? {
        let valid = !name.isEmpty && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        return valid ? nil : Messages.invalidSyscall(name)
    }

    func capabilityProblem(_ name: String) -> String? {
        CapabilityNames.numbers[name] == nil ? Messages.unknownCapability(name) : nil
    }

    func envVarProblem(_ name: String) -> String? {
        (name.isEmpty || name.utf8.contains(0x3D) || name.utf8.contains(0)) ? Messages.invalidEnvVar(name) : nil
    }

    func nonEmptyProblem(_ text: String) -> String? {
        text.isEmpty ? Messages.empty : nil
    }
}

/// `"512M"`, `"4G"`, `"4GiB"`, `"1048576"`, `"1048576B"`: powers of 1024, case-insensitive units.
enum MemorySize: Equatable {
    case bytes(UInt64)
    case invalid
    case tooLarge

    static func parse(_ text: String) -> MemorySize {
        let utf8 = Array(text.utf8)
        var end = 0
        while end < utf8.count, utf8[end] >= 0x30, utf8[end] <= 0x39 { end += 1 }
        guard end > 0 else { return .invalid }
        let unit = String(decoding: utf8[end...], as: UTF8.self).lowercased()
        let shift: UInt64
        switch unit {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        case "t", "tb", "tib": shift = 40
        default: return .invalid
        }
        var number: UInt64 = 0
        for digit in utf8[..<end] {
            let (m, o1) = number.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(digit - 0x30))
            guard !o1, !o2 else { return .tooLarge }
            number = s
        }
        let limit = UInt64(Int64.max) >> shift
        guard number <= limit else { return .tooLarge }
        return .bytes(number << shift)
    }

    /// The shortest exact rendering: `"8G"`, `"1536M"`, or plain bytes.
    static func format(_ bytes: UInt64) -> String {
        for (shift, suffix) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] as [(UInt64, String)] {
            if bytes != 0, bytes & ((1 << shift) - 1) == 0 { return String(bytes >> shift) + suffix }
        }
        return String(bytes)
    }
}

// MARK: - Paths and files

enum Paths {
    /// Lexical normalization: drops `.` and empty components, applies `..`.
    static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if let last = parts.last, last != ".." {
                    parts.removeLast()
                } else if !absolute {
                    parts.append(part)
                }
                continue
            }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        return normalize(join(FileSystem.currentDirectory(), path))
    }

    static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The parent directory of a normalized path: `/a/b` → `/a`, `/a` → `/`, `a` → `.`.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// Like `directory(of:)`, but `""` for a bare file name (so joining keeps paths short).
    static func directoryOrEmpty(of path: String) -> String {
        path.contains("/") ? directory(of: path) : ""
    }
}

enum FileSystem {
    struct Failure: Error {
        var code: Int32
        var reason: String { String(cString: strerror(code)) }
    }

    static func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "/" }
        defer { free(buffer) }
        return String(cString: buffer)
    }

    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        return (info.st_mode & S_IFMT) == S_IFREG
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func readFile(_ path: String) -> Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Failure(code: errno)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Failure(code: errno)) }
        if (info.st_mode & S_IFMT) == S_IFDIR { return .failure(Failure(code: EISDIR)) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(code: errno))
            }
            if count == 0 { return .success(bytes) }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }
}
