"""Real servers on the host's loopback for the egress tests (test_egress.py).

Every server here binds 127.0.0.1 with port 0 (the kernel picks a free port), runs in a daemon
thread of the test process, records what it received, and is shut down by the test's fixture.
Nothing here ever connects anywhere: the sandbox's clients connect to these servers, through
Interlock's egress proxy.
"""

import base64
import hashlib
import http.server
import io
import json
import os
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import time
import zipfile


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The concurrency tests open a hundred connections at once: a backlog of 5 would refuse some.
    request_queue_size = 512


class RecordingHandler(http.server.BaseHTTPRequestHandler):
    """Serves `server.routes` ({path: (status, content_type, body bytes)}), runs `git
    http-backend` for paths under /git/ when `server.git_root` is set, answers an Upgrade request
    for /ws with 101 and then echoes bytes (a stand-in for a websocket), and records every request
    as (method, path, Host header) in `server.requests` and its header lines in `server.heads`."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: pytest captures stderr anyway
        pass

    def _record(self):
        with self.server.lock:
            self.server.requests.append((self.command, self.path, self.headers.get("Host")))
            self.server.heads.append([(k.lower(), v) for k, v in self.headers.items()])

    def do_GET(self):
        self._record()
        if self.server.git_root and self.path.startswith("/git/"):
            return self._git()
        if self.path == "/ws" and self.headers.get("Upgrade"):
            return self._upgrade()
        route = self.server.routes.get(self.path.split("?", 1)[0])
        if route is None:
            status, ctype, body = 404, "text/plain", b"not found\n"
        else:
            status, ctype, body = route
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET

    def do_POST(self):
        self._record()
        if self.server.git_root and self.path.startswith("/git/"):
            return self._git()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        reply = b"posted " + str(len(body)).encode() + b" " + hashlib.sha256(body).hexdigest().encode() + b"\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def _upgrade(self):
        self.send_response(101)
        self.send_header("Upgrade", self.headers["Upgrade"])
        self.send_header("Connection", "Upgrade")
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            data = self.connection.recv(65536)
            if not data:
                break
            self.connection.sendall(b"ws-echo:" + data)

    def _git(self):
        """`git http-backend` as a CGI program (smart HTTP)."""
        path, _, query = self.path.partition("?")
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": self.server.git_root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path[len("/git"):],
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "REMOTE_ADDR": "127.0.0.1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": self.server.git_root,
        }
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        body = b""
        if self.command == "POST":
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().strip().split(b";")[0], 16)
                    if size == 0:
                        self.rfile.readline()
                        break
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                body = b"".join(chunks)
            else:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            env["CONTENT_LENGTH"] = str(len(body))
            if self.headers.get("Content-Encoding"):
                env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=120).stdout
        head, _, payload = out.partition(b"\r\n\r\n")
        if not _:
            head, _, payload = out.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class HTTPServer:
    """A threaded HTTP (or, with `tls=(certfile, keyfile)`, HTTPS) server on 127.0.0.1."""

    def __init__(self, routes=None, tls=None, git_root=None):
        self.server = _Server(("127.0.0.1", 0), RecordingHandler)
        self.server.routes = dict(routes or {})
        self.server.requests = []
        self.server.heads = []
        self.server.lock = threading.Lock()
        self.server.git_root = git_root
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls)
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    @property
    def requests(self):
        with self.server.lock:
            return list(self.server.requests)

    @property
    def heads(self):
        with self.server.lock:
            return list(self.server.heads)

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


class GraphQLServer:
    """HTTPS server: records every request (method, path, headers, body), answers JSON."""

    def __init__(self, cert, key):
        self.requests = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                outer.requests.append({"method": self.command, "path": self.path,
                                       "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                data = json.dumps({"data": {"ok": True, "path": self.path}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _answer

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class EchoServer:
    """A TCP server (not HTTP) that greets, then answers every line with `echo: LINE`: a stand-in
    for the database and ssh clients that go through SOCKS5. A first line `COLLECT` makes it read
    until the client half-closes, then answer `collected N SHA256`."""

    def __init__(self):
        outer = self
        self.connections = 0

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                outer.connections += 1
                self.wfile.write(b"hello from echo\n")
                first = self.rfile.readline()
                if first == b"COLLECT\n":
                    # Read to end of input (the client half-closed), then answer: a relay that
                    # does not pass a half-close on, or drops the answer after it, fails here.
                    data = self.rfile.read()
                    time.sleep(0.3)
                    self.wfile.write(b"collected %d %s\n" % (len(data), hashlib.sha256(data).hexdigest().encode()))
                    return
                line = first
                while line:
                    self.wfile.write(b"echo: " + line)
                    line = self.rfile.readline()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=30)


class UDPSink:
    """A UDP socket on 127.0.0.1 that records every datagram it receives (and would answer it)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop.is_set():
            try:
                data, peer = self.sock.recvfrom(65536)
            except (socket.timeout, OSError):
                continue
            self.received.append((data, peer))
            try:
                self.sock.sendto(b"udp-reply:" + data, peer)
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.thread.join(timeout=30)
        self.sock.close()


class TCPCounter:
    """A TCP listener on 127.0.0.1 that counts connections (and closes them)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            conn.close()

    def close(self):
        self.stop.set()
        self.thread.join(timeout=30)
        self.sock.close()


# ---------------------------------------------------------------------------------------------
# Fixtures' raw material: certificates, git repositories, wheels


def make_certificate(directory, names):
    """A self-signed certificate for `names` (DNS SANs) made with `openssl req`; returns
    (certfile, keyfile). The certificate is its own CA: clients trust it with --cacert."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    san = ",".join(f"DNS:{n}" for n in names)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "2",
         "-subj", f"/CN={names[0]}", "-addext", f"subjectAltName={san}",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True, timeout=120)
    os.chmod(cert, 0o644)
    os.chmod(key, 0o600)
    return cert, key


def make_git_repository(root, name="repo.git"):
    """A bare repository under `root` with one commit holding README.md; returns the commit id."""
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=root, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@test",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@test")
    work = os.path.join(root, "work")
    bare = os.path.join(root, name)

    def git(*args, cwd=None):
        return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True,
                              timeout=120).stdout.strip()

    git("init", "-q", "-b", "main", work)
    with open(os.path.join(work, "README.md"), "w") as f:
        f.write("cloned through the egress proxy\n")
    git("add", "README.md", cwd=work)
    git("commit", "-q", "-m", "first", cwd=work)
    commit = git("rev-parse", "HEAD", cwd=work)
    git("clone", "-q", "--bare", work, bare)
    git("config", "http.receivepack", "false", cwd=bare)
    shutil.rmtree(work)
    return commit


def make_wheel(directory, name, version, module_source):
    """A pure-python wheel (py3-none-any) built by hand: the module `name`.py, METADATA, WHEEL
    and RECORD. Returns the wheel's file name."""
    dist = f"{name}-{version}"
    files = {
        f"{name}.py": module_source.encode(),
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: interlock-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record_lines = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record_lines.append(f"{path},sha256={digest},{len(data)}")
    record_lines.append(f"{dist}.dist-info/RECORD,,")
    files[f"{dist}.dist-info/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    filename = f"{dist}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in files.items():
            z.writestr(path, data)
    with open(os.path.join(directory, filename), "wb") as f:
        f.write(buffer.getvalue())
    return filename


def pep503_routes(name, wheel_path):
    """Routes of a PEP 503 simple index serving one wheel: /simple/, /simple/NAME/, the file."""
    filename = os.path.basename(wheel_path)
    with open(wheel_path, "rb") as f:
        data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    html = "text/html"
    return {
        "/simple/": (200, html, f'<html><body><a href="/simple/{name}/">{name}</a></body></html>\n'.encode()),
        f"/simple/{name}/": (200, html, (f'<html><body><a href="/files/{filename}#sha256={digest}">{filename}</a>'
                                         "</body></html>\n").encode()),
        f"/files/{filename}": (200, "application/octet-stream", data),
    }


class UnixServer:
    """A unix stream socket on the host that greets every client with `hello from NAME`.

    `path` is bound as given: relative to `cwd` when `cwd` is set (as a daemon that chdir()s
    first would), or in a fresh network namespace (`other_netns`: a child process made with
    `unshare --net`, as a service with PrivateNetwork= or a container would). `rename_to` moves
    the socket after binding (as `mv` would). The socket file gets `mode`.
    """

    def __init__(self, path, mode=0o666, cwd=None, other_netns=False, rename_to=None):
        self.path = os.path.join(cwd, path) if cwd else path
        self.final = rename_to or self.path
        self.name = os.path.basename(self.final)
        self.proc = None
        self.sock = None
        if other_netns:
            code = ("import os, socket, sys\n"
                    "s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], int(sys.argv[2]))\n"
                    "s.listen(8); print('ready', flush=True)\n"
                    "while True:\n"
                    "    c, _ = s.accept(); c.sendall(b'hello from ' + os.path.basename(sys.argv[1]).encode()); c.close()\n")
            self.proc = subprocess.Popen(["unshare", "--net", "/usr/bin/python3", "-c", code, self.path, str(mode)],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
            line = self.proc.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError(f"unix server in a new network namespace did not start: {self.proc.stderr.read()!r}")
            return
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if cwd:
            old = os.getcwd()
            os.chdir(cwd)
            try:
                self.sock.bind(path)
            finally:
                os.chdir(old)
        else:
            self.sock.bind(path)
        os.chmod(self.path, mode)
        if rename_to:
            os.rename(self.path, rename_to)
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            try:
                conn.sendall(b"hello from " + self.name.encode())
            except OSError:
                pass
            finally:
                conn.close()

    def close(self):
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=30)
            self.proc.stdout.close()
            self.proc.stderr.close()
        if self.sock is not None:
            self.stop.set()
            self.thread.join(timeout=30)
            self.sock.close()
        for p in {self.path, self.final}:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass


# Python source for scripts run inside a sandbox: `tunnel(host, port, timeout)` opens a TLS
# connection to host:port through the sandbox's proxy (CONNECT), trusting the run's CA, and
# `read_all(t)` reads it to the end.
SANDBOX_TUNNEL = r"""
import os, socket, ssl
def tunnel(host, port, timeout):
    proxy = os.environ["HTTPS_PROXY"].split("//", 1)[1].rstrip("/")
    ph, pp = proxy.rsplit(":", 1)
    s = socket.create_connection((ph, int(pp)), timeout=timeout)
    s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk: break
        head += chunk
    return ssl.create_default_context().wrap_socket(s, server_hostname=host)
def read_all(t):
    answer = b""
    try:
        while True:
            chunk = t.recv(65536)
            if not chunk: break
            answer += chunk
    except (socket.timeout, ssl.SSLError, OSError):
        pass
    return answer
"""


def send_json(handler, obj, status=200):
    """Answers an http.server request with `obj` as JSON."""
    reply = json.dumps(obj).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(reply)))
    handler.end_headers()
    handler.wfile.write(reply)
