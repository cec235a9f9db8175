#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile

/// Which profile a command applies, as the command line names it: a profile reference (or
/// discovery from the workspace), an environment, a workspace and an agent profile.
public struct ProfileSelection: Sendable {
    /// A built-in name or a path; nil: `.interlock.toml` found from the workspace upward.
    public var profile: String?
    public var env: String?
    public var workspace: String?
    public var agent: String?

    public init(profile: String? = nil, env: String? = nil, workspace: String? = nil, agent: String? = nil) {
        self.profile = profile
        self.env = env
        self.workspace = workspace
        self.agent = agent
    }

    /// The agent profile asked for, without the state paths that do not exist on this host.
    public func agentProfile(home: String) throws(LaunchError) -> (AgentProfile, skipped: [String])? {
        guard let agent else { return nil }
        do {
            return try AgentProfile.named(agent).expandingHome(home).keepingExistingPaths { path in
                var st = stat()
                return lstat(path.hasPrefix("~/") ? home + path.dropFirst(1) : path, &st) == 0
            }
        } catch { throw .profile(error) }
    }

    /// The resolved policy and the workspace it applies to. `learn`: the command line's learn
    /// mode, part of the policy as resolved (syscalls the profile refuses are recorded and run).
    public func resolve(caller: CallerContext, learn: Bool = false) throws(LaunchError) -> (Policy, workspace: String) {
        let cwd = caller.currentDirectory
        var explicitWorkspace: String?
        if let workspace {
            guard let real = CallerContext.realPath(workspace.hasPrefix("/") ? workspace : cwd + "/" + workspace),
                  CallerContext.isDirectory(real) else {
                throw .invalid("--workspace \(workspace): no such directory")
            }
            explicitWorkspace = real
        }
        let agent = try agentProfile(home: caller.home)?.0
        var policy: Policy
        do {
            policy = try ProfileLoader.load(reference: profile, searchFrom: explicitWorkspace ?? cwd, environment: env, agent: agent)
        } catch {
            throw .profile(error)
        }
        if learn { policy.syscalls.mode = .learn }
        // Only a discovered project profile moves the workspace: `--profile` names rules, not a place.
        let projectDirectory = profile == nil ? policy.profileDirectory.flatMap(CallerContext.realPath) : nil
        let workspace = explicitWorkspace ?? projectDirectory ?? CallerContext.realPath(cwd) ?? cwd
        return (policy, workspace)
    }
}
