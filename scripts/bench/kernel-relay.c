// Figure 4's second reference: a TCP relay whose bytes never reach user space. After accept and
// connect, both sockets go into a BPF sockmap whose stream-verdict program redirects every
// received skb to the other socket's transmit path (bpf_sk_redirect_map), so the relay process
// only waits for the ends. This is the other design for a proxy's byte path (instead of
// splice(2)); the bench measures it next to Interlock's proxy to show what it would gain.
//
//   kernel-relay TARGET_PORT     prints the port it listens on (127.0.0.1), then relays each
//                                connection to 127.0.0.1:TARGET_PORT, one at a time.
//
// Root only (CAP_BPF and CAP_NET_ADMIN). The program is written as raw instructions: no
// libbpf or BPF compiler needed.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
enum { HELPER_MAP_LOOKUP = 1, HELPER_SOCKET_COOKIE = 46, HELPER_SK_REDIRECT_MAP = 52 };

static long bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof *attr); }

static void die(const char *what) {
    fprintf(stderr, "kernel-relay: %s: %s\n", what, strerror(errno));
    exit(1);
}

static int map_create(int type, int key, int value, int entries) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = type;
    a.key_size = key;
    a.value_size = value;
    a.max_entries = entries;
    int fd = (int)bpf(BPF_MAP_CREATE, &a);
    if (fd < 0) die("BPF_MAP_CREATE");
    return fd;
}

static void map_update(int map, const void *key, const void *value) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = map;
    a.key = (uintptr_t)key;
    a.value = (uintptr_t)value;
    if (bpf(BPF_MAP_UPDATE_ELEM, &a) < 0) die("BPF_MAP_UPDATE_ELEM");
}

// Per socket (by cookie): the sockmap slot of its peer, and the bytes the program redirected.
struct peer { uint32_t slot, unused; uint64_t bytes; };

static uint64_t redirected(int peers, uint64_t cookie) {
    struct peer p = {0, 0, 0};
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_fd = peers;
    a.key = (uintptr_t)&cookie;
    a.value = (uintptr_t)&p;
    bpf(BPF_MAP_LOOKUP_ELEM, &a);
    return p.bytes;
}

// Bytes ever queued on a socket's send side: acknowledged plus still in the send queue.
static uint64_t queued(int fd) {
    struct tcp_info info;
    socklen_t length = sizeof info;
    memset(&info, 0, sizeof info);
    getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length);
    int outq = 0;
    ioctl(fd, SIOCOUTQ, &outq);
    return info.tcpi_bytes_acked + (uint64_t)outq;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: kernel-relay TARGET_PORT\n");
        return 2;
    }
    int target_port = atoi(argv[1]);
    int peers = map_create(BPF_MAP_TYPE_HASH, 8, sizeof(struct peer), 64);
    int sockets = map_create(BPF_MAP_TYPE_SOCKMAP, 4, 4, 2);
    struct bpf_insn program[] = {
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),                       // r6 = skb
        INSN(BPF_JMP | BPF_CALL, 0, 0, 0, HELPER_SOCKET_COOKIE),             // r0 = cookie
        INSN(BPF_STX | BPF_MEM | BPF_DW, 10, 0, -8, 0),
        INSN(BPF_LD | BPF_IMM | BPF_DW, 1, BPF_PSEUDO_MAP_FD, 0, peers), INSN(0, 0, 0, 0, 0),
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
        INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -8),
        INSN(BPF_JMP | BPF_CALL, 0, 0, 0, HELPER_MAP_LOOKUP),                // r0 = &peers[cookie]
        INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 10, 0),                        // unknown socket: drop
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0),
        INSN(BPF_LDX | BPF_MEM | BPF_W, 1, 6, offsetof(struct __sk_buff, len), 0),
        INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 7, 1, offsetof(struct peer, bytes), BPF_ADD),
        INSN(BPF_LDX | BPF_MEM | BPF_W, 3, 7, offsetof(struct peer, slot), 0),
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
        INSN(BPF_LD | BPF_IMM | BPF_DW, 2, BPF_PSEUDO_MAP_FD, 0, sockets), INSN(0, 0, 0, 0, 0),
        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 0),
        INSN(BPF_JMP | BPF_CALL, 0, 0, 0, HELPER_SK_REDIRECT_MAP),           // to the peer's output
        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, SK_DROP),
        INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
    };
    static char log[1 << 16];
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SK_SKB;
    a.insns = (uintptr_t)program;
    a.insn_cnt = sizeof program / sizeof program[0];
    a.license = (uintptr_t) "Dual MIT/GPL";
    a.log_buf = (uintptr_t)log;
    a.log_size = sizeof log;
    a.log_level = 1;
    int verdict = (int)bpf(BPF_PROG_LOAD, &a);
    if (verdict < 0) {
        fprintf(stderr, "%s", log);
        die("BPF_PROG_LOAD");
    }
    memset(&a, 0, sizeof a);
    a.target_fd = sockets;
    a.attach_bpf_fd = verdict;
    a.attach_type = BPF_SK_SKB_STREAM_VERDICT;
    if (bpf(BPF_PROG_ATTACH, &a) < 0) die("BPF_PROG_ATTACH");

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 16) < 0 ||
        getsockname(listener, (struct sockaddr *)&address, &length) < 0)
        die("listen");
    printf("%d\n", ntohs(address.sin_port));
    fflush(stdout);

    for (;;) {
        int client = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0) die("accept");
        int origin = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons(target_port),
                                     .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (connect(origin, (struct sockaddr *)&target, sizeof target) < 0) die("connect");
        int ends[2] = {client, origin};
        uint64_t cookies[2];
        for (int i = 0; i < 2; i++) {
            socklen_t size = sizeof cookies[i];
            if (getsockopt(ends[i], SOL_SOCKET, SO_COOKIE, &cookies[i], &size) < 0) die("SO_COOKIE");
            struct peer p = {(uint32_t)(i ^ 1), 0, 0};
            map_update(peers, &cookies[i], &p);
        }
        for (uint32_t i = 0; i < 2; i++) {
            uint32_t fd = (uint32_t)ends[i];
            map_update(sockets, &i, &fd);
        }
        // What arrived before the sockets were in the map waits in their receive queues; the
        // verdict runs on it only at the next data-ready event, which setting SO_RCVLOWAT raises.
        for (int i = 0; i < 2; i++) {
            int one = 1;
            setsockopt(ends[i], SOL_SOCKET, SO_RCVLOWAT, &one, sizeof one);
        }
        // EOF from one end: once everything redirected from it is on the other's send queue,
        // pass the half-close on.
        struct pollfd watch[2] = {{client, POLLRDHUP, 0}, {origin, POLLRDHUP, 0}};
        uint64_t start[2] = {queued(client), queued(origin)};
        int live = 2;
        while (live > 0) {
            if (poll(watch, 2, -1) < 0 && errno != EINTR) die("poll");
            for (int i = 0; i < 2; i++) {
                if (watch[i].fd < 0 || !(watch[i].revents & (POLLRDHUP | POLLHUP | POLLERR))) continue;
                watch[i].fd = -1;
                live--;
                struct tcp_info info;
                socklen_t size = sizeof info;
                getsockopt(ends[i], IPPROTO_TCP, TCP_INFO, &info, &size);  // takes the socket lock: the verdict ran
                int other = ends[i ^ 1];
                for (int spins = 0; queued(other) - start[i ^ 1] < redirected(peers, cookies[i]) && spins < 20000; spins++)
                    usleep(100);
                shutdown(other, SHUT_WR);
            }
        }
        close(client);
        close(origin);
        for (int i = 0; i < 2; i++) {
            memset(&a, 0, sizeof a);
            a.map_fd = peers;
            a.key = (uintptr_t)&cookies[i];
            bpf(BPF_MAP_DELETE_ELEM, &a);
        }
    }
}
