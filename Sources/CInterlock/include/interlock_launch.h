// The launch spec the Swift supervisor fills in, il_spawn that acts on it, and the channel
// between the supervisor and the child. Everything the child runs between clone3 and execve
// is async-signal-safe: raw syscalls, no allocation, no locks, no stdio.
#ifndef INTERLOCK_LAUNCH_H
#define INTERLOCK_LAUNCH_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What one step of the mount plan does. Paths are absolute, as seen from the host root
/// (`source`) and from the sandbox root (`target`); both were resolved by the supervisor.
typedef enum {
    IL_MOUNT_BIND_RO = 1,     // recursive bind, read-only, nosuid, nodev
    IL_MOUNT_BIND_RW = 2,     // recursive bind, writable, nosuid, nodev
    IL_MOUNT_FD_RW = 3,       // attach a mount fd the supervisor prepared (idmapped bind), writable
    IL_MOUNT_FD_RO = 7,       // the same, read-only
    IL_MOUNT_FILE = 8,        // a read-only file with `source` as its content, over target
    IL_MOUNT_TMPFS = 4,       // fresh tmpfs, mode 1777, nosuid, nodev
    IL_MOUNT_HIDE_FILE = 5,   // empty read-only file over target
    IL_MOUNT_HIDE_DIR = 6,    // empty read-only directory over target
} il_mount_kind;

typedef struct {
    int kind;                 // il_mount_kind
    const char *source;       // host path for binds (NULL otherwise)
    const char *target;       // path inside the sandbox
    int fd_index;             // IL_MOUNT_FD_*: index of the received mount fd
} il_mount_op;

typedef struct {
    int resource;
    uint64_t soft;
    uint64_t hard;
} il_rlimit;

typedef struct {
    // Namespaces and identity.
    uint64_t clone_flags;          // CLONE_NEW* flags for clone3 (cgroup ns is entered later)
    int unshare_cgroup;            // unshare(CLONE_NEWCGROUP) after the supervisor placed us
    uint32_t inner_uid, inner_gid; // ids inside the user namespace
    uint64_t keep_caps;            // capabilities kept in the sandbox's user namespace (bit mask)
    int drop_groups;               // setgroups(0, NULL) is allowed (supervisor wrote "allow")
    const char *hostname;

    // Channels to the supervisor. sync_fd: a socket the child reads "go" (and mount fds) from;
    // error_fd: CLOEXEC pipe the child writes an il_setup_error to; status_fd: pipe the init
    // writes worker events to (il_status_event).
    int sync_fd, error_fd, status_fd;
    int supervisor_sync_fd;        // the supervisor's end: closed in the child at once
    int received_fd_count;         // mount fds to receive over sync_fd before "go" (after the
                                   // mounts the child sends M and waits for a second go)

    // Mount plan, applied in order inside the new root.
    const il_mount_op *mounts;
    int mount_count;
    const char *cwd;

    // The worker's stdio: fds in the supervisor to dup onto 0, 1, 2, or -1 for the sandbox's
    // own terminal. With `pty`, the child opens a PTY in the sandbox's devpts (so ttyname()
    // works inside), sends the master to the supervisor over sync_fd, and the slave becomes
    // the worker's controlling terminal.
    int stdio[3];
    int pty;

    const il_rlimit *rlimits;
    int rlimit_count;
    // Bytes each private tmpfs (/tmp, profile tmpfs entries, /dev/shm) may hold; 0: the kernel's
    // default (half the host's RAM). Set from the memory limit: tmpfs pages are host memory that
    // RLIMIT_AS does not count.
    uint64_t tmpfs_size;

    // Seccomp program (struct sock_filter array), loaded as the last step before execve.
    // With `notify`, it is loaded with a listener the worker sends to the supervisor on sync_fd.
    const void *filter;
    uint16_t filter_len;
    int notify;

    // Egress: listening sockets the child opens inside its network namespace and hands to the
    // supervisor's proxy (sent on sync_fd after the terminal): TCP 127.0.0.1:proxy_port, TCP
    // 0.0.0.0:P for each transparent port, UDP 0.0.0.0:53. With `egress`, every IPv4
    // destination is routed to loopback (`local 0.0.0.0/0 dev lo`), so a tool that ignores the
    // proxy variables still lands on a listener the proxy checks.
    int egress;
    uint16_t proxy_port;
    const uint16_t *transparent_ports;
    int transparent_port_count;

    const char *path;
    char *const *argv;
    char *const *envp;
} il_launch_spec;

/// Written by the child on error_fd when setup fails; the supervisor reports it and exits.
typedef struct {
    int32_t err;            // errno
    char step[200];         // what was being done, NUL-terminated
} il_setup_error;

/// Written by the sandbox's init on status_fd.
typedef enum { IL_EVENT_EXITED = 1, IL_EVENT_STOPPED = 2 } il_event_kind;
typedef struct {
    int32_t kind;           // il_event_kind
    int32_t status;         // raw wait status
} il_status_event;

/// clone3 into new namespaces and run the child side of `spec` (spawn.c lists its steps).
/// Returns the child's pid in the caller's namespace and stores a pidfd in *pidfd, or -1
/// with errno set.
/// C: the child runs between clone3 and execve, where only async-signal-safe code may run.
pid_t il_spawn(const il_launch_spec *spec, int *pidfd);

/// Probe whether a user namespace can be created from here (for `doctor`).
/// C: a raw clone3 whose child exits at once; no Swift may run in a cloned child.
int il_probe_userns(void);

/// CLONE_NEW* flags of a sandbox: user, mount, pid, ipc, uts, net (cgroup is entered later).
/// C: the CLONE_NEW* constants are not exported by Swift's Glibc module.
uint64_t il_namespace_flags(void);
/// RLIMIT_* number for "nofile", "as", "nproc"; -1 for any other name.
/// C: RLIMIT_* import into Swift as an enum, while il_rlimit carries the plain int setrlimit takes.
int il_rlimit_number(const char *name);

/// Idmapped bind of `path` (recursive) using the user namespace of `userns_fd`; returns a
/// detached mount fd or -1 (sent to the child for an IL_MOUNT_FD_* step).
/// C: open_tree and mount_setattr have no glibc wrapper and syscall is variadic.
int il_open_idmapped_tree(const char *path, int userns_fd, int read_only);

/// The sync socket carries one byte, 'G', with up to 16 descriptors (SCM_RIGHTS): "go" with
/// the mount fds from the supervisor; the terminal, egress listeners and seccomp listener from
/// the child.
/// Sends `count` descriptors with the byte. 0, or -1 with errno.
/// C: the CMSG_* macros are not importable, and the child calls it before execve.
int il_send_fds(int sock, const int *fds, int count);
/// Receives the byte and exactly `count` descriptors (close-on-exec). 0, or -1 with errno.
/// C: the CMSG_* macros are not importable, and the child calls it before execve.
int il_recv_fds(int sock, int *fds, int count);

#ifdef __cplusplus
}
#endif
#endif
