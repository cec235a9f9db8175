// Internal to the child side. Every function here is async-signal-safe.
#ifndef INTERLOCK_CHILD_H
#define INTERLOCK_CHILD_H
#include "interlock_launch.h"

/// Report a setup failure to the supervisor and exit. `step` and `detail` are concatenated.
__attribute__((noreturn)) void il_child_fail(const il_launch_spec *s, const char *step, const char *detail);

/// Build the sandbox's root from the mount plan and pivot into it (mount.c).
void il_child_mounts(const il_launch_spec *s, const int *received_fds);
/// Opens the sandbox's terminal in its own devpts, sends the master to the supervisor and
/// returns the slave (mount.c).
int il_child_open_pty(const il_launch_spec *s);
/// Hostname and loopback (net.c).
void il_child_net(const il_launch_spec *s);
/// Egress listeners and the route that sends every destination to them (net.c).
void il_child_egress(const il_launch_spec *s);
/// Switch to the inner uid/gid (and no supplementary groups), keeping capabilities (ids.c).
void il_child_become_inner(const il_launch_spec *s);
/// Drop privileges: bounding set, securebits, capabilities, no_new_privs (ids.c).
void il_child_drop_privileges(const il_launch_spec *s);
/// Become the sandbox's pid 1: start the worker and reap until it exits (init.c).
__attribute__((noreturn)) void il_child_init(const il_launch_spec *s, int pty_slave);

/// Small async-signal-safe string helpers.
int il_join(char *out, int cap, const char *a, const char *b);
#endif
