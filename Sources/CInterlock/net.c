// Network and UTS: the sandbox's own hostname, and loopback up in its empty network namespace.
#define _GNU_SOURCE
#include "net.h"
#include "child.h"
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sched.h>
#include <netinet/in.h>
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

/// `ip route add local 0.0.0.0/0 dev lo table local`: every IPv4 destination is this host.
static void route_everything_to_loopback(const il_launch_spec *s) {
    int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (nl < 0) il_child_fail(s, "netlink socket", "");
    struct {
        struct nlmsghdr nh;
        struct rtmsg rt;
        char attrs[64];
    } req;
    memset(&req, 0, sizeof req);
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
    req.nh.nlmsg_type = RTM_NEWROUTE;
    req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
    req.nh.nlmsg_seq = 1;
    req.rt.rtm_family = AF_INET;
    req.rt.rtm_dst_len = 0;
    req.rt.rtm_table = RT_TABLE_LOCAL;
    req.rt.rtm_protocol = RTPROT_BOOT;
    req.rt.rtm_scope = RT_SCOPE_HOST;
    req.rt.rtm_type = RTN_LOCAL;
    unsigned index = if_nametoindex("lo");
    if (index == 0) il_child_fail(s, "find loopback", "");
    struct rtattr *a = (struct rtattr *)((char *)&req + NLMSG_ALIGN(req.nh.nlmsg_len));
    a->rta_type = RTA_OIF;
    a->rta_len = RTA_LENGTH(sizeof(int));
    int oif = (int)index;
    memcpy(RTA_DATA(a), &oif, sizeof oif);
    req.nh.nlmsg_len = NLMSG_ALIGN(req.nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
    struct sockaddr_nl to;
    memset(&to, 0, sizeof to);
    to.nl_family = AF_NETLINK;
    if (sendto(nl, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&to, sizeof to) < 0) il_child_fail(s, "route to loopback", "");
    char reply[512];
    ssize_t n = recv(nl, reply, sizeof reply, 0);
    if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr))) il_child_fail(s, "route to loopback: no answer", "");
    struct nlmsghdr *h = (struct nlmsghdr *)reply;
    if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
        if (e->error != 0) { errno = -e->error; il_child_fail(s, "route to loopback", ""); }
    }
    close(nl);
}

static int listener(const il_launch_spec *s, int type, uint32_t address, uint16_t port) {
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
    if (fd < 0) il_child_fail(s, "egress socket", "");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(address);
    sa.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) il_child_fail(s, "bind an egress listener", "");
    if (type == SOCK_STREAM && listen(fd, 1024) < 0) il_child_fail(s, "listen", "");
    return fd;
}

void il_child_egress(const il_launch_spec *s) {
    if (!s->egress) return;
    route_everything_to_loopback(s);
    int fds[16];
    int n = 0;
    fds[n++] = listener(s, SOCK_STREAM, INADDR_LOOPBACK, s->proxy_port);
    fds[n++] = listener(s, SOCK_DGRAM, INADDR_ANY, 53);
    for (int i = 0; i < s->transparent_port_count && n < 16; i++)
        fds[n++] = listener(s, SOCK_STREAM, INADDR_ANY, s->transparent_ports[i]);
    if (il_send_fds(s->sync_fd, fds, n) < 0) il_child_fail(s, "hand the egress listeners to the supervisor", "");
    for (int i = 0; i < n; i++) close(fds[i]);
}
