#define _GNU_SOURCE
#include "interlock_splice.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert(INTERLOCK_EPOLLIN == EPOLLIN && INTERLOCK_EPOLLOUT == EPOLLOUT && INTERLOCK_EPOLLERR == EPOLLERR
                   && INTERLOCK_EPOLLHUP == EPOLLHUP,
               "epoll event bits");
_Static_assert(INTERLOCK_EPOLL_ADD == EPOLL_CTL_ADD && INTERLOCK_EPOLL_DEL == EPOLL_CTL_DEL
                   && INTERLOCK_EPOLL_MOD == EPOLL_CTL_MOD,
               "epoll operations");

ssize_t interlock_splice(int from, int to, size_t length) {
    return splice(from, NULL, to, NULL, length, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

int interlock_epoll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int interlock_epoll_ctl(int epoll, int operation, int fd, uint32_t events, uint64_t token) {
    struct epoll_event event = {.events = events, .data = {.u64 = token}};
    return epoll_ctl(epoll, operation, fd, &event);
}

int interlock_epoll_wait(int epoll, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms) {
    struct epoll_event ready[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epoll, ready, capacity, timeout_ms);
    for (int i = 0; i < count; i++) {
        tokens[i] = ready[i].data.u64;
        events[i] = ready[i].events;
    }
    return count;
}

int interlock_eventfd(void) {
    return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

int interlock_set_pipe_size(int fd, int size) {
    return fcntl(fd, F_SETPIPE_SZ, size);
}

int interlock_pipe_size(int fd) {
    return fcntl(fd, F_GETPIPE_SZ);
}

int interlock_pipe(int fds[2]) {
    return pipe2(fds, O_NONBLOCK | O_CLOEXEC);
}

int interlock_accept(int listener) {
    return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}
