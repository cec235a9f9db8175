// Network and UTS: the sandbox's own hostname, and loopback up in its empty network namespace.
#define _GNU_SOURCE
#include "child.h"
#include <linux/sched.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

void il_child_net(const il_launch_spec *s) {
    if ((s->clone_flags & CLONE_NEWUTS) && s->hostname) {
        if (sethostname(s->hostname, strlen(s->hostname)) < 0) il_child_fail(s, "sethostname", "");
    }
    if (!(s->clone_flags & CLONE_NEWNET)) return;
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) il_child_fail(s, "socket for loopback setup", "");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, "lo", 3);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) il_child_fail(s, "read loopback flags", "");
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) il_child_fail(s, "bring loopback up", "");
    close(sock);
}
