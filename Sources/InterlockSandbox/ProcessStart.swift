import InterlockSystem

/// When a process started (field 22 of /proc/PID/stat, clock ticks since boot): with the pid, an
/// identity that pid reuse cannot fake.
enum ProcessStart {
    static func ticks(of pid: String = "self") -> UInt64? {
        guard let stat = FileIO.read("/proc/\(pid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // Counted from after the command name, field 22 is index 19.
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
