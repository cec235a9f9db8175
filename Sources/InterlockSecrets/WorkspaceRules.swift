import InterlockProfile

/// File-name patterns of every `[[workspace]]` rule, compiled so that one file name costs a
/// hash lookup and a few prefix/suffix comparisons.
struct WorkspaceRules: Sendable {
    var rules: [WorkspaceRule] = []
    /// Exact names → rule index (first rule wins).
    var exact: [String: Int] = [:]
    /// `prefix*`, `*suffix`, `prefix*suffix`, in rule order.
    var affixes: [(prefix: [UInt8], suffix: [UInt8], rule: Int)] = []
    /// Other name globs.
    var names: [(glob: Glob, rule: Int)] = []
    /// Patterns holding '/': matched against the workspace-relative path, once their last
    /// component matched the file name.
    var paths: [(glob: Glob, last: Glob, rule: Int)] = []

    /// The first rule (lowest index) whose pattern matches and whose `except` does not.
    func match(name: UnsafeBufferPointer<UInt8>, relativePath: () -> [UInt8]) -> Int? {
        var best = Int.max
        if let index = exactLookup(name) { best = index }
        for entry in affixes where entry.rule < best {
            if name.count >= entry.prefix.count + entry.suffix.count,
               Bytes.hasPrefix(name, entry.prefix), Bytes.hasSuffix(name, entry.suffix) {
                best = entry.rule
            }
        }
        for entry in names where entry.rule < best {
            if entry.glob.matches(name) { best = entry.rule }
        }
        if !paths.isEmpty {
            var relative: [UInt8]?
            for entry in paths where entry.rule < best && entry.last.matches(name) {
                if relative == nil { relative = relativePath() }
                if relative!.withUnsafeBufferPointer({ entry.glob.matches($0) }) { best = entry.rule }
            }
        }
        guard best != Int.max else { return nil }
        for glob in rules[best].except where glob.matches(name) { return nil }
        return best
    }

    private func exactLookup(_ name: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !exact.isEmpty else { return nil }
        return exact[String(decoding: name, as: UTF8.self)]
    }
}
