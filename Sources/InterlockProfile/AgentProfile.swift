/// Agent profiles: what one coding agent itself needs (its model API hosts, its own config and
/// state, its own credential), layered *under* the project profile by `run --agent NAME`: the
/// project's arrays add to it and its single values win. Data: `profiles/agents/NAME.toml`.
public struct AgentProfile: Sendable, Equatable {
    public let name: String
    var layer: ProfileLayer

    /// How `policy.sources` and the audit log name it.
    public var source: String { "builtin:agents/" + name }
    public var egress: [String] { layer.egress }
    public var readWrite: [String] { layer.readWrite }
    public var allowFiles: [String] { layer.allowFiles }
    public var allowEnv: [String] { layer.allowEnv }

    public static var names: [String] { BuiltinAgentProfiles.all.keys.sorted() }

    /// The agent profile called `name`; an unknown name is a command-line error listing the known ones.
    public static func named(_ name: String) throws(ProfileError) -> AgentProfile {
        guard let text = BuiltinAgentProfiles.all[name] else {
            throw ProfileError(file: ProfileError.commandLine, key: "--agent",
                               message: "unknown agent '\(name)'; known agents: \(names.joined(separator: ", "))")
        }
        let parsed = try ProfileSchema.read(bytes: Array(text.utf8), file: "builtin:agents/" + name, directory: nil)
        return AgentProfile(name: name, layer: parsed.base)
    }

    /// `set_env` values that start with "~/" name a path in the invoking user's home
    /// (CLAUDE_CONFIG_DIR = "~/.claude"); the profile is data, the home is the caller's.
    public func expandingHome(_ home: String) -> AgentProfile {
        var copy = self
        for (name, value) in layer.setEnv where value.hasPrefix("~/") {
            copy.layer.setEnv[name] = (home.hasSuffix("/") ? String(home.dropLast()) : home) + value.dropFirst(1)
        }
        return copy
    }

    /// Agent state that does not exist (yet) is skipped rather than failing the run: an agent
    /// that was never logged in has no ~/.claude. Returns the profile and what was skipped.
    public func keepingExistingPaths(_ exists: (String) -> Bool) -> (AgentProfile, skipped: [String]) {
        var copy = self
        let skipped = (layer.readWrite + layer.readOnly).filter { !exists($0) }
        copy.layer.readWrite.removeAll { skipped.contains($0) }
        copy.layer.readOnly.removeAll { skipped.contains($0) }
        return (copy, skipped)
    }
}
