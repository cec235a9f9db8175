// Times cheap system calls: N getppid() calls and M openat+close pairs on a cached file, with
// clock_gettime(CLOCK_MONOTONIC) (vDSO, not itself a syscall). Prints ns per call: the median
// over 25 equal batches, so that a batch interrupted by other work on a shared machine does not
// move the figure (the overall mean is printed too).
//
//   syscall-bench [--filter none|allow-all] [--getppid N] [--open M] [--file PATH]
//
// --filter allow-all installs a libseccomp filter with no rules (default action ALLOW) before
// timing: the fixed cost the kernel charges for any filter, which is the floor for any sandbox.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define BATCHES 25

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv) {
    long n_getppid = 5000000, n_open = 500000;
    const char *file = "/etc/hostname", *filter = "none";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
        else if (!strcmp(argv[i], "--getppid") && i + 1 < argc) n_getppid = atol(argv[++i]);
        else if (!strcmp(argv[i], "--open") && i + 1 < argc) n_open = atol(argv[++i]);
        else if (!strcmp(argv[i], "--file") && i + 1 < argc) file = argv[++i];
        else { fprintf(stderr, "usage: %s [--filter none|allow-all] [--getppid N] [--open M] [--file PATH]\n", argv[0]); return 2; }
    }
    if (!strcmp(filter, "allow-all")) {
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        if (!ctx) { fprintf(stderr, "seccomp_init failed\n"); return 1; }
        int rc = seccomp_load(ctx);
        if (rc) { fprintf(stderr, "seccomp_load: %s\n", strerror(-rc)); return 1; }
        seccomp_release(ctx);
    } else if (strcmp(filter, "none")) {
        fprintf(stderr, "unknown filter '%s'\n", filter); return 2;
    }
    // Warm up: page in the code, fill the dentry cache, let the CPU clock settle.
    for (long i = 0; i < 200000; i++) (void)syscall(SYS_getppid);
    for (long i = 0; i < 20000; i++) {
        int fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { fprintf(stderr, "open %s: %s\n", file, strerror(errno)); return 1; }
        close(fd);
    }
    double g[BATCHES], o[BATCHES], gsum = 0, osum = 0;
    long gb = n_getppid / BATCHES, ob = n_open / BATCHES;
    if (gb < 1 || ob < 1) { fprintf(stderr, "need at least %d calls of each kind\n", BATCHES); return 2; }
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        for (long i = 0; i < gb; i++) (void)syscall(SYS_getppid);
        double t1 = now_ns();
        g[b] = (t1 - t0) / gb;
        gsum += t1 - t0;
    }
    for (int b = 0; b < BATCHES; b++) {
        double t0 = now_ns();
        for (long i = 0; i < ob; i++) {
            int fd = openat(AT_FDCWD, file, O_RDONLY | O_CLOEXEC);
            if (fd < 0) { fprintf(stderr, "openat %s: %s\n", file, strerror(errno)); return 1; }
            close(fd);
        }
        double t1 = now_ns();
        o[b] = (t1 - t0) / ob;
        osum += t1 - t0;
    }
    printf("{\"filter\": \"%s\", \"getppid_ns\": %.2f, \"openat_close_ns\": %.2f, "
           "\"getppid_mean_ns\": %.2f, \"openat_close_mean_ns\": %.2f}\n", filter,
           median(g, BATCHES), median(o, BATCHES), gsum / (gb * BATCHES), osum / (ob * BATCHES));
    return 0;
}
