// Child-side steps of mount.c. Async-signal-safe.
#ifndef INTERLOCK_MOUNT_H
#define INTERLOCK_MOUNT_H
#include "interlock_launch.h"

/// Build the sandbox's root from the mount plan and pivot into it; then report "M" on sync_fd
/// and wait for the supervisor's second go.
void il_child_mounts(const il_launch_spec *s, const int *received_fds);
/// Opens the sandbox's terminal in its own devpts, sends the master to the supervisor and
/// returns the slave.
int il_child_open_pty(const il_launch_spec *s);
#endif
