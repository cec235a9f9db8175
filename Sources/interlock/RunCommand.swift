import ArgumentParser

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command in the sandbox.",
        discussion: "Example: interlock run --env staging -- claude"
    )

    @OptionGroup var options: ProfileOptions

    @Flag(name: .shortAndLong, help: "Print what the sandbox hides and allows, and a summary at exit.")
    var verbose = false

    @Option(name: .long, help: "Audit log file (JSON Lines). Default: $XDG_STATE_HOME/interlock/audit/<time>-<id>.jsonl")
    var audit: String?

    @Flag(name: .long, help: "Learn mode: record syscalls the profile would block, but let them run. Not a security boundary.")
    var learn = false

    @Flag(name: .shortAndLong, help: "No banner and no summary at exit (the audit log still records everything).")
    var quiet = false

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments (after --).")
    var command: [String] = []

    func run() throws {
        var command = command
        if command.first == "--" { command.removeFirst() }
        Launcher.run(selection: options.selection, command: command, verbose: verbose && !quiet, audit: audit, learn: learn, quiet: quiet)
    }
}

