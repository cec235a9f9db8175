import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSandbox

/// `interlock mcp`: resolves and approves the project profile, then becomes `interlock-mcp`
/// (installed next to this binary), the MCP server whose `run_command` tool runs each command in
/// its own sandbox. A separate binary because the MCP SDK needs Foundation, which `run` avoids.
struct Mcp: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve MCP over stdio: a run_command tool that runs each command in its own sandbox with the project's profile.",
        discussion: "Configure it as an MCP server of your agent, e.g. `claude mcp add interlock -- interlock mcp`."
    )

    @OptionGroup var options: ProfileOptions

    func run() throws {
        let (policy, workspace): (Policy, String)
        do { (policy, workspace) = try options.resolve() } catch { Shell.fail(error) }
        do {
            _ = try ProfileApproval(environment: Shell.environmentDictionary(), home: Shell.home()).check(policy, named: false)
        } catch let error as ProfileError {
            Shell.fail(.profile(error))
        } catch {
            Shell.fail(.invalid("\(error)"))
        }
        guard let me = Shell.realPath("/proc/self/exe") else { Shell.fail(.setup("cannot find the interlock binary (/proc/self/exe)")) }
        let server = String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/interlock-mcp"
        var arguments = [server, "--interlock", me, "--workspace", workspace]
        for (flag, value) in [("--profile", options.profile), ("--env", options.env), ("--agent", options.agent)] {
            if let value { arguments += [flag, value] }
        }
        let cArguments = arguments.map { strdup($0) } + [nil]
        execv(server, cArguments)
        Shell.fail(.setup("cannot start \(server): \(String(cString: strerror(errno))) (it is built and installed next to interlock)"))
    }
}
