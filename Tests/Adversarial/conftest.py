"""Adversarial suite (issue 9): escapes tried for real from inside sandboxes, faults injected
into the supervisor, leak counts over many runs. Runs as root and as an unprivileged user
(`make test-adversarial`; see run-unprivileged.sh).

The integration suite's fixtures (`run`, `workspace`, `write_profile`, `pty_session`, `procs`,
...) are shared: its conftest is loaded here as a module.
"""

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
INTEGRATION = HERE.parent / "integration"
sys.path.insert(0, str(INTEGRATION))
sys.path.insert(0, str(HERE))

_spec = importlib.util.spec_from_file_location("integration_conftest", INTEGRATION / "conftest.py")
integration_conftest = importlib.util.module_from_spec(_spec)
sys.modules["integration_conftest"] = integration_conftest
_spec.loader.exec_module(integration_conftest)
from integration_conftest import *  # noqa: E402,F401,F403  (fixtures and helpers)
from integration_conftest import TIMEOUT, sandbox_env  # noqa: E402

ATTACK_SOURCE = HERE / "helpers" / "attack.c"
ROOT = os.geteuid() == 0
requires_root = pytest.mark.skipif(not ROOT, reason="needs root (runs again unprivileged in CI)")


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long load runs (1,000 sequential sandboxes)")


@pytest.fixture(scope="session")
def attack_build(tmp_path_factory):
    """The attack program, built once per session with gcc."""
    if shutil.which("gcc") is None:
        pytest.fail("gcc is needed to build the attack program (scripts/install-deps.sh installs it)")
    out = tmp_path_factory.mktemp("attack") / "attack"
    r = subprocess.run(["gcc", "-O1", "-Wall", "-Wno-format-truncation", "-o", str(out), str(ATTACK_SOURCE)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"building attack.c failed:\n{r.stderr}"
    return str(out)


@pytest.fixture
def attack(attack_build, workspace):
    """The attack program copied into the workspace (the only host directory the sandbox sees
    writable); returns its path inside the sandbox (the same path)."""
    dest = os.path.join(workspace, "attack")
    shutil.copy(attack_build, dest)
    os.chmod(dest, 0o755)
    return dest


def attack_lines(stdout):
    """{name: (verdict, detail)} of every `ATTACK NAME VERDICT DETAIL` line."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split(" ", 3)
        if len(parts) >= 3 and parts[0] == "ATTACK":
            out.setdefault(parts[1], []).append((parts[2], parts[3] if len(parts) > 3 else ""))
    return out


def read_audit(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def syscall_denials(records, syscall):
    return [r for r in records if r.get("kind") == "syscall" and r.get("action") == "deny"
            and r.get("detail", {}).get("syscall") == syscall]
