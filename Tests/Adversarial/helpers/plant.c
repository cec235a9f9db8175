// Plants from inside the sandbox (issue 17): every syscall route to a setuid or setgid file,
// privileged xattrs, and a rename race against the supervisor's path check for git hooks.
// Prints `PLANT NAME blocked|PLANTED DETAIL` per attempt; `euid` prints the effective uid.
//   plant all DIR          every privilege route, in DIR (the workspace)
//   plant race DIR SECONDS a symlink flipped between DIR/x and DIR/sub/.git/hooks while
//                          another thread creates DIR/p/pre-commit through it
//   plant euid             prints "euid N"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static char dir[4096];

static const char *at(const char *name) {
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    return buf;
}

// The file must exist afterwards without a privilege bit, whatever the call answered.
static void verdict(const char *name, const char *path, long rc, int err) {
    struct stat st;
    int planted = path && lstat(path, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID));
    printf("PLANT %s %s rc=%ld errno=%s\n", name, planted ? "PLANTED" : "blocked", rc, rc < 0 ? strerrorname_np(err) : "0");
}

#define TRY(name, path, call) do { errno = 0; long rc_ = (long)(call); verdict(name, path, rc_, errno); } while (0)

static int plain(const char *name) {
    int fd = open(at(name), O_CREAT | O_WRONLY | O_TRUNC, 0755);
    if (fd >= 0) { if (write(fd, "#!/bin/sh\nid\n", 13) < 0) perror("write"); }
    return fd;
}

static void privilege_routes(void) {
    int fd = plain("f1");
    TRY("chmod-4755", at("f1"), chmod(at("f1"), 04755));
    TRY("chmod-2755", at("f1"), chmod(at("f1"), 02755));
    TRY("chmod-high-bits", at("f1"), syscall(SYS_chmod, at("f1"), 0xffffffff00000000UL | 04755));
    TRY("fchmod-6755", at("f1"), fchmod(fd, 06755));
    TRY("fchmodat-4755", at("f1"), fchmodat(AT_FDCWD, at("f1"), 04755, 0));
    TRY("fchmodat2-4755", at("f1"), syscall(452, AT_FDCWD, at("f1"), 04755, 0));
    TRY("fchmodat2-empty-path", at("f1"), syscall(452, fd, "", 04755, AT_EMPTY_PATH));
    close(fd);
    TRY("open-creat-6755", at("f2"), open(at("f2"), O_CREAT | O_WRONLY, 06755));
    TRY("openat-creat-4755", at("f3"), openat(AT_FDCWD, at("f3"), O_CREAT | O_RDWR, 04755));
    TRY("creat-4755", at("f4"), creat(at("f4"), 04755));
    TRY("mkdir-2775", at("d1"), mkdir(at("d1"), 02775));
    TRY("mkdirat-2775", at("d2"), mkdirat(AT_FDCWD, at("d2"), 02775));
    TRY("mknod-reg-4755", at("f5"), syscall(SYS_mknod, at("f5"), S_IFREG | 04755, 0));
    TRY("mknodat-reg-2755", at("f6"), mknodat(AT_FDCWD, at("f6"), S_IFREG | 02755, 0));
    TRY("mknod-char-device", NULL, mknod(at("dev"), S_IFCHR | 0666, makedev(1, 3)));
    long t = openat(AT_FDCWD, dir, O_TMPFILE | O_RDWR, 04755);
    verdict("o_tmpfile-4755", NULL, t, errno);
    if (t >= 0) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%ld", t);
        TRY("o_tmpfile-linked", at("f7"), linkat(AT_FDCWD, proc, AT_FDCWD, at("f7"), AT_SYMLINK_FOLLOW));
    }
    struct { unsigned long long flags, mode, resolve; } how = {O_CREAT | O_WRONLY, 04755, 0};
    TRY("openat2-4755", at("f8"), syscall(SYS_openat2, AT_FDCWD, at("f8"), &how, sizeof how));
    TRY("io_uring_setup", NULL, syscall(SYS_io_uring_setup, 8, calloc(1, 120)));
}

static void xattr_routes(void) {
    close(plain("x1"));
    const char cap[20] = {0, 0, 0, 2};  // VFS_CAP_REVISION_2, no capabilities: still refused
    TRY("setxattr-security.capability", NULL, setxattr(at("x1"), "security.capability", cap, sizeof cap, 0));
    TRY("lsetxattr-trusted", NULL, lsetxattr(at("x1"), "trusted.x", "1", 1, 0));
    int fd = open(at("x1"), O_RDONLY);
    TRY("fsetxattr-security.selinux", NULL, fsetxattr(fd, "security.selinux", "x", 1, 0));
    const char acl[] = {2, 0, 0, 0, 1, 0, 7, 0, 0xff, 0xff, 0xff, 0xff, 2, 0, 7, 0, 0, 0, 0, 0,
                        4, 0, 5, 0, 0xff, 0xff, 0xff, 0xff, 0x10, 0, 7, 0, 0xff, 0xff, 0xff, 0xff,
                        0x20, 0, 5, 0, 0xff, 0xff, 0xff, 0xff};
    TRY("setxattr-posix-acl", NULL, setxattr(at("x1"), "system.posix_acl_access", acl, sizeof acl, 0));
    struct { unsigned long long value; unsigned int size, flags; } args = {(unsigned long)"1", 1, 0};
    TRY("setxattrat-trusted", NULL, syscall(463, AT_FDCWD, at("x1"), 0, "trusted.y", &args, sizeof args));
    close(fd);
    // user.* stays allowed (where the filesystem has user xattrs).
    long rc = setxattr(at("x1"), "user.note", "ok", 2, 0);
    printf("PLANT setxattr-user %s rc=%ld errno=%s\n", rc == 0 || errno == ENOTSUP ? "allowed" : "REFUSED", rc,
           rc < 0 ? strerrorname_np(errno) : "0");
}

static volatile int stop;
static char hooks[8192], decoy[8192], link_a[8192], link_b[8192], flip[8192];

static void *flipper(void *unused) {
    (void)unused;
    while (!stop) {
        rename(link_a, flip);
        if (symlink(hooks, link_a) != 0 && errno != EEXIST) break;
        rename(link_b, flip);
        if (symlink(decoy, link_b) != 0 && errno != EEXIST) break;
    }
    return NULL;
}

static void race(double seconds) {
    snprintf(hooks, sizeof hooks, "%s/sub/.git/hooks", dir);
    snprintf(decoy, sizeof decoy, "%s/x", dir);
    snprintf(link_a, sizeof link_a, "%s/la", dir);
    snprintf(link_b, sizeof link_b, "%s/lb", dir);
    snprintf(flip, sizeof flip, "%s/p", dir);
    mkdir(decoy, 0755);
    if (symlink(hooks, link_a) != 0 || symlink(decoy, link_b) != 0) { perror("symlink"); return; }
    pthread_t t;
    pthread_create(&t, NULL, flipper, NULL);
    char target[8192];
    snprintf(target, sizeof target, "%s/p/pre-commit", dir);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long attempts = 0;
    do {
        int fd = open(target, O_CREAT | O_WRONLY, 0755);
        if (fd >= 0) { if (write(fd, "#!/bin/sh\ntouch /tmp/pwned\n", 27) < 0) perror("write"); close(fd); }
        attempts++;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
    stop = 1;
    pthread_join(t, NULL);
    struct stat st;
    int got = stat(at("sub/.git/hooks/pre-commit"), &st) == 0;
    printf("RACE attempts=%ld hook-in-place-during-run=%d\n", attempts, got);
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "euid") == 0) { printf("euid %d\n", (int)geteuid()); return 0; }
    if (argc < 3) { fprintf(stderr, "usage: plant all|race DIR [SECONDS]\n"); return 2; }
    snprintf(dir, sizeof dir, "%s", argv[2]);
    setvbuf(stdout, NULL, _IONBF, 0);
    umask(0);
    if (strcmp(argv[1], "all") == 0) { privilege_routes(); xattr_routes(); return 0; }
    if (strcmp(argv[1], "race") == 0) { race(argc > 3 ? atof(argv[3]) : 2.0); return 0; }
    return 2;
}
