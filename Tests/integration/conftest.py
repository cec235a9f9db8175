"""Real-kernel integration tests for the Interlock supervisor.

Run:  INTERLOCK_BIN=/work/main/.build/debug/interlock python3 -m pytest -q Tests/integration

Everything here runs real sandboxes: real namespaces, processes, PTYs and cgroups. The tests
are written for a loaded machine: every wait is a poll with a generous deadline, nothing
asserts on timing, and every process and temporary directory a test creates is removed.
Network tests only ever use loopback.
"""

import errno
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import fcntl
import time
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "interlock"

# The sandbox sees the host's PATH, but per-user tool shims (pyenv, cargo) live under /root,
# which the sandbox's unprivileged uid cannot traverse. Tests use the system PATH.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PY = "/usr/bin/python3"  # the python inside the sandbox

# Generous: a loaded 2-core machine can be slow to start a sandbox.
TIMEOUT = 60
SANDBOX_UID_BASE = 0x5F000000


def sandbox_env(extra=None):
    env = dict(os.environ)
    env["PATH"] = SYSTEM_PATH
    env["LC_ALL"] = "C"
    env.pop("INTERLOCK_SANDBOX", None)
    if extra:
        env.update(extra)
    return env


# ---------------------------------------------------------------------------------------------
# Polling


def wait_until(predicate, timeout=TIMEOUT, interval=0.05, message="condition"):
    """Polls predicate() until it returns something truthy; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = data[data.rindex(b")") + 2:][:1]
    return state not in (b"Z", b"X")


def proc_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0")[:-1]]
    except OSError:
        return None


def pids_with_argv(argv):
    """Host pids whose argv is exactly `argv` (e.g. ["sleep", "1000.123"])."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and proc_cmdline(entry) == list(argv):
            found.append(int(entry))
    return found


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def unique(prefix="m"):
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def unique_sleep_arg():
    """A sleep duration nobody else uses, so the sandbox's sleep can be found on the host."""
    n = uuid.uuid4().int % 10**9
    return f"3{n % 100}0.{n:09d}"  # e.g. 3420.123456789 seconds: long, and unique


# ---------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session", autouse=True)
def private_state_home():
    """Audit logs and other per-user state of the runs go to a directory removed at the end,
    not to the invoking user's ~/.local/state. (Runs as another user override it.)"""
    path = tempfile.mkdtemp(prefix="interlock-it-state-", dir="/tmp")
    old = os.environ.get("XDG_STATE_HOME")
    os.environ["XDG_STATE_HOME"] = path
    yield path
    if old is None:
        os.environ.pop("XDG_STATE_HOME", None)
    else:
        os.environ["XDG_STATE_HOME"] = old
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def interlock():
    path = Path(os.environ.get("INTERLOCK_BIN") or DEFAULT_BIN)
    if not path.is_absolute():
        path = (REPO_ROOT / path).resolve()
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"interlock binary not found at {path}: build it with `swift build` or set INTERLOCK_BIN")
    return str(path)


@pytest.fixture
def workspace():
    """A fresh directory under /tmp (root-owned, 0755), removed afterwards."""
    path = tempfile.mkdtemp(prefix="interlock-it-", dir="/tmp")
    os.chmod(path, 0o755)
    path = os.path.realpath(path)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def tmp_host_dir():
    """A scratch directory for host-side helpers (outside any workspace)."""
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-host-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


class Processes:
    """Background processes a test starts; all killed (whole process group) at teardown."""

    def __init__(self):
        self.procs = []

    def start(self, argv, **kwargs):
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
        kwargs.setdefault("env", sandbox_env())
        kwargs.setdefault("start_new_session", True)
        p = subprocess.Popen(argv, **kwargs)
        self.procs.append(p)
        return p

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                try:
                    p.kill()
                except ProcessLookupError:
                    pass
            try:
                p.communicate(timeout=TIMEOUT)
            except Exception:
                pass


@pytest.fixture
def procs():
    p = Processes()
    yield p
    p.cleanup()


class Runner:
    def __init__(self, binary):
        self.binary = binary

    def __call__(self, args, cwd, input=None, timeout=TIMEOUT, env=None, text=True, **kwargs):
        """Runs `interlock ARGS…` in cwd and returns the CompletedProcess (stdout, stderr captured)."""
        if isinstance(input, str) and not text:
            input = input.encode()
        return subprocess.run(
            [self.binary, *args], cwd=cwd, input=input, timeout=timeout,
            env=env if env is not None else sandbox_env(), capture_output=True, text=text,
            stdin=None if input is not None else subprocess.DEVNULL, **kwargs,
        )

    def sandbox(self, command, cwd, *, options=(), **kwargs):
        """`interlock run OPTIONS -- sh -c COMMAND`."""
        return self(["run", *options, "--", "sh", "-c", command], cwd, **kwargs)


@pytest.fixture
def run(interlock):
    """run(args, cwd, input=None, timeout=...) -> CompletedProcess of `interlock ARGS…`."""
    return Runner(interlock)


def write_profile(directory, text, name=".interlock.toml"):
    """Writes a profile as the user would, and approves it as the user would (a changed profile
    is refused until approved: see test_protect.py for that behaviour itself)."""
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    approve_profiles(directory, path)
    return path


def approve_profiles(directory, path=None):
    binary = os.environ.get("INTERLOCK_BIN") or str(DEFAULT_BIN)
    targets = []
    if path and not path.endswith(".interlock.toml"):
        targets.append(["--profile", path])
    if os.path.exists(os.path.join(directory, ".interlock.toml")):
        targets.append(["--workspace", directory])
    for args in targets:
        # Invalid profiles cannot be approved; the test will see the error itself.
        subprocess.run([binary, "profile", "trust", *args], cwd=directory, env=sandbox_env(),
                       capture_output=True, timeout=TIMEOUT)


# ---------------------------------------------------------------------------------------------
# PTY sessions


class PtySession:
    """A program on a fresh pseudo-terminal, driven like a user at a terminal."""

    def __init__(self, argv, cwd, env=None, rows=24, cols=80):
        self.buffer = b""
        self.transcript = b""
        self.status = None
        pid, fd = pty.fork()
        if pid == 0:  # child: the pty is already our controlling terminal
            try:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.chdir(cwd)
                os.execve(argv[0], argv, env if env is not None else sandbox_env())
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        os.set_blocking(fd, False)

    def send(self, data, timeout=TIMEOUT):
        """Writes data to the terminal, reading its output meanwhile (as a terminal emulator
        does), so that echo can never fill the output buffer and block both sides."""
        if isinstance(data, str):
            data = data.encode()
        deadline = time.monotonic() + timeout
        while data:
            r, w, _ = select.select([self.fd], [self.fd], [], 0.5)
            if r and not self._read_some(0):
                raise AssertionError(f"terminal closed while sending; output: {self.transcript[-2000:]!r}")
            if w:
                try:
                    n = os.write(self.fd, data[:1024])
                except BlockingIOError:
                    n = 0
                data = data[n:]
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out sending to the terminal; output: {self.transcript[-2000:]!r}")

    def _read_some(self, wait):
        r, _, _ = select.select([self.fd], [], [], wait)
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except BlockingIOError:
            return True
        except OSError as e:
            if e.errno != errno.EIO:
                raise
            data = b""
        if not data:
            return False
        self.buffer += data
        self.transcript += data
        return True

    def expect(self, pattern, timeout=TIMEOUT):
        """Waits for pattern (bytes or compiled bytes regex); returns the output up to its end."""
        deadline = time.monotonic() + timeout
        while True:
            if isinstance(pattern, bytes):
                i = self.buffer.find(pattern)
                end = i + len(pattern) if i >= 0 else -1
                match = None
            else:
                match = pattern.search(self.buffer)
                end = match.end() if match else -1
            if end >= 0:
                out, self.buffer = self.buffer[:end], self.buffer[end:]
                return match if match is not None else out
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {pattern!r}; output so far: {self.transcript[-2000:]!r}")
            if not self._read_some(min(remaining, 0.5)):
                raise AssertionError(f"terminal closed while waiting for {pattern!r}; output: {self.transcript[-2000:]!r}")

    def set_size(self, rows, cols):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def wait(self, timeout=TIMEOUT):
        """Reads until EOF and returns the exit status (os.waitstatus_to_exitcode)."""
        deadline = time.monotonic() + timeout
        while self.status is None:
            pid, st = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.status = os.waitstatus_to_exitcode(st)
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"pty program did not exit; output: {self.transcript[-2000:]!r}")
            if not self._read_some(0.1):
                time.sleep(0.02)
        while self._read_some(0):  # the rest of the output
            if not select.select([self.fd], [], [], 0)[0]:
                break
        return self.status

    def session_members(self):
        members = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    fields = f.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.pid:  # field 6 of stat: the session id
                members.append(int(entry))
        return members

    def close(self):
        if self.status is None:
            # Everything in the terminal's session (jobs of an outer shell have their own groups).
            for pid in self.session_members():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
            self.status = -9
        try:
            os.close(self.fd)
        except OSError:
            pass


@pytest.fixture
def pty_session():
    """pty_session(argv, cwd, env=None, rows=24, cols=80) -> PtySession; closed at teardown."""
    sessions = []

    def start(argv, cwd, env=None, rows=24, cols=80):
        s = PtySession(argv, cwd, env=env, rows=rows, cols=cols)
        sessions.append(s)
        return s

    yield start
    for s in sessions:
        s.close()


# ---------------------------------------------------------------------------------------------
# Host-state snapshots (for "nothing is left behind")


def interlock_cgroup_dirs():
    """Every cgroup directory named interlock-* in any hierarchy under /sys/fs/cgroup."""
    found = []
    for top in Path("/sys/fs/cgroup").iterdir():
        for dirpath, dirnames, _ in os.walk(top):
            for d in dirnames:
                if d.startswith("interlock-"):
                    found.append(os.path.join(dirpath, d))
            if dirpath.count("/") > 8:  # deep enough for this host's hierarchies
                dirnames[:] = []
    return sorted(found)


def net_namespaces():
    seen = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                seen.add(os.readlink(f"/proc/{entry}/ns/net"))
            except OSError:
                pass
    return seen


def pids_with_env(marker):
    """Processes whose environment holds `marker` (what every process of a marked run inherits)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def tmp_entries():
    """Names in the host's /tmp with their owners (what runs must not leave behind)."""
    out = {}
    for name in os.listdir("/tmp"):
        try:
            out[name] = os.lstat(os.path.join("/tmp", name)).st_uid
        except FileNotFoundError:
            pass
    return out


def own_fds():
    return sorted(os.listdir("/proc/self/fd"))


def mountinfo_lines():
    with open("/proc/self/mountinfo") as f:
        return f.read().splitlines()


NOBODY = 65534
SETPRIV_NOBODY = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]


@pytest.fixture
def nobody(interlock, workspace, tmp_host_dir):
    """An unprivileged caller: nobody(args, env=None, cwd=None) runs interlock as uid/gid 65534
    in `workspace`, which nobody then owns (HOME and XDG_STATE_HOME inside it unless `env` says
    otherwise). Needs root to become nobody; `nobody.binary` is the binary it runs."""
    if os.geteuid() != 0:
        pytest.skip("needs root to become nobody")
    binary = str(interlock)
    if subprocess.run(SETPRIV_NOBODY + ["test", "-x", binary]).returncode != 0:
        binary = os.path.join(tmp_host_dir, "interlock")
        shutil.copy(interlock, binary)
        os.chmod(binary, 0o755)
    for dirpath, dirnames, filenames in os.walk(workspace):
        for name in dirnames + filenames + [""]:
            os.lchown(os.path.join(dirpath, name), NOBODY, NOBODY)

    def call(args, env=None, cwd=None, approve=True):
        e = sandbox_env({"HOME": workspace, "XDG_STATE_HOME": os.path.join(workspace, ".state")})
        e.update(env or {})
        if approve and os.path.exists(os.path.join(cwd or workspace, ".interlock.toml")):
            # Approvals are per user: the test's profile, approved by nobody.
            subprocess.run(SETPRIV_NOBODY + [binary, "profile", "trust"], cwd=cwd or workspace, env=e,
                           capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
        return subprocess.run(SETPRIV_NOBODY + [binary, *args], cwd=cwd or workspace, env=e, capture_output=True,
                              text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    call.binary = binary
    return call
