"""[limits]: memory, pids, cpu through cgroups (v1 on this hybrid host) or rlimits; open files."""

import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from conftest import (PY, TIMEOUT, interlock_cgroup_dirs, pids_with_argv, sandbox_env, unique_sleep_arg,
                      wait_until, write_profile)

MIB = 1024 * 1024

ALLOC_SCRIPT = (
    "import sys\n"
    "try:\n"
    "    b = bytearray(512 * 1024 * 1024)\n"
    "    for i in range(0, len(b), 4096): b[i] = 1\n"  # touch every page: RSS, not just address space
    "    print('ALLOCATED', flush=True)\n"
    "except MemoryError:\n"
    "    print('MemoryError', flush=True); sys.exit(3)\n"
)


def limits_profile(ws, body):
    write_profile(ws, 'extends = "default"\n[limits]\n' + body)


def test_memory_limit(run, workspace):
    limits_profile(workspace, 'memory = "64M"\n')
    r = run(["run", "--", PY, "-c", ALLOC_SCRIPT], workspace)
    assert "ALLOCATED" not in r.stdout
    # Killed by the OOM killer (137) or refused (MemoryError): either way, not allowed.
    assert r.returncode in (137, 3), (r.returncode, r.stdout, r.stderr)
    # The host is fine, and the same allocation works without the limit.
    limits_profile(workspace, 'memory = "2G"\n')
    r = run(["run", "--", PY, "-c", ALLOC_SCRIPT], workspace)
    assert r.returncode == 0, r.stderr
    assert "ALLOCATED" in r.stdout


def test_memory_limit_is_set_in_run_cgroup(interlock, workspace, procs):
    limits_profile(workspace, 'memory = "64M"\npids = 77\n')
    arg = unique_sleep_arg()
    p = procs.start([interlock, "run", "--", "sleep", arg], cwd=workspace)
    wait_until(lambda: pids_with_argv(["sleep", arg]), message="sandboxed sleep")
    mine = [d for d in interlock_cgroup_dirs() if f"interlock-{p.pid}-" in d]
    values = {}
    for d in mine:
        for name in ("memory.limit_in_bytes", "memory.max", "pids.max"):
            f = os.path.join(d, name)
            if os.path.exists(f):
                values[name] = open(f).read().strip()
    assert values.get("memory.limit_in_bytes", values.get("memory.max")) == str(64 * MIB), values
    assert values.get("pids.max") == "77", values
    # The sleep is inside those cgroups.
    sleep_pid = pids_with_argv(["sleep", arg])[0]
    for d in mine:
        procs_file = os.path.join(d, "cgroup.procs")
        assert str(sleep_pid) in open(procs_file).read().split(), d
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=TIMEOUT) == 143
    wait_until(lambda: not any(os.path.isdir(d) for d in mine), message="run cgroups removed")


def test_pids_limit(run, workspace):
    limits_profile(workspace, "pids = 20\n")
    script = "for i in $(seq 50); do sleep 30 & done; echo all-started; kill $(jobs -p); exit 0"
    r = run(["run", "--", "sh", "-c", script], workspace)
    assert "all-started" not in r.stdout
    assert r.returncode != 0
    assert "Cannot fork" in r.stderr, r.stderr
    # Control: without the limit, all 50 start.
    limits_profile(workspace, "pids = 200\n")
    r = run(["run", "--", "sh", "-c", script], workspace)
    assert r.returncode == 0, r.stderr
    assert "all-started" in r.stdout


def test_pids_limit_python_fork_fails(run, workspace):
    limits_profile(workspace, "pids = 20\n")
    script = (
        "import os, errno, time\n"
        "children, err = [], None\n"
        "for i in range(50):\n"
        "    try:\n"
        "        pid = os.fork()\n"
        "    except OSError as e:\n"
        "        err = errno.errorcode.get(e.errno); break\n"
        "    if pid == 0:\n"
        "        time.sleep(30); os._exit(0)\n"
        "    children.append(pid)\n"
        "print('forked', len(children), 'error', err, flush=True)\n"
        "for c in children: os.kill(c, 9)\n"
    )
    r = run(["run", "--", PY, "-c", script], workspace)
    assert r.returncode == 0, r.stderr
    m = re.search(r"forked (\d+) error (\w+)", r.stdout)
    assert m, r.stdout
    assert int(m.group(1)) < 20
    assert m.group(2) == "EAGAIN"


def test_open_files_limit(run, workspace):
    limits_profile(workspace, "open_files = 32\n")
    script = (
        "import errno, resource\n"
        "print('limit', resource.getrlimit(resource.RLIMIT_NOFILE))\n"
        "files = []\n"
        "try:\n"
        "    for i in range(100): files.append(open('/dev/null'))\n"
        "    print('opened all')\n"
        "except OSError as e:\n"
        "    print('ERR', errno.errorcode.get(e.errno), len(files))\n"
    )
    r = run(["run", "--", PY, "-c", script], workspace)
    assert r.returncode == 0, r.stderr
    assert "limit (32, 32)" in r.stdout
    assert "opened all" not in r.stdout
    m = re.search(r"ERR (\w+) (\d+)", r.stdout)
    assert m and m.group(1) == "EMFILE", r.stdout
    assert int(m.group(2)) < 32


def test_open_files_cannot_be_raised(run, workspace):
    limits_profile(workspace, "open_files = 64\n")
    script = (
        "import resource\n"
        "try:\n    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096)); print('RAISED')\n"
        "except (ValueError, OSError) as e:\n    print('REFUSED')\n"
    )
    r = run(["run", "--", PY, "-c", script], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "REFUSED"


def test_cpu_limit_runs(interlock, run, workspace, procs):
    limits_profile(workspace, "cpu = 0.5\n")
    r = run(["run", "--", "sh", "-c", "echo cpu-limited; exit 4"], workspace)
    assert r.returncode == 4, r.stderr
    assert r.stdout == "cpu-limited\n"
    # The run's cpu cgroup carries the quota (half of the period).
    arg = unique_sleep_arg()
    p = procs.start([interlock, "run", "--", "sleep", arg], cwd=workspace)
    wait_until(lambda: pids_with_argv(["sleep", arg]), message="sandboxed sleep")
    mine = [d for d in interlock_cgroup_dirs() if f"interlock-{p.pid}-" in d]
    quota = None
    for d in mine:
        if os.path.exists(os.path.join(d, "cpu.cfs_quota_us")):
            quota = (int(open(os.path.join(d, "cpu.cfs_quota_us")).read()),
                     int(open(os.path.join(d, "cpu.cfs_period_us")).read()))
        elif os.path.exists(os.path.join(d, "cpu.max")):
            q, per = open(os.path.join(d, "cpu.max")).read().split()
            quota = (int(q), int(per))
    assert quota is not None, mine
    assert quota[0] * 2 == quota[1], quota
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=TIMEOUT) == 143


def test_doctor_default_profile(run, workspace):
    r = run(["doctor"], workspace)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("user namespaces", "seccomp filter", "idmapped mounts", "cgroups", "limits.memory",
                 "limits.pids", "limits.cpu", "limits.open_files"):
        assert re.search(rf"^ok\s+{re.escape(name)}\s", r.stdout, re.M), (name, r.stdout)
    assert re.search(r"^ok\s+limits\.open_files\s+rlimit \(RLIMIT_NOFILE\)", r.stdout, re.M)


def test_doctor_names_mechanism_for_profile(run, workspace):
    limits_profile(workspace, 'memory = "64M"\npids = 20\ncpu = 0.5\nopen_files = 32\n')
    r = run(["doctor"], workspace)
    assert r.returncode == 0, r.stdout
    for key in ("memory", "pids", "cpu"):
        m = re.search(rf"^ok\s+limits\.{key}\s+(.*)$", r.stdout, re.M)
        assert m, r.stdout
        assert m.group(1).strip() in ("cgroup v1", "cgroup v2"), m.group(1)
    # This hybrid host has v1 memory/pids/cpu controllers.
    assert re.search(r"^ok\s+cgroups\s+hybrid", r.stdout, re.M)


def test_doctor_json(run, workspace):
    r = run(["doctor", "--json"], workspace)
    assert r.returncode == 0, r.stdout
    checks = json.loads(r.stdout)
    by_name = {c["name"]: c for c in checks}
    assert by_name["user namespaces"]["ok"] is True
    assert by_name["limits.open_files"]["detail"] == "rlimit (RLIMIT_NOFILE)"
    assert all(set(c) == {"name", "ok", "required", "detail"} for c in checks)


# --- unprivileged caller: rlimit fallbacks, and cpu that cannot be enforced ---------------------

@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_unprivileged_doctor_reports_rlimit_fallback(nobody, workspace):
    r = nobody(["doctor"])
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^ok\s+limits\.memory\s+rlimit fallback", r.stdout, re.M), r.stdout
    assert re.search(r"^ok\s+limits\.pids\s+rlimit fallback", r.stdout, re.M), r.stdout
    assert re.search(r"^ok\s+limits\.cpu\s+no mechanism", r.stdout, re.M), r.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_unprivileged_memory_limit_via_rlimit(nobody, workspace):
    limits_profile(workspace, 'memory = "64M"\n')
    r = nobody(["run", "--", PY, "-c", ALLOC_SCRIPT])
    assert "ALLOCATED" not in r.stdout
    assert r.returncode in (3, 137), (r.returncode, r.stdout, r.stderr)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_unprivileged_cpu_limit_refused(nobody, workspace):
    limits_profile(workspace, "cpu = 0.5\n")
    marker = os.path.join(workspace, "ran")
    d = nobody(["doctor"])
    assert d.returncode == 1
    assert re.search(r"^MISSING\s+limits\.cpu", d.stdout, re.M), d.stdout
    r = nobody(["run", "--", "touch", marker])
    assert r.returncode == 125
    assert "limits.cpu" in r.stderr
    assert not os.path.exists(marker)
