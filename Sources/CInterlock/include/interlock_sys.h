// Small supervisor-side system helpers: signals, descriptors, file metadata, probes.
#ifndef INTERLOCK_SYS_H
#define INTERLOCK_SYS_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Self-pipe for signals: installs handlers for `signals` that write the signal number to
/// a non-blocking pipe, and returns its read end (or -1).
/// C: the handler runs in signal context, where Swift code must not run.
int il_signal_pipe(const int *signals, int count);
/// Ignores `sig` (SIG_IGN).
/// C: sigaction's handler is a union member in Swift; here it is one assignment.
int il_ignore_signal(int sig);
/// Sends `sig` to the process behind `pidfd`.
/// C: pidfd_send_signal has no glibc wrapper and syscall is variadic.
int il_pidfd_send_signal(int pidfd, int sig);
/// A pipe whose ends are close-on-exec.
/// C: pipe2 is declared only under _GNU_SOURCE, which Swift's Glibc module lacks.
int il_pipe_cloexec(int fds[2]);
/// A close-on-exec AF_UNIX SOCK_SEQPACKET pair.
/// C: SOCK_SEQPACKET and SOCK_CLOEXEC import into Swift as an enum; here they combine as ints.
int il_socketpair_cloexec(int fds[2]);
/// Copies the terminal window size from `from` to `to`.
/// C: TIOCGWINSZ/TIOCSWINSZ need ioctl with an argument, which is variadic.
int il_copy_winsize(int from, int to);
/// posix_spawn with stdio on /dev/null, no other descriptors, cwd /, empty environment, own session.
/// C: the *_np file actions are declared only under _GNU_SOURCE, and no Swift runs in the child.
pid_t il_spawn_detached(const char *path, char *const argv[]);
/// Removes `security.capability` from a file (not following a final symlink): 1 removed, 0 none, -1 error.
/// C: lgetxattr and lremovexattr are not exported by Swift's Glibc module.
int il_remove_file_capabilities(const char *path);
/// A file's birth time (statx, not following a final symlink); -1 when unknown.
/// C: statx is declared only under _GNU_SOURCE, which Swift's Glibc module lacks.
int il_birth_time(const char *path, int64_t *sec, int64_t *nsec);
/// The Landlock ABI version the kernel offers, 0 if none (for `doctor`).
/// C: landlock_create_ruleset has no glibc wrapper and syscall is variadic.
int il_landlock_abi(void);

#ifdef __cplusplus
}
#endif
#endif
