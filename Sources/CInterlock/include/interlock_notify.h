// Supervisor side of seccomp user notification: receive a held syscall, read its arguments
// from the caller's memory, answer it.
#ifndef INTERLOCK_NOTIFY_H
#define INTERLOCK_NOTIFY_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One seccomp user notification: a syscall a sandboxed thread is blocked in.
typedef struct {
    uint64_t id;
    uint32_t pid;        // thread id, in the supervisor's pid namespace
    int32_t nr;
    uint32_t arch;
    uint64_t ip;
    uint64_t args[6];
} il_notification;

/// Blocks for the next notification. 0, or -1 with errno (ENOENT: the target died meanwhile).
/// C: SECCOMP_IOCTL_NOTIF_RECV is a function-like macro and ioctl with an argument is variadic.
int il_notif_recv(int listener, il_notification *out);
/// Answers: fail the call with `error` (an errno), or let it proceed (`continue_call`).
/// C: SECCOMP_IOCTL_NOTIF_SEND is a function-like macro and ioctl with an argument is variadic.
int il_notif_respond(int listener, uint64_t id, int error, int continue_call);
/// Whether the notification is still pending (the thread did not die or get interrupted).
/// C: SECCOMP_IOCTL_NOTIF_ID_VALID is a function-like macro and ioctl with an argument is variadic.
int il_notif_id_valid(int listener, uint64_t id);
/// Synchronous wake-ups between a notified thread and the supervisor (Linux 6.6+): the
/// notified call switches straight to the receiving thread and back. -1 where unsupported.
/// C: SECCOMP_IOCTL_NOTIF_SET_FLAGS is a function-like macro and ioctl with an argument is variadic.
int il_notif_sync_wakeup(int listener);
/// Reads a NUL-terminated string from another process's memory; returns its length or -1.
/// C: process_vm_readv is declared only under _GNU_SOURCE, which Swift's Glibc module lacks.
long il_read_remote_string(int pid, uint64_t address, char *buffer, long capacity);
/// Reads exactly `length` bytes of another process's memory (an openat2 `open_how`); -1 on failure.
/// C: process_vm_readv is declared only under _GNU_SOURCE, which Swift's Glibc module lacks.
long il_read_remote(int pid, uint64_t address, void *buffer, long length);
/// Whether the kernel offers SECCOMP_RET_USER_NOTIF (a read of /proc/sys/kernel/seccomp/actions_avail).
/// C: nothing requires it; it sits with the notification calls it guards.
int il_seccomp_user_notif_available(void);

#ifdef __cplusplus
}
#endif
#endif
