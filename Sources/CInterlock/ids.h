// Child-side steps of ids.c. Async-signal-safe.
#ifndef INTERLOCK_IDS_H
#define INTERLOCK_IDS_H
#include "interlock_launch.h"

/// Switch to the inner uid/gid (and no supplementary groups), keeping capabilities.
void il_child_become_inner(const il_launch_spec *s);
/// Drop privileges: bounding set, ambient set, securebits, capabilities, no_new_privs.
void il_child_drop_privileges(const il_launch_spec *s);
#endif
