/*
 * attack: escape attempts made from inside a sandbox by the adversarial suite (Tests/Adversarial).
 * Built by the tests with gcc into the workspace. Each attack prints exactly one line:
 *
 *   ATTACK NAME blocked DETAIL     the attempt failed (DETAIL: the errno name, or what was seen)
 *   ATTACK NAME ESCAPED DETAIL     the attempt worked: the test fails
 *
 * and exits 0 either way (the test reads the line, not the status).
 * Usage: attack NAME [ARG...]
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/netlink.h>
#include <linux/perf_event.h>
#include <linux/rtnetlink.h>
#include <linux/vm_sockets.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_RDS
#define AF_RDS 21
#endif
#ifndef AF_TIPC
#define AF_TIPC 30
#endif
#ifndef AF_XDP
#define AF_XDP 44
#endif

static const char *name;

static const char *ename(int e) {
    static char buf[32];
    switch (e) {
    case 0: return "OK";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case ENODEV: return "ENODEV";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case ENOTTY: return "ENOTTY";
    case ETXTBSY: return "ETXTBSY";
    case ENOSPC: return "ENOSPC";
    case EROFS: return "EROFS";
    case ENOSYS: return "ENOSYS";
    case ENXIO: return "ENXIO";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ENETUNREACH: return "ENETUNREACH";
    case EHOSTUNREACH: return "EHOSTUNREACH";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENODATA: return "ENODATA";
    case EAGAIN: return "EAGAIN";
    }
    snprintf(buf, sizeof buf, "E%d", e);
    return buf;
}

static int report(int escaped, const char *detail) {
    printf("ATTACK %s %s %s\n", name, escaped ? "ESCAPED" : "blocked", detail);
    return 0;
}

/* The result of one call that should fail: ESCAPED if it returned >= 0. */
static int expect_fail(long ret, const char *what) {
    char d[256];
    if (ret >= 0) {
        snprintf(d, sizeof d, "%s returned %ld", what, ret);
        return report(1, d);
    }
    return report(0, ename(errno));
}

/* Reads a file; escaped if its content contains `marker`. */
static int read_contains(const char *path, const char *marker, char *out, size_t cap) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = read(fd, out, cap - 1);
    int e = errno;
    close(fd);
    if (n < 0) return -e;
    out[n] = 0;
    return marker && strstr(out, marker) ? 1 : 0;
}

static int numeric(const char *s) {
    if (!*s) return 0;
    for (; *s; s++) if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* Every /proc/PID/{root,cwd}/REL: none may reach the host file holding MARKER. */
static int proc_links(const char *rel, const char *marker) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    char path[4096], buf[4096];
    int tried = 0;
    while (d && (e = readdir(d))) {
        if (!numeric(e->d_name)) continue;
        const char *links[] = {"root", "cwd"};
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "/proc/%s/%s%s", e->d_name, links[i], rel);
            tried++;
            if (read_contains(path, marker, buf, sizeof buf) == 1) {
                char detail[4200];
                snprintf(detail, sizeof detail, "read the host file through %s", path);
                return report(1, detail);
            }
        }
    }
    char detail[64];
    snprintf(detail, sizeof detail, "tried=%d", tried);
    return report(0, detail);
}

/* Shocker: guess the handle of the root inode of the host filesystem and open it. */
static int open_by_handle(void) {
    struct { struct file_handle h; unsigned char bytes[8]; } fh;
    int mount_fd = open("/", O_RDONLY | O_DIRECTORY);
    fh.h.handle_bytes = 8;
    fh.h.handle_type = 1; /* FILEID_INO32_GEN */
    uint32_t ino = 2, gen = 0;
    memcpy(fh.bytes, &ino, 4);
    memcpy(fh.bytes + 4, &gen, 4);
    long r = syscall(SYS_open_by_handle_at, mount_fd, &fh.h, O_RDONLY);
    return expect_fail(r, "open_by_handle_at");
}

/* Any process's memory holding SECRET (given reversed, so our own argv never holds it). */
static int mem_scan(const char *reversed) {
    size_t n = strlen(reversed);
    char *secret = malloc(n + 1);
    for (size_t i = 0; i < n; i++) secret[i] = reversed[n - 1 - i];
    secret[n] = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    int scanned = 0, self = getpid();
    while (d && (e = readdir(d))) {
        if (!numeric(e->d_name) || atoi(e->d_name) == self) continue;
        char path[256];
        snprintf(path, sizeof path, "/proc/%s/maps", e->d_name);
        FILE *maps = fopen(path, "r");
        if (!maps) continue;
        snprintf(path, sizeof path, "/proc/%s/mem", e->d_name);
        int mem = open(path, O_RDONLY);
        if (mem < 0) { fclose(maps); continue; }
        scanned++;
        char line[512];
        while (fgets(line, sizeof line, maps)) {
            unsigned long lo, hi;
            char perms[8];
            if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r') continue;
            if (hi - lo > (64ul << 20)) continue;
            char *buf = malloc(hi - lo);
            ssize_t got = pread(mem, buf, hi - lo, (off_t)lo);
            if (got > 0 && memmem(buf, (size_t)got, secret, n)) {
                char detail[300];
                snprintf(detail, sizeof detail, "secret in the memory of pid %s", e->d_name);
                free(buf);
                return report(1, detail);
            }
            free(buf);
        }
        close(mem);
        fclose(maps);
    }
    char detail[64];
    snprintf(detail, sizeof detail, "scanned=%d", scanned);
    return report(0, detail);
}

/* The sandbox's pid 1 is a fork of the supervisor: attach to it, read its memory. */
static int ptrace_init(void) {
    long r = ptrace(PTRACE_ATTACH, 1, 0, 0);
    if (r == 0) return report(1, "PTRACE_ATTACH to pid 1");
    int e1 = errno;
    r = ptrace(PTRACE_SEIZE, 1, 0, 0);
    if (r == 0) return report(1, "PTRACE_SEIZE of pid 1");
    char buf[64];
    struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
    if (syscall(SYS_process_vm_readv, 1, &local, 1, &remote, 1, 0) > 0) return report(1, "process_vm_readv of pid 1");
    int fd = open("/proc/1/mem", O_RDONLY);
    if (fd >= 0) return report(1, "opened /proc/1/mem");
    char d[64];
    snprintf(d, sizeof d, "attach=%s", ename(e1));
    return report(0, d);
}

/* Descriptors of other processes of the sandbox (pid 1 holds the supervisor's status pipe). */
static int fd_steal(void) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    int self = getpid(), opened = 0;
    char detail[512] = "";
    while (d && (e = readdir(d))) {
        if (!numeric(e->d_name) || atoi(e->d_name) == self) continue;
        char dir[64];
        snprintf(dir, sizeof dir, "/proc/%s/fd", e->d_name);
        DIR *fds = opendir(dir);
        struct dirent *f;
        while (fds && (f = readdir(fds))) {
            if (!numeric(f->d_name) || atoi(f->d_name) <= 2) continue;
            char path[128], target[256];
            snprintf(path, sizeof path, "%s/%s", dir, f->d_name);
            ssize_t n = readlink(path, target, sizeof target - 1);
            target[n > 0 ? n : 0] = 0;
            int fd = open(path, O_WRONLY | O_NONBLOCK);
            if (fd < 0) fd = open(path, O_RDONLY | O_NONBLOCK);
            if (fd >= 0) {
                opened++;
                snprintf(detail, sizeof detail, "%s -> %s", path, target);
                close(fd);
            }
        }
        if (fds) closedir(fds);
    }
    if (opened) return report(1, detail);
    return report(0, "none");
}

/* Our own descriptors beyond 0-2 at start (nothing may leak in). */
static int inherited_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int self_dir = dirfd(d);
    char leaked[512] = "";
    while ((e = readdir(d))) {
        if (!numeric(e->d_name)) continue;
        int fd = atoi(e->d_name);
        if (fd <= 2 || fd == self_dir) continue;
        char path[64], target[256];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n > 0 ? n : 0] = 0;
        snprintf(leaked + strlen(leaked), sizeof leaked - strlen(leaked), "%d->%s ", fd, target);
    }
    if (*leaked) return report(1, leaked);
    return report(0, "only 0-2");
}

static int io_uring(void) {
    unsigned char params[120];
    memset(params, 0, sizeof params);
    return expect_fail(syscall(SYS_io_uring_setup, 8, params), "io_uring_setup");
}

static int bpf_load(void) {
    struct bpf_insn prog[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    attr.insns = (uint64_t)(uintptr_t)prog;
    attr.insn_cnt = 2;
    attr.license = (uint64_t)(uintptr_t)"GPL";
    return expect_fail(syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr), "bpf(BPF_PROG_LOAD)");
}

static int userfaultfd(void) {
    long r = syscall(SYS_userfaultfd, O_CLOEXEC);
    if (r >= 0) return report(1, "userfaultfd()");
    int e = errno;
    int fd = open("/dev/userfaultfd", O_RDWR);
    if (fd >= 0) return report(1, "opened /dev/userfaultfd");
    char d[64];
    snprintf(d, sizeof d, "syscall=%s dev=%s", ename(e), ename(errno));
    return report(0, d);
}

static int perf_kernel(void) {
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.type = PERF_TYPE_HARDWARE;
    a.size = sizeof a;
    a.config = PERF_COUNT_HW_CPU_CYCLES;
    a.exclude_user = 1;
    return expect_fail(syscall(SYS_perf_event_open, &a, -1, 0, -1, 0), "perf_event_open(cpu 0, all pids)");
}

static int keyring_read(void) {
    char buf[256];
    long r = syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_USER_KEYRING, buf, sizeof buf, 0);
    return expect_fail(r, "keyctl(KEYCTL_READ, @u)");
}

static int module_load(void) {
    int fd = open("/bin/true", O_RDONLY | O_CLOEXEC);
    return expect_fail(syscall(SYS_finit_module, fd, "", 0), "finit_module");
}

static int kexec(void) {
    return expect_fail(syscall(SYS_kexec_load, 0, 0, 0, 0), "kexec_load");
}

static int ioperm_port(void) {
    return expect_fail(syscall(SYS_ioperm, 0x70, 2, 1), "ioperm(CMOS)");
}

static int chroot_escape(void) {
    mkdir("jail", 0755);
    long r = chroot("jail");
    if (r == 0) {
        for (int i = 0; i < 64; i++) if (chdir("..") != 0) break;
        chroot(".");
        return report(1, "chroot succeeded");
    }
    return report(0, ename(errno));
}

static int mknod_disk(void) {
    unlink("disk");
    long r = mknod("disk", S_IFBLK | 0600, makedev(253, 0));
    if (r == 0) {
        int fd = open("disk", O_RDONLY);
        if (fd >= 0) return report(1, "opened a block device made with mknod");
        unlink("disk");
        return report(0, "mknod ok but nodev");
    }
    return report(0, ename(errno));
}

static int setns_all(void) {
    DIR *d = opendir("/proc");
    struct dirent *e;
    int tried = 0;
    while (d && (e = readdir(d))) {
        if (!numeric(e->d_name)) continue;
        const char *kinds[] = {"user", "mnt", "net", "pid", "ipc", "uts", "cgroup", "time"};
        for (unsigned i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            char path[128];
            snprintf(path, sizeof path, "/proc/%s/ns/%s", e->d_name, kinds[i]);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0) continue;
            tried++;
            if (syscall(SYS_setns, fd, 0) == 0) {
                char detail[160];
                snprintf(detail, sizeof detail, "setns(%s)", path);
                return report(1, detail);
            }
            close(fd);
        }
    }
    char detail[64];
    snprintf(detail, sizeof detail, "tried=%d last=%s", tried, ename(errno));
    return report(0, detail);
}

/* TIOCSTI with junk in the upper 32 bits of the request: the kernel truncates `cmd` to
 * unsigned int, so a filter comparing all 64 bits would miss it. */
static int tiocsti_high_bits(void) {
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0) fd = 0;
    char c = '#';
    unsigned long req = 0xdead000000000000ul | TIOCSTI;
    long r = syscall(SYS_ioctl, fd, req, &c);
    return expect_fail(r, "ioctl(TIOCSTI | high bits)");
}

static int tioccons(void) {
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0) fd = 0;
    return expect_fail(ioctl(fd, TIOCCONS), "ioctl(TIOCCONS)");
}

/* Whatever terminal is reachable, besides our own /dev/tty: the supervisor's or the user's. */
static int foreign_tty(void) {
    const char *paths[] = {"/dev/console", "/dev/tty0", "/dev/tty1", "/dev/ttyS0", "/dev/pts/1", "/dev/pts/2", "/dev/pts/3"};
    for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        int fd = open(paths[i], O_WRONLY | O_NOCTTY | O_NONBLOCK);
        if (fd >= 0) {
            char detail[128];
            snprintf(detail, sizeof detail, "opened %s", paths[i]);
            return report(1, detail);
        }
    }
    return report(0, ename(errno));
}

/* kill(-1, SIGKILL) from a child: everything it can reach dies; we report from the parent
 * only if we survive (we would not if the signal reached us; the test checks the host). */
static int kill_everything(void) {
    pid_t child = fork();
    if (child == 0) {
        signal(SIGKILL, SIG_DFL);
        kill(-1, SIGKILL);
        _exit(0);
    }
    int st;
    waitpid(child, &st, 0);
    return report(0, "sent");
}

static int vsock_host(void) {
    int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return report(0, ename(errno));
    struct sockaddr_vm a;
    memset(&a, 0, sizeof a);
    a.svm_family = AF_VSOCK;
    a.svm_cid = VMADDR_CID_HOST;
    a.svm_port = 22;
    return expect_fail(connect(s, (struct sockaddr *)&a, sizeof a), "vsock connect to the hypervisor");
}

/* Exotic families that have carried kernel bugs: none may open. */
static int exotic_socket(const char *which) {
    int fam = strcmp(which, "alg") == 0 ? AF_ALG : strcmp(which, "rds") == 0 ? AF_RDS
            : strcmp(which, "tipc") == 0 ? AF_TIPC : strcmp(which, "xdp") == 0 ? AF_XDP : -1;
    int type = fam == AF_ALG ? SOCK_SEQPACKET : fam == AF_RDS ? SOCK_SEQPACKET : fam == AF_TIPC ? SOCK_RDM : SOCK_RAW;
    return expect_fail(socket(fam, type | SOCK_CLOEXEC, 0), which);
}

/* Adds a default route through netlink (RTM_NEWROUTE): the sandbox's network is not its own to
 * change. */
static int netlink_route_add(void) {
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0) return report(0, ename(errno));
    struct { struct nlmsghdr n; struct rtmsg r; char attrs[64]; } req;
    memset(&req, 0, sizeof req);
    req.n.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    req.n.nlmsg_type = RTM_NEWROUTE;
    req.n.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_ACK;
    req.r.rtm_family = AF_INET;
    req.r.rtm_table = RT_TABLE_MAIN;
    req.r.rtm_protocol = RTPROT_STATIC;
    req.r.rtm_scope = RT_SCOPE_LINK;
    req.r.rtm_type = RTN_UNICAST;
    struct rtattr *oif = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.n.nlmsg_len));
    oif->rta_type = RTA_OIF;
    oif->rta_len = RTA_LENGTH(sizeof(int));
    int lo = (int)if_nametoindex("lo");
    memcpy(RTA_DATA(oif), &lo, sizeof lo);
    req.n.nlmsg_len = NLMSG_ALIGN(req.n.nlmsg_len) + RTA_ALIGN(oif->rta_len);
    if (send(s, &req, req.n.nlmsg_len, 0) < 0) return report(0, ename(errno));
    char buf[4096];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n < 0) return report(0, ename(errno));
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *err = NLMSG_DATA(h);
        if (err->error == 0) return report(1, "RTM_NEWROUTE acknowledged");
        return report(0, ename(-err->error));
    }
    return report(0, "no ack");
}

/* Writes to /tmp until it fails or LIMIT MiB are written; prints how much got in. */
static int fill_tmp(const char *dir, long limit_mib) {
    char path[512];
    snprintf(path, sizeof path, "%s/fill", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return report(0, ename(errno));
    static char block[1 << 20];
    memset(block, 'x', sizeof block);
    long written = 0;
    int e = 0;
    while (written < limit_mib) {
        ssize_t n = write(fd, block, sizeof block);
        if (n < (ssize_t)sizeof block) { e = n < 0 ? errno : ENOSPC; break; }
        written++;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "mib=%ld err=%s", written, ename(e));
    return report(written >= limit_mib, detail);
}

/* Opens descriptors until refused; reports how many. */
static int fd_exhaust(long limit) {
    long count = 0;
    int e = 0;
    while (count < limit) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) { e = errno; break; }
        count++;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "fds=%ld err=%s", count, ename(e));
    return report(count >= limit, detail);
}

/* Touches memory until it is refused or killed; reports how much got in. */
static int memory_hog(long limit_mib) {
    long got = 0;
    while (got < limit_mib) {
        char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) break;
        memset(p, 1, 1 << 20);
        got++;
        if (got % 64 == 0) { printf("progress %ld\n", got); fflush(stdout); }
    }
    char detail[64];
    snprintf(detail, sizeof detail, "mib=%ld", got);
    return report(got >= limit_mib, detail);
}

/* Forks until refused (children sleep); reports how many processes it made. */
static int fork_bomb(long limit) {
    long made = 0;
    int e = 0;
    while (made < limit) {
        pid_t p = fork();
        if (p < 0) { e = errno; break; }
        if (p == 0) { pause(); _exit(0); }
        made++;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "forks=%ld err=%s", made, ename(e));
    report(made >= limit, detail);
    fflush(stdout);
    kill(0, SIGKILL);
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc < 2) { fprintf(stderr, "usage: attack NAME [ARG...]\n"); return 2; }
    name = argv[1];
    const char *a2 = argc > 2 ? argv[2] : "", *a3 = argc > 3 ? argv[3] : NULL;
    if (!strcmp(name, "proc-links")) return proc_links(a2, a3);
    if (!strcmp(name, "open-by-handle")) return open_by_handle();
    if (!strcmp(name, "mem-scan")) return mem_scan(a2);
    if (!strcmp(name, "ptrace-init")) return ptrace_init();
    if (!strcmp(name, "fd-steal")) return fd_steal();
    if (!strcmp(name, "inherited-fds")) return inherited_fds();
    if (!strcmp(name, "io-uring")) return io_uring();
    if (!strcmp(name, "bpf-load")) return bpf_load();
    if (!strcmp(name, "userfaultfd")) return userfaultfd();
    if (!strcmp(name, "perf-kernel")) return perf_kernel();
    if (!strcmp(name, "keyring-read")) return keyring_read();
    if (!strcmp(name, "module-load")) return module_load();
    if (!strcmp(name, "kexec")) return kexec();
    if (!strcmp(name, "ioperm")) return ioperm_port();
    if (!strcmp(name, "chroot-escape")) return chroot_escape();
    if (!strcmp(name, "mknod-disk")) return mknod_disk();
    if (!strcmp(name, "setns-all")) return setns_all();
    if (!strcmp(name, "tiocsti-high-bits")) return tiocsti_high_bits();
    if (!strcmp(name, "tioccons")) return tioccons();
    if (!strcmp(name, "foreign-tty")) return foreign_tty();
    if (!strcmp(name, "kill-everything")) return kill_everything();
    if (!strcmp(name, "vsock-host")) return vsock_host();
    if (!strcmp(name, "exotic-socket")) return exotic_socket(a2);
    if (!strcmp(name, "netlink-route-add")) return netlink_route_add();
    if (!strcmp(name, "fill-tmp")) return fill_tmp(a2, a3 ? atol(a3) : 1024);
    if (!strcmp(name, "fd-exhaust")) return fd_exhaust(atol(a2));
    if (!strcmp(name, "memory-hog")) return memory_hog(atol(a2));
    if (!strcmp(name, "fork-bomb")) return fork_bomb(atol(a2));
    fprintf(stderr, "attack: unknown attack %s\n", name);
    return 2;
}
