#if canImport(Glibc)
import Glibc
#endif
import CInterlock
import InterlockAudit
import InterlockSeccomp
import InterlockJSON

/// Names for the arguments of a blocked syscall, for people reading the audit log: paths
/// read from the caller's memory, flag and family names. Raw values are always recorded too.
enum ArgumentDecoder {
    enum Kind { case path(String), string(String), cloneFlags(String), family(String), socketType(String), ioctl(String), int(String), hex(String) }

    static let table: [String: [(Int, Kind)]] = [
        "mount": [(0, .string("source")), (1, .path("target")), (2, .string("fstype")), (3, .hex("flags"))],
        "umount2": [(0, .path("target")), (1, .hex("flags"))],
        "umount": [(0, .path("target"))],
        "pivot_root": [(0, .path("new_root")), (1, .path("put_old"))],
        "chroot": [(0, .path("path"))],
        "open_tree": [(1, .path("path")), (2, .hex("flags"))],
        "move_mount": [(1, .path("from")), (3, .path("to"))],
        "fsopen": [(0, .string("fstype"))],
        "fspick": [(1, .path("path"))],
        "mount_setattr": [(1, .path("path"))],
        "name_to_handle_at": [(1, .path("path"))],
        "swapon": [(0, .path("path"))], "swapoff": [(0, .path("path"))], "acct": [(0, .path("path"))],
        "execve": [(0, .path("path"))], "execveat": [(1, .path("path"))],
        "open": [(0, .path("path")), (1, .hex("flags"))], "openat": [(1, .path("path")), (2, .hex("flags"))],
        "openat2": [(1, .path("path"))],
        "open_tree_attr": [(1, .path("path")), (2, .hex("flags"))],
        "uselib": [(0, .path("library"))],
        "quotactl": [(0, .hex("command")), (1, .path("special"))],
        "quotactl_fd": [(0, .int("fd"))],
        "mkdir": [(0, .path("path"))], "mkdirat": [(1, .path("path"))], "rmdir": [(0, .path("path"))],
        "unlink": [(0, .path("path"))], "unlinkat": [(1, .path("path"))],
        "rename": [(0, .path("from")), (1, .path("to"))], "renameat": [(1, .path("from")), (3, .path("to"))],
        "renameat2": [(1, .path("from")), (3, .path("to"))],
        "link": [(0, .path("from")), (1, .path("to"))], "linkat": [(1, .path("from")), (3, .path("to"))],
        "symlink": [(0, .string("target")), (1, .path("path"))], "symlinkat": [(0, .string("target")), (2, .path("path"))],
        "chmod": [(0, .path("path"))], "fchmodat": [(1, .path("path"))], "chown": [(0, .path("path"))],
        "fchownat": [(1, .path("path"))], "lchown": [(0, .path("path"))], "truncate": [(0, .path("path"))],
        "creat": [(0, .path("path"))], "access": [(0, .path("path"))], "faccessat": [(1, .path("path"))],
        "faccessat2": [(1, .path("path"))], "stat": [(0, .path("path"))], "lstat": [(0, .path("path"))],
        "newfstatat": [(1, .path("path"))], "statx": [(1, .path("path"))], "readlink": [(0, .path("path"))],
        "readlinkat": [(1, .path("path"))], "chdir": [(0, .path("path"))], "mknod": [(0, .path("path"))],
        "mknodat": [(1, .path("path"))], "utimensat": [(1, .path("path"))], "inotify_add_watch": [(1, .path("path"))],
        "fanotify_mark": [(4, .path("path"))], "statfs": [(0, .path("path"))], "getxattr": [(0, .path("path")), (1, .string("name"))],
        "setxattr": [(0, .path("path")), (1, .string("name"))], "sethostname": [(0, .string("name"))],
        "add_key": [(0, .string("type")), (1, .string("description"))],
        "request_key": [(0, .string("type")), (1, .string("description"))],
        "keyctl": [(0, .int("operation"))],
        "unshare": [(0, .cloneFlags("flags"))],
        "clone": [(0, .cloneFlags("flags"))],
        "setns": [(0, .int("fd")), (1, .cloneFlags("nstype"))],
        "socket": [(0, .family("family")), (1, .socketType("type")), (2, .int("protocol"))],
        "socketpair": [(0, .family("family")), (1, .socketType("type")), (2, .int("protocol"))],
        "ioctl": [(0, .int("fd")), (1, .ioctl("request"))],
        "personality": [(0, .hex("persona"))],
        "ptrace": [(0, .int("request")), (1, .int("pid"))],
        "bpf": [(0, .int("command"))],
        "kill": [(0, .int("pid")), (1, .int("signal"))],
        "io_uring_setup": [(0, .int("entries"))],
        "init_module": [(2, .string("params"))], "finit_module": [(0, .int("fd"))],
        "delete_module": [(0, .string("name"))],
        "kexec_file_load": [(0, .int("kernel_fd"))],
        "perf_event_open": [(1, .int("pid")), (2, .int("cpu"))],
    ]

    static let cloneFlagNames: [(UInt64, String)] = [
        (0x0002_0000, "CLONE_NEWNS"), (0x0200_0000, "CLONE_NEWCGROUP"), (0x0400_0000, "CLONE_NEWUTS"),
        (0x0800_0000, "CLONE_NEWIPC"), (0x1000_0000, "CLONE_NEWUSER"), (0x2000_0000, "CLONE_NEWPID"),
        (0x4000_0000, "CLONE_NEWNET"), (0x0000_0080, "CLONE_NEWTIME"), (0x0000_0100, "CLONE_VM"),
        (0x0000_0200, "CLONE_FS"), (0x0000_0400, "CLONE_FILES"), (0x0000_0800, "CLONE_SIGHAND"),
        (0x0001_0000, "CLONE_THREAD"),
    ]
    static let families: [UInt64: String] = [1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK", 17: "AF_PACKET", 3: "AF_AX25", 4: "AF_IPX", 5: "AF_APPLETALK", 9: "AF_X25", 29: "AF_CAN", 31: "AF_BLUETOOTH", 38: "AF_ALG", 40: "AF_VSOCK", 44: "AF_XDP"]
    static let socketTypes: [UInt64: String] = [1: "SOCK_STREAM", 2: "SOCK_DGRAM", 3: "SOCK_RAW", 4: "SOCK_RDM", 5: "SOCK_SEQPACKET", 10: "SOCK_PACKET"]
    static let ioctls: [UInt64: String] = [0x5412: "TIOCSTI", 0x541C: "TIOCLINUX", 0x5413: "TIOCGWINSZ", 0x5414: "TIOCSWINSZ", 0x540E: "TIOCSCTTY"]

    static func decode(syscall: String, arguments: [UInt64], pid: pid_t) -> [(String, JSONValue)] {
        guard let spec = table[syscall] else { return [] }
        var out: [(String, JSONValue)] = []
        for (index, kind) in spec where index < arguments.count {
            let v = arguments[index]
            switch kind {
            case .path(let name), .string(let name):
                out.append((name, readString(pid: pid, address: v).map { .string($0) } ?? .null))
            case .cloneFlags(let name):
                let names = cloneFlagNames.filter { v & $0.0 != 0 }.map(\.1)
                out.append((name, .string(names.isEmpty ? "0x" + String(v, radix: 16) : names.joined(separator: "|"))))
            case .family(let name):
                out.append((name, .string(families[v] ?? String(v))))
            case .socketType(let name):
                var text = socketTypes[v & 0xf] ?? String(v & 0xf)
                if v & 0o2000000 != 0 { text += "|SOCK_CLOEXEC" }
                if v & 0o4000 != 0 { text += "|SOCK_NONBLOCK" }
                out.append((name, .string(text)))
            case .ioctl(let name):
                out.append((name, .string(ioctls[v & 0xffff_ffff] ?? "0x" + String(v, radix: 16))))
            case .int(let name):
                out.append((name, .int(Int64(Int32(truncatingIfNeeded: v)))))
            case .hex(let name):
                out.append((name, .string("0x" + String(v, radix: 16))))
            }
        }
        return out
    }

    static func readString(pid: pid_t, address: UInt64) -> String? {
        guard address != 0 else { return nil }
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = il_read_remote_string(pid, address, &buffer, buffer.count)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
