#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile

/// Files that decide what runs outside the sandbox, or under which rules the next run starts
/// (`profiles/data/protected.toml`): read-only inside, and watched for creation.
public struct ProtectedPath: Sendable, Equatable {
    public var path: String
    public var reason: String
    /// Listed, but left writable (reviewed as text, like AGENTS.md).
    public var writable: Bool

    public static let builtin: [ProtectedPath] = parse(BuiltinData.files["protected"] ?? "")

    static func parse(_ text: String) -> [ProtectedPath] {
        guard let table = try? TOML.parse(text, file: "builtin:protected"),
              let entries = table["protect"]?.array else { return [] }
        return entries.compactMap { entry in
            guard let t = entry.table, let path = t["path"]?.string, let reason = t["reason"]?.string else { return nil }
            return ProtectedPath(path: path, reason: reason, writable: t["writable"]?.boolean ?? false)
        }
    }
}

extension MountPlan {
    /// A protected path the plan made read-only, or one that did not exist at start and is
    /// watched: if the run creates it, the supervisor reports it.
    public struct Protection: Sendable, Equatable {
        public var path: String
        public var reason: String
    }

    /// Read-only steps for protected paths (and the profile's own files) that lie in a
    /// writable part of the view. Returns the steps and the watched, absent paths.
    static func protections(_ entries: [ProtectedPath], extraFiles: [String], writable: [Step], workspace: String,
                            home: String, readOnlyKind: Kind) -> (steps: [Step], protected: [Protection], watched: [Protection]) {
        var steps: [Step] = []
        var protected: [Protection] = []
        var watched: [Protection] = []
        func inWritable(_ path: String) -> Bool {
            writable.contains { PathResolution.contains($0.target, path) }
        }
        let candidates = entries.filter { !$0.writable }.map { ($0.path, $0.reason) }
            + extraFiles.map { ($0, "read by Interlock at start (profile, rule file)") }
        for (raw, reason) in candidates {
            let (absolute, real) = PathResolution.resolve(raw, workspace: workspace, home: home)
            if let real {
                guard inWritable(real) else { continue }
                steps.append(Step(kind: readOnlyKind, source: real, target: real, origin: "protected: \(reason)"))
                protected.append(Protection(path: real, reason: reason))
            } else if inWritable(absolute) {
                watched.append(Protection(path: absolute, reason: reason))
            }
        }
        return (steps, protected, watched)
    }
}
