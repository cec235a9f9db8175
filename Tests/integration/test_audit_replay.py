"""The audit log and replay (issue 3): the stderr summary, the JSON Lines log and its default
location, `interlock audit list|show|tail [-f]`, and `interlock replay` (table, --json, --suggest,
--allow-dangerous, --rerun) against unchanged and changed profiles.

Every test has its own XDG_STATE_HOME, so `audit list` and default log paths see only its runs.
"""

import json
import os
import re
import shutil
import tempfile
import threading
import tomllib

import pytest

from conftest import PY, TIMEOUT, sandbox_env, wait_until, write_profile
from helpers.seccomp_support import (call_line, call_results, exact_count, lifecycle, read_audit,
                                     summary_line, syscall_records, x86_64_syscalls)
from helpers.seccomp_support import sysc, sysc_build  # noqa: F401  (fixtures)

ISSUE_COMMAND = "unshare -r true; mount -t tmpfs x /mnt"
NR = x86_64_syscalls()
ESC = "\x1b["


@pytest.fixture
def state():
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-it-state-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def env(state):
    return sandbox_env({"XDG_STATE_HOME": state})


@pytest.fixture
def il(run, env):
    """il(args, cwd, **kw): interlock with this test's XDG_STATE_HOME."""
    def call(args, cwd, **kwargs):
        kwargs.setdefault("env", env)
        return run(args, cwd, **kwargs)
    return call


def audit_dir(state):
    return os.path.join(state, "interlock", "audit")


def log_of(stderr):
    line = summary_line(stderr)
    assert line, stderr
    return line.rsplit("audit: ", 1)[1].strip()


@pytest.fixture
def recorded(il, workspace, state):
    """The issue's example, recorded with the default log location."""
    r = il(["run", "--", "sh", "-c", ISSUE_COMMAND], workspace)
    path = log_of(r.stderr)
    records = read_audit(path)
    return {"r": r, "path": path, "id": lifecycle(records, "start")["sandbox"], "records": records}


def suggested_snippet(stdout):
    """The TOML lines --suggest printed (comments dropped), or '' if none."""
    lines = stdout.splitlines()
    starts = [i for i, l in enumerate(lines) if l.startswith("# Smallest change to your profile")]
    if not starts:
        return ""
    return "\n".join(l for l in lines[starts[0] + 1:] if l.strip() and not l.lstrip().startswith("#"))


def json_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.strip()]


# --- the summary line and the log --------------------------------------------------------------


def test_issue_example_summary_and_log(recorded, state, workspace):
    r, records = recorded["r"], recorded["records"]
    assert r.returncode == 32, r.stderr  # mount's status: the refusal reached it as EPERM
    line = summary_line(r.stderr)
    assert re.fullmatch(r"interlock: exit 32 · blocked: 2 syscalls \((unshare, mount|mount, unshare)\) · audit: \S+", line), line

    # Default location: $XDG_STATE_HOME/interlock/audit/<time>-<id>.jsonl
    path = recorded["path"]
    assert os.path.dirname(path) == audit_dir(state)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}-" + re.escape(recorded["id"]) + r"\.jsonl", os.path.basename(path))

    start = lifecycle(records, "start")
    assert start["argv"] == ["sh", "-c", ISSUE_COMMAND]
    assert start["detail"]["policy_hash"] and start["detail"]["workspace"] == workspace
    assert start["detail"]["profile"] == ["builtin:default"]
    assert records[0] is start and records[-1]["action"] == "exit"
    exit_detail = lifecycle(records, "exit")["detail"]
    assert exit_detail["exit_code"] == 32 and exit_detail["blocked_syscalls"] == {"mount": 1, "unshare": 1}
    assert {rec["sandbox"] for rec in records} == {recorded["id"]}

    unshare, = syscall_records(records, "unshare")
    assert unshare["exe"] == "/usr/bin/unshare" and unshare["argv"] == ["unshare", "-r", "true"]
    assert unshare["rule"] == "baseline agent: unshare" and unshare["action"] == "deny"
    assert unshare["detail"]["decoded"]["flags"] == "CLONE_NEWUSER" and unshare["detail"]["errno"] == "EPERM"
    assert unshare["detail"]["nr"] == NR["unshare"]
    mount, = syscall_records(records, "mount")
    assert mount["exe"] == "/usr/bin/mount" and mount["argv"] == ["mount", "-t", "tmpfs", "x", "/mnt"]
    assert mount["rule"] == "baseline agent: mount"
    decoded = mount["detail"]["decoded"]
    assert (decoded["source"], decoded["target"], decoded["fstype"]) == ("x", "/mnt", "tmpfs")
    assert "unshare failed" in r.stderr and "mount" in r.stderr


def test_sandbox_id_is_visible_inside(il, workspace, state):
    r = il(["run", "-v", "--", "sh", "-c", 'echo "id=$INTERLOCK_SANDBOX"'], workspace)
    assert r.returncode == 0, r.stderr
    sandbox = re.search(r"^id=(\w+)$", r.stdout, re.M).group(1)
    records = read_audit(log_of(r.stderr))
    assert lifecycle(records, "start")["sandbox"] == sandbox
    assert "nothing blocked" in summary_line(r.stderr)


def test_audit_option_relative_path(il, workspace, tmp_host_dir):
    r = il(["run", "--audit", "run.jsonl", "--", "sh", "-c", "mount -t tmpfs x /mnt 2>/dev/null; true"], tmp_host_dir)
    assert r.returncode == 0, r.stderr
    path = os.path.join(tmp_host_dir, "run.jsonl")
    assert log_of(r.stderr) == path
    assert exact_count(read_audit(path), "mount") == 1


def test_nothing_blocked_no_summary_but_lifecycle(il, workspace, tmp_host_dir):
    path = os.path.join(tmp_host_dir, "a.jsonl")
    r = il(["run", "--audit", path, "--", "true"], workspace)
    assert r.returncode == 0 and summary_line(r.stderr) is None, r.stderr
    records = read_audit(path)
    assert records[0]["action"] == "start" and records[-1]["action"] == "exit"
    assert syscall_records(records) == []
    assert lifecycle(records, "exit")["detail"]["blocked_syscalls"] == {}


def test_policy_hash_follows_the_policy(il, workspace, tmp_host_dir):
    def hash_of(options):
        path = os.path.join(tmp_host_dir, f"h{len(os.listdir(tmp_host_dir))}.jsonl")
        r = il(["run", "--audit", path, *options, "--", "true"], workspace)
        assert r.returncode == 0, r.stderr
        return lifecycle(read_audit(path), "start")["detail"]["policy_hash"]

    profile = write_profile(tmp_host_dir, 'extends = "default"\n[syscalls]\ndeny = ["getcwd"]\n', "p.toml")
    a, b, c = hash_of([]), hash_of([]), hash_of(["--profile", profile])
    assert a == b and a != c


def test_unwritable_audit_log_fails_closed(il, workspace):
    marker = os.path.join(workspace, "ran")
    r = il(["run", "--audit", "/proc/interlock-no/such.jsonl", "--", "touch", marker], workspace)
    assert r.returncode == 125, (r.returncode, r.stderr)
    assert not os.path.exists(marker)


# --- audit list / show / tail ------------------------------------------------------------------


def test_audit_list(il, workspace, recorded):
    second = il(["run", "--", "true"], workspace)
    assert second.returncode == 0
    second_id = lifecycle(read_audit(log_of(il(["run", "-v", "--", "true"], workspace).stderr)), "start")["sandbox"]
    r = il(["audit", "list"], workspace)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 3, r.stdout
    first = next(l for l in lines if l.startswith(recorded["id"]))
    assert "exit 32" in first and "2 syscall" in first, first
    assert ISSUE_COMMAND in first
    other = next(l for l in lines if l.startswith(second_id))
    assert "nothing refused" in other and "exit 0" in other and other.endswith("true")

    r = il(["audit", "list", "--json"], workspace)
    runs = {x["sandbox"]: x for x in json_lines(r.stdout)}
    assert len(runs) == 3 and recorded["id"] in runs and second_id in runs
    mine = runs[recorded["id"]]
    assert mine["refused"] == {"syscall": 2} and mine["exit_code"] == 32
    assert mine["command"] == ["sh", "-c", ISSUE_COMMAND] and mine["path"] == recorded["path"]
    assert mine["start"] == lifecycle(recorded["records"], "start")["time"]
    assert runs[second_id]["refused"] == {} and runs[second_id]["exit_code"] == 0


def test_audit_list_and_tail_order_within_one_second(il, workspace):
    runs = []  # (start time, sandbox id, the second in the file name)
    for _ in range(40):
        r = il(["run", "-v", "--", "true"], workspace)
        path = log_of(r.stderr)
        start = lifecycle(read_audit(path), "start")
        runs.append((start["time"], start["sandbox"], os.path.basename(path)[:19]))
        if len(runs) >= 2 and runs[-1][2] == runs[-2][2] and runs[-1][1] < runs[-2][1]:
            break  # a newer run whose random id sorts before the older one's, in the same second
    else:
        pytest.skip("no two runs started within the same second with ids in reverse order")
    assert runs[-1][0] > runs[-2][0]
    listed = [x["sandbox"] for x in json_lines(il(["audit", "list", "--json"], workspace).stdout)]
    newest = json_lines(il(["audit", "tail", "--json"], workspace).stdout)[0]["sandbox"]
    assert listed == [sandbox for _, sandbox, _ in sorted(runs)], (listed, runs)
    assert newest == runs[-1][1]


def test_audit_list_empty_directory(il, workspace):
    r = il(["audit", "list"], workspace)
    assert r.returncode == 0 and r.stdout == "", (r.stdout, r.stderr)


def test_audit_show(il, workspace, recorded):
    for ref in [recorded["id"], recorded["id"][:5], recorded["path"], os.path.basename(recorded["path"])]:
        r = il(["audit", "show", ref], workspace)
        assert r.returncode == 0, (ref, r.stderr)
        out = r.stdout
        assert ESC not in out  # not a terminal: no colour
        assert f"sandbox {recorded['id']}" in out and "exit 32" in out and "builtin:default" in out
        assert "syscall: 2 refused" in out
        assert "mount(source=x, target=/mnt, fstype=tmpfs" in out and "unshare(flags=CLONE_NEWUSER)" in out
        assert "rule: baseline agent: mount" in out and "rule: baseline agent: unshare" in out
        hints = [l.strip() for l in out.splitlines() if "to allow:" in l]
        assert len(hints) == 2, out
        assert any('allow = ["mount"]' in h and "not advised" in h for h in hints), hints
        assert any('allow = ["unshare"]' in h and "not advised" in h for h in hints), hints
        assert "/usr/bin/mount" in out


def test_audit_show_json(il, workspace, recorded):
    r = il(["audit", "show", recorded["id"], "--json"], workspace)
    assert r.returncode == 0, r.stderr
    assert json_lines(r.stdout) == recorded["records"]


def test_audit_show_unknown(il, workspace, recorded):
    r = il(["audit", "show", "nosuchrun"], workspace)
    assert r.returncode == 2 and "nosuchrun" in r.stderr, r.stderr


def test_audit_show_safe_syscall_hint(il, workspace, sysc):
    r = il(["run", "--", sysc, "call", "gm", str(NR["mbind"])], workspace)
    sandbox = lifecycle(read_audit(log_of(r.stderr)), "start")["sandbox"]
    out = il(["audit", "show", sandbox], workspace).stdout
    hint = [l for l in out.splitlines() if "to allow:" in l]
    assert hint and 'allow = ["mbind"]' in hint[0] and "not advised" not in hint[0], out


def test_audit_tail(il, workspace, recorded):
    for args in (["audit", "tail", recorded["id"]], ["audit", "tail"]):  # by id, and the newest run
        r = il(args, workspace)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert len(lines) == 4, r.stdout
        assert "lifecycle" in lines[0] and "start" in lines[0]
        assert "syscall" in lines[1] and "deny" in lines[1] and "unshare(flags=CLONE_NEWUSER)" in lines[1]
        assert "[baseline agent: unshare]" in lines[1]
        assert "mount(" in lines[2] and "[baseline agent: mount]" in lines[2]
        assert "exit 32" in lines[3]
    r = il(["audit", "tail", recorded["id"], "--json"], workspace)
    assert json_lines(r.stdout) == recorded["records"]


def test_audit_tail_follow(il, workspace, sysc, env, interlock, procs, tmp_host_dir):
    """tail -f prints records while the sandbox runs, as they are written."""
    log = os.path.join(tmp_host_dir, "live.jsonl")
    go = os.path.join(workspace, "go")
    script = (f"{call_line(sysc, 'first', NR['mount'], 's:none', 's:/first', 's:tmpfs', 0, 0)}\n"
              f"while [ ! -e {go} ]; do sleep 0.1; done\n"
              f"{call_line(sysc, 'second', NR['umount2'], 's:/second', 0)}\n")
    sandbox = procs.start([interlock, "run", "--audit", log, "--", "sh", "-c", script], cwd=workspace, env=env)
    wait_until(lambda: os.path.exists(log) and "/first" in open(log).read(), message="the first refusal in the log")

    tail = procs.start([interlock, "audit", "tail", "-f", log], cwd=workspace, env=env, text=True)
    lines = []
    reader = threading.Thread(target=lambda: [lines.append(l) for l in tail.stdout], daemon=True)
    reader.start()
    wait_until(lambda: any("target=/first" in l for l in lines), message="tail -f printing the first refusal")
    assert not any("umount2(" in l for l in lines)
    assert sandbox.poll() is None  # still waiting for us

    open(go, "w").close()
    wait_until(lambda: any("umount2(target=/second" in l for l in lines), message="tail -f printing the second refusal")
    wait_until(lambda: any("lifecycle" in l and "exit" in l for l in lines[2:]), message="tail -f printing the exit")
    assert sandbox.wait(timeout=TIMEOUT) == 0
    assert tail.poll() is None  # -f keeps following until interrupted


def test_no_color(il, workspace, recorded, pty_session, interlock, env):
    def show(extra):
        e = dict(env)
        e.pop("NO_COLOR", None)
        e.update(extra)
        s = pty_session([interlock, "audit", "show", recorded["id"]], workspace, env=e)
        assert s.wait() == 0, s.transcript
        return s.transcript.decode(errors="replace")

    colored = show({})
    assert ESC in colored and "syscall: 2 refused" in colored  # a terminal gets colour...
    plain = show({"NO_COLOR": "1"})
    assert ESC not in plain and "syscall: 2 refused" in plain  # ...unless NO_COLOR says otherwise
    r = il(["audit", "show", recorded["id"]], workspace, env=dict(env, NO_COLOR="1"))
    assert ESC not in r.stdout and ESC not in r.stderr


def test_burst_in_show_list_and_replay(il, workspace, sysc):
    calls = 1000
    r = il(["run", "--", sysc, "burst", str(calls), str(NR["mount"]), "0", "0", "0", "0", "0"], workspace)
    assert r.returncode == 0 and f"calls={calls} eperm={calls}" in r.stdout, r.stderr
    path = log_of(r.stderr)
    records = read_audit(path)
    assert exact_count(records, "mount") == calls
    sandbox = lifecycle(records, "start")["sandbox"]
    out = il(["audit", "show", sandbox], workspace).stdout
    assert f"syscall: {calls} refused" in out, out
    assert "(×950 more)" in out
    assert f"{calls} syscall" in il(["audit", "list"], workspace).stdout
    r = il(["replay", sandbox, "--json"], workspace)
    assert r.returncode == 1
    rows = json_lines(r.stdout)
    assert rows[-1]["events"] == calls and rows[-1]["still_denied"] == calls
    assert sum(row["count"] for row in rows[:-1]) == calls
    r = il(["replay", sandbox], workspace)
    assert f"{calls} of {calls} recorded syscall events would still be denied" in r.stdout


# --- replay ------------------------------------------------------------------------------------


def test_replay_same_profile(il, workspace, recorded):
    for ref in [recorded["id"], recorded["path"]]:
        r = il(["replay", ref], workspace)
        assert r.returncode == 1, r.stdout + r.stderr
        out = r.stdout
        assert re.search(r"^\s+unshare: deny -> deny\s+\(unchanged\)", out, re.M), out
        assert re.search(r"^\s+mount: deny -> deny\s+\(unchanged\)", out, re.M), out
        assert "CHANGED" not in out
        assert "2 of 2 recorded syscall events would still be denied" in out


def test_replay_changed_profile(il, workspace, recorded, tmp_host_dir):
    profile = write_profile(tmp_host_dir, 'extends = "default"\n[syscalls]\nallow = ["unshare"]\n', "p.toml")
    r = il(["replay", recorded["id"], "--profile", profile], workspace)
    assert r.returncode == 1, r.stdout + r.stderr  # mount is still denied
    out = r.stdout
    assert re.search(r"^\s+unshare: deny -> allow\s+\(CHANGED\)", out, re.M), out
    assert re.search(r"^\s+mount: deny -> deny\s+\(unchanged\)\s+rule: baseline agent: mount", out, re.M), out
    assert "1 of 2" in out and profile in out


def test_replay_picks_up_the_workspace_profile(il, workspace, recorded, tmp_host_dir):
    """Without --profile, replay uses the profile the recorded workspace has now."""
    write_profile(workspace, 'extends = "default"\n[syscalls]\nallow = ["mount"]\n')
    r = il(["replay", recorded["id"]], tmp_host_dir)
    assert r.returncode == 1
    assert re.search(r"^\s+mount: deny -> allow\s+\(CHANGED\)", r.stdout, re.M), r.stdout
    assert re.search(r"^\s+unshare: deny -> deny\s+\(unchanged\)", r.stdout, re.M), r.stdout


def test_replay_env(il, workspace, recorded):
    write_profile(workspace, 'extends = "default"\n[env.dev.syscalls]\nallow = ["mount", "unshare"]\n')
    assert il(["replay", recorded["id"]], workspace).returncode == 1
    r = il(["replay", recorded["id"], "--env", "dev"], workspace)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "env dev" in r.stdout and "0 of 2" in r.stdout
    r = il(["replay", recorded["id"], "--env", "nosuchenv"], workspace)
    assert r.returncode == 2 and "nosuchenv" in r.stderr


def test_replay_json(il, workspace, recorded, tmp_host_dir):
    profile = write_profile(tmp_host_dir, 'extends = "default"\n[syscalls]\nallow = ["unshare"]\n', "p.toml")
    r = il(["replay", recorded["id"], "--profile", profile, "--json"], workspace)
    assert r.returncode == 1
    rows = json_lines(r.stdout)  # every line parses
    events, summary = rows[:-1], rows[-1]
    by_name = {e["syscall"]: e for e in events}
    assert set(by_name) == {"unshare", "mount"} and len(events) == 2
    expected = {"syscall": "unshare", "count": 1, "old": "deny", "new": "allow",
                "old_rule": "baseline agent: unshare", "new_rule": None, "exe": "/usr/bin/unshare"}
    assert {k: by_name["unshare"].get(k) for k in expected} == expected, by_name["unshare"]
    assert by_name["mount"]["old"] == by_name["mount"]["new"] == "deny"
    assert by_name["mount"]["new_rule"] == "baseline agent: mount"
    assert summary["events"] == 2 and summary["still_denied"] == 1
    assert summary["profile"] == ["builtin:default", profile]


def test_replay_errors(il, workspace, recorded, tmp_host_dir):
    r = il(["replay", "nosuchrun"], workspace)
    assert r.returncode == 2 and "nosuchrun" in r.stderr
    bad = write_profile(tmp_host_dir, '[syscalls]\ndeny = ["nosuch_call"]\n', "bad.toml")
    r = il(["replay", recorded["id"], "--profile", bad], workspace)
    assert r.returncode == 2 and "bad.toml:2:" in r.stderr and "nosuch_call" in r.stderr, r.stderr


def test_suggest_refuses_dangerous(il, workspace, recorded):
    r = il(["replay", recorded["id"], "--suggest"], workspace)
    assert r.returncode == 1
    out = r.stdout
    assert suggested_snippet(out) == "", out  # nothing that is safe to allow
    for name in ["mount", "unshare"]:
        line = next((l for l in out.splitlines() if l.startswith(f"# not suggested: {name}:")), None)
        assert line and "--allow-dangerous" in line, out
    assert "filesystem" in out  # why mount
    assert "namespace" in out   # why unshare


def test_suggest_dangerous_applied_makes_rerun_clean(il, workspace, recorded, tmp_host_dir):
    r = il(["replay", recorded["id"], "--suggest", "--allow-dangerous"], workspace)
    assert r.returncode == 1
    snippet = suggested_snippet(r.stdout)
    assert snippet == '[syscalls]\nallow = ["mount", "unshare"]', r.stdout
    assert "# WARNING: allowing mount" in r.stdout and "# WARNING: allowing unshare" in r.stdout
    assert tomllib.loads(snippet) == {"syscalls": {"allow": ["mount", "unshare"]}}

    profile = write_profile(tmp_host_dir, 'extends = "default"\n' + snippet + "\n", "suggested.toml")
    r = il(["replay", recorded["id"], "--profile", profile], workspace)
    assert r.returncode == 0, r.stdout
    assert "0 of 2" in r.stdout and r.stdout.count("(CHANGED)") == 2
    r = il(["replay", recorded["id"], "--profile", profile, "--rerun"], workspace, timeout=TIMEOUT * 2)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"^\s+blocked before:\s+mount ×1, unshare ×1$", r.stdout, re.M), r.stdout
    assert re.search(r"^\s+blocked now:\s+nothing$", r.stdout, re.M), r.stdout
    # The kernel still refuses both (no capability): the command fails the same way, unaudited.
    assert "rerun: exit 32 (recorded: 32)" in r.stdout


def test_suggest_safe_syscall_applied(il, workspace, sysc, tmp_host_dir):
    """A refusal that is safe to lift (mbind of an empty range): suggested without
    warnings; applied, replay passes and the rerun runs clean."""
    r = il(["run", "--", sysc, "call", "gm", str(NR["mbind"])], workspace)
    assert call_results(r.stdout)["gm"] == (-1, 1), r.stdout + r.stderr
    sandbox = lifecycle(read_audit(log_of(r.stderr)), "start")["sandbox"]

    r = il(["replay", sandbox, "--suggest"], workspace)
    assert r.returncode == 1
    snippet = suggested_snippet(r.stdout)
    assert snippet == '[syscalls]\nallow = ["mbind"]', r.stdout
    assert "not suggested" not in r.stdout and "WARNING" not in r.stdout

    profile = write_profile(tmp_host_dir, 'extends = "default"\n' + snippet + "\n", "suggested.toml")
    r = il(["replay", sandbox, "--profile", profile], workspace)
    assert r.returncode == 0 and "0 of 1" in r.stdout, r.stdout
    r = il(["replay", sandbox, "--profile", profile, "--suggest"], workspace)
    assert "nothing to suggest" in r.stdout
    r = il(["replay", sandbox, "--profile", profile, "--rerun"], workspace, timeout=TIMEOUT * 2)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "gm ret=0 errno=0" in r.stdout  # the rerun's own output: the call went through
    assert re.search(r"^\s+blocked now:\s+nothing$", r.stdout, re.M), r.stdout
    assert "rerun: exit 0 (recorded: 0)" in r.stdout


def test_suggest_for_a_profile_deny_says_to_remove_it(il, workspace, tmp_host_dir):
    """A call the profile's own `deny` refuses cannot be re-allowed by `allow` (deny comes first,
    and arrays append along extends): --suggest says to remove the entry, and doing so works."""
    denying = write_profile(tmp_host_dir, 'extends = "default"\n[syscalls]\ndeny = ["getcwd"]\n', "deny.toml")
    r = il(["run", "--profile", denying, "--", PY, "-c", "import os; print(os.getcwd())"], workspace)
    assert r.returncode == 1 and "PermissionError" in r.stderr
    sandbox = lifecycle(read_audit(log_of(r.stderr)), "start")["sandbox"]

    r = il(["replay", sandbox, "--profile", denying, "--suggest"], workspace)
    assert r.returncode == 1
    assert 'remove "getcwd" from [syscalls] deny' in r.stdout, r.stdout
    assert "allow = [" not in r.stdout, r.stdout

    # Applied: the same profile without the deny entry.
    fixed = write_profile(tmp_host_dir, 'extends = "default"\n', "fixed.toml")
    r = il(["replay", sandbox, "--profile", fixed], workspace)
    assert r.returncode == 0, r.stdout
    r = il(["replay", sandbox, "--profile", fixed, "--rerun"], workspace, timeout=TIMEOUT * 2)
    assert re.search(r"^\s+blocked now:\s+nothing$", r.stdout, re.M), r.stdout
    assert workspace in r.stdout  # python printed the directory


def test_replay_of_a_learn_run(il, workspace, sysc):
    """A learn-mode log replayed against the enforcing profile: what learn let through is denied."""
    r = il(["run", "--learn", "--", sysc, "call", "pers", str(NR["personality"]), str(0x40000)], workspace)
    assert call_results(r.stdout)["pers"] == (0, 0), r.stdout + r.stderr
    sandbox = lifecycle(read_audit(log_of(r.stderr)), "start")["sandbox"]
    r = il(["replay", sandbox, "--json"], workspace)
    assert r.returncode == 1
    event, summary = json_lines(r.stdout)
    assert event["syscall"] == "personality" and event["old"] == "learn" and event["new"] == "deny"
    assert summary["still_denied"] == 1
