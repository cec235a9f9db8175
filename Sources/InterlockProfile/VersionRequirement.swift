/// A profile's `requires = ">= X.Y[.Z]"`: the oldest Interlock that may run it. A binary older than
/// that refuses the profile rather than silently ignoring keys it does not know yet.
public struct VersionRequirement: Sendable, Equatable, CustomStringConvertible {
    /// Major, minor, patch (a missing patch is 0).
    public let minimum: [Int]

    /// `>= 0.3`, `>=0.3.1`, `>= 1.0.0`: each component decimal digits only, at most 9 of them.
    public init?(parsing text: String) {
        let trimmed = text.drop { $0 == " " }
        guard trimmed.hasPrefix(">=") else { return nil }
        let rest = trimmed.dropFirst(2).drop { $0 == " " }
        guard let minimum = VersionRequirement.components(String(rest).trimmingTrailingSpaces) else { return nil }
        self.minimum = minimum
    }

    /// `X.Y` or `X.Y.Z` as three integers, or nil.
    public static func components(_ text: String) -> [Int]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 9, part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let number = Int(part) else { return nil }
            numbers.append(number)
        }
        if numbers.count == 2 { numbers.append(0) }
        return numbers
    }

    /// Whether `version` (`X.Y.Z`) is at least the minimum; an unparsable version satisfies nothing.
    public func isSatisfied(by version: String) -> Bool {
        guard let have = VersionRequirement.components(version) else { return false }
        return !have.lexicographicallyPrecedes(minimum)
    }

    public var description: String { ">= " + minimum.map(String.init).joined(separator: ".") }
}

private extension String {
    var trimmingTrailingSpaces: String {
        var text = Substring(self)
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
