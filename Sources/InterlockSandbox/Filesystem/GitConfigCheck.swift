/// Git config keys that make git run a command (or fetch through one) outside the sandbox.
/// A repository's config written during a run may set none of them: the end-of-run sweep
/// quarantines a config that does (`WorkspaceSweep`). A line it cannot read counts as one.
enum GitConfigCheck {
    /// `section.key`, lower case, for sections without a subsection.
    static let keys: Set<String> = [
        "core.fsmonitor", "core.hookspath", "core.sshcommand", "core.pager", "core.editor", "core.askpass",
        "core.gitproxy", "core.alternaterefscommand", "sequence.editor", "diff.external", "gpg.program",
        "credential.helper", "include.path", "uploadpack.packobjectshook", "web.browser",
        "interactive.difffilter", "ssh.variant",
    ]
    /// Sections whose every key (with a subsection or not) runs or selects a command.
    static let sections: Set<String> = [
        "filter", "includeif", "pager", "browser", "man", "difftool", "mergetool", "protocol", "hook", "sendemail",
    ]
    /// `section.*.key` keys.
    static let subsectionKeys: Set<String> = [
        "diff.textconv", "diff.command", "merge.driver", "credential.helper", "gpg.program",
        "remote.uploadpack", "remote.receivepack", "remote.proxy", "gpg.defaultkeycommand", "trailer.command",
        "trailer.cmd",
    ]

    /// The first dangerous `section.key` of a config file's text, or nil when there is none.
    static func dangerousKey(in text: String) -> String? {
        var section = "", subsection: String? = nil
        var continued = false
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }) {
            // A value ending in an unquoted backslash goes on: this line is value, not a key.
            if continued { continued = endsContinued(raw[...]); continue }
            var line = raw.trimmedBlanks
            if line.isEmpty || line.first == "#" || line.first == ";" { continue }
            if line.first == "[" {
                guard let close = line.firstIndex(of: "]"), let header = parseHeader(line) else { return "unreadable line: \(line)" }
                (section, subsection) = header
                line = line[line.index(after: close)...].trimmedBlanks
                if line.isEmpty || line.first == "#" || line.first == ";" { continue }
            }
            let key = line.prefix { $0.isLetter || $0.isNumber || $0 == "-" }.lowercased()
            guard !key.isEmpty, !section.isEmpty else { return "unreadable line: \(line)" }
            let value = line.firstIndex(of: "=").map { line[line.index(after: $0)...].trimmedBlanks } ?? ""
            continued = endsContinued(value)
            let bare = String(value.drop { $0 == "\"" })
            if let reason = dangerous(section: section, subsection: subsection, key: key, value: bare) { return reason }
        }
        return nil
    }

    /// Whether a value goes on to the next line: a backslash at its end, outside a comment.
    static func endsContinued(_ value: Substring) -> Bool {
        var quoted = false, escaped = false
        for c in value {
            if escaped { escaped = false; continue }
            switch c {
            case "\\": escaped = true
            case "\"": quoted.toggle()
            case "#", ";": if !quoted { return false }
            default: break
            }
        }
        return escaped
    }

    /// `[section]`, `[section "sub"]` or `[section.sub]`: the section lower-cased.
    static func parseHeader(_ line: Substring) -> (String, String?)? {
        guard let close = line.firstIndex(of: "]") else { return nil }
        let inside = line[line.index(after: line.startIndex)..<close]
        if let quote = inside.firstIndex(of: "\"") {
            let name = inside[..<quote].trimmedBlanks.lowercased()
            let sub = inside[inside.index(after: quote)...].dropLast { $0 != "\"" }
            return (name, String(sub.dropLast()))
        }
        let parts = inside.split(separator: ".", maxSplits: 1)
        guard let first = parts.first else { return nil }
        return (first.lowercased(), parts.count > 1 ? String(parts[1]) : nil)
    }

    static func dangerous(section: String, subsection: String?, key: String, value: String) -> String? {
        let name = "\(section).\(subsection.map { "\($0)." } ?? "")\(key)"
        if sections.contains(section) { return name }
        if subsection == nil, keys.contains("\(section).\(key)") { return name }
        if subsection != nil, subsectionKeys.contains("\(section).\(key)") { return name }
        // A shell alias, a submodule update command, an ext:: transport.
        if section == "alias", value.hasPrefix("!") { return name }
        if section == "submodule", key == "update", value.hasPrefix("!") { return name }
        if section == "remote", key == "url" || key == "pushurl", value.hasPrefix("ext::") { return name }
        return nil
    }
}

extension Substring {
    fileprivate var trimmedBlanks: Substring {
        drop { $0 == " " || $0 == "\t" || $0 == "\r" }.dropLast { $0 == " " || $0 == "\t" || $0 == "\r" }
    }

    fileprivate func dropLast(while predicate: (Character) -> Bool) -> Substring {
        var end = endIndex
        while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
        return self[startIndex..<end]
    }
}
