import InterlockProfile

/// errno names accepted by `on_deny = "errno:NAME"` (the same table as
/// `SyscallPolicy.errnoNumbers`), both ways.
public enum ErrnoNames {
    public static let all: [String: Int32] = SyscallPolicy.errnoNumbers

    public static func value(of name: String) -> Int32? { all[name] }

    /// `EPERM` for 1; nil for numbers without a name here. (95 is `EOPNOTSUPP`.)
    public static func name(of value: Int32) -> String? { names[value] }

    private static let names: [Int32: String] = {
        var byValue: [Int32: String] = [:]
        for (name, value) in all where name != "ENOTSUP" { byValue[value] = name }
        return byValue
    }()
}
