"""Network egress (issue 5): real clients inside the sandbox, real servers on the host's loopback.

Inside, only loopback exists and every IPv4 destination is routed to it; the supervisor's
egress proxy serves HTTP/CONNECT/SOCKS5 on 127.0.0.1:3128, transparent listeners on the ports the
profile names, and DNS on :53. Servers here run in the test process on 127.0.0.1 (port 0: the
kernel picks), and the profile maps test names to 127.0.0.1 through `[network] hosts`: nothing
here ever resolves a name through real DNS or connects to any address but loopback (addresses
such as 1.2.3.4 or 169.254.169.254 only appear in requests the proxy must refuse, or in the
sandbox, where they route to its own loopback).
"""

import hashlib
import json
import os
import shutil
import socket
import tempfile
import uuid

import pytest

from conftest import PY, TIMEOUT, sandbox_env, unique, wait_until, write_profile
from helpers.egress_servers import (EchoServer, HTTPServer, TCPCounter, UDPSink, UnixServer, make_certificate,
                                    make_git_repository, make_wheel, pep503_routes)

requires_root = pytest.mark.skipif(os.geteuid() != 0, reason="host sockets under /run need root")

PROXY_PORT = 3128
STAGING_BODY = b"staging says hi\n"
PROD_BODY = b"production data\n"
BIG = 200_000
NAMES = ["api.staging.test", "api.prod.test", "internal.test", "git.test", "pypi.test", "docs.staging.test"]
WHEEL_NAME = "egresstestpkg"


# ---------------------------------------------------------------------------------------------
# Scripts run inside the sandbox (by /usr/bin/python3, arguments in sys.argv)

# The tail of the raw-socket scripts: print everything the peer sends on `s` until it closes.
READ_UNTIL_CLOSE = r"""
data = b""
while True:
    try:
        chunk = s.recv(65536)
    except OSError as e:
        print("RECV-ERROR", e)
        break
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.decode("latin-1") if data else "EOF-WITHOUT-DATA")
"""

# host port method target host-header [body-bytes]: one raw HTTP/1.1 request on a plain socket
# (whatever the proxy variables say), then everything the peer sends until it closes.
RAW_HTTP = r"""
import socket, sys
host, port, method, target, host_header = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
try:
    s = socket.create_connection((host, port), timeout=30)
except OSError as e:
    print("CONNECT-ERROR", type(e).__name__, e.errno if isinstance(e, OSError) else "")
    sys.exit(0)
s.sendall(f"{method} {target} HTTP/1.1\r\nHost: {host_header}\r\nConnection: close\r\n\r\n".encode())
""" + READ_UNTIL_CLOSE

# kind host port line [command]: a SOCKS5 request (CONNECT unless command says otherwise) to the
# proxy (kind: name|ipv4|ipv6, or synth: the IPv4 address the sandbox's DNS gives the name), then
# (on success) read the far end's greeting line, send `line`, and print the answer line.
SOCKS5 = r"""
import socket, sys
kind, host, port, line = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
command = int(sys.argv[5]) if len(sys.argv) > 5 else 1
if kind == "synth":
    kind, host = "ipv4", socket.gethostbyname(host)
s = socket.create_connection(("127.0.0.1", 3128), timeout=30)
s.sendall(b"\x05\x01\x00")
assert s.recv(2) == b"\x05\x00"
if kind == "name":
    addr = b"\x03" + bytes([len(host)]) + host.encode()
elif kind == "ipv4":
    addr = b"\x01" + socket.inet_pton(socket.AF_INET, host)
else:
    addr = b"\x04" + socket.inet_pton(socket.AF_INET6, host)
s.sendall(bytes([5, command, 0]) + addr + port.to_bytes(2, "big"))
reply = b""
while len(reply) < 10:
    chunk = s.recv(10 - len(reply))
    if not chunk:
        break
    reply += chunk
print("REPLY", reply[1] if len(reply) > 1 else "none")
if len(reply) == 10 and reply[1] == 0:
    f = s.makefile("rb")
    print(f.readline().decode().strip())
    s.sendall(line.encode() + b"\n")
    print(f.readline().decode().strip())
"""

# url [cafile]: urllib through the proxy variables; prints the status and body, or the error.
URLLIB = r"""
import ssl, sys, urllib.request, urllib.error
context = ssl.create_default_context(cafile=sys.argv[2]) if len(sys.argv) > 2 else None
try:
    with urllib.request.urlopen(sys.argv[1], timeout=30, context=context) as r:
        print("STATUS", r.status)
        sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print("HTTPERROR", e.code, e.reason)
    sys.stdout.write(e.read().decode())
except Exception as e:
    print("ERROR", type(e).__name__, e)
"""

# n url...: n threads, each fetching one url (round robin) through the proxy variables.
CONCURRENT = r"""
import sys, threading, urllib.request
n, urls = int(sys.argv[1]), sys.argv[2:]
results, lock, barrier = [], threading.Lock(), threading.Barrier(n, timeout=60)
def fetch(i):
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    try:
        with urllib.request.urlopen(urls[i % len(urls)], timeout=60) as r:
            out = (r.status, r.read())
    except Exception as e:
        out = ("error", repr(e).encode())
    with lock:
        results.append(out)
threads = [threading.Thread(target=fetch, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join(120)
ok = sum(1 for status, body in results if status == 200 and body == b"staging says hi\n")
print("OK", ok, "OF", len(results))
for status, body in results:
    if status != 200:
        print("FAILED", status, body[:200])
"""

# host port hex [pad]: the bytes (hex) sent as is on a plain socket (with `pad` bytes of an extra
# header line before the final empty line, if given); prints everything received until the peer
# closes (or 30 s of silence).
RAW_SEND = r"""
import socket, sys
host, port, payload = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3])
if len(sys.argv) > 4:
    payload = payload[:-2] + b"X-Pad: " + b"a" * int(sys.argv[4]) + b"\r\n\r\n"
s = socket.create_connection((host, port), timeout=30)
s.sendall(payload)
""" + READ_UNTIL_CLOSE

# mode host port: a websocket-style upgrade, through the proxy (mode proxy: absolute URI to
# 127.0.0.1:3128) or directly (mode direct: transparent); then one message each way.
UPGRADE = r"""
import socket, sys
mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
peer = ("127.0.0.1", 3128) if mode == "proxy" else (host, port)
target = f"http://{host}:{port}/ws" if mode == "proxy" else "/ws"
s = socket.create_connection(peer, timeout=30)
s.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n".encode())
head = b""
while b"\r\n\r\n" not in head:
    chunk = s.recv(1)
    if not chunk:
        break
    head += chunk
print(head.split(b"\r\n")[0].decode())
s.sendall(b"ping")
print(s.recv(100).decode())
"""

# mode host port size: connect to host:port (mode socks: through SOCKS5 by name; connect: through
# an HTTP CONNECT tunnel; direct: plain connect, the transparent path), read the greeting, send
# COLLECT and `size` random bytes, half-close, and print the server's answer and our own digest.
HALF_CLOSE = r"""
import hashlib, os, socket, sys
mode, host, port, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if mode == "direct":
    s = socket.create_connection((host, port), timeout=30)
else:
    s = socket.create_connection(("127.0.0.1", 3128), timeout=30)
    if mode == "socks":
        s.sendall(b"\x05\x01\x00"); assert s.recv(2) == b"\x05\x00"
        s.sendall(b"\x05\x01\x00\x03" + bytes([len(host)]) + host.encode() + port.to_bytes(2, "big"))
        reply = b""
        while len(reply) < 10:
            reply += s.recv(10 - len(reply))
        assert reply[1] == 0, reply
    else:
        s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += s.recv(1)
        assert head.startswith(b"HTTP/1.1 200"), head
f = s.makefile("rb")
print(f.readline().decode().strip())
data = os.urandom(size)
s.sendall(b"COLLECT\n" + data)
s.shutdown(socket.SHUT_WR)
print(f.readline().decode().strip())
print("sent", len(data), hashlib.sha256(data).hexdigest())
print("eof", f.read() == b"")
"""

# errno name of a connect(), or CONNECTED.
CONNECT = r"""
import errno, socket, sys
family = {"inet": socket.AF_INET, "inet6": socket.AF_INET6, "unix": socket.AF_UNIX}[sys.argv[1]]
s = socket.socket(family, socket.SOCK_STREAM)
s.settimeout(20)
target = sys.argv[2] if family == socket.AF_UNIX else (sys.argv[2], int(sys.argv[3]))
if family == socket.AF_UNIX and target.startswith("@"):
    target = "\0" + target[1:]
try:
    s.connect(target)
    print("CONNECTED")
    s.settimeout(5)
    try:
        print("DATA", s.recv(100))
    except OSError as e:
        print("RECV", type(e).__name__)
except OSError as e:
    print("ERR", errno.errorcode.get(e.errno, e.errno) if e.errno else type(e).__name__)
"""

# server name qtype: one UDP DNS query; prints the answer's rcode, source and A records, or TIMEOUT.
DNS_QUERY = r"""
import random, socket, struct, sys
server, name, qtype = sys.argv[1], sys.argv[2], int(sys.argv[3])
qid = random.randrange(65536)
packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
packet += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0" + struct.pack(">HH", qtype, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
try:
    s.sendto(packet, (server, 53))
    data, peer = s.recvfrom(4096)
except socket.timeout:
    print("TIMEOUT")
    sys.exit(0)
except OSError as e:
    print("ERR", e)
    sys.exit(0)
rid, flags, qd, an = struct.unpack(">HHHH", data[:8])
addresses = []
if an:
    offset = 12 + len(packet) - 12  # the question is echoed as sent
    for _ in range(an):
        offset += 2  # name pointer
        rtype, rclass, ttl, rdlength = struct.unpack(">HHIH", data[offset:offset + 10])
        offset += 10
        if rtype == 1:
            addresses.append(socket.inet_ntoa(data[offset:offset + 4]))
        offset += rdlength
print("RCODE", flags & 0xF, "ID-OK", rid == qid, "FROM", peer[0], "AN", " ".join(addresses) or "-")
"""


# ---------------------------------------------------------------------------------------------
# Helpers


def read_records(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def connects(records, action=None, **detail):
    """`connect` records (optionally of one action) whose detail has every given key=value."""
    out = []
    for r in records:
        if r.get("kind") != "connect" or (action and r.get("action") != action):
            continue
        d = r.get("detail", {})
        if all(d.get(k) == v for k, v in detail.items()):
            out.append(r)
    return out


def parse_http(text):
    """(status, reason, {header: value}, body) of a raw HTTP response. Line endings are "\n":
    the runner reads the sandbox's output as text (universal newlines)."""
    text = text.replace("\r\n", "\n")
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    version, status, reason = (lines[0].split(" ", 2) + [""])[:3]
    assert version.startswith("HTTP/"), text[:500]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status), reason, headers, body


def summary_line(stderr):
    lines = [line for line in stderr.splitlines() if line.startswith("interlock: exit")]
    assert lines, f"no exit summary on stderr: {stderr!r}"
    return lines[-1]


class Result:
    def __init__(self, completed, records):
        self.cp = completed
        self.records = records
        self.stdout = completed.stdout
        self.stderr = completed.stderr
        self.returncode = completed.returncode

    def __repr__(self):
        return f"rc={self.returncode}\nstdout={self.stdout[-3000:]!r}\nstderr={self.stderr[-3000:]!r}"


class World:
    """Host servers, a certificate, and a project profile with two environments:

    [network] hosts maps every test name to 127.0.0.1
    [env.staging]    api.staging.test on the HTTP, TLS and echo ports; git.test and pypi.test;
                     docs.staging.test without a port (80 and 443: transparent listeners there,
                     though no test connects to it)
    [env.production] api.prod.test on the production server's port only
    """

    def __init__(self, run, workspace, host_dir, cert, git_root, commit, wheel):
        self._run = run
        self.workspace = workspace
        self.host_dir = host_dir
        self.commit = commit
        self.cert, self.key = cert
        routes = {
            "/": (200, "text/plain", STAGING_BODY),
            "/big": (200, "application/octet-stream", os.urandom(BIG)),
            **pep503_routes(WHEEL_NAME, wheel),
        }
        self.staging = HTTPServer(routes, git_root=git_root)
        self.tls = HTTPServer(routes, tls=(self.cert, self.key), git_root=git_root)
        self.prod = HTTPServer({"/": (200, "text/plain", PROD_BODY)})
        self.echo = EchoServer()
        self.servers = [self.staging, self.tls, self.prod, self.echo]
        shutil.copy(self.cert, os.path.join(workspace, "ca.pem"))
        self.ca = os.path.join(workspace, "ca.pem")
        S, T, R, E = self.staging.port, self.tls.port, self.prod.port, self.echo.port
        hosts = ", ".join(f'"{n}" = "127.0.0.1"' for n in NAMES)
        self.profile = write_profile(workspace, (
            'extends = "default"\n'
            "[network]\n"
            f"hosts = {{ {hosts} }}\n"
            "[env.staging]\n"
            f'network.egress = ["api.staging.test:{S}", "api.staging.test:{T}", "api.staging.test:{E}",'
            f' "git.test:{S}", "git.test:{T}", "pypi.test:{T}", "docs.staging.test"]\n'
            "[env.production]\n"
            f'network.egress = ["api.prod.test:{R}"]\n'))
        self.runs = 0

    def run(self, argv, env="staging", options=(), timeout=TIMEOUT * 2, env_vars=None):
        """`interlock run [--env ENV] --audit FILE OPTIONS -- ARGV…` in the workspace."""
        self.runs += 1
        audit = os.path.join(self.host_dir, f"audit-{self.runs}.jsonl")
        env_args = ["--env", env] if env else []
        cp = self._run(["run", *env_args, "--audit", audit, *options, "--", *argv], self.workspace,
                       timeout=timeout, env=env_vars)
        return Result(cp, read_records(audit))

    def py(self, script, *args, **kwargs):
        return self.run([PY, "-c", script, *map(str, args)], **kwargs)

    def refusal(self, host, port, env="staging"):
        return f"egress to {host}:{port} is not allowed in environment '{env}' (profile {self.profile})"

    def close(self):
        for s in self.servers:
            s.close()


@pytest.fixture(scope="module")
def material():
    """The certificate, git repository and wheel, made once for the module."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    path = os.path.realpath(tempfile.mkdtemp(prefix="interlock-egress-material-", dir="/tmp"))
    os.chmod(path, 0o755)
    cert = make_certificate(path, NAMES)
    git_root = os.path.join(path, "git")
    os.makedirs(git_root)
    commit = make_git_repository(git_root)
    wheel_dir = os.path.join(path, "wheels")
    os.makedirs(wheel_dir)
    wheel = os.path.join(wheel_dir, make_wheel(wheel_dir, WHEEL_NAME, "1.0", 'MESSAGE = "installed through the proxy"\n'))
    yield cert, git_root, commit, wheel
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def world(run, workspace, tmp_host_dir, material):
    cert, git_root, commit, wheel = material
    w = World(run, workspace, tmp_host_dir, cert, git_root, commit, wheel)
    yield w
    w.close()


def simple_profile(workspace, egress=(), deny=(), hosts=None, extra=""):
    hosts = hosts if hosts is not None else {}
    text = 'extends = "default"\n[network]\n'
    text += "egress = [" + ", ".join(f'"{e}"' for e in egress) + "]\n"
    text += "deny = [" + ", ".join(f'"{e}"' for e in deny) + "]\n"
    text += "hosts = { " + ", ".join(f'"{k}" = "{v}"' for k, v in hosts.items()) + " }\n"
    return write_profile(workspace, text + extra)


def run_with_audit(run, workspace, argv, host_dir, options=(), **kwargs):
    audit = os.path.join(host_dir, f"audit-{uuid.uuid4().hex[:8]}.jsonl")
    cp = run(["run", "--audit", audit, *options, "--", *argv], workspace, **kwargs)
    return Result(cp, read_records(audit))


# ---------------------------------------------------------------------------------------------
# Per environment: staging reaches staging, never production (and vice versa)


@pytest.mark.parametrize("env", ["staging", "production"])
def test_environment_reaches_its_api_and_not_the_other(world, env):
    S, R = world.staging.port, world.prod.port
    own, other = (("api.staging.test", S), ("api.prod.test", R)) if env == "staging" else \
        (("api.prod.test", R), ("api.staging.test", S))
    own_server, other_server = (world.staging, world.prod) if env == "staging" else (world.prod, world.staging)
    own_body = STAGING_BODY if env == "staging" else PROD_BODY
    r = world.run(["sh", "-c",
                   f"curl -sS http://{own[0]}:{own[1]}/; echo; echo ---; curl -sS -i http://{other[0]}:{other[1]}/; "
                   "echo; echo curl-exit=$?"], env=env)
    assert r.returncode == 0, r
    mine, _, refused = r.stdout.partition("---\n")
    assert mine.strip() == own_body.decode().strip(), r
    status, reason, headers, body = parse_http(refused.rsplit("\ncurl-exit", 1)[0])
    message = world.refusal(other[0], other[1], env)
    assert status == 403, r
    assert reason == message
    assert body.splitlines()[0] == message
    assert headers.get("x-interlock-rule") == "no matching egress entry"
    # The host side: the request reached its own server only.
    assert [(m, p) for m, p, _ in own_server.requests] == [("GET", "/")]
    assert other_server.requests == []
    # Audit: one allow (with its close) for the own API, one deny for the other.
    allowed = connects(r.records, "allow", host=own[0], port=own[1])
    assert len(allowed) == 1 and allowed[0]["detail"]["protocol"] == "http", r.records
    denied = connects(r.records, "deny", host=other[0], port=other[1])
    assert len(denied) == 1, r.records
    assert denied[0]["rule"] == "no matching egress entry"
    assert denied[0]["detail"]["protocol"] == "http"
    # The run's summary names the refused connection; the exit record counts it.
    assert f"{other[0]}:{other[1]}" in summary_line(r.stderr)
    exit_record = [x for x in r.records if x["kind"] == "lifecycle" and x["action"] == "exit"][-1]
    assert exit_record["detail"]["refused_connections"] == {f"{other[0]}:{other[1]}": 1}
    start = [x for x in r.records if x["kind"] == "lifecycle" and x["action"] == "start"][0]
    assert start["detail"]["environment"] == env


def test_https_to_other_environment_refused_at_connect(world):
    R = world.prod.port
    r = world.run(["curl", "-sS", "-v", "--cacert", world.ca, f"https://api.prod.test:{R}/"])
    assert r.returncode != 0, r
    assert "403" in r.stderr, r
    assert world.refusal("api.prod.test", R) in r.stderr  # the CONNECT response's reason phrase
    assert world.prod.requests == []
    denied = connects(r.records, "deny", host="api.prod.test", port=R)
    assert len(denied) == 1 and denied[0]["detail"]["protocol"] == "connect", r.records
    assert f"api.prod.test:{R}" in summary_line(r.stderr)


def test_done_when_acceptance(world):
    """Issue 5's "Done when", in one staging run: git clone, pip install from the allowed index and
    the staging API work; production, an unlisted host, the metadata address and a raw IP are
    refused with a message saying why, and every refusal is recorded."""
    S, T, R = world.staging.port, world.tls.port, world.prod.port
    script = f"""
set -u
export GIT_SSL_CAINFO={world.ca}
git clone -q https://git.test:{T}/git/repo.git cloned && echo CLONE-OK $(git -C cloned rev-parse HEAD)
REQUESTS_CA_BUNDLE={world.ca} {PY} -m pip install -q --no-deps --no-cache-dir --disable-pip-version-check \\
    --index-url https://pypi.test:{T}/simple/ --target site {WHEEL_NAME} && echo PIP-OK
PYTHONPATH=site {PY} -c 'import {WHEEL_NAME}; print("IMPORT", {WHEEL_NAME}.MESSAGE)'
echo API $(curl -sS --cacert {world.ca} https://api.staging.test:{T}/)
for url in http://api.prod.test:{R}/ http://unlisted.example.com/ http://169.254.169.254/latest/meta-data/ http://1.2.3.4:{S}/; do
    echo "REFUSED $url $(curl -sS -o /dev/null -w '%{{http_code}}' $url)"
    curl -sS $url | head -n 1
done
"""
    r = world.run(["sh", "-c", script], timeout=TIMEOUT * 4)
    assert r.returncode == 0, r
    out = r.stdout
    assert f"CLONE-OK {world.commit}" in out, r
    assert "PIP-OK" in out, r
    assert "IMPORT installed through the proxy" in out, r
    assert "API staging says hi" in out, r
    for host, port in (("api.prod.test", R), ("unlisted.example.com", 80), ("169.254.169.254", 80), ("1.2.3.4", S)):
        assert world.refusal(host, port) in out, (host, r)
        assert connects(r.records, "deny", host=host, port=port), (host, r.records)
    assert out.count(" 403\n") == 4, r
    assert world.prod.requests == []
    # The exit record counts every refusal (each URL was tried twice); the summary line shows
    # a few of them (see test_summary_names_every_refused_connection).
    exit_record = [x for x in r.records if x["kind"] == "lifecycle" and x["action"] == "exit"][-1]
    refused = exit_record["detail"]["refused_connections"]
    for target in (f"api.prod.test:{R}", "unlisted.example.com:80", "169.254.169.254:80", f"1.2.3.4:{S}"):
        assert refused.get(target) == 2, refused
    assert "blocked:" in summary_line(r.stderr)


# ---------------------------------------------------------------------------------------------
# Real clients


def test_curl_http_through_proxy(world):
    S = world.staging.port
    r = world.run(["curl", "-sS", "-D", "-", f"http://api.staging.test:{S}/"])
    assert r.returncode == 0, r
    status, _, _, body = parse_http(r.stdout)
    assert status == 200 and body == STAGING_BODY.decode()
    assert world.staging.requests == [("GET", "/", f"api.staging.test:{S}")]


def test_curl_https_connect_verifies_certificate(world):
    T = world.tls.port
    r = world.run(["curl", "-sS", "--cacert", world.ca, f"https://api.staging.test:{T}/"])
    assert r.returncode == 0, r
    assert r.stdout == STAGING_BODY.decode()
    # -k is not needed: the TLS session is end to end (the proxy only relays bytes).
    allowed = connects(r.records, "allow", host="api.staging.test", port=T)
    assert len(allowed) == 1 and allowed[0]["detail"]["protocol"] == "connect", r.records


def test_python_urllib_http_and_https(world):
    S, T, R = world.staging.port, world.tls.port, world.prod.port
    r = world.py(URLLIB, f"http://api.staging.test:{S}/")
    assert r.stdout == "STATUS 200\n" + STAGING_BODY.decode(), r
    r = world.py(URLLIB, f"https://api.staging.test:{T}/", world.ca)
    assert r.stdout == "STATUS 200\n" + STAGING_BODY.decode(), r
    r = world.py(URLLIB, f"http://api.prod.test:{R}/")
    message = world.refusal("api.prod.test", R)
    assert r.stdout.startswith(f"HTTPERROR 403 {message}\n{message}\n"), r
    assert world.prod.requests == []
    assert [p for _, p, _ in world.staging.requests + world.tls.requests] == ["/", "/"]


def test_python_urllib_https_refused_names_the_reason(world):
    R = world.prod.port
    r = world.py(URLLIB, f"https://api.prod.test:{R}/", world.ca)
    assert r.returncode == 0, r
    assert r.stdout.startswith("ERROR URLError <urlopen error Tunnel connection failed: 403 "), r
    assert world.refusal("api.prod.test", R) in r.stdout


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_git_clone_smart_http(world, scheme):
    """git over smart HTTP (`git http-backend` on the host): an absolute-URI request through the
    proxy for http, a CONNECT tunnel (and git's own certificate check) for https."""
    port = world.staging.port if scheme == "http" else world.tls.port
    url = f"{scheme}://git.test:{port}/git/repo.git"
    r = world.run(["sh", "-c", f"GIT_SSL_CAINFO={world.ca} git clone -q {url} cloned && "
                               "git -C cloned rev-parse HEAD && cat cloned/README.md"])
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [world.commit, "cloned through the egress proxy"], r
    server = world.staging if scheme == "http" else world.tls
    paths = [p for _, p, _ in server.requests]
    # Smart HTTP: the ref advertisement of git-upload-pack, then the pack negotiation.
    assert "/git/repo.git/info/refs?service=git-upload-pack" in paths, paths
    assert ("POST", "/git/repo.git/git-upload-pack", f"git.test:{port}") in server.requests
    assert os.path.isfile(os.path.join(world.workspace, "cloned", "README.md"))
    protocol = "http" if scheme == "http" else "connect"
    assert connects(r.records, "allow", host="git.test", port=port, protocol=protocol), r.records


def test_git_clone_from_unlisted_host_refused(world):
    R = world.prod.port
    r = world.run(["git", "clone", "-q", f"http://api.prod.test:{R}/git/repo.git", "c"])
    assert r.returncode != 0, r
    assert "403" in r.stderr, r
    assert not os.path.exists(os.path.join(world.workspace, "c", ".git", "HEAD"))
    assert world.prod.requests == []
    assert connects(r.records, "deny", host="api.prod.test", port=R), r.records


def test_pip_download_and_install_from_local_index(world):
    """pip over HTTPS (CONNECT) from a PEP 503 index on the host. The test's CA is given through
    REQUESTS_CA_BUNDLE: this host's pip (Debian) does not apply `--cert` even without a proxy."""
    T = world.tls.port
    r = world.run(["sh", "-c",
                   f"export REQUESTS_CA_BUNDLE={world.ca}; "
                   f"{PY} -m pip download -q --no-deps --no-cache-dir --disable-pip-version-check "
                   f"--index-url https://pypi.test:{T}/simple/ -d dl {WHEEL_NAME} && ls dl && "
                   f"{PY} -m pip install -q --no-deps --no-cache-dir --disable-pip-version-check "
                   f"--index-url https://pypi.test:{T}/simple/ --target site {WHEEL_NAME} && "
                   f"PYTHONPATH=site {PY} -c 'import {WHEEL_NAME}; print({WHEEL_NAME}.MESSAGE)'"],
                  timeout=TIMEOUT * 4)
    assert r.returncode == 0, r
    assert f"{WHEEL_NAME}-1.0-py3-none-any.whl" in r.stdout
    assert r.stdout.strip().endswith("installed through the proxy"), r
    assert any(p == f"/simple/{WHEEL_NAME}/" for _, p, _ in world.tls.requests)


def test_pip_from_unlisted_index_fails(world):
    R = world.prod.port
    r = world.run(["env", f"REQUESTS_CA_BUNDLE={world.ca}", PY, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
                   "--disable-pip-version-check", "--retries", "0", "--timeout", "10",
                   "--index-url", f"https://api.prod.test:{R}/simple/", "-d", "dl", WHEEL_NAME], timeout=TIMEOUT * 3)
    assert r.returncode != 0, r
    assert world.prod.requests == []
    assert connects(r.records, "deny", host="api.prod.test", port=R), r.records


def send_raw(world, host, port, payload, pad=None, **kwargs):
    args = [host, port, payload.encode("latin-1").hex()] + ([pad] if pad is not None else [])
    return world.py(RAW_SEND, *args, **kwargs)


def test_proxy_drops_hop_by_hop_headers(world):
    """What the client meant for the proxy (Proxy-Authorization, Proxy-Connection, headers named
    in Connection) never reaches the origin; Host comes from the URI, end-to-end headers stay."""
    S = world.staging.port
    r = send_raw(world, "127.0.0.1", PROXY_PORT,
                 f"GET http://api.staging.test:{S}/?q=1 HTTP/1.1\r\nHost: other.example\r\n"
                 "Proxy-Authorization: Basic c2VjcmV0OnNlY3JldA==\r\nProxy-Connection: keep-alive\r\n"
                 "Connection: keep-alive, X-Private\r\nX-Private: for-the-proxy\r\nX-Kept: yes\r\n\r\n")
    assert r.returncode == 0, r
    status, _, _, body = parse_http(r.stdout)
    assert (status, body) == (200, STAGING_BODY.decode()), r
    [head] = world.staging.heads
    names = [k for k, _ in head]
    assert dict(head)["host"] == f"api.staging.test:{S}"
    assert names.count("host") == 1
    assert dict(head)["x-kept"] == "yes"
    assert dict(head)["connection"] == "close"
    for dropped in ("proxy-authorization", "proxy-connection", "x-private", "keep-alive"):
        assert dropped not in names, head
    assert world.staging.requests[0][1] == "/?q=1"


def test_second_request_on_a_proxy_connection_stays_with_the_checked_origin(world):
    """Pipelined requests: the first (staging) is checked and forwarded; the second, for
    production, can only reach the already checked staging origin, never production."""
    S, R = world.staging.port, world.prod.port
    r = send_raw(world, "127.0.0.1", PROXY_PORT,
                 f"GET http://api.staging.test:{S}/ HTTP/1.1\r\nHost: api.staging.test:{S}\r\n\r\n"
                 f"GET http://api.prod.test:{R}/ HTTP/1.1\r\nHost: api.prod.test:{R}\r\n\r\n")
    assert r.returncode == 0, r
    assert STAGING_BODY.decode() in r.stdout and PROD_BODY.decode() not in r.stdout, r
    assert world.prod.requests == []
    assert not connects(r.records, "allow", host="api.prod.test"), r.records


@pytest.mark.parametrize("mode", ["proxy", "direct"])
def test_websocket_upgrade(world, mode):
    S = world.staging.port
    argv = [PY, "-c", UPGRADE, mode, "api.staging.test", str(S)]
    if mode == "direct":
        argv = ["env", "-u", "HTTP_PROXY", "-u", "http_proxy"] + argv
    r = world.run(argv)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["HTTP/1.1 101 Switching Protocols", "ws-echo:ping"], r
    head = dict(world.staging.heads[0])
    assert head["upgrade"] == "websocket" and head["connection"].lower() == "upgrade", head
    [allowed] = connects(r.records, "allow", host="api.staging.test", port=S)
    assert allowed["detail"]["protocol"] == ("http" if mode == "proxy" else "transparent")


def test_malformed_proxy_requests_are_never_forwarded(world):
    """The proxy never forwards a request it could not check: malformed or unsupported requests
    get 4xx from the proxy itself, and nothing reaches the production server."""
    S, T, R = world.staging.port, world.tls.port, world.prod.port
    cases = [
        (f"GET http://api.prod.test:{R}/ HTTP/1.1\r\nHost: x\r\n folded: line\r\n\r\n", None, 400),
        (f"GET http://api.prod.test:{R}/ HTTP/2.0\r\n\r\n", None, 400),
        (f"GET https://api.staging.test:{T}/ HTTP/1.1\r\n\r\n", None, 400),
        (f"GET / HTTP/1.1\r\nHost: api.staging.test:{S}\r\n\r\n", None, 400),
        (f"GET ftp://api.staging.test:{S}/ HTTP/1.1\r\n\r\n", None, 400),
        ("CONNECT api.staging.test HTTP/1.1\r\n\r\n", None, 400),
        (f"CONNECT api.prod.test:{R}:1 HTTP/1.1\r\n\r\n", None, 400),
        (f"connect api.prod.test:{R} HTTP/1.1\r\n\r\n", None, 400),
        (f"GET http://[api.prod.test]:{R}/ HTTP/1.1\r\n\r\n", None, (400, 403)),  # not an IPv6 address
        (f"GET http://api.prod.test:{R}/ HTTP/1.1\r\nHost: x\r\n\r\n", 70_000, 431),
        # userinfo is not the host: this asks for api.prod.test.
        (f"GET http://api.staging.test:{S}@api.prod.test:{R}/ HTTP/1.1\r\n\r\n", None, 403),
        (f"GET HTTP://API.PROD.TEST:{R}/ HTTP/1.1\r\n\r\n", None, 403),
        (f"CONNECT API.PROD.TEST.:{R} HTTP/1.1\r\n\r\n", None, 403),
    ]
    for payload, pad, expected in cases:
        r = send_raw(world, "127.0.0.1", PROXY_PORT, payload, pad)
        assert r.returncode == 0, r
        status, _, _, _ = parse_http(r.stdout)
        assert status in (expected if isinstance(expected, tuple) else (expected,)), (payload, r)
        assert not connects(r.records, "allow"), (payload, r.records)
    assert world.prod.requests == [] and world.staging.requests == [] and world.tls.requests == []


def test_socks5_synthetic_addresses_and_unsupported_commands(world):
    E, R = world.echo.port, world.prod.port
    # A client that resolved locally (socks5://, not socks5h://) sends the synthetic address: it
    # stands for the name the sandbox's DNS gave it, and that name is checked.
    r = world.py(SOCKS5, "synth", "api.staging.test", E, "via-address")
    assert r.stdout.splitlines() == ["REPLY 0", "hello from echo", "echo: via-address"], r
    assert connects(r.records, "allow", host="api.staging.test", port=E, protocol="socks5"), r.records
    for kind, host, code in (("synth", "internal.test", 2), ("synth", "api.prod.test", 2),
                             ("ipv4", "127.100.250.250", 2), ("name", "2130706433", 2), ("name", "0x7f000001", 2)):
        r = world.py(SOCKS5, kind, host, E, "x")
        assert r.stdout.splitlines() == [f"REPLY {code}"], (host, r)
        assert connects(r.records, "deny", port=E, protocol="socks5"), (host, r.records)
    # BIND (2) and UDP ASSOCIATE (3): not supported, so no UDP relay either.
    for command in (2, 3):
        r = world.py(SOCKS5, "name", "api.staging.test", E, "x", command)
        assert r.stdout.splitlines() == ["REPLY 7"], (command, r)
    assert world.echo.connections == 1
    assert world.prod.requests == []


@pytest.mark.parametrize("mode", ["socks", "connect", "direct"])
def test_half_close_is_relayed(world, mode):
    """A client that half-closes (shutdown(SHUT_WR)) after its upload still gets the answer the
    server sends afterwards, on every path (SOCKS5, CONNECT, transparent by destination)."""
    E = world.echo.port
    argv = [PY, "-c", HALF_CLOSE, mode, "api.staging.test", str(E), str(300_000)]
    if mode == "direct":
        argv = ["env", "-u", "ALL_PROXY", "-u", "all_proxy"] + argv
    r = world.run(argv)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "hello from echo", r
    sent = lines[2].split()
    assert lines[1] == f"collected {sent[1]} {sent[2]}", r
    assert lines[3] == "eof True", r
    protocol = {"socks": "socks5", "connect": "connect", "direct": "transparent"}[mode]
    closes = [x for x in r.records if x.get("action") == "close" and x["detail"].get("port") == E]
    assert len(closes) == 1 and closes[0]["detail"]["protocol"] == protocol, r.records
    assert closes[0]["detail"]["bytes_up"] >= 300_000


def test_name_resolving_to_loopback_needs_hosts_entry(run, workspace, tmp_host_dir):
    """An allowed name that *resolves* (outside `hosts`) to a loopback address is refused: only a
    `hosts` entry names loopback. `localhost` resolves from the host's /etc/hosts (no DNS query)."""
    server = HTTPServer({"/": (200, "text/plain", b"loopback service\n")})
    try:
        P = server.port
        simple_profile(workspace, egress=[f"localhost:{P}"])
        # --noproxy '': NO_PROXY names localhost; this asks the proxy anyway.
        r = run_with_audit(run, workspace, ["curl", "-sS", "-i", "--noproxy", "", f"http://localhost:{P}/"], tmp_host_dir)
        assert r.returncode == 0, r
        status, reason, headers, body = parse_http(r.stdout)
        assert status == 403, r
        assert headers["x-interlock-rule"] == "built-in: loopback addresses need an explicit entry", r
        assert server.requests == []
        [denied] = connects(r.records, "deny", host="localhost", port=P)
        assert denied["rule"] == "built-in: loopback addresses need an explicit entry"
        assert denied["detail"]["address"] in ("127.0.0.1", "::1"), denied  # the resolved address
        # Named in hosts, it is allowed.
        simple_profile(workspace, egress=[f"localhost:{P}"], hosts={"localhost": "127.0.0.1"})
        r = run_with_audit(run, workspace, ["curl", "-sS", "--noproxy", "", f"http://localhost:{P}/"], tmp_host_dir)
        assert r.returncode == 0 and r.stdout == "loopback service\n", r
    finally:
        server.close()


def test_socks5_curl(world):
    S, R = world.staging.port, world.prod.port
    r = world.run(["sh", "-c",
                   f"curl -sS --socks5-hostname 127.0.0.1:{PROXY_PORT} http://api.staging.test:{S}/; "
                   f"curl -sS --socks5-hostname 127.0.0.1:{PROXY_PORT} http://api.prod.test:{R}/; echo prod-exit=$?"])
    assert r.returncode == 0, r
    assert r.stdout.startswith(STAGING_BODY.decode()), r
    assert "prod-exit=0" not in r.stdout
    assert "prod-exit=97" in r.stdout, r  # CURLE_PROXY: the SOCKS server refused
    assert world.prod.requests == []
    assert connects(r.records, "allow", host="api.staging.test", port=S, protocol="socks5"), r.records
    assert connects(r.records, "deny", host="api.prod.test", port=R, protocol="socks5"), r.records


def test_socks5_other_tcp_and_refusal_codes(world):
    """SOCKS5 for protocols other than HTTP (a line-based server, like a database or ssh), and the
    exact refusal reply (0x02, not allowed by ruleset) for a name, an IPv4 and an IPv6 literal."""
    E, R = world.echo.port, world.prod.port
    r = world.py(SOCKS5, "name", "api.staging.test", E, "ping")
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["REPLY 0", "hello from echo", "echo: ping"], r
    assert connects(r.records, "allow", host="api.staging.test", port=E, protocol="socks5")
    for kind, host, shown in (("name", "api.prod.test", "api.prod.test"), ("ipv4", "127.0.0.1", "127.0.0.1"),
                              ("ipv4", "169.254.169.254", "169.254.169.254"), ("ipv6", "::1", "::1")):
        r = world.py(SOCKS5, kind, host, R, "x")
        assert r.returncode == 0, r
        assert r.stdout.splitlines() == ["REPLY 2"], (host, r)
        assert connects(r.records, "deny", port=R, protocol="socks5"), (host, r.records)
    assert world.prod.requests == []


def test_proxy_variables_inside(world):
    r = world.run(["sh", "-c", "env | grep -i -E '^(https?_proxy|all_proxy|no_proxy|npm_config_.*proxy|pip_proxy)=' | sort"],
                  env="staging")
    assert r.returncode == 0, r
    got = dict(line.split("=", 1) for line in r.stdout.splitlines())
    http = f"http://127.0.0.1:{PROXY_PORT}"
    for key in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "npm_config_proxy",
                "npm_config_https_proxy", "PIP_PROXY"):
        assert got.get(key) == http, (key, got)
    # http://, not socks5h://: httpx-based clients fail on a SOCKS variable without socksio.
    assert got.get("ALL_PROXY") == got.get("all_proxy") == http
    assert "NO_PROXY" in got and "no_proxy" in got


def test_caller_proxy_variables_are_replaced(world):
    """A caller's own proxy settings never reach inside: the sandbox's replace them."""
    S = world.staging.port
    env = sandbox_env({"HTTP_PROXY": "http://10.9.9.9:9", "http_proxy": "http://10.9.9.9:9",
                       "NO_PROXY": "*", "no_proxy": "*"})
    r = world.run(["sh", "-c", f"echo $http_proxy $NO_PROXY; curl -sS http://api.staging.test:{S}/"], env_vars=env)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == [f"http://127.0.0.1:{PROXY_PORT} localhost,127.0.0.1,::1",
                                     STAGING_BODY.decode().strip()], r


# ---------------------------------------------------------------------------------------------
# Refusals


def test_unlisted_host_gets_exact_403(world):
    r = world.run(["curl", "-sS", "-i", "http://unlisted.example.com/some/path"])
    assert r.returncode == 0, r
    status, reason, headers, body = parse_http(r.stdout)
    message = world.refusal("unlisted.example.com", 80)
    assert (status, reason) == (403, message)
    assert body == (f"{message}\nrule: no matching egress entry\n"
                    "reason: unlisted.example.com:80 matches no network.egress entry\n"), body
    assert headers["x-interlock-egress"] == "denied"
    assert headers["content-length"] == str(len(body.encode()))
    [denied] = connects(r.records, "deny", host="unlisted.example.com", port=80)
    assert denied["rule"] == "no matching egress entry"
    assert denied["detail"]["protocol"] == "http"
    assert "unlisted.example.com:80" in summary_line(r.stderr)


def test_unlisted_host_over_connect(world):
    r = world.run(["curl", "-sS", "-v", "https://unlisted.example.com/"])
    assert r.returncode == 56, r  # CURLE_RECV_ERROR: the CONNECT was refused
    assert f"< HTTP/1.1 403 {world.refusal('unlisted.example.com', 443)}" in r.stderr, r
    [denied] = connects(r.records, "deny", host="unlisted.example.com", port=443)
    assert denied["detail"]["protocol"] == "connect"


@pytest.mark.parametrize("how", ["proxy", "connect", "noproxy"])
def test_metadata_address_refused(world, how):
    url = {"proxy": "http://169.254.169.254/latest/meta-data/", "connect": "https://169.254.169.254/",
           "noproxy": "http://169.254.169.254/latest/meta-data/"}[how]
    port = 443 if how == "connect" else 80
    argv = ["curl", "-sS", "-i", "--max-time", "30", url]
    if how == "noproxy":
        argv[1:1] = ["--noproxy", "*"]
    r = world.run(argv)
    if how == "proxy":
        assert r.returncode == 0, r
        status, reason, _, _ = parse_http(r.stdout)
        assert (status, reason) == (403, world.refusal("169.254.169.254", 80))
        assert connects(r.records, "deny", host="169.254.169.254", port=80)
    elif how == "connect":
        assert r.returncode != 0, r
        assert world.refusal("169.254.169.254", 443) in r.stdout + r.stderr, r
        assert connects(r.records, "deny", host="169.254.169.254", port=443)
    else:
        # The address is local inside and lands on the transparent listener for port 80
        # (docs.staging.test has no port), which checks the Host header like the proxy.
        assert r.returncode == 0, r
        status, reason, _, _ = parse_http(r.stdout)
        assert (status, reason) == (403, world.refusal("169.254.169.254", 80))
        [denied] = connects(r.records, "deny", host="169.254.169.254", port=80)
        assert denied["detail"]["protocol"] == "transparent"


def test_metadata_address_refused_even_by_wildcard_name(run, workspace, tmp_host_dir):
    """A name mapped to the metadata address is allowed only by that exact hosts entry: the
    metadata IP as a literal is never matched by a name wildcard."""
    simple_profile(workspace, egress=["*.test:80"], hosts={})
    r = run_with_audit(run, workspace, ["curl", "-sS", "-i", "http://169.254.169.254/"], tmp_host_dir)
    assert r.returncode == 0, r
    status, reason, _, _ = parse_http(r.stdout)
    assert status == 403, r
    assert reason.startswith("egress to 169.254.169.254:80 is not allowed in environment '(none)'")
    assert connects(r.records, "deny", host="169.254.169.254", port=80)


def test_raw_ip_refused(world):
    S = world.staging.port
    r = world.run(["sh", "-c",
                   f"curl -sS -i http://1.2.3.4:{S}/; echo; echo ===; "
                   f"curl -sS -v https://1.2.3.4/ 2>&1; echo; echo ===; "
                   f"curl -sS -i --noproxy '*' http://1.2.3.4:{S}/"])
    assert r.returncode == 0, r
    via_proxy, via_connect, transparent = r.stdout.split("===\n")
    status, reason, headers, _ = parse_http(via_proxy)
    assert (status, reason) == (403, world.refusal("1.2.3.4", S)), r
    assert f"< HTTP/1.1 403 {world.refusal('1.2.3.4', 443)}" in via_connect, r
    # Transparent: 1.2.3.4:S is local inside and lands on the listener for port S, which checks
    # the Host header (1.2.3.4:S) exactly like the proxy.
    status, reason, _, _ = parse_http(transparent)
    assert (status, reason) == (403, world.refusal("1.2.3.4", S)), r
    denied = connects(r.records, "deny", host="1.2.3.4")
    assert {(d["detail"]["port"], d["detail"]["protocol"]) for d in denied} == {
        (S, "http"), (443, "connect"), (S, "transparent")}, r.records
    for d in denied:
        assert "raw IP addresses are allowed only by an IP or CIDR entry" in d["detail"]["reason"]
    assert world.staging.requests == []


def test_raw_ip_server_first_and_tls_without_sni_refused(world):
    """On the transparent path, a client that sends nothing (ssh-like) or a TLS hello without SNI
    is judged by its destination address: a raw IP with no IP entry is refused."""
    E, T = world.echo.port, world.tls.port
    r = world.py(CONNECT, "inet", "1.2.3.4", E)
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["CONNECTED", "DATA b''"], r  # accepted inside, then closed
    assert world.echo.connections == 0
    assert connects(r.records, "deny", host="1.2.3.4", port=E, protocol="transparent"), r.records
    # TLS to an IP literal carries no SNI: refused with an access_denied alert (on the port of
    # the TLS server, and on 443, whose listener docs.staging.test opened).
    for port, url in ((T, f"https://1.2.3.4:{T}/"), (443, "https://1.2.3.4/")):
        r = world.run(["curl", "-sS", "--noproxy", "*", "-k", url])
        assert r.returncode == 35, r  # CURLE_SSL_CONNECT_ERROR
        assert "alert access denied" in r.stderr.lower(), r
        [denied] = connects(r.records, "deny", host="1.2.3.4", port=port)
        assert denied["detail"]["protocol"] == "transparent", denied
    # An address of the synthetic block that the DNS never handed out stands for no name.
    r = world.py(CONNECT, "inet", "127.100.250.250", E)
    assert r.stdout.splitlines() == ["CONNECTED", "DATA b''"], r
    assert connects(r.records, "deny", port=E, protocol="transparent"), r.records
    assert world.tls.requests == [] and world.echo.connections == 0


IP_FORMS = [
    ("2130706433", "127.0.0.1"),
    ("0x7f000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.0.0.1.", "127.0.0.1"),
    ("[::ffff:127.0.0.1]", "127.0.0.1"),
    ("[::ffff:7f00:1]", "127.0.0.1"),
    ("[::1]", "[::1]"),
]


@pytest.mark.parametrize("form, shown", IP_FORMS, ids=[f for f, _ in IP_FORMS])
def test_ip_literal_forms_refused(world, form, shown):
    """Every spelling of the host's loopback is one address to the proxy, and loopback is not
    named: refused on the proxy (absolute URI and CONNECT) and on the transparent path."""
    S = world.staging.port
    message = world.refusal(shown, S)
    # The proxy, spoken to directly (curl would normalise some spellings itself).
    r = world.py(RAW_HTTP, "127.0.0.1", PROXY_PORT, "GET", f"http://{form}:{S}/", f"{form}:{S}")
    assert r.returncode == 0, r
    status, reason, _, _ = parse_http(r.stdout)
    assert (status, reason) == (403, message), r
    r = world.py(RAW_HTTP, "127.0.0.1", PROXY_PORT, "CONNECT", f"{form}:{S}", f"{form}:{S}")
    status, reason, _, _ = parse_http(r.stdout)
    assert (status, reason) == (403, message), r
    # Transparent: the sandbox's own 127.0.0.1:S is the listener for port S.
    r = world.py(RAW_HTTP, "127.0.0.1", S, "GET", "/", f"{form}:{S}")
    status, reason, _, _ = parse_http(r.stdout)
    assert (status, reason) == (403, message), r
    # And with curl, as a user would type it: curl sends most spellings to the proxy (403); it
    # resolves "127.0.0.1." itself (the sandbox's DNS refuses it) and connects to [::1] directly
    # (NO_PROXY), where nothing listens. Never the host's server.
    r = world.run(["curl", "-sS", "-i", "-g", f"http://{form}:{S}/"])
    if form in ("127.0.0.1.", "[::1]"):
        assert r.returncode in (6, 7), r
    else:
        assert r.returncode == 0, r
        status, reason, _, _ = parse_http(r.stdout)
        assert status == 403, r
    assert world.staging.requests == []


def test_name_mapped_to_loopback_but_not_in_egress_refused(world):
    """`internal.test` is in `hosts` (127.0.0.1) but no egress entry names it."""
    S = world.staging.port
    r = world.run(["sh", "-c", f"curl -sS -i http://internal.test:{S}/; echo; echo ===; "
                               f"curl -sS -i --noproxy '*' http://internal.test:{S}/; echo; echo ===; "
                               f"curl -sS -i --socks5-hostname 127.0.0.1:{PROXY_PORT} http://internal.test:{S}/; "
                               "echo socks-exit=$?"])
    assert r.returncode == 0, r
    proxy, transparent, socks = r.stdout.split("===\n")
    for text in (proxy, transparent):
        status, reason, headers, _ = parse_http(text)
        assert (status, reason) == (403, world.refusal("internal.test", S)), r
        assert headers["x-interlock-rule"] == "no matching egress entry"
    assert "socks-exit=97" in socks, r
    assert world.staging.requests == []
    protocols = {d["detail"]["protocol"] for d in connects(r.records, "deny", host="internal.test", port=S)}
    assert protocols == {"http", "transparent", "socks5"}, r.records


def test_deny_overrides_wildcard(run, workspace, tmp_host_dir):
    server = HTTPServer({"/": (200, "text/plain", b"open\n")})
    try:
        P = server.port
        path = simple_profile(workspace, egress=[f"*.test:{P}"], deny=["secret.test", f"*.vault.test:{P}"],
                              hosts={"open.test": "127.0.0.1", "secret.test": "127.0.0.1", "x.vault.test": "127.0.0.1",
                                     "y.open.test": "127.0.0.1"})
        r = run_with_audit(run, workspace, ["sh", "-c",
                           f"for h in open.test y.open.test secret.test x.vault.test; do "
                           f"echo \"$h $(curl -sS -o /dev/null -w '%{{http_code}}' http://$h:{P}/) "
                           f"$(curl -sS -o /dev/null -w '%{{http_code}}' --noproxy '*' http://$h:{P}/)\"; done"],
                           tmp_host_dir)
        assert r.returncode == 0, r
        assert r.stdout.splitlines() == ["open.test 200 200", "y.open.test 200 200", "secret.test 403 403",
                                         "x.vault.test 403 403"], r
        assert {h for _, _, h in server.requests} == {f"open.test:{P}", f"y.open.test:{P}"}
        assert len(server.requests) == 4
        rules = {(d["detail"]["host"], d["rule"]) for d in connects(r.records, "deny")}
        assert rules == {("secret.test", 'deny "secret.test"'), ("x.vault.test", f'deny "*.vault.test:{P}"')}, r.records
        # And the 403 says so.
        r = run_with_audit(run, workspace, ["curl", "-sS", f"http://secret.test:{P}/"], tmp_host_dir)
        assert r.stdout.splitlines()[:3] == [
            f"egress to secret.test:{P} is not allowed in environment '(none)' (profile {path})",
            'rule: deny "secret.test"', f"reason: secret.test:{P} is denied by network.deny"], r
    finally:
        server.close()


# ---------------------------------------------------------------------------------------------
# DNS


def test_dns_answers_allowlisted_names_with_synthetic_addresses(world):
    r = world.run(["sh", "-c", "getent hosts api.staging.test; getent hosts git.test; getent hosts api.staging.test"])
    assert r.returncode == 0, r
    rows = [line.split() for line in r.stdout.splitlines()]
    assert [row[1] for row in rows] == ["api.staging.test", "git.test", "api.staging.test"], r
    for address, _ in rows:
        octets = address.split(".")
        assert octets[:2] == ["127", "100"], rows
    assert rows[0][0] == rows[2][0] and rows[0][0] != rows[1][0]  # stable, one per name


def test_dns_refuses_unlisted_names(world):
    r = world.run(["sh", "-c", "getent hosts google.com; echo rc=$?; getent hosts api.prod.test; echo rc=$?"],
                  env="production")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "rc=2", r
    assert lines[1].split()[0].startswith("127.100.") and lines[2] == "rc=0", r
    dns = [d for d in connects(r.records, "deny", host="google.com") if d["detail"]["protocol"] == "dns"]
    assert dns and all(d["detail"]["port"] == 53 for d in dns), r.records


def test_udp_dns_to_public_resolver_never_leaves(world):
    """8.8.8.8 is local inside (every IPv4 destination is): the query lands on the sandbox's own
    resolver. Whatever happens, no real answer: a refusal, or a synthetic 127.100/16 address."""
    r = world.run(["sh", "-c", f"{PY} -c '{DNS_QUERY}' 8.8.8.8 example.com 1; "
                               f"{PY} -c '{DNS_QUERY}' 8.8.8.8 api.staging.test 1; "
                               f"{PY} -c '{DNS_QUERY}' 9.9.9.9 google.com 28"])
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert len(lines) == 3, r
    for line in (lines[0], lines[2]):
        assert line == "TIMEOUT" or (line.startswith("RCODE 5 ID-OK True") and line.endswith("AN -")), r
    assert lines[1].startswith("RCODE 0 ID-OK True"), r
    assert lines[1].split("AN ")[1].startswith("127.100."), r
    # TCP to a resolver finds nothing either.
    r = world.py(CONNECT, "inet", "8.8.8.8", 53)
    assert r.stdout.strip() == "ERR ECONNREFUSED", r


def test_dns_refusals_are_audited(world):
    """Would-be exfiltration through DNS labels: every refused name is recorded (by the sandbox's
    own resolver, which forwards nothing), whatever the query type."""
    label = unique("exfil")
    r = world.run(["sh", "-c", f"getent hosts {label}.example.com; "
                               f"{PY} -c '{DNS_QUERY}' 127.0.0.1 {label}.attacker.test 16"])
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["RCODE 5 ID-OK True FROM 127.0.0.1 AN -"], r
    dns = [d for d in connects(r.records, "deny") if d["detail"]["protocol"] == "dns"]
    hosts = {d["detail"]["host"] for d in dns}
    assert hosts == {f"{label}.example.com", f"{label}.attacker.test"}, r.records
    assert any("(TXT) refused" in d["detail"]["reason"] for d in dns), dns


# ---------------------------------------------------------------------------------------------
# Tools that ignore proxy variables (transparent interception)


def test_curl_noproxy_reaches_allowed_host(world):
    S, T = world.staging.port, world.tls.port
    r = world.run(["sh", "-c", f"curl -sS --noproxy '*' http://api.staging.test:{S}/; "
                               f"curl -sS --noproxy '*' --cacert {world.ca} https://api.staging.test:{T}/"])
    assert r.returncode == 0, r
    assert r.stdout == STAGING_BODY.decode() * 2
    transparent = connects(r.records, "allow", protocol="transparent", host="api.staging.test")
    assert {d["detail"]["port"] for d in transparent} == {S, T}, r.records


def test_plain_socket_without_proxy_variables(world):
    S, R = world.staging.port, world.prod.port
    base = ["env", "-u", "HTTP_PROXY", "-u", "http_proxy", "-u", "ALL_PROXY", "-u", "all_proxy", PY, "-c", RAW_HTTP]
    r = world.run(base + ["api.staging.test", str(S), "GET", "/", f"api.staging.test:{S}"])
    assert r.returncode == 0, r
    status, _, _, body = parse_http(r.stdout)
    assert (status, body) == (200, STAGING_BODY.decode()), r
    # An unlisted name does not even resolve.
    r = world.run(base + ["unlisted.example.com", str(S), "GET", "/", f"unlisted.example.com:{S}"])
    assert r.stdout.startswith("CONNECT-ERROR gaierror"), r
    # A name that resolves (it is in hosts) but is not allowed here: refused by Host.
    r = world.run(base + ["api.prod.test", str(S), "GET", "/", f"api.prod.test:{S}"])
    status, reason, _, _ = parse_http(r.stdout)
    assert (status, reason) == (403, world.refusal("api.prod.test", S)), r
    # On a port with no allowed entry there is nothing to connect to.
    r = world.run(base + ["api.prod.test", str(R), "GET", "/", f"api.prod.test:{R}"])
    assert r.stdout.startswith("CONNECT-ERROR ConnectionRefusedError"), r
    assert world.prod.requests == []


def test_transparent_server_first_protocol(world):
    """An ssh-like client that waits for the server to speak: the synthetic address the DNS gave
    decides the destination."""
    E = world.echo.port
    script = ("import socket\n"
              f"s = socket.create_connection(('api.staging.test', {E}), timeout=30)\n"
              "f = s.makefile('rb')\n"
              "print(f.readline().decode().strip())\n"
              "s.sendall(b'over transparent\\n')\n"
              "print(f.readline().decode().strip())\n")
    r = world.run(["env", "-u", "ALL_PROXY", "-u", "all_proxy", PY, "-c", script])
    assert r.returncode == 0, r
    assert r.stdout.splitlines() == ["hello from echo", "echo: over transparent"], r
    assert connects(r.records, "allow", host="api.staging.test", port=E, protocol="transparent"), r.records


def test_transparent_tls_sni_of_unlisted_name_refused(world):
    T = world.tls.port
    # api.prod.test resolves (hosts), lands on the listener for T, and its SNI is checked.
    r = world.run(["curl", "-sS", "--noproxy", "*", "--cacert", world.ca, f"https://api.prod.test:{T}/"])
    assert r.returncode == 35, r
    assert "access denied" in r.stderr.lower(), r
    [denied] = connects(r.records, "deny", host="api.prod.test", port=T)
    assert denied["detail"]["protocol"] == "transparent"
    assert world.tls.requests == []


# ---------------------------------------------------------------------------------------------
# UDP, ICMP, IPv6, raw sockets, abstract unix sockets


def test_udp_goes_nowhere(world):
    sink = UDPSink()
    try:
        # Control: the host can reach the sink (and gets its reply).
        c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        c.settimeout(1)

        def control():
            try:
                c.sendto(b"control", ("127.0.0.1", sink.port))
                return c.recvfrom(100)[0] == b"udp-reply:control"
            except OSError:
                return False
        wait_until(control, message="the host's control datagram answered")
        c.close()
        sink.received.clear()
        script = ("import socket, sys\n"
                  "for host in ('127.0.0.1', '1.2.3.4', 'api.staging.test'):\n"
                  "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)\n"
                  "    try:\n"
                  "        s.sendto(b'leak', (host, int(sys.argv[1]))); print(host, 'REPLY', s.recvfrom(100))\n"
                  "    except OSError as e:\n"
                  "        print(host, 'NONE', type(e).__name__)\n")
        r = world.py(script, sink.port)
        assert r.returncode == 0, r
        assert "REPLY" not in r.stdout, r
        assert len(r.stdout.splitlines()) == 3, r
        assert sink.received == []
    finally:
        sink.close()


def test_icmp_and_raw_sockets_refused(world):
    script = ("import errno, socket\n"
              "for name, args in [('raw-icmp', (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)),\n"
              "                   ('ping', (socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)),\n"
              "                   ('raw-ip', (socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)),\n"
              "                   ('packet', (socket.AF_PACKET, socket.SOCK_RAW, 0x0300))]:\n"
              "    try:\n"
              "        socket.socket(*args); print(name, 'OPENED')\n"
              "    except OSError as e:\n"
              "        print(name, errno.errorcode.get(e.errno, e.errno))\n")
    r = world.py(script)
    assert r.returncode == 0, r
    got = dict(line.split() for line in r.stdout.splitlines())
    assert got == {"raw-icmp": "EPERM", "ping": "EACCES", "raw-ip": "EPERM", "packet": "EPERM"}, r
    if shutil.which("ping"):
        r = world.run(["ping", "-c", "1", "-W", "2", "1.2.3.4"])
        assert r.returncode != 0, r


def test_ipv6_unreachable(world):
    S = world.staging.port
    r = world.run(["sh", "-c", f"{PY} -c '{CONNECT}' inet6 2001:db8::1 80; {PY} -c '{CONNECT}' inet6 ::1 {S}; "
                               f"{PY} -c '{CONNECT}' inet6 ::ffff:1.2.3.4 {world.prod.port}"])
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "ERR ENETUNREACH", r
    assert lines[1] == "ERR ECONNREFUSED", r  # the sandbox's own ::1; the listeners are IPv4
    assert lines[2] in ("ERR ECONNREFUSED", "ERR ENETUNREACH"), r
    assert world.staging.requests == [] and world.prod.requests == []



def test_abstract_unix_socket_unreachable(world):
    name = f"interlock-test-{unique()}"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0" + name)
    server.listen(4)
    try:
        c = socket.socket(socket.AF_UNIX)
        c.connect("\0" + name)  # control: the host can
        c.close()
        server.accept()[0].close()
        server.settimeout(0.5)
        r = world.py(CONNECT, "unix", "@" + name)
        assert r.returncode == 0, r
        assert r.stdout.strip() == "ERR ECONNREFUSED", r
        with pytest.raises(socket.timeout):
            server.accept()
    finally:
        server.close()


# ---------------------------------------------------------------------------------------------
# Filesystem unix sockets: masked unless granted, one by one


UNIX_CONNECT = (
    "import errno, socket, sys\n"
    "for p in sys.argv[1:]:\n"
    "    s = socket.socket(socket.AF_UNIX); s.settimeout(10)\n"
    "    try:\n"
    "        s.connect(p); print('CONNECTED', s.recv(100).decode())\n"
    "    except OSError as e:\n"
    "        print('ERR', errno.errorcode.get(e.errno, e.errno))\n"
)


@pytest.fixture
def unix_servers():
    servers = []

    def start(*args, **kwargs):
        server = UnixServer(*args, **kwargs)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@requires_root
def test_unix_socket_grant_is_per_socket(run, workspace, tmp_host_dir, unix_servers):
    granted = unix_servers(f"/run/interlock-test-{unique()}.sock")
    other = unix_servers(f"/run/interlock-test-{unique()}.sock")
    argv = [PY, "-c", UNIX_CONNECT, granted.final, other.final]
    # Control: the host can connect to both.
    for server in (granted, other):
        c = socket.socket(socket.AF_UNIX)
        c.connect(server.final)
        c.close()
    # Without a grant: both masked, though 0666 and visible through the read-only host root (a
    # socket stays connectable through a read-only bind mount).
    simple_profile(workspace)
    r = run_with_audit(run, workspace, argv, tmp_host_dir)
    assert r.returncode == 0, r
    assert [line.split()[0] for line in r.stdout.splitlines()] == ["ERR", "ERR"], r
    # Granting one opens that one only.
    simple_profile(workspace, extra=f'unix_sockets = ["{granted.final}"]\n')
    r = run_with_audit(run, workspace, argv, tmp_host_dir)
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == f"CONNECTED hello from {granted.name}", r
    assert lines[1].startswith("ERR"), r


def _xfail(reason):
    return pytest.mark.xfail(strict=True, reason="BUG: " + reason)


# Host sockets the sandbox must not reach (no grant): found at launch in /proc/net/unix and by
# looking at the files under /run, so odd names, renamed sockets and other namespaces' sockets
# are masked too.
UNMASKED_CASES = [
    pytest.param("plain", id="plain"),
    pytest.param("read-only-workspace-dir", id="read-only-workspace-dir"),
    pytest.param("space", id="space-in-path"),
    pytest.param("relative", id="bound-relative"),
    pytest.param("renamed", id="renamed-after-bind"),
    pytest.param("other-netns", id="other-netns"),
    pytest.param("workspace-0600", id="workspace-owner-only"),
]


@requires_root
@pytest.mark.parametrize("case", UNMASKED_CASES)
def test_host_unix_socket_is_masked(run, workspace, tmp_host_dir, unix_servers, case):
    tag = unique()
    extra = ""
    if case == "plain":
        server = unix_servers(f"/run/interlock-test-{tag}.sock")
    elif case == "read-only-workspace-dir":
        os.makedirs(os.path.join(workspace, "ro"))
        server = unix_servers(os.path.join(workspace, "ro", f"db-{tag}.sock"))
        extra = '[filesystem]\nread_only = ["ro"]\n'
    elif case == "space":
        server = unix_servers(f"/run/interlock test {tag}.sock")
    elif case == "relative":
        server = unix_servers(f"interlock-test-{tag}.sock", cwd="/run")
    elif case == "renamed":
        server = unix_servers(f"/run/interlock-test-{tag}-old.sock", rename_to=f"/run/interlock-test-{tag}.sock")
    elif case == "other-netns":
        server = unix_servers(f"/run/interlock-test-{tag}.sock", other_netns=True)
    else:
        server = unix_servers(os.path.join(workspace, f"db-{tag}.sock"), mode=0o600)
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(10)
    c.connect(server.final)  # control: the host can
    assert c.recv(100).decode() == f"hello from {server.name}"
    c.close()
    simple_profile(workspace, extra="\n" + extra if extra else "")
    r = run_with_audit(run, workspace, [PY, "-c", UNIX_CONNECT, server.final], tmp_host_dir)
    assert r.returncode == 0, r
    assert r.stdout.startswith("ERR "), r


@requires_root
def test_unix_socket_created_during_the_run_is_unreachable(interlock, workspace, tmp_host_dir, unix_servers, procs):
    tag = unique()
    recreated = unix_servers(f"/run/interlock-test-{tag}-a.sock")
    later_path = f"/run/interlock-test-{tag}-b.sock"
    simple_profile(workspace)
    script = ("import os, socket, sys, time\n"
              "def attempt(p):\n"
              "    s = socket.socket(socket.AF_UNIX); s.settimeout(10)\n"
              "    try:\n"
              "        s.connect(p); return 'CONNECTED'\n"
              "    except OSError as e:\n"
              "        return 'ERR'\n"
              "print('before', attempt(sys.argv[1]), flush=True)\n"
              "open('ready', 'w').close()\n"
              "deadline = time.monotonic() + 60\n"
              "while not os.path.exists('go') and time.monotonic() < deadline:\n"
              "    time.sleep(0.05)\n"
              "print('recreated', attempt(sys.argv[1]))\n"
              "print('new', attempt(sys.argv[2]))\n")
    audit = os.path.join(tmp_host_dir, "audit.jsonl")
    p = procs.start([interlock, "run", "--audit", audit, "--", PY, "-c", script, recreated.final, later_path],
                    cwd=workspace)
    wait_until(lambda: os.path.exists(os.path.join(workspace, "ready")) or p.poll() is not None,
               message="sandbox ready")
    # A daemon restart: the old socket goes, a new one is bound at the same path; and a new socket.
    recreated.close()
    unix_servers(recreated.final)
    unix_servers(later_path)
    open(os.path.join(workspace, "go"), "w").close()
    out, err = (x.decode() for x in p.communicate(timeout=TIMEOUT))
    assert p.returncode == 0, err
    assert out.splitlines()[0] == "before ERR", out
    assert out.splitlines()[1:] == ["recreated ERR", "new ERR"], out
    refused = [rec for rec in read_records(audit) if rec["kind"] == "connect" and rec["action"] == "deny"
               and rec["rule"] == "network.unix_sockets"]
    assert {rec["detail"]["path"] for rec in refused} >= {recreated.final, later_path}, refused
    assert all(rec["exe"] and rec["pid"] > 0 for rec in refused)


def test_sockets_the_sandbox_binds_itself_still_work(run, workspace):
    # The connect check refuses host sockets only: the sandbox's own, in the workspace (bound by
    # an absolute or a relative name) or in its /tmp, connect as usual.
    simple_profile(workspace)
    script = ("import os, socket, threading\n"
              "def serve(path):\n"
              "    s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(1)\n"
              "    threading.Thread(target=lambda: s.accept()[0].sendall(b'hi'), daemon=True).start()\n"
              "for path, dial in [('rel.sock', 'rel.sock'), (os.path.abspath('abs.sock'), 'abs.sock'), ('/tmp/t.sock', '/tmp/t.sock')]:\n"
              "    serve(path)\n"
              "    c = socket.socket(socket.AF_UNIX); c.connect(dial); print(dial, c.recv(2).decode())\n"
              "d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); d.bind('dg.sock')\n"
              "socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'x', os.path.abspath('dg.sock')); print('dgram', d.recv(1).decode())\n")
    r = run(["run", "--", PY, "-c", script], workspace)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["rel.sock", "hi", "abs.sock", "hi", "/tmp/t.sock", "hi", "dgram", "x"], r.stdout


@requires_root
def test_socket_under_symlinked_directory_does_not_break_runs(run, workspace, tmp_host_dir, unix_servers):
    """A world-writable socket bound through a symlinked directory (/var/tmp/LINK/x.sock, as
    /var/run/x.sock is through /var/run -> /run) is masked on its real path, and runs still
    start (any local user can bind one in /var/tmp: it must not stop every run on the machine)."""
    tag = unique()
    real_dir = f"/var/tmp/interlock-test-{tag}-dir"
    link = f"/var/tmp/interlock-test-{tag}-link"
    os.mkdir(real_dir, 0o755)
    os.symlink(real_dir, link)
    try:
        server = unix_servers(f"{link}/x.sock")
        simple_profile(workspace)
        r = run_with_audit(run, workspace, [PY, "-c", UNIX_CONNECT, f"{real_dir}/x.sock", server.final], tmp_host_dir)
        assert r.returncode == 0, r
        assert [line.split()[0] for line in r.stdout.splitlines()] == ["ERR", "ERR"], r
    finally:
        for path in (f"{real_dir}/x.sock",):
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        os.unlink(link)
        shutil.rmtree(real_dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Fail closed


@pytest.mark.parametrize("profile", ["empty-egress", "builtin-default"])
def test_no_egress_means_no_network(run, workspace, tmp_host_dir, profile):
    server = HTTPServer({"/": (200, "text/plain", b"should not be reached\n")})
    counter = TCPCounter()
    try:
        P, C = server.port, counter.port
        if profile == "empty-egress":
            # Names mapped, but no egress entry: mapping a name grants nothing.
            simple_profile(workspace, hosts={"api.staging.test": "127.0.0.1"})
            options = ()
        else:
            options = ("--profile", "default")
        script = (
            f"curl -sS -o /dev/null -w '%{{http_code}}\\n' http://api.staging.test:{P}/; "
            f"curl -sS -o /dev/null -w '%{{http_code}}\\n' --noproxy '' http://127.0.0.1:{P}/; "
            f"curl -sS -o /dev/null -w '%{{http_code}}\\n' http://127.0.0.1:{P}/; "
            f"curl -sS --max-time 20 -o /dev/null https://api.staging.test:{P}/; echo connect=$?; "
            f"curl -sS --max-time 20 --noproxy '*' http://api.staging.test:{P}/; echo noproxy=$?; "
            + "; ".join(f"{PY} -c '{CONNECT}' inet {h} {port}" for h in ("127.0.0.1", "1.2.3.4", "127.100.0.1")
                        for port in (P, C))
        )
        r = run_with_audit(run, workspace, ["sh", "-c", script], tmp_host_dir, options=options)
        assert r.returncode == 0, r
        lines = r.stdout.splitlines()
        # Through the proxy: refused. Direct (NO_PROXY has 127.0.0.1): the sandbox's own loopback.
        assert lines[:3] == ["403", "403", "000"], r
        assert "connect=0" not in r.stdout and "noproxy=0" not in r.stdout, r
        assert "should not be reached" not in r.stdout
        connect_lines = [line for line in lines if line.startswith(("ERR", "CONNECTED"))]
        assert connect_lines == ["ERR ECONNREFUSED"] * 6, r
        assert server.requests == [] and counter.accepted == 0
        assert not connects(r.records, "allow"), r.records
    finally:
        server.close()
        counter.close()


# ---------------------------------------------------------------------------------------------
# Records of allowed connections


def test_allowed_connection_records(world):
    S, T, E = world.staging.port, world.tls.port, world.echo.port
    upload = os.path.join(world.workspace, "upload.bin")
    with open(upload, "wb") as f:
        f.write(os.urandom(150_000))
    r = world.run(["sh", "-c",
                   f"curl -sS -o big.bin http://api.staging.test:{S}/big && "
                   f"curl -sS --cacert {world.ca} -o big2.bin https://api.staging.test:{T}/big && "
                   f"curl -sS --data-binary @upload.bin http://api.staging.test:{S}/upload"])
    assert r.returncode == 0, r
    big = world.staging.server.routes["/big"][2]
    for name in ("big.bin", "big2.bin"):
        with open(os.path.join(world.workspace, name), "rb") as f:
            assert f.read() == big, name
    assert r.stdout.startswith("posted 150000 "), r
    allows = connects(r.records, "allow")
    closes = [x for x in r.records if x.get("kind") == "connect" and x.get("action") == "close"]
    assert len(allows) == 3 and len(closes) == 3, r.records
    by_id = {c["detail"]["connection"]: c for c in closes}
    for a in allows:
        c = by_id[a["detail"]["connection"]]
        for key in ("host", "port", "protocol", "address"):
            assert c["detail"][key] == a["detail"][key]
        assert a["detail"]["address"] == "127.0.0.1"
        assert "network.hosts \"api.staging.test\" = \"127.0.0.1\"" in a["rule"]
        assert c["detail"]["bytes_up"] > 0 and c["detail"]["bytes_down"] > 0
        assert c["detail"]["duration_ms"] >= 0
    details = sorted(((by_id[a["detail"]["connection"]]["detail"]) for a in allows), key=lambda d: d["connection"])
    big_http, big_tls, post = details
    assert (big_http["protocol"], big_tls["protocol"], post["protocol"]) == ("http", "connect", "http")
    assert big_http["bytes_down"] >= BIG and big_tls["bytes_down"] >= BIG
    assert big_http["bytes_up"] < 10_000
    assert post["bytes_up"] >= 150_000 and post["bytes_down"] < 10_000


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_large_upload_with_expect_continue(world, scheme):
    """curl sends `Expect: 100-continue` for a body over 1 MiB: the interim response and the body
    go through the proxy intact (absolute-URI request and CONNECT tunnel)."""
    port = world.staging.port if scheme == "http" else world.tls.port
    data = os.urandom(3 * 1024 * 1024)
    with open(os.path.join(world.workspace, "upload.bin"), "wb") as f:
        f.write(data)
    r = world.run(["curl", "-sS", "--cacert", world.ca, "--data-binary", "@upload.bin",
                   f"{scheme}://api.staging.test:{port}/upload"])
    assert r.returncode == 0, r
    assert r.stdout == f"posted {len(data)} {hashlib.sha256(data).hexdigest()}\n", r
    head = dict((world.staging if scheme == "http" else world.tls).heads[0])
    assert head.get("expect") == "100-continue", head


# ---------------------------------------------------------------------------------------------
# Concurrency


def test_100_concurrent_python_requests(world):
    S = world.staging.port
    r = world.py(CONCURRENT, 100, f"http://api.staging.test:{S}/", timeout=TIMEOUT * 4)
    assert r.returncode == 0, r
    assert r.stdout.splitlines()[0] == "OK 100 OF 100", r
    assert len(world.staging.requests) == 100
    allows = connects(r.records, "allow", host="api.staging.test", port=S)
    closes = [x for x in r.records if x.get("action") == "close" and x["detail"].get("port") == S]
    assert len(allows) == 100 and len(closes) == 100, (len(allows), len(closes))
    assert len({a["detail"]["connection"] for a in allows}) == 100


def test_100_concurrent_curl_requests(world):
    S, T = world.staging.port, world.tls.port
    urls = []
    for i in range(100):
        urls += [f"http://api.staging.test:{S}/?n={i}" if i % 2 else f"https://api.staging.test:{T}/?n={i}"]
    r = world.run(["sh", "-c",
                   f"curl -sS --parallel --parallel-max 100 --cacert {world.ca} -w '%{{http_code}}\\n' "
                   + " ".join(f"'{u}'" for u in urls)], timeout=TIMEOUT * 4)
    assert r.returncode == 0, r
    codes = [line for line in r.stdout.splitlines() if line.isdigit()]
    assert codes == ["200"] * 100, r
    assert r.stdout.count(STAGING_BODY.decode().strip()) == 100
    assert len(world.staging.requests) == 50 and len(world.tls.requests) == 50
    assert not connects(r.records, "deny"), r.records


# ---------------------------------------------------------------------------------------------
# Regression tests for bugs found while writing this suite (hostname, summary, aggregation).


def test_own_hostname_resolves_inside(world):
    r = world.run(["sh", "-c", "getent hosts \"$(hostname)\"; echo rc=$?; "
                               f"{PY} -c 'import socket; print(socket.getaddrinfo(socket.gethostname(), None)[0][4][0])'"])
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[-2] == "rc=0" and lines[0].split()[1] == "interlock", r
    assert lines[-1].startswith("127."), r
    assert not connects(r.records, "deny", host="interlock"), r.records


def test_summary_names_every_refused_connection(world):
    script = "; ".join(f"curl -sS -o /dev/null http://{h}:81/" for h in
                       ("a.test", "b.test", "c.test", "d.test", "unlisted.example.com"))
    r = world.run(["sh", "-c", script])
    assert r.returncode == 0, r
    summary = summary_line(r.stderr)
    assert "5 connections" in summary, summary
    assert "unlisted.example.com:81" in summary or "more" in summary, summary


def test_repeated_refusals_are_aggregated_in_the_audit_log(world):
    script = ("import socket, struct\n"
              "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)\n"
              "q = b''.join(bytes([len(l)]) + l.encode() for l in 'flood.example.com'.split('.')) + b'\\0'\n"
              "for i in range(2000):\n"
              "    s.sendto(struct.pack('>HHHHHH', i, 0x0100, 1, 0, 0, 0) + q + struct.pack('>HH', 1, 1), ('127.0.0.1', 53))\n"
              "    s.recv(512)\n"
              "print('done')\n")
    r = world.py(script)
    assert r.returncode == 0 and r.stdout == "done\n", r
    exit_record = [x for x in r.records if x["kind"] == "lifecycle" and x["action"] == "exit"][-1]
    assert exit_record["detail"]["refused_connections"] == {"dns flood.example.com": 2000}
    lines = [x for x in r.records if x.get("detail", {}).get("host") == "flood.example.com"]
    assert len(lines) <= 100, len(lines)
