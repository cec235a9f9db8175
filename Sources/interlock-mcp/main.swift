import Foundation
import InterlockProfile
import MCP

/// `interlock mcp`: an MCP server over stdio whose one tool, `run_command`, runs each command in
/// its own sandbox with the project's profile (mode (b): only the agent's tools are sandboxed).
/// Started by `interlock mcp`, which resolves and approves the profile first.

if CommandLine.arguments.count == 2, CommandLine.arguments[1] == "--version" {
    print(InterlockVersion.description)
    exit(0)
}

let configuration: Configuration
do {
    configuration = try Configuration.parse(Array(CommandLine.arguments.dropFirst()), environment: ProcessInfo.processInfo.environment)
} catch {
    FileHandle.standardError.write(Data("interlock-mcp: \(error)\n".utf8))
    exit(2)
}

let runCommandTool = Tool(
    name: "run_command",
    description: """
        Run a shell command (bash -c) in the project's workspace, inside an Interlock sandbox: the \
        workspace is writable, the rest of the host read-only, credentials the project does not grant \
        are hidden, and network access is limited to the project's allowlist. Returns the exit code, \
        stdout and stderr (each cut at \(configuration.outputLimit / 1024) KiB), and what the sandbox refused.
        """,
    inputSchema: .object([
        "type": .string("object"),
        "properties": .object([
            "command": .object(["type": .string("string"), "description": .string("The shell command line.")]),
            "cwd": .object(["type": .string("string"),
                            "description": .string("Working directory, relative to the workspace (default: the workspace); must be inside it.")]),
            "timeout": .object(["type": .string("number"),
                                "description": .string("Seconds before the command is stopped (default \(Int(configuration.defaultTimeout)), at most \(Int(configuration.maximumTimeout))).")]),
        ]),
        "required": .array([.string("command")]),
    ]),
    annotations: .init(title: "Run a command in the Interlock sandbox", destructiveHint: true, openWorldHint: true)
)

func call(_ params: CallTool.Parameters) async -> CallTool.Result {
    guard params.name == runCommandTool.name else {
        return .init(content: [.text(text: "unknown tool \(params.name); this server has run_command", annotations: nil, _meta: nil)], isError: true)
    }
    guard let command = params.arguments?["command"]?.stringValue, !command.isEmpty else {
        return .init(content: [.text(text: "run_command needs a non-empty string argument 'command'", annotations: nil, _meta: nil)], isError: true)
    }
    let requestedTimeout = params.arguments?["timeout"].flatMap { $0.doubleValue ?? $0.intValue.map(Double.init) }
    let timeout = min(max(requestedTimeout ?? configuration.defaultTimeout, 0.1), configuration.maximumTimeout)
    let result: CommandResult
    do {
        let directory = try CommandRunner.directory(params.arguments?["cwd"]?.stringValue, workspace: configuration.workspace)
        result = try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result {
                    try CommandRunner.execute(command: command, directory: directory, timeout: timeout, config: configuration)
                })
            }
        }
    } catch {
        return .init(content: [.text(text: "\(error)", annotations: nil, _meta: nil)], isError: true)
    }
    return .init(content: [.text(text: render(result), annotations: nil, _meta: nil)], structuredContent: Optional.some(structured(result)), isError: false)
}

func structured(_ r: CommandResult) -> Value {
    .object([
        "exit_code": .int(Int(r.exitCode)),
        "stdout": .string(r.stdout.text),
        "stderr": .string(r.stderr.text),
        "stdout_truncated": .bool(r.stdout.truncated),
        "stderr_truncated": .bool(r.stderr.truncated),
        "timed_out": .bool(r.timedOut),
        "refusals": .array(r.refusals),
        "audit": .string(r.auditPath),
    ])
}

/// What a model reads: the outcome first, then the output, then each refusal on one line.
func render(_ r: CommandResult) -> String {
    var text = "exit code \(r.exitCode)" + (r.timedOut ? " (stopped: timed out)" : "") + "\n"
    for (name, stream) in [("stdout", r.stdout), ("stderr", r.stderr)] where stream.totalBytes > 0 {
        text += "--- \(name)" + (stream.truncated ? " (first \(stream.text.utf8.count) of \(stream.totalBytes) bytes)" : "") + "\n"
        text += stream.text + (stream.text.hasSuffix("\n") ? "" : "\n")
    }
    if !r.refusals.isEmpty {
        text += "--- refused by the sandbox (\(r.refusals.count)); the project's .interlock.toml decides what is allowed\n"
        for record in r.refusals {
            let o = record.objectValue ?? [:]
            let detail = o["detail"]?.objectValue ?? [:]
            let what = detail["path"]?.stringValue ?? detail["syscall"]?.stringValue
                ?? detail["host"]?.stringValue.map { h in detail["port"]?.intValue.map { "\(h):\($0)" } ?? h } ?? ""
            text += "\(o["kind"]?.stringValue ?? "?") \(what) by \(o["exe"]?.stringValue ?? "?") [\(o["rule"]?.stringValue ?? "")]\n"
        }
    }
    return text + "audit log: \(r.auditPath)\n"
}

let server = Server(name: "interlock", version: "0.1.0", capabilities: .init(tools: .init(listChanged: false)))
await server.withMethodHandler(ListTools.self) { _ in .init(tools: [runCommandTool]) }
await server.withMethodHandler(CallTool.self) { params in await call(params) }
do {
    try await server.start(transport: StdioTransport())
} catch {
    FileHandle.standardError.write(Data("interlock-mcp: \(error)\n".utf8))
    exit(1)
}
await server.waitUntilCompleted()
