// The mount plan, with the new mount API so that every path is opened without following
// symlinks (RESOLVE_NO_SYMLINKS) and every mount is attached to an fd, never to a path
// that could be swapped between check and use.
//
// Shape: a private tmpfs becomes the temporary root; the host root is visible below it at
// /oldroot; the sandbox's root is assembled at /newroot (a read-only, nosuid, nodev clone of
// the host tree plus the plan's mounts, /proc and /dev), and finally becomes "/".
#define _GNU_SOURCE
#include "mount.h"
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PATH_CAP 4096
#define IL_MASK_CHILDREN_MAX 512
#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif

static int sys_open_tree(int dfd, const char *path, unsigned flags) {
    return (int)syscall(SYS_open_tree, dfd, path, flags);
}
static int sys_move_mount(int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags) {
    return (int)syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}
static int sys_mount_setattr(int dfd, const char *path, unsigned flags, uint64_t set, uint64_t clr) {
    struct mount_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.attr_set = set;
    attr.attr_clr = clr;
    return (int)syscall(SYS_mount_setattr, dfd, path, flags, &attr, sizeof attr);
}
static int sys_fsopen(const char *fs) { return (int)syscall(SYS_fsopen, fs, FSOPEN_CLOEXEC); }
static int sys_fsconfig(int fd, unsigned cmd, const char *key, const char *value) {
    return (int)syscall(SYS_fsconfig, fd, cmd, key, value, 0);
}
static int sys_fsmount(int fd, unsigned attrs) {
    return (int)syscall(SYS_fsmount, fd, FSMOUNT_CLOEXEC, attrs);
}
static int sys_mount(const char *src, const char *dst, const char *type, unsigned long flags, const void *data) {
    return (int)syscall(SYS_mount, src, dst, type, flags, data);
}
static int sys_umount2(const char *path, int flags) { return (int)syscall(SYS_umount2, path, flags); }
static int sys_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}

/// Open an absolute path without following any symlink in any component.
static int open_nofollow(const char *path, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

/// mkdir -p of every missing component below an existing ancestor. Only succeeds where
/// the ancestor is writable, i.e. inside a tmpfs the plan created: the host tree is read-only.
static int make_dirs(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        int r = mkdir(path, 0755);
        *p = '/';
        if (r < 0 && errno != EEXIST) return -1;
    }
    if (mkdir(path, 0755) < 0 && errno != EEXIST) return -1;
    return 0;
}

/// The fd of a mount target, creating it (a directory, or an empty file) if missing.
static int open_target(const il_launch_spec *s, const char *target, int want_dir) {
    char path[PATH_CAP];
    if (il_join(path, sizeof path, "/newroot", target) < 0) il_child_fail(s, "path too long: ", target);
    int fd = open_nofollow(path, O_PATH);
    if (fd >= 0) return fd;
    if (errno != ENOENT) il_child_fail(s, "open mount target ", target);
    if (want_dir) {
        if (make_dirs(path) < 0) il_child_fail(s, "create mount point ", target);
    } else {
        char *slash = strrchr(path, '/');
        if (slash && slash != path) {
            *slash = 0;
            if (make_dirs(path) < 0) il_child_fail(s, "create mount point ", target);
            *slash = '/';
        }
        int f = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (f < 0 && errno != EEXIST) il_child_fail(s, "create mount point ", target);
        if (f >= 0) close(f);
    }
    fd = open_nofollow(path, O_PATH);
    if (fd < 0) il_child_fail(s, "open mount target ", target);
    return fd;
}

static void attach(const il_launch_spec *s, int mount_fd, const char *target, int want_dir) {
    int tfd = open_target(s, target, want_dir);
    if (sys_move_mount(mount_fd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        il_child_fail(s, "attach mount at ", target);
    close(tfd);
    close(mount_fd);
}

/// A recursive clone of a host path (seen at /oldroot) with attributes set.
static int clone_tree(const il_launch_spec *s, const char *prefix, const char *source, uint64_t set, int recursive) {
    char path[PATH_CAP];
    if (il_join(path, sizeof path, prefix, source) < 0) il_child_fail(s, "path too long: ", source);
    int sfd = open_nofollow(path, O_PATH);
    if (sfd < 0) il_child_fail(s, "open mount source ", source);
    unsigned rec = recursive ? AT_RECURSIVE : 0;
    int tree = sys_open_tree(sfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
    close(sfd);
    if (tree < 0) il_child_fail(s, "clone mount ", source);
    if (set && sys_mount_setattr(tree, "", AT_EMPTY_PATH | rec, set, 0) < 0)
        il_child_fail(s, "set mount attributes on ", source);
    return tree;
}

static int new_fs(const il_launch_spec *s, const char *type, const char *const *options, uint64_t attrs) {
    int fs = sys_fsopen(type);
    if (fs < 0) il_child_fail(s, "fsopen ", type);
    for (int i = 0; options && options[i]; i += 2) {
        unsigned cmd = options[i + 1] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG;
        if (sys_fsconfig(fs, cmd, options[i], options[i + 1]) < 0) il_child_fail(s, "fsconfig ", options[i]);
    }
    if (sys_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL) < 0) il_child_fail(s, "create filesystem ", type);
    int m = sys_fsmount(fs, (unsigned)attrs);
    close(fs);
    if (m < 0) il_child_fail(s, "fsmount ", type);
    return m;
}

static int is_dir(const char *prefix, const char *path) {
    char full[PATH_CAP];
    struct stat st;
    if (il_join(full, sizeof full, prefix, path) < 0) return 0;
    int fd = open_nofollow(full, O_PATH);
    if (fd < 0) return 0;
    int r = fstat(fd, &st);
    close(fd);
    return r == 0 && S_ISDIR(st.st_mode);
}

static void mount_proc(const il_launch_spec *s) {
    int m = new_fs(s, "proc", NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
    attach(s, m, "/proc", 1);
    // As Docker does: kernel knobs read-only, kernel memory and key views masked.
    static const char *const read_only[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", 0};
    for (int i = 0; read_only[i]; i++) {
        char p[PATH_CAP];
        il_join(p, sizeof p, "/newroot", read_only[i]);
        if (access(p, F_OK) != 0) continue;
        int dir = is_dir("/newroot", read_only[i]);
        int t = clone_tree(s, "/newroot", read_only[i], MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 1);
        attach(s, t, read_only[i], dir);
    }
    static const char *const masked[] = {"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", 0};
    for (int i = 0; masked[i]; i++) {
        char p[PATH_CAP];
        il_join(p, sizeof p, "/newroot", masked[i]);
        if (access(p, F_OK) != 0) continue;
        int t = clone_tree(s, "", "/.interlock-empty-file", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0);
        attach(s, t, masked[i], 0);
    }
}

/// Options of a private tmpfs: mode 1777, and a size cap when the spec has one. `digits` holds
/// the size's decimal text (formatted by hand: async-signal-safe).
static void tmpfs_options(const il_launch_spec *s, const char *opts[5], char digits[24]) {
    opts[0] = "mode"; opts[1] = "1777"; opts[2] = 0; opts[3] = 0; opts[4] = 0;
    if (!s->tmpfs_size) return;
    char rev[24];
    int n = 0;
    for (uint64_t v = s->tmpfs_size; v && n < 23; v /= 10) rev[n++] = (char)('0' + v % 10);
    for (int i = 0; i < n; i++) digits[i] = rev[n - 1 - i];
    digits[n] = 0;
    opts[2] = "size"; opts[3] = digits;
}

static void mount_dev(const il_launch_spec *s) {
    static const char *const dev_opts[] = {"mode", "0755", "size", "64k", 0};
    int m = new_fs(s, "tmpfs", dev_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
    attach(s, m, "/dev", 1);
    static const char *const nodes[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", 0};
    for (int i = 0; nodes[i]; i++) {
        int t = clone_tree(s, "/oldroot", nodes[i], MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, 0);
        attach(s, t, nodes[i], 0);
    }
    static const char *const pts_opts[] = {"newinstance", 0, "ptmxmode", "0666", "mode", "0620", 0};
    attach(s, new_fs(s, "devpts", pts_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC), "/dev/pts", 1);
    const char *shm_opts[5];
    char shm_size[24];
    tmpfs_options(s, shm_opts, shm_size);
    attach(s, new_fs(s, "tmpfs", shm_opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC), "/dev/shm", 1);
    static const char *const links[][2] = {
        {"pts/ptmx", "/newroot/dev/ptmx"}, {"/proc/self/fd", "/newroot/dev/fd"},
        {"/proc/self/fd/0", "/newroot/dev/stdin"}, {"/proc/self/fd/1", "/newroot/dev/stdout"},
        {"/proc/self/fd/2", "/newroot/dev/stderr"},
    };
    for (unsigned i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlink(links[i][0], links[i][1]) < 0) il_child_fail(s, "symlink ", links[i][1]);
}

/// Each mask gets an inode of its own ("/.interlock-hidden-N"), so that the supervisor can
/// watch opens of each hidden path separately (fanotify inode marks).
static void mask_source(char *out, int cap, int index, int dir) {
    char digits[16];
    int n = 0;
    unsigned v = (unsigned)index;
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v && n < 15);
    char number[16];
    for (int i = 0; i < n; i++) number[i] = digits[n - 1 - i];
    number[n] = 0;
    il_join(out, cap, "/.interlock-hidden-", number);
    (void)dir;
}

/// A hidden directory's mirrored entries ("d:sub\nf:sub/file", parents first), created empty
/// inside its mask `dir`; directories made read-only afterwards, deepest first.
static void make_mask_children(const il_launch_spec *s, const char *dir, const char *list) {
    // Entries in list order (breadth first: parents before children); directories stay
    // writable until all exist, then are sealed deepest first.
    char path[PATH_CAP];
    const char *dirs[IL_MASK_CHILDREN_MAX];
    size_t lens[IL_MASK_CHILDREN_MAX];
    int ndirs = 0;
    size_t base = strlen(dir);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 2 && base + len < sizeof path) {
            memcpy(path, dir, base);
            path[base] = '/';
            memcpy(path + base + 1, p + 2, len - 2);
            path[base + len - 1] = 0;
            if (p[0] == 'd') {
                if (mkdir(path, 0755) < 0 && errno != EEXIST) il_child_fail(s, "create a mask", "");
                if (ndirs < IL_MASK_CHILDREN_MAX) { dirs[ndirs] = p + 2; lens[ndirs] = len - 2; ndirs++; }
            } else {
                int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0444);
                if (f < 0) il_child_fail(s, "create a mask", "");
                close(f);
            }
        }
        if (!end) break;
        p = end + 1;
    }
    for (int i = ndirs - 1; i >= 0; i--) {
        memcpy(path, dir, base);
        path[base] = '/';
        memcpy(path + base + 1, dirs[i], lens[i]);
        path[base + 1 + lens[i]] = 0;
        if (chmod(path, 0555) < 0) il_child_fail(s, "seal a mask", "");
    }
}

static int make_mask(const il_launch_spec *s, int index, int dir, const char *children) {
    char path[64];
    mask_source(path, sizeof path, index, dir);
    if (dir) {
        if (mkdir(path, 0755) < 0 && errno != EEXIST) il_child_fail(s, "create a mask", "");
        if (children) make_mask_children(s, path, children);
        if (chmod(path, 0555) < 0) il_child_fail(s, "seal a mask", "");
    } else {
        int f = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
        if (f < 0) il_child_fail(s, "create a mask", "");
        close(f);
    }
    return clone_tree(s, "", path, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, 0);
}

static void apply_op(const il_launch_spec *s, const il_mount_op *op, const int *received, int index) {
    const uint64_t ro = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    const uint64_t rw = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
    switch (op->kind) {
    case IL_MOUNT_BIND_RO:
    case IL_MOUNT_BIND_RW: {
        int dir = is_dir("/oldroot", op->source);
        int t = clone_tree(s, "/oldroot", op->source, op->kind == IL_MOUNT_BIND_RO ? ro : rw, 1);
        attach(s, t, op->target, dir);
        break;
    }
    case IL_MOUNT_FD_RW:
    case IL_MOUNT_FD_RO: {
        // Prepared by the supervisor (idmapped, attributes already set).
        if (op->fd_index < 0 || op->fd_index >= s->received_fd_count) il_child_fail(s, "bad mount fd for ", op->target);
        int t = received[op->fd_index];
        // attach() closes the fd it is given: hand it a duplicate, the caller closes the original.
        int dup_fd = fcntl(t, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0) il_child_fail(s, "dup mount fd for ", op->target);
        attach(s, dup_fd, op->target, 1);
        break;
    }
    case IL_MOUNT_TMPFS: {
        const char *opts[5];
        char size[24];
        tmpfs_options(s, opts, size);
        attach(s, new_fs(s, "tmpfs", opts, rw), op->target, 1);
        break;
    }
    case IL_MOUNT_HIDE_FILE:
    case IL_MOUNT_HIDE_DIR: {
        // Gone since the supervisor looked (a host socket unbound meanwhile): nothing to hide.
        char path[PATH_CAP];
        if (il_join(path, sizeof path, "/newroot", op->target) < 0) il_child_fail(s, "path too long: ", op->target);
        int probe = open_nofollow(path, O_PATH);
        if (probe < 0 && errno == ENOENT) break;
        if (probe >= 0) close(probe);
        attach(s, make_mask(s, index, op->kind == IL_MOUNT_HIDE_DIR, op->kind == IL_MOUNT_HIDE_DIR ? op->source : NULL),
               op->target, op->kind == IL_MOUNT_HIDE_DIR);
        break;
    }
    case IL_MOUNT_FILE: {
        // Generated content (resolv.conf pointing at the sandbox's resolver), read-only.
        char path[64];
        mask_source(path, sizeof path, index, 0);
        int f = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0444);
        if (f < 0) il_child_fail(s, "create a generated file for ", op->target);
        size_t len = op->source ? strlen(op->source) : 0;
        if (len && write(f, op->source, len) != (ssize_t)len) il_child_fail(s, "write a generated file for ", op->target);
        close(f);
        attach(s, clone_tree(s, "", path, ro | MOUNT_ATTR_NOEXEC, 0), op->target, 0);
        break;
    }
    default:
        il_child_fail(s, "unknown mount kind for ", op->target);
    }
}

void il_child_mounts(const il_launch_spec *s, const int *received) {
    // Nothing we do may propagate back to the host's mount table.
    if (sys_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) il_child_fail(s, "make / private", "");
    if (sys_mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1m") < 0)
        il_child_fail(s, "mount the staging tmpfs", "");
    if (chdir("/tmp") < 0 || mkdir("newroot", 0755) < 0 || mkdir("oldroot", 0755) < 0)
        il_child_fail(s, "prepare the staging root", "");
    int f = open(".interlock-empty-file", O_CREAT | O_WRONLY | O_CLOEXEC, 0444);
    if (f < 0) il_child_fail(s, "prepare the staging root", "");
    close(f);
    if (sys_pivot_root("/tmp", "/tmp/oldroot") < 0) il_child_fail(s, "pivot_root into the staging root", "");
    if (chdir("/") < 0) il_child_fail(s, "chdir /", "");

    // The host tree, read-only, nosuid, nodev, as the sandbox's base.
    int root = clone_tree(s, "", "/oldroot", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, 1);
    if (sys_move_mount(root, "", AT_FDCWD, "/newroot", MOVE_MOUNT_F_EMPTY_PATH) < 0)
        il_child_fail(s, "attach the read-only root", "");
    close(root);

    for (int i = 0; i < s->mount_count; i++) apply_op(s, &s->mounts[i], received, i);
    mount_proc(s);
    mount_dev(s);

    // The assembled tree becomes "/", and the staging root (with the host tree) goes away.
    if (chdir("/newroot") < 0) il_child_fail(s, "chdir /newroot", "");
    if (sys_pivot_root(".", ".") < 0) il_child_fail(s, "pivot_root into the sandbox root", "");
    if (sys_umount2(".", MNT_DETACH) < 0) il_child_fail(s, "detach the staging root", "");
    if (chdir("/") < 0) il_child_fail(s, "chdir /", "");
    if (s->cwd && chdir(s->cwd) < 0) il_child_fail(s, "chdir ", s->cwd);

    // The view is final: the supervisor watches the masks (and finishes placing us in our
    // cgroups) before anything runs in it.
    {
        char byte = 'M';
        if (send(s->sync_fd, &byte, 1, MSG_NOSIGNAL) != 1) il_child_fail(s, "report the mounts", "");
        if (il_recv_fds(s->sync_fd, NULL, 0) < 0) il_child_fail(s, "wait for the supervisor", "");
    }
}

int il_child_open_pty(const il_launch_spec *s) {
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) il_child_fail(s, "open /dev/ptmx", "");
    int unlock = 0;
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0) il_child_fail(s, "unlock the terminal", "");
    int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) il_child_fail(s, "open the terminal", "");
    if (il_send_fds(s->sync_fd, &master, 1) < 0) il_child_fail(s, "hand the terminal to the supervisor", "");
    close(master);
    return slave;
}
