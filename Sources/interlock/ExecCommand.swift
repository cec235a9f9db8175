import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// `interlock exec`: a drop-in shell for agents that run each tool command through `$SHELL -c`
/// (set SHELL to a link named `interlock-shell`, or call `interlock exec -c CMD`): every command
/// runs in its own sandbox with the project's profile.
struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec",
        abstract: "Run a shell in the sandbox: `interlock exec -c CMD` behaves like `bash -c CMD`.",
        discussion: "The shell is $INTERLOCK_SHELL, else /bin/bash, else /bin/sh. A link to interlock named interlock-shell behaves as `interlock exec`."
    )

    @Argument(parsing: .captureForPassthrough, help: "Shell arguments, as bash takes them (-c CMD, -l, a script).")
    var arguments: [String] = []

    func run() throws {
        var args = arguments
        if args.first == "--" { args.removeFirst() }
        let env = Shell.environmentDictionary()
        let shell = env["INTERLOCK_SHELL"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (access("/bin/bash", X_OK) == 0 ? "/bin/bash" : "/bin/sh")
        let options = (try? ProfileOptions.parse([])) ?? ProfileOptions()
        Launcher.run(selection: options.selection, command: [shell] + args, verbose: false, audit: nil, learn: false)
    }
}

