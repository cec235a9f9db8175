"""Seccomp filters and capabilities (issue 3): every syscall of the `agent` baseline made for
real inside the sandbox, its conditional rules (sockets, ioctl, clone, clone3, personality),
other architectures, Docker baselines and imports, profile keys (deny, allow, rules, on_deny,
learn mode), capabilities kept in the sandbox, and a burst of 100,000 refusals.

Syscalls are made by `sysc` (helpers/sysc.c, built with gcc per session and copied into each
workspace), which prints `LABEL ret=R errno=E`. Each refusal must show up in the run's audit log
(`--audit` into the test's own directory) as exactly one record naming the syscall, the rule and
the program.
"""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest

CHILD_RUSAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helpers", "child_rusage.py")

from conftest import PY, TIMEOUT, Runner, sandbox_env, write_profile
from helpers.seccomp_support import (EACCES, ENOSYS, EPERM, NOT_ON_X86_64, agent_baseline_groups,
                                     agent_baseline_names, call_line, call_results, decoded_values,
                                     exact_count, install_sysc, lifecycle, read_audit, records_for_label,
                                     summary_line, syscall_records, x86_64_syscalls)
from helpers.seccomp_support import sysc, sysc_build  # noqa: F401  (fixtures)

SIGSYS_EXIT = 128 + 31
SIGKILL_EXIT = 128 + 9
SIGCHLD = 0x11
AT_FDCWD = -100

SYSCALLS = x86_64_syscalls()
AGENT_NAMES = agent_baseline_names()
AGENT_X86_64 = [n for n in AGENT_NAMES if n in SYSCALLS]

NR = SYSCALLS  # name -> x86-64 number


def run_calls(run, cwd, helper, calls, options=(), audit=None, **kwargs):
    """One sandbox running `sysc call LABEL NR ARGS…` for each (label, syscall, args).
    Returns (CompletedProcess, {label: (ret, errno)}, audit records)."""
    audit = audit or os.path.join(cwd, ".audit.jsonl")
    script = "\n".join(call_line(helper, label, NR[name], *args) for label, name, args in calls)
    r = run(["run", "--audit", audit, *options, "--", "sh", "-c", script], cwd, **kwargs)
    return r, call_results(r.stdout), read_audit(audit)


def one_record(records, label):
    found = records_for_label(records, label)
    assert len(found) == 1, f"expected exactly one audit record for {label}, found {found}"
    return found[0]


def hex64(value):
    return hex(value & 0xFFFF_FFFF_FFFF_FFFF)


@pytest.fixture
def audit_file(tmp_host_dir):
    return os.path.join(tmp_host_dir, "audit.jsonl")


# --- the agent baseline, syscall by syscall --------------------------------------------------

# Arguments for calls whose arguments the audit record decodes (paths read from the caller's
# memory, flag and family names), and what the record must say. Other syscalls get zeros: the
# filter refuses them before the kernel looks at anything.
BASELINE_CALLS = {
    "mount": (["s:none", "s:/mnt", "s:tmpfs", 0, 0], {"source": "none", "target": "/mnt", "fstype": "tmpfs"}),
    "umount2": (["s:/mnt", 0], {"target": "/mnt"}),
    "pivot_root": (["s:/tmp", "s:/tmp/old"], {"new_root": "/tmp", "put_old": "/tmp/old"}),
    "chroot": (["s:/tmp"], {"path": "/tmp"}),
    "open_tree": ([AT_FDCWD, "s:/tmp", 1], {"path": "/tmp", "flags": "0x1"}),
    "move_mount": ([AT_FDCWD, "s:/tmp", AT_FDCWD, "s:/mnt", 0], {"from": "/tmp", "to": "/mnt"}),
    "fsopen": (["s:tmpfs", 0], {"fstype": "tmpfs"}),
    "fspick": ([AT_FDCWD, "s:/tmp", 0], {"path": "/tmp"}),
    "mount_setattr": ([AT_FDCWD, "s:/tmp", 0, 0, 0], {"path": "/tmp"}),
    "unshare": ([0x1000_0000], {"flags": "CLONE_NEWUSER"}),
    "setns": ([-1, 0x4000_0000], {"fd": -1, "nstype": "CLONE_NEWNET"}),
    "init_module": (["b:16", 16, "s:interlock=1"], {"params": "interlock=1"}),
    "finit_module": ([-1, "s:", 0], {"fd": -1}),
    "delete_module": (["s:interlock_nomod", 0], {"name": "interlock_nomod"}),
    "kexec_file_load": ([-1, -1, 0, 0, 0], {"kernel_fd": -1}),
    "keyctl": ([0, -2, 0], {"operation": 0}),
    "add_key": (["s:user", "s:interlock-test", "b:4", 4, -2], {"type": "user", "description": "interlock-test"}),
    "request_key": (["s:user", "s:interlock-test", 0, 0], {"type": "user", "description": "interlock-test"}),
    "bpf": ([5, 0, 0], {"command": 5}),
    "perf_event_open": ([0, 0, -1, -1, 0], {"pid": 0, "cpu": -1}),
    "io_uring_setup": ([8, 0], {"entries": 8}),
    "name_to_handle_at": ([AT_FDCWD, "s:/tmp", "b:128", "b:4", 0], {"path": "/tmp"}),
    "swapon": (["s:/nonexistent-swap", 0], {"path": "/nonexistent-swap"}),
    "swapoff": (["s:/nonexistent-swap"], {"path": "/nonexistent-swap"}),
    "acct": (["s:/nonexistent-acct"], {"path": "/nonexistent-acct"}),
}


def test_baseline_list_parses_and_matches_x86_64():
    """The list the tests below cover is the one in Baselines.swift; every name it has is a
    syscall of x86-64 but the four it documents as other architectures'."""
    groups = agent_baseline_groups()
    assert len(groups) >= 10, groups
    names = AGENT_NAMES
    assert len(names) == len(set(names)), "a name is listed twice"
    for must in ["mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "bpf", "perf_event_open",
                 "io_uring_setup", "userfaultfd", "keyctl", "add_key", "request_key", "kexec_load",
                 "init_module", "open_by_handle_at", "name_to_handle_at", "fsopen", "move_mount", "open_tree"]:
        assert must in names, must
    assert {n for n in names if n not in SYSCALLS} == NOT_ON_X86_64
    assert len(AGENT_X86_64) >= 70


@pytest.fixture(scope="module")
def baseline_run(interlock, sysc_build):
    """One sandbox making every x86-64 syscall of the agent baseline, each from its own process."""
    ws = os.path.realpath(tempfile.mkdtemp(prefix="interlock-it-baseline-", dir="/tmp"))
    os.chmod(ws, 0o755)
    try:
        helper = install_sysc(sysc_build, ws)
        audit = os.path.join(tempfile.mkdtemp(prefix="audit-", dir=ws), "audit.jsonl")
        calls = [(name, name, BASELINE_CALLS.get(name, ([], {}))[0]) for name in AGENT_X86_64]
        r, results, records = run_calls(Runner(interlock), ws, helper, calls, audit=audit, timeout=TIMEOUT * 3)
        yield {"r": r, "results": results, "records": records, "helper": helper}
    finally:
        shutil.rmtree(ws, ignore_errors=True)


@pytest.mark.parametrize("name", AGENT_X86_64)
def test_agent_baseline_refuses(baseline_run, name):
    results, records, helper = baseline_run["results"], baseline_run["records"], baseline_run["helper"]
    assert name in results, f"{name}: no output from the helper; stdout:\n{baseline_run['r'].stdout[-3000:]}"
    assert results[name] == (-1, EPERM), f"{name}: expected EPERM, got ret/errno {results[name]}"

    rec = one_record(records, name)
    d = rec["detail"]
    assert d["syscall"] == name
    assert d["nr"] == NR[name]
    assert rec["action"] == "deny"
    assert d["errno"] == "EPERM"
    assert "baseline agent" in rec["rule"] and name in rec["rule"], rec["rule"]
    assert rec["exe"] == helper
    assert rec["argv"][0] == helper and rec["argv"][2] == name
    assert isinstance(rec["pid"], int) and rec["pid"] > 0
    assert rec["sandbox"] == lifecycle(records, "start")["sandbox"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", rec["time"])
    assert len(d["args"]) == 6 and all(re.fullmatch(r"0x[0-9a-f]+", a) for a in d["args"]), d["args"]

    args, expected = BASELINE_CALLS.get(name, ([], {}))
    numeric = [a for a in args[:1] if isinstance(a, int)]
    if numeric:
        assert d["args"][0] == hex64(numeric[0])
    elif not args:
        assert d["args"] == ["0x0"] * 6
    decoded = d.get("decoded") or {}
    for key, value in expected.items():
        assert decoded.get(key) == value, f"{name}: decoded {decoded}, expected {key}={value!r}"


def test_agent_baseline_run_summary(baseline_run):
    """The run as a whole: the exit record and the stderr summary count every refusal once."""
    r, records = baseline_run["r"], baseline_run["records"]
    assert r.returncode == 0, r.stderr[-3000:]
    exit_rec = lifecycle(records, "exit")
    assert exit_rec["detail"]["blocked_syscalls"] == {n: 1 for n in AGENT_X86_64}
    line = summary_line(r.stderr)
    assert line and f"blocked: {len(AGENT_X86_64)} syscalls" in line, r.stderr[-2000:]
    start = lifecycle(records, "start")
    assert start["detail"]["policy_hash"]
    assert start["detail"]["syscall_mode"] == "enforce"


# Path arguments of refused syscalls are read from the caller and recorded.
@pytest.mark.parametrize("name, args, key_value", [
    pytest.param("chroot", ["s:/tmp"], "/tmp", id="chroot"),
    pytest.param("open_tree_attr", [AT_FDCWD, "s:/tmp", 1, 0, 0], "/tmp", id="open_tree_attr"),
    pytest.param("uselib", ["s:/tmp/libx.so"], "/tmp/libx.so", id="uselib"),
    pytest.param("quotactl", [0x800002, "s:/dev/sda1", 0, 0], "/dev/sda1", id="quotactl"),
])
def test_path_arguments_decoded(run, workspace, sysc, audit_file, name, args, key_value):
    r, results, records = run_calls(run, workspace, sysc, [(name, name, args)], audit=audit_file)
    assert results[name] == (-1, EPERM)
    rec = one_record(records, name)
    assert key_value in decoded_values(rec), rec["detail"]


# --- conditional rules -------------------------------------------------------------------------

AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_ALG, AF_VSOCK, AF_UNIX = 2, 10, 16, 17, 38, 40, 1
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET, SOCK_PACKET = 1, 2, 3, 5, 10
SOCK_CLOEXEC = 0o2000000
NETLINK_ROUTE, NETLINK_AUDIT = 0, 9

SOCKETS_REFUSED = [
    ("packet_raw", [AF_PACKET, SOCK_RAW, 0x0300], {"family": "AF_PACKET", "type": "SOCK_RAW"}),
    ("packet_dgram", [AF_PACKET, SOCK_DGRAM, 0], {"family": "AF_PACKET"}),
    ("packet_family_high_bits", [(1 << 32) | AF_PACKET, SOCK_RAW, 0], {}),
    ("inet_raw", [AF_INET, SOCK_RAW, 1], {"family": "AF_INET", "type": "SOCK_RAW", "protocol": 1}),
    ("inet_raw_cloexec", [AF_INET, SOCK_RAW | SOCK_CLOEXEC, 1], {"type": "SOCK_RAW|SOCK_CLOEXEC"}),
    ("inet_packet", [AF_INET, SOCK_PACKET, 0], {"family": "AF_INET"}),
    ("inet6_raw", [AF_INET6, SOCK_RAW, 58], {"family": "AF_INET6", "type": "SOCK_RAW"}),
    ("netlink_audit", [AF_NETLINK, SOCK_RAW, NETLINK_AUDIT], {"family": "AF_NETLINK", "protocol": NETLINK_AUDIT}),
    ("netlink_audit_dgram", [AF_NETLINK, SOCK_DGRAM, NETLINK_AUDIT], {"family": "AF_NETLINK"}),
    ("netlink_route_high_bits", [AF_NETLINK, SOCK_RAW, 1 << 32], {"family": "AF_NETLINK"}),
    ("alg", [AF_ALG, SOCK_SEQPACKET, 0], {"family": "AF_ALG"}),
    ("vsock", [AF_VSOCK, SOCK_STREAM, 0], {"family": "AF_VSOCK"}),
]
SOCKETS_ALLOWED = [
    ("netlink_route", [AF_NETLINK, SOCK_RAW, NETLINK_ROUTE]),
    ("netlink_route_dgram", [AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE]),
    ("inet_stream", [AF_INET, SOCK_STREAM, 0]),
    ("inet_dgram", [AF_INET, SOCK_DGRAM, 0]),
    ("inet6_stream", [AF_INET6, SOCK_STREAM, 0]),
    ("unix_stream", [AF_UNIX, SOCK_STREAM, 0]),
]


@pytest.mark.parametrize("label, args, expected", SOCKETS_REFUSED, ids=[c[0] for c in SOCKETS_REFUSED])
def test_socket_refused(run, workspace, sysc, audit_file, label, args, expected):
    r, results, records = run_calls(run, workspace, sysc, [(label, "socket", args)], audit=audit_file)
    assert results[label] == (-1, EPERM), r.stdout + r.stderr
    rec = one_record(records, label)
    assert rec["detail"]["syscall"] == "socket" and "baseline agent" in rec["rule"], rec
    assert rec["detail"]["args"][0] == hex64(args[0])
    decoded = rec["detail"].get("decoded") or {}
    for key, value in expected.items():
        assert decoded.get(key) == value, decoded


def test_sockets_allowed(run, workspace, sysc, audit_file):
    """Routing netlink (what `ip` and glibc's getifaddrs use) and ordinary IP/unix sockets work."""
    calls = [(label, "socket", args) for label, args in SOCKETS_ALLOWED]
    r, results, records = run_calls(run, workspace, sysc, calls, audit=audit_file)
    for label, _ in SOCKETS_ALLOWED:
        ret, err = results[label]
        assert ret >= 0 and err == 0, f"{label}: ret={ret} errno={err}"
    assert syscall_records(records) == []
    assert summary_line(r.stderr) is None, r.stderr
    # And a real program using them: python resolves and talks over loopback.
    r = run(["run", "--", PY, "-c",
             "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); s.listen();"
             "c=socket.create_connection(s.getsockname()); a,_=s.accept(); c.sendall(b'ok'); print(a.recv(2).decode())"],
            workspace)
    assert r.returncode == 0 and r.stdout.strip() == "ok", r.stderr


TIOCSTI, TIOCLINUX, TIOCGWINSZ = 0x5412, 0x541C, 0x5413


@pytest.mark.parametrize("label, req, name", [
    ("tiocsti", TIOCSTI, "TIOCSTI"),
    ("tiocsti_high_bits", 0xDEAD_0000_0000 | TIOCSTI, "TIOCSTI"),
    ("tiocsti_bit32", (1 << 32) | TIOCSTI, "TIOCSTI"),
    ("tioclinux", TIOCLINUX, "TIOCLINUX"),
    ("tioclinux_high_bits", 0xFFFF_FFFF_0000_0000 | TIOCLINUX, "TIOCLINUX"),
])
def test_ioctl_terminal_injection_refused(run, workspace, sysc, audit_file, label, req, name):
    r, results, records = run_calls(run, workspace, sysc, [(label, "ioctl", [0, req, "s:x"])], audit=audit_file)
    assert results[label] == (-1, EPERM), r.stdout + r.stderr
    rec = one_record(records, label)
    assert rec["detail"]["syscall"] == "ioctl"
    assert rec["detail"]["args"][1] == hex64(req)
    assert rec["detail"]["decoded"]["request"] == name
    assert "terminal injection" in rec["rule"] or "baseline" in rec["rule"], rec["rule"]


def test_ioctl_terminal_injection_refused_whatever_the_profile(run, workspace, sysc, audit_file, tmp_host_dir):
    """The terminal-injection rules are always on: baseline "none" and allow = ["ioctl"] keep them."""
    profile = write_profile(tmp_host_dir, '[syscalls]\nbaseline = "none"\nallow = ["ioctl"]\n', "p.toml")
    r, results, records = run_calls(run, workspace, sysc, [("sti", "ioctl", [0, TIOCSTI, "s:x"]),
                                                           ("winsz", "ioctl", [0, TIOCGWINSZ, "b:8"])],
                                    options=["--profile", profile], audit=audit_file)
    assert results["sti"] == (-1, EPERM)
    assert one_record(records, "sti")["detail"]["decoded"]["request"] == "TIOCSTI"
    assert results["winsz"][1] != EPERM  # the kernel's answer (ENOTTY on /dev/null), not the filter's
    assert records_for_label(records, "winsz") == []


def test_ioctl_other_requests_allowed(run, workspace, sysc, audit_file):
    r, results, records = run_calls(run, workspace, sysc, [("winsz", "ioctl", [0, TIOCGWINSZ, "b:8"])], audit=audit_file)
    assert results["winsz"] == (-1, 25)  # ENOTTY: stdin is /dev/null
    assert syscall_records(records) == []


NAMESPACE_FLAGS = [("CLONE_NEWNS", 0x2_0000), ("CLONE_NEWCGROUP", 0x200_0000), ("CLONE_NEWUTS", 0x400_0000),
                   ("CLONE_NEWIPC", 0x800_0000), ("CLONE_NEWUSER", 0x1000_0000), ("CLONE_NEWPID", 0x2000_0000),
                   ("CLONE_NEWNET", 0x4000_0000)]


@pytest.mark.parametrize("flag, value", NAMESPACE_FLAGS, ids=[f for f, _ in NAMESPACE_FLAGS])
def test_clone_with_namespace_flag_refused(run, workspace, sysc, audit_file, flag, value):
    r, results, records = run_calls(run, workspace, sysc, [("clone", "clone", [value | SIGCHLD, 0, 0, 0, 0])],
                                    audit=audit_file)
    assert results["clone"] == (-1, EPERM), r.stdout + r.stderr
    rec = one_record(records, "clone")
    assert flag in rec["detail"]["decoded"]["flags"].split("|"), rec["detail"]
    assert "baseline agent" in rec["rule"] and "clone" in rec["rule"]


def test_clone_without_namespace_flags_allowed(run, workspace, sysc, audit_file):
    r, results, records = run_calls(run, workspace, sysc, [("fork", "clone", [SIGCHLD, 0, 0, 0, 0])], audit=audit_file)
    ret, err = results["fork"]
    assert ret > 0 and err == 0, results
    assert syscall_records(records) == []


def test_clone3_enosys_and_silent(run, workspace, sysc, audit_file):
    """clone3 hides its flags from the filter: ENOSYS (libc falls back to clone), not audited."""
    r, results, records = run_calls(run, workspace, sysc, [("clone3", "clone3", ["b:88", 88])], audit=audit_file)
    assert results["clone3"] == (-1, ENOSYS), r.stdout + r.stderr
    assert syscall_records(records) == []
    assert lifecycle(records, "exit")["detail"]["blocked_syscalls"] == {}
    assert summary_line(r.stderr) is None, r.stderr


@pytest.mark.parametrize("persona", [0x0, 0x8, 0x2_0000, 0x2_0008, 0xFFFF_FFFF], ids=hex)
def test_personality_allowed_values(run, workspace, sysc, audit_file, persona):
    r, results, records = run_calls(run, workspace, sysc, [("pers", "personality", [persona])], audit=audit_file)
    ret, err = results["pers"]
    assert ret >= 0 and err == 0, results
    assert syscall_records(records) == []


@pytest.mark.parametrize("persona", [0x004_0000, 0x040_0000, 0x020_0000, 0x800_0000], ids=hex)
def test_personality_changes_refused(run, workspace, sysc, audit_file, persona):
    """ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, ADDR_COMPAT_LAYOUT, ADDR_LIMIT_3GB."""
    r, results, records = run_calls(run, workspace, sysc, [("pers", "personality", [persona])], audit=audit_file)
    assert results["pers"] == (-1, EPERM)
    rec = one_record(records, "pers")
    assert rec["detail"]["decoded"]["persona"] == hex(persona)
    assert "baseline agent" in rec["rule"]


def test_setarch_cannot_disable_aslr(run, workspace):
    r = run(["run", "--", "setarch", "x86_64", "-R", "true"], workspace)
    assert r.returncode != 0
    assert "personality" in (summary_line(r.stderr) or ""), r.stderr


# --- other architectures ----------------------------------------------------------------------


def host_survives(sysc_build, mode, nr):
    r = subprocess.run([sysc_build, mode, str(nr)], capture_output=True, text=True, timeout=TIMEOUT)
    return r.returncode == 0 and "survived" in r.stdout


@pytest.mark.parametrize("nr", [39, 165], ids=["getpid", "mount"])
def test_x32_syscall_kills(run, workspace, sysc, sysc_build, audit_file, nr):
    assert host_survives(sysc_build, "x32", nr), "outside the sandbox the x32 call returns (ENOSYS)"
    r = run(["run", "--audit", audit_file, "--", sysc, "x32", str(nr)], workspace)
    assert r.returncode == SIGSYS_EXIT, (r.returncode, r.stdout, r.stderr)
    assert "calling" in r.stdout and "survived" not in r.stdout
    assert lifecycle(read_audit(audit_file), "exit")["detail"]["exit_code"] == SIGSYS_EXIT


@pytest.mark.parametrize("nr", [20, 21], ids=["getpid", "mount"])
def test_int80_syscall_kills(run, workspace, sysc, sysc_build, audit_file, nr):
    if not host_survives(sysc_build, "int80", 20):
        pytest.skip("this kernel has no 32-bit syscall entry (ia32_emulation off): int 0x80 cannot be tried")
    r = run(["run", "--audit", audit_file, "--", sysc, "int80", str(nr)], workspace)
    assert r.returncode == SIGSYS_EXIT, (r.returncode, r.stdout, r.stderr)
    assert "calling" in r.stdout and "survived" not in r.stdout


# --- allowed calls still work ------------------------------------------------------------------

TOOLCHAIN = r"""
set -e
git init -q repo
cd repo
echo hello > a.txt
git add a.txt
git -c user.name=Agent -c user.email=agent@example.com commit -q -m first
echo "commits: $(git log --oneline | wc -l)"
git status --porcelain | wc -l | sed 's/^/dirty: /'
cat > hello.c <<'EOF'
#include <stdio.h>
#include <pthread.h>
static void *work(void *p) { return p; }
int main(void) { pthread_t t; pthread_create(&t, 0, work, 0); pthread_join(t, 0); puts("hello from gcc"); return 0; }
EOF
if command -v gcc >/dev/null; then gcc -O1 -pthread -o hello hello.c && ./hello; else echo "hello from gcc"; fi
/usr/bin/python3 - <<'EOF'
import concurrent.futures, subprocess, threading, os
def job(i):
    return subprocess.run(["sh", "-c", f"echo {i}"], capture_output=True, text=True, check=True).stdout.strip()
with concurrent.futures.ThreadPoolExecutor(8) as pool:
    out = sorted(pool.map(job, range(16)), key=int)
pid = os.fork()
if pid == 0:
    os._exit(7)
_, status = os.waitpid(pid, 0)
print("python:", len(out), os.waitstatus_to_exitcode(status), threading.active_count())
EOF
echo "pipeline: $(seq 1 1000 | sort -rn | head -3 | tr '\n' ' ')"
mkdir -p d/e && touch d/e/f && ln -s f d/e/g && mv d/e/f d/e/h && rm -r d && echo "files: ok"
"""


def test_toolchain_runs_unhindered(run, workspace, audit_file):
    r = run(["run", "--audit", audit_file, "--", "sh", "-c", TOOLCHAIN], workspace,
            env=sandbox_env({"HOME": workspace}), timeout=TIMEOUT * 3)
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "commits: 1" in out and "dirty: 0" in out
    assert "hello from gcc" in out
    assert "python: 16 7 1" in out
    assert "pipeline: 1000 999 998" in out
    assert "files: ok" in out
    records = read_audit(audit_file)
    assert syscall_records(records) == [], syscall_records(records)
    assert summary_line(r.stderr) is None, r.stderr
    assert os.path.isdir(os.path.join(workspace, "repo", ".git"))


# --- Docker: built-in baseline and imported JSON ----------------------------------------------


def test_docker_baseline(run, workspace, sysc, audit_file, tmp_host_dir):
    """Docker's allow list: what it does not list is refused (mount, file_getattr: newer than the
    list); what it lists works even where agent refuses it (name_to_handle_at, AF_PACKET sockets
    are left to the kernel)."""
    profile = write_profile(tmp_host_dir, '[syscalls]\nbaseline = "docker"\n', "docker.toml")
    calls = [("mount", "mount", ["s:none", "s:/mnt", "s:tmpfs", 0, 0]),
             ("file_getattr", "file_getattr", [AT_FDCWD, "s:/tmp", "b:64", 64, 0]),
             ("unshare", "unshare", [0x1000_0000]),
             ("clone_newuser", "clone", [0x1000_0000 | SIGCHLD, 0, 0, 0, 0]),
             ("clone3", "clone3", ["b:88", 88]),
             ("handle", "name_to_handle_at", [AT_FDCWD, "s:/tmp", "b:128", "b:4", 0]),
             ("packet", "socket", [AF_PACKET, SOCK_RAW, 0x0300]),
             ("mkdir", "mkdir", ["s:newdir", 0o755])]
    r, results, records = run_calls(run, workspace, sysc, calls, options=["--profile", profile], audit=audit_file)
    for label in ["mount", "file_getattr", "unshare", "clone_newuser"]:
        assert results[label] == (-1, EPERM), (label, results)
        rec = one_record(records, label)
        assert "docker" in rec["rule"], rec["rule"]
        assert rec["detail"]["errno"] == "EPERM"
    assert one_record(records, "mount")["detail"]["decoded"]["target"] == "/mnt"
    assert results["clone3"] == (-1, ENOSYS) and records_for_label(records, "clone3") == []
    assert records_for_label(records, "handle") == []  # Docker allows it: the kernel answers
    assert records_for_label(records, "packet") == []  # no CAP_NET_RAW: the kernel answers
    assert results["packet"][1] == EPERM
    assert results["mkdir"] == (0, 0) and os.path.isdir(os.path.join(workspace, "newdir"))
    # A normal program still runs under it.
    r = run(["run", "--profile", profile, "--", "sh", "-c", f"echo a | {PY} -c 'import sys; print(sys.stdin.read().upper())'"],
            workspace)
    assert r.returncode == 0 and r.stdout.strip() == "A", r.stderr


def docker_json_without_mkdir():
    """A Docker-format profile in Docker's own shape: default SCMP_ACT_ERRNO, an allow list (every
    x86-64 syscall but mkdir/mkdirat and the ones with conditions below), argument conditions,
    capability and kernel-version filters, and clone3's ENOSYS."""
    conditional = {"clone", "clone3", "personality", "socket", "mkdir", "mkdirat", "mount", "umount2", "unshare",
                   "setns", "ptrace"}
    allowed = sorted(n for n in SYSCALLS if n not in conditional) + ["chown32", "_llseek"]  # other arches: skipped
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
        "syscalls": [
            {"names": allowed, "action": "SCMP_ACT_ALLOW"},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 4294967295, "op": "SCMP_CMP_EQ"}]},
            {"names": ["mount", "umount2", "unshare", "setns", "clone", "clone3"], "action": "SCMP_ACT_ALLOW",
             "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
             "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["mkdir"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
        ],
    }


def test_import_docker_json_enforces(run, workspace, sysc, audit_file, tmp_host_dir):
    with open(os.path.join(tmp_host_dir, "x.json"), "w") as f:
        json.dump(docker_json_without_mkdir(), f, indent=1)
    profile = write_profile(tmp_host_dir, '[syscalls]\nimport = "x.json"\n', "imp.toml")
    script = f"""
mkdir newdir; echo "mkdir=$?"
{PY} -c 'import os
try:
    os.mkdir("pydir")
except OSError as e:
    print("py", e.errno)'
echo hi | tr a-z A-Z
{call_line(sysc, "mount", NR["mount"], "s:none", "s:/mnt", "s:tmpfs", 0, 0)}
{call_line(sysc, "clone_newns", NR["clone"], 0x2_0000 | SIGCHLD, 0, 0, 0, 0)}
{call_line(sysc, "clone3", NR["clone3"], "b:88", 88)}
{call_line(sysc, "pers", NR["personality"], 0x4_0000)}
{call_line(sysc, "vsock", NR["socket"], AF_VSOCK, SOCK_STREAM, 0)}
{call_line(sysc, "inet", NR["socket"], AF_INET, SOCK_STREAM, 0)}
"""
    r = run(["run", "--profile", profile, "--audit", audit_file, "--", "sh", "-c", script], workspace)
    out, results, records = r.stdout, call_results(r.stdout), read_audit(audit_file)
    assert "mkdir=1" in out and "py 1" in out and "HI" in out, out + r.stderr
    assert not os.path.exists(os.path.join(workspace, "newdir"))
    mk = [rec for rec in syscall_records(records) if rec["detail"]["syscall"] in ("mkdir", "mkdirat")]
    assert len(mk) == 2, mk
    for rec in mk:
        assert rec["action"] == "deny" and rec["detail"]["errno"] == "EPERM"
        assert "x.json" in rec["rule"], rec["rule"]
    assert {os.path.basename(rec["exe"]) for rec in mk} >= {"mkdir"}
    for label in ["mount", "clone_newns", "pers", "vsock"]:
        assert results[label] == (-1, EPERM), (label, results)
        assert "x.json" in one_record(records, label)["rule"]
    assert results["clone3"] == (-1, ENOSYS) and records_for_label(records, "clone3") == []
    assert results["inet"][0] >= 0
    line = summary_line(r.stderr)
    assert line and "mkdir" in line, r.stderr


def test_import_deny_list_json(run, workspace, sysc, audit_file, tmp_host_dir):
    """The other common shape: allow by default, refuse a few."""
    with open(os.path.join(tmp_host_dir, "deny.json"), "w") as f:
        json.dump({"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}, f)
    profile = write_profile(tmp_host_dir, '[syscalls]\nimport = "deny.json"\n', "deny.toml")
    r = run(["run", "--profile", profile, "--audit", audit_file, "--", "sh", "-c", "mkdir newdir; echo mkdir=$?; touch f && echo touch=$?"],
            workspace)
    assert "mkdir=1" in r.stdout and "touch=0" in r.stdout, r.stdout + r.stderr
    records = read_audit(audit_file)
    mk = [rec for rec in syscall_records(records) if rec["detail"]["syscall"] in ("mkdir", "mkdirat")]
    assert len(mk) == 1 and "deny.json" in mk[0]["rule"], records


# --- profile keys ------------------------------------------------------------------------------


def test_deny_getcwd(run, workspace, audit_file, tmp_host_dir):
    profile = write_profile(tmp_host_dir, 'extends = "default"\n[syscalls]\ndeny = ["getcwd"]\n', "p.toml")
    r = run(["run", "--profile", profile, "--audit", audit_file, "--", "sh", "-c",
             f"pwd -P; {PY} -c 'import os; os.getcwd()'; echo py=$?"], workspace)
    assert "py=1" in r.stdout, r.stdout + r.stderr
    assert "getcwd" in r.stderr and "PermissionError" in r.stderr
    recs = syscall_records(read_audit(audit_file), "getcwd")
    assert len(recs) >= 2, recs  # the shell's and python's
    for rec in recs:
        assert rec["rule"] == "syscalls.deny: getcwd" and rec["detail"]["errno"] == "EPERM"
    assert any(rec["exe"].startswith("/usr/bin/python3") for rec in recs)


def test_allow_takes_mount_out_of_the_baseline(run, workspace, sysc, audit_file, tmp_host_dir):
    """Allowed by the filter, mount reaches the kernel, which refuses it for lack of capability:
    EPERM again, but nothing in the audit log."""
    profile = write_profile(tmp_host_dir, 'extends = "default"\n[syscalls]\nallow = ["mount"]\n', "p.toml")
    r, results, records = run_calls(run, workspace, sysc, [("mount", "mount", ["s:none", "s:/mnt", "s:tmpfs", 0, 0]),
                                                           ("umount2", "umount2", ["s:/mnt", 0])],
                                    options=["--profile", profile], audit=audit_file)
    assert results["mount"] == (-1, EPERM)
    assert records_for_label(records, "mount") == []
    assert results["umount2"] == (-1, EPERM)  # still in the baseline
    assert len(records_for_label(records, "umount2")) == 1
    assert lifecycle(records, "exit")["detail"]["blocked_syscalls"] == {"umount2": 1}


@pytest.mark.parametrize("errno_name, value", [("EACCES", EACCES), ("ENOSYS", ENOSYS)])
def test_on_deny_errno(run, workspace, sysc, audit_file, tmp_host_dir, errno_name, value):
    profile = write_profile(tmp_host_dir, f'extends = "default"\n[syscalls]\non_deny = "errno:{errno_name}"\n', "p.toml")
    r, results, records = run_calls(run, workspace, sysc, [("mount", "mount", ["s:none", "s:/mnt", "s:tmpfs", 0, 0]),
                                                           ("sti", "ioctl", [0, TIOCSTI, "s:x"])],
                                    options=["--profile", profile], audit=audit_file)
    assert results["mount"] == (-1, value)
    rec = one_record(records, "mount")
    assert rec["detail"]["errno"] == errno_name and rec["action"] == "deny"
    assert results["sti"][0] == -1


def test_on_deny_kill(run, workspace, sysc, audit_file, tmp_host_dir):
    profile = write_profile(tmp_host_dir, 'extends = "default"\n[syscalls]\non_deny = "kill"\n', "p.toml")
    r = run(["run", "--profile", profile, "--audit", audit_file, "--", sysc, "call", "mount", str(NR["mount"]),
             "s:none", "s:/mnt", "s:tmpfs", "0", "0"], workspace)
    assert r.returncode == SIGKILL_EXIT, (r.returncode, r.stdout, r.stderr)
    assert "ret=" not in r.stdout  # the call never returned
    records = read_audit(audit_file)
    rec = one_record(records, "mount")
    assert rec["action"] == "kill" and "errno" not in rec["detail"]
    assert rec["detail"]["decoded"]["target"] == "/mnt"
    assert lifecycle(records, "exit")["detail"]["exit_code"] == SIGKILL_EXIT
    # Only the caller dies: its parent shell goes on.
    r = run(["run", "--profile", profile, "--", "sh", "-c",
             f"{call_line(sysc, 'mount', NR['mount'], 0, 0, 0, 0, 0)}; echo status=$?"], workspace)
    assert "status=137" in r.stdout and r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("body, line, key, word", [
    ('[syscalls]\ndeny = ["getcwd", "nosuch_call"]\n', 2, "syscalls.deny", "nosuch_call"),
    ('extends = "default"\n\n[syscalls]\nallow = ["mount", "mount2"]\n', 4, "syscalls.allow", "mount2"),
    # (the line of the rule's table or of its `syscall` key)
    ('[syscalls]\n[[syscalls.rules]]\nsyscall = "sockett"\naction = "deny"\n', (2, 3), "syscalls.rules", "sockett"),
    ('[syscalls]\non_deny = "errno:EWHAT"\n', 2, "syscalls.on_deny", "EWHAT"),
    ('[syscalls]\nbaseline = "podman"\n', 2, "syscalls.baseline", "podman"),
    ('[syscalls]\nimport = "missing.json"\n', 2, "syscalls.import", "missing.json"),
    ('[capabilities]\nkeep = ["CAP_NET_BIND_SERVIC"]\n', 2, "capabilities.keep", "CAP_NET_BIND_SERVIC"),
])
def test_profile_errors_name_file_line_key(run, workspace, tmp_host_dir, body, line, key, word):
    profile = write_profile(tmp_host_dir, body, "bad.toml")
    marker = os.path.join(workspace, "ran")
    r = run(["run", "--profile", profile, "--", "touch", marker], workspace)
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = line if isinstance(line, tuple) else (line,)
    assert any(f"bad.toml:{n}:" in r.stderr for n in lines), r.stderr
    assert key in r.stderr and word in r.stderr, r.stderr
    assert not os.path.exists(marker)


def test_argument_rules(run, workspace, sysc, audit_file, tmp_host_dir):
    """[[syscalls.rules]]: a deny by argument (socket family by name) and an allow that punches a
    hole in the baseline (one personality value); the first matching rule decides."""
    profile = write_profile(tmp_host_dir, """extends = "default"
[syscalls]
[[syscalls.rules]]
syscall = "socket"
action = "deny"
args = [{ index = 0, op = "==", value = "AF_UNIX" }]
[[syscalls.rules]]
syscall = "personality"
action = "allow"
args = [{ index = 0, op = "==", value = 0x40000 }]
""", "p.toml")
    r, results, records = run_calls(run, workspace, sysc, [("unix", "socket", [AF_UNIX, SOCK_STREAM, 0]),
                                                           ("inet", "socket", [AF_INET, SOCK_STREAM, 0]),
                                                           ("pers_ok", "personality", [0x4_0000]),
                                                           ("pers_no", "personality", [0x40_0000])],
                                    options=["--profile", profile], audit=audit_file)
    assert results["unix"] == (-1, EPERM)
    rec = one_record(records, "unix")
    assert "rules" in rec["rule"] and rec["detail"]["decoded"]["family"] == "AF_UNIX", rec["rule"]
    assert results["inet"][0] >= 0 and records_for_label(records, "inet") == []
    assert results["pers_ok"][0] >= 0 and records_for_label(records, "pers_ok") == []
    assert results["pers_no"] == (-1, EPERM) and "baseline agent" in one_record(records, "pers_no")["rule"]


def test_baseline_none(run, workspace, sysc, audit_file, tmp_host_dir):
    """No baseline: the kernel alone answers (no capability), nothing is audited."""
    profile = write_profile(tmp_host_dir, '[syscalls]\nbaseline = "none"\n', "p.toml")
    r, results, records = run_calls(run, workspace, sysc, [("pers", "personality", [0x4_0000]),
                                                           ("mount", "mount", ["s:none", "s:/mnt", "s:tmpfs", 0, 0])],
                                    options=["--profile", profile], audit=audit_file)
    assert results["pers"][0] >= 0
    assert results["mount"] == (-1, EPERM)
    assert syscall_records(records) == []


# --- learn mode --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "profile"])
def test_learn_mode_records_and_proceeds(run, workspace, sysc, audit_file, tmp_host_dir, how):
    if how == "flag":
        options = ["--learn"]
    else:
        options = ["--profile", write_profile(tmp_host_dir, 'extends = "default"\n[syscalls]\nmode = "learn"\n', "p.toml")]
    calls = [("pers", "personality", [0x4_0000]),                    # the kernel allows it: succeeds
             ("mount", "mount", ["s:none", "s:/mnt", "s:tmpfs", 0, 0]),  # the kernel refuses it (no capability)
             ("unshare", "unshare", [0x1000_0000])]                   # a new user namespace: succeeds
    r, results, records = run_calls(run, workspace, sysc, calls, options=options, audit=audit_file)
    assert results["pers"] == (0, 0), results
    assert results["mount"] == (-1, EPERM), results
    assert results["unshare"] == (0, 0), results
    for label, name in [("pers", "personality"), ("mount", "mount"), ("unshare", "unshare")]:
        rec = one_record(records, label)
        assert rec["action"] == "learn" and rec["detail"]["syscall"] == name, rec
        assert "errno" not in rec["detail"]
        assert "baseline agent" in rec["rule"]
    assert one_record(records, "mount")["detail"]["decoded"]["target"] == "/mnt"
    assert lifecycle(records, "start")["detail"]["syscall_mode"] == "learn"


def test_learn_mode_keeps_architecture_and_clone3_rules(run, workspace, sysc, audit_file):
    r = run(["run", "--learn", "--audit", audit_file, "--", sysc, "x32", "39"], workspace)
    assert r.returncode == SIGSYS_EXIT, (r.returncode, r.stderr)


# --- capabilities ------------------------------------------------------------------------------

CAP_NET_BIND_SERVICE = 10
SHOW_CAPS = "grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):' /proc/self/status"
BIND_80_PY = """import socket
s = socket.socket()
try:
    s.bind(("127.0.0.1", 80))
    s.listen()
    print("bound", s.getsockname()[1])
except OSError as e:
    print("bind errno", e.errno)
"""


def bind_80(workspace):
    """Shell command: a python3 server binding 127.0.0.1:80, printing `bound 80` or `bind errno N`."""
    with open(os.path.join(workspace, "bind80.py"), "w") as f:
        f.write(BIND_80_PY)
    return f"{PY} {workspace}/bind80.py"


def parse_status(text):
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines() if ":" in line)}


def test_no_capabilities_by_default(run, workspace):
    r = run(["run", "--", "sh", "-c", f"{SHOW_CAPS}; {bind_80(workspace)}"], workspace)
    assert r.returncode == 0, r.stderr
    status = parse_status(r.stdout)
    for key in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"]:
        assert int(status[key], 16) == 0, (key, status)
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"
    assert f"bind errno {EACCES}" in r.stdout, r.stdout


def test_keep_net_bind_service(run, workspace, tmp_host_dir):
    profile = write_profile(tmp_host_dir, 'extends = "default"\n[capabilities]\nkeep = ["CAP_NET_BIND_SERVICE"]\n', "p.toml")
    r = run(["run", "--profile", profile, "--", "sh", "-c", f"{SHOW_CAPS}; {bind_80(workspace)}"], workspace)
    assert r.returncode == 0, r.stderr
    status = parse_status(r.stdout)
    for key in ["CapEff", "CapBnd", "CapAmb", "CapPrm", "CapInh"]:
        assert int(status[key], 16) == 1 << CAP_NET_BIND_SERVICE, (key, status)
    assert status["NoNewPrivs"] == "1"
    assert "bound 80" in r.stdout, r.stdout + r.stderr


def test_kept_capability_survives_exec_but_grants_nothing_else(run, workspace, tmp_host_dir, sysc):
    """CAP_NET_BIND_SERVICE is ambient, so it reaches programs the shell starts; it does not make
    mount possible."""
    profile = write_profile(tmp_host_dir, 'extends = "default"\n[capabilities]\nkeep = ["CAP_NET_BIND_SERVICE"]\n'
                                          '[syscalls]\nallow = ["mount"]\n', "p.toml")
    r = run(["run", "--profile", profile, "--", "sh", "-c",
             f"sh -c '{bind_80(workspace)}'; "
             f"{call_line(sysc, 'mount', NR['mount'], 's:none', 's:/mnt', 's:tmpfs', 0, 0)}"], workspace)
    assert "bound 80" in r.stdout, r.stdout + r.stderr
    assert call_results(r.stdout)["mount"] == (-1, EPERM)


# --- bursts ------------------------------------------------------------------------------------


def run_measured(argv, cwd, out_dir):
    """Runs interlock, polling its VmHWM while it runs. Returns (exit code, stdout, stderr, peak kB
    seen, ru_maxrss kB from wait4: an upper bound of the supervisor's own peak)."""
    out_path, err_path = os.path.join(out_dir, "out.txt"), os.path.join(out_dir, "err.txt")
    maxrss_path = os.path.join(out_dir, "maxrss.txt")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        p = subprocess.Popen([PY, CHILD_RUSAGE, maxrss_path, *argv], cwd=cwd, stdin=subprocess.DEVNULL,
                             stdout=out, stderr=err, env=sandbox_env())
    peak, status, rusage = 0, None, None
    deadline = time.monotonic() + TIMEOUT * 5
    try:
        while status is None:
            try:
                with open(f"/proc/{p.pid}/task/{p.pid}/children") as f:
                    child = f.read().split()[0]
                with open(f"/proc/{child}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            peak = max(peak, int(line.split()[1]))
            except (OSError, ValueError, IndexError):  # the wrapper has not forked yet
                pass
            pid, st, ru = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                status, rusage = st, ru
                break
            if time.monotonic() > deadline:
                raise AssertionError("the burst run did not finish")
            time.sleep(0.02)
    finally:
        if status is None:
            p.kill()
            os.waitpid(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status) if status is not None else -9
    with open(out_path) as f:
        stdout = f.read()
    with open(err_path) as f:
        stderr = f.read()
    with open(maxrss_path) as f:
        return p.returncode, stdout, stderr, peak, int(f.read())


@pytest.mark.parametrize("processes", [1, 4])
def test_burst_counts_exactly(interlock, workspace, sysc, audit_file, processes):
    total = 100_000
    each = total // processes
    mount = NR["mount"]
    script = " & ".join(f"{sysc} burst {each} {mount} 0 0 0 0 0" for _ in range(processes)) + "; wait"
    code, out, stderr, peak_kb, maxrss_kb = run_measured(
        [interlock, "run", "--audit", audit_file, "--", "sh", "-c", script], workspace,
        os.path.dirname(audit_file))
    assert code == 0, stderr
    assert out.count(f"calls={each} eperm={each} other=0") == processes, out
    line = summary_line(stderr)
    assert line and f"blocked: {total} syscalls" in line and f"mount ×{total}" in line, stderr
    records = read_audit(audit_file)
    assert exact_count(records, "mount") == total
    assert lifecycle(records, "exit")["detail"]["blocked_syscalls"] == {"mount": total}
    with open(audit_file) as f:
        lines = sum(1 for _ in f)
    assert lines < 200 * processes, lines  # 50 full records per process, then one aggregate
    aggregates = [r for r in syscall_records(records, "mount") if r.get("count")]
    assert len(aggregates) == processes
    assert peak_kb < 100 * 1024, f"supervisor VmHWM {peak_kb} kB"
    assert maxrss_kb < 100 * 1024, f"ru_maxrss {maxrss_kb} kB"


def test_ps_and_top_run_without_refusals(run, workspace, audit_file):
    """procps (through libnuma) reads and sets its own NUMA policy on every start
    (get_mempolicy, set_mempolicy): the agent baseline allows both, as they only concern the
    calling thread, so `ps` and `top` leave nothing in the summary or the log."""
    if not shutil.which("ps") or not shutil.which("top"):
        pytest.skip("procps is not installed")
    r = run(["run", "-v", "--audit", audit_file, "--", "sh", "-c", "ps -e >/dev/null && top -b -n 1 >/dev/null"], workspace)
    assert r.returncode == 0, r.stderr[-2000:]
    line = summary_line(r.stderr)
    assert line and "nothing blocked" in line, r.stderr[-2000:]
    with open(audit_file) as f:
        records = [json.loads(l) for l in f if l.strip()]
    assert not [x for x in records if x["kind"] == "syscall"], records
