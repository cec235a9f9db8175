// The launch spec the Swift supervisor fills in, and the C entry points that act on it.
// Everything the child runs between clone3 and execve lives in this target and is
// async-signal-safe: raw syscalls, no allocation, no locks, no stdio.
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

/// One seccomp user notification: a syscall a sandboxed thread is blocked in.
typedef struct {
    uint64_t id;
    uint32_t pid;        // thread id, in the supervisor's pid namespace
    int32_t nr;
    uint32_t arch;
    uint64_t ip;
    uint64_t args[6];
} il_notification;

/// Blocks for the next notification. 0, or -1 with errno (ENOENT: the target died meanwhile).
int il_notif_recv(int listener, il_notification *out);
/// Answers: fail the call with `error` (an errno), or let it proceed (`continue_call`).
int il_notif_respond(int listener, uint64_t id, int error, int continue_call);
/// Whether the notification is still pending (the thread did not die or get interrupted).
int il_notif_id_valid(int listener, uint64_t id);
/// Reads a NUL-terminated string from another process's memory; returns its length or -1.
long il_read_remote_string(int pid, uint64_t address, char *buffer, long capacity);
/// Removes `security.capability` from a file (not following a final symlink): 1 removed, 0 none, -1 error.
int il_remove_file_capabilities(const char *path);
/// A file's birth time (statx, not following a final symlink); -1 when unknown.
int il_birth_time(const char *path, int64_t *sec, int64_t *nsec);
/// Reads exactly `length` bytes of another process's memory (an openat2 `open_how`); -1 on failure.
long il_read_remote(int pid, uint64_t address, void *buffer, long length);
/// Synchronous wake-ups between a notified thread and the supervisor (Linux 6.6+): the
/// notified call switches straight to the receiving thread and back. -1 where unsupported.
int il_notif_sync_wakeup(int listener);

/// An open of a watched (hidden) path.
typedef struct {
    uint64_t dev, ino;   // the mask's inode (permission mode)
    uint8_t handle[64];  // its file handle, type first (notification mode)
    int32_t handle_len;
    int32_t pid;         // the opener, in the supervisor's pid namespace; 0 when not reported
    uint64_t mask;
    int32_t fd;          // permission mode: answer with il_fanotify_allow; -1 otherwise
} il_fan_event;

/// fanotify group for hidden-path opens. With CAP_SYS_ADMIN: permission events, which hold
/// the opener (so it can be named) — `*notification_only` = 0. Without it (kernel ≥ 5.13):
/// plain open notifications identified by file handle, whose opener the kernel does not
/// name to an unprivileged listener — `*notification_only` = 1. -1 if neither is possible.
int il_fanotify_open(int *notification_only);
int il_fanotify_watch(int fan, const char *path, int directory, int notification_only);
/// The file handle of `path` as notification-mode events carry it (type first); its length or -1.
int il_file_handle(const char *path, uint8_t *out, int capacity);
/// Reads pending events (non-blocking); returns how many were stored, 0 if none, -1 on error.
int il_fanotify_read(int fan, il_fan_event *out, int max);
/// Lets the held opener proceed (it sees the empty mask) and closes the event fd.
void il_fanotify_allow(int fan, int event_fd);
/// Closes a fanotify group without waiting for its release (see fanotify.c).
void il_fanotify_close_deferred(int fan);
int il_stat_identity(const char *path, uint64_t *dev, uint64_t *ino);

/// clone3 into new namespaces and run the child side of `spec`. Returns the child's pid in
/// the caller's namespace and stores a pidfd in *pidfd, or -1 with errno set.
pid_t il_spawn(const il_launch_spec *spec, int *pidfd);

/// Probe whether a user namespace can be created from here (for `doctor`).
int il_probe_userns(void);

/// Send / receive file descriptors over a unix socket (SCM_RIGHTS).
int il_send_fds(int sock, const int *fds, int count);
int il_recv_fds(int sock, int *fds, int count);

/// Self-pipe for signals: installs handlers for `signals` that write the signal number to
/// a non-blocking pipe, and returns its read end (or -1).
int il_signal_pipe(const int *signals, int count);

/// Idmapped bind of `path` (recursive) using the user namespace of `userns_fd`; returns a
/// detached mount fd or -1.
int il_open_idmapped_tree(const char *path, int userns_fd, int read_only);

/// Raw wrappers the supervisor needs and Swift's Glibc does not export.
int il_pidfd_send_signal(int pidfd, int sig);
int il_landlock_abi(void);
int il_seccomp_user_notif_available(void);
int il_open_pty(int *master, int *slave);
int il_copy_winsize(int from, int to);
int il_pipe_cloexec(int fds[2]);
/// posix_spawn with stdio on /dev/null, no other descriptors, cwd /, empty environment, own session.
pid_t il_spawn_detached(const char *path, char *const argv[]);
int il_socketpair_cloexec(int fds[2]);
int il_ignore_signal(int sig);
/// CLONE_NEW* flags of a sandbox: user, mount, pid, ipc, uts, net (cgroup is entered later).
uint64_t il_namespace_flags(void);
/// RLIMIT_* number for "nofile", "as", "nproc".
int il_rlimit_number(const char *name);

#ifdef __cplusplus
}
#endif
#endif
