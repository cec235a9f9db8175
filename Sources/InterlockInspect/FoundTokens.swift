import InterlockSecrets

/// Finds credentials in a request that the broker did not put there: token shapes from the
/// secrets rules (`profiles/secrets/rules.toml`) and the secret values of the files this run hid.
struct FoundTokens {
    let rules = SecretRuleSet.builtin
    /// Values from hidden credential files, at least 16 bytes each.
    let hiddenValues: [[UInt8]]

    init(hiddenValues: [String]) {
        self.hiddenValues = hiddenValues.map { Array($0.utf8) }.filter { $0.count >= 16 }
    }

    struct Finding {
        /// `GitHub token`, `value of a hidden credential file`.
        var kind: String
        /// `the Authorization header`, `the URL`, `the body`.
        var location: String
    }

    func find(in request: InspectedRequest) -> Finding? {
        for (name, value) in request.headers {
            if let kind = kind(in: Array(value.utf8)) { return Finding(kind: kind, location: "the \(Self.display(name)) header") }
        }
        let target = Array(request.target.utf8)
        if let kind = kind(in: target) ?? kind(in: Array(FormEncoding.decode(request.target[...]).utf8)) {
            return Finding(kind: kind, location: "the URL")
        }
        if !request.body.isEmpty {
            if let kind = kind(in: request.body) { return Finding(kind: kind, location: "the body") }
            let decoded = Array(FormEncoding.decode(String(decoding: request.body, as: UTF8.self)[...]).utf8)
            if decoded != request.body, let kind = kind(in: decoded) { return Finding(kind: kind, location: "the body") }
        }
        return nil
    }

    private func kind(in bytes: [UInt8]) -> String? {
        guard bytes.count >= 8 else { return nil }
        if let first = rules.tokenKinds(in: bytes).first { return first }
        for value in hiddenValues where value.count <= bytes.count && Self.contains(bytes, value) {
            return "credential from a file Interlock hid"
        }
        return nil
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, needle.count <= haystack.count else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first, haystack[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }

    /// `authorization` → `Authorization`.
    static func display(_ name: String) -> String {
        name.split(separator: "-", omittingEmptySubsequences: false).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
    }
}
