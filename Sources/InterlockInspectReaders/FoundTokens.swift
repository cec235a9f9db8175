import InterlockSecrets

/// Finds credentials in a request that the broker did not put there: token shapes from the
/// secrets rules (`profiles/secrets/rules.toml`) and the secret values of the files this run hid.
package struct FoundTokens {
    let rules = SecretRuleSet.builtin
    /// Values from hidden credential files, at least 16 bytes each.
    let hiddenValues: [[UInt8]]

    package init(hiddenValues: [String]) {
        self.hiddenValues = hiddenValues.map { Array($0.utf8) }.filter { $0.count >= 16 }
    }

    package struct Finding {
        /// `GitHub token`, `value of a hidden credential file`.
        package var kind: String
        /// `the Authorization header`, `the URL`, `the body`.
        package var location: String
    }

    /// Looks where the server will look, after it decodes: percent-escapes anywhere, JSON
    /// string escapes, quoted-cookie escapes, HTTP Basic credentials, and the body with its
    /// Content-Encoding undone (the caller sets `decodedBody`).
    package func find(in request: InspectedRequest) -> Finding? {
        for (name, value) in request.headers {
            var readings = Self.readings(Array(value.utf8))
            if let credentials = Self.basicCredentials(value) { readings += Self.readings(credentials) }
            if let kind = readings.lazy.compactMap(kind(in:)).first {
                return Finding(kind: kind, location: "the \(Self.display(name)) header")
            }
        }
        if let kind = Self.readings(Array(request.target.utf8)).lazy.compactMap(kind(in:)).first {
            return Finding(kind: kind, location: "the URL")
        }
        var bodies = [request.body]
        if let decoded = request.decodedBody { bodies.append(decoded) }
        for body in bodies where !body.isEmpty {
            if let kind = Self.readings(body).lazy.compactMap(kind(in:)).first { return Finding(kind: kind, location: "the body") }
        }
        return nil
    }

    /// The bytes as sent and as decoded by up to two layers of percent-decoding, JSON
    /// unescaping and cookie unescaping, in any order (`%5Cu0067hp_…` is two).
    static func readings(_ bytes: [UInt8]) -> [[UInt8]] {
        var all = [bytes]
        var layer = [bytes]
        for _ in 0..<2 {
            var next: [[UInt8]] = []
            for text in layer {
                if text.contains(0x25) {
                    let decoded = FormEncoding.decodeBytes(text[...], plusIsSpace: false)
                    if decoded != text { next.append(decoded) }
                }
                if let unescaped = RequestJSON.unescapingEverywhere(text), unescaped != text { next.append(unescaped) }
                if let unescaped = octalUnescaped(text), unescaped != text { next.append(unescaped) }
            }
            guard !next.isEmpty else { break }
            all += next
            layer = next
        }
        return all
    }

    /// `\147` as `g` and `\c` as `c`: the escapes of a quoted cookie value, as Python's
    /// `http.cookies` (and Django) read them. Nil when there is no backslash.
    static func octalUnescaped(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.contains(0x5C) else { return nil }
        func isOctal(_ c: UInt8) -> Bool { (0x30...0x37).contains(c) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            guard bytes[i] == 0x5C, i + 1 < bytes.count else { out.append(bytes[i]); i += 1; continue }
            if i + 3 < bytes.count, isOctal(bytes[i + 1]), isOctal(bytes[i + 2]), isOctal(bytes[i + 3]) {
                out.append((bytes[i + 1] - 0x30) << 6 | (bytes[i + 2] - 0x30) << 3 | (bytes[i + 3] - 0x30))
                i += 4
            } else {
                out.append(bytes[i + 1])
                i += 2
            }
        }
        return out
    }

    /// `Basic dXNlcjp0b2tlbg==` → `user:token` (git sends a token over https this way).
    static func basicCredentials(_ value: String) -> [UInt8]? {
        let parts = value.trimmingPrefix(while: { $0 == " " }).split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic" else { return nil }
        return base64Decoded(Array(parts[1].trimmingSpaces.utf8))
    }

    /// Standard or URL-safe base64, padding optional; nil if anything else is in it.
    static func base64Decoded(_ text: [UInt8]) -> [UInt8]? {
        var out: [UInt8] = []
        var bits: UInt32 = 0
        var count = 0
        for c in text {
            let v: UInt32
            switch c {
            case 0x41...0x5A: v = UInt32(c - 0x41)
            case 0x61...0x7A: v = UInt32(c - 0x61 + 26)
            case 0x30...0x39: v = UInt32(c - 0x30 + 52)
            case 0x2B, 0x2D: v = 62
            case 0x2F, 0x5F: v = 63
            case 0x3D: continue
            default: return nil
            }
            bits = bits << 6 | v
            count += 6
            if count >= 8 {
                count -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt32(count)))
            }
        }
        return out
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
