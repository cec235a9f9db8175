"""Installing Interlock (issue 24): `--version` with the commit, the version in the audit log's
start record, a profile's `requires`, and `make install` / `make uninstall` writing and removing
exactly their files, with an installed copy that works outside the source tree."""

import gzip
import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest

from conftest import REPO_ROOT, TIMEOUT, sandbox_env, write_profile

VERSION_LINE = re.compile(r"^\d+\.\d+\.\d+( \([0-9a-f]{7}(-dirty)?\))?$")

INSTALLED = {
    "usr/bin/interlock", "usr/bin/interlock-mcp", "usr/bin/interlock-shell",
    "usr/share/man/man1/interlock.1.gz", "usr/share/man/man1/interlock-shell.1.gz", "usr/share/man/man1/interlock-mcp.1.gz",
    "usr/share/bash-completion/completions/interlock",
    "usr/share/zsh/site-functions/_interlock",
    "usr/share/fish/vendor_completions.d/interlock.fish",
    "usr/share/doc/interlock/README.md", "usr/share/doc/interlock/CHANGELOG.md",
}


def files_under(root):
    found = set()
    for directory, _, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found


def test_version_names_version_and_commit(run, interlock, workspace):
    r = run(["--version"], workspace)
    assert r.returncode == 0, r.stderr
    assert VERSION_LINE.match(r.stdout.strip()), r.stdout
    mcp = subprocess.run([os.path.join(os.path.dirname(interlock), "interlock-mcp"), "--version"],
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert mcp.returncode == 0, mcp.stderr
    assert mcp.stdout == r.stdout


def test_audit_start_record_carries_version(run, workspace, tmp_host_dir):
    audit = os.path.join(tmp_host_dir, "audit.jsonl")
    r = run(["run", "--audit", audit, "--", "true"], workspace)
    assert r.returncode == 0, r.stderr
    version = run(["--version"], workspace).stdout.strip()
    with open(audit) as f:
        records = [json.loads(line) for line in f]
    start = [x for x in records if x.get("kind") == "lifecycle" and x.get("action") == "start"]
    assert len(start) == 1
    detail = start[0]["detail"]
    assert detail["version"] == version.split(" ")[0]
    assert (detail["commit"] is None) == (" (" not in version)
    if detail["commit"]:
        assert version.endswith(f"({detail['commit']})")


def test_profile_requiring_a_future_version_is_refused(run, workspace):
    write_profile(workspace, 'extends = "default"\nrequires = ">= 999.0"\n\n[limits]\npids = 100\n')
    marker = os.path.join(workspace, "ran")
    r = run(["run", "--", "touch", marker], workspace)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert ".interlock.toml:2: requires: this profile requires Interlock >= 999.0.0; this is " in r.stderr, r.stderr
    assert "upgrade Interlock" in r.stderr
    assert not os.path.exists(marker)
    check = run(["profile", "check"], workspace)
    assert check.returncode == 2 and "requires" in check.stderr


def test_profile_requiring_this_version_runs(run, workspace):
    write_profile(workspace, 'requires = ">= 0.1"\n')
    r = run(["run", "--", "true"], workspace)
    assert r.returncode == 0, r.stderr


def test_invalid_requirement_is_refused(run, workspace):
    write_profile(workspace, 'requires = "0.3"\n')
    r = run(["run", "--", "true"], workspace)
    assert r.returncode == 2
    assert ".interlock.toml:1: requires: invalid version requirement '0.3'" in r.stderr, r.stderr


@pytest.fixture
def destdir():
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-install-", dir="/var/tmp"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_install_and_uninstall(interlock, destdir, workspace):
    """`make install BUILD=debug` (the debug build the tests run) writes exactly the
    listed files; the installed copy runs outside the source tree; `make uninstall` removes them."""
    if os.path.realpath(interlock) != os.path.realpath(REPO_ROOT / ".build" / "debug" / "interlock"):
        pytest.skip("installs the repository's debug build; INTERLOCK_BIN points elsewhere")
    make = ["make", "--no-print-directory", "-C", str(REPO_ROOT), "BUILD=debug", "PREFIX=/usr", f"DESTDIR={destdir}"]
    r = subprocess.run(make + ["install"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert files_under(destdir) == INSTALLED
    bindir = os.path.join(destdir, "usr/bin")
    assert os.readlink(os.path.join(bindir, "interlock-shell")) == "interlock"
    for page in ("interlock-shell", "interlock-mcp"):
        assert os.readlink(os.path.join(destdir, f"usr/share/man/man1/{page}.1.gz")) == "interlock.1.gz"
    for name in ("interlock", "interlock-mcp"):
        assert os.stat(os.path.join(bindir, name)).st_mode & 0o777 == 0o755
    with gzip.open(os.path.join(destdir, "usr/share/man/man1/interlock.1.gz"), "rt") as f:
        manual = f.read()
    assert manual.startswith('.TH "INTERLOCK" "1"') and ".SS interlock run" in manual
    bash = open(os.path.join(destdir, "usr/share/bash-completion/completions/interlock")).read()
    assert "complete" in bash and "doctor" in bash

    # The installed copy, on PATH, in a project with nothing from the source tree.
    env = sandbox_env({"PATH": bindir + ":" + sandbox_env()["PATH"]})
    installed = os.path.join(bindir, "interlock")
    version = subprocess.run([installed, "--version"], capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert VERSION_LINE.match(version.stdout.strip()), version.stdout
    doctor = subprocess.run([installed, "doctor"], cwd=workspace, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert re.search(r"^ok\s+interlock-mcp\s+" + re.escape(bindir + "/interlock-mcp"), doctor.stdout, re.M), doctor.stdout
    assert re.search(r"^ok\s+PATH\s+" + re.escape(bindir), doctor.stdout, re.M), doctor.stdout
    init = subprocess.run([installed, "init"], cwd=workspace, capture_output=True, text=True, env=env, timeout=TIMEOUT)
    assert init.returncode == 0, init.stderr
    assert os.path.exists(os.path.join(workspace, ".interlock.toml"))

    r = subprocess.run(make + ["uninstall"], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert files_under(destdir) == set()


def test_doctor_says_what_to_fix_when_the_helper_is_missing(interlock, destdir, workspace):
    """A lone copy of the binary: doctor names the missing interlock-mcp and the PATH, and still passes."""
    lone = os.path.join(destdir, "interlock")
    shutil.copy(interlock, lone)
    r = subprocess.run([lone, "doctor"], cwd=workspace, capture_output=True, text=True, env=sandbox_env(), timeout=TIMEOUT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^no\s+interlock-mcp\s+" + re.escape(destdir + "/interlock-mcp") + " is missing", r.stdout, re.M), r.stdout
    assert re.search(r"^no\s+PATH\s+" + re.escape(destdir) + " is not on PATH: add it", r.stdout, re.M), r.stdout
