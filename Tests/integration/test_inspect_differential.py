"""Request rules and the found-token check read a request the way servers do, or refuse it
(issue 23): a differential test against real server-side readers.

Every variant (helpers/request_variants.py) is read by the reference readers
(helpers/request_readers.py: Python's json, urllib.parse, http.cookies, gzip and zlib,
graphql-core; Node's JSON.parse, URLSearchParams, URL and Debian's graphql-js). Then all of them
go, as raw bytes, from one python client inside one `interlock run` through the egress proxy to
a TLS server on loopback that stands in for Railway, GitHub, AWS and a Kubernetes API server
(their rule packs applied, as shipped). The property: if any reader sees an operation a rule
pack denies, or the found token, Interlock refused the request (403) and the server never got
it. Controls (no reader sees anything) must get through, so a proxy that refused everything
would fail.

INTERLOCK_DIFF_SEED and INTERLOCK_DIFF_COUNT change the random part (default seed 23, 300
variants); a long run: INTERLOCK_DIFF_COUNT=20000.
"""

import json
import os
import shutil
import tomllib

import pytest

from conftest import PY, REPO_ROOT, Runner, write_profile
from helpers import request_readers as readers
from helpers import request_variants as variants
from helpers.egress_servers import SANDBOX_TUNNEL, GraphQLServer, make_certificate

SEED = int(os.environ.get("INTERLOCK_DIFF_SEED", "23"))
COUNT = int(os.environ.get("INTERLOCK_DIFF_COUNT", "300"))
PACKS = ["railway", "github", "aws", "kubernetes"]


# Inside the sandbox: each variant on its own connection (CONNECT through the proxy, TLS with
# the run's CA), raw bytes out, the status and the start of the answer's body back, one JSON line each.
CLIENT = SANDBOX_TUNNEL + r"""
import json, sys
port = int(sys.argv[2])
for line in open(sys.argv[1]):
    item = json.loads(line)
    host, payload = item["host"], bytes.fromhex(item["hex"])
    status, reason = "none", ""
    try:
        t = tunnel(host, port, 30)
        t.sendall(payload)
        answer = read_all(t)
        t.close()
        first, _, rest = answer.partition(b"\r\n")
        status = first.split()[1].decode() if first.startswith(b"HTTP/1.") else "none"
        reason = rest.partition(b"\r\n\r\n")[2].decode("utf-8", "replace").strip()[:600]
    except Exception as e:
        reason = f"client error: {type(e).__name__} {e}"
    print(json.dumps({"id": item["id"], "status": status, "reason": reason}), flush=True)
"""


def received(server):
    """The X-Variant of every request the server got."""
    return {r["headers"].get("x-variant") for r in server.requests}


def raw_request(variant, index, port):
    """The bytes of one request: the variant's head and body, framed by Content-Length."""
    host = variant["host"]
    lines = [f"{variant['method']} {variant['target']} HTTP/1.1", f"Host: {host}:{port}", f"X-Variant: {index}",
             "Connection: close"]
    lines += [f"{name}: {value}" for name, value in variant["headers"]]
    if variant["body"] or variant["method"] not in ("GET", "HEAD"):
        lines.append(f"Content-Length: {len(variant['body'])}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + variant["body"]


def pack_rules():
    """The rule packs' refusing rules (deny, and ask: no one answers in these runs), as shipped."""
    rules = []
    for pack in PACKS:
        with open(REPO_ROOT / "profiles" / "rules" / f"{pack}.toml", "rb") as f:
            rules += [r for r in tomllib.load(f).get("http", []) if r["action"] in ("deny", "ask")]
    return rules


def host_matches(pattern, host):
    return pattern == "*" or pattern == host or (pattern.startswith("*.") and host.endswith(pattern[1:]))


def sightings(variant, rules, node):
    """Why a reference reader says the variant must be refused (empty: none does)."""
    if variant["kind"] == "token":
        return [f"token via {r}" for r in readers.token_sightings(variant, variants.FOUND, node)]
    seen = []
    for rule in rules:
        if host_matches(rule["host"], variant["host"]):
            seen += [f"{rule['name']} via {r}" for r in readers.rule_denials(variant, rule, node)]
    return seen


@pytest.fixture(scope="module")
def outcome(interlock, tmp_path_factory):
    """All variants read by every reader, then sent through one sandbox: {name: result}."""
    if shutil.which("openssl") is None or shutil.which("node") is None:
        pytest.skip("openssl and node are needed")
    base = tmp_path_factory.mktemp("differential")
    os.chmod(base, 0o755)
    workspace = str(base / "workspace")
    os.makedirs(workspace)
    os.chmod(workspace, 0o755)
    certs = str(base / "certs")
    os.makedirs(certs)
    cert, key = make_certificate(certs, variants.HOSTS)
    shutil.copy(cert, os.path.join(workspace, "upstream-ca.pem"))
    server = GraphQLServer(cert, key)
    node = readers.NodeReaders()
    try:
        all_variants = [v for pack in PACKS for v in variants.pack_variants(pack)]
        all_variants += variants.token_variants() + variants.random_variants(SEED, COUNT)
        rules = pack_rules()
        for v in all_variants:
            v["seen"] = sightings(v, rules, node)
        hosts = ", ".join(f'"{h}" = "127.0.0.1"' for h in variants.HOSTS)
        egress = ", ".join(f'"{h}:{server.port}"' for h in variants.HOSTS)
        write_profile(workspace, (
            f'extends = ["default", {", ".join(f"{chr(34)}rules/{p}{chr(34)}" for p in PACKS)}]\n'
            "[network]\n"
            f"hosts = {{ {hosts} }}\n"
            'upstream_ca = "upstream-ca.pem"\n'
            "ask_timeout = 1\n"
            "[[http]]\n"
            f'host = "{variants.KUBE}"\n'
            'name = "the cluster\'s API server"\n'
            'action = "allow"\n'
            "[env.staging]\n"
            f"network.egress = [{egress}]\n"))
        with open(os.path.join(workspace, "variants.jsonl"), "w") as f:
            for index, v in enumerate(all_variants):
                f.write(json.dumps({"id": index, "host": v["host"], "hex": raw_request(v, index, server.port).hex()}) + "\n")
        with open(os.path.join(workspace, "client.py"), "w") as f:
            f.write(CLIENT)
        cp = Runner(interlock)(["run", "--env", "staging", "--", PY, "client.py", "variants.jsonl", str(server.port)],
                               workspace, timeout=max(900, len(all_variants) // 4))
        answers = {a["id"]: a for a in (json.loads(line) for line in cp.stdout.splitlines() if line.startswith("{"))}
        assert len(answers) == len(all_variants), cp.stdout[-2000:] + cp.stderr[-3000:]
        got = received(server)
        results = {}
        for index, v in enumerate(all_variants):
            results[v["name"]] = dict(v, **answers[index], reached=str(index) in got)
        seen = [r for r in results.values() if r["seen"]]
        print(f"\ndifferential (seed {SEED}): {len(results)} variants, {len(seen)} read as denied or carrying the token by some "
              f"reader, {sum(map(refused, seen))} of those refused; {sum(1 for r in results.values() if refused(r))} refused in all")
        yield results
    finally:
        node.close()
        server.close()


def refused(result):
    return result["status"] == "403" and not result["reached"]


def failures(results):
    return [f"{r['name']}: seen by {r['seen'][:2]}, answered {r['status']} {r['reason'][:200]!r}, reached={r['reached']}"
            for r in results if r["seen"] and not refused(r)]


@pytest.mark.parametrize("pack", PACKS)
def test_rule_pack_denied_operations_refused_in_every_variant(outcome, pack):
    mine = [r for name, r in outcome.items() if name.startswith(pack + " ")]
    denied = [r for r in mine if r["seen"]]
    # Every shape of the pack's denied operations is read as denied by some reader here.
    assert len(denied) >= len([r for r in mine if not r["control"]]) * 0.6, [r["name"] for r in mine if not r["seen"]]
    assert not failures(mine), "\n".join(failures(mine))
    controls = [r for r in mine if r["control"]]
    assert controls and all(r["status"] == "200" and r["reached"] for r in controls), controls


def test_found_token_refused_wherever_a_server_decodes_it(outcome):
    mine = [r for name, r in outcome.items() if name.startswith("token: ")]
    assert not failures(mine), "\n".join(failures(mine))
    assert all(r["seen"] for r in mine if not r["control"]), [r["name"] for r in mine if not r["seen"] and not r["control"]]
    for r in mine:
        assert variants.FOUND not in r["reason"]
    control = outcome["token: control"]
    assert control["status"] == "200" and control["reached"], control


def test_random_variants_no_reader_sees_a_denied_operation_that_got_through(outcome):
    mine = [r for name, r in outcome.items() if name.startswith("random ")]
    assert len(mine) == COUNT
    assert sum(1 for r in mine if r["seen"]) > COUNT // 2  # the generator mostly makes requests some reader denies
    assert not failures(mine), "\n".join(failures(mine))


# Named regressions: each case of the issue, with the reason the refusal gives.
REGRESSIONS = {
    "railway volumeDelete doc0: json duplicate key, denied last": 'duplicate "query" key',
    "railway volumeDelete doc0: json duplicate key, denied first": 'duplicate "query" key',
    "railway volumeDelete doc0: json duplicate escaped key": 'duplicate "query" key',
    "railway volumeDelete doc0: json duplicate key in variables": 'duplicate "id" key',
    "railway volumeDelete doc0: json duplicate key nested deep": 'duplicate "x" key',
    "railway volumeDelete doc0: batch, duplicate key in one element": 'duplicate "query" key',
    "railway volumeDelete doc0: form duplicate, denied last": 'duplicate "query" parameter in the form body',
    "railway volumeDelete doc0: GET duplicate, denied last": 'duplicate "query" parameter in the URL',
    "railway volumeDelete doc0: two content types, form last": 'duplicate "Content-Type" header',
    "railway volumeDelete doc0: invalid UTF-8 in a string": "invalid UTF-8 in a string",
    "railway volumeDelete doc0: lone surrogate": "a lone surrogate escape",
    "railway volumeDelete doc0: NUL in a key": "NUL in a key",
    "railway volumeDelete doc0: NaN": "not valid JSON",
    "railway volumeDelete doc0: BOM": "not valid JSON",
    "railway volumeDelete doc0: UTF-16": "not valid JSON",
    "railway volumeDelete doc0: trailing data": "data after the JSON value",
    "railway volumeDelete doc0: brotli label": "Content-Encoding Interlock does not read (br)",
    "railway volumeDelete doc0: gzip": "mutation volumeDelete",
    "railway volumeDelete doc0: two gzip members": 'duplicate "query" key',
    "railway volumeDelete doc0: query in the URL and the body": "mutation volumeDelete",
    "railway volumeDelete doc0: operationName picks the benign one": "mutation volumeDelete",
    "railway volumeDelete doc0: json escaped value": "mutation volumeDelete",
    "railway volumeDelete doc0: json escaped key": "mutation volumeDelete",
    "railway volumeDelete doc0: json key in another case": "which Go's JSON reader takes for",
    "railway volumeDelete doc0: text/plain": 'duplicate "query" key',
    "railway volumeDelete doc0: no content type": "mutation volumeDelete",
    "aws TerminateInstances: form duplicate, denied last": 'duplicate "Action" parameter',
    "aws TerminateInstances: URL and form": 'duplicate "Action" parameter',
    "aws TerminateInstances: two content types": 'duplicate "Content-Type" header',
    "aws TerminateInstances: gzip form": "Action=TerminateInstances",
    "aws TerminateInstances: unknown encoding": "Content-Encoding Interlock does not read (zstd)",
    "aws DynamoDB_20120810.DeleteTable: duplicate, denied last": 'duplicate "X-Amz-Target" header',
    "github DELETE /repos/octo/hello: percent-encoded letters": "denied",
    "github DELETE /repos/octo/hello: method override header": "denied",
    "kubernetes DELETE /api/v1/namespaces/prod/pods/web-1: dot-dot segment": "denied",
    "token: header": "GitHub token in the X-Api-Key header",
    "token: cookie": "GitHub token in the Cookie header",
    "token: URL query, percent-encoded": "GitHub token in the URL",
    "token: form body, percent-encoded": "GitHub token in the body",
    "token: Basic, token as password": "GitHub token in the Authorization header",
    "token: Basic, token as user": "GitHub token in the Authorization header",
    "token: JSON body, escaped": "GitHub token in the body",
    "token: gzip JSON body": "GitHub token in the body",
    "token: cookie, percent-encoded": "GitHub token in the Cookie header",
    "token: cookie, quoted with octal escapes": "GitHub token in the Cookie header",
    "token: URL path, percent-encoded": "GitHub token in the URL",
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_named_regression(outcome, name):
    result = outcome[name]
    assert result["seen"], f"no reference reader sees a denied operation in {name!r}: the case tests nothing"
    assert refused(result), (result["status"], result["reason"], result["reached"])
    assert REGRESSIONS[name] in result["reason"], result["reason"]


def test_decompression_bomb_refused_with_the_reason(run, workspace, tmp_host_dir):
    """A gzip body that inflates past the 8 MiB inspection limit is refused, not waved through."""
    import gzip
    certs = os.path.join(tmp_host_dir, "certs")
    os.makedirs(certs)
    cert, key = make_certificate(certs, [variants.RAILWAY])
    shutil.copy(cert, os.path.join(workspace, "upstream-ca.pem"))
    server = GraphQLServer(cert, key)
    try:
        write_profile(workspace, (
            'extends = ["default", "rules/railway"]\n[network]\n'
            f'hosts = {{ "{variants.RAILWAY}" = "127.0.0.1" }}\nupstream_ca = "upstream-ca.pem"\n'
            f'[env.staging]\nnetwork.egress = ["{variants.RAILWAY}:{server.port}"]\n'))
        bomb = gzip.compress(b'{"query": "{ me }", "pad": "' + b" " * (9 << 20) + b'"}')
        variant = variants.request("bomb", variants.RAILWAY, "graphql", "POST", "/graphql",
                                   variants.JSON_TYPE + [("Content-Encoding", "gzip")], bomb)
        with open(os.path.join(workspace, "variants.jsonl"), "w") as f:
            f.write(json.dumps({"id": 0, "host": variants.RAILWAY, "hex": raw_request(variant, 0, server.port).hex()}) + "\n")
        with open(os.path.join(workspace, "client.py"), "w") as f:
            f.write(CLIENT)
        cp = run(["run", "--env", "staging", "--", PY, "client.py", "variants.jsonl", str(server.port)], workspace, timeout=300)
        answer = json.loads(cp.stdout.strip().splitlines()[-1])
        assert answer["status"] == "403", cp.stdout + cp.stderr
        assert "decompressed body is larger than Interlock inspects" in answer["reason"]
        assert "0" not in received(server)
    finally:
        server.close()
