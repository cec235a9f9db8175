#ifndef INTERLOCK_SPLICE_H
#define INTERLOCK_SPLICE_H

// The Linux calls the egress relay needs that Swift's Glibc module does not export (splice,
// epoll, eventfd, pipe sizes). Thin wrappers: each returns what the call returns, errno as set.

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
    INTERLOCK_EPOLLIN = 0x001,
    INTERLOCK_EPOLLOUT = 0x004,
    INTERLOCK_EPOLLERR = 0x008,
    INTERLOCK_EPOLLHUP = 0x010,
};

enum { INTERLOCK_EPOLL_ADD = 1, INTERLOCK_EPOLL_DEL = 2, INTERLOCK_EPOLL_MOD = 3 };

/// splice(2) between a socket and a pipe, non-blocking, no offsets.
ssize_t interlock_splice(int from, int to, size_t length);
/// epoll_create1(EPOLL_CLOEXEC).
int interlock_epoll_create(void);
int interlock_epoll_ctl(int epoll, int operation, int fd, uint32_t events, uint64_t token);
/// epoll_wait into parallel arrays (at most 256 events).
int interlock_epoll_wait(int epoll, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms);
/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC).
int interlock_eventfd(void);
/// pipe2(fds, O_NONBLOCK | O_CLOEXEC).
int interlock_pipe(int fds[2]);
/// accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC).
int interlock_accept(int listener);
/// fcntl(F_SETPIPE_SZ) / fcntl(F_GETPIPE_SZ).
int interlock_set_pipe_size(int fd, int size);
int interlock_pipe_size(int fd);

#endif
