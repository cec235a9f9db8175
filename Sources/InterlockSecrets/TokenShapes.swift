// What the egress proxy's request inspection (InterlockInspect) asks of discovery: the same
// token shapes, applied to request headers, URLs and bodies, and the secret values of the files
// a run hid, so that a credential found in the sandbox cannot be spent.

extension SecretRuleSet {
    /// Names of the token-shaped content rules (`GitHub token`, `PEM private key`, …) whose
    /// pattern occurs in `bytes`; never the values.
    public func tokenKinds(in bytes: [UInt8]) -> [String] {
        var found = content.scan(bytes, enabled: content.tokenShapedRules) & content.tokenShapedRules
        var names: [String] = []
        while found != 0 {
            let index = found.trailingZeroBitCount
            found &= found - 1
            if index < contentRules.count, !names.contains(contentRules[index].name) { names.append(contentRules[index].name) }
        }
        return names
    }

    /// Secret-looking values in a credential file: runs of token bytes (letters, digits,
    /// `-_.+/=~`) that would pass the assignment rule's randomness test (length, a digit,
    /// entropy), at most `limit` of them.
    public func credentialValues(in bytes: [UInt8], limit: Int = 256) -> [String] {
        func isTokenByte(_ c: UInt8) -> Bool {
            switch c {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x5F, 0x2E, 0x2B, 0x2F, 0x3D, 0x7E: true
            default: false
            }
        }
        var values: [String] = []
        bytes.withUnsafeBufferPointer { p in
            var i = 0
            while i < p.count, values.count < limit {
                guard isTokenByte(p[i]) else { i += 1; continue }
                let start = i
                while i < p.count, isTokenByte(p[i]) { i += 1 }
                let range = start..<i
                guard range.count >= settings.assignmentMinLength, range.count <= 4096,
                      p[range].contains(where: { (0x30...0x39).contains($0) }),
                      p[range].contains(where: { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }),
                      ContentMatcher.entropy(p, range) >= settings.assignmentEntropy else { continue }
                let value = String(decoding: p[range], as: UTF8.self)
                if !values.contains(value) { values.append(value) }
            }
        }
        return values
    }
}
