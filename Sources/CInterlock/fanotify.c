// Supervisor side: watch opens of hidden paths. Each mask is its own inode, marked on its
// own: normal files carry no mark and pay nothing.
// - Permission mode (CAP_SYS_ADMIN, root-invoked runs): FAN_OPEN_PERM holds the opener until
//   the supervisor answers, so its exe and argv can be read before it goes away; the answer
//   is always "allow" (the mask is empty: what it hides is not there to read).
// - Notification mode (everyone else): FAN_OPEN events identified by file handle. The kernel
//   reports the opener's pid only to a CAP_SYS_ADMIN listener, so the supervisor names it
//   the best it can (a process of the sandbox still holding the mask open).
#define _GNU_SOURCE
#include "interlock_fanotify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int il_fanotify_open(int *notification_only) {
    int fd = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    if (fd >= 0) { *notification_only = 0; return fd; }
    fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
    *notification_only = 1;
    return fd;
}

int il_fanotify_watch(int fan, const char *path, int directory, int notification_only) {
    uint64_t mask = (notification_only ? FAN_OPEN : FAN_OPEN_PERM) | (directory ? FAN_ONDIR : 0);
    return fanotify_mark(fan, FAN_MARK_ADD, mask, AT_FDCWD, path);
}

int il_file_handle(const char *path, uint8_t *out, int capacity) {
    char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ] __attribute__((aligned(8)));
    struct file_handle *h = (struct file_handle *)storage;
    h->handle_bytes = MAX_HANDLE_SZ;
    int mount_id;
    if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0) < 0) return -1;
    int len = 4 + (int)h->handle_bytes;
    if (len > capacity) { errno = ENOSPC; return -1; }
    memcpy(out, &h->handle_type, 4);
    memcpy(out + 4, h->f_handle, h->handle_bytes);
    return len;
}

/// The file handle in a notification-mode event's info records, into `e`.
static void event_handle(const struct fanotify_event_metadata *m, il_fan_event *e) {
    e->handle_len = 0;
    const char *p = (const char *)m + m->metadata_len, *end = (const char *)m + m->event_len;
    while (p + sizeof(struct fanotify_event_info_header) <= end) {
        const struct fanotify_event_info_header *h = (const void *)p;
        if (h->len == 0 || p + h->len > end) return;
        if (h->info_type == FAN_EVENT_INFO_TYPE_FID) {
            const struct fanotify_event_info_fid *fid = (const void *)p;
            const struct file_handle *fh = (const void *)fid->handle;
            int len = 4 + (int)fh->handle_bytes;
            if (len <= (int)sizeof e->handle && (const char *)fh->f_handle + fh->handle_bytes <= end) {
                memcpy(e->handle, &fh->handle_type, 4);
                memcpy(e->handle + 4, fh->f_handle, fh->handle_bytes);
                e->handle_len = len;
            }
            return;
        }
        p += h->len;
    }
}

int il_fanotify_read(int fan, il_fan_event *out, int max) {
    char buffer[8192] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
    ssize_t len = read(fan, buffer, sizeof buffer);
    if (len <= 0) return len == 0 ? 0 : (errno == EAGAIN ? 0 : -1);
    int count = 0;
    struct fanotify_event_metadata *m = (struct fanotify_event_metadata *)buffer;
    while (FAN_EVENT_OK(m, len)) {
        if (m->vers == FANOTIFY_METADATA_VERSION) {
            il_fan_event *e = count < max ? &out[count] : NULL;
            if (m->fd >= 0) {
                struct stat st;
                if (e && fstat(m->fd, &st) == 0) {
                    memset(e, 0, sizeof *e);
                    e->dev = (uint64_t)st.st_dev;
                    e->ino = (uint64_t)st.st_ino;
                    e->pid = m->pid;
                    e->mask = m->mask;
                    e->fd = m->fd;
                    count++;
                } else {
                    il_fanotify_allow(fan, m->fd);
                }
            } else if (e) {
                memset(e, 0, sizeof *e);
                e->pid = m->pid;
                e->mask = m->mask;
                e->fd = -1;
                event_handle(m, e);
                count++;
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
    if (event_fd < 0) return;
    struct fanotify_response r = {event_fd, FAN_ALLOW};
    ssize_t w = write(fan, &r, sizeof r);
    (void)w;
    close(event_fd);
}

// Releasing a group with marks waits for an SRCU grace period. Right after the sandbox's mounts
// went (their teardown destroys the marks and starts grace periods of its own), that is a normal
// one: 7-16 ms on a 2-core VM, paid by every run with hidden paths, as the supervisor's exit
// waits for it. Nothing can reach the masks by then, so the release is handed to the kernel: the
// group becomes the only fixed file of a throwaway io_uring, whose teardown (and so the group's
// release) runs in a kernel worker after both descriptors are closed. Where io_uring is
// unavailable (disabled by sysctl, seccomp, old kernel), a plain close.
void il_fanotify_close_deferred(int fan) {
    if (fan < 0) return;
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    int ring = (int)syscall(SYS_io_uring_setup, 1, &params);
    if (ring >= 0) {
        if (syscall(SYS_io_uring_register, ring, IORING_REGISTER_FILES, &fan, 1) < 0) {
            close(ring);
            ring = -1;
        }
    }
    close(fan);
    if (ring >= 0) close(ring);
}
