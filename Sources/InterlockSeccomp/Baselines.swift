#if canImport(Glibc)
import Glibc
#endif

/// The built-in rule sets, as data. Each group says in one line why it is there.
///
/// `agent` (the default) is a deny list over an allow-by-default filter: it refuses at least
/// everything Docker's default profile refuses to a container without added capabilities
/// (moby's profiles/seccomp/default.json, kernel 6.13 revision), and more (io_uring, file
/// handles, clock_adjtime, netlink other than routing, personality changes). `docker` is
/// Docker's default profile itself: an allow list, everything else EPERM. `none` adds nothing.
/// The always-on rules (`terminalInjection`, `privilegeBits`) precede every baseline, and the compiled filter
/// kills any syscall of a non-native architecture whatever the baseline.
///
/// What the sandbox's own launcher needs once the filter is loaded (sendmsg, close, execve) is
/// allowed by every baseline.
enum Baselines {
    /// Values used by the rules below (x86-64 / generic Linux).
    enum Constant {
        static let TIOCSTI: UInt64 = 0x5412
        static let TIOCLINUX: UInt64 = 0x541C
        static let AF_INET: UInt64 = 2, AF_INET6: UInt64 = 10, AF_NETLINK: UInt64 = 16, AF_PACKET: UInt64 = 17
        static let AF_ALG: UInt64 = 38, AF_VSOCK: UInt64 = 40
        static let SOCK_RAW: UInt64 = 3, SOCK_PACKET: UInt64 = 10, SOCK_TYPE_MASK: UInt64 = 0xf
        static let NETLINK_ROUTE: UInt64 = 0
        /// CLONE_NEWNS, CLONE_NEWCGROUP, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
        /// CLONE_NEWNET: Docker's 0x7E020000.
        static let namespaceFlags: [UInt64] = [
            0x2_0000, 0x200_0000, 0x400_0000, 0x800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000,
        ]
        static let low32: UInt64 = 0xffff_ffff
        static let S_ISUID: UInt64 = 0o4000, S_ISGID: UInt64 = 0o2000
        /// O_CREAT; O_TMPFILE's own bit (__O_TMPFILE, without O_DIRECTORY).
        static let O_CREAT: UInt64 = 0o100, O_TMPFILE: UInt64 = 0o2000_0000
    }

    // MARK: - Always on

    /// Terminal injection: TIOCSTI pushes keystrokes into a terminal's input, TIOCLINUX can
    /// paste the console selection. The kernel reads ioctl's request as 32 bits, so the compare
    /// is masked: high bits cannot dodge it.
    static let terminalInjection: [SyscallRule] = [Constant.TIOCSTI, Constant.TIOCLINUX].map { request in
        SyscallRule(syscall: "ioctl", conditions: [.masked(1, Constant.low32, request)], action: .deny,
                    origin: "terminal injection")
    }

    /// Privilege bits: nothing the sandbox writes may carry setuid or setgid, whoever runs it
    /// later (a root-invoked run's workspace is idmapped, so its files can be root-owned on
    /// disk). Refused at every call that takes a mode as a plain integer: chmod family, creating
    /// opens (O_CREAT or O_TMPFILE), mkdir, mknod. One rule per bit, since seccomp tests a masked
    /// value for equality, not "any bit set"; the kernel reads mode and flags as 32-bit values,
    /// and the masks only look at low bits, so high bits cannot dodge them. openat2 carries its
    /// mode in memory, out of the filter's reach: ENOSYS, and libc falls back to openat.
    static let privilegeBits: [SyscallRule] = {
        let origin = "privilege bits"
        let bits: [UInt64] = [Constant.S_ISUID, Constant.S_ISGID]
        // (syscall, mode argument, flags argument when the mode only matters for a creating open)
        let calls: [(String, Int, Int?)] = [
            ("chmod", 1, nil), ("fchmod", 1, nil), ("fchmodat", 2, nil), ("fchmodat2", 2, nil),
            ("creat", 1, nil), ("open", 2, 1), ("openat", 3, 2),
            ("mkdir", 1, nil), ("mkdirat", 2, nil), ("mknod", 1, nil), ("mknodat", 2, nil),
        ]
        var rules: [SyscallRule] = []
        for (name, mode, flags) in calls {
            for bit in bits {
                let modeHas = ArgumentCondition.masked(mode, bit, bit)
                guard let flags else {
                    rules.append(SyscallRule(syscall: name, conditions: [modeHas], action: .deny, origin: origin))
                    continue
                }
                rules += [Constant.O_CREAT, Constant.O_TMPFILE].map { flag in
                    SyscallRule(syscall: name, conditions: [.masked(flags, flag, flag), modeHas], action: .deny, origin: origin)
                }
            }
        }
        rules.append(SyscallRule(syscall: "openat2", action: .errnoSilently(ENOSYS), origin: origin))
        return rules
    }()

    // MARK: - agent

    /// Syscalls `agent` refuses whatever their arguments, by reason. Names of other
    /// architectures (umount, stime, vm86, vm86old on x86-64) are listed for the profile's sake;
    /// they filter nothing here.
    static let agentDenied: [(reason: String, names: [String])] = [
        ("mounts are the supervisor's: no mounting, unmounting, pivoting or chroot, old API or new",
         ["mount", "umount", "umount2", "pivot_root", "chroot", "open_tree", "open_tree_attr", "move_mount",
          "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr"]),
        ("no namespaces entered or created from inside (clone's namespace flags: see below)",
         ["unshare", "setns"]),
        ("kernel modules and kexec",
         ["init_module", "finit_module", "delete_module", "create_module", "query_module", "get_kernel_syms",
          "kexec_load", "kexec_file_load"]),
        ("the kernel keyring is not namespaced: keys of the invoking user must stay out of reach",
         ["keyctl", "add_key", "request_key"]),
        ("eBPF, perf events and io_uring: large kernel attack surface; io_uring also does I/O the filter never sees",
         ["bpf", "perf_event_open", "io_uring_setup", "io_uring_enter", "io_uring_register"]),
        ("userfaultfd: the classic primitive for winning kernel races",
         ["userfaultfd"]),
        ("file handles open files by inode, past the sandbox's mount view (the 'shocker' escape)",
         ["name_to_handle_at", "open_by_handle_at"]),
        ("the clock is the host's",
         ["settimeofday", "clock_settime", "clock_adjtime", "stime"]),
        ("machine administration: reboot, swap, accounting, quotas, host names, kernel log, fanotify",
         ["reboot", "swapon", "swapoff", "acct", "quotactl", "quotactl_fd", "sethostname", "setdomainname",
          "syslog", "vhangup", "lookup_dcookie", "fanotify_init"]),
        ("raw I/O ports and legacy x86 modes",
         ["iopl", "ioperm", "vm86", "vm86old"]),
        // get_mempolicy and set_mempolicy stay allowed (Docker asks CAP_SYS_NICE for them): they
        // read and set the calling thread's own allocation policy, which the kernel lets any
        // process do, and libnuma calls both at start (procps: every `ps` and `top`).
        ("binding memory ranges and moving pages, possibly another process's (Docker needs CAP_SYS_NICE for these)",
         ["mbind", "set_mempolicy_home_node", "migrate_pages", "move_pages"]),
        ("reaching into other processes' files and memory beyond ptrace (Docker needs CAP_SYS_PTRACE)",
         ["kcmp", "pidfd_getfd", "process_madvise"]),
        ("LSM attributes (Docker needs CAP_SYS_ADMIN)",
         ["lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules"]),
        ("obsolete or unimplemented",
         ["_sysctl", "sysfs", "ustat", "uselib", "nfsservctl", "afs_syscall", "tuxcall", "security", "getpmsg",
          "putpmsg", "vserver"]),
    ]

    // ptrace, process_vm_readv and process_vm_writev stay allowed in `agent`, as in Docker's
    // profile on kernels ≥ 4.8 (where seccomp re-checks a syscall a tracer changed): gdb,
    // strace and sanitizers inside the sandbox are legitimate, and they can only reach the
    // sandbox's own processes: its pid namespace shows nothing else, and the sandbox holds no
    // capability over anything outside its user namespace.

    /// personality(2) values allowed (as in Docker): PER_LINUX, PER_LINUX32, UNAME26, their
    /// combination, and 0xffffffff (the query). Everything else (ADDR_NO_RANDOMIZE,
    /// READ_IMPLIES_EXEC, …) is refused.
    static let personalityAllowed: [UInt64] = [0x0, 0x8, 0x2_0000, 0x2_0008, 0xffff_ffff]

    static let agent: [SyscallRule] = {
        let origin = "baseline agent"
        var rules: [SyscallRule] = []
        for group in agentDenied {
            rules += group.names.map { SyscallRule(syscall: $0, action: .deny, origin: origin) }
        }
        // Personality changes: the allowed values first (the first matching rule decides).
        rules += personalityAllowed.map { value in
            SyscallRule(syscall: "personality", conditions: [.equal(0, value)], action: .allow, origin: origin)
        }
        rules.append(SyscallRule(syscall: "personality", action: .deny, origin: origin))
        // New namespaces through clone (any namespace flag, as Docker): one rule per flag, since
        // seccomp can test a masked value for equality but not for "any bit set".
        rules += Constant.namespaceFlags.map { flag in
            SyscallRule(syscall: "clone", conditions: [.masked(0, flag, flag)], action: .deny, origin: origin)
        }
        // clone3 passes its flags in memory, out of the filter's reach: answer ENOSYS, so that
        // libc falls back to clone (as Docker does).
        rules.append(SyscallRule(syscall: "clone3", action: .errnoSilently(ENOSYS), origin: origin))
        // Sockets: packet sockets, raw IP (and the obsolete AF_INET/SOCK_PACKET, which the kernel
        // turns into a packet socket), netlink but for routing, and the two families Docker
        // refuses (AF_ALG, AF_VSOCK). Family and protocol are ints: masked to 32 bits; the type's
        // low 4 bits are the type, the rest flags.
        let family = { (value: UInt64) in ArgumentCondition.masked(0, Constant.low32, value) }
        let type = { (value: UInt64) in ArgumentCondition.masked(1, Constant.SOCK_TYPE_MASK, value) }
        let socketDenied: [[ArgumentCondition]] = [
            [family(Constant.AF_PACKET)],
            [family(Constant.AF_INET), type(Constant.SOCK_RAW)],
            [family(Constant.AF_INET), type(Constant.SOCK_PACKET)],
            [family(Constant.AF_INET6), type(Constant.SOCK_RAW)],
            // Protocol compared on all 64 bits: high bits set means "not route", refused.
            [family(Constant.AF_NETLINK), .notEqual(2, Constant.NETLINK_ROUTE)],
            [family(Constant.AF_ALG)],
            [family(Constant.AF_VSOCK)],
        ]
        rules += socketDenied.map { SyscallRule(syscall: "socket", conditions: $0, action: .deny, origin: origin) }
        return rules
    }()

    // MARK: - docker

    /// Docker's default seccomp profile (moby profiles/seccomp/default.json, revision "kernel
    /// v6.13" with CAP_SYS_ADMIN required for lsm_*), transcribed. Converted like an import
    /// (`DockerSeccompProfile.rules`): capabilities come from `[capabilities] keep`.
    typealias Entry = DockerSeccompProfile.Entry
    typealias Arg = DockerSeccompProfile.Arg
    typealias Filter = DockerSeccompProfile.Filter
    static let docker = DockerSeccompProfile(defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 1, architectures: [
        "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
    ], syscalls: [
        Entry(names: [
            "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget", "capset",
            "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64", "clock_getres",
            "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
            "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
            "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
            "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
            "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
            "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
            "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
            "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
            "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake",
            "futimesat", "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
            "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
            "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid", "getresgid32",
            "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage", "getsid", "getsockname",
            "getsockopt", "get_thread_area", "gettid", "gettimeofday", "getuid", "getuid32", "getxattr",
            "getxattrat", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
            "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
            "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill", "landlock_add_rule",
            "landlock_create_ruleset", "landlock_restrict_self", "lchown", "lchown32", "lgetxattr", "link",
            "linkat", "listen", "listmount", "listxattr", "listxattrat", "llistxattr", "_llseek",
            "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
            "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
            "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
            "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
            "mq_unlink", "mremap", "mseal", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock",
            "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open",
            "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
            "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
            "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64", "pwritev",
            "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg",
            "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr", "removexattrat", "rename",
            "renameat", "renameat2", "restart_syscall", "riscv_hwprobe", "rmdir", "rseq", "rt_sigaction",
            "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
            "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity",
            "sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
            "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
            "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
            "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile", "sendfile64",
            "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid",
            "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid",
            "setregid32", "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32",
            "setrlimit", "set_robust_list", "setsid", "setsockopt", "set_thread_area", "set_tid_address",
            "setuid", "setuid32", "setxattr", "setxattrat", "shmat", "shmctl", "shmdt", "shmget", "shutdown",
            "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall", "socketpair",
            "splice", "stat", "stat64", "statfs", "statfs64", "statmount", "statx", "symlink", "symlinkat",
            "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
            "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
            "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
            "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
            "unlink", "unlinkat", "uretprobe", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
            "vmsplice", "wait4", "waitid", "waitpid", "write", "writev",
        ], action: "SCMP_ACT_ALLOW"),
        Entry(names: ["process_vm_readv", "process_vm_writev", "ptrace"], action: "SCMP_ACT_ALLOW",
              includes: Filter(minKernel: "4.8")),
        Entry(names: ["socket"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 0, value: 38, valueTwo: 0, op: "SCMP_CMP_LT")]),
        Entry(names: ["socket"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 0, value: 39, valueTwo: 0, op: "SCMP_CMP_EQ")]),
        Entry(names: ["socket"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 0, value: 40, valueTwo: 0, op: "SCMP_CMP_GT")]),
        Entry(names: ["personality"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 0, value: 0, valueTwo: 0, op: "SCMP_CMP_EQ")]),
        Entry(names: ["personality"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 0, value: 8, valueTwo: 0, op: "SCMP_CMP_EQ")]),
        Entry(names: ["personality"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 0, value: 0x20000, valueTwo: 0, op: "SCMP_CMP_EQ")]),
        Entry(names: ["personality"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 0, value: 0x20008, valueTwo: 0, op: "SCMP_CMP_EQ")]),
        Entry(names: ["personality"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 0, value: 0xffffffff, valueTwo: 0, op: "SCMP_CMP_EQ")]),
        Entry(names: ["sync_file_range2", "swapcontext"], action: "SCMP_ACT_ALLOW",
              includes: Filter(arches: ["ppc64le"])),
        Entry(names: ["arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint", "cacheflush", "set_tls"],
              action: "SCMP_ACT_ALLOW", includes: Filter(arches: ["arm", "arm64"])),
        Entry(names: ["arch_prctl"], action: "SCMP_ACT_ALLOW", includes: Filter(arches: ["amd64", "x32"])),
        Entry(names: ["modify_ldt"], action: "SCMP_ACT_ALLOW", includes: Filter(arches: ["amd64", "x32", "x86"])),
        Entry(names: ["s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"], action: "SCMP_ACT_ALLOW",
              includes: Filter(arches: ["s390", "s390x"])),
        Entry(names: ["riscv_flush_icache"], action: "SCMP_ACT_ALLOW", includes: Filter(arches: ["riscv64"])),
        Entry(names: ["open_by_handle_at"], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_DAC_READ_SEARCH"])),
        Entry(names: [
            "bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen", "fspick",
            "lookup_dcookie", "lsm_get_self_attr", "lsm_list_modules", "lsm_set_self_attr", "mount",
            "mount_setattr", "move_mount", "open_tree", "perf_event_open", "quotactl", "quotactl_fd",
            "setdomainname", "sethostname", "setns", "syslog", "umount", "umount2", "unshare",
        ], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_SYS_ADMIN"])),
        Entry(names: ["clone"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 0, value: 0x7e020000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")],
              excludes: Filter(caps: ["CAP_SYS_ADMIN"], arches: ["s390", "s390x"])),
        // s390 parameter ordering for clone is different
        Entry(names: ["clone"], action: "SCMP_ACT_ALLOW",
              args: [Arg(index: 1, value: 0x7e020000, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ")],
              includes: Filter(arches: ["s390", "s390x"]), excludes: Filter(caps: ["CAP_SYS_ADMIN"])),
        Entry(names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38, excludes: Filter(caps: ["CAP_SYS_ADMIN"])),
        Entry(names: ["reboot"], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_SYS_BOOT"])),
        Entry(names: ["chroot"], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_SYS_CHROOT"])),
        Entry(names: ["delete_module", "init_module", "finit_module"], action: "SCMP_ACT_ALLOW",
              includes: Filter(caps: ["CAP_SYS_MODULE"])),
        Entry(names: ["acct"], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_SYS_PACCT"])),
        Entry(names: ["kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace"],
              action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_SYS_PTRACE"])),
        Entry(names: ["iopl", "ioperm"], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_SYS_RAWIO"])),
        Entry(names: ["settimeofday", "stime", "clock_settime", "clock_settime64"], action: "SCMP_ACT_ALLOW",
              includes: Filter(caps: ["CAP_SYS_TIME"])),
        Entry(names: ["vhangup"], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_SYS_TTY_CONFIG"])),
        Entry(names: ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"], action: "SCMP_ACT_ALLOW",
              includes: Filter(caps: ["CAP_SYS_NICE"])),
        Entry(names: ["syslog"], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_SYSLOG"])),
        Entry(names: ["bpf"], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_BPF"])),
        Entry(names: ["perf_event_open"], action: "SCMP_ACT_ALLOW", includes: Filter(caps: ["CAP_PERFMON"])),
    ])
}
