/// `TYPE FIELD`: `mutation volumeDelete`, `* *Delete`.
public enum GraphQLPattern {
    public static let types = ["query", "mutation", "subscription", "*"]

    public static func split(_ text: String) -> (type: String, field: String)? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, types.contains(String(parts[0])) else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    static func problem(_ text: String) -> String? {
        guard let (_, field) = split(text) else {
            return "a graphql pattern is 'TYPE FIELD' with TYPE one of query, mutation, subscription, * (e.g. 'mutation volumeDelete'): '\(text)'"
        }
        guard field.utf8.allSatisfy({ $0 == 0x2A || $0 == 0x5F || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
            return "a graphql field pattern holds letters, digits, '_' and '*': '\(field)'"
        }
        return nil
    }
}
