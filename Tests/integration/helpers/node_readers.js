// Node's readings of request parts, for the differential tests (request_readers.py): one JSON
// request per line on stdin, one JSON answer per line on stdout.
//   {"op": "json", "b64": BODY, "charset": "utf-8"}  -> {"ok": value} | {"error": message}
//   {"op": "form", "text": TEXT}                     -> {"ok": [[name, value], ...]}
//   {"op": "graphql", "text": DOCUMENT}              -> {"ok": [[type, [field, ...]], ...]} | {"error": message}
//   {"op": "path", "text": PATH}                     -> {"ok": pathname as WHATWG URL resolves and decodes it}
// graphql-js is Debian's node-graphql (NODE_PATH=/usr/share/nodejs); without it "graphql"
// answers {"missing": true}.
"use strict";
const readline = require("readline");
let graphql = null;
try { graphql = require("graphql"); } catch (e) { graphql = null; }

function operations(text) {
  const doc = graphql.parse(text);
  const fragments = {};
  for (const d of doc.definitions) if (d.kind === "FragmentDefinition") fragments[d.name.value] = d;
  const out = [];
  for (const d of doc.definitions) {
    if (d.kind !== "OperationDefinition") continue;
    const fields = [];
    const seen = new Set();
    const walk = (set) => {
      for (const s of set.selections) {
        if (s.kind === "Field") fields.push(s.name.value);
        else if (s.kind === "InlineFragment") walk(s.selectionSet);
        else if (s.kind === "FragmentSpread" && fragments[s.name.value] && !seen.has(s.name.value)) {
          seen.add(s.name.value);
          walk(fragments[s.name.value].selectionSet);
        }
      }
    };
    walk(d.selectionSet);
    out.push([d.operation, fields]);
  }
  return out;
}

function answer(request) {
  switch (request.op) {
    case "json": {
      const bytes = Buffer.from(request.b64, "base64");
      const text = new TextDecoder(request.charset || "utf-8").decode(bytes);  // strips a BOM, as body-parser's decoding does
      return { ok: JSON.parse(text) };
    }
    case "form":
      return { ok: Array.from(new URLSearchParams(request.text)) };
    case "graphql":
      if (!graphql) return { missing: true };
      return { ok: operations(request.text) };
    case "path": {
      const url = new URL(request.text, "https://reader.test");
      let path = url.pathname;
      try { path = decodeURIComponent(path); } catch (e) { /* keep it encoded, as a server would */ }
      return { ok: path };
    }
    default:
      return { error: "unknown op" };
  }
}

const rl = readline.createInterface({ input: process.stdin });
rl.on("line", (line) => {
  let reply;
  try { reply = answer(JSON.parse(line)); } catch (e) { reply = { error: String(e && e.message || e) }; }
  process.stdout.write(JSON.stringify(reply) + "\n");
});
