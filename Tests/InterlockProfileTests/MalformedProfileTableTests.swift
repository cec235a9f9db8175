import XCTest
@testable import InterlockProfile

/// Every malformed-profile class (issue 9), with the exact message the user sees: TOML syntax
/// (strings, escapes, control characters, line endings, arrays, inline tables, headers, keys,
/// numbers, bare words), then loader classes not covered by ProfileLoaderTests (extends, default
/// environment, egress and hosts entries, syscall names and rules, unix sockets). Each names the
/// file and line (and the key where there is one); the run exits 2 and nothing runs.
final class MalformedProfileTableTests: ProfileTestCase {
    func testEveryMalformedClassHasItsExactMessage() throws {
        let d = dir.path, p = dir.path + "/p.toml"
        let table: [(String, String, String)] = [
        ("unterminated basic string", "extends = \"default\n", "\(p):1: unterminated string"),
        ("unterminated literal string", "extends = 'default\n", "\(p):1: unterminated string"),
        ("newline in basic string", "extends = \"a\nb\"\n", "\(p):1: unterminated string"),
        ("unterminated multi-line string", "a = \"\"\"\nabc\n", "\(p):1: unterminated multi-line string"),
        ("invalid escape", "extends = \"de\\qfault\"\n", "\(p):1: invalid escape sequence '\\q'"),
        ("surrogate unicode escape", "extends = \"\\uD800\"\n", "\(p):1: invalid unicode escape: U+D800 is not a unicode scalar value"),
        ("short unicode escape", "extends = \"\\u12\"\n", "\(p):1: invalid unicode escape: expected 4 hexadecimal digits after '\\u'"),
        ("control character in string", "extends = \"a\u{01}b\"\n", "\(p):1: control character U+0001 must be escaped in strings"),
        ("NUL byte", "extends = \"default\"\u{00}\n", "\(p):1: expected the end of the line, found control character U+0000"),
        ("bare CR", "extends = \"default\"\r\n[limits]\rpids = 1\n", "\(p):2: carriage return not followed by a newline"),
        ("unclosed array", "[filesystem]\nhidden = [\"a\",\n", "\(p):3: unterminated array (opened on line 2)"),
        ("unclosed inline table", "[network]\nhosts = { \"a\" = \"127.0.0.1\"\n", "\(p):2: newlines are not allowed in inline tables"),
        ("newline in inline table", "[network]\nhosts = {\n\"a\" = \"127.0.0.1\" }\n", "\(p):2: newlines are not allowed in inline tables"),
        ("trailing comma in inline table", "[network]\nhosts = { \"a\" = \"127.0.0.1\", }\n", "\(p):2: trailing commas are not allowed in inline tables"),
        ("key without value", "[limits]\npids =\n", "\(p):2: expected a value, found end of line"),
        ("key without equals", "[limits]\npids\n", "\(p):2: expected '=' after key 'limits.pids', found end of line"),
        ("value after value", "[limits]\npids = 1 2\n", "\(p):2: expected the end of the line, found '2'"),
        ("empty bare key", "[limits]\n= 1\n", "\(p):2: expected a key, found '='"),
        ("unclosed table header", "[limits\npids = 1\n", "\(p):1: expected ']' to close the table header, found end of line"),
        ("empty table header", "[]\n", "\(p):1: expected a key, found ']'"),
        ("table defined twice", "[limits]\npids = 1\n[limits]\nmemory = \"1G\"\n", "\(p):3: table 'limits' is already defined"),
        ("table after array of tables", "[[env]]\n[env]\n", "\(p):2: table 'env' is already defined as an array of tables"),
        ("dotted key over a value", "[limits]\npids = 1\npids.x = 2\n", "\(p):3: cannot use 'limits.pids' as a table: it is already defined as an integer"),
        ("integer overflow", "[limits]\npids = 99999999999999999999\n", "\(p):2: integer '99999999999999999999' is out of range"),
        ("leading zero", "[limits]\npids = 0123\n", "\(p):2: invalid number '0123': leading zeros are not allowed"),
        ("double underscore in number", "[limits]\npids = 1__0\n", "\(p):2: invalid number '1__0'"),
        ("bare word value", "[secrets]\ndiscover = yes\n", "\(p):2: invalid value 'yes' (strings must be quoted)"),
        ("capitalised boolean", "[secrets]\ndiscover = True\n", "\(p):2: invalid value 'True' (strings must be quoted)"),
        ("unknown built-in profile", "extends = \"permissive\"\n", "\(p):1: extends: unknown built-in profile 'permissive'; built-in profiles: default, strict"),
        ("extends path missing", "extends = \"./base.toml\"\n", "\(p):1: extends: profile file not found: \(d)/base.toml"),
        ("unknown default env", "default_env = \"nope\"\n", "\(p):1: default_env: unknown environment 'nope'; the profile defines no environments"),
        ("egress port out of range", "[network]\negress = [\"github.com:70000\"]\n", "\(p):2: network.egress: invalid egress entry 'github.com:70000': the port must be a number from 1 to 65535, a range such as 8000-8999, or *"),
        ("egress CIDR prefix too long", "[network]\negress = [\"10.0.0.0/33:443\"]\n", "\(p):2: network.egress: invalid egress entry '10.0.0.0/33:443': the prefix length must be a number from 0 to 32"),
        ("egress empty host", "[network]\negress = [\":443\"]\n", "\(p):2: network.egress: invalid egress entry ':443': the host name is empty"),
        ("hosts entry not an address", "[network]\nhosts = { \"a.test\" = \"not-an-ip\" }\n", "\(p):2: network.hosts.\"a.test\": invalid address 'not-an-ip' for host 'a.test'; use an IPv4 address such as \"127.0.0.1\" or an IPv6 address such as \"::1\""),
        ("rule with unknown action", "[[syscalls.rules]]\nsyscall = \"socket\"\naction = \"maybe\"\n", "\(p):3: syscalls.rules[0].action: invalid value 'maybe'; valid values: deny, allow"),
        ("unix socket path with ..", "[network]\nunix_sockets = [\"../x.sock\"]\n", "\(p):2: network.unix_sockets: invalid path '../x.sock': '..' components are not allowed"),
        ]
        for (name, text, expected) in table {
            XCTAssertEqual(try errorText(text), expected, name)
        }
    }

    /// Inputs that once crashed a fuzzer (Fuzz/regressions/profile) and the committed seeds
    /// (Fuzz/corpus/profile) load or fail cleanly.
    func testFuzzCorpusAndRegressionsLoadOrFailCleanly() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var seen = 0
        for folder in ["Fuzz/corpus/profile", "Fuzz/regressions/profile"] {
            let url = root.appendingPathComponent(folder)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? [] {
                let bytes = try [UInt8](Data(contentsOf: url.appendingPathComponent(name)))
                _ = try? TOML.parse(bytes: bytes, file: name)
                try? ProfileLoader.validate(text: String(decoding: bytes, as: UTF8.self), file: name)
                seen += 1
            }
        }
        XCTAssertGreaterThan(seen, 0, "no committed fuzz seeds found")
    }
}
