// Internal to the child side (between clone3 and execve): how a setup step reports failure.
// Every function here is async-signal-safe.
#ifndef INTERLOCK_CHILD_H
#define INTERLOCK_CHILD_H
#include "interlock_launch.h"

/// Report a setup failure to the supervisor (an il_setup_error on error_fd, with errno) and
/// exit 126. `step` and `detail` are concatenated.
__attribute__((noreturn)) void il_child_fail(const il_launch_spec *s, const char *step, const char *detail);

/// Concatenates `a` and `b` into `out` (NUL-terminated); the length, or -1 if `cap` is too small.
int il_join(char *out, int cap, const char *a, const char *b);
#endif
