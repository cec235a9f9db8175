/// Syscalls whose refusal is the point: replay --suggest will not propose them without
/// --allow-dangerous, and `audit show` says why.
public enum DangerousSyscalls {
    public static let reasons: [String: String] = [
        "mount": "mounting lets a process reshape its view of the filesystem and reach hidden paths",
        "umount2": "unmounting can reveal what masks hide", "umount": "unmounting can reveal what masks hide",
        "pivot_root": "changes the root of the sandbox", "chroot": "changes the root of the sandbox",
        "move_mount": "new mount API: reshapes the filesystem view", "open_tree": "new mount API: clones mounts",
        "fsopen": "new mount API", "fsmount": "new mount API", "fsconfig": "new mount API", "fspick": "new mount API",
        "mount_setattr": "changes mount flags (read-only, idmaps)",
        "ptrace": "lets a process read and rewrite another's memory", "process_vm_readv": "reads another process's memory",
        "process_vm_writev": "writes another process's memory",
        "bpf": "loads programs into the kernel", "perf_event_open": "kernel profiling: a large, bug-prone surface",
        "kexec_load": "replaces the running kernel", "kexec_file_load": "replaces the running kernel",
        "init_module": "loads kernel code", "finit_module": "loads kernel code", "delete_module": "unloads kernel code",
        "unshare": "new namespaces from inside (user namespaces re-grant capabilities)",
        "setns": "joins other namespaces", "keyctl": "the kernel keyring holds credentials",
        "add_key": "the kernel keyring holds credentials", "request_key": "the kernel keyring holds credentials",
        "open_by_handle_at": "opens files by handle, bypassing path-based views",
        "name_to_handle_at": "pairs with open_by_handle_at", "userfaultfd": "a common exploit primitive",
        "io_uring_setup": "io_uring bypasses seccomp filtering of the operations it performs",
        "io_uring_enter": "io_uring bypasses seccomp filtering", "io_uring_register": "io_uring bypasses seccomp filtering",
        "ioctl": "TIOCSTI/TIOCLINUX inject keystrokes into a terminal", "personality": "can disable ASLR and change syscall semantics",
        "reboot": "host power control", "swapon": "host memory configuration", "swapoff": "host memory configuration",
        "settimeofday": "host clock", "clock_settime": "host clock", "clock_adjtime": "host clock", "acct": "host accounting",
    ]

    public static func reason(_ name: String) -> String? { reasons[name] }
}
