/// Symbolic values a `[[syscalls.rules]]` argument may use instead of a number
/// (`value = "AF_PACKET"`), with their Linux (x86-64) values.
public enum SyscallConstants {
    public static let values: [String: UInt64] = [
        // Address families: socket(2) argument 0.
        "AF_UNSPEC": 0, "AF_UNIX": 1, "AF_LOCAL": 1, "AF_INET": 2, "AF_AX25": 3, "AF_IPX": 4,
        "AF_APPLETALK": 5, "AF_X25": 9, "AF_INET6": 10, "AF_KEY": 15, "AF_NETLINK": 16,
        "AF_PACKET": 17, "AF_RDS": 21, "AF_IRDA": 23, "AF_LLC": 26, "AF_IB": 27, "AF_MPLS": 28,
        "AF_CAN": 29, "AF_TIPC": 30, "AF_BLUETOOTH": 31, "AF_ALG": 38, "AF_NFC": 39, "AF_VSOCK": 40,
        "AF_KCM": 41, "AF_QIPCRTR": 42, "AF_SMC": 43, "AF_XDP": 44, "AF_MCTP": 45,
        // Socket types: socket(2) argument 1 (compare with `&=` and mask 0xf: the high bits are flags).
        "SOCK_STREAM": 1, "SOCK_DGRAM": 2, "SOCK_RAW": 3, "SOCK_RDM": 4, "SOCK_SEQPACKET": 5,
        "SOCK_DCCP": 6, "SOCK_PACKET": 10, "SOCK_NONBLOCK": 0o4000, "SOCK_CLOEXEC": 0o2000000,
        // Netlink protocols: socket(AF_NETLINK, …) argument 2.
        "NETLINK_ROUTE": 0, "NETLINK_USERSOCK": 2, "NETLINK_FIREWALL": 3, "NETLINK_SOCK_DIAG": 4,
        "NETLINK_NFLOG": 5, "NETLINK_XFRM": 6, "NETLINK_SELINUX": 7, "NETLINK_ISCSI": 8,
        "NETLINK_AUDIT": 9, "NETLINK_FIB_LOOKUP": 10, "NETLINK_CONNECTOR": 11, "NETLINK_NETFILTER": 12,
        "NETLINK_IP6_FW": 13, "NETLINK_DNRTMSG": 14, "NETLINK_KOBJECT_UEVENT": 15, "NETLINK_GENERIC": 16,
        "NETLINK_SCSITRANSPORT": 18, "NETLINK_ECRYPTFS": 19, "NETLINK_RDMA": 20, "NETLINK_CRYPTO": 21,
        // clone(2) argument 0, unshare(2) argument 0 (compare with `&=`, mask = the flag).
        "CLONE_VM": 0x100, "CLONE_FS": 0x200, "CLONE_FILES": 0x400, "CLONE_SIGHAND": 0x800,
        "CLONE_PIDFD": 0x1000, "CLONE_PTRACE": 0x2000, "CLONE_VFORK": 0x4000, "CLONE_PARENT": 0x8000,
        "CLONE_THREAD": 0x10000, "CLONE_NEWNS": 0x20000, "CLONE_SYSVSEM": 0x40000,
        "CLONE_SETTLS": 0x80000, "CLONE_UNTRACED": 0x800000, "CLONE_NEWCGROUP": 0x200_0000,
        "CLONE_NEWUTS": 0x400_0000, "CLONE_NEWIPC": 0x800_0000, "CLONE_NEWUSER": 0x1000_0000,
        "CLONE_NEWPID": 0x2000_0000, "CLONE_NEWNET": 0x4000_0000, "CLONE_IO": 0x8000_0000,
        "CLONE_NEWTIME": 0x80,
        // ioctl(2) requests: argument 1 (the kernel uses 32 bits: compare with `&=`, mask 0xffffffff).
        "TCGETS": 0x5401, "TCSETS": 0x5402, "TIOCSCTTY": 0x540E, "TIOCGPGRP": 0x540F,
        "TIOCSPGRP": 0x5410, "TIOCSTI": 0x5412, "TIOCGWINSZ": 0x5413, "TIOCSWINSZ": 0x5414,
        "FIONREAD": 0x541B, "TIOCLINUX": 0x541C, "TIOCCONS": 0x541D, "FIONBIO": 0x5421,
        "TIOCNOTTY": 0x5422, "TIOCSETD": 0x5423, "FIOCLEX": 0x5451, "FIONCLEX": 0x5450,
        // personality(2) argument 0.
        "PER_LINUX": 0, "UNAME26": 0x0020000, "ADDR_NO_RANDOMIZE": 0x0040000,
        "READ_IMPLIES_EXEC": 0x0400000, "ADDR_LIMIT_32BIT": 0x0800000, "PER_LINUX32": 0x0008,
        "PERSONALITY_QUERY": 0xffff_ffff,
    ]

    public static func value(of name: String) -> UInt64? { values[name] }
}
