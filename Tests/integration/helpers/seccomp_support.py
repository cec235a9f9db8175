"""Shared support for test_seccomp.py and test_audit_replay.py: the `sysc` helper (a small C
program that makes raw syscalls, built here with gcc), x86-64 syscall numbers, the `agent`
baseline's names read from Sources/InterlockSeccomp/Baselines.swift, and audit-log readers.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
SYSC_SOURCE = HERE / "sysc.c"
BASELINES_SWIFT = REPO_ROOT / "Sources" / "InterlockSeccomp" / "Baselines.swift"
UNISTD_64 = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")

EPERM, EACCES, ENOSYS = 1, 13, 38

# Syscalls newer than the distribution's kernel headers (arch/x86/entry/syscalls/syscall_64.tbl).
SUPPLEMENT_X86_64 = {
    "uretprobe": 335,
    "cachestat": 451, "fchmodat2": 452, "map_shadow_stack": 453, "futex_wake": 454, "futex_wait": 455,
    "futex_requeue": 456, "statmount": 457, "listmount": 458, "lsm_get_self_attr": 459,
    "lsm_set_self_attr": 460, "lsm_list_modules": 461, "mseal": 462, "setxattrat": 463, "getxattrat": 464,
    "listxattrat": 465, "removexattrat": 466, "open_tree_attr": 467, "file_getattr": 468, "file_setattr": 469,
}

# Names in the agent baseline that x86-64 does not have (listed there for other architectures).
NOT_ON_X86_64 = {"umount", "stime", "vm86", "vm86old"}


def x86_64_syscalls():
    """name -> number for x86-64 (kernel headers plus the newer syscalls above)."""
    if not UNISTD_64.is_file():
        pytest.skip(f"{UNISTD_64} missing (linux-libc-dev)")
    table = {m.group(1): int(m.group(2))
             for m in re.finditer(r"#define __NR_(\w+)\s+(\d+)", UNISTD_64.read_text())}
    for name, nr in SUPPLEMENT_X86_64.items():
        table.setdefault(name, nr)
    return table


def agent_baseline_groups():
    """[(reason, [names])] of `Baselines.agentDenied`, parsed from the Swift source, so the tests
    follow the list as it changes."""
    src = BASELINES_SWIFT.read_text()
    start = src.index("static let agentDenied")
    end = src.index("\n    ]\n", start)
    block = src[start:end]
    groups = re.findall(r'\(\s*"((?:[^"\\]|\\.)*)"\s*,\s*\[([^\]]*)\]\s*\)', block, re.S)
    return [(reason, re.findall(r'"([^"]+)"', names)) for reason, names in groups]


def agent_baseline_names():
    return [name for _, names in agent_baseline_groups() for name in names]


# ---------------------------------------------------------------------------------------------
# The sysc helper


def build_sysc(directory):
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not available to build the syscall helper")
    out = os.path.join(directory, "sysc")
    r = subprocess.run(["gcc", "-O1", "-Wall", "-o", out, str(SYSC_SOURCE)], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, f"building sysc failed:\n{r.stderr}"
    return out


@pytest.fixture(scope="session")
def sysc_build():
    """The helper, built once per session (in a host directory the sandbox does not see)."""
    directory = tempfile.mkdtemp(prefix="interlock-sysc-", dir="/tmp")
    try:
        yield build_sysc(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def install_sysc(sysc_build, directory, name="sysc"):
    """Copies the helper into a directory the sandbox sees (the workspace): returns its path."""
    path = os.path.join(directory, name)
    shutil.copy2(sysc_build, path)
    os.chmod(path, 0o755)
    return path


@pytest.fixture
def sysc(sysc_build, workspace):
    """Path of the helper inside this test's workspace."""
    return install_sysc(sysc_build, workspace)


def call_line(helper, label, nr, *args):
    """Shell command: one syscall, printing `LABEL ret=R errno=E`."""
    return " ".join(shlex.quote(str(a)) for a in (helper, "call", label, nr, *args))


def call_results(stdout):
    """{label: (ret, errno)} from the helper's output lines."""
    results = {}
    for m in re.finditer(r"^(\S+) ret=(-?\d+) errno=(\d+)$", stdout, re.M):
        results[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return results


# ---------------------------------------------------------------------------------------------
# Audit logs


def read_audit(path):
    """Every record of a JSON Lines audit log (each line must parse)."""
    records = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            assert line.endswith("\n"), f"{path}:{n}: unterminated line {line!r}"
            records.append(json.loads(line))
    return records


def syscall_records(records, syscall=None):
    return [r for r in records if r.get("kind") == "syscall"
            and (syscall is None or r.get("detail", {}).get("syscall") == syscall)]


def records_for_label(records, label):
    """Syscall records made by `sysc call LABEL …`."""
    return [r for r in syscall_records(records) if (r.get("argv") or [])[1:3] == ["call", label]]


def exact_count(records, syscall):
    """Events of a syscall: full records count 1, aggregate records their `count`."""
    return sum(r.get("count") or 1 for r in syscall_records(records, syscall))


def lifecycle(records, action):
    found = [r for r in records if r.get("kind") == "lifecycle" and r.get("action") == action]
    assert len(found) == 1, f"expected one lifecycle {action} record, found {found}"
    return found[0]


def summary_line(stderr):
    """The `interlock: exit … · blocked: … · audit: …` line, or None."""
    lines = [l for l in stderr.splitlines() if l.startswith("interlock: exit ")]
    return lines[-1] if lines else None


def decoded_values(record):
    return list((record.get("detail", {}).get("decoded") or {}).values())
