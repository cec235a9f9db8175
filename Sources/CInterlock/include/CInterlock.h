// The C half of the supervisor, one header per concern. A function is here, not in Swift,
// for the reason its declaration gives: it runs in the child between clone3 and execve
// (async-signal-safe: raw syscalls, no allocation, no locks, no Swift runtime), or it needs
// what Swift's Glibc module does not export (variadic calls such as syscall and ioctl with an
// argument, function-like macros, declarations behind _GNU_SOURCE, kernel uapi headers).
#ifndef INTERLOCK_C_INTERLOCK_H
#define INTERLOCK_C_INTERLOCK_H

#include "interlock_launch.h"         // the launch spec, il_spawn and the supervisor/child channel
#include "interlock_notify.h"         // seccomp user notification (the syscall auditor)
#include "interlock_fanotify.h"       // opens of hidden paths
#include "interlock_secrets_guard.h"  // the secrets guard's fanotify group
#include "interlock_sys.h"            // small system helpers

#endif
