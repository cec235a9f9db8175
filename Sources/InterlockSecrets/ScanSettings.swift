import InterlockProfile

struct ScanSettings: Sendable {
    var maxFileSize = 1 << 20
    var binaryProbe = 8192
    /// Directory names (no '/') and workspace-relative path tails (with '/').
    var skipContentNames: Set<String> = []
    var skipContentTails: [[UInt8]] = []
    var assignmentMinLength = 16
    var assignmentEntropy = 3.0
    var assignmentHexEntropy = 2.5
}
