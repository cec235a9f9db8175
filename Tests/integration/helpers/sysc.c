/*
 * sysc: makes raw system calls for the seccomp integration tests (test_seccomp.py,
 * test_audit_replay.py). Built by the tests with gcc into a temporary directory.
 *
 *   sysc call LABEL NR [ARG...]   one syscall(NR, ARG...); prints "LABEL ret=R errno=E"
 *   sysc burst COUNT NR [ARG...]  COUNT identical calls; prints "calls=C eperm=P other=O last=E"
 *   sysc x32 NR                   the x32 ABI's syscall NR (NR | 0x40000000); prints if it survives
 *   sysc int80 NR                 32-bit syscall NR through int $0x80; prints if it survives
 *
 * ARG: a number (strtoull base 0, a leading '-' allowed), "s:TEXT" (pointer to the string TEXT),
 * "b:N" (pointer to N zeroed bytes), "i:N" (pointer to an int holding N).
 * A call that creates a process (clone, clone3, fork) and returns 0 in the child exits the child
 * at once; the parent reaps it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long parse_arg(const char *s) {
    if (strncmp(s, "s:", 2) == 0) return (long)(s + 2);
    if (strncmp(s, "b:", 2) == 0) {
        size_t n = strtoull(s + 2, NULL, 0);
        return (long)calloc(1, n ? n : 1);
    }
    if (strncmp(s, "i:", 2) == 0) {
        int *p = calloc(1, 64);
        *p = (int)strtol(s + 2, NULL, 0);
        return (long)p;
    }
    if (s[0] == '-') return -(long)strtoull(s + 1, NULL, 0);
    return (long)strtoull(s, NULL, 0);
}

static void parse_args(int argc, char **argv, long a[6]) {
    memset(a, 0, 6 * sizeof(long));
    for (int i = 0; i < argc && i < 6; i++) a[i] = parse_arg(argv[i]);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc >= 4 && strcmp(argv[1], "call") == 0) {
        long nr = strtol(argv[3], NULL, 0), a[6];
        parse_args(argc - 4, argv + 4, a);
        errno = 0;
        long ret = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        int e = ret == -1 ? errno : 0;
        if (ret == 0 && (nr == SYS_clone || nr == 435 /* clone3 */ || nr == SYS_fork || nr == SYS_vfork)) {
            /* A new process came out of the call: the child leaves at once (raw exit: no stdio). */
            syscall(SYS_exit, 0);
        }
        if (ret > 0 && (nr == SYS_clone || nr == 435 || nr == SYS_fork || nr == SYS_vfork)) {
            int st;
            waitpid((pid_t)ret, &st, __WALL);
        }
        printf("%s ret=%ld errno=%d\n", argv[2], ret, e);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "burst") == 0) {
        long count = strtol(argv[2], NULL, 0), nr = strtol(argv[3], NULL, 0), a[6];
        parse_args(argc - 4, argv + 4, a);
        long eperm = 0, other = 0;
        int last = 0;
        for (long i = 0; i < count; i++) {
            errno = 0;
            long ret = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
            if (ret == -1 && errno == EPERM) eperm++; else other++;
            last = ret == -1 ? errno : 0;
        }
        printf("calls=%ld eperm=%ld other=%ld last=%d\n", count, eperm, other, last);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "x32") == 0) {
        long nr = strtol(argv[2], NULL, 0) | 0x40000000L;
        printf("x32 calling %ld\n", nr);
        long ret;
        __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
        printf("x32 survived ret=%ld\n", ret);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "int80") == 0) {
        long nr = strtol(argv[2], NULL, 0);
        printf("int80 calling %ld\n", nr);
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory");
        printf("int80 survived ret=%ld\n", ret);
        return 0;
    }
    fprintf(stderr, "usage: sysc call LABEL NR [ARG...] | burst COUNT NR [ARG...] | x32 NR | int80 NR\n");
    return 2;
}
