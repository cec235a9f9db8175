// Supervisor side of the secrets guard (see interlock_secrets_guard.h and SecretsGuard.swift).
#define _GNU_SOURCE
#include "interlock_secrets_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/fanotify.h>
#include <unistd.h>

// Reads are held as well as opens: a file opened while clean and written on the host later
// must not be readable through the descriptor the sandbox already holds.
#define IL_GUARD_EVENTS (FAN_OPEN_PERM | FAN_ACCESS_PERM)

int il_guard_open(void) {
    return fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE | FAN_UNLIMITED_MARKS,
                         O_RDONLY | O_LARGEFILE | O_CLOEXEC);
}

int il_guard_mark_mount(int fan, const char *path) {
    return fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, IL_GUARD_EVENTS, AT_FDCWD, path);
}

int il_guard_ignore(int fan, int fd, int add) {
    // Without FAN_MARK_IGNORED_SURV_MODIFY: any write, truncation or attribute-changing
    // modification of the inode, from anywhere, drops the ignore mark.
    return fanotify_mark(fan, (add ? FAN_MARK_ADD : FAN_MARK_REMOVE) | FAN_MARK_IGNORED_MASK, IL_GUARD_EVENTS, fd, NULL);
}

int il_guard_ignore_at(int fan, int dirfd, const char *name, int add) {
    return fanotify_mark(fan, (add ? FAN_MARK_ADD : FAN_MARK_REMOVE) | FAN_MARK_IGNORED_MASK | FAN_MARK_DONT_FOLLOW,
                         IL_GUARD_EVENTS, dirfd, name);
}

int il_guard_read(int fan, il_guard_event *out, int max) {
    if (max > 64) max = 64;
    // Room for exactly `max` events, so that none is read that cannot be stored (and answered).
    char buffer[64 * sizeof(struct fanotify_event_metadata)] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
    ssize_t len;
    do { len = read(fan, buffer, (size_t)max * sizeof(struct fanotify_event_metadata)); } while (len < 0 && errno == EINTR);
    if (len < 0) return errno == EAGAIN ? 0 : -1;
    int count = 0;
    struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buffer;
    while (FAN_EVENT_OK(m, len) && count < max) {
        if (m->vers != FANOTIFY_METADATA_VERSION) { errno = EPROTO; return -1; }
        out[count].fd = m->fd;
        out[count].pid = m->pid;
        out[count].read = (m->mask & FAN_ACCESS_PERM) != 0;
        count++;
        m = FAN_EVENT_NEXT(m, len);
    }
    return count;
}

int il_guard_answer(int fan, int event_fd, int allow) {
    struct fanotify_response r = {event_fd, allow ? FAN_ALLOW : FAN_DENY};
    ssize_t w;
    do { w = write(fan, &r, sizeof r); } while (w < 0 && errno == EINTR);
    int saved = errno;
    close(event_fd);
    errno = saved;
    return w == (ssize_t)sizeof r ? 0 : -1;
}
