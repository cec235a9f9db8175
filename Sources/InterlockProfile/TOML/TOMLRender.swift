import InterlockJSON

/// Values as TOML text.
enum TOMLRender {
    /// A TOML basic string literal (also valid JSON) with everything that needs it escaped:
    /// the JSON writer's TOML-compatible quoting, the one string escaper of the package.
    static func basicString(_ s: String) -> String {
        JSONWriter(escaping: .tomlCompatible).quote(s)
    }

    static func hex4(_ v: UInt32) -> String {
        let digits = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
