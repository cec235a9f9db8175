import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import InterlockProfile
import InterlockSandbox

@main
struct Interlock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interlock",
        abstract: "Run AI coding agents and their tools in a sandbox defined by a per-project profile.",
        version: InterlockVersion.description,
        subcommands: [Run.self, Exec.self, Mcp.self, Init.self, ProfileCommand.self, SecretsCommand.self, AuditCommand.self, Replay.self, Doctor.self,
                      ApproveCommand.self, DenyCommand.self]
    )

    /// Invoked through a link named `interlock-shell` (SHELL=…/interlock-shell), behave as `exec`.
    static func main() {
        StartupTrace.mark("process start until main (clock-tick resolution)")
        var arguments = Array(CommandLine.arguments.dropFirst())
        if CommandLine.arguments.first?.split(separator: "/").last == "interlock-shell" {
            arguments = ["exec", "--"] + arguments
        } else if let first = arguments.first, AgentProfile.names.contains(first) {
            // `interlock claude ARGS…` = `interlock run --agent claude -- claude ARGS…`
            arguments = ["run", "--agent", first, "--"] + arguments
        }
        if arguments.first == "run" || arguments.first == "exec" { Prewarm.start() }
        if arguments.first == "run", let run = RunFastPath.parse(Array(arguments.dropFirst())) {
            Launcher.run(selection: run.options.selection, command: run.command, verbose: run.verbose && !run.quiet, audit: run.audit,
                         learn: run.learn, quiet: run.quiet)
        }
        main(arguments)
    }
}

