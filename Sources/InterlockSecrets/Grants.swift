#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import InterlockProfile
import InterlockSystem

/// `allow_files`, compiled to absolute globs.
struct Grants {
    struct Entry {
        var text: String
        var glob: Glob
        var components: [Glob]
    }

    var entries: [Entry] = []

    init(entries texts: [String], home: String, workspace: String) {
        for text in texts {
            var absolute: String
            if text == "~" {
                absolute = home
            } else if text.hasPrefix("~/") {
                absolute = Path.join(home, String(text.dropFirst(2)))
            } else if text.hasPrefix("/") {
                absolute = text
            } else {
                absolute = Path.join(workspace, text)
            }
            absolute = Path.normalize(absolute)
            entries.append(Entry(text: text, glob: Glob(absolute),
                                 components: absolute.split(separator: "/").map { Glob(String($0)) }))
        }
    }

    /// `allow_files: ENTRY` of the first entry matching the path, one of its alternatives, or a
    /// directory above either.
    func grant(for path: String, alternatives: [String]) -> String? {
        guard !entries.isEmpty else { return nil }
        for candidate in [path] + alternatives {
            var current = candidate
            while true {
                if let entry = entries.first(where: { $0.glob.matches(current) }) { return "allow_files: " + entry.text }
                let parent = Path.parent(current)
                if parent == current || parent == "/" || parent == "." { break }
                current = parent
            }
        }
        return nil
    }

    /// Whether some entry could match a path strictly below `directory`.
    func reachesInto(_ directory: String) -> Bool {
        let parts = directory.split(separator: "/").map(String.init)
        let doubleStar = Array("**".utf8)
        outer: for entry in entries {
            var i = 0
            for part in parts {
                guard i < entry.components.count else { continue outer }
                let component = entry.components[i]
                if component.pattern == doubleStar { return true }
                guard component.matches(part) else { continue outer }
                i += 1
            }
            if i < entry.components.count { return true }
        }
        return false
    }

    /// The entries of a discovered directory some grant reaches into: granted ones visible, the
    /// rest hidden under the directory's rule.
    func split(_ directory: String, rule: String, ruleID: String, depth: Int) -> [DiscoveredSecret] {
        var result: [DiscoveredSecret] = []
        for entry in Posix.list(directory).sorted(by: { $0.name < $1.name }) {
            let child = Path.join(directory, entry.name)
            guard let info = Posix.statInfo(child), let real = FileIO.realPath(child) else { continue }
            let kind: DiscoveredSecret.Kind
            switch Posix.type(of: info) {
            case .directory: kind = .directory
            case .socket: kind = .socket
            case .regular: kind = .file
            default: continue
            }
            if let grant = grant(for: child, alternatives: real == child ? [] : [real]) {
                result.append(DiscoveredSecret(path: real, kind: kind, rule: rule, ruleID: ruleID, granted: true,
                                               grantedBy: grant))
            } else if kind == .directory && depth < 16 && reachesInto(child) {
                result += split(child, rule: rule, ruleID: ruleID, depth: depth + 1)
            } else {
                result.append(DiscoveredSecret(path: real, kind: kind, rule: rule, ruleID: ruleID))
            }
        }
        return result
    }
}
