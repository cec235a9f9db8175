#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockSystem

/// Expands the `[[home]]` rules' paths and reports what exists.
struct HomeScanner {
    struct Finding {
        /// Real path (symlinks resolved).
        var path: String
        /// The path the rule matched, before symlinks were resolved.
        var foundAt: String
        var kind: DiscoveredSecret.Kind
        var rule: String
        var ruleID: String
        var grantedByEnv: [String]
    }

    let rules: SecretRuleSet
    let home: String
    let variables: [String: String]
    let uid: UInt32

    func scan(warnings: inout [String]) -> [Finding] {
        var findings: [Finding] = []
        for rule in rules.home {
            for pattern in rule.paths {
                for found in expand(pattern) {
                    guard let finding = check(found, rule: rule, pattern: pattern, warnings: &warnings) else { continue }
                    findings.append(finding)
                }
            }
        }
        return findings
    }

    /// Existing paths a pattern names, as found (not resolved).
    func expand(_ pattern: String) -> [String] {
        var results: [String] = []
        for absolute in absolutePatterns(pattern) {
            let components = absolute.split(separator: "/").map { Glob(String($0)) }
            descend("/", components[...], depth: 0, into: &results)
        }
        return results
    }

    /// A pattern as absolute path patterns: `~` is HOME, `$UID` the invoking uid, `$VAR` the
    /// caller's variable (none when unset; a bare `$VAR` is a ':'-separated list of paths).
    func absolutePatterns(_ pattern: String) -> [String] {
        var text = pattern
        // $UID: the invoking user's uid, not a variable of the environment.
        if text.utf8.contains(UInt8(ascii: "$")) { text = text.replacingOccurrences(of: "$UID", with: String(uid)) }
        if text.hasPrefix("~/") { return [Path.join(home, String(text.dropFirst(2)))] }
        if text.hasPrefix("/") { return [text] }
        guard text.hasPrefix("$") else { return [] }
        let nameEnd = text.dropFirst().firstIndex { !($0.isLetter || $0.isNumber || $0 == "_") } ?? text.endIndex
        let name = String(text[text.index(after: text.startIndex)..<nameEnd])
        guard let value = variables[name], !value.isEmpty else { return [] }
        let rest = text[nameEnd...]
        if rest.isEmpty {
            // A bare variable: a path, or a ':'-separated list of paths (KUBECONFIG).
            return value.split(separator: ":").map(String.init).filter { $0.hasPrefix("/") }
        }
        guard value.hasPrefix("/"), rest.hasPrefix("/") else { return [] }
        return [Path.join(value, String(rest.dropFirst()))]
    }

    private func descend(_ path: String, _ components: ArraySlice<Glob>, depth: Int, into results: inout [String]) {
        guard let first = components.first else {
            if Posix.lstatInfo(path) != nil { results.append(path) }
            return
        }
        let rest = components.dropFirst()
        if first.pattern == Array("**".utf8) {
            if rest.isEmpty {
                // A trailing `**`: everything below, at any depth (not through symlinked directories).
                guard depth < 12 else { return }
                for entry in Posix.list(path).sorted(by: { $0.name < $1.name }) {
                    let child = Path.join(path, entry.name)
                    results.append(child)
                    let type = entry.type ?? Posix.lstatInfo(child).map(Posix.type(of:))
                    if type == .directory { descend(child, components, depth: depth + 1, into: &results) }
                }
                return
            }
            descend(path, rest, depth: depth, into: &results)
            guard depth < 12 else { return }
            for entry in Posix.list(path) {
                let child = Path.join(path, entry.name)
                let type = entry.type ?? Posix.lstatInfo(child).map(Posix.type(of:))
                if type == .directory { descend(child, components, depth: depth + 1, into: &results) }
            }
            return
        }
        if first.hasWildcard {
            for entry in Posix.list(path).sorted(by: { $0.name < $1.name }) where first.matches(entry.name) {
                descend(Path.join(path, entry.name), rest, depth: depth, into: &results)
            }
            return
        }
        let name = String(decoding: first.pattern, as: UTF8.self)
        descend(Path.join(path, name), rest, depth: depth, into: &results)
    }

    private func check(_ found: String, rule: HomeRule, pattern: String, warnings: inout [String]) -> Finding? {
        let name = Path.name(found)
        for glob in rule.except where glob.matches(name) { return nil }
        guard let info = Posix.statInfo(found) else { return nil }  // dangling symlink
        let kind: DiscoveredSecret.Kind
        switch Posix.type(of: info) {
        case .regular: kind = .file
        case .directory: kind = .directory
        case .socket: kind = .socket
        default: return nil  // e.g. ~/.bash_history -> /dev/null
        }
        if let only = rule.only, only != kind { return nil }
        if rule.contentMask != 0 {
            guard kind == .file,
                  let bytes = FileIO.readRegularFile(found, limit: rules.settings.maxFileSize),
                  !bytes.prefix(rules.settings.binaryProbe).contains(0),
                  rules.content.scan(bytes, enabled: rule.contentMask) != 0 else { return nil }
        }
        guard let real = FileIO.realPath(found) else { return nil }
        return Finding(path: real, foundAt: found, kind: kind, rule: "home: \(rule.name) (\(pattern))",
                       ruleID: rule.id, grantedByEnv: rule.grantedByEnv)
    }
}

extension String {
    /// Foundation-free replacement of every occurrence of `target`.
    /// Byte-wise (the patterns are short and this runs at every start: the generic
    /// `firstRange(of:)` costs more than the whole home scan).
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        let bytes = Array(utf8), needle = Array(target.utf8)
        guard let first = needle.first, bytes.count >= needle.count else { return self }
        var out: [UInt8] = []
        var i = 0, changed = false
        while i < bytes.count {
            if bytes[i] == first, i + needle.count <= bytes.count, bytes[i..<(i + needle.count)].elementsEqual(needle) {
                out += replacement.utf8
                i += needle.count
                changed = true
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return changed ? String(decoding: out, as: UTF8.self) : self
    }
}
