// Privileges: after setup the sandbox keeps no capability, in any set, and cannot regain one
// (empty bounding set, SECBIT_NOROOT locked, no_new_privs). setuid binaries gain nothing.
#define _GNU_SOURCE
#include "ids.h"
#include "child.h"
#include <grp.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static int last_cap(void) {
    // Probe rather than trust headers: the running kernel may know more capabilities.
    int last = CAP_LAST_CAP;
    while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) last++;
    return last;
}

/// keep_permitted: effective = permitted (during setup); otherwise every set = `mask`.
static void set_caps(const il_launch_spec *s, int keep_permitted, uint64_t mask) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (keep_permitted) {
        if (syscall(SYS_capget, &hdr, data) < 0) il_child_fail(s, "read capabilities", "");
        data[0].effective = data[0].permitted;
        data[1].effective = data[1].permitted;
    } else {
        for (int i = 0; i < 2; i++) {
            uint32_t part = (uint32_t)(mask >> (32 * i));
            data[i].effective = data[i].permitted = data[i].inheritable = part;
        }
    }
    if (syscall(SYS_capset, &hdr, data) < 0) il_child_fail(s, "set capabilities", "");
}

void il_child_become_inner(const il_launch_spec *s) {
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) il_child_fail(s, "keep capabilities", "");
    // Raw syscalls, not glibc's wrappers: those broadcast the change to every thread glibc
    // knows of (nptl setxid), and after clone3 its thread list is still the supervisor's. A
    // thread the supervisor was creating at that moment is waited for forever (a start-up
    // deadlock seen under 50 concurrent runs, Tests/Adversarial/test_faults.py).
    if (syscall(SYS_setresgid, s->inner_gid, s->inner_gid, s->inner_gid) < 0) il_child_fail(s, "setresgid", "");
    if (s->drop_groups && syscall(SYS_setgroups, 0, NULL) < 0) il_child_fail(s, "drop supplementary groups", "");
    if (syscall(SYS_setresuid, s->inner_uid, s->inner_uid, s->inner_uid) < 0) il_child_fail(s, "setresuid", "");
    set_caps(s, 1, 0);
}

void il_child_drop_privileges(const il_launch_spec *s) {
    int last = last_cap();
    for (int cap = 0; cap <= last; cap++) {
        if (cap < 64 && (s->keep_caps >> cap) & 1) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) il_child_fail(s, "drop bounding capabilities", "");
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) il_child_fail(s, "clear ambient capabilities", "");
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) il_child_fail(s, "clear keepcaps", "");
    // Kept capabilities survive execve as ambient ones; with none kept, ambient raising is
    // locked off too.
    int bits = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED;
    if (!s->keep_caps) bits |= SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
    if (prctl(PR_SET_SECUREBITS, bits, 0, 0, 0) < 0) il_child_fail(s, "set securebits", "");

    set_caps(s, 0, s->keep_caps);
    for (int cap = 0; cap < 64; cap++)
        if ((s->keep_caps >> cap) & 1 && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
            il_child_fail(s, "keep a capability across execve", "");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) il_child_fail(s, "set no_new_privs", "");
}
