// The child's last step, in init.c. Async-signal-safe.
#ifndef INTERLOCK_INIT_H
#define INTERLOCK_INIT_H
#include "interlock_launch.h"

/// Become the sandbox's pid 1: start the worker (which loads the seccomp filter and execs the
/// command) and reap until it exits.
__attribute__((noreturn)) void il_child_init(const il_launch_spec *s, int pty_slave);
#endif
