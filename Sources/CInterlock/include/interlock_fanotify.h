// Supervisor side of the hidden-path watch: a fanotify group that reports opens of the masks
// hiding protected paths, so the audit log can name who tried.
#ifndef INTERLOCK_FANOTIFY_H
#define INTERLOCK_FANOTIFY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// An open of a watched (hidden) path.
typedef struct {
    uint64_t dev, ino;   // the mask's inode (permission mode)
    uint8_t handle[64];  // its file handle, type first (notification mode)
    int32_t handle_len;
    int32_t pid;         // the opener, in the supervisor's pid namespace; 0 when not reported
    uint64_t mask;
    int32_t fd;          // permission mode: answer with il_fanotify_allow; -1 otherwise
} il_fan_event;

/// fanotify group for hidden-path opens. With CAP_SYS_ADMIN: permission events, which hold
/// the opener (so it can be named) — `*notification_only` = 0. Without it (kernel ≥ 5.13):
/// plain open notifications identified by file handle, whose opener the kernel does not
/// name to an unprivileged listener — `*notification_only` = 1. -1 if neither is possible.
/// C: fanotify_init is not exported by Swift's Glibc module.
int il_fanotify_open(int *notification_only);
/// Watches opens of `path` (FAN_OPEN_PERM, or FAN_OPEN in notification mode).
/// C: fanotify_mark is not exported by Swift's Glibc module.
int il_fanotify_watch(int fan, const char *path, int directory, int notification_only);
/// The file handle of `path` as notification-mode events carry it (type first); its length or -1.
/// C: name_to_handle_at is declared only under _GNU_SOURCE, which Swift's Glibc module lacks.
int il_file_handle(const char *path, uint8_t *out, int capacity);
/// Reads pending events (non-blocking); returns how many were stored, 0 if none, -1 on error.
/// C: the event records are walked with the FAN_EVENT_OK/FAN_EVENT_NEXT macros.
int il_fanotify_read(int fan, il_fan_event *out, int max);
/// Lets the held opener proceed (it sees the empty mask) and closes the event fd.
/// C: struct fanotify_response comes from <sys/fanotify.h>, which Swift's Glibc module does not export.
void il_fanotify_allow(int fan, int event_fd);
/// Closes a fanotify group without waiting for its release (see fanotify.c).
/// C: io_uring_setup and io_uring_register are reached only through the variadic syscall.
void il_fanotify_close_deferred(int fan);
/// The device and inode of `path` (following symlinks), as permission-mode events report them.
/// C: nothing requires it; it keeps the identity the events carry computed in one place.
int il_stat_identity(const char *path, uint64_t *dev, uint64_t *ino);

#ifdef __cplusplus
}
#endif
#endif
