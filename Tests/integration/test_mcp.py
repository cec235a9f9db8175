"""`interlock mcp` (issue 7, mode (b)): an MCP server over stdio whose `run_command` tool runs each
command in its own sandbox with the project's profile. The client here is a real MCP
conversation written by hand (newline-delimited JSON-RPC 2.0 over the server's stdin/stdout):
initialize, notifications/initialized, tools/list, tools/call.
"""

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading

import pytest

from conftest import TIMEOUT, sandbox_env, write_profile


class MCPClient:
    def __init__(self, binary, cwd, env, args=()):
        self.proc = subprocess.Popen([binary, "mcp", *args], cwd=cwd, env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        self.lines = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, message):
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def request(self, method, params=None):
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        while True:
            line = self.lines.get(timeout=TIMEOUT * 2)
            assert line is not None, "server closed stdout: " + self.proc.stderr.read().decode()
            reply = json.loads(line)
            if reply.get("id") == self.next_id:
                return reply

    def initialize(self):
        reply = self.request("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                            "clientInfo": {"name": "interlock-test", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return reply

    def call(self, arguments):
        reply = self.request("tools/call", {"name": "run_command", "arguments": arguments})
        assert "result" in reply, reply
        return reply["result"]

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def home():
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-mcp-", dir="/var/tmp"))
    with open(os.path.join(path, ".netrc"), "w") as f:
        f.write("machine api.example.com login me password MCP-NETRC-SECRET\n")
    for dirpath, _, filenames in os.walk(path):
        os.chmod(dirpath, 0o755)
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o644)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def client(interlock, workspace, home):
    write_profile(workspace, 'extends = "default"\n[network]\negress = []\n')
    os.makedirs(os.path.join(workspace, "src"))
    c = MCPClient(interlock, workspace, sandbox_env({"HOME": home}))
    yield c
    c.close()


def test_conversation(client, workspace, home):
    init = client.initialize()
    assert init["result"]["serverInfo"]["name"] == "interlock"
    assert "tools" in init["result"]["capabilities"]

    tools = client.request("tools/list")["result"]["tools"]
    assert [t["name"] for t in tools] == ["run_command"]
    schema = tools[0]["inputSchema"]
    assert schema["required"] == ["command"] and set(schema["properties"]) == {"command", "cwd", "timeout"}

    # Edits the workspace, in the directory asked for, inside a sandbox.
    r = client.call({"command": "echo edited > out.txt && pwd && echo sandbox=$INTERLOCK_SANDBOX", "cwd": "src"})
    s = r["structuredContent"]
    assert s["exit_code"] == 0, s
    assert s["stdout"].splitlines()[0] == os.path.join(workspace, "src")
    assert s["stdout"].splitlines()[1].startswith("sandbox=") and len(s["stdout"].splitlines()[1]) > len("sandbox=")
    with open(os.path.join(workspace, "src/out.txt")) as f:
        assert f.read() == "edited\n"
    assert "exit code 0" in r["content"][0]["text"]

    # Exit code and stderr come back as they are.
    s = client.call({"command": "echo oops >&2; exit 3"})["structuredContent"]
    assert (s["exit_code"], s["stderr"], s["refusals"]) == (3, "oops\n", [])

    # A hidden credential reads as empty; the refusal comes back (root: fanotify audit records).
    r = client.call({"command": f"cat {home}/.netrc; echo rc=$?"})
    s = r["structuredContent"]
    assert "MCP-NETRC-SECRET" not in s["stdout"]
    if os.geteuid() == 0:
        files = [x for x in s["refusals"] if x["kind"] == "file"]
        assert files and files[0]["detail"]["path"] == f"{home}/.netrc", s
        assert "refused by the sandbox" in r["content"][0]["text"]
        assert os.path.exists(s["audit"])

    # The network is the profile's: nothing allowed, so the proxy refuses and it is recorded.
    s = client.call({"command": "curl -s -o /dev/null -w '%{http_code}' -x http://127.0.0.1:3128 http://example.com/; true"})["structuredContent"]
    assert s["stdout"] == "403", s
    assert any(x["kind"] == "connect" and "example.com" in json.dumps(x) for x in s["refusals"]), s

    # Each command has its own sandbox: its private /tmp is gone in the next one.
    s = client.call({"command": "echo x > /tmp/mcp-marker && echo WROTE"})["structuredContent"]
    assert s["stdout"] == "WROTE\n"
    s = client.call({"command": "test -e /tmp/mcp-marker && echo LEFT || echo GONE"})["structuredContent"]
    assert s["stdout"] == "GONE\n"
    assert not os.path.exists("/tmp/mcp-marker")


def test_bad_calls_are_tool_errors(client, workspace):
    client.initialize()
    r = client.call({"command": "true", "cwd": "/etc"})
    assert r["isError"] is True and "outside the workspace" in r["content"][0]["text"]
    r = client.call({"command": "true", "cwd": "../"})
    assert r["isError"] is True
    r = client.call({"command": ""})
    assert r["isError"] is True
    reply = client.request("tools/call", {"name": "rm_rf", "arguments": {}})
    assert reply.get("result", {}).get("isError") is True or "error" in reply


def test_output_is_bounded_and_timeout_stops_the_command(client):
    client.initialize()
    s = client.call({"command": "head -c 300000 /dev/zero | tr '\\0' x"})["structuredContent"]
    assert s["stdout_truncated"] is True and len(s["stdout"]) == 64 * 1024
    s = client.call({"command": "echo started; exec sleep 600", "timeout": 1})["structuredContent"]
    assert s["timed_out"] is True and s["stdout"] == "started\n" and s["exit_code"] != 0


def test_invalid_profile_refuses_to_start(interlock, workspace, home):
    write_profile(workspace, '[network]\negress = ["no such host::"]\n')
    r = subprocess.run([interlock, "mcp"], cwd=workspace, env=sandbox_env({"HOME": home}), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 2
    assert ".interlock.toml:2" in r.stderr and "egress" in r.stderr
