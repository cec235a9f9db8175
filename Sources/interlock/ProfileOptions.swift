import ArgumentParser
import InterlockProfile
import InterlockSandbox

/// Options shared by every command that resolves a profile.
struct ProfileOptions: ParsableArguments {
    @Option(name: .long, help: "Profile: a built-in name (default, strict) or a path. Default: .interlock.toml found from the workspace upward, else the built-in default.")
    var profile: String?

    @Option(name: .long, help: "Environment: an [env.NAME] section of the profile. Default: the profile's default_env.")
    var env: String?

    @Option(name: .long, help: "The writable workspace. Default: the directory holding the project profile, else the current directory.")
    var workspace: String?

    @Option(name: .long, help: "Layer an agent profile under the project profile: \(AgentProfile.names.joined(separator: ", ")).")
    var agent: String?

    var selection: ProfileSelection { ProfileSelection(profile: profile, env: env, workspace: workspace, agent: agent) }

    /// The resolved policy and the workspace it applies to.
    func resolve() throws(LaunchError) -> (Policy, workspace: String) {
        try selection.resolve(caller: .current())
    }
}
