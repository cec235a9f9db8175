import InterlockJSON

/// Where a brokered credential is read from.
public enum CredentialSource {
    /// The string (or number) at `pointer` in the JSON `text`.
    public static func jsonValue(_ text: String, pointer: String) -> String? {
        guard let value = RequestJSON.parse(Array(text.utf8))?.pointer(pointer) else { return nil }
        switch value {
        case .string(let s): return s
        case .number(let n): return n
        default: return nil
        }
    }
}
