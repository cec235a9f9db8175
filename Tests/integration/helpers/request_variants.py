"""Request variants for the differential request-rule tests (test_inspect_differential.py).

A variant is a request (method, target, headers, body) plus what it is for: `kind` names the
rule it tries (graphql, path, action, target, token), `host` the inspected host it goes to.
`shapes(kind, denied, benign)` gives every shape of one request that the generator knows
(duplicate keys and parameters, escapes, encodings, batches, content types, framing);
`random_variants(seed, count)` combines them at random, several layers deep.
"""

import base64
import gzip
import json
import random
import urllib.parse
import zlib

RAILWAY = "backboard.railway.app"
GITHUB = "api.github.com"
AWS_QUERY = "ec2.us-east-1.amazonaws.com"
AWS_JSON = "dynamodb.us-east-1.amazonaws.com"
KUBE = "k8s.cluster.test"
HOSTS = [RAILWAY, GITHUB, AWS_QUERY, AWS_JSON, KUBE]

# A GitHub-shaped token the sandbox "found": the found-token check must refuse it in any reading.
FOUND = "ghp_" + "Zq8Lm3Xv7Rt1Nb5Kc9Wd2Fg6Hj0Pa4Se2Uy8"
JSON_TYPE = [("Content-Type", "application/json")]
FORM_TYPE = [("Content-Type", "application/x-www-form-urlencoded")]


def request(name, host, kind, method="POST", target="/", headers=(), body=b"", control=False):
    """`control`: a request no reader sees anything wrong in; it must get through (the harness
    itself is checked by these: a proxy refusing everything would fail them)."""
    return {"name": name, "host": host, "kind": kind, "method": method, "target": target,
            "headers": list(headers), "body": body, "control": control}


def escape_all(text):
    """Every character as a JSON \\uXXXX escape."""
    return "".join(f"\\u{ord(c):04x}" for c in text)


def json_string(text, escaped=False):
    return '"' + (escape_all(text) if escaped else json.dumps(text)[1:-1]) + '"'


def pct_all(text):
    return "".join(f"%{b:02X}" for b in text.encode())


def raw_deflate(data):
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


def graphql_shapes(denied, benign):
    """(name, method, target, headers, body) shapes of a GraphQL request carrying `denied`,
    with `benign` where a shape needs a second document."""
    d, b = json_string(denied), json_string(benign)
    q = urllib.parse.quote
    shapes = [
        ("json", JSON_TYPE, f'{{"query": {d}}}'),
        ("json duplicate key, denied last", JSON_TYPE, f'{{"query": {b}, "query": {d}}}'),
        ("json duplicate key, denied first", JSON_TYPE, f'{{"query": {d}, "query": {b}}}'),
        ("json duplicate escaped key", JSON_TYPE, f'{{"query": {b}, "\\u0071uery": {d}}}'),
        ("json key in another case", JSON_TYPE, f'{{"query": {b}, "QUERY": {d}}}'),
        ("json escaped key", JSON_TYPE, f'{{"\\u0071\\u0075ery": {d}}}'),
        ("json escaped value", JSON_TYPE, f'{{"query": {json_string(denied, escaped=True)}}}'),
        ("json duplicate key in variables", JSON_TYPE, f'{{"query": {d}, "variables": {{"id": "a", "id": "b"}}}}'),
        ("json duplicate key nested deep", JSON_TYPE, f'{{"query": {d}, "extensions": {{"a": [{{"x": 1, "x": 2}}]}}}}'),
        ("batch", JSON_TYPE, f'[{{"query": {b}}}, {{"query": {d}}}]'),
        ("batch, duplicate key in one element", JSON_TYPE, f'[{{"query": {b}}}, {{"query": {b}, "query": {d}}}]'),
        ("batch nested in a batch", JSON_TYPE, f'[[{{"query": {d}}}]]'),
        ("no content type", [], f'{{"query": {d}}}'),
        ("text/plain", [("Content-Type", "text/plain")], f'{{"query": {b}, "query": {d}}}'),
        ("json with a charset", [("Content-Type", "application/json; charset=utf-8")], f'{{"query": {b}, "query": {d}}}'),
        ("upper-case content type", [("Content-Type", "APPLICATION/JSON")], f'{{"query": {d}}}'),
        ("vendor +json type", [("Content-Type", "application/vnd.api+json")], f'{{"query": {b}, "query": {d}}}'),
        ("two content types, form last", JSON_TYPE + FORM_TYPE, "query=" + q(denied)),
        ("two content types, json last", FORM_TYPE + JSON_TYPE, f'{{"query": {d}}}'),
        ("application/graphql", [("Content-Type", "application/graphql")], denied),
        ("operationName picks the benign one", JSON_TYPE,
         json.dumps({"query": f"query A {benign} {denied if denied.startswith('mutation') else 'mutation ' + denied}",
                     "operationName": "A"})),
        ("form", FORM_TYPE, "query=" + q(denied)),
        ("form duplicate, denied last", FORM_TYPE, "query=" + q(benign) + "&query=" + q(denied)),
        ("form duplicate, denied first", FORM_TYPE, "query=" + q(denied) + "&query=" + q(benign)),
        ("form, encoded name", FORM_TYPE, "%71uery=" + pct_all(denied)),
        ("form with a charset", [("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")], "query=" + q(denied)),
        ("invalid UTF-8 in a string", JSON_TYPE, f'{{"query": {d}, "note": "\xff"}}'.encode("latin-1") if denied.isascii() else b""),
        ("lone surrogate", JSON_TYPE, f'{{"query": {d}, "note": "\\ud800"}}'),
        ("NUL in a key", JSON_TYPE, f'{{"query": {d}, "query\\u0000": {b}}}'),
        ("big number", JSON_TYPE, f'{{"query": {d}, "n": 1e400}}'),
        ("number with a plus", JSON_TYPE, f'{{"query": {b}, "n": +1, "query": {d}}}'),
        ("NaN", JSON_TYPE, f'{{"query": {d}, "n": NaN}}'),
        ("BOM", JSON_TYPE, b"\xef\xbb\xbf" + f'{{"query": {d}}}'.encode()),
        ("UTF-16", [("Content-Type", "application/json; charset=utf-16")], f'{{"query": {d}}}'.encode("utf-16")),
        ("trailing data", JSON_TYPE, f'{{"query": {d}}} {{"query": {b}}}'),
        ("gzip", JSON_TYPE + [("Content-Encoding", "gzip")], gzip.compress(f'{{"query": {d}}}'.encode())),
        ("two gzip members", JSON_TYPE + [("Content-Encoding", "gzip")],
         gzip.compress(f'{{"query": {b}, '.encode()) + gzip.compress(f'"query": {d}}}'.encode())),
        ("deflate", FORM_TYPE + [("Content-Encoding", "deflate")], zlib.compress(("query=" + q(denied)).encode())),
        ("raw deflate", JSON_TYPE + [("Content-Encoding", "deflate")],
         raw_deflate(f'{{"query": {d}}}'.encode())),
        ("gzip then deflate", JSON_TYPE + [("Content-Encoding", "gzip, deflate")],
         zlib.compress(gzip.compress(f'{{"query": {d}}}'.encode()))),
        ("brotli label", JSON_TYPE + [("Content-Encoding", "br")], f'{{"query": {d}}}'),
    ]
    out = [(name, "POST", "/graphql", headers, body if isinstance(body, bytes) else body.encode()) for name, headers, body in shapes]
    out += [
        ("GET", "GET", "/graphql?query=" + q(denied), [], b""),
        ("GET duplicate, denied last", "GET", "/graphql?query=" + q(benign) + "&query=" + q(denied), [], b""),
        ("GET duplicate, denied first", "GET", "/graphql?query=" + q(denied) + "&query=" + q(benign), [], b""),
        ("GET, encoded name", "GET", "/graphql?%71uery=" + pct_all(denied), [], b""),
        ("query in the URL and the body", "POST", "/graphql?query=" + q(denied), JSON_TYPE,
         json.dumps({"query": benign}).encode()),
    ]
    return out


# GraphQL documents: a denied field in many spellings (the parser must see through each).
def graphql_documents(field):
    return [
        f'mutation {{ {field}(id: "v") }}',
        f'mutation M($id: ID!) @trace {{ keep: {field}(id: $id) {{ id }} }}',
        f'mutation {{ ...F }} fragment F on Mutation {{ {field}(id: "v") }}',
        f'mutation {{ ... on Mutation {{ {field}(id: "v") }} }}',
        f'mutation {{ a: me(note: "}} {field} {{") , {field}(id: """x "" y""") }}',
        f'# comment\nmutation\t{{\r\n{field}(id:"v",)}}',
        f'\ufeffmutation {{ {field}(id: "v") }}',
        f'query A {{ me }} mutation B {{ {field}(id: "v") }}',
    ]


def path_shapes(method, path, host):
    """Ways to write `method path` that some server routes to the same handler."""
    head, _, last = path.rpartition("/")
    return [
        ("exact", method, path, []),
        ("trailing slash", method, path + "/", []),
        ("double slashes", method, path.replace("/", "//"), []),
        ("dot segment", method, f"{head}/./{last}", []),
        ("dot-dot segment", method, f"{head}/x/../{last}", []),
        ("percent-encoded letters", method, "/" + "/".join(pct_all(s) for s in path.strip("/").split("/")), []),
        ("encoded dot-dot", method, f"{head}/x/%2e%2e/{last}", []),
        ("path parameter", method, f"{path};v=1", []),
        ("query string", method, f"{path}?x=1", []),
        ("method override header", "POST", path, [("X-HTTP-Method-Override", method)]),
        ("X-HTTP-Method header", "POST", path, [("X-HTTP-Method", method.lower())]),
        ("_method parameter", "POST", f"{path}?_method={method}", []),
        ("_method form field", "POST", path, FORM_TYPE),
    ]


def token_shapes(token):
    """(name, method, target, headers, body) with `token` where a server decodes it."""
    b64 = lambda s: base64.b64encode(s.encode()).decode()
    pct = pct_all(token)
    shapes = [
        ("header", "GET", "/user", [("X-Api-Key", token)], b""),
        ("Authorization token", "GET", "/user", [("Authorization", "token " + token)], b""),
        ("Basic, token as password", "GET", "/user", [("Authorization", "Basic " + b64("x-access-token:" + token))], b""),
        ("Basic, token as user", "GET", "/user", [("Authorization", "Basic " + b64(token + ":x-oauth-basic"))], b""),
        ("Basic, lower case, no padding", "GET", "/user", [("Authorization", "basic " + b64("u:" + token).rstrip("="))], b""),
        ("Basic, URL-safe alphabet", "GET", "/user",
         [("Authorization", "Basic " + base64.urlsafe_b64encode(("\xff\xfe:" + token).encode()).decode())], b""),
        ("cookie", "GET", "/user", [("Cookie", "a=1; t=" + token)], b""),
        ("cookie, percent-encoded", "GET", "/user", [("Cookie", "t=" + pct)], b""),
        ("cookie, quoted with octal escapes", "GET", "/user",
         [("Cookie", 't="' + "".join(f"\\{ord(c):03o}" for c in token[:4]) + token[4:] + '"')], b""),
        ("header, percent-encoded", "GET", "/user", [("X-Api-Key", pct)], b""),
        ("URL query", "GET", "/user?access_token=" + token, [], b""),
        ("URL query, percent-encoded", "GET", "/user?access_token=" + pct, [], b""),
        ("URL path, percent-encoded", "GET", "/tokens/" + pct, [], b""),
        ("JSON body", "POST", "/user", JSON_TYPE, json.dumps({"token": token}).encode()),
        ("JSON body, escaped", "POST", "/user", JSON_TYPE, ('{"token": "' + escape_all(token) + '"}').encode()),
        ("JSON body, escaped key", "POST", "/user", JSON_TYPE, ('{"' + escape_all(token) + '": 1}').encode()),
        ("JSON body, half escaped", "POST", "/user", JSON_TYPE,
         ('{"token": "' + token[:10] + escape_all(token[10:12]) + token[12:] + '"}').encode()),
        ("form body, percent-encoded", "POST", "/user", FORM_TYPE, ("token=" + pct).encode()),
        ("gzip JSON body", "POST", "/user", JSON_TYPE + [("Content-Encoding", "gzip")],
         gzip.compress(json.dumps({"token": token}).encode())),
        ("gzip JSON body, escaped", "POST", "/user", JSON_TYPE + [("Content-Encoding", "gzip")],
         gzip.compress(('{"token": "' + escape_all(token) + '"}').encode())),
        ("deflate form body", "POST", "/user", FORM_TYPE + [("Content-Encoding", "deflate")],
         zlib.compress(("token=" + pct).encode())),
        ("x-gzip text body", "POST", "/user", [("Content-Encoding", "x-gzip")], gzip.compress(token.encode())),
        ("percent-encoded JSON escapes", "POST", "/user", FORM_TYPE,
         ("token=" + urllib.parse.quote('"' + escape_all(token) + '"')).encode()),
    ]
    return shapes


# The rule packs' denied operations, one request each, and a benign request of the same kind.
PACKS = {
    "railway": [("graphql", RAILWAY, "volumeDelete"), ("graphql", RAILWAY, "serviceInstanceDelete"),
                ("graphql", RAILWAY, "projectTransfer"), ("graphql", RAILWAY, "somethingPurge")],
    "github": [("graphql", GITHUB, "deleteRepository"), ("graphql", GITHUB, "transferRepository"),
               ("path", GITHUB, ("DELETE", "/repos/octo/hello")), ("path", GITHUB, ("DELETE", "/orgs/octo/hooks/1"))],
    "aws": [("action", AWS_QUERY, "TerminateInstances"), ("action", AWS_QUERY, "DeleteVpc"),
            ("target", AWS_JSON, "DynamoDB_20120810.DeleteTable"), ("target", AWS_JSON, "Logs_20140328.TerminateSession")],
    "kubernetes": [("path", KUBE, ("DELETE", "/api/v1/namespaces/prod/pods/web-1")),
                   ("path", KUBE, ("DELETE", "/apis/apps/v1/namespaces/prod/deployments/web"))],
}
BENIGN = {"graphql": "{ me { id } }", "action": "DescribeInstances", "target": "DynamoDB_20120810.ListTables",
          "path": ("GET", "/repos/octo/hello")}


def action_shapes(denied, benign):
    q = urllib.parse.quote
    return [
        ("form", "POST", "/", FORM_TYPE, f"Action={denied}&Version=2016-11-15"),
        ("URL", "GET", f"/?Action={denied}", [], ""),
        ("form duplicate, denied last", "POST", "/", FORM_TYPE, f"Action={benign}&Action={denied}"),
        ("form duplicate, denied first", "POST", "/", FORM_TYPE, f"Action={denied}&Action={benign}"),
        ("URL duplicate", "GET", f"/?Action={benign}&Action={denied}", [], ""),
        ("URL and form", "POST", f"/?Action={benign}", FORM_TYPE, f"Action={denied}"),
        ("encoded name", "POST", "/", FORM_TYPE, f"Act%69on={pct_all(denied)}"),
        ("form with a charset", "POST", "/", [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], f"Action={q(denied)}"),
        ("two content types", "POST", "/", [("Content-Type", "text/plain")] + FORM_TYPE, f"Action={denied}"),
        ("gzip form", "POST", "/", FORM_TYPE + [("Content-Encoding", "gzip")], gzip.compress(f"Action={denied}".encode())),
        ("unknown encoding", "POST", "/", FORM_TYPE + [("Content-Encoding", "zstd")], f"Action={denied}"),
    ]


def target_shapes(denied, benign):
    return [
        ("header", [("X-Amz-Target", denied)]),
        ("lower-case name", [("x-amz-target", denied)]),
        ("duplicate, denied last", [("X-Amz-Target", benign), ("X-Amz-Target", denied)]),
        ("duplicate, denied first", [("X-Amz-Target", denied), ("X-Amz-Target", benign)]),
        ("comma list", [("X-Amz-Target", f"{benign}, {denied}")]),
    ]


def pack_variants(pack):
    """Every shape of every denied operation of one rule pack, and one control each."""
    out = []
    for kind, host, op in PACKS[pack]:
        if kind == "graphql":
            for doc_index, document in enumerate(graphql_documents(op)):
                shapes = graphql_shapes(document, BENIGN["graphql"]) if doc_index == 0 else graphql_shapes(document, BENIGN["graphql"])[:1]
                for name, method, target, headers, body in shapes:
                    out.append(request(f"{pack} {op} doc{doc_index}: {name}", host, kind, method, target, headers, body))
            out.append(request(f"{pack} {op} control query", host, kind, "POST", "/graphql", JSON_TYPE,
                               json.dumps({"query": BENIGN["graphql"]}).encode(), control=True))
        elif kind == "path":
            method, path = op
            for name, m, target, headers in path_shapes(method, path, host):
                body = f"_method={method}".encode() if name == "_method form field" else b""
                out.append(request(f"{pack} {method} {path}: {name}", host, kind, m, target, headers, body))
            out.append(request(f"{pack} {method} {path} control GET", host, kind, "GET", path, control=True))
        elif kind == "action":
            for name, method, target, headers, body in action_shapes(op, BENIGN["action"]):
                out.append(request(f"{pack} {op}: {name}", host, kind, method, target, headers,
                                   body if isinstance(body, bytes) else body.encode()))
            out.append(request(f"{pack} {op} control action", host, kind, "POST", "/", FORM_TYPE,
                               f"Action={BENIGN['action']}".encode(), control=True))
        elif kind == "target":
            for name, headers in target_shapes(op, BENIGN["target"]):
                out.append(request(f"{pack} {op}: {name}", host, kind, "POST", "/",
                                   headers + [("Content-Type", "application/x-amz-json-1.0")], b"{}"))
            out.append(request(f"{pack} {op} control target", host, kind, "POST", "/",
                               [("X-Amz-Target", BENIGN["target"]), ("Content-Type", "application/x-amz-json-1.0")], b"{}",
                               control=True))
    return out


def token_variants(token=FOUND):
    out = [request(f"token: {name}", GITHUB, "token", method, target, headers, body)
           for name, method, target, headers, body in token_shapes(token)]
    out.append(request("token: control", GITHUB, "token", "GET", "/user", [("X-Api-Key", "not-a-token")], control=True))
    return out


# Random combination: a base variant, then up to three mutations of its bytes that servers
# undo (or that change which value wins), picked with a seeded generator.
def _mutate_json_escapes(rng, v):
    body = v["body"]
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return v
    out = []
    in_string = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"' and (i == 0 or text[i - 1] != "\\"):
            in_string = not in_string
            out.append(c)
        elif in_string and c.isalnum() and rng.random() < 0.3:
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
        i += 1
    return dict(v, body="".join(out).encode(), name=v["name"] + " +escapes")


def _mutate_gzip(rng, v):
    if not v["body"] or any(n.lower() == "content-encoding" for n, _ in v["headers"]):
        return v
    if rng.random() < 0.5:
        return dict(v, body=gzip.compress(v["body"]), headers=v["headers"] + [("Content-Encoding", "gzip")], name=v["name"] + " +gzip")
    return dict(v, body=zlib.compress(v["body"]), headers=v["headers"] + [("Content-Encoding", "deflate")], name=v["name"] + " +deflate")


def _mutate_content_type(rng, v):
    choices = ["application/json", "application/json; charset=utf-8", "text/plain", "", "application/graphql",
               "application/x-www-form-urlencoded", "Application/Json", "application/vnd.github+json"]
    kept = [(n, x) for n, x in v["headers"] if n.lower() != "content-type"]
    chosen = rng.choice(choices)
    headers = kept + ([("Content-Type", chosen)] if chosen else [])
    if rng.random() < 0.2:
        headers.append(("Content-Type", rng.choice(choices[:3])))
    return dict(v, headers=headers, name=v["name"] + f" +type[{chosen}]")


def _mutate_duplicate_header(rng, v):
    if not v["headers"]:
        return v
    name, value = rng.choice(v["headers"])
    return dict(v, headers=v["headers"] + [(name, value)], name=v["name"] + f" +dup {name}")


def _mutate_percent(rng, v):
    path, sep, query = v["target"].partition("?")
    if not query:
        return v
    query = "".join(f"%{ord(c):02X}" if c.isalnum() and rng.random() < 0.4 else c for c in query)
    return dict(v, target=path + sep + query, name=v["name"] + " +pct")


def _json_object_body(v):
    try:
        value = json.loads(v["body"])
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) and not any(n.lower() == "content-encoding" for n, _ in v["headers"]) else None


def _mutate_batch(rng, v):
    """A JSON request object inside a batch, behind a benign one."""
    if _json_object_body(v) is None:
        return v
    return dict(v, body=b'[{"query": "{ me { id } }"}, ' + v["body"] + b"]", name=v["name"] + " +batch")


def _mutate_duplicate_key(rng, v):
    """Every key of a JSON request object written twice, a benign value first or last."""
    value = _json_object_body(v)
    if value is None:
        return v
    pairs = []
    for key, item in value.items():
        twin = [(key, "{ me { id } }" if key == "query" else None)]
        pairs += twin + [(key, item)] if rng.random() < 0.5 else [(key, item)] + twin
    body = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(x)}" for k, x in pairs) + "}"
    return dict(v, body=body.encode(), name=v["name"] + " +dup keys")


MUTATIONS = [_mutate_json_escapes, _mutate_gzip, _mutate_content_type, _mutate_duplicate_header, _mutate_percent,
             _mutate_batch, _mutate_duplicate_key]


def random_variants(seed, count):
    rng = random.Random(seed)
    bases = [v for pack in PACKS for v in pack_variants(pack) if not v["control"]] + token_variants()
    out = []
    for i in range(count):
        v = dict(rng.choice(bases))
        for _ in range(rng.randint(1, 3)):
            v = rng.choice(MUTATIONS)(rng, v)
        v["name"] = f"random {seed}/{i}: " + v["name"]
        v["control"] = False
        out.append(v)
    return out
