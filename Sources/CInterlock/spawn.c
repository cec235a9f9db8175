// clone3 into the new namespaces, then the child's setup in the order the kernel needs:
// wait for the supervisor's maps → cgroup ns → mounts → hostname/loopback → privileges →
// init (which forks the worker that execs the command).
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int il_join(char *out, int cap, const char *a, const char *b) {
    int n = 0;
    for (const char *p = a; p && *p; p++) { if (n + 1 >= cap) return -1; out[n++] = *p; }
    for (const char *p = b; p && *p; p++) { if (n + 1 >= cap) return -1; out[n++] = *p; }
    out[n] = 0;
    return n;
}

void il_child_fail(const il_launch_spec *s, const char *step, const char *detail) {
    il_setup_error e;
    memset(&e, 0, sizeof e);
    e.err = errno;
    il_join(e.step, sizeof e.step, step, detail);
    ssize_t w = write(s->error_fd, &e, sizeof e);
    (void)w;
    _exit(126);
}

static void reset_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < 65; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &sa, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

extern char **environ;

__attribute__((noreturn)) static void child_main(const il_launch_spec *s) {
    reset_signals();
    // The child is a copy of the supervisor, whose environment (with whatever secrets the
    // caller had) would show in /proc/1/environ: wipe it. The command gets spec->envp.
    for (char **e = environ; e && *e; e++) memset(*e, 0, strlen(*e));
    close(s->supervisor_sync_fd);
    // Until we change ids, a dying supervisor takes us with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

    int fds[16];
    int n = s->received_fd_count;
    if (n < 0 || n > 16) il_child_fail(s, "launch spec", ": too many mount fds");
    if (il_recv_fds(s->sync_fd, fds, n) < 0) il_child_fail(s, "waiting for the supervisor", "");

    // Become the sandbox's identity now, keeping capabilities in the new user namespace, so
    // that everything the setup creates (tmpfs roots, mount points) is owned by a mapped id.
    il_child_become_inner(s);

    il_child_mounts(s, fds);
    for (int i = 0; i < n; i++) close(fds[i]);
    // The supervisor placed us in our cgroups while we built the mounts (cgroup v1 placement
    // costs an RCU grace period): only now is our cgroup the one to root a namespace at.
    if (s->unshare_cgroup && syscall(SYS_unshare, CLONE_NEWCGROUP) < 0)
        il_child_fail(s, "unshare(CLONE_NEWCGROUP)", "");
    int pty_slave = s->pty ? il_child_open_pty(s) : -1;
    il_child_net(s);
    il_child_egress(s);
    il_child_drop_privileges(s);

    // Credential changes cleared the death signal: set it again, then make sure the
    // supervisor did not die before it took effect (it holds sync_fd open for the whole run).
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    char probe;
    ssize_t r = recv(s->sync_fd, &probe, 1, MSG_DONTWAIT | MSG_PEEK);
    if (r == 0) _exit(125);
    il_child_init(s, pty_slave);
}

pid_t il_spawn(const il_launch_spec *spec, int *pidfd) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = spec->clone_flags | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)pidfd;
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) child_main(spec);
    return (pid_t)pid;
}

int il_probe_userns(void) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = CLONE_NEWUSER;
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid == 0) _exit(0);
    if (pid < 0) return -1;
    int status = 0;
    while (waitpid((pid_t)pid, &status, 0) < 0 && errno == EINTR) {}
    return 0;
}
