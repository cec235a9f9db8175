// Writes a classic-BPF seccomp program (struct sock_filter[], as bwrap --seccomp FD expects)
// built with libseccomp: default action ALLOW, and every syscall named on the command line
// (or read one per line from stdin with "-") fails with EPERM. Unknown names are an error.
//
//   seccomp-gen OUT.bpf [NAME... | -]
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int add(scmp_filter_ctx ctx, const char *name, int *count) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) { fprintf(stderr, "seccomp-gen: unknown syscall '%s'\n", name); return -1; }
    int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
    if (rc) { fprintf(stderr, "seccomp-gen: rule for '%s': %s\n", name, strerror(-rc)); return -1; }
    (*count)++;
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s OUT.bpf [NAME... | -]\n", argv[0]); return 2; }
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx) { fprintf(stderr, "seccomp_init failed\n"); return 1; }
    // Same shape as Interlock's filter: other architectures kill, binary-tree dispatch.
    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    int count = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-")) {
            char line[128];
            while (fgets(line, sizeof line, stdin)) {
                line[strcspn(line, " \t\r\n#")] = 0;
                if (*line && add(ctx, line, &count)) return 1;
            }
        } else if (add(ctx, argv[i], &count)) return 1;
    }
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { perror(argv[1]); return 1; }
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc) { fprintf(stderr, "seccomp_export_bpf: %s\n", strerror(-rc)); return 1; }
    off_t size = lseek(fd, 0, SEEK_END);
    close(fd);
    seccomp_release(ctx);
    fprintf(stderr, "seccomp-gen: %d rules, %ld BPF instructions -> %s\n", count, (long)size / 8, argv[1]);
    return 0;
}
