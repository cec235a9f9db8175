"""Request rules, TLS inspection and credential brokering (issue 6), end to end.

A local HTTPS GraphQL server (certificate made here with openssl, its name mapped to loopback by
`[network] hosts`) stands in for the provider's API. Inside the sandbox curl and python talk to
it through the egress proxy, which terminates TLS with the run's CA, applies `[[http]]` rules,
injects the brokered credential and re-originates TLS to the server, verifying it against the
host's trust store plus `network.upstream_ca`.
"""

import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

from conftest import PY, TIMEOUT, sandbox_env, wait_until, write_profile
from helpers.egress_servers import SANDBOX_TUNNEL, GraphQLServer, make_certificate

API = "backboard.railway.test"
OTHER = "other.railway.test"
RAILWAY = "backboard.railway.app"  # the real API's name, mapped to loopback by network.hosts
TOKEN = "rw_live_" + "Q7f3kP9zL2mX8vR4tB6nY1cW5hJ0aDsE"  # the brokered secret: never seen inside
FOUND = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"  # a GitHub token the agent "found"


@pytest.fixture(scope="module")
def certs():
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-inspect-certs-", dir="/tmp"))
    os.chmod(path, 0o755)
    good = os.path.join(path, "good")
    wrong = os.path.join(path, "wrong")
    os.makedirs(good)
    os.makedirs(wrong)
    yield make_certificate(good, [API, OTHER, RAILWAY]), make_certificate(wrong, [API, OTHER, RAILWAY])
    shutil.rmtree(path, ignore_errors=True)


def read_records(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def requests_of(records, action=None):
    return [r for r in records if r.get("kind") == "request" and (action is None or r.get("action") == action)]


class Project:
    def __init__(self, run, workspace, host_dir, server, ca, extra=""):
        self._run = run
        self.workspace = workspace
        self.host_dir = host_dir
        self.server = server
        self.port = server.port
        shutil.copy(ca, os.path.join(workspace, "upstream-ca.pem"))
        # The provider's token, in a file the supervisor reads (outside the workspace).
        self.token_file = os.path.join(host_dir, "railway.json")
        with open(self.token_file, "w") as f:
            json.dump({"user": {"token": TOKEN}}, f)
        self.profile = write_profile(workspace, (
            'extends = "default"\n'
            "[network]\n"
            f'hosts = {{ "{API}" = "127.0.0.1", "{OTHER}" = "127.0.0.1" }}\n'
            'upstream_ca = "upstream-ca.pem"\n'
            "ask_timeout = 2\n"
            "[env.staging]\n"
            f'network.egress = ["{API}:{self.port}", "{OTHER}:{self.port}"]\n'
            "[[env.staging.http]]\n"
            f'host = "{API}"\n'
            'name = "railway: destructive mutations"\n'
            'action = "deny"\n'
            'graphql = ["mutation volumeDelete", "mutation serviceDelete"]\n'
            "[[env.staging.http]]\n"
            f'host = "{API}"\n'
            'name = "railway: deploys need a human"\n'
            'action = "ask"\n'
            'graphql = ["mutation deploymentRedeploy"]\n'
            "[[env.staging.credentials]]\n"
            f'host = "{API}"\n'
            'header = "Authorization"\n'
            'value = "Bearer {token}"\n'
            f'file = "{self.token_file}"\n'
            'json_pointer = "/user/token"\n' + extra))
        self.runs = 0

    def run(self, argv, timeout=TIMEOUT * 2, env_vars=None):
        self.runs += 1
        audit = os.path.join(self.host_dir, f"audit-{self.runs}.jsonl")
        cp = self._run(["run", "--env", "staging", "--audit", audit, "--", *argv], self.workspace,
                       timeout=timeout, env=env_vars)
        cp.records = read_records(audit)
        cp.audit = audit
        return cp

    def curl_graphql(self, query, host=API, extra=()):
        body = json.dumps({"query": query})
        return self.run(["curl", "-sS", "-o", "-", "-w", "\\nHTTP %{http_code}\\n", "-H", "Content-Type: application/json",
                         *extra, "--data", body, f"https://{host}:{self.port}/graphql"])


@pytest.fixture
def project(run, workspace, tmp_host_dir, certs):
    (cert, key), _ = certs
    server = GraphQLServer(cert, key)
    p = Project(run, workspace, tmp_host_dir, server, cert)
    yield p
    server.close()


# Inside the sandbox: a GraphQL POST with python's urllib (trust from the environment's bundle).
PY_POST = r"""
import json, sys, urllib.request, urllib.error
url, payload = sys.argv[1], sys.argv[2]
request = urllib.request.Request(url, data=payload.encode(), headers={"Content-Type": "application/json"})
try:
    with urllib.request.urlopen(request, timeout=60) as r:
        print("STATUS", r.status)
        print(r.read().decode())
except urllib.error.HTTPError as e:
    print("STATUS", e.code)
    print(e.read().decode())
except Exception as e:
    print("ERROR", type(e).__name__, e)
"""

# What the sandbox can see of the token: its environment, /proc, the token file, any file.
LOOK_FOR_TOKEN = r"""
import os, sys
needle = sys.argv[1][::-1].encode()  # given reversed, so that this process's argv does not hold it
found = []
if any(needle in (k + "=" + v).encode() for k, v in os.environ.items()):
    found.append("environment")
for pid in os.listdir("/proc"):
    if not pid.isdigit():
        continue
    for name in ("environ", "cmdline"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                if needle in f.read():
                    found.append(f"/proc/{pid}/{name}")
        except OSError:
            pass
for path in sys.argv[2:]:
    try:
        with open(path, "rb") as f:
            if needle in f.read():
                found.append(path)
    except OSError as e:
        print("unreadable", path, e.errno)
print("FOUND", found)
"""


def test_query_passes_with_brokered_token_the_sandbox_never_holds(project):
    cp = project.curl_graphql("query { me { id } }")
    assert cp.returncode == 0, cp.stderr
    assert "HTTP 200" in cp.stdout, cp.stdout + cp.stderr
    assert '"ok": true' in cp.stdout
    seen = project.server.requests[-1]
    assert seen["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert json.loads(seen["body"])["query"] == "query { me { id } }"
    allowed = requests_of(cp.records, "allow")
    assert allowed and allowed[-1]["detail"]["injected"] == ["Authorization"]
    assert TOKEN not in open(cp.audit).read()

    # python (urllib, default context) trusts the run's CA through SSL_CERT_FILE.
    py = project.run([PY, "-c", PY_POST, f"https://{API}:{project.port}/graphql", json.dumps({"query": "{ me { id } }"})])
    assert "STATUS 200" in py.stdout, py.stdout + py.stderr
    assert project.server.requests[-1]["headers"]["authorization"] == f"Bearer {TOKEN}"

    # Nowhere inside: environment, /proc, the token file (masked), the workspace.
    look = project.run([PY, "-c", LOOK_FOR_TOKEN, TOKEN[::-1], project.token_file])
    assert "FOUND []" in look.stdout, look.stdout + look.stderr


def test_volume_delete_refused_with_a_clear_message_and_audited(project):
    before = len(project.server.requests)
    cp = project.curl_graphql('mutation { volumeDelete(volumeId: "vol-prod-1") }')
    assert "HTTP 403" in cp.stdout, cp.stdout + cp.stderr
    assert (f"interlock: mutation volumeDelete on {API} is denied in environment staging by rule "
            '"railway: destructive mutations"') in cp.stdout
    assert "ask a human to run it" in cp.stdout
    assert len(project.server.requests) == before, "the mutation reached the server"
    denied = requests_of(cp.records, "deny")
    assert denied and denied[-1]["detail"]["what"] == "mutation volumeDelete"
    assert "railway: destructive mutations" in denied[-1]["rule"]
    assert "1 request (mutation volumeDelete on " in cp.stderr


@pytest.mark.parametrize("payload", [
    # aliased: the field is volumeDelete whatever the alias says
    {"query": 'mutation Tidy { cleanup: volumeDelete(volumeId: "v1") }'},
    # batched: one harmless query, one destructive mutation
    [{"query": "{ me { id } }"}, {"query": 'mutation { serviceDelete(id: "s1") }'}],
    # behind a fragment spread
    {"query": 'mutation { ...X } fragment X on Mutation { volumeDelete(volumeId: "v1") }'},
], ids=["aliased", "batched", "fragment"])
def test_aliased_batched_and_fragment_mutations_refused(project, payload):
    before = len(project.server.requests)
    cp = project.run([PY, "-c", PY_POST, f"https://{API}:{project.port}/graphql", json.dumps(payload)])
    assert "STATUS 403" in cp.stdout, cp.stdout + cp.stderr
    assert "is denied in environment staging" in cp.stdout
    assert len(project.server.requests) == before
    assert requests_of(cp.records, "deny")


def test_unparsable_body_refused_for_a_rule_that_needs_it(project):
    before = len(project.server.requests)
    cp = project.run(["curl", "-sS", "-w", "\\nHTTP %{http_code}\\n", "-H", "Content-Type: application/json",
                      "--data", '{"extensions": {"persistedQuery": {"sha256Hash": "abc"}}}',
                      f"https://{API}:{project.port}/graphql"])
    assert "HTTP 403" in cp.stdout, cp.stdout
    assert "persisted queries are not inspected" in cp.stdout
    assert len(project.server.requests) == before


def test_request_carrying_its_own_authorization_or_a_found_token_refused(project):
    before = len(project.server.requests)
    own = project.curl_graphql("{ me { id } }", extra=("-H", "Authorization: Bearer whatever-i-found"))
    assert "HTTP 403" in own.stdout
    assert "carries its own Authorization header" in own.stdout
    found = project.curl_graphql("{ me { id } }", extra=("-H", f"X-Api-Key: {FOUND}"))
    assert found.returncode == 0, found.stderr
    assert "HTTP 403" in found.stdout, found.stdout
    assert "carries a GitHub token in the X-Api-Key header that Interlock did not inject" in found.stdout
    assert FOUND not in found.stdout
    in_url = project.run(["curl", "-sS", "-w", "\\nHTTP %{http_code}\\n", f"https://{API}:{project.port}/q?key={FOUND}"])
    assert "HTTP 403" in in_url.stdout and "in the URL" in in_url.stdout
    assert len(project.server.requests) == before
    record = requests_of(found.records, "deny")[-1]
    assert FOUND not in json.dumps(record)


def test_the_brokered_token_itself_is_refused_when_the_sandbox_presents_it(project):
    # Even if the agent learnt the real token somehow, sending it is refused (value match).
    before = len(project.server.requests)
    cp = project.curl_graphql("{ me { id } }", extra=("-H", f"X-Token: {TOKEN}"))
    assert "HTTP 403" in cp.stdout, cp.stdout
    assert "credential from a file Interlock hid" in cp.stdout
    assert len(project.server.requests) == before


def test_wrong_upstream_certificate_fails_the_request(run, workspace, tmp_host_dir, certs):
    (good_cert, _), (wrong_cert, wrong_key) = certs
    server = GraphQLServer(wrong_cert, wrong_key)  # trusted: good_cert only
    try:
        p = Project(run, workspace, tmp_host_dir, server, good_cert)
        cp = p.curl_graphql("{ me { id } }")
        assert "HTTP 502" in cp.stdout, cp.stdout + cp.stderr
        assert "did not verify" in cp.stdout or "TLS" in cp.stdout
        assert not server.requests, "a request reached a server whose certificate did not verify"
    finally:
        server.close()


def test_other_hosts_are_tunnelled_untouched(project, certs):
    # Not inspected: the sandbox sees the server's own certificate (trusted only with --cacert).
    (cert, _), _ = certs
    shutil.copy(cert, os.path.join(project.workspace, "server.pem"))
    cp = project.run(["sh", "-c", f"curl -sS -o /dev/null -w '%{{http_code}}' --cacert server.pem https://{OTHER}:{project.port}/x; echo; "
                      f"curl -sS -o /dev/null -w '%{{http_code}}' --cacert server.pem https://{API}:{project.port}/x 2>&1 | tail -c 300"])
    lines = cp.stdout.strip().splitlines()
    assert lines[0] == "200", cp.stdout + cp.stderr
    assert "200" not in lines[-1], "the inspected host presented the server's own certificate"


def test_plain_http_to_an_inspected_host_refused(project):
    cp = project.run(["curl", "-sS", "-w", "\\nHTTP %{http_code}\\n", f"http://{API}:{project.port}/graphql"])
    assert "HTTP 403" in cp.stdout and "must use HTTPS" in cp.stdout, cp.stdout


def pending_ids(interlock, env):
    cp = subprocess.run([interlock, "approve", "--list"], capture_output=True, text=True, env=env, timeout=TIMEOUT)
    return [line.split("\t")[0] for line in cp.stdout.splitlines() if "\t" in line]


@pytest.fixture
def interlock_bin():
    from conftest import DEFAULT_BIN
    return os.environ.get("INTERLOCK_BIN") or str(DEFAULT_BIN)


def test_ask_rule_approved_from_a_second_process(project, interlock_bin, tmp_host_dir):
    runtime = tempfile.mkdtemp(prefix="interlock-runtime-", dir="/var/tmp")
    env = sandbox_env({"XDG_RUNTIME_DIR": runtime})
    # A long timeout: this one is answered.
    write_profile(project.workspace, open(project.profile).read().replace("ask_timeout = 2", "ask_timeout = 600"))
    audit = os.path.join(tmp_host_dir, "ask.jsonl")
    body = json.dumps({"query": 'mutation { deploymentRedeploy(id: "d1") }'})
    proc = subprocess.Popen([interlock_bin, "run", "--env", "staging", "--audit", audit, "--", "curl", "-sS", "-w",
                             "\\nHTTP %{http_code}\\n", "-H", "Content-Type: application/json", "--data", body,
                             f"https://{API}:{project.port}/graphql"],
                            cwd=project.workspace, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        ids = wait_until(lambda: pending_ids(interlock_bin, env) or proc.poll() is not None, message="a held request")
        assert ids is not True, proc.communicate()
        assert not project.server.requests, "held request reached the server before approval"
        answer = subprocess.run([interlock_bin, "approve", ids[0]], capture_output=True, text=True, env=env, timeout=TIMEOUT)
        assert answer.returncode == 0, answer.stdout + answer.stderr
        out, err = proc.communicate(timeout=TIMEOUT * 2)
    finally:
        if proc.poll() is None:
            proc.kill()
        shutil.rmtree(runtime, ignore_errors=True)
    assert "HTTP 200" in out, out + err
    assert project.server.requests and b"deploymentRedeploy" in project.server.requests[-1]["body"]
    records = read_records(audit)
    asked = requests_of(records, "ask")
    approved = requests_of(records, "approve")
    assert asked and approved
    assert approved[-1]["detail"]["request_id"] == ids[0]
    assert "via interlock approve" in approved[-1]["detail"]["decided_by"]


def test_ask_rule_times_out_refused(project):
    body = json.dumps({"query": 'mutation { deploymentRedeploy(id: "d1") }'})
    cp = project.run(["curl", "-sS", "-w", "\\nHTTP %{http_code}\\n", "-H", "Content-Type: application/json",
                      "--data", body, f"https://{API}:{project.port}/graphql"])
    assert "HTTP 403" in cp.stdout, cp.stdout + cp.stderr
    assert "refused in environment staging by timeout after 2 s" in cp.stdout
    assert not project.server.requests
    refused = requests_of(cp.records, "refuse")
    assert refused and refused[-1]["detail"]["decided_by"] == "timeout after 2 s"


def test_approval_socket_unreachable_from_the_sandbox(project):
    # The runtime directory is on the host's visible (read-only) tree, not in /tmp: only the
    # mask keeps its socket away from the sandbox (a socket stays connectable through a
    # read-only mount).
    runtime = tempfile.mkdtemp(prefix="interlock-runtime-", dir="/var/tmp")
    os.chmod(runtime, 0o755)
    script = r"""
import os, socket, sys
d = sys.argv[1]
try:
    entries = os.listdir(d)
except OSError as e:
    entries = ["errno %d" % e.errno]
print("ENTRIES", entries)
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[2])
    s.sendall(b"list\\n")
    print("REACHED", s.recv(1000))
except OSError as e:
    print("UNREACHABLE", e.errno)
"""
    try:
        env = {"XDG_RUNTIME_DIR": runtime}
        cp = project.run(["sh", "-c", f"ls {runtime}/interlock/ >&2; {PY} -c '{script}' {runtime}/interlock "
                          f"{runtime}/interlock/approve-$INTERLOCK_SANDBOX.sock"], env_vars=sandbox_env(env))
        assert "UNREACHABLE" in cp.stdout, cp.stdout + cp.stderr
        assert "approve-" not in cp.stdout, cp.stdout  # the directory shows nothing (empty mask, or not enterable)
        # It existed on the host while the run lasted (the supervisor removes it at the end).
        assert os.path.isdir(os.path.join(runtime, "interlock"))
    finally:
        shutil.rmtree(runtime, ignore_errors=True)


def test_incident_call_with_a_found_token_deletes_nothing(run, workspace, tmp_host_dir, certs):
    """The incident: in a staging sandbox, the agent calls Railway's API with a token it found
    in an unrelated file, to delete a volume. The project opted into the Railway rule pack."""
    (cert, key), _ = certs
    server = GraphQLServer(cert, key)
    try:
        shutil.copy(cert, os.path.join(workspace, "upstream-ca.pem"))
        found = "6c2f1a0e-5b7d-4e3a-9c1b-2d8f7e6a5b4c"
        os.makedirs(os.path.join(workspace, "ops"))
        with open(os.path.join(workspace, "ops", ".env.old"), "w") as f:
            f.write(f"RAILWAY_TOKEN={found}\n")  # hidden by discovery; its value is remembered
        write_profile(workspace, (
            'extends = ["default", "rules/railway"]\n'
            "[network]\n"
            f'hosts = {{ "{RAILWAY}" = "127.0.0.1" }}\n'
            'upstream_ca = "upstream-ca.pem"\n'
            "[env.staging]\n"
            f'network.egress = ["{RAILWAY}:{server.port}"]\n'))
        audit = os.path.join(tmp_host_dir, "incident.jsonl")
        mutation = json.dumps({"query": "mutation volumeDelete($volumeId: String!) { volumeDelete(volumeId: $volumeId) }",
                               "variables": {"volumeId": "prod-db-volume"}})
        url = f"https://{RAILWAY}:{server.port}/graphql/v2"
        # With the token it found: refused (a bearer token the broker did not inject; its value is
        # also that of a file Interlock hid).
        cp = run(["run", "--env", "staging", "--audit", audit, "--", "curl", "-sS", "-w", "\\nHTTP %{http_code}\\n",
                  "-H", f"Authorization: Bearer {found}", "-H", "Content-Type: application/json", "--data", mutation, url], workspace)
        assert "HTTP 403" in cp.stdout, cp.stdout + cp.stderr
        assert "in the Authorization header that Interlock did not inject" in cp.stdout
        assert found not in cp.stdout
        # Without it: the rule pack refuses the mutation itself.
        cp2 = run(["run", "--env", "staging", "--audit", audit, "--", "curl", "-sS", "-w", "\\nHTTP %{http_code}\\n",
                   "-H", "Content-Type: application/json", "--data", mutation, url], workspace)
        assert "HTTP 403" in cp2.stdout
        assert (f"interlock: mutation volumeDelete on {RAILWAY} is denied in environment staging by rule "
                '"railway: destructive mutations" (builtin:rules/railway:') in cp2.stdout
        assert not server.requests, "a request reached the provider"
        # One line tells the engineer what was tried and why it was stopped.
        assert f"blocked: 1 request (mutation volumeDelete on {RAILWAY})" in cp2.stderr, cp2.stderr
        records = requests_of(read_records(audit), "deny")
        assert len(records) == 2 and all(found not in json.dumps(r) for r in records)
    finally:
        server.close()


@pytest.mark.parametrize("key,expected", [(b"y", b"HTTP 200"), (b"n", b"HTTP 403")])
def test_ask_answered_at_the_supervisors_terminal(project, pty_session, interlock_bin, key, expected):
    write_profile(project.workspace, open(project.profile).read().replace("ask_timeout = 2", "ask_timeout = 600"))
    body = json.dumps({"query": 'mutation { deploymentRedeploy(id: "d1") }'})
    runtime = tempfile.mkdtemp(prefix="interlock-runtime-", dir="/var/tmp")
    try:
        s = pty_session([interlock_bin, "run", "--env", "staging", "--", "curl", "-sS", "-w", "\\nHTTP %{http_code}\\n",
                         "-H", "Content-Type: application/json", "--data", body, f"https://{API}:{project.port}/graphql"],
                        project.workspace, env=sandbox_env({"XDG_RUNTIME_DIR": runtime}))
        s.expect(b"? [y/N] ")
        assert not project.server.requests
        s.send(key)
        s.expect(expected)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    assert bool(project.server.requests) == (key == b"y")


def test_request_naming_another_host_is_refused(project):
    # Connected (and checked) for the API host, but asking its server for another name.
    cp = project.run(["curl", "-sS", "-w", "\\nHTTP %{http_code}\\n", "-H", "Host: internal-admin.test",
                      f"https://{API}:{project.port}/graphql"])
    assert "HTTP 403" in cp.stdout and "names another host (internal-admin.test)" in cp.stdout, cp.stdout
    assert not project.server.requests


def test_transparent_path_is_inspected_too(project):
    # curl ignoring the proxy variables lands on the transparent listener of the port (by SNI).
    before = len(project.server.requests)
    body = json.dumps({"query": 'mutation { volumeDelete(volumeId: "v") }'})
    cp = project.run(["curl", "-sS", "--noproxy", "*", "-w", "\\nHTTP %{http_code}\\n", "-H", "Content-Type: application/json",
                      "--data", body, f"https://{API}:{project.port}/graphql"])
    assert "HTTP 403" in cp.stdout and "mutation volumeDelete" in cp.stdout, cp.stdout + cp.stderr
    assert len(project.server.requests) == before
    ok = project.run(["curl", "-sS", "--noproxy", "*", "-w", "\\nHTTP %{http_code}\\n", "-H", "Content-Type: application/json",
                      "--data", json.dumps({"query": "{ me { id } }"}), f"https://{API}:{project.port}/graphql"])
    assert "HTTP 200" in ok.stdout, ok.stdout + ok.stderr
    assert project.server.requests[-1]["headers"]["authorization"] == f"Bearer {TOKEN}"


def test_credential_from_the_supervisors_environment_and_strip(run, workspace, tmp_host_dir, certs):
    (cert, key), _ = certs
    server = GraphQLServer(cert, key)
    try:
        shutil.copy(cert, os.path.join(workspace, "upstream-ca.pem"))
        write_profile(workspace, (
            'extends = "default"\n[network]\n'
            f'hosts = {{ "{API}" = "127.0.0.1" }}\nupstream_ca = "upstream-ca.pem"\n'
            f'egress = ["{API}:{server.port}"]\n'
            f'[[credentials]]\nhost = "{API}"\nheader = "X-Api-Token"\nenv = "SERVICE_KEY"\non_present = "strip"\n'))
        secret = "svc_" + "8d3F9a2K7q1Z5x0W"
        env = sandbox_env({"SERVICE_KEY": secret})
        audit = os.path.join(tmp_host_dir, "env.jsonl")
        cp = run(["run", "--audit", audit, "--", "sh", "-c",
                  f"env | grep -c SERVICE_KEY; curl -sS -o /dev/null -w 'HTTP %{{http_code}}\\n' -H 'X-Api-Token: mine' "
                  f"https://{API}:{server.port}/x"], workspace, env=env)
        assert cp.stdout.splitlines()[0] == "0", cp.stdout + cp.stderr  # not in the sandbox's environment
        assert "HTTP 200" in cp.stdout, cp.stdout + cp.stderr
        assert server.requests[-1]["headers"]["x-api-token"] == secret  # the sandbox's own value was stripped
    finally:
        server.close()


# Request smuggling on an inspected host (issue 9's list): raw HTTP/1.1 written into the TLS
# tunnel, so that the proxy's parser is the one that has to get framing right. Each variant hides
# a volumeDelete mutation behind an innocent query; none may reach the server.
PY_SMUGGLE = SANDBOX_TUNNEL + r"""
import sys
host, port = sys.argv[1], int(sys.argv[2])
mutation = b'{"query": "mutation { volumeDelete(volumeId: \\"v1\\") }"}'
query = b'{"query": "{ me { id } }"}'
def req(body, extra=b""):
    return (b"POST /graphql HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n" + extra +
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
hidden = req(mutation)
chunked_query = hex(len(query))[2:].encode() + b"\r\n" + query + b"\r\n0\r\n\r\n"
chunked_head = (b"POST /graphql HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
variants = {
    "CL.TE": (b"POST /graphql HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n"
              b"Content-Length: " + str(len(chunked_query)).encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_query + hidden),
    "TE.CL": (b"POST /graphql HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n"
              b"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n" + chunked_query + hidden),
    "obfuscated TE": (b"POST /graphql HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: xchunked\r\nContent-Length: " + str(len(query)).encode() + b"\r\n\r\n" + query + hidden),
    "two Content-Lengths": (b"POST /graphql HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n"
                            b"Content-Length: " + str(len(query)).encode() + b"\r\nContent-Length: " + str(len(query) + len(hidden)).encode() +
                            b"\r\n\r\n" + query + hidden),
    "pipelined": req(query) + hidden,
    # Chunk-size games: the mutation travels as a chunked body the proxy must decode exactly as
    # the origin would (extensions, leading zeros), or the size is one no parser may accept.
    "chunk extension": chunked_head + hex(len(mutation))[2:].encode() + b";ext=1\r\n" + mutation + b"\r\n0\r\n\r\n",
    "chunk extension with a line break": (chunked_head + hex(len(query))[2:].encode() + b';ext="a\r\n' + query + b'"\r\n' +
                                          mutation + b"\r\n0\r\n\r\n"),
    "chunk leading zeros": chunked_head + b"0000" + hex(len(mutation))[2:].encode() + b"\r\n" + mutation + b"\r\n0\r\n\r\n",
    "negative chunk size": chunked_head + b"-1\r\n" + query + b"\r\n0\r\n\r\n" + hidden,
    "overflowing chunk size": chunked_head + b"1" + b"0" * 16 + hex(len(query))[2:].encode() + b"\r\n" + query + b"\r\n0\r\n\r\n" + hidden,
    # Line endings and folding: a proxy reading bare LF or folded lines differently from the
    # origin would see other headers (and another body length) than it forwards.
    "bare LF": (b"POST /graphql HTTP/1.1\nHost: " + host.encode() + b"\nContent-Type: application/json\nContent-Length: " +
                str(len(query)).encode() + b"\n\n" + query + hidden),
    "obs-fold Transfer-Encoding": (b"POST /graphql HTTP/1.1\r\nHost: " + host.encode() + b"\r\nContent-Type: application/json\r\n"
                                   b"Transfer-Encoding: identity\r\n chunked\r\nContent-Length: " + str(len(query)).encode() +
                                   b"\r\n\r\n" + query + hidden),
    "HTTP/1.0 keep-alive pipelined": (req(query).replace(b"HTTP/1.1", b"HTTP/1.0").replace(b"Host:", b"Connection: keep-alive\r\nHost:")
                                      + hidden.replace(b"HTTP/1.1", b"HTTP/1.0")),
    # Other hosts and protocols behind the inspected name: absolute-form, a Host header of
    # another host inside the tunnel, an h2c upgrade and the HTTP/2 preface (whose frames the
    # HTTP/1 inspector could not read).
    "absolute-form of another host": req(mutation).replace(b"POST /graphql", b"POST https://other.test/graphql"),
    "Host of another host": req(query).replace(b"Host: " + host.encode(), b"Host: other.test"),
    "h2c upgrade": (b"POST /graphql HTTP/1.1\r\nHost: " + host.encode() + b"\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                    b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nContent-Type: application/json\r\n"
                    b"Content-Length: " + str(len(query)).encode() + b"\r\n\r\n" + query + hidden),
    "HTTP/2 preface": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + hidden,
}
for name, payload in variants.items():
    t = tunnel(host, port, 10)
    t.sendall(payload)
    answer = read_all(t)
    statuses = [line.split()[1].decode() for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.")]
    print(name, "STATUSES", ",".join(statuses) or "none", flush=True)
    t.close()
"""


def test_request_smuggling_into_an_inspected_host_is_refused(project):
    before = len(project.server.requests)
    cp = project.run([PY, "-c", PY_SMUGGLE, API, str(project.port)])
    assert cp.returncode == 0, cp.stdout + cp.stderr
    lines = dict(line.split(" STATUSES ") for line in cp.stdout.splitlines() if " STATUSES " in line)
    assert set(lines) == {"CL.TE", "TE.CL", "obfuscated TE", "two Content-Lengths", "pipelined", "chunk extension", "chunk extension with a line break",
                          "chunk leading zeros", "negative chunk size", "overflowing chunk size", "bare LF",
                          "obs-fold Transfer-Encoding", "HTTP/1.0 keep-alive pipelined", "absolute-form of another host",
                          "Host of another host", "h2c upgrade", "HTTP/2 preface"}, cp.stdout
    reached = project.server.requests[before:]
    assert not any(b"volumeDelete" in r["body"] for r in reached), reached
    # No variant got a hidden request past the parser: each was refused outright (4xx) or ended
    # after the innocent query (the pipelined mutation is not forwarded either way).
    for name, statuses in lines.items():
        codes = [s for s in statuses.split(",") if s != "none"]
        assert all(c.startswith("4") for c in codes) or codes in ([], ["200"], ["200", "403"]), (name, statuses)
    # Where the mutation or another host is in plain sight of a correct parser, the refusal is explicit.
    for name in ("chunk extension", "chunk leading zeros", "absolute-form of another host", "Host of another host", "h2c upgrade"):
        assert lines[name] == "403", (name, lines[name])
