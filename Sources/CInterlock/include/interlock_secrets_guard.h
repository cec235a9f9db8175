// The secrets guard's fanotify group (root-invoked runs): permission events for every open and
// read through the sandbox's mounts, so that a file is judged when it is used, not only at start.
#ifndef INTERLOCK_SECRETS_GUARD_H
#define INTERLOCK_SECRETS_GUARD_H

#include <stdint.h>

/// One held open or read: answer it with il_guard_answer.
typedef struct {
    int32_t fd;    // the file, opened for the supervisor (its reads raise no event)
    int32_t pid;   // the opener, in the supervisor's pid namespace
    int32_t read;  // 1: a read (FAN_ACCESS_PERM); 0: an open (FAN_OPEN_PERM)
} il_guard_event;

/// A permission-class group (needs CAP_SYS_ADMIN): non-blocking, unlimited queue and marks.
/// -1 with errno on failure.
/// C: fanotify_init is not exported by Swift's Glibc module.
int il_guard_open(void);
/// Holds every open and read made through the mount at `path` (a mount of the sandbox's,
/// reached through /proc/PID/root).
/// C: fanotify_mark is not exported by Swift's Glibc module.
int il_guard_mark_mount(int fan, const char *path);
/// Adds (`add` = 1) or removes the ignore mark of the file open as `fd`: its opens and reads
/// raise no event until the file is next modified (the kernel then drops the ignore mark).
/// C: fanotify_mark is not exported by Swift's Glibc module.
int il_guard_ignore(int fan, int fd, int add);
/// The same for the file `name` of the directory `dirfd`, not following a symlink.
/// C: fanotify_mark is not exported by Swift's Glibc module.
int il_guard_ignore_at(int fan, int dirfd, const char *name, int add);
/// Reads up to `max` pending events; how many, 0 if none, -1 with errno on error.
/// C: the event records are walked with the FAN_EVENT_OK/FAN_EVENT_NEXT macros.
int il_guard_read(int fan, il_guard_event *out, int max);
/// Lets the held call proceed (`allow` = 1) or fail with EPERM, and closes the event's fd.
/// C: struct fanotify_response comes from <sys/fanotify.h>, which Swift's Glibc module does not export.
int il_guard_answer(int fan, int event_fd, int allow);

#endif
