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
        inspection.git += child.inspection.git.filter { !inspection.git.contains($0) }
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
