/// The profile schema: which keys exist, what type each has, what values are valid.
enum ProfileSchema {
    static let topLevelKeys = ["capabilities", "credentials", "default_env", "env", "extends", "filesystem", "git", "http", "limits", "network", "requires", "secrets", "syscalls"]
    static let sectionKeys: [String: [String]] = [
        "filesystem": ["hidden", "read_only", "read_write", "tmpfs", "unprotect"],
        "secrets": ["allow_env", "allow_files", "discover", "set_env"],
        "syscalls": ["allow", "baseline", "deny", "import", "mode", "on_deny", "rules"],
        "network": ["ask_timeout", "deny", "egress", "found_tokens", "hosts", "unix_sockets", "upstream_ca"],
        "limits": ["cpu", "memory", "open_files", "pids"],
        "capabilities": ["keep"],
    ]
    static let sectionNames = ["capabilities", "filesystem", "limits", "network", "secrets", "syscalls"]
    /// Arrays of tables: `[[http]]`, `[[credentials]]`, `[[git]]` (and `[[env.NAME.http]]`, …).
    static let arraySectionNames = ["credentials", "git", "http"]
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
