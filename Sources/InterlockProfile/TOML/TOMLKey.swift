/// Keys as TOML writes them.
public enum TOMLKey {
    /// Whether `key` can be written without quotes.
    public static func isBare(_ key: String) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy(isBareKeyByte)
    }

    /// Renders a key path as TOML would write it: `a.b."c d"`.
    public static func render(_ path: [String]) -> String {
        path.map { isBare($0) ? $0 : TOMLRender.basicString($0) }.joined(separator: ".")
    }

    static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }
}
