"""Faults injected into the supervisor (issue 9): SIGKILL at each phase of start-up and mid-run,
a crashed egress proxy, an audit log that cannot be written (read-only, disk full at start,
disk full mid-run), and many runs, one after another and at once. After each: no survivor,
nothing mounted, namespaced or in a cgroup, no zombie, no temporary file, no descriptor.

Start-up phases are reached with the test-only INTERLOCK_TEST_STOP_AT=STEP (the supervisor
stops itself after that step; see StartupTrace.swift); the proxy crash with
INTERLOCK_TEST_FAULT=proxy-crash (its listeners fail after the first connection closes). Both
are read from the supervisor's environment only: the sandbox never gets INTERLOCK_TEST_*.
"""

import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid

import pytest

from conftest import ROOT, TIMEOUT, read_audit, requires_root, sandbox_env, write_profile
from integration_conftest import pid_alive, pids_with_argv, unique_sleep_arg, wait_until
from leaks import leaks, pids_with_env, snapshot
from test_escapes import Listener

SEQUENTIAL = int(os.environ.get("INTERLOCK_ADV_SEQUENTIAL", "200"))
CONCURRENT = 50


def full_profile(workspace, port=None):
    """Everything a run sets up: cgroups (as root), egress listeners, masks watched for opens."""
    with open(os.path.join(workspace, ".env.production"), "w") as f:
        f.write("DATABASE_PASSWORD=hunter2hunter2hunter2\n")
    egress = f'["allowed.test:{port}"]' if port else "[]"
    write_profile(workspace, f'extends = "default"\n[limits]\nmemory = "256M"\npids = 128\n'
                             f'[network]\negress = {egress}\nhosts = {{ "allowed.test" = "127.0.0.1" }}\n')


def marker_env(extra=None):
    marker = uuid.uuid4().hex
    env = sandbox_env({"ADV_RUN_MARKER": marker, **(extra or {})})
    return marker, env


def state_of(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        return data[data.rindex(b")") + 2:][:1].decode()
    except OSError:
        return None


def children_of(pid):
    try:
        return [int(x) for x in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def settle(interlock, workspace, env, marker, supervisors, before):
    """Waits for our processes to go, lets a normal run collect stale cgroups, returns leaks."""
    wait_until(lambda: not pids_with_env(marker), message="sandbox processes to die")
    r = subprocess.run([interlock, "run", "--", "true"], cwd=workspace, env=sandbox_env(), capture_output=True,
                       text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    wait_until(lambda: not leaks(before, snapshot(), marker, supervisors).get("cgroups"), timeout=30,
               message="stale cgroups collected")
    return leaks(before, snapshot(), marker, supervisors)


# --- SIGKILL of the supervisor at each phase ------------------------------------------------------

PHASES = [
    "binary start",                  # profile loaded and approved
    "secrets scan",
    "host sockets",
    "mount plan",
    "seccomp rules",                 # the filter compiled
    "audit log, channels",           # the audit log holds its start record, no sandbox yet
    "clone3 into new namespaces",    # the child exists, waits for its maps
    "uid/gid maps",                  # maps written, mounts handed over
    "cgroups created",               # cgroups exist, the child is in them, building its mounts
    "sandbox setup in the child",    # the command runs
    "seccomp listener received",     # the supervisor answers for the filter
    "the command ran",               # the command is gone; cgroups and proxy not yet torn down
]


@pytest.mark.parametrize("phase", PHASES)
def test_sigkill_at_startup_phase(interlock, workspace, procs, phase):
    full_profile(workspace)
    marker, env = marker_env({"INTERLOCK_TEST_STOP_AT": phase})
    arg = unique_sleep_arg()
    before = snapshot()
    # For the phases after the command, a command that ends.
    command = "touch ran" if phase == "the command ran" else f"touch ran; sleep {arg}"
    p = procs.start([interlock, "run", "--", "sh", "-c", command], cwd=workspace, env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: state_of(p.pid) == "T" or p.poll() is not None, message=f"the supervisor to stop at {phase}")
    assert p.poll() is None, p.returncode
    child = children_of(p.pid)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=TIMEOUT)
    wait_until(lambda: not any(pid_alive(c) for c in child), message="the sandbox's init to die")
    wait_until(lambda: not pids_with_argv(["sleep", arg]), message="the command to die")
    found = settle(interlock, workspace, env, marker, [p.pid], before)
    assert found == {}, found


def test_sigkill_mid_run_with_everything_set_up(interlock, workspace, procs):
    allowed = Listener(b"ok")
    try:
        full_profile(workspace, allowed.port)
        marker, env = marker_env()
        a, b = unique_sleep_arg(), unique_sleep_arg()
        before = snapshot()
        p = procs.start([interlock, "run", "--", "sh", "-c",
                         f"cat .env.production; curl -s http://allowed.test:{allowed.port}/ >/dev/null; "
                         f"setsid sleep {a} & sleep {b} & wait"], cwd=workspace, env=env,
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: pids_with_argv(["sleep", a]) and pids_with_argv(["sleep", b]), message="sleeps")
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=TIMEOUT)
        found = settle(interlock, workspace, env, marker, [p.pid], before)
        assert found == {}, found
    finally:
        allowed.close()


# --- the egress proxy crashes ---------------------------------------------------------------------


def test_proxy_crash_cuts_the_network_and_the_run_says_so(interlock, workspace):
    allowed = Listener(b"ALLOWED")
    try:
        full_profile(workspace, allowed.port)
        _, env = marker_env({"INTERLOCK_TEST_FAULT": "proxy-crash"})
        url = f"http://allowed.test:{allowed.port}/"
        script = (f"curl -sf {url} && echo FIRST-OK; "
                  f"for i in $(seq 200); do curl -sf --max-time 5 {url} >/dev/null || {{ echo LATER-FAILED; break; }}; "
                  f"sleep 0.05; done; "
                  f"curl -sf --noproxy '*' --max-time 5 {url} >/dev/null || echo DIRECT-FAILED; env | grep -c INTERLOCK_TEST_")
        r = subprocess.run([interlock, "run", "--", "sh", "-c", script], cwd=workspace, env=env, capture_output=True,
                           text=True, timeout=TIMEOUT * 3, stdin=subprocess.DEVNULL)
        assert "ALLOWED" in r.stdout and "FIRST-OK" in r.stdout, r.stdout + r.stderr
        assert "LATER-FAILED" in r.stdout and "DIRECT-FAILED" in r.stdout, r.stdout
        assert r.stdout.strip().endswith("0"), "the sandbox saw INTERLOCK_TEST_* variables"
        assert "the egress proxy stopped" in r.stderr and "no network" in r.stderr, r.stderr
        assert allowed.accepted == 1
    finally:
        allowed.close()


# --- the audit log cannot be written --------------------------------------------------------------


@pytest.fixture
def small_state_dir():
    """A tiny tmpfs as XDG_STATE_HOME (root: mounted here; removed afterwards)."""
    path = tempfile.mkdtemp(prefix="interlock-adv-state-", dir="/tmp")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    yield path
    subprocess.run(["umount", "-l", path])
    os.rmdir(path)


def fill(directory):
    """Fills the filesystem holding directory; returns the filler's path."""
    path = os.path.join(directory, "filler")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"x" * 4096)
    except OSError:
        pass
    os.close(fd)
    return path


def test_audit_log_unwritable_refuses_to_start(interlock, workspace, tmp_host_dir):
    state = os.path.join(tmp_host_dir, "state")
    os.makedirs(os.path.join(state, "interlock", "audit"))
    if ROOT:  # root ignores permissions: a read-only bind mount instead
        subprocess.run(["mount", "--bind", "-o", "ro", state, state], check=True)
        subprocess.run(["mount", "-o", "remount,bind,ro", state], check=True)
    else:
        os.chmod(os.path.join(state, "interlock", "audit"), 0o500)
    try:
        r = subprocess.run([interlock, "run", "--", "touch", "ran"], cwd=workspace, env=sandbox_env({"XDG_STATE_HOME": state}),
                           capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    finally:
        if ROOT:
            subprocess.run(["umount", state])
    assert r.returncode == 125, r.stderr
    assert "audit log" in r.stderr
    assert not os.path.exists(os.path.join(workspace, "ran"))


@requires_root
def test_audit_disk_full_at_start_refuses_to_start(interlock, workspace, small_state_dir):
    os.makedirs(os.path.join(small_state_dir, "interlock", "audit"))
    fill(small_state_dir)
    r = subprocess.run([interlock, "run", "--", "touch", "ran"], cwd=workspace, env=sandbox_env({"XDG_STATE_HOME": small_state_dir}),
                       capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    assert r.returncode == 125, r.stderr
    assert "No space left on device" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(workspace, "ran"))


@requires_root
def test_audit_disk_full_mid_run_stops_the_sandbox(interlock, workspace, attack, small_state_dir, procs):
    """The disk fills while the command runs; once a refused syscall cannot be recorded (the
    first few may still fit in the log's last page), the sandbox is stopped, and the run ends
    with 125 saying why."""
    arg = unique_sleep_arg()
    p = procs.start([interlock, "run", "--", "sh", "-c",
                     f"touch started; while [ ! -e go ]; do sleep 0.02; done; "
                     f"for i in $(seq 100); do {attack} io-uring; done; sleep {arg}; touch after"],
                    cwd=workspace, env=sandbox_env({"XDG_STATE_HOME": small_state_dir}))
    wait_until(lambda: os.path.exists(os.path.join(workspace, "started")), message="the command to start")
    filler = fill(small_state_dir)
    open(os.path.join(workspace, "go"), "w").close()
    out, err = p.communicate(timeout=TIMEOUT)
    assert p.returncode == 125, (p.returncode, out, err)
    assert b"cannot write the audit log" in err and b"the sandbox was stopped" in err, err
    assert not pids_with_argv(["sleep", arg])
    assert not os.path.exists(os.path.join(workspace, "after"))
    # What was written before the disk filled is intact, line by line.
    os.unlink(filler)
    logs = os.listdir(os.path.join(small_state_dir, "interlock", "audit"))
    assert len(logs) == 1
    records = read_audit(os.path.join(small_state_dir, "interlock", "audit", logs[0]))
    assert records[0]["action"] == "start"


# --- many runs ------------------------------------------------------------------------------------


def sequential(interlock, workspace, count):
    full_profile(workspace)
    marker, env = marker_env()
    before = snapshot()
    supervisors = []
    for i in range(count):
        p = subprocess.Popen([interlock, "run", "--", "sh", "-c", "cat .env.production; echo $ADV_RUN_MARKER"], cwd=workspace,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0 and out.decode().strip() == marker, (i, out, err)
        assert b"could not remove" not in err, (i, err)
        supervisors.append(p.pid)
    wait_until(lambda: not leaks(before, snapshot(), marker, supervisors).get("cgroups"), timeout=30,
               message="run cgroups removed")
    return leaks(before, snapshot(), marker, supervisors)


def test_sequential_runs_leak_nothing(interlock, workspace):
    found = sequential(interlock, workspace, SEQUENTIAL)
    assert found == {}, found


@pytest.mark.slow
def test_thousand_sequential_runs_leak_nothing(interlock, workspace):
    found = sequential(interlock, workspace, 1000)
    assert found == {}, found


def test_concurrent_runs_leak_nothing(interlock, workspace):
    full_profile(workspace)
    marker, env = marker_env()
    before = snapshot()
    procs = [subprocess.Popen([interlock, "run", "--", "sh", "-c", "cat .env.production; sleep 0.2; echo $ADV_RUN_MARKER"],
                              cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
             for _ in range(CONCURRENT)]
    results = [(p.communicate(timeout=TIMEOUT * 3), p.returncode) for p in procs]
    failed = [(rc, err) for (out, err), rc in results if rc != 0 or out.decode().strip() != marker]
    assert failed == [], failed
    supervisors = [p.pid for p in procs]
    wait_until(lambda: not leaks(before, snapshot(), marker, supervisors).get("cgroups"), timeout=30,
               message="run cgroups removed")
    found = leaks(before, snapshot(), marker, supervisors)
    assert found == {}, found
