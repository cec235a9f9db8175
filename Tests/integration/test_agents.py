"""Agent profiles (issue 7): `run --agent NAME` and the `interlock NAME` shortcut layer
profiles/agents/NAME.toml under the project profile. With a fake HOME holding several agents'
credentials and a cloud credential: the agent's own credential is readable, every other one is
hidden; its config dir is writable (its hook settings are not); its model API host goes through
the egress proxy (mapped by `[network] hosts` to a server on a loopback address of this host).

The fake HOME lives under /var/tmp (a root-invoked sandbox has a private /tmp), world-readable,
so that only Interlock's masking keeps the sandbox out of what it must not read.
"""

import http.server
import json
import os
import random
import shutil
import tempfile
import threading

import pytest

from conftest import PY, sandbox_env, write_profile
from helpers.egress_servers import send_json
from helpers.seccomp_support import read_audit

requires_root = pytest.mark.skipif(os.geteuid() != 0, reason="the model API stand-in listens on port 443")

HOME_FILES = {
    ".claude/.credentials.json": '{"claudeAiOauth": {"accessToken": "CLAUDE-OWN-CREDENTIAL"}}',
    ".claude/settings.json": '{"hooks": {}}',
    ".claude/projects/notes.txt": "claude state",
    ".claude.json": '{"numStartups": 1}',
    ".codex/auth.json": '{"OPENAI_API_KEY": "CODEX-CREDENTIAL"}',
    ".codex/config.toml": 'model = "o4"',
    ".gemini/oauth_creds.json": '{"refresh_token": "GEMINI-CREDENTIAL"}',
    ".aws/credentials": "[default]\naws_secret_access_key = AWS-CREDENTIAL\n",
    ".config/gh/hosts.yml": "github.com:\n  oauth_token: GH-CREDENTIAL\n",
}


@pytest.fixture
def home():
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-agents-", dir="/var/tmp"))
    for rel, text in HOME_FILES.items():
        os.makedirs(os.path.dirname(os.path.join(path, rel)), exist_ok=True)
        with open(os.path.join(path, rel), "w") as f:
            f.write(text)
    for dirpath, _, filenames in os.walk(path):
        os.chmod(dirpath, 0o777)  # writable by the sandbox uid: only the mount decides
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o666)
    yield path
    shutil.rmtree(path, ignore_errors=True)


class ModelAPI:
    """An HTTP server on port 443 of a random loopback address: the stand-in for a model API host
    that the profile's `hosts` map points the real name at."""

    def __init__(self):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((self.headers.get("Host"), self.path, body))
                send_json(self, {"type": "message", "content": [{"type": "text", "text": "hello from the model"}]})

            def log_message(self, *args):
                pass

        self.address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"
        self.server = http.server.ThreadingHTTPServer((self.address, 443), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


@pytest.fixture
def model_api():
    server = ModelAPI()
    yield server
    server.close()


PROJECT_PROFILE = """extends = "default"
[network]
egress = []
hosts = {{ "api.anthropic.com" = "{address}", "api.openai.com" = "{address}" }}
"""

# POST to a URL through the proxy the sandbox's environment names; prints the status or the refusal.
POST = r"""
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b'{"model": "m"}', method="POST"), timeout=60)
    print("STATUS", r.status, r.read().decode())
except urllib.error.HTTPError as e:
    print("STATUS", e.code, e.read().decode())
except Exception as e:
    print("ERROR", type(e).__name__, e)
"""


def sandbox(run, workspace, home, args, tmp_host_dir, name="audit.jsonl"):
    audit = os.path.join(tmp_host_dir, name)
    env = sandbox_env({"HOME": home})
    for key in list(env):
        if key.endswith(("_TOKEN", "_API_KEY", "_SECRET")):
            env.pop(key)
    r = run(["run", "--audit", audit, *args], workspace, env=env)
    r.records = read_audit(audit) if os.path.exists(audit) else []
    return r


READ_ALL = " ".join(f"echo '== {rel}'; cat ~/{rel};" for rel in HOME_FILES)


def test_claude_sees_only_its_own_credential(run, workspace, home, tmp_host_dir):
    write_profile(workspace, 'extends = "default"\n')
    r = sandbox(run, workspace, home, ["--agent", "claude", "--", "sh", "-c", READ_ALL + " true"], tmp_host_dir)
    assert r.returncode == 0, r.stderr
    assert "CLAUDE-OWN-CREDENTIAL" in r.stdout
    assert "claude state" in r.stdout
    for other in ["CODEX-CREDENTIAL", "GEMINI-CREDENTIAL", "AWS-CREDENTIAL", "GH-CREDENTIAL"]:
        assert other not in r.stdout, f"{other} readable by the claude agent:\n{r.stdout}"
    # codex's config is not a credential: it stays readable (read-only host).
    assert 'model = "o4"' in r.stdout
    # The same command without the agent profile: claude's credential is hidden like the rest.
    r = sandbox(run, workspace, home, ["--", "sh", "-c", READ_ALL + " true"], tmp_host_dir, "plain.jsonl")
    assert r.returncode == 0, r.stderr
    assert "CLAUDE-OWN-CREDENTIAL" not in r.stdout
    assert "claude state" in r.stdout


def test_codex_sees_its_credential_not_claudes(run, workspace, home, tmp_host_dir):
    write_profile(workspace, 'extends = "default"\n')
    r = sandbox(run, workspace, home, ["--agent", "codex", "--", "sh", "-c", READ_ALL + " touch ~/.codex/history.jsonl && echo CODEX-WROTE; true"], tmp_host_dir)
    assert r.returncode == 0, r.stderr
    assert "CODEX-CREDENTIAL" in r.stdout and "CODEX-WROTE" in r.stdout
    assert "CLAUDE-OWN-CREDENTIAL" not in r.stdout and "AWS-CREDENTIAL" not in r.stdout
    assert os.path.exists(os.path.join(home, ".codex/history.jsonl"))


def test_agent_state_writable_hooks_and_rest_of_home_not(run, workspace, home, tmp_host_dir):
    write_profile(workspace, 'extends = "default"\n')
    # Claude's global config lives in CLAUDE_CONFIG_DIR (= ~/.claude), where its atomic
    # rewrite (temporary file, then rename over the old one) works.
    rewrite = ("import json, os; d = os.environ['CLAUDE_CONFIG_DIR']; t = d + '/.claude.json.tmp'; "
               "open(t, 'w').write(json.dumps({'numStartups': 2})); os.replace(t, d + '/.claude.json'); print('CONFIG-OK', d)")
    script = ("echo new > ~/.claude/projects/session.jsonl && echo STATE-OK; "
              f"{PY} -c \"{rewrite}\"; "
              "echo '{\"hooks\": {\"PreToolUse\": \"curl evil\"}}' > ~/.claude/settings.json && echo HOOKS-WRITTEN; "
              "touch ~/.codex/x && echo CODEX-WRITTEN; touch ~/elsewhere && echo HOME-WRITTEN; true")
    r = sandbox(run, workspace, home, ["--agent", "claude", "--", "sh", "-c", script], tmp_host_dir)
    assert r.returncode == 0, r.stderr
    assert "STATE-OK" in r.stdout and f"CONFIG-OK {home}/.claude" in r.stdout, r.stdout + r.stderr
    for refused in ["HOOKS-WRITTEN", "CODEX-WRITTEN", "HOME-WRITTEN"]:
        assert refused not in r.stdout
    with open(os.path.join(home, ".claude/projects/session.jsonl")) as f:
        assert f.read() == "new\n"
    with open(os.path.join(home, ".claude/.claude.json")) as f:
        assert json.load(f) == {"numStartups": 2}
    with open(os.path.join(home, ".claude.json")) as f:  # the one outside is left alone
        assert json.load(f) == {"numStartups": 1}
    with open(os.path.join(home, ".claude/settings.json")) as f:
        assert f.read() == '{"hooks": {}}'
    assert not os.path.exists(os.path.join(home, "elsewhere"))


def test_reading_another_agents_credential_is_audited(run, workspace, home, tmp_host_dir):
    if os.geteuid() != 0:
        pytest.skip("audit records of hidden-file opens need a root-invoked run (fanotify)")
    write_profile(workspace, 'extends = "default"\n')
    r = sandbox(run, workspace, home, ["--agent", "claude", "--", "cat", f"{home}/.codex/auth.json"], tmp_host_dir)
    assert r.stdout == ""
    files = [x for x in r.records if x.get("kind") == "file" and x.get("action") == "deny"]
    assert any(x.get("detail", {}).get("path") == f"{home}/.codex/auth.json" for x in files), r.records
    start = next(x for x in r.records if x.get("kind") == "lifecycle")
    assert "builtin:agents/claude" in json.dumps(start)


@requires_root
def test_model_api_host_allowed_only_with_the_agent_profile(run, workspace, home, tmp_host_dir, model_api):
    write_profile(workspace, PROJECT_PROFILE.format(address=model_api.address))
    # http:// to port 443 keeps the stand-in plain HTTP; the proxy checks host and port the same way.
    url = "http://api.anthropic.com:443/v1/messages"
    r = sandbox(run, workspace, home, ["--agent", "claude", "--", PY, "-c", POST, url], tmp_host_dir)
    assert r.returncode == 0, r.stderr
    assert "STATUS 200 " in r.stdout and "hello from the model" in r.stdout, r.stdout + r.stderr
    assert [(h, p) for h, p, _ in model_api.requests] == [("api.anthropic.com:443", "/v1/messages")]
    # claude's profile does not grant OpenAI's host (codex's does).
    r = sandbox(run, workspace, home, ["--agent", "claude", "--", PY, "-c", POST, "http://api.openai.com:443/v1/chat"], tmp_host_dir, "openai.jsonl")
    assert "STATUS 403 " in r.stdout and "api.openai.com:443 is not allowed" in r.stdout, r.stdout
    refused = [x for x in r.records if x.get("kind") == "connect" and x.get("action") == "deny"]
    assert refused and "api.openai.com" in json.dumps(refused[0])
    # Without any agent profile the project allows no host at all.
    r = sandbox(run, workspace, home, ["--", PY, "-c", POST, url], tmp_host_dir, "none.jsonl")
    assert "STATUS 403 " in r.stdout, r.stdout
    assert len(model_api.requests) == 1


@requires_root
def test_project_profile_wins_over_the_agent_profile(run, workspace, home, tmp_host_dir, model_api):
    # The project denies the agent's own API host: deny wins over the agent's egress entry.
    write_profile(workspace, PROJECT_PROFILE.format(address=model_api.address) + 'deny = ["api.anthropic.com"]\n')
    r = sandbox(run, workspace, home, ["--agent", "claude", "--", PY, "-c", POST, "http://api.anthropic.com:443/v1/messages"], tmp_host_dir)
    assert "STATUS 403 " in r.stdout, r.stdout
    assert model_api.requests == []


def test_shortcut_runs_the_agent_with_its_profile(run, workspace, home, tmp_host_dir):
    """`interlock claude ARGS` = `interlock run --agent claude -- claude ARGS`: a `claude` on PATH
    (here a script) runs in the sandbox with claude's grants."""
    bindir = os.path.join(home, "bin")
    os.makedirs(bindir)
    with open(os.path.join(bindir, "claude"), "w") as f:
        f.write("#!/bin/sh\necho \"args: $*\"; echo \"sandbox: ${INTERLOCK_SANDBOX:+yes}\"; cat ~/.claude/.credentials.json; cat ~/.aws/credentials; true\n")
    os.chmod(os.path.join(bindir, "claude"), 0o755)
    os.chmod(bindir, 0o755)
    write_profile(workspace, 'extends = "default"\n')
    env = sandbox_env({"HOME": home, "PATH": bindir + ":" + sandbox_env()["PATH"]})
    r = run(["claude", "-p", "fix the tests"], workspace, env=env)
    assert r.returncode == 0, r.stderr
    assert "args: -p fix the tests" in r.stdout
    assert "sandbox: yes" in r.stdout
    assert "CLAUDE-OWN-CREDENTIAL" in r.stdout and "AWS-CREDENTIAL" not in r.stdout


def test_banner_names_the_agent_profile(run, workspace, home, tmp_host_dir):
    write_profile(workspace, 'extends = "default"\n')
    r = sandbox(run, workspace, home, ["-v", "--agent", "gemini", "--", "true"], tmp_host_dir)
    assert r.returncode == 0, r.stderr
    assert "agent profile gemini layered under" in r.stderr
    assert "generativelanguage.googleapis.com:443" in r.stderr
    assert "builtin:agents/gemini <- builtin:default <- " in r.stderr
    # This HOME has no opencode state: the run goes on without it and says so.
    r = sandbox(run, workspace, home, ["-v", "--agent", "opencode", "--", "true"], tmp_host_dir, "opencode.jsonl")
    assert r.returncode == 0, r.stderr
    assert "writable nothing (none of its state exists yet)" in r.stderr
    assert "skipped (missing): ~/.config/opencode, ~/.local/share/opencode" in r.stderr
    # A blocked read gets the end summary; with --quiet there is neither banner nor summary
    # (the audit log still has the record).
    command = ["--agent", "gemini", "--", "sh", "-c", "cat ~/.codex/auth.json ~/.aws/credentials 2>/dev/null; true"]
    r = sandbox(run, workspace, home, command, tmp_host_dir, "loud.jsonl")
    assert r.returncode == 0 and "exit 0 · blocked: " in r.stderr, r.stderr
    r = sandbox(run, workspace, home, ["--quiet", *command], tmp_host_dir, "q.jsonl")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout == ""
    if os.geteuid() == 0:
        assert any(x.get("kind") == "file" for x in r.records)


def test_unknown_agent_is_an_error_and_nothing_runs(run, workspace, home, tmp_host_dir):
    write_profile(workspace, 'extends = "default"\n')
    marker = os.path.join(workspace, "ran")
    r = sandbox(run, workspace, home, ["--agent", "vim", "--", "touch", marker], tmp_host_dir)
    assert r.returncode == 2
    assert "unknown agent 'vim'" in r.stderr and "claude" in r.stderr
    assert not os.path.exists(marker)


def test_profile_show_prints_the_layered_policy(run, workspace, home):
    write_profile(workspace, 'extends = "default"\n[network]\negress = ["github.com:443"]\n')
    r = run(["profile", "show", "--agent", "codex", "--json"], workspace, env=sandbox_env({"HOME": home}))
    assert r.returncode == 0, r.stderr
    policy = json.loads(r.stdout)
    assert policy["network"]["egress"] == ["api.openai.com:443", "chatgpt.com:443", "auth.openai.com:443", "github.com:443"]
    assert "~/.codex/auth.json" in policy["secrets"]["allow_files"]
    assert policy["sources"][0] == "builtin:agents/codex"
