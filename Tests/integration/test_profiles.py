"""Profiles end to end: exact error messages (exit 2, nothing runs), check, show, discovery."""

import json
import os
import re

import pytest

from conftest import write_profile


def run_with_marker(run, ws, *options, cwd=None):
    """`interlock run OPTIONS -- touch MARKER`; returns (result, marker path)."""
    marker = os.path.join(ws, "command-ran")
    r = run(["run", *options, "--", "touch", marker], cwd or ws)
    return r, marker


def assert_profile_error(r, marker, message):
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert r.stderr == f"interlock: {message}\n"
    assert r.stdout == ""
    assert not os.path.exists(marker), "the command ran despite a bad profile"


# (profile text, expected message after "FILE"; FILE is the profile's absolute path)
ERRORS = {
    "toml-syntax": ('extends = "default"\n\n[limits]\nmemory = "4G" extra\n',
                    ":4: expected the end of the line, found 'e'"),
    "toml-unquoted-string": ('[limits]\nmemory = 4G\n',
                             ":2: invalid value '4G' (strings must be quoted)"),
    "toml-duplicate-key": ('[limits]\npids = 10\npids = 20\n', ":3: duplicate key 'limits.pids'"),
    "toml-unterminated-array": ('[filesystem]\nread_only = [\n  "a",\n',
                                ":4: unterminated array (opened on line 2)"),
    "unknown-key": ('[filesystem]\nread_onlyy = [".git/hooks"]\n',
                    ":2: filesystem.read_onlyy: unknown key 'read_onlyy'; valid keys: hidden, read_only, read_write, tmpfs, unprotect"),
    "wrong-type": ('[limits]\npids = "many"\n', ":2: limits.pids: expected an integer, found string"),
    "wrong-type-bool": ('[secrets]\ndiscover = "yes"\n', ":2: secrets.discover: expected a boolean, found string"),
    "wrong-element-type": ('[filesystem]\nhidden = ["a",\n  7]\n',
                           ":3: filesystem.hidden: expected an array of strings, found integer element"),
    "bad-memory-size": ('[limits]\nmemory = "12Q"\n',
                        ":2: limits.memory: invalid memory size '12Q'; use a number of bytes or a number with a K, "
                        "M, G or T suffix, such as \"512M\" or \"4G\""),
    "memory-too-small": ('[limits]\nmemory = 5\n', ":2: limits.memory: memory must be at least 1M (1048576 bytes), found 5"),
    "pids-range": ('[limits]\npids = 0\n', ":2: limits.pids: pids must be between 1 and 4194304, found 0"),
    "open-files-range": ('[limits]\nopen_files = 8\n',
                         ":2: limits.open_files: open_files must be between 16 and 1073741816, found 8"),
    "cpu-zero": ('[limits]\ncpu = 0\n', ":2: limits.cpu: cpu must be a finite number greater than 0, found 0"),
    "dotdot-path": ('[filesystem]\nread_only = ["../sibling"]\n',
                    ":2: filesystem.read_only: invalid path '../sibling': '..' components are not allowed"),
    "env-value": ('[env.staging.limits]\nmemory = "1K"\n',
                  ":2: env.staging.limits.memory: memory must be at least 1M (1048576 bytes), found '1K'"),
    "on-deny": ('[syscalls]\non_deny = "explode"\n',
                ":2: syscalls.on_deny: invalid value 'explode'; valid values: kill, errno:NAME"),
    "mode": ('[syscalls]\nmode = "audit"\n', ":2: syscalls.mode: invalid value 'audit'; valid values: enforce, learn"),
    "default-env-unknown": ('default_env = "prod"\n[env.staging]\n[env.dev]\n',
                            ":1: default_env: unknown environment 'prod'; valid environments: dev, staging"),
    "extends-unknown-builtin": ('extends = "nosuch"\n',
                                ":1: extends: unknown built-in profile 'nosuch'; built-in profiles: default, strict"),
}


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_profile_error_message(run, workspace, case):
    text, message = ERRORS[case]
    path = write_profile(workspace, text)
    r, marker = run_with_marker(run, workspace)
    assert_profile_error(r, marker, path + message)


@pytest.mark.parametrize("case", ["toml-syntax", "unknown-key", "wrong-type", "bad-memory-size"])
def test_profile_check_reports_same_error(run, workspace, case):
    text, message = ERRORS[case]
    path = write_profile(workspace, text)
    r = run(["profile", "check"], workspace)
    assert r.returncode == 2
    assert r.stderr == f"interlock: {path}{message}\n"
    assert r.stdout == ""


def test_unknown_top_level_key_lists_valid_keys(run, workspace):
    path = write_profile(workspace, 'extends = "default"\nbogus = 1\n')
    r, marker = run_with_marker(run, workspace)
    assert r.returncode == 2
    assert not os.path.exists(marker)
    m = re.fullmatch(rf"interlock: {re.escape(path)}:2: bogus: unknown key 'bogus'; valid keys: (.*)\n", r.stderr)
    assert m, r.stderr
    keys = m.group(1).split(", ")
    assert keys == sorted(keys)
    assert {"default_env", "env", "extends", "filesystem", "limits", "network", "secrets", "syscalls"} <= set(keys)


def test_unknown_env_lists_valid_choices(run, workspace):
    write_profile(workspace, 'extends = "default"\n[env.staging]\nnetwork.egress = ["a.example.com:443"]\n'
                             '[env.production.limits]\nmemory = "2G"\n')
    r, marker = run_with_marker(run, workspace, "--env", "nope")
    assert_profile_error(r, marker, "<command line>: --env: unknown environment 'nope'; "
                                    "valid environments: production, staging")


def test_unknown_env_without_environments(run, workspace):
    r, marker = run_with_marker(run, workspace, "--env", "nope")
    assert_profile_error(r, marker, "<command line>: --env: unknown environment 'nope'; "
                                    "the profile defines no environments")


def test_extends_cycle(run, workspace):
    main = write_profile(workspace, 'extends = "base.toml"\n')
    base = write_profile(workspace, '# base\nextends = "middle.toml"\n', name="base.toml")
    middle = write_profile(workspace, '\n\nextends = ".interlock.toml"\n', name="middle.toml")
    r, marker = run_with_marker(run, workspace)
    assert_profile_error(r, marker, f"{middle}:3: extends: extends cycle: {main} -> {base} -> {middle} -> {main}")


def test_extends_self_cycle(run, workspace):
    main = write_profile(workspace, 'extends = ".interlock.toml"\n')
    r, marker = run_with_marker(run, workspace)
    assert_profile_error(r, marker, f"{main}:1: extends: extends cycle: {main} -> {main}")


def test_extends_missing(run, workspace):
    main = write_profile(workspace, '\nextends = "profiles/missing.toml"\n')
    r, marker = run_with_marker(run, workspace)
    assert_profile_error(r, marker, f"{main}:2: extends: profile file not found: {workspace}/profiles/missing.toml")


def test_profile_option_unknown_builtin(run, workspace):
    r, marker = run_with_marker(run, workspace, "--profile", "nosuch")
    assert_profile_error(r, marker, "<command line>: --profile: unknown built-in profile 'nosuch'; "
                                    "built-in profiles: default, strict")


def test_profile_option_missing_file(run, workspace):
    r, marker = run_with_marker(run, workspace, "--profile", "./nofile.toml")
    assert_profile_error(r, marker, "<command line>: --profile: profile file not found: nofile.toml")


def test_profile_option_directory_unreadable(run, workspace):
    os.mkdir(os.path.join(workspace, "dir.toml"))
    r, marker = run_with_marker(run, workspace, "--profile", "dir.toml")
    assert_profile_error(r, marker, "<command line>: --profile: cannot read profile file dir.toml: Is a directory")


def test_bad_profile_in_parent_directory_blocks_run(run, workspace):
    # Discovery goes upward: a broken profile above the current directory still stops the run.
    path = write_profile(workspace, '[limits]\npids = -1\n')
    sub = os.path.join(workspace, "a", "b")
    os.makedirs(sub)
    r, marker = run_with_marker(run, workspace, cwd=sub)
    assert_profile_error(r, marker, f"{path}:2: limits.pids: pids must be between 1 and 4194304, found -1")


# --- profile check ---------------------------------------------------------------------------


def test_profile_check_ok(run, workspace):
    path = write_profile(workspace, 'extends = "default"\n[env.staging]\n[env.dev]\n')
    r = run(["profile", "check"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"ok: builtin:default <- {path}; environments: dev, staging\n"


def test_profile_check_builtin(run, workspace):
    r = run(["profile", "check", "strict"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "ok: builtin:default <- builtin:strict\n"


def test_profile_check_explicit_path(run, workspace, tmp_host_dir):
    other = write_profile(tmp_host_dir, '[limits\n', name="broken.toml")
    r = run(["profile", "check", other], workspace)
    assert r.returncode == 2
    assert r.stderr.startswith(f"interlock: {other}:1: ")


def test_profile_check_validates_every_environment(run, workspace):
    # The base is fine and `run` without --env works; the environment is broken.
    path = write_profile(workspace, '[env.ci.syscalls]\ndeny = ["nosuchcall"]\n')
    r = run(["profile", "check"], workspace)
    assert r.returncode == 2
    assert "nosuchcall" in r.stderr
    assert "env ci" in r.stderr
    assert r.stdout == ""
    assert run(["run", "--", "true"], workspace).returncode == 0
    r, marker = run_with_marker(run, workspace, "--env", "ci")
    assert r.returncode == 2
    assert "unknown syscall 'nosuchcall'" in r.stderr
    assert not os.path.exists(marker)


# --- profile show ----------------------------------------------------------------------------

STAGED = (
    'extends = "default"\n'
    'default_env = "dev"\n'
    '[filesystem]\n'
    'read_only = [".git/hooks"]\n'
    '[network]\n'
    'egress = ["pypi.org:443"]\n'
    '[env.dev]\n'
    '[env.staging]\n'
    'network.egress = ["api.staging.example.com:443"]\n'
    '[env.staging.limits]\n'
    'memory = "2G"\n'
)


def test_profile_show_json_env_merge(run, workspace):
    path = write_profile(workspace, STAGED)
    r = run(["profile", "show", "--env", "staging", "--json"], workspace)
    assert r.returncode == 0, r.stderr
    policy = json.loads(r.stdout)
    assert policy["environment"] == "staging"
    assert policy["environments"] == ["dev", "staging"]
    assert policy["sources"] == ["builtin:default", path]
    assert policy["profile_directory"] == workspace
    # Arrays append (base first), single values replace.
    assert policy["network"]["egress"] == ["pypi.org:443", "api.staging.example.com:443"]
    assert policy["limits"]["memory"] == 2 * 1024 ** 3
    assert policy["limits"]["pids"] == 4096  # from the default profile
    assert policy["filesystem"]["read_only"] == [".git/hooks"]
    assert policy["filesystem"]["tmpfs"] == ["/tmp"]


def test_profile_show_json_default_env(run, workspace):
    write_profile(workspace, STAGED)
    r = run(["profile", "show", "--json"], workspace)
    assert r.returncode == 0, r.stderr
    policy = json.loads(r.stdout)
    assert policy["environment"] == "dev"
    assert policy["network"]["egress"] == ["pypi.org:443"]
    assert policy["limits"]["memory"] == 8 * 1024 ** 3


def test_profile_show_json_builtin(run, workspace):
    r = run(["profile", "show", "--profile", "strict", "--json"], workspace)
    assert r.returncode == 0, r.stderr
    policy = json.loads(r.stdout)
    assert policy["sources"] == ["builtin:default", "builtin:strict"]
    assert policy["limits"] == {"memory": 2 * 1024 ** 3, "pids": 512, "cpu": 2, "open_files": 1024}
    assert policy["environment"] is None
    assert policy["profile_directory"] is None


def test_profile_show_toml_round_trips(run, workspace, tmp_host_dir):
    write_profile(workspace, STAGED)
    r = run(["profile", "show", "--env", "staging"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"# workspace: {workspace}\n")
    resolved = write_profile(tmp_host_dir, r.stdout, name="resolved.toml")
    again = run(["profile", "show", "--profile", resolved, "--json"], workspace)
    assert again.returncode == 0, again.stderr
    original = json.loads(run(["profile", "show", "--env", "staging", "--json"], workspace).stdout)
    reloaded = json.loads(again.stdout)
    for key in ("filesystem", "limits", "network", "syscalls", "secrets"):
        assert reloaded[key] == original[key], key


def test_profile_show_error(run, workspace):
    path = write_profile(workspace, '[limits]\nmemory = "lots"\n')
    r = run(["profile", "show", "--json"], workspace)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.startswith(f"interlock: {path}:2: limits.memory: invalid memory size 'lots'")


# --- discovery -------------------------------------------------------------------------------


def test_discovery_from_subdirectory(run, workspace):
    write_profile(workspace, 'extends = "default"\n[filesystem]\nhidden = ["secret.txt"]\n')
    with open(os.path.join(workspace, "secret.txt"), "w") as f:
        f.write("s3cr3t")
    sub = os.path.join(workspace, "src", "pkg")
    os.makedirs(sub)
    r = run(["run", "-v", "--", "sh", "-c", "pwd; cat ../../secret.txt; echo; touch ../../at-root && echo ROOT_OK"], sub)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == sub                 # the command starts where the user is
    assert "s3cr3t" not in r.stdout        # the discovered profile applies
    assert "ROOT_OK" in r.stdout           # the workspace is the profile's directory
    assert os.path.exists(os.path.join(workspace, "at-root"))
    assert f"workspace {workspace}" in r.stderr
    assert f"{workspace}/.interlock.toml" in r.stderr


def test_discovery_workspace_is_profile_directory(run, workspace):
    write_profile(workspace, 'extends = "default"\n')
    sub = os.path.join(workspace, "sub")
    os.makedirs(sub)
    r = run(["profile", "show"], sub)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"# workspace: {workspace}\n")


def test_no_profile_uses_builtin_default(run, workspace):
    r = run(["profile", "show", "--json"], workspace)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["sources"] == ["builtin:default"]
    r = run(["run", "-v", "--", "true"], workspace)
    assert r.returncode == 0
    assert "profile builtin:default;" in r.stderr
    assert f"workspace {workspace}" in r.stderr


def test_env_option_applies_limits(run, workspace):
    os.makedirs(os.path.join(workspace, ".git", "hooks"))
    write_profile(workspace, STAGED)
    r = run(["run", "--env", "staging", "--", "sh", "-c", "ulimit -n"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "8192"
    write_profile(workspace, STAGED.replace('memory = "2G"\n', 'memory = "2G"\nopen_files = 100\n'))
    r = run(["run", "--env", "staging", "--", "sh", "-c", "ulimit -n"], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "100"
    r = run(["run", "--", "sh", "-c", "ulimit -n"], workspace)  # default_env = dev: no override
    assert r.stdout.strip() == "8192"


def test_profile_option_does_not_move_workspace(run, workspace, tmp_host_dir):
    profile = write_profile(tmp_host_dir, 'extends = "default"\n', name="agent.toml")
    r = run(["run", "--profile", profile, "--", "sh", "-c", "pwd; touch made-here; echo >> agent.toml"],
            workspace)
    assert r.stdout.splitlines()[:1] == [workspace]
    assert os.path.exists(os.path.join(workspace, "made-here"))
    assert not os.path.exists(os.path.join(tmp_host_dir, "made-here"))
    assert open(profile).read() == 'extends = "default"\n'  # the profile itself stays read-only
