"""Reference readers for the differential request-rule tests (test_inspect_differential.py).

Each reader is a way a real server reads a request: Python's `json` (the last of two equal keys,
and with `object_pairs_hook` the first; from bytes it also accepts a BOM and UTF-16),
`urllib.parse`, `http.cookies`, `gzip`/`zlib`, graphql-core, Debian's jq, and, through one
long-lived node process, Node's `JSON.parse`, `URLSearchParams`, WHATWG `URL` and Debian's graphql-js. A
request is a dict: method, target, headers ([(name, value)] as sent), body (bytes).

The question every reader answers: does this request, read this way, carry a denied operation
(or a given token)? The tests then check that Interlock refused every request some reader says
yes to.
"""

import base64
import binascii
import functools
import gzip
import http.cookies
import json
import os
import posixpath
import re
import shutil
import subprocess
import urllib.parse
import zlib

import graphql

HERE = os.path.dirname(os.path.abspath(__file__))
JQ = shutil.which("jq")


class NodeReaders:
    """One node process answering node_readers.js's requests, line by line."""

    def __init__(self):
        env = dict(os.environ, NODE_PATH="/usr/share/nodejs")
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "node_readers.js")], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env, text=True, bufsize=1)
        self.has_graphql = "missing" not in self.ask({"op": "graphql", "text": "{ a }"})

    def ask(self, request):
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def header_values(request, name):
    return [v for n, v in request["headers"] if n.lower() == name]


def content_types(request):
    """Every content type a server might take: the first header's, the last's (lower-cased,
    parameters cut off), with the charset of each."""
    values = header_values(request, "content-type") or [""]
    out = []
    for value in {values[0], values[-1]}:
        kind, _, params = value.partition(";")
        charset = re.search(r"charset=\"?([A-Za-z0-9_-]+)", params)
        out.append((kind.strip().lower(), charset.group(1).lower() if charset else None))
    return out


def bodies(request):
    """The body as sent, and decoded by each Content-Encoding reading a server applies."""
    out = [request["body"]]
    codings = [c.strip().lower() for v in header_values(request, "content-encoding") for c in v.split(",") if c.strip()]
    body = request["body"]
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                body = gzip.decompress(body)
            elif coding == "deflate":
                try:
                    body = zlib.decompress(body)
                except zlib.error:
                    body = zlib.decompress(body, -15)
            elif coding != "identity":
                return out
        if codings:
            out.append(body)
    except (OSError, EOFError, zlib.error):
        pass
    return out


def form_pairs(text):
    return urllib.parse.parse_qsl(text, keep_blank_values=True)


def json_readings(body, charset, node, pairs=False):
    """(reader, parsed value) for each JSON reader that accepts the body; with `pairs`, Python's
    reading with every object as its list of (key, value) pairs."""
    if pairs:
        try:
            return [("python json (pairs)", json.loads(body, object_pairs_hook=list))]
        except (ValueError, UnicodeDecodeError, RecursionError):
            return []
    out = []
    try:
        out.append(("python json (last key wins)", json.loads(body)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    try:
        out.append(("python json (first key wins)",
                    json.loads(body, object_pairs_hook=lambda pairs: {k: v for k, v in reversed(pairs)})))
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    try:
        # The first value only, the rest ignored: as a streaming decoder (Go's json.Decoder) reads.
        out.append(("python raw_decode (first value)", json.JSONDecoder().raw_decode(body.decode("utf-8"))[0]))
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    out += [("jq", value) for value in jq_values(body)]
    answer = node.ask({"op": "json", "b64": base64.b64encode(body).decode(), "charset": charset or "utf-8"})
    if "ok" in answer:
        out.append(("node JSON.parse", answer["ok"]))
    return out


@functools.lru_cache(maxsize=4096)
def jq_values(body):
    """Debian's jq: takes a BOM, NaN, and every value of a stream of them."""
    if not JQ:
        return []
    done = subprocess.run([JQ, "-c", "."], input=body, capture_output=True, timeout=30)
    values = []
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        try:
            values.append(json.loads(line))
        except ValueError:
            pass
    return values


def is_json_type(kind):
    return kind in ("", "text/plain") or kind.startswith("application/json") or kind.endswith("+json")


def graphql_documents(request, node):
    """(reader, document text) for every document some server would take from the request."""
    docs = []
    query = urllib.parse.urlsplit(request["target"]).query
    for name, value in form_pairs(query):
        if name == "query":
            docs.append(("python parse_qsl (URL)", value))
    for name, value in (node.ask({"op": "form", "text": query}).get("ok") or []):
        if name == "query":
            docs.append(("node URLSearchParams (URL)", value))
    for body in bodies(request):
        if not body:
            continue
        for kind, charset in content_types(request):
            if kind.startswith("application/graphql"):
                docs.append(("graphql body", body.decode("utf-8", "replace")))
            elif kind.startswith("application/x-www-form-urlencoded"):
                text = body.decode("utf-8", "replace")
                docs += [("python parse_qsl (form)", v) for n, v in form_pairs(text) if n == "query"]
                docs += [("node URLSearchParams (form)", v) for n, v in (node.ask({"op": "form", "text": text}).get("ok") or [])
                         if n == "query"]
            elif is_json_type(kind):
                for reader, value in json_readings(body, charset, node):
                    items = value if isinstance(value, list) else [value]
                    for item in items:
                        if isinstance(item, dict) and isinstance(item.get("query"), str):
                            docs.append((reader, item["query"]))
                for reader, value in json_readings(body, charset, node, pairs=True):
                    # Go's encoding/json: keys match a field without regard to case; the last wins.
                    is_object = lambda x: isinstance(x, list) and all(isinstance(p, tuple) for p in x)
                    for item in ([value] if is_object(value) else [x for x in value if is_object(x)] if isinstance(value, list) else []):
                        texts = [v for k, v in item if k.lower() == "query" and isinstance(v, str)]
                        docs += [(f"{reader}, keys as Go matches them", t) for t in texts[-1:]]
    return docs


def graphql_core_operations(text):
    """[(type, [top-level fields])] as graphql-core parses the document, fragments expanded."""
    document = graphql.parse(text)
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, graphql.FragmentDefinitionNode)}
    out = []
    for definition in document.definitions:
        if not isinstance(definition, graphql.OperationDefinitionNode):
            continue
        fields, seen = [], set()

        def walk(selection_set):
            for s in selection_set.selections:
                if isinstance(s, graphql.FieldNode):
                    fields.append(s.name.value)
                elif isinstance(s, graphql.InlineFragmentNode):
                    walk(s.selection_set)
                elif isinstance(s, graphql.FragmentSpreadNode) and s.name.value in fragments and s.name.value not in seen:
                    seen.add(s.name.value)
                    walk(fragments[s.name.value].selection_set)

        walk(definition.selection_set)
        out.append((definition.operation.value, fields))
    return out


def glob_regex(pattern, path_mode):
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += "[^/]*" if path_mode else ".*"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(out + r"\Z", re.S)


def glob(pattern, text, path_mode=False):
    return glob_regex(pattern, path_mode).match(text) is not None


def graphql_denials(request, patterns, node):
    """Readers that see an operation `patterns` (["mutation volumeDelete", "mutation *Delete"])
    deny, with what they saw."""
    seen = []
    for reader, text in graphql_documents(request, node):
        parsed = []
        try:
            parsed.append(("graphql-core", graphql_core_operations(text)))
        except graphql.GraphQLError:
            pass
        if node.has_graphql:
            answer = node.ask({"op": "graphql", "text": text})
            if "ok" in answer:
                parsed.append(("graphql-js", answer["ok"]))
        for parser, operations in parsed:
            for op_type, fields in operations:
                for pattern in patterns:
                    want_type, _, want_field = pattern.partition(" ")
                    if want_type in ("*", op_type) and any(glob(want_field, f) for f in fields):
                        seen.append(f"{reader} + {parser}: {op_type} {want_field}")
    return seen


def parameter_values(request, name, node):
    """(reader, value) for every value of parameter `name` in the URL and a form body."""
    out = []
    texts = [("URL", urllib.parse.urlsplit(request["target"]).query)]
    form = any(kind.startswith("application/x-www-form-urlencoded") for kind, _ in content_types(request))
    if form:
        texts += [("form", body.decode("utf-8", "replace")) for body in bodies(request)]
    for where, text in texts:
        out += [(f"python parse_qsl ({where})", v) for n, v in form_pairs(text) if n == name]
        out += [(f"node URLSearchParams ({where})", v) for n, v in (node.ask({"op": "form", "text": text}).get("ok") or [])
                if n == name]
    return out


def method_path_readings(request, node):
    """(reader, method, path) as servers route the request."""
    raw_path = request["target"].split("?", 1)[0]
    paths = [("raw", raw_path), ("urllib unquote", urllib.parse.unquote(raw_path)),
             ("unquote + normpath", posixpath.normpath(urllib.parse.unquote(raw_path)))]
    answer = node.ask({"op": "path", "text": request["target"]})
    if "ok" in answer:
        paths.append(("node URL", answer["ok"]))
    methods = [("as sent", request["method"])]
    methods += [("method-override header", v.strip().upper()) for n, v in request["headers"]
                if n.lower() in ("x-http-method-override", "x-http-method", "x-method-override")]
    methods += [("_method parameter", v.upper()) for _, v in parameter_values(request, "_method", node)]
    return [(f"{m_reader} / {p_reader}", method, path) for m_reader, method in methods for p_reader, path in paths]


def rule_denials(request, rule, node):
    """Readers under which a `[[http]]` rule (method, path, headers, params, graphql) matches."""
    seen = []
    for reader, method, path in method_path_readings(request, node):
        if rule.get("method") and method != rule["method"]:
            continue
        if rule.get("path") and not glob(rule["path"], path, path_mode=True):
            continue
        seen.append(reader)
    if not seen:
        return []
    for name, pattern in (rule.get("headers") or {}).items():
        values = header_values(request, name.lower())
        readings = values[:1] + values[-1:] + ([", ".join(values)] if len(values) > 1 else [])
        if not any(glob(pattern, v) for v in readings):
            return []
        seen = [f"{r} + header {name}" for r in seen]
    for name, pattern in (rule.get("params") or {}).items():
        hits = [reader for reader, value in parameter_values(request, name, node) if glob(pattern, value)]
        if not hits:
            return []
        seen = hits
    if rule.get("graphql"):
        seen = graphql_denials(request, rule["graphql"], node)
    return seen


def json_strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from json_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from json_strings(item)


def token_sightings(request, token, node):
    """Readers that find `token` in what they decode of the request."""
    seen = []

    def look(reader, text):
        if token in text:
            seen.append(reader)

    for name, value in request["headers"]:
        look(f"header {name}", value)
        look(f"header {name}, unquoted", urllib.parse.unquote(value))
        kind, _, credentials = value.strip().partition(" ")
        if kind.lower() == "basic":
            for decode in (base64.b64decode, base64.urlsafe_b64decode):
                try:
                    look(f"header {name}, Basic", decode(credentials.strip() + "==").decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    pass
        if name.lower() == "cookie":
            jar = http.cookies.SimpleCookie()
            try:
                jar.load(value)
            except http.cookies.CookieError:
                pass
            for morsel in jar.values():
                look("http.cookies", morsel.value)
                look("http.cookies, unquoted", urllib.parse.unquote(morsel.value))
    look("URL, unquoted", urllib.parse.unquote(request["target"]))
    for body in bodies(request):
        text = body.decode("utf-8", "replace")
        look("body", text)
        look("body, unquoted", urllib.parse.unquote(text))
        for name, value in form_pairs(text):
            try:
                for string in json_strings(json.loads(value)):
                    look(f"form field {name} as JSON", string)
            except (ValueError, RecursionError):
                pass
        for reader, value in json_readings(body, None, node):
            for string in json_strings(value):
                look(reader, string)
    return seen
