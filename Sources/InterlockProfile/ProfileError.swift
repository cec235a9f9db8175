/// Why a profile could not be loaded. One error, one line:
///
///     FILE:LINE: KEY: MESSAGE
///
/// with the parts that do not apply left out (`FILE: MESSAGE`, `FILE:LINE: MESSAGE`,
/// `FILE: KEY: MESSAGE`). FILE is the profile's path (normalized, relative paths stay relative
/// to the current directory; `extends` targets are resolved against the extending file's
/// directory), `builtin:NAME` for a built-in profile, or `<command line>` when the problem is
/// an argument (KEY is then `--profile` or `--env`). LINE is 1-based. KEY is the full dotted
/// key (`env.staging.limits.memory`); for an element of an array it is the array's key and
/// LINE is the element's line. Quoted values (`'…'`) show control characters escaped.
///
/// The messages, exactly (text in CAPITALS is filled in; lists are comma-separated and sorted):
///
/// TOML syntax (no KEY; the message comes from `TOMLError`), for example:
/// - `expected the end of the line, found 'x'`
/// - `expected '=' after key 'KEY', found …` · `expected a key, found …` · `expected a value, found …`
/// - `invalid value 'TEXT' (strings must be quoted)` · `invalid number 'TEXT'` · `integer 'TEXT' is out of range`
/// - `dates are not supported`
/// - `duplicate key 'KEY'` · `table 'KEY' is already defined` · `table 'KEY' is already defined as an array of tables`
/// - `cannot add to table 'KEY' with dotted keys: it is already defined` · `cannot add to inline table 'KEY'`
/// - `unterminated string` · `unterminated multi-line string` · `unterminated array (opened on line N)`
/// - `invalid escape sequence '\X'` · `the file is not valid UTF-8`
///
/// Schema:
/// - `unknown key 'NAME'; valid keys: KEY, KEY, …` (NAME is the last component of KEY)
/// - `expected TYPE, found FOUND` where TYPE is one of `a string`, `a boolean`, `a table`,
///   `an array of strings`, `an integer`, `a number`,
///   `an integer number of bytes or a size string such as "4G"`; FOUND is `string`, `integer`,
///   `float`, `boolean`, `array` or `table`
/// - `expected an array of strings, found FOUND element` (an array element of the wrong type)
/// - `value must not be empty`
/// - `invalid version requirement 'TEXT'; use ">= X.Y" or ">= X.Y.Z"` (KEY `requires`)
/// - `this profile requires Interlock >= X.Y.Z; this is VERSION: upgrade Interlock to use it` (KEY `requires`)
/// - `invalid path 'PATH': paths must not be empty`
/// - `invalid path 'PATH': paths must not contain NUL characters`
/// - `invalid path 'PATH': '..' components are not allowed`
/// - `invalid path 'PATH': '~' is only allowed as '~' or a '~/' prefix`
/// - `invalid memory size 'TEXT'; use a number of bytes or a number with a K, M, G or T suffix, such as "512M" or "4G"`
/// - `memory size 'TEXT' is too large`
/// - `memory must be at least 1M (1048576 bytes), found VALUE` (VALUE: the integer, or the string quoted)
/// - `pids must be between 1 and 4194304, found N`
/// - `open_files must be between 16 and 1073741816, found N`
/// - `cpu must be a finite number greater than 0, found X`
/// - `invalid value 'TEXT'; valid values: agent, docker, none` (syscalls.baseline)
/// - `invalid value 'TEXT'; valid values: enforce, learn` (syscalls.mode)
/// - `invalid value 'TEXT'; valid values: kill, errno:NAME` (syscalls.on_deny)
/// - `unknown errno name 'NAME'; valid names: E2BIG, EACCES, …` (syscalls.on_deny)
/// - `invalid syscall name 'TEXT'; use lowercase letters, digits and '_'`
/// - `set either baseline or import, not both (an import replaces the baseline)` (KEY `syscalls.import`)
/// - `import file not found: PATH` (PATH resolved against the profile's directory)
/// - `invalid path 'PATH': a built-in profile can only import absolute paths`
/// - `[[syscalls.rules]]` (KEY `syscalls.rules[N]`, N counting from 0 in that file's array, then
///   `.syscall`, `.action`, `.args[M]`, `.args[M].op`, …): `expected a table, found FOUND`,
///   `expected an array of tables, found FOUND`, `missing key 'NAME'`, `unknown key …`,
///   `invalid value 'TEXT'; valid values: deny, allow` (action),
///   `invalid value 'TEXT'; valid values: ==, !=, <, <=, >, >=, &=` (op),
///   `index must be between 0 and 5, found N`, `op '&=' needs a mask`,
///   `mask is only allowed with op '&='`,
///   `value has bits outside the mask, so the comparison could never hold`,
///   `expected an integer or a constant name such as "AF_INET", found FOUND`,
///   `unknown constant 'NAME'; valid constants: …` (see `SyscallConstants`)
/// - `unknown capability 'NAME'; valid names: CAP_AUDIT_CONTROL, …` (capabilities.keep)
/// - `invalid environment variable name 'TEXT'; names must be non-empty and contain no '=' or NUL`
/// - `invalid environment name 'NAME'; use letters, digits, '-' and '_'` (KEY `env.NAME`)
/// - `invalid egress entry 'TEXT': PROBLEM` / `invalid deny entry 'TEXT': PROBLEM` (network.egress,
///   network.deny; the grammar and the PROBLEM phrases are on `EgressEntry`), for example
///   `invalid egress entry 'api.example.com:https': the port must be a number from 1 to 65535, a range such as 8000-8999, or *`
/// - `invalid host name 'NAME': PROBLEM` (network.hosts, KEY `network.hosts."NAME"`)
/// - `host 'NAME' is already listed as 'OTHER'` (network.hosts: names compare case-insensitively)
/// - `invalid address 'TEXT' for host 'NAME'; use an IPv4 address such as "127.0.0.1" or an IPv6 address such as "::1"`
///
/// Profiles and environments:
/// - `unknown built-in profile 'NAME'; built-in profiles: default, strict`
///   (KEY `extends` in the extending file, or `<command line>: --profile: …`)
/// - `profile file not found: PATH` (KEY `extends` in the extending file, or `<command line>: --profile: …`)
/// - `cannot read profile file PATH: REASON` (REASON from strerror, e.g. `Is a directory`)
/// - `extends cycle: A -> B -> A` (every profile of the chain from the first one loaded; KEY `extends`)
/// - `a built-in profile can only extend built-in profiles`
/// - `unknown environment 'NAME'; valid environments: NAME, NAME, …`
/// - `unknown environment 'NAME'; the profile defines no environments`
///   (from `default_env`: FILE is the profile that sets it, with its LINE and KEY `default_env`;
///   from the argument: `<command line>: --env: …`)
public struct ProfileError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Path as given (normalized), `builtin:NAME`, or `<command line>`.
    public var file: String
    /// 1-based.
    public var line: Int?
    /// Full dotted key, e.g. `env.staging.limits.memory`, or `--env` / `--profile`.
    public var key: String?
    public var message: String

    public init(file: String, line: Int? = nil, key: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    /// `FILE:LINE: KEY: MESSAGE`, leaving out what is missing.
    public var description: String {
        var out = file
        if let line { out += ":\(line)" }
        if let key { out += ": \(key)" }
        return out + ": " + message
    }

    /// The `file` of errors about command-line arguments.
    public static let commandLine = "<command line>"

    init(_ error: TOMLError) {
        self.init(file: error.file, line: error.line, key: nil, message: error.message)
    }
}
