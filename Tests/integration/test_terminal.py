"""The PTY relay: a real terminal inside, raw mode, resizes, Ctrl-C, Ctrl-Z, no TIOCSTI."""

import os
import re
import signal

import pytest

from conftest import PY, pid_alive, pids_with_argv, sandbox_env, unique, unique_sleep_arg, wait_until

PROMPT = b"PROMPT$ "


def shell_env():
    return sandbox_env({"PS1": PROMPT.decode(), "TERM": "xterm", "ENV": ""})


def marker_cmd(tag):
    """A command whose output (TAG_42) differs from its echo (TAG_$((40+2))), so that
    waiting for the output never matches the terminal echoing what we typed."""
    return f"echo {tag}_$((40+2))\n", f"{tag}_42".encode()


@pytest.fixture
def inner_sh(interlock, workspace, pty_session):
    """`interlock run -- sh` on a fresh 40x120 pty, at its first prompt."""
    s = pty_session([interlock, "run", "--", "sh"], workspace, env=shell_env(), rows=40, cols=120)
    s.expect(PROMPT)
    return s


def test_command_has_a_real_tty(inner_sh):
    cmd, out = marker_cmd("TTY")
    inner_sh.send("tty; stty -a | head -1; " + cmd)
    text = inner_sh.expect(out).decode()
    assert re.search(r"^/dev/pts/\d+\r$", text, re.M), text
    assert "not a tty" not in text
    assert re.search(r"speed \d+ baud; rows 40; columns 120", text), text
    inner_sh.send("exit 0\n")
    assert inner_sh.wait() == 0


def test_command_is_session_leader_with_controlling_tty(inner_sh):
    # The sandbox's init (pid 1) leads the session of the sandbox's terminal, so the command's
    # process group is not orphaned (^Z works); the running job is the foreground group.
    cmd, out = marker_cmd("CTTY")
    inner_sh.send(f"{PY} -c \"import os; print('SID', os.getsid(0) == 1, os.tcgetpgrp(0) == os.getpgrp())\"; {cmd}")
    text = inner_sh.expect(out).decode()
    assert "SID True True" in text
    inner_sh.send("exit\n")
    assert inner_sh.wait() == 0


def test_initial_size(inner_sh):
    inner_sh.send("stty size; " + marker_cmd("SIZE")[0])
    text = inner_sh.expect(marker_cmd("SIZE")[1]).decode()
    assert "40 120\r\n" in text
    inner_sh.send("exit\n")
    assert inner_sh.wait() == 0


RESIZE_SCRIPT = (
    "import signal, os, sys, time\n"
    "got = []\n"
    "signal.signal(signal.SIGWINCH, lambda *a: got.append(1))\n"
    "print('READY', flush=True)\n"
    "deadline = time.monotonic() + 60\n"
    "while not got and time.monotonic() < deadline: time.sleep(0.05)\n"
    "sz = os.get_terminal_size(0)\n"
    "print('WINCH' if got else 'NO-WINCH', sz.lines, sz.columns, flush=True)\n"
)


def test_resize_reaches_sandbox(interlock, workspace, pty_session):
    script = os.path.join(workspace, "winch.py")
    with open(script, "w") as f:
        f.write(RESIZE_SCRIPT)
    s = pty_session([interlock, "run", "--", "sh"], workspace, env=shell_env(), rows=40, cols=120)
    s.expect(PROMPT)
    s.send("stty size; " + marker_cmd("S1")[0])
    assert b"40 120\r\n" in s.expect(marker_cmd("S1")[1])
    s.expect(PROMPT)
    s.send(f"{PY} winch.py\n")
    s.expect(b"READY")
    s.set_size(50, 132)  # the kernel sends SIGWINCH to the supervisor, which relays the size
    m = s.expect(re.compile(rb"(NO-WINCH|WINCH) (\d+) (\d+)"))
    assert m.group(1) == b"WINCH"
    assert (m.group(2), m.group(3)) == (b"50", b"132")
    s.expect(PROMPT)
    s.send("stty size; " + marker_cmd("S2")[0])
    assert b"50 132\r\n" in s.expect(marker_cmd("S2")[1])
    s.send("exit 0\n")
    assert s.wait() == 0


def test_raw_mode_single_char(interlock, workspace, pty_session):
    s = pty_session([interlock, "run", "--", PY, "-c",
                     "import tty, sys; tty.setraw(0); print('READY', flush=True); "
                     "c = sys.stdin.read(1); print('GOT', repr(c), flush=True)"],
                    workspace, env=shell_env())
    s.expect(b"READY")
    s.send(b"q")  # no newline: only raw mode delivers it
    m = s.expect(re.compile(rb"GOT '(.*?)'"))
    assert m.group(1) == b"q"
    assert s.wait() == 0


def test_raw_mode_passes_control_bytes(interlock, workspace, pty_session):
    # In raw mode ^C is a byte, not a signal.
    s = pty_session([interlock, "run", "--", PY, "-c",
                     "import tty, sys, os; tty.setraw(0); print('READY', flush=True); "
                     "c = os.read(0, 1); print('GOT', c.hex(), flush=True)"],
                    workspace, env=shell_env())
    s.expect(b"READY")
    s.send(b"\x03")
    m = s.expect(re.compile(rb"GOT ([0-9a-f]+)"))
    assert m.group(1) == b"03"
    assert s.wait() == 0


def test_terminal_restored_after_exit(interlock, workspace, pty_session):
    # The caller's terminal goes raw while the sandbox runs and is restored afterwards.
    s = pty_session(["/bin/sh"], workspace, env=shell_env())
    s.expect(PROMPT)
    s.send("stty -g > before.txt; " + f"{interlock} run -- true; stty -g > after.txt; " + marker_cmd("R")[0])
    s.expect(marker_cmd("R")[1])
    s.send("exit 0\n")
    assert s.wait() == 0
    before = open(os.path.join(workspace, "before.txt")).read()
    after = open(os.path.join(workspace, "after.txt")).read()
    assert before == after


def test_ctrl_c_interrupts_foreground_job(inner_sh):
    arg = unique_sleep_arg()
    inner_sh.send(f"sleep {arg}\n")
    pids = wait_until(lambda: pids_with_argv(["sleep", arg]), message="sleep inside the sandbox")
    inner_sh.send(b"\x03")
    inner_sh.expect(PROMPT)
    wait_until(lambda: not any(pid_alive(p) for p in pids), message="sleep to end after ^C")
    cmd, out = marker_cmd("AFTERC")
    inner_sh.send(cmd)
    inner_sh.expect(out)  # the shell itself survived ^C
    inner_sh.expect(PROMPT)
    inner_sh.send("exit 3\n")
    assert inner_sh.wait() == 3


def test_tiocsti_refused_and_never_reaches_outer_shell(interlock, workspace, pty_session):
    host_marker = f"/tmp/{unique('pwned_marker_')}"
    payload = f"echo INJECTED > {host_marker}\n"
    # The script sits in a file so that the payload never appears on the command line we type.
    with open(os.path.join(workspace, "inject.py"), "w") as f:
        f.write(
            "import fcntl, termios, errno, sys\n"
            f"payload = {payload.encode()!r}\n"
            "results = set()\n"
            "for i in range(len(payload)):\n"
            "    try:\n"
            "        fcntl.ioctl(0, termios.TIOCSTI, payload[i:i + 1]); results.add('OK')\n"
            "    except OSError as e:\n"
            "        results.add(errno.errorcode.get(e.errno, str(e.errno)))\n"
            "print('RESULTS', ','.join(sorted(results)), flush=True)\n"
        )
    s = pty_session(["/bin/sh"], workspace, env=shell_env())
    s.expect(PROMPT)
    try:
        s.send(f"{interlock} run -- {PY} inject.py; echo rc=$?\n")
        m = s.expect(re.compile(rb"RESULTS ([A-Z,]+)"))
        assert m.group(1) == b"EPERM"
        s.expect(b"rc=0")
        s.expect(PROMPT)
        cmd, out = marker_cmd("OUTER")
        s.send(cmd)
        s.expect(out)
        s.expect(PROMPT)
        s.send("exit 0\n")
        assert s.wait() == 0
        assert b"INJECTED" not in s.transcript  # never echoed, never run
        assert not os.path.exists(host_marker)
    finally:
        if os.path.exists(host_marker):
            os.unlink(host_marker)


def test_tioclinux_refused(interlock, workspace, pty_session):
    s = pty_session([interlock, "run", "--", PY, "-c",
                     "import fcntl, errno\n"
                     "try:\n    fcntl.ioctl(0, 0x541C, b'\\x06'); print('R OK')\n"
                     "except OSError as e:\n    print('R', errno.errorcode.get(e.errno))\n"],
                    workspace, env=shell_env())
    m = s.expect(re.compile(rb"R ([A-Z]+)"))
    assert m.group(1) == b"EPERM"
    assert s.wait() == 0


def _outer_bash(pty_session, workspace):
    s = pty_session(["/bin/bash", "--norc", "--noprofile", "-i"], workspace, env=shell_env())
    s.expect(PROMPT)
    return s


def test_ctrl_z_suspends_and_fg_resumes(interlock, workspace, pty_session):
    s = _outer_bash(pty_session, workspace)
    arg = unique_sleep_arg()
    s.send(f"{interlock} run -- sleep {arg}\n")
    pids = wait_until(lambda: pids_with_argv(["sleep", arg]), message="sandboxed sleep")
    s.send(b"\x1a")
    s.expect(re.compile(rb"Stopped.*interlock run -- sleep", re.S), timeout=15)
    s.expect(PROMPT)
    s.send("fg\n")
    s.expect(f"sleep {arg}".encode())
    wait_until(lambda: all(open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()[0] in "SR" for p in pids),
               message="sleep running again")
    s.send(b"\x03")
    s.expect(PROMPT)
    s.send("echo rc=$?\n")
    s.expect(b"rc=130")
    s.send("exit 0\n")
    assert s.wait() == 0


def test_stopped_sandbox_suspends_supervisor_and_fg_resumes(interlock, workspace, pty_session):
    # The relay half of job control, without relying on ^Z: when the command stops (here with
    # SIGSTOP), the supervisor stops too, so the outer shell reports the job as stopped; `fg`
    # continues both, and ^C then ends the command.
    s = _outer_bash(pty_session, workspace)
    arg = unique_sleep_arg()
    s.send(f"{interlock} run -- sleep {arg}\n")
    pids = wait_until(lambda: pids_with_argv(["sleep", arg]), message="sandboxed sleep")
    os.kill(pids[0], signal.SIGSTOP)
    s.expect(re.compile(rb"Stopped.*interlock run -- sleep", re.S))
    s.expect(PROMPT)
    s.send("fg\n")
    s.expect(f"sleep {arg}".encode())

    def running():
        state = open(f"/proc/{pids[0]}/stat").read().rsplit(")", 1)[1].split()[0]
        return state in ("S", "R")
    wait_until(running, message="sleep continued after fg")
    s.send(b"\x03")
    s.expect(PROMPT)
    wait_until(lambda: not pid_alive(pids[0]), message="sleep ended by ^C")
    s.send("echo rc=$?\n")
    s.expect(b"rc=130")
    s.send("exit 0\n")
    assert s.wait() == 0


def test_ctrl_z_inside_job_control_shell(interlock, workspace, pty_session):
    # An interactive shell inside the sandbox does its own job control on the sandbox's tty.
    s = pty_session([interlock, "run", "--", "/bin/bash", "--norc", "--noprofile", "-i"], workspace,
                    env=shell_env())
    s.expect(PROMPT)
    arg = unique_sleep_arg()
    s.send(f"sleep {arg}\n")
    wait_until(lambda: pids_with_argv(["sleep", arg]), message="sleep in the inner bash")
    s.send(b"\x1a")
    s.expect(re.compile(rb"Stopped\s+sleep"))
    s.expect(PROMPT)
    # bash's `wait` skips a job its table still shows stopped, and `exit` refuses to leave one:
    # on a loaded machine the killed sleep may not be reaped yet, so wait until the job is gone.
    s.send("kill %1; while jobs %1 >/dev/null 2>&1; do sleep 0.05; done; " + marker_cmd("JOB")[0])
    s.expect(marker_cmd("JOB")[1])
    s.send("exit 4\n")
    assert s.wait() == 4


def test_no_tty_when_piped(run, workspace):
    r = run.sandbox("tty; test -t 0 || echo stdin-not-tty", workspace, input="")
    assert "not a tty" in r.stdout
    assert "stdin-not-tty" in r.stdout


def test_large_output_fully_relayed(interlock, workspace, pty_session):
    # Everything the command wrote before it exited reaches the caller's terminal.
    s = pty_session([interlock, "run", "--", "seq", "1", "200000"], workspace)
    assert s.wait() == 0
    lines = s.transcript.split(b"\r\n")
    assert lines[-2:] == [b"200000", b""]
    assert len(lines) == 200001
    assert lines[:3] == [b"1", b"2", b"3"]


def test_large_input_fully_relayed(interlock, workspace, pty_session):
    data = b"".join(b"line %05d of pasted input\n" % i for i in range(3000))
    s = pty_session([interlock, "run", "--", "sh", "-c", "stty -echo; echo READY; cat > pasted.txt; echo DONE"],
                    workspace)
    s.expect(b"READY")
    s.send(data)
    s.send(b"\x04")  # ^D at the start of a line: EOF for cat
    s.expect(b"DONE")
    assert s.wait() == 0
    assert open(os.path.join(workspace, "pasted.txt"), "rb").read() == data


def test_tty_stdout_with_piped_stdin(interlock, workspace, pty_session):
    s = pty_session(["/bin/sh", "-c", f"echo piped-in | {interlock} run -- sh -c 'cat; test -t 1 && echo OUT-IS-TTY'; "
                     "echo rc=$?"], workspace)
    assert s.wait() == 0
    assert b"piped-in" in s.transcript
    assert b"OUT-IS-TTY" in s.transcript
    assert b"rc=0" in s.transcript


def test_exit_status_through_pty(interlock, workspace, pty_session):
    s = pty_session([interlock, "run", "--", "sh", "-c", "kill -TERM $$"], workspace)
    assert s.wait() == 143
    s2 = pty_session([interlock, "run", "--", "sh", "-c", "exit 9"], workspace)
    assert s2.wait() == 9
