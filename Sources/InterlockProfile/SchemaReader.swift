/// Reads one parsed TOML document against `ProfileSchema`: every key and value is checked, and
/// an error names the file, line and key.
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
            case "requires":
                try checkRequirement(value)
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
            case "http", "credentials", "git":
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
