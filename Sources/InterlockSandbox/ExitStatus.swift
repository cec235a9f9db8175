/// What a process's wait status means to a shell: its exit code, or 128+N for death by signal N.
public enum ExitStatus {
    public static func code(fromWaitStatus status: Int32) -> Int32 {
        let signal = status & 0x7f
        if signal == 0 { return (status >> 8) & 0xff }
        return 128 + signal
    }
}
