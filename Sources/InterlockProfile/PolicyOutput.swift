// Renderings of a resolved policy for `profile show`. Written without Foundation (start-up time
// matters); the JSON has the same shape as the `Codable` encoding (snake_case keys, `on_deny` as
// a string, unset limits as null).
import InterlockJSON

extension Policy {
    /// Pretty-printed JSON with sorted keys; keys are the TOML names (`read_only`, `on_deny`, …).
    public func jsonString() -> String {
        JSONValue.sortedObject([
            "sources": .strings(sources),
            "environment": environment.map(JSONValue.string) ?? .null,
            "environments": .strings(environments),
            "profile_directory": profileDirectory.map(JSONValue.string) ?? .null,
            "filesystem": .sortedObject([
                "read_only": .strings(filesystem.readOnly),
                "read_write": .strings(filesystem.readWrite),
                "hidden": .strings(filesystem.hidden),
                "tmpfs": .strings(filesystem.tmpfs),
                "unprotect": .strings(filesystem.unprotect),
            ]),
            "secrets": .sortedObject([
                "discover": .bool(secrets.discover),
                "allow_files": .strings(secrets.allowFiles),
                "allow_env": .strings(secrets.allowEnv),
                "set_env": .sortedObject(secrets.setEnv.mapValues { .string($0) }),
            ]),
            "syscalls": .sortedObject([
                "baseline": .string(syscalls.baseline),
                "deny": .strings(syscalls.deny),
                "allow": .strings(syscalls.allow),
                "on_deny": .string(syscalls.onDeny.description),
                "mode": .string(syscalls.mode.rawValue),
                "import": syscalls.importPath.map(JSONValue.string) ?? .null,
                "rules": .array(syscalls.rules.map { rule in
                    .sortedObject([
                        "syscall": .string(rule.syscall),
                        "action": .string(rule.action.rawValue),
                        "args": .array(rule.args.map { argument in
                            .sortedObject([
                                "index": .number(String(argument.index)),
                                "op": .string(argument.op.rawValue),
                                "value": .number(String(argument.value)),
                                "mask": argument.mask.map { JSONValue.number(String($0)) } ?? .null,
                            ])
                        }),
                    ])
                }),
            ]),
            "network": .sortedObject([
                "egress": .strings(network.egress),
                "deny": .strings(network.deny),
                "hosts": .sortedObject(network.hosts.mapValues(JSONValue.string)),
                "unix_sockets": .strings(network.unixSockets),
            ]),
            "limits": .sortedObject([
                "memory": limits.memory.map { JSONValue.number(String($0)) } ?? .null,
                "pids": limits.pids.map { JSONValue.number(String($0)) } ?? .null,
                "cpu": limits.cpu.map { JSONValue.number(Policy.formatNumber($0)) } ?? .null,
                "open_files": limits.openFiles.map { JSONValue.number(String($0)) } ?? .null,
            ]),
            "capabilities": .sortedObject([
                "keep": .strings(capabilities.keep),
            ]),
            "inspection": inspection.json,
        ]).indentedJSON + "\n"
    }

    /// The resolved policy as a profile: valid TOML that loads back to the same settings.
    /// Where it came from is in comments at the top.
    public func tomlString() -> String {
        // Comments end at a line break: keep control characters out of them.
        func comment(_ text: String) -> String { String(Messages.quote(text).dropFirst().dropLast()) }
        var out = "# Resolved Interlock policy.\n"
        out += "# sources (base first): " + (sources.isEmpty ? "none" : sources.map(comment).joined(separator: ", ")) + "\n"
        out += "# environment: " + (environment.map(comment) ?? "none")
        out += environments.isEmpty ? " (no environments defined)\n" : " (defined: " + environments.map(comment).joined(separator: ", ") + ")\n"
        if let profileDirectory { out += "# profile directory: " + comment(profileDirectory) + "\n" }

        func line(_ key: String, _ value: String) { out += key + " = " + value + "\n" }
        func array(_ key: String, _ items: [String]) {
            let rendered = items.map(TOMLRender.basicString)
            let single = "[" + rendered.joined(separator: ", ") + "]"
            if key.count + 3 + single.count <= 100 {
                line(key, single)
            } else {
                out += key + " = [\n" + rendered.map { "    " + $0 + ",\n" }.joined() + "]\n"
            }
        }

        out += "\n[filesystem]\n"
        array("read_only", filesystem.readOnly)
        array("read_write", filesystem.readWrite)
        array("hidden", filesystem.hidden)
        array("tmpfs", filesystem.tmpfs)
        array("unprotect", filesystem.unprotect)

        out += "\n[secrets]\n"
        line("discover", secrets.discover ? "true" : "false")
        array("allow_files", secrets.allowFiles)
        array("allow_env", secrets.allowEnv)
        let setEntries = secrets.setEnv.keys.sorted().map { TOMLKey.render([$0]) + " = " + TOMLRender.basicString(secrets.setEnv[$0] ?? "") }
        line("set_env", setEntries.isEmpty ? "{}" : "{ " + setEntries.joined(separator: ", ") + " }")

        out += "\n[syscalls]\n"
        if let importPath = syscalls.importPath {
            // One or the other: the imported profile replaces the baseline.
            line("import", TOMLRender.basicString(importPath))
        } else {
            line("baseline", TOMLRender.basicString(syscalls.baseline))
        }
        array("deny", syscalls.deny)
        array("allow", syscalls.allow)
        line("on_deny", TOMLRender.basicString(syscalls.onDeny.description))
        line("mode", TOMLRender.basicString(syscalls.mode.rawValue))
        for rule in syscalls.rules {
            out += "\n[[syscalls.rules]]\n"
            line("syscall", TOMLRender.basicString(rule.syscall))
            line("action", TOMLRender.basicString(rule.action.rawValue))
            // Values above Int64.max are written as negative numbers (two's complement), which
            // the loader reads back as the same 64 bits.
            func number(_ value: UInt64) -> String { String(Int64(bitPattern: value)) }
            let args = rule.args.map { argument in
                "{ index = \(argument.index), op = \(TOMLRender.basicString(argument.op.rawValue)), "
                    + (argument.mask.map { "mask = \(number($0)), " } ?? "") + "value = \(number(argument.value)) }"
            }
            out += "args = [" + args.joined(separator: ", ") + "]\n"
        }

        out += "\n[network]\n"
        array("egress", network.egress)
        array("deny", network.deny)
        let hostEntries = network.hosts.keys.sorted().map { name in
            TOMLKey.render([name]) + " = " + TOMLRender.basicString(network.hosts[name] ?? "")
        }
        line("hosts", hostEntries.isEmpty ? "{}" : "{ " + hostEntries.joined(separator: ", ") + " }")
        array("unix_sockets", network.unixSockets)
        if let ca = inspection.upstreamCA { line("upstream_ca", TOMLRender.basicString(ca)) }
        if let timeout = inspection.askTimeout { line("ask_timeout", String(timeout)) }
        if let found = inspection.foundTokens { line("found_tokens", TOMLRender.basicString(found)) }

        out += "\n[limits]\n"
        if let memory = limits.memory { line("memory", TOMLRender.basicString(MemorySize.format(memory))) } else { out += "# memory: no limit\n" }
        if let pids = limits.pids { line("pids", String(pids)) } else { out += "# pids: no limit\n" }
        if let cpu = limits.cpu { line("cpu", Policy.formatNumber(cpu)) } else { out += "# cpu: no limit\n" }
        if let openFiles = limits.openFiles { line("open_files", String(openFiles)) } else { out += "# open_files: no limit\n" }

        out += "\n[capabilities]\n"
        array("keep", capabilities.keep)
        out += inspection.tomlString
        return out
    }

    /// `2`, `1.5`: whole numbers without a fraction, others in Swift's shortest form (valid JSON
    /// and TOML for finite values).
    static func formatNumber(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

extension JSONValue {
    /// Indented with two spaces, in the escaping TOML basic strings share.
    var indentedJSON: String { JSONWriter(layout: .indented, escaping: .tomlCompatible).write(self) }

    /// An object with its members sorted by name, as `profile show` prints them.
    static func sortedObject(_ members: [String: JSONValue]) -> JSONValue {
        .object(members.keys.sorted().compactMap { key in members[key].map { (key, $0) } })
    }

    static func strings(_ items: [String]) -> JSONValue { .array(items.map(JSONValue.string)) }
}
