import InterlockSecrets

/// What `interlock run` asks for, as parsed from its command line.
public struct RunRequest: Sendable {
    public var selection: ProfileSelection
    /// The command and its arguments.
    public var command: [String]
    /// Learn mode: syscalls the profile refuses are recorded and run. Not a security boundary.
    public var learn: Bool
    /// The audit log file as given (relative to the caller's directory); nil: the default directory.
    public var auditPath: String?
    /// The background scan index for large workspaces (nil: off).
    public var scanIndex: ScanIndexOptions?
    public var caller: CallerContext

    public init(selection: ProfileSelection, command: [String], learn: Bool = false, auditPath: String? = nil,
                scanIndex: ScanIndexOptions? = nil, caller: CallerContext) {
        self.selection = selection
        self.command = command
        self.learn = learn
        self.auditPath = auditPath
        self.scanIndex = scanIndex
        self.caller = caller
    }
}
