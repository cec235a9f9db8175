// Supervisor side of seccomp user notification: receive, inspect, answer.
#define _GNU_SOURCE
#include "interlock_notify.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

int il_notif_recv(int listener, il_notification *out) {
    struct seccomp_notif req;
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) return -1;
    out->id = req.id;
    out->pid = req.pid;
    out->nr = req.data.nr;
    out->arch = req.data.arch;
    out->ip = req.data.instruction_pointer;
    for (int i = 0; i < 6; i++) out->args[i] = req.data.args[i];
    return 0;
}

int il_notif_respond(int listener, uint64_t id, int error, int continue_call) {
    struct seccomp_notif_resp resp;
    memset(&resp, 0, sizeof resp);
    resp.id = id;
    if (continue_call) {
        resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    } else {
        resp.error = -error;
    }
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

int il_notif_id_valid(int listener, uint64_t id) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

long il_read_remote_string(int pid, uint64_t address, char *buffer, long capacity) {
    if (capacity <= 0 || address == 0) return -1;
    // Page by page: a string near the end of a mapping must not fail the whole read.
    long got = 0;
    while (got < capacity - 1) {
        uint64_t at = address + (uint64_t)got;
        long page_left = 4096 - (long)(at & 4095);
        long want = capacity - 1 - got < page_left ? capacity - 1 - got : page_left;
        struct iovec local = {buffer + got, (size_t)want};
        struct iovec remote = {(void *)(uintptr_t)at, (size_t)want};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        if (n <= 0) break;
        void *nul = memchr(buffer + got, 0, (size_t)n);
        if (nul) return (long)((char *)nul - buffer);
        got += n;
    }
    if (got == 0) return -1;
    buffer[got] = 0;
    return got;
}

long il_read_remote(int pid, uint64_t address, void *buffer, long length) {
    if (length <= 0 || address == 0) return -1;
    struct iovec local = {buffer, (size_t)length};
    struct iovec remote = {(void *)(uintptr_t)address, (size_t)length};
    return (long)process_vm_readv(pid, &local, 1, &remote, 1, 0);
}

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, uint64_t)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

int il_notif_sync_wakeup(int listener) {
    return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, (uint64_t)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
}

int il_seccomp_user_notif_available(void) {
    int fd = open("/proc/sys/kernel/seccomp/actions_avail", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buf[512];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    return strstr(buf, "user_notif") != NULL;
}
