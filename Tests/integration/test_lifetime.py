"""Lifetime: nothing outlives the supervisor, signals are forwarded, no fd leaks, no leftovers."""

import os
import signal
import subprocess
import uuid

import pytest

from conftest import (write_profile, pids_with_env, tmp_entries, PY, TIMEOUT, interlock_cgroup_dirs, mountinfo_lines, net_namespaces, own_fds,
                      pid_alive, pids_with_argv, sandbox_env, unique_sleep_arg, wait_until)


def test_sigkill_of_supervisor_leaves_no_survivors(interlock, workspace, procs):
    a, b = unique_sleep_arg(), unique_sleep_arg()
    p = procs.start([interlock, "run", "--", "sh", "-c", f"sleep {a} & sleep {b} & wait"], cwd=workspace)
    sleeps = wait_until(lambda: (pids_with_argv(["sleep", a]) + pids_with_argv(["sleep", b])
                                 if pids_with_argv(["sleep", a]) and pids_with_argv(["sleep", b]) else None),
                        message="both sandboxed sleeps on the host")
    assert len(sleeps) == 2
    # Every process of the sandbox, seen from the host: init, sh and the two sleeps.
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=TIMEOUT)
    assert p.returncode == -signal.SIGKILL
    wait_until(lambda: not any(pid_alive(s) for s in sleeps), message="sandboxed sleeps to die with the supervisor")
    assert not pids_with_argv(["sleep", a]) and not pids_with_argv(["sleep", b])


def test_sigkill_of_supervisor_kills_daemonized_processes(interlock, workspace, procs):
    # A double-forked, setsid'd process with SIGHUP/SIGTERM ignored is still in the pid namespace.
    arg = unique_sleep_arg()
    p = procs.start([interlock, "run", "--", "sh", "-c",
                     f"trap '' HUP TERM INT; setsid sh -c 'trap \"\" HUP TERM; sleep {arg}' & wait"],
                    cwd=workspace)
    pids = wait_until(lambda: pids_with_argv(["sleep", arg]), message="daemonized sleep")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=TIMEOUT)
    wait_until(lambda: not any(pid_alive(x) for x in pids), message="daemonized sleep to die")


def test_sigkill_of_sandbox_init_ends_run(interlock, workspace, procs):
    # Killing the sandbox's pid 1 from the host ends the run with 128+9 and takes every
    # process of the sandbox with it.
    a = unique_sleep_arg()
    p = procs.start([interlock, "run", "--", "sh", "-c", f"sleep {a} & wait"], cwd=workspace)
    sleeps = wait_until(lambda: pids_with_argv(["sleep", a]), message="sandboxed sleep")
    init = [int(x) for x in open(f"/proc/{p.pid}/task/{p.pid}/children").read().split()]
    assert len(init) == 1
    assert open(f"/proc/{init[0]}/status").read().count("NSpid:") == 1
    assert [l for l in open(f"/proc/{init[0]}/status") if l.startswith("NSpid:")][0].split()[-1] == "1"
    os.kill(init[0], signal.SIGKILL)
    assert p.wait(timeout=TIMEOUT) == 137
    wait_until(lambda: not any(pid_alive(s) for s in sleeps), message="sandboxed sleep to die with init")


def test_sandbox_stale_cgroups_collected_after_sigkill(interlock, workspace, procs, run):
    # A supervisor killed outright cannot remove its cgroups; the next run collects them.
    write_profile(workspace, 'extends = "default"\n[limits]\nmemory = "256M"\npids = 100\n')
    arg = unique_sleep_arg()
    p = procs.start([interlock, "run", "--", "sleep", arg], cwd=workspace)
    pids = wait_until(lambda: pids_with_argv(["sleep", arg]), message="sandboxed sleep")
    mine = [d for d in interlock_cgroup_dirs() if f"interlock-{p.pid}-" in d]
    assert mine, interlock_cgroup_dirs()
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=TIMEOUT)
    wait_until(lambda: not any(pid_alive(x) for x in pids), message="sleep to die")
    # The next run (any run) removes the stale ones; the kernel may need a moment to empty them.
    def collected():
        r = run(["run", "--", "true"], workspace)
        assert r.returncode == 0, r.stderr
        return not any(os.path.isdir(d) for d in mine)
    wait_until(collected, interval=0.5, message=f"stale cgroups {mine} to be collected")


def start_ticks(pid):
    stat = open(f"/proc/{pid}/stat").read()
    return int(stat[stat.rindex(")") + 2:].split()[19])


def test_stale_cgroup_whose_pid_was_reused_is_collected(interlock, workspace, run):
    """Pids wrap (pid_max is often 32768): a stale cgroup named after a pid that now belongs to
    another process is still collected, because the name carries the owner's start time; a cgroup
    whose owner is really alive (same pid, same start) is left alone."""
    # Where the supervisor makes run cgroups: under its own cgroup in each hierarchy.
    parents = []
    for line in open("/proc/self/cgroup").read().splitlines():
        _, controllers, path = line.split(":", 2)
        top = "/sys/fs/cgroup/unified" if controllers == "" and os.path.isdir("/sys/fs/cgroup/unified") else \
              "/sys/fs/cgroup" if controllers == "" else f"/sys/fs/cgroup/{controllers}"
        if controllers in ("", "pids", "memory") and os.access(top + path, os.W_OK) and \
                (controllers or os.path.exists(top + "/cgroup.controllers")):
            parents.append(os.path.normpath(top + path))
    if not parents:
        pytest.skip("no writable cgroup hierarchy")
    own_pid = os.getpid()
    reused = os.path.join(parents[0], f"interlock-{own_pid}-{start_ticks(own_pid) + 1}-{uuid.uuid4().hex[:8]}")
    live = os.path.join(parents[0], f"interlock-{own_pid}-{start_ticks(own_pid)}-{uuid.uuid4().hex[:8]}")
    os.mkdir(reused)
    os.mkdir(live)
    try:
        r = run(["run", "--", "true"], workspace)
        assert r.returncode == 0, r.stderr
        assert not os.path.isdir(reused), "a stale cgroup whose pid was reused survived a run"
        assert os.path.isdir(live), "the cgroup of a live supervisor was removed"
    finally:
        for d in (reused, live):
            if os.path.isdir(d):
                os.rmdir(d)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1])
def test_signals_are_forwarded(interlock, workspace, procs, sig):
    name = signal.Signals(sig).name[3:]
    arg = unique_sleep_arg()
    script = (f"trap 'echo got-{name} > forwarded.txt; exit 0' {name}; "
              f"sleep {arg} & wait $!")
    p = procs.start([interlock, "run", "--", "sh", "-c", script], cwd=workspace)
    # The trap is installed before sleep starts, so once sleep runs, the signal can be sent.
    wait_until(lambda: pids_with_argv(["sleep", arg]), message="the command to be ready")
    os.kill(p.pid, sig)
    out, err = p.communicate(timeout=TIMEOUT)
    assert p.returncode == 0, err
    assert open(os.path.join(workspace, "forwarded.txt")).read() == f"got-{name}\n"


def test_untrapped_sigterm_gives_143(interlock, workspace, procs):
    arg = unique_sleep_arg()
    p = procs.start([interlock, "run", "--", "sleep", arg], cwd=workspace)
    pids = wait_until(lambda: pids_with_argv(["sleep", arg]), message="sandboxed sleep")
    os.kill(p.pid, signal.SIGTERM)
    assert p.wait(timeout=TIMEOUT) == 143
    wait_until(lambda: not any(pid_alive(x) for x in pids), message="sleep to end")


FD_SCRIPT = "import os; print(sorted(int(x) for x in os.listdir('/proc/self/fd')))"


def test_no_fd_leak_into_sandbox(interlock, workspace, tmp_host_dir):
    # Extra descriptors the caller holds (inheritable: fd 5 on a file, fd 9 on a pipe, and one
    # passed with pass_fds) must not reach the command.
    path = os.path.join(tmp_host_dir, "held-open")
    with open(path, "w") as f:
        f.write("x")
    r_pipe, w_pipe = os.pipe()
    try:
        wrapper = f'exec 5<"$1" 9>&{w_pipe}; shift; exec "$@"'

        def with_fds(*argv):
            return subprocess.run(["/bin/bash", "-c", wrapper, "bash", path, *argv], cwd=workspace,
                                  pass_fds=(w_pipe,), env=sandbox_env(), capture_output=True, text=True,
                                  timeout=TIMEOUT, stdin=subprocess.DEVNULL)

        # Control: the same command outside the sandbox does see them.
        outside = with_fds("/usr/bin/python3", "-c", FD_SCRIPT)
        assert outside.returncode == 0, outside.stderr
        assert {5, 9, w_pipe} <= set(eval(outside.stdout))
        r = with_fds(interlock, "run", "--", PY, "-c", FD_SCRIPT)
        assert r.returncode == 0, r.stderr
        # 0, 1, 2, and 3: the directory listdir itself opened.
        assert r.stdout.strip() == "[0, 1, 2, 3]"
    finally:
        os.close(r_pipe)
        os.close(w_pipe)


def test_no_fd_leak_with_terminal(interlock, workspace, pty_session):
    s = pty_session([interlock, "run", "--", PY, "-c", FD_SCRIPT], workspace)
    assert s.expect(b"]").strip().endswith(b"[0, 1, 2, 3]")
    assert s.wait() == 0


def test_supervisor_pipe_closed_when_run_ends(interlock, workspace):
    # The caller sees EOF on the command's stdout as soon as the run ends: no process of the
    # sandbox kept a copy of the pipe (a background job is killed with the sandbox).
    arg = unique_sleep_arg()
    r = subprocess.run([interlock, "run", "--", "sh", "-c", f"sleep {arg} & echo started"], cwd=workspace,
                       env=sandbox_env(), capture_output=True, text=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "started\n"
    wait_until(lambda: not pids_with_argv(["sleep", arg]), message="background sleep gone after the run")


def test_hundred_runs_leave_nothing_behind(interlock, workspace, tmp_host_dir):
    # Other interlock users on this machine (benchmarks, other test runs) may come and go
    # meanwhile: everything is attributed to our runs by supervisor pid or by an environment
    # marker every process of our sandboxes inherits.
    # Limits, so that every run also creates (and must remove) cgroups.
    write_profile(workspace, 'extends = "default"\n[limits]\nmemory = "512M"\npids = 256\ncpu = 1\n')
    marker = "INTERLOCK_IT_RUN=" + uuid.uuid4().hex
    env = sandbox_env({"TMPDIR": tmp_host_dir, marker.split("=")[0]: marker.split("=")[1]})

    def snapshot():
        mounts = mountinfo_lines()
        return {
            "mount_count": len(mounts),
            "mount_suspicious": [m for m in mounts if any(k in m for k in ("newroot", "oldroot", "interlock", "nsfs"))],
            "netns": net_namespaces(),
            "ip_netns": subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout,
            "tmp": tmp_entries(),
            "tmpdir": sorted(os.listdir(tmp_host_dir)),
            "fds": own_fds(),
        }

    before = snapshot()
    supervisors = []
    for i in range(100):
        p = subprocess.Popen([interlock, "run", "--", "true"], cwd=workspace, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        out, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 0, (i, err)
        supervisors.append(p.pid)
    prefixes = tuple(f"interlock-{pid}-" for pid in supervisors)

    def our_cgroups():
        return [d for d in interlock_cgroup_dirs() if os.path.basename(d).startswith(prefixes)]
    # Cgroup removal may lag the exit by a moment (EBUSY while the pid namespace empties).
    try:
        wait_until(lambda: not our_cgroups(), timeout=30, message="run cgroups removed")
    except AssertionError:
        raise AssertionError(f"run cgroups left behind: {our_cgroups()}")
    after = snapshot()

    assert pids_with_env(marker) == [], "processes of the sandboxes survived"
    assert after["mount_count"] == before["mount_count"]
    assert after["mount_suspicious"] == before["mount_suspicious"]
    new_netns = after["netns"] - before["netns"]
    # A new network namespace may only belong to someone else's live sandbox.
    for ns in new_netns:
        holders = [e for e in os.listdir("/proc") if e.isdigit() and _readlink(f"/proc/{e}/ns/net") == ns]
        assert not [h for h in holders if int(h) in pids_with_env(marker)], ns
    assert after["ip_netns"] == before["ip_netns"]
    assert our_cgroups() == []
    assert after["tmpdir"] == before["tmpdir"] == []
    new_tmp = {n: uid for n, uid in after["tmp"].items() if n not in before["tmp"]}
    # Other users of this machine may create entries in /tmp meanwhile; none may come from a
    # sandbox (owned by a sandbox uid) or be part of a sandbox's root.
    assert not {n: u for n, u in new_tmp.items()
                if u >= 0x5F000000 or n in ("newroot", "oldroot") or n.startswith(".interlock")}, new_tmp
    assert after["fds"] == before["fds"]


def _readlink(path):
    try:
        return os.readlink(path)
    except OSError:
        return None
