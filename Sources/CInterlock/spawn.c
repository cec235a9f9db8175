// il_spawn: clone3 (with a pidfd) into the new namespaces, then the child's setup, in this
// order (child_main below, then il_child_init):
//  1. reset every signal to its default disposition and unblock all signals;
//  2. wipe the environment inherited from the supervisor (the command gets spec->envp);
//  3. close the supervisor's end of the sync socket; set the parent-death signal (SIGKILL);
//  4. wait for "go" on sync_fd, with the prepared mount fds (the supervisor sends it after
//     writing the uid/gid maps);
//  5. switch to the inner uid/gid, keeping capabilities (ids.c);
//  6. build the mount tree and pivot into it, send "M" and wait for the second go, which the
//     supervisor sends once the masks are watched and the cgroups placed (mount.c); close the
//     mount fds;
//  7. unshare the cgroup namespace, if asked;
//  8. with a terminal: open it in the sandbox's devpts and send the master (mount.c);
//  9. hostname and loopback; with egress: the route to loopback and the listeners, sent to
//     the supervisor (net.c);
// 10. drop privileges: bounding set, ambient set, securebits, capabilities, no_new_privs (ids.c);
// 11. set the parent-death signal again, exiting if the supervisor is already gone;
// 12. become the sandbox's pid 1 (init.c): install the signal forwarders, start a new session
//     (with a terminal: its controlling tty), fork the worker, close every descriptor but
//     status_fd, and reap. The worker restores default dispositions, takes its own process
//     group (and the terminal's foreground), places stdio, sets the rlimits, loads the seccomp
//     filter (sending the listener with `notify`), closes every descriptor but 0..2 and the
//     close-on-exec error pipe, and execs the command.
#define _GNU_SOURCE
#include "interlock_launch.h"
#include "child.h"
#include "ids.h"
#include "init.h"
#include "mount.h"
#include "net.h"
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

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
