extension Supervisor {
    /// How a run ended, with the exact counts of what was refused: the CLI's summary line.
    public struct Outcome: Sendable {
        /// What the caller should exit with: the command's code, or 128+N for death by signal N.
        public var exitCode: Int32
        public var runID: String
        public var hiddenPaths: [String]
        /// Blocked syscalls per name (exact), when the filter reports to the supervisor.
        public var blockedSyscalls: [String: Int]
        public var auditPath: String?
        /// Protected paths that did not exist at start and were created by the run.
        public var createdProtected: [MountPlan.Protection]
        /// Opens of hidden paths (recorded when the supervisor can watch them).
        public var hiddenPathOpens: Int
        /// Connections the egress proxy refused, per host:port (exact).
        public var refusedConnections: [String: Int] = [:]
        /// Refused writes to protected paths, per path (exact).
        public var protectedWrites: [String: Int] = [:]
        /// Requests refused on inspected hosts, per "what on host" (exact).
        public var refusedRequests: [String: Int] = [:]
        /// Opens and reads of credentials that appeared or changed after start, per path (exact).
        public var lateSecrets: [String: Int] = [:]
        /// What the end-of-run sweep cleared or quarantined (WorkspaceSweep).
        public var swept: [WorkspaceSweep.Finding] = []
    }
}
