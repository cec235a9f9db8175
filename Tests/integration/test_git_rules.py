"""Git under rules (issue 21), end to end: a real `git` inside the sandbox pushes over HTTPS to
`git http-backend` on the host's loopback (receive-pack enabled), through the egress proxy, which
terminates TLS with the run's CA, reads the push's ref updates and decides each ref by the
profile's `[[git]]` rules. A refused push is answered in receive-pack's own protocol, so git
prints why; nothing of it reaches the server.
"""

import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import TIMEOUT, write_profile
from helpers.egress_servers import HTTPServer, make_certificate

HOST = "git.test"
GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@test",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@test"}


@pytest.fixture(scope="module")
def cert():
    if shutil.which("openssl") is None or shutil.which("git") is None:
        pytest.skip("openssl or git not installed")
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-git-certs-", dir="/tmp"))
    os.chmod(path, 0o755)
    yield make_certificate(path, [HOST])
    shutil.rmtree(path, ignore_errors=True)


def host_git(*args, cwd=None, home="/nonexistent"):
    env = dict(os.environ, HOME=home, **GIT_ENV)
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True,
                          timeout=120).stdout.strip()


def make_pushable_repository(root, name):
    """A bare repository `name` with main and agent/old at one commit, receive-pack enabled."""
    work = os.path.join(root, name + "-work")
    host_git("init", "-q", "-b", "main", work)
    with open(os.path.join(work, "README.md"), "w") as f:
        f.write("first\n")
    host_git("add", "README.md", cwd=work)
    host_git("commit", "-q", "-m", "first", cwd=work)
    host_git("branch", "agent/old", cwd=work)
    bare = os.path.join(root, name)
    host_git("clone", "-q", "--bare", work, bare)
    host_git("config", "http.receivepack", "true", cwd=bare)
    shutil.rmtree(work)
    subprocess.run(["chmod", "-R", "a+rwX", bare], check=True)
    return bare


def refs(bare):
    out = host_git("for-each-ref", "--format=%(refname) %(objectname)", cwd=bare)
    return dict(line.split(" ", 1) for line in out.splitlines()) if out else {}


def read_records(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def git_records(records, action=None):
    return [r for r in records if r.get("kind") == "request" and "ref" in (r.get("detail") or {})
            and (action is None or r.get("action") == action)]


class GitProject:
    def __init__(self, run, workspace, host_dir, cert, rule):
        self._run = run
        self.workspace = workspace
        self.host_dir = host_dir
        certfile, keyfile = cert
        self.root = os.path.join(host_dir, "srv")
        os.makedirs(os.path.join(self.root, "git"))
        self.bare = make_pushable_repository(os.path.join(self.root, "git"), "repo.git")
        self.other = make_pushable_repository(os.path.join(self.root, "git"), "other.git")
        self.server = HTTPServer(tls=(certfile, keyfile), git_root=os.path.join(self.root, "git"))
        self.port = self.server.port
        self.url = f"https://{HOST}:{self.port}/git/repo.git"
        shutil.copy(certfile, os.path.join(workspace, "upstream-ca.pem"))
        write_profile(workspace, (
            'extends = "default"\n'
            "[network]\n"
            f'hosts = {{ "{HOST}" = "127.0.0.1" }}\n'
            'upstream_ca = "upstream-ca.pem"\n'
            "ask_timeout = 2\n"
            "[env.staging]\n"
            f'network.egress = ["{HOST}:{self.port}"]\n'
            "[[env.staging.git]]\n"
            f'host = "{HOST}"\n'
            'name = "agent branches only"\n' + rule))
        self.runs = 0

    def run(self, script, timeout=TIMEOUT * 3):
        """`sh -c SCRIPT` inside the sandbox, in the workspace, with a clone of the repository
        in ./c (committer identity set; pushes print git's whole output)."""
        self.runs += 1
        audit = os.path.join(self.host_dir, f"audit-{self.runs}.jsonl")
        prelude = ("set -u; export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@test GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@test; "
                   f"git clone -q {self.url} c && cd c && echo CLONED; ")
        cp = self._run(["run", "--env", "staging", "--audit", audit, "--", "sh", "-c", prelude + script], self.workspace,
                       timeout=timeout)
        cp.records = read_records(audit)
        cp.out = cp.stdout + cp.stderr
        return cp

    def close(self):
        self.server.close()


AGENT_RULE = ('push = ["refs/heads/agent/*"]\nforce = "deny"\ndelete = "deny"\ntags = "deny"\n'
              'action_otherwise = "deny"\nrepos = ["git/repo"]\n')


@pytest.fixture
def project(run, workspace, tmp_host_dir, cert):
    p = GitProject(run, workspace, tmp_host_dir, cert, AGENT_RULE)
    yield p
    p.close()


COMMIT = "date +%s%N >> README.md && git commit -qam change && "


def receive_pack_posts(project):
    return [r for r in project.server.requests if r[0] == "POST" and r[1].endswith("/git-receive-pack")]


def test_push_creating_and_fast_forwarding_an_agent_branch_is_allowed(project):
    before = refs(project.bare)
    r = project.run(COMMIT + "git push origin HEAD:refs/heads/agent/x 2>&1 && echo PUSH1-OK && "
                    + COMMIT + "git push origin HEAD:refs/heads/agent/x 2>&1 && echo PUSH2-OK && git rev-parse HEAD")
    assert "PUSH1-OK" in r.out and "PUSH2-OK" in r.out, r.out
    head = r.stdout.strip().splitlines()[-1]
    after = refs(project.bare)
    assert after["refs/heads/agent/x"] == head
    assert after["refs/heads/main"] == before["refs/heads/main"]
    allowed = git_records(r.records, "allow")
    assert [x["detail"]["ref"] for x in allowed] == ["refs/heads/agent/x", "refs/heads/agent/x"], r.records
    # The second push updated an existing ref: allowed because the pack proves it a fast-forward.
    assert allowed[0]["detail"]["old"] == "0" * 40
    assert allowed[1]["detail"]["old"] == allowed[0]["detail"]["new"]
    assert allowed[1]["detail"]["new"] == head
    assert allowed[1]["detail"]["repository"] == "git/repo"


def test_push_to_main_is_refused_in_gits_own_output(project):
    before = refs(project.bare)
    r = project.run(COMMIT + "git push origin HEAD:main 2>&1; echo EXIT=$?")
    assert "CLONED" in r.out, r.out
    assert "EXIT=1" in r.out, r.out
    assert "remote: interlock: push to refs/heads/main on git.test is denied in environment staging by rule" in r.out, r.out
    assert "agent branches only" in r.out
    assert "! [remote rejected] HEAD -> main (interlock: denied by" in r.out, r.out
    assert refs(project.bare) == before
    assert receive_pack_posts(project) == []
    denied = git_records(r.records, "deny")
    assert len(denied) == 1, r.records
    d = denied[0]["detail"]
    assert (d["repository"], d["ref"], d["old"]) == ("git/repo", "refs/heads/main", before["refs/heads/main"])
    assert len(d["new"]) == 40 and d["new"] != d["old"]
    assert "blocked: " in r.stderr, r.stderr


def test_force_push_to_an_agent_branch_is_refused(project):
    before = refs(project.bare)
    # A commit that does not descend from agent/old: a rewrite.
    r = project.run("git checkout -q --orphan other && echo x > f && git add f && git commit -qm rewrite && "
                    "git push -f origin HEAD:refs/heads/agent/old 2>&1; echo EXIT=$?")
    assert "EXIT=1" in r.out, r.out
    assert "not proven a fast-forward" in r.out, r.out
    assert refs(project.bare) == before
    assert receive_pack_posts(project) == []


def test_delete_and_tag_are_refused(project):
    before = refs(project.bare)
    r = project.run("git push origin :refs/heads/agent/old 2>&1; echo DELETE-EXIT=$?; "
                    "git tag v1 && git push origin v1 2>&1; echo TAG-EXIT=$?")
    assert "DELETE-EXIT=1" in r.out and "TAG-EXIT=1" in r.out, r.out
    assert "remote: interlock: push deleting refs/heads/agent/old" in r.out, r.out
    assert "remote: interlock: push creating refs/tags/v1" in r.out, r.out
    assert refs(project.bare) == before
    assert receive_pack_posts(project) == []
    assert {x["detail"]["ref"] for x in git_records(r.records, "deny")} == {"refs/heads/agent/old", "refs/tags/v1"}


def test_a_push_with_one_refused_ref_updates_nothing(project):
    before = refs(project.bare)
    r = project.run(COMMIT + "git push origin HEAD:refs/heads/agent/y HEAD:refs/heads/main 2>&1; echo EXIT=$?")
    assert "EXIT=1" in r.out, r.out
    assert "agent/y" in r.out and "another ref of this push is refused" in r.out, r.out
    assert refs(project.bare) == before
    assert "refs/heads/agent/y" not in refs(project.bare)
    denied = git_records(r.records, "deny")
    assert {x["detail"]["ref"] for x in denied} == {"refs/heads/agent/y", "refs/heads/main"}, r.records


def test_fetch_and_push_limited_to_the_named_repositories(project):
    other_before = refs(project.other)
    r = project.run(f"cd .. && git clone -q https://{HOST}:{project.port}/git/other.git o 2>&1; echo CLONE-EXIT=$?")
    assert "CLONED" in r.out and "CLONE-EXIT=128" in r.out, r.out
    assert not any("/other.git/" in req[1] for req in project.server.requests)
    assert refs(project.other) == other_before
    denied = [x for x in r.records if x.get("kind") == "request" and x.get("action") == "deny"]
    assert denied and denied[0]["detail"]["repository"] == "git/other", r.records


PY_POST = r"""
import sys, urllib.request, urllib.error
url = sys.argv[1]
for i, body in enumerate(sys.argv[2:]):
    request = urllib.request.Request(url, data=bytes.fromhex(body), headers={"Content-Type": "application/x-git-receive-pack-request"})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            print(i, "STATUS", r.status, r.read()[:200])
    except urllib.error.HTTPError as e:
        print(i, "STATUS", e.code, e.read().decode()[:300].replace("\n", " "))
"""


def pkt(text):
    data = text.encode() if isinstance(text, str) else text
    return b"%04x" % (len(data) + 4) + data


def test_malformed_ref_update_commands_are_refused_before_the_server(project):
    old = refs(project.bare)["refs/heads/agent/old"]
    new = "1" * 40
    zero = "0" * 40
    good = f"{old} {new} refs/heads/agent/old\0report-status\n"
    bodies = [
        b"0000" + pkt(good) + b"0000PACK",                                  # a flush before any command
        b"0003" + pkt(good) + b"0000",                                      # an invalid length
        b"ffff" + good.encode() + b"0000",                                  # a length past the body
        pkt(good),                                                          # no flush
        pkt(good) + pkt(f"{old} {new} refs/heads/agent/old\n") + b"0000",   # a ref twice
        pkt(good) + pkt(f"{zero} {new} refs/heads/main\0report-status\n") + b"0000PACK",  # a second NUL line (smuggled caps)
        pkt(f"{old.upper()} {zero} refs/heads/agent/old\0report-status\n") + b"0000",  # ids not lowercase hex
        pkt(good) + b"0000" + b"not a pack",                                # data after the commands
        pkt(f"{old} {zero} refs/heads/agent/../main\0report-status\n") + b"0000",  # a ref name git refuses
        b"0001" + pkt(good) + b"0000PACK",                                  # a protocol v2 delimiter
    ]
    r = project.run(f"cd .. && python3 -c '{PY_POST}' {project.url}/git-receive-pack " + " ".join(b.hex() for b in bodies))
    lines = [l for l in r.stdout.splitlines() if " STATUS " in l]
    assert len(lines) == len(bodies), r.out
    for line in lines:
        assert " STATUS 403 " in line and "interlock:" in line, line
    assert receive_pack_posts(project) == []
    assert refs(project.bare)["refs/heads/agent/old"] == old


def test_ask_for_a_rewrite_times_out_refused(run, workspace, tmp_host_dir, cert):
    p = GitProject(run, workspace, tmp_host_dir, cert, 'push = ["refs/heads/agent/*"]\nforce = "ask"\n')
    try:
        before = refs(p.bare)
        r = p.run("git checkout -q --orphan other && echo x > f && git add f && git commit -qm rewrite && "
                  "git push -f origin HEAD:refs/heads/agent/old 2>&1; echo EXIT=$?")
        assert "EXIT=1" in r.out, r.out
        assert "timeout after 2 s" in r.out, r.out
        assert refs(p.bare) == before
        actions = [x["action"] for x in git_records(r.records)]
        assert actions == ["ask", "refuse"], r.records
    finally:
        p.close()


def test_large_push_and_unusual_ref_name_allowed_pack_over_the_limit_refused(project):
    """A push over git's 1 MiB post buffer (a probe, then a chunked body) is read and allowed; a
    ref name with unusual but valid characters is matched as it is; a pack larger than the
    inspection limit is refused and nothing reaches the server."""
    r = project.run("head -c 2000000 /dev/urandom > two && git add two && git commit -qm two && "
                    "git push origin 'HEAD:refs/heads/agent/ünï-#1+x' 2>&1 && echo BIG-OK; "
                    "head -c 9000000 /dev/urandom > nine && git add nine && git commit -qm nine && "
                    "git push origin HEAD:refs/heads/agent/huge 2>&1; echo HUGE-EXIT=$?")
    assert "BIG-OK" in r.out, r.out
    after = refs(project.bare)
    assert "refs/heads/agent/ünï-#1+x" in after, after
    assert "refs/heads/agent/huge" not in after
    assert "HUGE-EXIT=1" in r.out, r.out
    assert "remote: interlock: push creating refs/heads/agent/huge" in r.out and "larger than the 8 MiB" in r.out, r.out
    assert any("larger than the 8 MiB Interlock inspects" in (x["detail"].get("reason") or "")
               for x in r.records if x.get("kind") == "request"), r.records


def test_ssh_push_to_a_host_with_git_rules_is_refused(project):
    """ssh to a host with git rules: the host is inspected, so a connection that is not TLS is
    closed before anything reaches it, and the audit record says to use HTTPS."""
    before = refs(project.bare)
    r = project.run(f"git push -q ssh://git@{HOST}:{project.port}/git/repo.git HEAD:refs/heads/agent/ssh 2>&1; echo EXIT=$?",
                    timeout=TIMEOUT * 3)
    assert "EXIT=128" in r.out, r.out
    assert refs(project.bare) == before
    reasons = [x.get("detail", {}).get("reason") or "" for x in r.records]
    assert any("must use HTTPS" in reason for reason in reasons), r.records


def test_ask_for_a_push_approved_from_a_second_process(run, workspace, tmp_host_dir, cert, interlock):
    from conftest import sandbox_env, wait_until
    p = GitProject(run, workspace, tmp_host_dir, cert, 'push = ["refs/heads/agent/*"]\naction_otherwise = "ask"\n')
    runtime = tempfile.mkdtemp(prefix="interlock-runtime-", dir="/var/tmp")
    env = sandbox_env({"XDG_RUNTIME_DIR": runtime})
    write_profile(workspace, open(os.path.join(workspace, ".interlock.toml")).read().replace("ask_timeout = 2", "ask_timeout = 600"))
    audit = os.path.join(tmp_host_dir, "ask.jsonl")
    script = ("export GIT_AUTHOR_NAME=a GIT_AUTHOR_EMAIL=a@test GIT_COMMITTER_NAME=a GIT_COMMITTER_EMAIL=a@test; "
              f"git clone -q {p.url} c && cd c && date +%s%N >> README.md && git commit -qam change && "
              "git push origin HEAD:main 2>&1; echo EXIT=$?; git rev-parse HEAD")

    def pending():
        cp = subprocess.run([interlock, "approve", "--list"], capture_output=True, text=True, env=env, timeout=TIMEOUT)
        return [line.split("\t")[0] for line in cp.stdout.splitlines() if "\t" in line]

    proc = subprocess.Popen([interlock, "run", "--env", "staging", "--audit", audit, "--", "sh", "-c", script],
                            cwd=workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ids = wait_until(lambda: pending() or proc.poll() is not None, message="a held push")
        assert ids is not True, proc.communicate()
        assert receive_pack_posts(p) == [], "a held push reached the server before approval"
        answer = subprocess.run([interlock, "approve", ids[0]], capture_output=True, text=True, env=env, timeout=TIMEOUT)
        assert answer.returncode == 0, answer.stdout + answer.stderr
        out, err = proc.communicate(timeout=TIMEOUT * 2)
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(runtime, ignore_errors=True)
        p.close()
    assert "EXIT=0" in out, out + err
    assert refs(p.bare)["refs/heads/main"] == out.strip().splitlines()[-1]
    actions = [(x["action"], x["detail"]["ref"]) for x in git_records(read_records(audit))]
    assert actions == [("ask", "refs/heads/main"), ("approve", "refs/heads/main")], actions


def test_init_offers_the_git_rule_pack_for_an_https_remote(run, workspace):
    host_git("init", "-q", workspace)
    host_git("remote", "add", "origin", "https://github.com/acme/app.git", cwd=workspace)
    cp = run(["init"], workspace)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert '# extends = ["default", "rules/git-agent-branches"]' in open(os.path.join(workspace, ".interlock.toml")).read()
    # Without an https remote, nothing is offered.
    os.remove(os.path.join(workspace, ".interlock.toml"))
    host_git("remote", "set-url", "origin", "git@github.com:acme/app.git", cwd=workspace)
    cp = run(["init"], workspace)
    assert cp.returncode == 0, cp.stdout + cp.stderr
    assert "git-agent-branches" not in open(os.path.join(workspace, ".interlock.toml")).read()
