"""The sandbox's filesystem view: read-only host, writable workspace, private /tmp, profile paths."""

import os

import pytest

from conftest import PY, unique, write_profile

ERRNO_SCRIPT = (
    "import errno, sys\n"
    "op, path = sys.argv[1], sys.argv[2]\n"
    "try:\n"
    "    if op == 'write': open(path, 'w').write('x')\n"
    "    elif op == 'append': open(path, 'a').write('x')\n"
    "    elif op == 'mkdir': __import__('os').mkdir(path)\n"
    "    elif op == 'read': sys.stdout.write('DATA[' + open(path).read() + ']\\n')\n"
    "    elif op == 'list': print('LIST', sorted(__import__('os').listdir(path)))\n"
    "    print('OK')\n"
    "except OSError as e:\n"
    "    print('ERR', errno.errorcode.get(e.errno, e.errno))\n"
)


def py_fs(run, cwd, op, path):
    r = run(["run", "--", PY, "-c", ERRNO_SCRIPT, op, path], cwd)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


# --- read-only host ----------------------------------------------------------------------------


def test_usr_is_read_only_message(run, workspace):
    name = f"/usr/{unique('interlock-test-')}"
    r = run(["run", "--", "touch", name], workspace)
    assert r.returncode == 1
    assert "Read-only file system" in r.stderr
    assert not os.path.exists(name)


@pytest.mark.parametrize("path", ["/usr/interlock-test-file", "/etc/interlock-test-file", "/var/interlock-test-file",
                                  "/interlock-test-file"])
def test_host_writes_fail_with_erofs(run, workspace, path):
    assert py_fs(run, workspace, "write", path) == "ERR EROFS"
    assert not os.path.exists(path)


def test_existing_host_file_not_modifiable(run, workspace):
    before = open("/etc/hostname").read()
    # EACCES (root's file is "other" to the sandbox uid) or EROFS: either way, refused.
    assert py_fs(run, workspace, "append", "/etc/hostname") in ("ERR EROFS", "ERR EACCES")
    assert open("/etc/hostname").read() == before


def test_host_is_readable(run, workspace):
    r = run(["run", "--", "cat", "/etc/os-release"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout == open("/etc/os-release").read()


def test_host_mounts_are_nosuid_nodev(run, workspace):
    r = run(["run", "--", "cat", "/proc/self/mountinfo"], workspace)
    assert r.returncode == 0, r.stderr
    for line in r.stdout.splitlines():
        fields = line.split()
        mount_point, options = fields[4], fields[5].split(",")
        if mount_point in ("/", "/usr", workspace):
            assert "nosuid" in options, line
            assert "nodev" in options, line
        if mount_point == "/":
            assert "ro" in options, line


# --- workspace ---------------------------------------------------------------------------------


def test_workspace_is_writable_and_visible_on_host(run, workspace):
    r = run.sandbox("echo written-inside > out.txt && mkdir -p d/e && echo nested > d/e/f", workspace)
    assert r.returncode == 0, r.stderr
    assert open(os.path.join(workspace, "out.txt")).read() == "written-inside\n"
    assert open(os.path.join(workspace, "d/e/f")).read() == "nested\n"
    owner = os.stat(workspace).st_uid
    assert os.stat(os.path.join(workspace, "out.txt")).st_uid == owner
    assert os.stat(os.path.join(workspace, "d/e")).st_uid == owner


def test_new_files_keep_workspace_owner(run, workspace):
    os.chown(workspace, 4242, 4343)
    r = run.sandbox("echo x > f && id -u", workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "4242"
    st = os.stat(os.path.join(workspace, "f"))
    assert (st.st_uid, st.st_gid) == (4242, 4343)


def test_host_changes_visible_inside(run, workspace):
    with open(os.path.join(workspace, "from-host"), "w") as f:
        f.write("host-data")
    r = run(["run", "--", "cat", "from-host"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "host-data"


def test_workspace_option(run, workspace, tmp_host_dir):
    # --workspace: that directory, not the current one, is writable (and the command starts there).
    r = run.sandbox("pwd; touch ws-file", tmp_host_dir, options=["--workspace", workspace])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == workspace
    assert os.path.exists(os.path.join(workspace, "ws-file"))
    r = run.sandbox(f"touch {tmp_host_dir}/outside", tmp_host_dir, options=["--workspace", workspace])
    assert r.returncode != 0
    assert not os.path.exists(os.path.join(tmp_host_dir, "outside"))


def test_workspace_option_missing_dir(run, workspace):
    marker = os.path.join(workspace, "ran")
    r = run.sandbox(f"touch {marker}", workspace, options=["--workspace", "/nonexistent/" + unique()])
    assert r.returncode == 2
    assert "no such directory" in r.stderr
    assert not os.path.exists(marker)


# --- private /tmp --------------------------------------------------------------------------------


def test_tmp_is_private(run, workspace):
    host_file = f"/tmp/{unique('interlock-host-visible-')}"
    inner_name = unique("interlock-inner-")
    open(host_file, "w").close()
    try:
        r = run.sandbox(f"test -e {host_file} && echo SEEN; echo inside > /tmp/{inner_name} && cat /tmp/{inner_name}",
                        workspace)
        assert r.returncode == 0, r.stderr
        assert "SEEN" not in r.stdout
        assert r.stdout.strip() == "inside"
        assert not os.path.exists(f"/tmp/{inner_name}")
    finally:
        os.unlink(host_file)


def test_tmp_is_fresh_each_run(run, workspace):
    name = unique("persist-")
    assert run.sandbox(f"touch /tmp/{name}", workspace).returncode == 0
    r = run.sandbox(f"test -e /tmp/{name} && echo PERSISTED; echo done", workspace)
    assert r.stdout.strip() == "done"


def test_dev_is_minimal(run, workspace):
    r = run.sandbox("ls /dev; echo ---; echo hello > /dev/null && head -c 4 /dev/zero | od -An -tx1", workspace)
    assert r.returncode == 0, r.stderr
    listing, _, rest = r.stdout.partition("---")
    names = set(listing.split())
    assert {"null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm"} <= names
    for absent in ("sda", "vda", "mem", "kmsg", "nvme0"):
        assert absent not in names
    assert rest.split() == ["00", "00", "00", "00"]


def test_proc_masks(run, workspace):
    masked = [p for p in ("/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug") if os.path.exists(p)]
    assert masked
    r = run(["run", "--", "wc", "-c", *masked], workspace)
    assert r.returncode == 0, r.stderr
    sizes = {line.split()[1]: int(line.split()[0]) for line in r.stdout.strip().splitlines() if line.split()[1] != "total"}
    assert sizes == {p: 0 for p in masked}


@pytest.mark.parametrize("path", [p for p in ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs")
                                  if os.path.exists(p)])
def test_proc_kernel_knobs_read_only(run, workspace, path):
    r = run(["run", "--", "awk", f'$5 == "{path}" {{print $6}}', "/proc/self/mountinfo"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() and all(opts.split(",")[0] == "ro" for opts in r.stdout.split()), r.stdout


# --- profile paths -------------------------------------------------------------------------------


def test_hidden_file_reads_empty_and_writes_fail(run, workspace):
    secret = os.path.join(workspace, "prod.tfvars")
    with open(secret, "w") as f:
        f.write("password = hunter2\n")
    write_profile(workspace, '[filesystem]\nhidden = ["prod.tfvars"]\n')
    assert py_fs(run, workspace, "read", "prod.tfvars") == "DATA[]\nOK"
    assert py_fs(run, workspace, "write", "prod.tfvars").startswith("ERR")
    r = run(["run", "--", "cat", "prod.tfvars"], workspace)
    assert "hunter2" not in r.stdout
    assert open(secret).read() == "password = hunter2\n"


def test_hidden_absolute_file(run, workspace, tmp_host_dir):
    secret = os.path.join(tmp_host_dir, "credentials")
    with open(secret, "w") as f:
        f.write("aws_secret_access_key = abc\n")
    os.chmod(secret, 0o644)
    # Visible without the mask (control: the host dir is bound read-only so it is reachable).
    write_profile(workspace, f'[filesystem]\nread_only = ["{tmp_host_dir}"]\n')
    r = run(["run", "--", "cat", secret], workspace)
    assert "abc" in r.stdout
    write_profile(workspace, f'[filesystem]\nread_only = ["{tmp_host_dir}"]\nhidden = ["{secret}"]\n')
    r = run(["run", "--", "cat", secret], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""


def test_hidden_directory_shows_empty_entries(run, workspace):
    d = os.path.join(workspace, "infra")
    os.makedirs(os.path.join(d, "sub"))
    with open(os.path.join(d, "prod.key"), "w") as f:
        f.write("KEY")
    write_profile(workspace, '[filesystem]\nhidden = ["infra"]\n')
    assert py_fs(run, workspace, "list", "infra") == "LIST ['prod.key', 'sub']\nOK"
    assert py_fs(run, workspace, "read", "infra/prod.key") == "DATA[]\nOK"
    assert py_fs(run, workspace, "list", "infra/sub") == "LIST []\nOK"
    assert py_fs(run, workspace, "write", "infra/new").startswith("ERR")
    assert not os.path.exists(os.path.join(d, "new"))
    assert sorted(os.listdir(d)) == ["prod.key", "sub"]


def test_read_only_subpath_of_workspace(run, workspace):
    hooks = os.path.join(workspace, ".git", "hooks")
    os.makedirs(hooks)
    with open(os.path.join(hooks, "pre-commit"), "w") as f:
        f.write("#!/bin/sh\nexit 0\n")
    write_profile(workspace, '[filesystem]\nread_only = [".git/hooks"]\n')
    assert py_fs(run, workspace, "write", ".git/hooks/post-checkout") == "ERR EROFS"
    assert py_fs(run, workspace, "append", ".git/hooks/pre-commit") == "ERR EROFS"
    assert py_fs(run, workspace, "read", ".git/hooks/pre-commit") == "DATA[#!/bin/sh\nexit 0\n]\nOK"
    # The rest of the workspace, including .git itself, stays writable.
    assert py_fs(run, workspace, "write", ".git/description") == "OK"
    assert py_fs(run, workspace, "write", "src.py") == "OK"
    assert not os.path.exists(os.path.join(hooks, "post-checkout"))
    assert open(os.path.join(hooks, "pre-commit")).read() == "#!/bin/sh\nexit 0\n"
    assert os.path.exists(os.path.join(workspace, "src.py"))


def test_whole_workspace_read_only(run, workspace):
    write_profile(workspace, '[filesystem]\nread_only = ["."]\n')
    assert py_fs(run, workspace, "write", "x") == "ERR EROFS"
    assert not os.path.exists(os.path.join(workspace, "x"))


def test_tmpfs_entry(run, workspace):
    scratch = os.path.join(workspace, "build")
    os.makedirs(scratch)
    with open(os.path.join(scratch, "host-artifact"), "w") as f:
        f.write("old")
    write_profile(workspace, '[filesystem]\ntmpfs = ["build"]\n')
    r = run.sandbox("ls -A build; echo new > build/inner && cat build/inner; "
                    "sed -n 's|^[^ ]* [^ ]* [^ ]* [^ ]* [^ ]*/build .* - \\([^ ]*\\) .*|\\1|p' /proc/self/mountinfo",
                    workspace)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split()
    assert "host-artifact" not in lines  # empty: the host's contents are not there
    assert lines[0] == "new"
    assert lines[-1] == "tmpfs"
    # Nothing written to the tmpfs reaches the host, and the host's files are untouched.
    assert sorted(os.listdir(scratch)) == ["host-artifact"]


def test_tmpfs_absolute_path_created(run, workspace):
    # A tmpfs at a path that does not exist on the host: the sandbox gets an empty, writable dir.
    target = f"/tmp/{unique('interlock-tmpfs-')}"
    write_profile(workspace, f'extends = "default"\n[filesystem]\ntmpfs = ["{target}"]\n')
    r = run.sandbox(f"ls -A {target} | wc -l; touch {target}/x && echo WROTE", workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["0", "WROTE"]
    assert not os.path.exists(target)


def test_read_write_extra_path(run, workspace, tmp_host_dir):
    extra = os.path.join(tmp_host_dir, "cache")
    os.makedirs(extra)
    write_profile(workspace, f'[filesystem]\nread_write = ["{extra}"]\n')
    r = run.sandbox(f"echo cached > {extra}/entry", workspace)
    assert r.returncode == 0, r.stderr
    assert open(os.path.join(extra, "entry")).read() == "cached\n"


def test_read_write_symlink_outside_workspace_refused(run, workspace):
    os.symlink("/etc", os.path.join(workspace, "etclink"))
    write_profile(workspace, '[filesystem]\nread_write = ["etclink"]\n')
    marker = os.path.join(workspace, "command-ran")
    r = run(["run", "--", "touch", marker], workspace)
    assert r.returncode == 2
    assert "outside the workspace" in r.stderr
    assert "etclink" in r.stderr and "/etc" in r.stderr
    assert not os.path.exists(marker)


def test_read_only_symlink_outside_workspace_refused(run, workspace, tmp_host_dir):
    os.symlink(tmp_host_dir, os.path.join(workspace, "escape"))
    write_profile(workspace, '[filesystem]\nread_only = ["escape"]\n')
    marker = os.path.join(workspace, "command-ran")
    r = run(["run", "--", "touch", marker], workspace)
    assert r.returncode == 2
    assert "outside the workspace" in r.stderr
    assert not os.path.exists(marker)


def test_symlink_inside_workspace_allowed(run, workspace):
    os.makedirs(os.path.join(workspace, "real", "hooks"))
    os.symlink("real/hooks", os.path.join(workspace, "hooks-link"))
    write_profile(workspace, '[filesystem]\nread_only = ["hooks-link"]\n')
    assert py_fs(run, workspace, "write", "real/hooks/x") == "ERR EROFS"
    assert py_fs(run, workspace, "write", "real/y") == "OK"


def test_missing_profile_path_refused(run, workspace):
    write_profile(workspace, '[filesystem]\nread_write = ["does-not-exist"]\n')
    marker = os.path.join(workspace, "command-ran")
    r = run(["run", "--", "touch", marker], workspace)
    assert r.returncode == 2
    assert "does not exist" in r.stderr
    assert not os.path.exists(marker)


def test_untraversable_home_workspace(run, tmp_host_dir):
    # A workspace below a 0700 directory (like /root/project): still writable inside, and the
    # rest of the 0700 directory is not visible.
    private = os.path.join(tmp_host_dir, "home")
    ws = os.path.join(private, "project")
    os.makedirs(ws)
    os.chmod(private, 0o700)
    with open(os.path.join(private, "sibling-secret"), "w") as f:
        f.write("secret")
    r = run.sandbox(f"touch made && ls -A {private}; cat {private}/sibling-secret 2>/dev/null; true", ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["project"]
    assert os.path.exists(os.path.join(ws, "made"))


def test_workspace_path_with_spaces_and_unicode(run, workspace):
    ws = os.path.join(workspace, "my project \u00fc")
    os.makedirs(os.path.join(ws, ".git", "hooks"))
    write_profile(ws, 'extends = "default"\n[filesystem]\nread_only = [".git/hooks"]\n')
    r = run.sandbox("pwd; echo x > made && echo MADE; touch .git/hooks/h 2>/dev/null || echo HOOKS_RO", ws)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:3] == [ws, "MADE", "HOOKS_RO"]
    assert os.path.exists(os.path.join(ws, "made"))


def test_read_only_single_file(run, workspace):
    with open(os.path.join(workspace, "Makefile"), "w") as f:
        f.write("all:\n")
    write_profile(workspace, 'extends = "default"\n[filesystem]\nread_only = ["Makefile"]\n')
    assert py_fs(run, workspace, "append", "Makefile") == "ERR EROFS"
    assert py_fs(run, workspace, "write", "other") == "OK"
    assert open(os.path.join(workspace, "Makefile")).read() == "all:\n"


def test_unprivileged_profile_paths(nobody, workspace):
    # Without idmapped mounts (an unprivileged caller), profile paths work the same way.
    os.makedirs(os.path.join(workspace, ".git", "hooks"))
    os.makedirs(os.path.join(workspace, "secrets"))
    with open(os.path.join(workspace, "secrets", "key"), "w") as f:
        f.write("KEY")
    with open(os.path.join(workspace, ".env"), "w") as f:
        f.write("TOKEN=abc")
    write_profile(workspace, 'extends = "default"\n[filesystem]\nread_only = [".git/hooks"]\n'
                             'hidden = [".env", "secrets"]\n')
    r = nobody(["run", "--", "sh", "-c",
                "cat .env; cat secrets/*; touch .git/hooks/h 2>/dev/null || echo HOOKS_RO; touch ok && echo WS_OK"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["HOOKS_RO", "WS_OK"]
