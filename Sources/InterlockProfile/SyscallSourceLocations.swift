/// Where the `[syscalls]` entries of a resolved policy were written, so that problems found later
/// (an unknown syscall name, an import that does not parse) can name file and line. Entries of
/// the merged arrays keep the location of the profile that first listed them.
///
/// Only a side table for messages: any two tables compare equal.
public struct SyscallSourceLocations: Sendable, Equatable {
    /// By syscall name.
    public var deny: [String: SourceLocation] = [:]
    /// By syscall name.
    public var allow: [String: SourceLocation] = [:]
    /// Parallel to `SyscallPolicy.rules` (when it was filled by the loader).
    public var rules: [SourceLocation] = []
    public var importPath: SourceLocation?

    public init() {}

    public static func == (lhs: SyscallSourceLocations, rhs: SyscallSourceLocations) -> Bool { true }
}
