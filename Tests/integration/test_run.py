"""`interlock run`: exit status, stdio, processes, identity, network, privileges."""

import os
import shutil
import signal
import socket
import stat
import subprocess
import threading

import pytest

from conftest import (write_profile, NOBODY, SETPRIV_NOBODY, PY, SANDBOX_UID_BASE, TIMEOUT, pid_alive, pids_with_argv, proc_status,
                      sandbox_env, unique, unique_sleep_arg, wait_until)


# --- exit status and stdio -------------------------------------------------------------------


def test_exit_code_propagates(run, workspace):
    r = run.sandbox("exit 7", workspace)
    assert r.returncode == 7, r.stderr


def test_exit_zero(run, workspace):
    r = run(["run", "--", "true"], workspace)
    assert r.returncode == 0, r.stderr
    r = run(["run", "--", "false"], workspace)
    assert r.returncode == 1, r.stderr


@pytest.mark.parametrize("sig, code", [("TERM", 143), ("KILL", 137), ("INT", 130), ("SEGV", 139)])
def test_death_by_signal_is_128_plus_n(run, workspace, sig, code):
    r = run.sandbox(f"kill -{sig} $$", workspace)
    assert r.returncode == code, r.stderr


def test_command_not_found_is_127(run, workspace):
    name = unique("no-such-command-")
    r = run(["run", "--", name], workspace)
    assert r.returncode == 127
    assert f"{name}: command not found" in r.stderr


def test_command_not_executable_is_126(run, workspace):
    path = os.path.join(workspace, "not-executable")
    with open(path, "w") as f:
        f.write("#!/bin/sh\necho should-not-run\n")
    os.chmod(path, 0o644)
    r = run(["run", "--", path], workspace)
    assert r.returncode == 126
    assert "should-not-run" not in r.stdout


def test_no_command_is_usage_error(run, workspace):
    r = run(["run", "--"], workspace)
    assert r.returncode == 2
    assert "no command given" in r.stderr


def test_stdin_pipe_passes_through(run, workspace):
    r = run(["run", "--", "cat"], workspace, input="hi\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hi\n"


def test_large_stdin_is_byte_exact(run, workspace):
    data = os.urandom(1024 * 1024)
    r = run(["run", "--", "cat"], workspace, input=data, text=False)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout) == len(data)
    assert r.stdout == data


def test_large_output_through_pipe(run, workspace):
    r = run([ "run", "--", "head", "-c", str(4 * 1024 * 1024), "/dev/zero"], workspace, text=False)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"\0" * (4 * 1024 * 1024)


def test_stdout_and_stderr_are_separate(run, workspace):
    r = run.sandbox("echo to-out; echo to-err >&2; echo more-out", workspace)
    assert r.returncode == 0
    assert r.stdout == "to-out\nmore-out\n"
    assert "to-err" in r.stderr
    assert "to-out" not in r.stderr


def test_stdin_eof_reaches_command(run, workspace):
    # No input at all: `wc -c` must see EOF at once and count zero bytes.
    r = run(["run", "--", "wc", "-c"], workspace, input="")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0"


def test_arguments_are_passed_verbatim(run, workspace):
    args = ["a b", "", "$HOME", "*", "'q'", "ünïcödé"]
    r = run(["run", "--", PY, "-c", "import sys; print(repr(sys.argv[1:]))", *args], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == repr(args)


def test_cwd_inside_is_workspace(run, workspace):
    r = run(["run", "--", "pwd"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == workspace


def test_sandbox_marker_variable(run, workspace):
    r = run.sandbox('echo "id=$INTERLOCK_SANDBOX"', workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("id=") and len(r.stdout.strip()) > len("id=")


# --- processes ---------------------------------------------------------------------------------


def test_ps_shows_only_sandbox_processes(run, workspace, procs):
    host_arg = unique_sleep_arg()
    host_sleep = procs.start(["sleep", host_arg])
    r = run([ "run", "--", "ps", "-e", "-o", "pid=,args="], workspace)
    assert r.returncode == 0, r.stderr
    rows = [line.split(None, 1) for line in r.stdout.strip().splitlines()]
    pids = [int(row[0]) for row in rows]
    assert 1 in pids
    assert len(rows) <= 5, r.stdout  # init, ps, maybe a few: never the host's hundreds
    assert host_arg not in r.stdout
    for row in rows:
        assert "pytest" not in row[-1]
        assert "sleep" not in row[-1]
    # The host, for comparison, sees far more (including our sleep).
    host = subprocess.run(["ps", "-e", "-o", "pid=,args="], capture_output=True, text=True).stdout
    assert host_arg in host


def test_cannot_signal_host_process(run, workspace, procs):
    host_sleep = procs.start(["sleep", "300"])
    wait_until(lambda: pid_alive(host_sleep.pid), message="host sleep to start")
    r = run.sandbox(f"kill -0 {host_sleep.pid} && echo SIGNALLED; kill -KILL {host_sleep.pid} && echo KILLED; exit 0",
                    workspace)
    assert r.returncode == 0, r.stderr
    assert "SIGNALLED" not in r.stdout
    assert "KILLED" not in r.stdout
    assert host_sleep.poll() is None and pid_alive(host_sleep.pid)


def test_hostname_is_interlock(run, workspace):
    r = run(["run", "--", "hostname"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "interlock"
    assert socket.gethostname() != "interlock"


def test_hostname_change_stays_inside(run, workspace):
    before = socket.gethostname()
    r = run([ "run", "--", PY, "-c", "import socket; socket.sethostname('changed'); print(socket.gethostname())"],
            workspace)
    # Either refused (no capability left) or confined to the sandbox's uts namespace.
    assert socket.gethostname() == before
    if r.returncode == 0:
        assert r.stdout.strip() == "changed"
    else:
        assert "PermissionError" in r.stderr


def test_ipc_namespace_is_private(run, workspace):
    made = subprocess.run(["ipcmk", "-M", "4096"], capture_output=True, text=True, timeout=TIMEOUT)
    if made.returncode != 0:
        pytest.skip("ipcmk unavailable: " + made.stderr)
    shmid = made.stdout.split()[-1]
    try:
        host = subprocess.run(["ipcs", "-m"], capture_output=True, text=True).stdout
        assert f" {shmid} " in host  # control: the host lists it
        r = run(["run", "--", "ipcs", "-m"], workspace)
        assert r.returncode == 0, r.stderr
        assert f" {shmid} " not in r.stdout
    finally:
        subprocess.run(["ipcrm", "-m", shmid])


def test_cgroup_namespace_hides_host_paths(run, workspace):
    write_profile(workspace, 'extends = "default"\n[limits]\npids = 100\n')
    r = run(["run", "--", "cat", "/proc/self/cgroup"], workspace)
    assert r.returncode == 0, r.stderr
    paths = [line.split(":", 2)[2] for line in r.stdout.strip().splitlines()]
    assert paths and all(p == "/" for p in paths), r.stdout


def test_single_id_mapped(run, workspace):
    r = run.sandbox("cat /proc/self/uid_map /proc/self/gid_map", workspace)
    assert r.returncode == 0, r.stderr
    rows = [line.split() for line in r.stdout.strip().splitlines()]
    assert len(rows) == 2
    for inner, outer, count in rows:
        assert count == "1"
        if os.geteuid() == 0:
            assert int(outer) >= SANDBOX_UID_BASE
        else:
            assert int(outer) == os.geteuid()


# --- network -----------------------------------------------------------------------------------


def test_only_loopback_interface(run, workspace):
    r = run(["run", "--", "cat", "/proc/net/dev"], workspace)
    assert r.returncode == 0, r.stderr
    interfaces = [line.split(":")[0].strip() for line in r.stdout.splitlines()[2:] if ":" in line]
    assert interfaces == ["lo"]


def test_loopback_is_up_inside(run, workspace):
    script = (
        "import socket\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(1)\n"
        "c = socket.create_connection(s.getsockname(), timeout=10)\n"
        "a, _ = s.accept(); a.sendall(b'pong'); print(c.recv(4).decode())\n"
    )
    r = run(["run", "--", PY, "-c", script], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "pong"


def test_host_loopback_server_unreachable(run, workspace):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    accepted = []

    def accept():
        server.settimeout(1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
                conn.close()
            except OSError:
                pass

    stop = threading.Event()
    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        # The host can reach it.
        socket.create_connection(("127.0.0.1", port), timeout=10).close()
        wait_until(lambda: accepted, message="host connection accepted")
        accepted.clear()
        script = (
            "import socket, errno\n"
            f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=10); print('CONNECTED')\n"
            "except OSError as e:\n    print('ERR', errno.errorcode.get(e.errno, e.errno))\n"
        )
        r = run(["run", "--", PY, "-c", script], workspace)
        assert r.returncode == 0, r.stderr
        assert "CONNECTED" not in r.stdout
        assert r.stdout.startswith("ERR ECONNREFUSED"), r.stdout
        assert not accepted
    finally:
        stop.set()
        t.join(timeout=10)
        server.close()


# --- root safety (these run as root) -----------------------------------------------------------

requires_root = pytest.mark.skipif(os.geteuid() != 0, reason="root-invoked identity")


@requires_root
def test_root_workspace_is_uid0_inside_but_not_on_host(run, interlock, workspace, procs):
    r = run(["run", "--", "id", "-u"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "0"

    arg = unique_sleep_arg()
    p = procs.start([interlock, "run", "--", "sleep", arg], cwd=workspace)
    pids = wait_until(lambda: pids_with_argv(["sleep", arg]), message="sandboxed sleep on the host")
    st = proc_status(pids[0])
    uids = [int(x) for x in st["Uid"].split()]
    gids = [int(x) for x in st["Gid"].split()]
    assert all(u >= SANDBOX_UID_BASE for u in uids), st["Uid"]
    assert all(g >= SANDBOX_UID_BASE for g in gids), st["Gid"]
    assert st["CapEff"] == "0000000000000000"
    # A different, unprivileged host uid for every run.
    arg2 = unique_sleep_arg()
    p2 = procs.start([interlock, "run", "--", "sleep", arg2], cwd=workspace)
    pids2 = wait_until(lambda: pids_with_argv(["sleep", arg2]), message="second sandboxed sleep")
    uid2 = int(proc_status(pids2[0])["Uid"].split()[0])
    assert uid2 >= SANDBOX_UID_BASE and uid2 != uids[0]
    p.send_signal(signal.SIGTERM)
    p2.send_signal(signal.SIGTERM)
    assert p.wait(timeout=TIMEOUT) == 143
    assert p2.wait(timeout=TIMEOUT) == 143


@requires_root
def test_workspace_owner_uid_inside(run, workspace):
    os.chown(workspace, 1000, 1000)
    r = run.sandbox("id -u; id -g; touch made-inside; stat -c %u:%g made-inside", workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1000", "1000", "1000:1000"]
    st = os.stat(os.path.join(workspace, "made-inside"))
    assert (st.st_uid, st.st_gid) == (1000, 1000)


@requires_root
@pytest.mark.parametrize("path", [p for p in ("/proc/sys/vm/drop_caches", "/proc/sys/kernel/hostname",
                                            "/proc/sysrq-trigger") if os.path.exists(p)])
def test_cannot_write_proc_knobs(run, workspace, path):
    script = (
        "import errno\n"
        f"try:\n    open({path!r}, 'w').write('1\\n'); print('WROTE')\n"
        "except OSError as e:\n    print('ERR', errno.errorcode.get(e.errno, e.errno))\n"
    )
    r = run(["run", "--", PY, "-c", script], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ERR"), r.stdout


@requires_root
def test_cannot_write_sysfs(run, workspace):
    knobs = [p for p in ("/sys/kernel/mm/transparent_hugepage/enabled", "/sys/kernel/mm/ksm/run",
                         "/sys/kernel/mm/transparent_hugepage/defrag") if os.path.exists(p)]
    assert knobs, "no /sys/kernel/mm knob on this host"
    before = {k: open(k).read() for k in knobs}
    script = (
        "import errno, sys\n"
        "for p in sys.argv[1:]:\n"
        "    try:\n        open(p, 'w').write(open(p).read().split()[0].strip('[]') + '\\n'); print('WROTE', p)\n"
        "    except OSError as e:\n        print('ERR', errno.errorcode.get(e.errno, e.errno), p)\n"
    )
    r = run(["run", "--", PY, "-c", script, *knobs], workspace)
    assert r.returncode == 0, r.stderr
    assert "WROTE" not in r.stdout
    assert r.stdout.count("ERR") == len(knobs)
    assert {k: open(k).read() for k in knobs} == before


@requires_root
def test_cannot_write_host_cgroupfs(run, workspace):
    script = (
        "import errno, os\n"
        "try:\n    os.mkdir('/sys/fs/cgroup/pids/interlock-escape-test'); print('MADE')\n"
        "except OSError as e:\n    print('ERR', errno.errorcode.get(e.errno, e.errno))\n"
    )
    try:
        r = run(["run", "--", PY, "-c", script], workspace)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("ERR"), r.stdout
    finally:
        if os.path.isdir("/sys/fs/cgroup/pids/interlock-escape-test"):
            os.rmdir("/sys/fs/cgroup/pids/interlock-escape-test")


def _unix_server(path, mode):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    os.chmod(path, mode)
    s.listen(8)
    return s


CONNECT_SCRIPT = (
    "import socket, sys, errno\n"
    "s = socket.socket(socket.AF_UNIX)\n"
    "try:\n    s.connect(sys.argv[1]); print('CONNECTED')\n"
    "except OSError as e:\n    print('ERR', errno.errorcode.get(e.errno, e.errno))\n"
)


@requires_root
def test_root_owned_unix_socket_refused(run, workspace):
    path = f"/run/interlock-test-{unique()}.sock"
    server = _unix_server(path, 0o600)
    try:
        # Control: root on the host can connect.
        c = socket.socket(socket.AF_UNIX)
        c.connect(path)
        c.close()
        r = run(["run", "--", PY, "-c", CONNECT_SCRIPT, path], workspace)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "ERR EACCES"
    finally:
        server.close()
        os.unlink(path)


@requires_root
def test_world_writable_unix_socket_masked_unless_granted(run, workspace, tmp_path):
    # A socket stays connectable through a read-only bind mount, so a host socket the sandbox
    # could connect to (0666 here) is masked; granting that one socket by path opens it.
    path = f"/run/interlock-test-{unique()}.sock"
    server = _unix_server(path, 0o666)
    try:
        r = run(["run", "--", PY, "-c", CONNECT_SCRIPT, path], workspace)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip().startswith("ERR"), r.stdout
        profile = tmp_path / "grant.toml"
        profile.write_text(f'extends = "default"\n[network]\nunix_sockets = ["{path}"]\n')
        r = run(["run", "--profile", str(profile), "--", PY, "-c", CONNECT_SCRIPT, path], workspace)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "CONNECTED"
    finally:
        server.close()
        os.unlink(path)


def test_no_capabilities(run, workspace):
    r = run(["run", "--", "grep", "^Cap", "/proc/self/status"], workspace)
    assert r.returncode == 0, r.stderr
    caps = dict(line.split(":\t") for line in r.stdout.strip().splitlines())
    for key in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert int(caps[key], 16) == 0, (key, caps[key])


def test_no_new_privs_and_seccomp(run, workspace):
    r = run(["run", "--", "grep", "-E", "^(NoNewPrivs|Seccomp):", "/proc/self/status"], workspace)
    assert r.returncode == 0, r.stderr
    fields = dict(line.split(":\t") for line in r.stdout.strip().splitlines())
    assert fields["NoNewPrivs"] == "1"
    assert fields["Seccomp"] == "2"


@requires_root
def test_setuid_binary_gains_nothing(run, workspace, procs, interlock):
    # The workspace belongs to uid 1000: inside, that is who runs. A setuid-root `id` must not
    # make it root (root's files are unmapped inside, the mount is nosuid, no_new_privs is set).
    os.chown(workspace, 1000, 1000)
    suid_id = os.path.join(workspace, "suid-id")
    shutil.copy("/usr/bin/id", suid_id)
    os.chown(suid_id, 0, 0)
    os.chmod(suid_id, 0o4755)
    assert os.stat(suid_id).st_mode & stat.S_ISUID
    r = run.sandbox(f"{suid_id} -u; {suid_id} -ru", workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["1000", "1000"]


@requires_root
def test_setuid_root_process_not_root_on_host(workspace, procs, interlock):
    # A setuid-root copy of sleep in a root-owned workspace: whatever it is inside, on the host
    # the process holds only the sandbox's unprivileged uid, in every uid field.
    suid_sleep = os.path.join(workspace, "suid-sleep")
    shutil.copy("/usr/bin/sleep", suid_sleep)
    os.chmod(suid_sleep, 0o4755)
    arg = unique_sleep_arg()
    p = procs.start([interlock, "run", "--", suid_sleep, arg], cwd=workspace)
    pids = wait_until(lambda: pids_with_argv([suid_sleep, arg]), message="setuid sleep on the host")
    uids = [int(x) for x in proc_status(pids[0])["Uid"].split()]
    assert 0 not in uids
    assert all(u >= SANDBOX_UID_BASE for u in uids), uids
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=TIMEOUT) == 143


# --- unprivileged caller -----------------------------------------------------------------------

@requires_root
def test_unprivileged_caller_identity(nobody, workspace):
    ws = workspace
    r = nobody(["run", "--", "sh", "-c", "id -u; id -g"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == [str(NOBODY), str(NOBODY)]


@requires_root
def test_unprivileged_caller_filesystem(nobody, workspace):
    ws = workspace
    r = nobody(["run", "--", "sh", "-c",
                               "echo data > in-ws && echo WS_OK; touch /usr/interlock-x 2>&1; echo usr=$?"])
    assert r.returncode == 0, r.stderr
    assert "WS_OK" in r.stdout
    assert "Read-only file system" in r.stdout
    assert "usr=1" in r.stdout
    st = os.stat(os.path.join(ws, "in-ws"))
    assert st.st_uid == NOBODY
    assert not os.path.exists("/usr/interlock-x")


@requires_root
def test_unprivileged_caller_exit_codes(nobody, workspace):
    ws = workspace
    assert nobody(["run", "--", "sh", "-c", "exit 7"]).returncode == 7
    assert nobody(["run", "--", "sh", "-c", "kill -TERM $$"]).returncode == 143
    r = nobody(["run", "--", unique("no-such-command-")])
    assert r.returncode == 127


@requires_root
def test_unprivileged_caller_isolation(nobody, workspace):
    ws = workspace
    r = nobody(["run", "--", "sh", "-c",
                               "hostname; ps -e -o pid= | wc -l; grep ^CapEff /proc/self/status"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split("\n")
    assert lines[0] == "interlock"
    assert int(lines[1]) <= 5
    assert lines[2].split()[-1] == "0000000000000000"


@requires_root
def test_unprivileged_setuid_root_binary_gains_nothing(nobody, workspace):
    ws = workspace
    # Root's file in nobody's workspace (the only host directory the sandbox sees unchanged).
    suid_id = os.path.join(ws, "suid-id")
    shutil.copy("/usr/bin/id", suid_id)
    os.chmod(suid_id, 0o4755)
    # Control: outside the sandbox, nobody running it does become euid 0.
    outside = subprocess.run(SETPRIV_NOBODY + [suid_id, "-u"], capture_output=True, text=True, timeout=TIMEOUT)
    assert outside.stdout.strip() == "0"
    r = nobody(["run", "--", suid_id, "-u"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == str(NOBODY)
