// The sandbox's pid 1. It forks the worker (which execs the command), forwards the
// signals the supervisor relays, reaps every orphan, reports the worker's stops and exit on
// status_fd, and exits when the worker exits: the kernel then kills whatever is left in
// the pid namespace.
#define _GNU_SOURCE
#include "init.h"
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t worker_pid;

static void forward(int sig) {
    pid_t w = worker_pid;
    if (w <= 0) return;
    kill(w, sig);
    // A stopped pipeline resumes as a whole.
    if (sig == SIGCONT) kill(-w, SIGCONT);
}

static void close_all_but(int keep) {
    if (keep > 3) syscall(SYS_close_range, 3, keep - 1, 0);
    syscall(SYS_close_range, keep < 3 ? 3 : keep + 1, ~0U, 0);
}

__attribute__((noreturn)) static void worker(const il_launch_spec *s, int pty_slave) {
    // The worker leads its own process group in init's session: not orphaned (its parent is
    // in the same session), so the terminal's ^Z stops it as it would outside.
    if (setpgid(0, 0) < 0) il_child_fail(s, "setpgid", "");
    if (pty_slave >= 0) {
        sigset_t ttou, old;
        sigemptyset(&ttou);
        sigaddset(&ttou, SIGTTOU);
        sigprocmask(SIG_BLOCK, &ttou, &old);
        if (tcsetpgrp(pty_slave, getpid()) < 0) il_child_fail(s, "take the terminal's foreground", "");
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    // Move the stdio sources out of the way of 0..2 before placing them.
    int src[3];
    for (int i = 0; i < 3; i++) {
        src[i] = fcntl(s->stdio[i] >= 0 ? s->stdio[i] : pty_slave, F_DUPFD_CLOEXEC, 10);
        if (src[i] < 0) il_child_fail(s, "duplicate stdio", "");
    }
    for (int i = 0; i < 3; i++)
        if (dup2(src[i], i) < 0) il_child_fail(s, "place stdio", "");
    for (int i = 0; i < s->rlimit_count; i++) {
        struct rlimit rl = {(rlim_t)s->rlimits[i].soft, (rlim_t)s->rlimits[i].hard};
        if (setrlimit(s->rlimits[i].resource, &rl) < 0) il_child_fail(s, "setrlimit", "");
    }
    if (s->filter_len > 0) {
        // Loaded last but for the hand-off: from here on only sendmsg, close_range and execve
        // run, none of which the filter refuses.
        struct sock_fprog prog = {s->filter_len, (struct sock_filter *)s->filter};
        unsigned long flags = s->notify ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
        long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
        if (listener < 0) il_child_fail(s, "load the seccomp filter", "");
        if (s->notify) {
            int fd = (int)listener;
            if (il_send_fds(s->sync_fd, &fd, 1) < 0) il_child_fail(s, "hand the seccomp listener to the supervisor", "");
            close(fd);
        }
    }
    // No descriptor of the supervisor or the caller reaches the command but 0..2 (and the
    // close-on-exec error pipe, gone at execve).
    close_all_but(s->error_fd);
    execve(s->path, s->argv, s->envp);
    int err = errno;
    il_setup_error e;
    memset(&e, 0, sizeof e);
    e.err = err;
    il_join(e.step, sizeof e.step, "execve ", s->path);
    ssize_t w = write(s->error_fd, &e, sizeof e);
    (void)w;
    _exit(err == ENOENT ? 127 : 126);
}

static void report(const il_launch_spec *s, int kind, int status) {
    il_status_event ev = {kind, status};
    ssize_t w;
    do { w = write(s->status_fd, &ev, sizeof ev); } while (w < 0 && errno == EINTR);
}

void il_child_init(const il_launch_spec *s, int pty_slave) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sa.sa_flags = SA_RESTART;
    static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGCONT, SIGWINCH, SIGTSTP};
    for (unsigned i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);

    // Init leads the sandbox's session; with a terminal, it is the session's controlling tty
    // (never the user's terminal).
    if (setsid() < 0) il_child_fail(s, "setsid", "");
    if (pty_slave >= 0 && ioctl(pty_slave, TIOCSCTTY, 0) < 0) il_child_fail(s, "set the controlling terminal", "");

    // A raw clone, not glibc's fork(): fork() takes glibc's locks (malloc arenas, stdio), and
    // this process is a clone3 copy of the multi-threaded supervisor, where another thread
    // may have held one at that moment: it would never be released here.
    pid_t pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) il_child_fail(s, "fork the worker", "");
    if (pid == 0) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        for (unsigned i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &dfl, NULL);
        worker(s, pty_slave);
    }
    worker_pid = pid;
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    close_all_but(s->status_fd);

    for (;;) {
        int status = 0;
        pid_t p = waitpid(-1, &status, WUNTRACED | __WALL);
        if (p < 0) {
            if (errno == EINTR) continue;
            _exit(125);  // no children left without the worker having been seen: impossible
        }
        if (p != pid) continue;  // an orphan, reaped
        if (WIFSTOPPED(status)) {
            report(s, IL_EVENT_STOPPED, status);
            continue;
        }
        report(s, IL_EVENT_EXITED, status);
        _exit(0);
    }
}
