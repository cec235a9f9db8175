// Supervisor side: watch opens of hidden paths. Each mask is its own inode, marked with
// FAN_OPEN_PERM: normal files carry no mark and pay nothing. A permission event holds the
// opener until the supervisor answers, so its exe and argv can be read before it goes away;
// the answer is always "allow" (the mask is empty: what it hides is not there to read).
#define _GNU_SOURCE
#include "interlock_launch.h"

void il_fanotify_allow(int fan, int event_fd);
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

int il_fanotify_open(void) {
    return fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
}

int il_fanotify_watch(int fan, const char *path, int directory) {
    uint64_t mask = FAN_OPEN_PERM | (directory ? FAN_ONDIR : 0);
    return fanotify_mark(fan, FAN_MARK_ADD, mask, AT_FDCWD, path);
}

int il_fanotify_read(int fan, il_fan_event *out, int max) {
    char buffer[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
    ssize_t len = read(fan, buffer, sizeof buffer);
    if (len <= 0) return len == 0 ? 0 : (errno == EAGAIN ? 0 : -1);
    int count = 0;
    struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buffer;
    while (FAN_EVENT_OK(m, len)) {
        if (m->vers == FANOTIFY_METADATA_VERSION && m->fd >= 0) {
            struct stat st;
            if (count < max && fstat(m->fd, &st) == 0) {
                out[count].dev = (uint64_t)st.st_dev;
                out[count].ino = (uint64_t)st.st_ino;
                out[count].pid = m->pid;
                out[count].mask = m->mask;
                out[count].fd = m->fd;
                count++;
            } else {
                il_fanotify_allow(fan, m->fd);
            }
        }
        m = FAN_EVENT_NEXT(m, len);
    }
    return count;
}

int il_stat_identity(const char *path, uint64_t *dev, uint64_t *ino) {
    struct stat st;
    if (stat(path, &st) < 0) return -1;
    *dev = (uint64_t)st.st_dev;
    *ino = (uint64_t)st.st_ino;
    return 0;
}

void il_fanotify_allow(int fan, int event_fd) {
    struct fanotify_response r = {event_fd, FAN_ALLOW};
    ssize_t w = write(fan, &r, sizeof r);
    (void)w;
    close(event_fd);
}
