"""The sandbox cannot rewrite its own rules or plant code that runs outside it (issue 10).

Protected paths (profiles/data/protected.toml) are read-only inside; the common git workflow
still works; protected paths a run creates are reported; a changed profile does not run until
the user approves it.
"""

import json
import os
import re
import subprocess

from conftest import PY, SYSTEM_PATH, TIMEOUT, approve_profiles, sandbox_env, write_profile
from helpers.seccomp_support import read_audit


def git(workspace, *args):
    return subprocess.run(["git", *args], cwd=workspace, capture_output=True, text=True, timeout=TIMEOUT,
                          env=sandbox_env({"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
                                           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}))


def make_repo(workspace):
    assert git(workspace, "init", "-q").returncode == 0
    with open(os.path.join(workspace, "README"), "w") as f:
        f.write("hello\n")
    assert git(workspace, "add", "README").returncode == 0
    assert git(workspace, "commit", "-qm", "first").returncode == 0


def test_git_hooks_and_config_are_read_only_inside(run, workspace):
    make_repo(workspace)
    config_before = open(os.path.join(workspace, ".git/config")).read()
    r = run.sandbox(
        "echo '[core] hooksPath = /tmp/evil' >> .git/config; echo cfg=$?;"
        " printf '#!/bin/sh\\ntouch /tmp/pwned\\n' > .git/hooks/pre-commit; echo hook=$?;"
        " echo x > .git/hooks/new-hook; echo newhook=$?",
        workspace)
    assert r.returncode == 0, r.stderr
    assert "cfg=2" in r.stdout or "cfg=1" in r.stdout
    assert "hook=2" in r.stdout or "hook=1" in r.stdout
    assert "newhook=2" in r.stdout or "newhook=1" in r.stdout
    assert "Read-only file system" in r.stderr
    assert open(os.path.join(workspace, ".git/config")).read() == config_before
    assert not os.path.exists(os.path.join(workspace, ".git/hooks/pre-commit"))
    assert not os.path.exists(os.path.join(workspace, ".git/hooks/new-hook"))


def test_common_git_workflow_still_works(run, workspace):
    make_repo(workspace)
    script = (
        "set -e; export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@a GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@a;"
        " echo change >> README; git add README; git commit -qm second;"
        " git checkout -qb feature; echo f > feature.txt; git add feature.txt; git commit -qm feature;"
        " git checkout -q -; echo wip >> README; git stash -q; git stash list | wc -l;"
        " git stash pop -q; git status --short; git log --oneline | wc -l; git branch --list | wc -l"
    )
    r = run.sandbox(script, workspace)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert lines[0] == "1"          # one stash entry
    assert "M" in r.stdout           # README modified again after pop
    assert "2" in lines[-2:]         # two commits on the default branch, two branches
    log = git(workspace, "log", "--all", "--oneline").stdout.strip().splitlines()
    assert len(log) == 3


def test_profile_and_extended_files_are_read_only_inside(run, workspace):
    write_profile(workspace, '[limits]\npids = 500\n', name="base.toml")
    write_profile(workspace, 'extends = "base.toml"\n')
    r = run.sandbox("echo 'pids = 1' >> .interlock.toml; echo a=$?; echo '# x' >> base.toml; echo b=$?", workspace)
    assert r.returncode == 0, r.stderr
    assert "a=0" not in r.stdout and "b=0" not in r.stdout
    assert open(os.path.join(workspace, "base.toml")).read() == '[limits]\npids = 500\n'


def test_instruction_files_stay_writable(run, workspace):
    with open(os.path.join(workspace, "AGENTS.md"), "w") as f:
        f.write("be careful\n")
    r = run.sandbox("echo 'more' >> AGENTS.md && echo ok", workspace)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
    assert open(os.path.join(workspace, "AGENTS.md")).read() == "be careful\nmore\n"


def test_creating_an_absent_protected_path_is_refused_and_recorded(run, workspace, tmp_path):
    audit = tmp_path / "audit.jsonl"
    r = run(["run", "--audit", str(audit), "--", "sh", "-c",
             "mkdir .vscode; echo vs=$?; echo ok > .envrc; echo envrc=$?; echo fine > other.txt; echo other=$?"], workspace)
    assert r.returncode == 0, r.stderr
    assert "vs=1" in r.stdout and "envrc=2" in r.stdout and "other=0" in r.stdout
    assert not os.path.exists(os.path.join(workspace, ".vscode"))
    assert not os.path.exists(os.path.join(workspace, ".envrc"))
    refused = [rec for rec in read_audit(audit) if rec["kind"] == "file" and rec["action"] == "deny"]
    by_path = {rec["detail"]["path"]: rec for rec in refused}
    assert set(by_path) == {f"{workspace}/.vscode", f"{workspace}/.envrc"}
    assert by_path[f"{workspace}/.vscode"]["detail"]["syscall"] == "mkdir"
    assert by_path[f"{workspace}/.vscode"]["exe"].endswith("/mkdir")
    assert all(rec["detail"]["reason"] and rec["pid"] > 0 for rec in refused)
    assert "2 writes to protected or hidden files" in r.stderr


def test_protected_path_under_a_directory_the_run_creates_is_reported(run, workspace, tmp_path):
    # `git init` creates .git/hooks and .git/config: refusing them would break git init, so a
    # protected path whose parent did not exist at start is reported instead.
    audit = tmp_path / "audit.jsonl"
    r = run(["run", "--audit", str(audit), "--", "git", "init", "-q"], workspace)
    assert r.returncode == 0, r.stderr
    assert f"this run created {workspace}/.git/hooks" in r.stderr
    assert f"this run created {workspace}/.git/config" in r.stderr
    created = [rec for rec in read_audit(audit) if rec["kind"] == "file" and rec["action"] == "created"]
    paths = {rec["detail"]["path"] for rec in created}
    assert {f"{workspace}/.git/hooks", f"{workspace}/.git/config"} <= paths
    assert all(rec["detail"]["reason"] for rec in created)


def test_each_attempt_to_write_a_protected_file_is_recorded(run, workspace, tmp_path):
    make_repo(workspace)
    write_profile(workspace, 'extends = "default"\n')
    audit = tmp_path / "audit.jsonl"
    script = ("echo x >> .interlock.toml; printf '#!/bin/sh\\n' > .git/hooks/pre-commit;"
              " git config core.hooksPath /tmp/hooks; git config core.fsmonitor /tmp/fsmon;"
              " ln -s .git/hooks via-link; echo x > via-link/post-checkout;"
              " mv .git/config moved; rm -f .git/config; true")
    r = run(["run", "--audit", str(audit), "--", "sh", "-c", script], workspace)
    assert r.returncode == 0, r.stderr
    refused = [rec for rec in read_audit(audit) if rec["kind"] == "file" and rec["action"] == "deny"]
    seen = [(rec["detail"]["path"], rec["detail"]["syscall"]) for rec in refused]
    assert (f"{workspace}/.interlock.toml", "openat") in seen
    assert (f"{workspace}/.git/hooks/pre-commit", "openat") in seen
    assert (f"{workspace}/.git/hooks/post-checkout", "openat") in seen      # through a symlink
    assert sum(1 for p, s in seen if p == f"{workspace}/.git/config" and s == "rename") >= 2  # two git config calls + mv
    assert any(p == f"{workspace}/.git/config" and s.startswith("unlink") for p, s in seen)
    git_records = [rec for rec in refused if rec["detail"]["syscall"] == "rename" and rec["exe"].endswith("/git")]
    assert git_records and all("config" in rec["argv"] for rec in git_records)
    assert all(rec["rule"].startswith("protected: ") and rec["detail"]["errno"] == "EROFS" for rec in refused)
    assert "core.hooksPath" not in open(os.path.join(workspace, ".git/config")).read()
    assert "writes to protected or hidden files" in r.stderr


def test_changed_profile_is_refused_until_approved(run, workspace, interlock):
    marker = os.path.join(workspace, "ran")
    with open(os.path.join(workspace, ".interlock.toml"), "w") as f:
        f.write('extends = "default"\n')
    approve_profiles(workspace)
    r = run(["run", "--", "true"], workspace)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(workspace, ".interlock.toml"), "a") as f:
        f.write('[limits]\npids = 300\n')
    r = run(["run", "--", "touch", marker], workspace)
    assert r.returncode == 2
    assert "changed since you last approved it" in r.stderr
    assert "interlock profile trust" in r.stderr
    assert not os.path.exists(marker)
    t = subprocess.run([str(interlock), "profile", "trust"], cwd=workspace, capture_output=True, text=True,
                       env=sandbox_env(), timeout=TIMEOUT)
    assert t.returncode == 0 and "approved" in t.stdout, t.stderr
    r = run(["run", "--", "touch", marker], workspace)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(marker)


def test_a_profile_seen_for_the_first_time_is_not_run_unapproved(run, workspace):
    # A sandboxed run could have written it (a new .interlock.toml in a subdirectory): the next
    # run must not pick it up without the user seeing it.
    sub = os.path.join(workspace, "sub")
    os.makedirs(sub)
    with open(os.path.join(sub, ".interlock.toml"), "w") as f:
        f.write('extends = "default"\n[filesystem]\nread_write = ["~"]\n')
    marker = os.path.join(sub, "ran")
    r = run(["run", "--", "touch", marker], sub)
    assert r.returncode == 2
    assert "has not been approved yet" in r.stderr and "interlock profile trust" in r.stderr
    assert not os.path.exists(marker)
    approve_profiles(sub)
    assert run(["run", "--", "touch", marker], sub).returncode == 0
    assert os.path.exists(marker)


def test_the_approval_command_the_refusal_names_works_as_printed(run, workspace, interlock):
    """The refusal names `interlock profile trust PATH`: run verbatim (from another directory),
    it approves that profile, and the run then starts; a second profile on the same line is refused."""
    sub = os.path.join(workspace, "proj")
    os.makedirs(sub)
    with open(os.path.join(sub, ".interlock.toml"), "w") as f:
        f.write('extends = "default"\n')
    r = run(["run", "--", "true"], sub)
    assert r.returncode == 2, r.stderr
    printed = re.search(r"`interlock (profile trust [^`]+)`", r.stderr)
    assert printed and printed.group(1) == "profile trust " + os.path.join(os.path.realpath(sub), ".interlock.toml"), r.stderr
    t = subprocess.run([str(interlock)] + printed.group(1).split(" "), cwd="/", capture_output=True, text=True,
                       env=sandbox_env(), timeout=TIMEOUT)
    assert t.returncode == 0 and "approved: " in t.stdout, t.stdout + t.stderr
    assert run(["run", "--", "true"], sub).returncode == 0
    both = subprocess.run([str(interlock), "profile", "trust", "a.toml", "--profile", "b.toml"], cwd=sub,
                          capture_output=True, text=True, env=sandbox_env(), timeout=TIMEOUT)
    assert both.returncode == 2 and "once" in both.stderr, both.stderr


def test_version(interlock):
    r = subprocess.run([str(interlock), "--version"], capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0 and re.fullmatch(r"\d+\.\d+\.\d+\S*( \([0-9a-f]+(-dirty)?\))?\n", r.stdout), r.stdout + r.stderr


def test_changed_extended_file_also_needs_approval(run, workspace):
    write_profile(workspace, '[limits]\npids = 500\n', name="base.toml")
    write_profile(workspace, 'extends = "base.toml"\n')
    assert run(["run", "--", "true"], workspace).returncode == 0
    with open(os.path.join(workspace, "base.toml"), "w") as f:
        f.write('[limits]\npids = 5\n')
    r = run(["run", "--", "true"], workspace)
    assert r.returncode == 2 and "changed since you last approved it" in r.stderr
    approve_profiles(workspace)
    assert run(["run", "--", "true"], workspace).returncode == 0


def test_changed_profile_asks_on_a_terminal(pty_session, workspace, interlock):
    with open(os.path.join(workspace, ".interlock.toml"), "w") as f:
        f.write('extends = "default"\n')
    approve_profiles(workspace)
    with open(os.path.join(workspace, ".interlock.toml"), "a") as f:
        f.write('# edited\n')
    s = pty_session([str(interlock), "run", "--", "sh", "-c", "echo RAN_$((1+1))"], cwd=workspace)
    s.expect(b"Run with it? [y/N]")
    s.send(b"y\n")
    s.expect(b"RAN_2")
    assert s.wait() == 0


def test_project_can_unprotect_an_entry(run, workspace):
    os.makedirs(os.path.join(workspace, ".vscode"))
    make_repo(workspace)
    write_profile(workspace, 'extends = "default"\n[filesystem]\nunprotect = [".vscode"]\n')
    r = run.sandbox("echo '{}' > .vscode/settings.json && echo vscode-ok; echo x >> .git/config; echo cfg=$?", workspace)
    assert "vscode-ok" in r.stdout, r.stderr
    assert "cfg=0" not in r.stdout  # the rest of the list still applies
    assert os.path.exists(os.path.join(workspace, ".vscode", "settings.json"))
