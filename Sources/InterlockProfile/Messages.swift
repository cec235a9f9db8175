/// Message texts, in one place so the wording stays stable (see `ProfileError`).
enum Messages {
    static func unknownKey(_ name: String, valid: [String]) -> String {
        "unknown key \(quote(name)); valid keys: \(valid.sorted().joined(separator: ", "))"
    }
    static func wrongType(expected: String, found: String) -> String {
        "expected \(expected), found \(found)"
    }
    static func wrongElementType(found: String) -> String {
        "expected an array of strings, found \(found) element"
    }
    static let empty = "value must not be empty"
    static func invalidPath(_ path: String, _ reason: String) -> String {
        "invalid path \(quote(path)): \(reason)"
    }
    static func invalidMemory(_ text: String) -> String {
        "invalid memory size \(quote(text)); use a number of bytes or a number with a K, M, G or T suffix, such as \"512M\" or \"4G\""
    }
    static func memoryTooLarge(_ text: String) -> String { "memory size \(quote(text)) is too large" }
    static func memoryTooSmall(_ found: String) -> String {
        "memory must be at least 1M (1048576 bytes), found \(found)"
    }
    static func outOfRange(_ name: String, _ range: ClosedRange<Int64>, found: Int64) -> String {
        "\(name) must be between \(range.lowerBound) and \(range.upperBound), found \(found)"
    }
    static func badCPU(_ found: String) -> String { "cpu must be a finite number greater than 0, found \(found)" }
    static func invalidChoice(_ text: String, _ choices: [String]) -> String {
        "invalid value \(quote(text)); valid values: \(choices.joined(separator: ", "))"
    }
    static func unknownErrno(_ name: String) -> String {
        "unknown errno name \(quote(name)); valid names: \(SyscallPolicy.errnoNumbers.keys.sorted().joined(separator: ", "))"
    }
    static func invalidSyscall(_ name: String) -> String {
        "invalid syscall name \(quote(name)); use lowercase letters, digits and '_'"
    }
    static func unknownCapability(_ name: String) -> String {
        "unknown capability \(quote(name)); valid names: \(CapabilityNames.numbers.keys.sorted().joined(separator: ", "))"
    }
    static func unknownConstant(_ name: String) -> String {
        "unknown constant \(quote(name)); valid constants: \(SyscallConstants.values.keys.sorted().joined(separator: ", "))"
    }
    static func missingKey(_ name: String) -> String { "missing key \(quote(name))" }
    static func invalidRequirement(_ text: String) -> String {
        "invalid version requirement \(quote(text)); use \">= X.Y\" or \">= X.Y.Z\""
    }
    static func requirementNotMet(_ requirement: VersionRequirement, version: String) -> String {
        "this profile requires Interlock \(requirement); this is \(version): upgrade Interlock to use it"
    }
    static let maskRequired = "op '&=' needs a mask"
    static let maskNotAllowed = "mask is only allowed with op '&='"
    static let valueOutsideMask = "value has bits outside the mask, so the comparison could never hold"
    static let baselineAndImport = "set either baseline or import, not both (an import replaces the baseline)"
    static func relativeImportInBuiltin(_ path: String) -> String {
        "invalid path \(quote(path)): a built-in profile can only import absolute paths"
    }
    static func importNotFound(_ path: String) -> String { "import file not found: \(path)" }
    static func invalidEnvVar(_ name: String) -> String {
        "invalid environment variable name \(quote(name)); names must be non-empty and contain no '=' or NUL"
    }
    static func invalidEgressEntry(_ list: String, _ text: String, _ problem: String) -> String {
        "invalid \(list) entry \(quote(text)): \(problem)"
    }
    static func invalidHostName(_ name: String, _ problem: String) -> String {
        "invalid host name \(quote(name)): \(problem)"
    }
    static func duplicateHost(_ name: String, _ earlier: String) -> String {
        "host \(quote(name)) is already listed as \(quote(earlier))"
    }
    static func invalidHostAddress(_ text: String, _ name: String) -> String {
        "invalid address \(quote(text)) for host \(quote(name)); use an IPv4 address such as \"127.0.0.1\" or an IPv6 address such as \"::1\""
    }
    static func invalidEnvName(_ name: String) -> String {
        "invalid environment name \(quote(name)); use letters, digits, '-' and '_'"
    }
    static func unknownBuiltin(_ name: String) -> String {
        "unknown built-in profile \(quote(name)); built-in profiles: \(BuiltinProfiles.names.joined(separator: ", "))"
    }
    static func notFound(_ path: String) -> String { "profile file not found: \(path)" }
    static func unreadable(_ path: String, _ reason: String) -> String { "cannot read profile file \(path): \(reason)" }
    static func cycle(_ chain: [String]) -> String { "extends cycle: " + chain.joined(separator: " -> ") }
    static let builtinExtendsFile = "a built-in profile can only extend built-in profiles"
    static func unknownEnvironment(_ name: String, valid: [String]) -> String {
        if valid.isEmpty { return "unknown environment \(quote(name)); the profile defines no environments" }
        return "unknown environment \(quote(name)); valid environments: \(valid.joined(separator: ", "))"
    }

    /// `'text'` with control characters escaped, so that a message stays on one line.
    static func quote(_ text: String) -> String {
        var out = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "'"
    }
}
