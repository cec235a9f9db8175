// Child-side steps of net.c. Async-signal-safe.
#ifndef INTERLOCK_NET_H
#define INTERLOCK_NET_H
#include "interlock_launch.h"

/// Hostname and loopback.
void il_child_net(const il_launch_spec *s);
/// Egress listeners and the route that sends every destination to them.
void il_child_egress(const il_launch_spec *s);
#endif
