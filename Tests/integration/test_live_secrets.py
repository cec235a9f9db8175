"""The secrets view holds for the whole run (issue 16): credentials that appear, are replaced or
are written on the host while a sandbox runs are never readable inside.

Each test races a host writer against a sandboxed poller for several seconds. The poller opens
every credential path in a loop, and also keeps a descriptor it opened while a file was clean and
reads it again and again; it prints every byte it managed to read that belongs to a secret. The
host writer performs one class of change from the issue over and over (a CLI login creating its
directory, an atomic rename over a hidden file, a new .env file, a token written into a clean
file), each time with a fresh secret value. Nothing a secret holds may reach the poller's output,
every refusal is a `late` file record in the audit log, and granted files stay readable.

Root-invoked runs keep the view current (fanotify permission events); an unprivileged run says
plainly that its view is fixed at start (the kernel holds opens only for CAP_SYS_ADMIN), which the
last test checks.
"""

import json
import os
import re
import secrets as pysecrets
import shutil
import string
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import TIMEOUT, sandbox_env, write_profile
from helpers.seccomp_support import read_audit

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="the live view needs a root-invoked run")

RACE_SECONDS = 4.0

POLLER = r"""
import json, os, sys, time
end = time.time() + float(sys.argv[1])
paths = sys.argv[2:]
held = open("notes.txt", "rb")  # opened while clean: reads through it are judged too
leaked, seen, refused, reads = [], {}, 0, 0
while time.time() < end:
    for p in paths + ["<held>"]:
        started = time.monotonic()  # CLOCK_MONOTONIC: the host writer's clock too
        try:
            if p == "<held>":
                held.seek(0)
                data = held.read()
            else:
                with open(p, "rb") as f:
                    data = f.read()
            reads += 1
        except OSError:
            refused += 1
            continue
        for line in data.decode("latin-1").splitlines():
            if "LATESECRET" in line or "ghp_" in line:
                leaked.append([p, line[:120], started])
            if "GRANTEDVALUE" in line:
                seen[p] = seen.get(p, 0) + 1
print(json.dumps({"leaked": leaked[:1000], "granted_reads": seen, "refused": refused, "reads": reads}))
"""


SECRET = re.compile(r"LATESECRET-[0-9a-f]{16}|ghp_[A-Za-z0-9]{36}")
# Each secret value, and when the host call that put it in place returned (time.monotonic()).
WRITTEN = {}


def token():
    alphabet = string.ascii_letters + string.digits
    return "ghp_" + "".join(pysecrets.choice(alphabet) for _ in range(36))


def secret_value():
    return "LATESECRET-" + pysecrets.token_hex(8)


def placed(text):
    """Records that the secrets in `text` are on disk as of now (called once the write returned)."""
    now = time.monotonic()
    for value in SECRET.findall(text):
        WRITTEN.setdefault(value, now)


def violations(leaked):
    """Reads that started after the host's write of what they read had returned: the guarantee.
    A read that overlapped the write was judged before the bytes existed, and the kernel copies
    whatever is there when it copies (no permission check can order a read against a write still
    running), so those are counted apart, not as violations."""
    bad, overlapped = [], 0
    for path, line, started in leaked:
        found = SECRET.findall(line)
        if any(value in WRITTEN and started > WRITTEN[value] for value in found):
            bad.append((path, line, started, [WRITTEN.get(v) for v in found]))
        else:
            overlapped += 1
    return bad, overlapped


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    placed(text)


def replace(path, text):
    """As editors and CLIs save: a temporary file renamed over the old one."""
    tmp = path + ".tmp-" + pysecrets.token_hex(3)
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.rename(tmp, path)
    placed(text)


class HostWriter(threading.Thread):
    """Runs `step(i)` on the host until stopped, as fast as it goes."""

    def __init__(self, step):
        super().__init__(daemon=True)
        self.step, self.stop, self.rounds, self.error = step, threading.Event(), 0, None

    def run(self):
        try:
            while not self.stop.is_set():
                self.step(self.rounds)
                self.rounds += 1
                time.sleep(0.001)
        except Exception as e:  # surfaced by the test
            self.error = e


@pytest.fixture
def home():
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-live-", dir="/var/tmp"))
    os.chmod(path, 0o755)
    write(os.path.join(path, ".netrc"), f"machine example.com login u password {secret_value()}\n")
    write(os.path.join(path, ".bashrc"), "# nothing secret\n")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def race(run, workspace, home, paths, step, options=(), audit=None):
    """The poller inside, `step` on the host, at the same time; returns (result, writer, audit)."""
    write(os.path.join(workspace, "notes.txt"), "nothing to see here\n")
    audit = audit or os.path.join(workspace, "..", os.path.basename(workspace) + "-audit.jsonl")
    poller = os.path.join(workspace, "poller.py")
    write(poller, POLLER)
    writer = HostWriter(step)
    env = sandbox_env({"HOME": home})
    # Half a second in, the sandbox has started and opened notes.txt while it was clean.
    threading.Timer(0.5, writer.start).start()
    r = run(["run", *options, "--audit", audit, "--", "python3", "poller.py", str(RACE_SECONDS), *paths],
            workspace, env=env, timeout=TIMEOUT + RACE_SECONDS * 4)
    writer.stop.set()
    if writer.is_alive():
        writer.join(TIMEOUT)
    assert writer.error is None, writer.error
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.strip().splitlines()[-1])
    records = read_audit(audit)
    os.unlink(audit)
    return result, writer, records, r


def assert_no_leak(result):
    bad, overlapped = violations(result["leaked"])
    assert bad == [], (bad[:5], f"{overlapped} reads overlapped a host write")


def late_refusals(records):
    return [rec for rec in records if rec["kind"] == "file" and rec["action"] == "deny" and rec["detail"].get("late")]


@root_only
def test_cli_login_during_the_run_stays_hidden(run, workspace, home):
    """~/.railway, ~/.config/gh and ~/.docker did not exist at start; a login creates them."""
    files = [".railway/config.json", ".config/gh/hosts.yml", ".docker/config.json"]

    def login(i):
        for rel in files:
            path = os.path.join(home, rel)
            if i % 3 == 2:
                shutil.rmtree(os.path.dirname(path), ignore_errors=True)  # logout, then login again
            else:
                write(path, f'{{"token": "{secret_value()}"}}\n')

    result, writer, records, r = race(run, workspace, home, [os.path.join(home, f) for f in files], login)
    assert writer.rounds > 20, writer.rounds
    assert_no_leak(result)
    refused = late_refusals(records)
    assert {rec["detail"]["path"] for rec in refused} == {os.path.join(home, f) for f in files}
    first = refused[0]
    assert first["pid"] > 0 and "python" in first["exe"], first
    assert first["rule"].startswith("secrets: home: "), first
    assert "credentials that appeared during the run" in r.stderr, r.stderr


@root_only
def test_rename_over_a_hidden_file_stays_hidden(run, workspace, home):
    """~/.netrc and .env.production are masked at start; editors replace them by rename, which
    detaches a mask in other mount namespaces."""
    netrc, env_prod = os.path.join(home, ".netrc"), os.path.join(workspace, ".env.production")
    write(env_prod, f"DATABASE_URL=postgres://u:{secret_value()}@db/app\n")

    def save(i):
        replace(netrc, f"machine example.com login u password {secret_value()}\n")
        replace(env_prod, f"DATABASE_URL=postgres://u:{secret_value()}@db/app\n")

    result, writer, records, _ = race(run, workspace, home, [netrc, ".env.production"], save)
    assert writer.rounds > 20
    assert_no_leak(result)
    # Before the first rename the masks answer (an empty file); after it, the guard refuses.
    paths = {rec["detail"]["path"] for rec in late_refusals(records)}
    assert paths == {netrc, env_prod}, paths


@root_only
def test_new_env_file_and_token_written_into_a_clean_file_stay_hidden(run, workspace, home):
    """A new .env.local, and a token written into notes.txt (which the poller also holds open)."""
    notes, env_local = os.path.join(workspace, "notes.txt"), os.path.join(workspace, ".env.local")

    def edit(i):
        text = "nothing to see here\n" if i % 2 else f"GITHUB_TOKEN={token()}\n"
        with open(notes, "w") as f:  # in place: same inode, clean then not
            f.write(text)
        placed(text)
        if i % 4 == 3:
            os.unlink(env_local)
        else:
            write(env_local, f"API_KEY={secret_value()}\n")

    result, writer, records, _ = race(run, workspace, home, ["notes.txt", ".env.local"], edit)
    assert writer.rounds > 20
    assert_no_leak(result)
    refused = late_refusals(records)
    assert {rec["detail"]["path"] for rec in refused} == {notes, env_local}
    # Reads through the descriptor held since start were refused too, not only new opens.
    assert any(rec["detail"]["call"] == "read" for rec in refused), refused[:3]
    assert result["reads"] > 0  # the clean states of notes.txt stayed readable


@root_only
def test_a_late_granted_file_stays_readable(run, workspace, home):
    """--env staging grants .env.staging: created and replaced during the run, it is read."""
    write_profile(workspace, '[env.staging]\nsecrets.allow_files = [".env.staging"]\n')
    staging, prod = os.path.join(workspace, ".env.staging"), os.path.join(workspace, ".env.production")

    def save(i):
        replace(staging, f"VALUE=GRANTEDVALUE-{i}\n")
        replace(prod, f"VALUE={secret_value()}\n")

    result, writer, records, _ = race(run, workspace, home, [".env.staging", ".env.production"], save,
                                      options=("--env", "staging"))
    assert_no_leak(result)
    assert result["granted_reads"].get(".env.staging", 0) > 5, result
    assert all(rec["detail"]["path"] == prod for rec in late_refusals(records))


@root_only
def test_heavy_churn_neither_leaks_nor_stalls(run, workspace, home):
    """Thousands of files created and renamed on the host while the sandbox reads the tree."""
    churn = os.path.join(workspace, "churn")
    os.makedirs(churn)
    for n in range(2000):
        write(os.path.join(churn, f"f{n}.txt"), f"plain {n}\n")

    def step(i):
        for n in range(50):
            k = (i * 50 + n) % 2000
            path = os.path.join(churn, f"f{k}.txt")
            text = f"TOKEN={token()}\n" if k % 3 == 0 else f"plain {k} {i}\n"
            replace(path, text)

    started = time.time()
    result, writer, records, _ = race(run, workspace, home, [f"churn/f{k}.txt" for k in range(0, 2000, 7)], step)
    assert time.time() - started < RACE_SECONDS + 30, "the run stalled"
    assert writer.rounds > 10, writer.rounds
    assert_no_leak(result)
    assert result["reads"] > 1000, result  # clean files kept being read
    assert late_refusals(records), "no churned token was ever refused: the test raced nothing"


@root_only
def test_guard_failure_stops_the_sandbox(run, workspace, home):
    """If the guard can no longer answer, the sandbox is stopped: nothing runs unguarded."""
    secret = os.path.join(workspace, ".env.local")
    script = ("cat .interlock-guard-fault; sleep 1; echo AFTER; cat .env.local")
    write(os.path.join(workspace, ".interlock-guard-fault"), "x\n")

    def later():
        time.sleep(0.3)
        write(secret, f"KEY={secret_value()}\n")

    threading.Thread(target=later, daemon=True).start()
    r = run(["run", "--", "sh", "-c", script], workspace,
            env=sandbox_env({"HOME": home, "INTERLOCK_TEST_FAULT": "secrets-guard"}))
    assert r.returncode == 125, (r.returncode, r.stdout, r.stderr)
    assert "the secrets guard failed" in r.stderr and "the sandbox was stopped" in r.stderr, r.stderr
    assert "AFTER" not in r.stdout and "LATESECRET" not in r.stdout


def test_unprivileged_runs_say_their_view_is_fixed_at_start(run, workspace, interlock):
    """The kernel holds opens only for CAP_SYS_ADMIN: an unprivileged run and `doctor` say so."""
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("setpriv is needed to run as another user")
        os.chmod(workspace, 0o777)
        copy = os.path.join(workspace, "interlock")
        shutil.copy(interlock, copy)
        os.chmod(copy, 0o755)
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        binary = copy
    else:
        prefix, binary = [], interlock
    env = sandbox_env({"HOME": workspace, "XDG_STATE_HOME": workspace + "/state", "XDG_CACHE_HOME": workspace + "/cache"})
    doctor = subprocess.run(prefix + [binary, "doctor", "--profile", "default"], cwd=workspace, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT)
    line = next(l for l in doctor.stdout.splitlines() if "live secrets view" in l)
    assert line.startswith("no ") and "fixed at start" in line and "run Interlock as root" in line, line
    r = subprocess.run(prefix + [binary, "run", "--profile", "default", "-v", "--", "true"], cwd=workspace, env=env,
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert "secrets view: fixed at start" in r.stderr, r.stderr
