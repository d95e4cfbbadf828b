#!/bin/sh
# docs/openapi.yaml stays true to the server: the document parses and its
# references resolve; every documented path and method is answered by a
# running cofferd (never 404 or 405), with a status the document lists for
# it and a JSON body whose fields the document names; every other method on
# a documented path is 405; undocumented paths are 404; and every path
# segment the dispatch code in src/api*.c compares against is documented.
#
# Path parameters are filled with real objects made first (the user
# "docuser", the role "docrole", an app password and a token of admin).
# Request bodies are "{}" wherever the document declares a body, so the
# calls that would change something mostly answer 400 and change nothing.
# Needs python3 with the yaml module (Debian: python3-yaml).
set -u
. "${COFFER_SRCDIR:-.}/tests/lib/server.sh"

if ! command -v python3 >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 is not installed"
    exit 0
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "Bail out! python3 cannot import yaml: install python3-yaml"
    exit 1
fi

DOC=${COFFER_SRCDIR:-.}/docs/openapi.yaml
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-openapi-XXXXXX")
cleanup() {
    t_stop
    rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/check.py" <<'EOF'
# check.py MODE DOC SRCDIR [URL PW]: MODE "plan" prints the number of checks;
# MODE "run" prints one line per check: "ok<TAB>name" or
# "not ok<TAB>name<TAB>detail" (detail with "\n" escaped as " | ").
import base64, glob, json, re, sys, urllib.error, urllib.request
import yaml

mode, doc_path, srcdir = sys.argv[1], sys.argv[2], sys.argv[3]
METHODS = ["get", "head", "post", "put", "patch", "delete"]
# Undocumented paths that must be 404 (method, path): the action path
# is probed with POST, the only method the code takes for actions.
UNDOCUMENTED = [
    ("GET", "/api/v1"),
    ("GET", "/api/v1/nonsense"),
    ("GET", "/api/v1/users/docuser/groups/x"),
    ("POST", "/api/v1/users/docuser/nonsense"),
    ("GET", "/api/v1/roles/docrole/x"),
    ("GET", "/api/v1/audit/x"),
    ("GET", "/api/v1/me/nonsense"),
    ("POST", "/api/v1/me/password/x"),
    ("POST", "/api/v1/me/2fa/x"),
    ("GET", "/api/v1/me/tokens/abc"),
]

def report(ok, name, detail=""):
    detail = str(detail).replace("\n", " | ").replace("\t", " ")
    print("%s\t%s\t%s" % ("ok" if ok else "not ok", name, detail), flush=True)


def guarded(name, fn):
    """Runs the check fn (returning (ok, detail)); an exception fails it."""
    try:
        ok, detail = fn()
    except Exception as e:      # noqa: BLE001 - a broken document is a finding
        ok, detail = False, "the check failed: %s: %s" % (type(e).__name__, e)
    report(ok, name, detail)


def load():
    with open(doc_path) as f:
        return yaml.safe_load(f)


try:
    doc = load()
    if not isinstance(doc, dict) or doc.get("openapi") != "3.0.3" or \
            not isinstance(doc.get("paths"), dict) or not doc["paths"]:
        raise ValueError("not an OpenAPI 3.0.3 document with paths")
    parse_error = None
except Exception as e:          # noqa: BLE001 - any failure is the finding
    doc, parse_error = None, "%s: %s" % (doc_path, e)

ops = []                        # (METHOD, template, operation)
if doc is not None:
    for tpl, item in doc["paths"].items():
        for m in METHODS:
            if m in item:
                ops.append((m.upper(), tpl, item[m]))

if mode == "plan":
    # parse, refs, the unauthenticated call, setup, the static check,
    # one per operation, one per path, one per undocumented path
    print(6 + len(ops) + (len(doc["paths"]) if doc else 0) + len(UNDOCUMENTED))
    sys.exit(0)

url, pw = sys.argv[4], sys.argv[5]
AUTH = "Basic " + base64.b64encode(("admin:" + pw).encode()).decode()


def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise KeyError("external reference " + ref)
        node = doc
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def all_refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from all_refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from all_refs(v)


def request(method, path, body=None, auth=True):
    data = None
    req = urllib.request.Request(url + path, method=method)
    if auth:
        req.add_header("Authorization", AUTH)
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, data=data, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def jbody(raw):
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def conform(value, schema, where, errs):
    """Checks value against the parts of schema this document uses."""
    schema = deref(schema)
    if value is None:
        if not schema.get("nullable") and not any(
                deref(s).get("nullable") for s in schema.get("allOf", [])):
            errs.append("%s is null, which the document does not allow" % where)
        return
    if "allOf" in schema:
        props, required = {}, set()
        for s in schema["allOf"]:
            s = deref(s)
            if s.get("type", "object") == "object" and "properties" in s:
                props.update(s.get("properties", {}))
                required.update(s.get("required", []))
            else:
                conform(value, s, where, errs)
        if props:
            conform(value, {"type": "object", "properties": props,
                            "required": sorted(required)}, where, errs)
        return
    t = schema.get("type")
    kinds = {"string": str, "boolean": bool, "array": list, "object": dict}
    if t == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            errs.append("%s is not an integer" % where)
    elif t in kinds and not isinstance(value, kinds[t]):
        errs.append("%s is not of type %s" % (where, t))
    elif t == "string" and "enum" in schema and value not in schema["enum"]:
        errs.append("%s = %r is not in the documented enum" % (where, value))
    elif t == "array":
        for i, v in enumerate(value):
            conform(v, schema.get("items", {}), "%s[%d]" % (where, i), errs)
    elif t == "object" and "properties" in schema:
        for k in schema.get("required", []):
            if k not in value:
                errs.append("%s lacks the required field %r" % (where, k))
        for k, v in value.items():
            if k not in schema["properties"]:
                errs.append("%s has the undocumented field %r" % (where, k))
            else:
                conform(v, schema["properties"][k], "%s.%s" % (where, k), errs)


# ---- 1. the document parses ----
report(parse_error is None, "docs/openapi.yaml parses as OpenAPI 3.0.3 with paths",
       parse_error or "")
if doc is None:
    for i in range(5 + len(UNDOCUMENTED)):
        report(False, "(skipped: the document does not parse)")
    sys.exit(0)

# ---- 2. references resolve, path parameters are declared, responses given ----
errs = []
for ref in sorted(set(all_refs(doc))):
    try:
        deref({"$ref": ref})
    except (KeyError, TypeError) as e:
        errs.append("unresolved $ref %s (%s)" % (ref, e))
for m, tpl, op in ops:
    declared = set()
    for p in doc["paths"][tpl].get("parameters", []) + op.get("parameters", []):
        p = deref(p)
        if p.get("in") == "path":
            declared.add(p["name"])
    for name in re.findall(r"\{([^}]+)\}", tpl):
        if name not in declared:
            errs.append("%s %s: path parameter {%s} is not declared" % (m, tpl, name))
    if not op.get("responses"):
        errs.append("%s %s has no responses" % (m, tpl))
    for tag in op.get("tags", []):
        if tag not in [t["name"] for t in doc.get("tags", [])]:
            errs.append("%s %s: tag %s is not in the tags list" % (m, tpl, tag))
report(not errs, "every $ref resolves, path parameters are declared, tags listed",
       " | ".join(errs))

# ---- 3. without credentials: 401, the challenge, the error format ----
def check_unauthenticated():
    st, hd, raw = request("GET", "/api/v1/users", auth=False)
    errs = []
    if st != 401:
        errs.append("status %d, not 401" % st)
    if not any(k.lower() == "www-authenticate" for k in hd):
        errs.append("no WWW-Authenticate header")
    conform(jbody(raw), {"$ref": "#/components/schemas/Error"}, "body", errs)
    return not errs, " | ".join(errs)


guarded("a call without credentials: 401, WWW-Authenticate, an Error body",
        check_unauthenticated)

# ---- 4. the objects the path parameters name ----
fill = {}
errs = []
steps = [
    ("POST", "/api/v1/users", {"login": "docuser", "email": "docuser@example.com",
                               "role": "external"}, 201, None),
    ("PUT", "/api/v1/roles/docrole", {"faculties": ["upload"]}, 200, None),
    ("POST", "/api/v1/me/app-passwords", {"name": "openapi test"}, 201, "apppw"),
    ("POST", "/api/v1/me/tokens", {"name": "openapi test"}, 201, "token"),
    ("POST", "/api/v1/groups", {"name": "docrole"}, 201, None),
    ("PUT", "/api/v1/groups/docrole/members/user/docuser", {"role": "reader"}, 200, None),
    ("PUT", "/api/v1/group-roles/docrole", {"faculties": ["read"]}, 200, None),
    ("PUT", "/api/v1/element-roles/docrole", {"faculties": ["read"]}, 200, None),
    ("POST", "/api/v1/repositories", {"name": "docrole"}, 201, None),
    ("POST", "/api/v1/repositories/docrole/grants", {"user": "docuser", "role": "read"}, 201,
     "grant"),
]
for m, path, body, want, key in steps:
    st, hd, raw = request(m, path, body)
    if st != want:
        errs.append("%s %s: %d, not %d: %s" % (m, path, st, want, raw[:200]))
    elif key is not None:
        fill[key] = str(jbody(raw)["id"])
report(not errs, "setup: docuser, docrole (a user role, a group with docuser in it, a "
       "group role, an element role, a repository with a grant), an app password and a "
       "token of admin",
       " | ".join(errs))


def concrete(tpl):
    """The request path for a documented template, or None if unknown."""
    values = {"login": "docuser", "name": "docrole", "kind": "user", "principal": "docuser"}
    if tpl.startswith("/me/app-passwords/"):
        values["id"] = fill.get("apppw")
    elif tpl.startswith("/me/tokens/"):
        values["id"] = fill.get("token")
    elif tpl.startswith("/repositories/{name}/grants/"):
        values["id"] = fill.get("grant")
    out = tpl
    for name in re.findall(r"\{([^}]+)\}", tpl):
        if values.get(name) is None:
            return None
        out = out.replace("{%s}" % name, values[name])
    return "/api/v1" + out


# ---- 5. the code's dispatch literals are all documented ----
segs = set()
for tpl in doc["paths"]:
    segs.update(s for s in tpl.split("/") if s and not s.startswith("{"))
literals = set()
for f in sorted(glob.glob(srcdir + "/src/api*.c")):
    with open(f) as fh:
        src = fh.read()
    literals.update(re.findall(
        r'strcmp\(\s*(?:c(?:->|\.)seg\[\d+\]|what|action)\s*,\s*"([^"]+)"\s*\)', src))
missing = sorted(literals - segs)
report(bool(literals) and not missing,
       "every path segment src/api*.c dispatches on is documented (%d)" % len(literals),
       "not in any documented path: " + ", ".join(missing) if literals
       else "no dispatch literals found in src/api*.c: update this test")

# ---- 6. other methods on documented paths are 405 (before the calls below) ----
for tpl, item in doc["paths"].items():
    path = concrete(tpl)
    bad = []
    if path is None:
        report(False, "undocumented methods on %s answer 405" % tpl,
               "the test cannot fill the parameters of %s: teach concrete()" % tpl)
        continue
    for m in METHODS:
        if m in item:
            continue
        st, hd, raw = request(m.upper(), path, None if m in ("get", "head") else {})
        if st != 405:
            bad.append("%s %s: %d %s" % (m.upper(), path, st, raw[:160]))
    report(not bad, "undocumented methods on %s answer 405" % tpl, " | ".join(bad))

# ---- 7. each documented call exists and answers as documented ----
# DELETEs last, so that the objects stay for the other calls.
def check_op(m, tpl, op):
    path = concrete(tpl)
    if path is None:
        return False, "the test cannot fill the parameters of %s" % tpl
    st, hd, raw = request(m, path, {} if "requestBody" in op else None)
    errs = []
    if st in (404, 405):
        errs.append("%d: %s" % (st, raw[:200]))
    elif str(st) not in op["responses"]:
        errs.append("status %d is not documented for it: %s" % (st, raw[:200]))
    elif m != "HEAD":
        content = deref(op["responses"][str(st)]).get("content")
        body = jbody(raw)
        if content is None and raw:
            errs.append("%d has a body the document does not describe" % st)
        elif content is not None:
            if body is None:
                errs.append("%d: the body is not JSON: %r" % (st, raw[:200]))
            else:
                conform(body, content["application/json"]["schema"], "body", errs)
    return not errs, " | ".join(errs)


for m, tpl, op in sorted(ops, key=lambda o: o[0] == "DELETE"):
    guarded("%s %s is served as documented" % (m, tpl),
            lambda: check_op(m, tpl, op))

# ---- 8. undocumented paths are 404 ----
for m, path in UNDOCUMENTED:
    st, hd, raw = request(m, path)
    body = jbody(raw) or {}
    code = (body.get("error") or {}).get("code") if isinstance(body, dict) else None
    report(st == 404 and code == "not_found", "%s %s answers 404 not_found" % (m, path),
           "%d: %s" % (st, raw[:200]))

# ---- 9. no undocumented path answers: one segment below each documented path ----
# Every method on each candidate must be 404 or 405 (the code answers 405
# for /users/{login}/<anything> but POST before it looks at the action).
documented = set(concrete(tpl) for tpl in doc["paths"])
words = sorted(literals | {"1", "x"} | set(fill.values()))
cands = set("/api/v1/" + w for w in words)
for p in documented:
    if p is not None:
        cands.update(p + "/" + w for w in words)
# a candidate that fits a documented template (/roles/x) is a documented call
tpl_res = [re.compile("^/api/v1" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(t)) + "$")
           for t in doc["paths"]]
cands = set(c for c in cands if not any(r.match(c) for r in tpl_res))
bad = []
for path in sorted(cands):
    for m in METHODS:
        st, hd, raw = request(m.upper(), path, None if m in ("get", "head") else {})
        if st not in (404, 405):
            bad.append("%s %s: %d %s" % (m.upper(), path, st, raw[:120]))
report(not bad, "no undocumented path answers (%d paths below the documented ones, "
       "every method)" % len(cands), " | ".join(bad))

EOF

if ! N=$(python3 "$WORK/check.py" plan "$DOC" "${COFFER_SRCDIR:-.}"); then
    echo "Bail out! the checks could not be counted"
    exit 1
fi
t_start
python3 "$WORK/check.py" run "$DOC" "${COFFER_SRCDIR:-.}" "$T_URL" "$T_PW" \
    >"$WORK/results" 2>"$WORK/stderr"
rc=$?
t_plan "$N"
tab=$(printf '\t')
while IFS="$tab" read -r status name detail; do
    if [ "$status" = ok ]; then
        t_ok "$name"
    else
        printf '%s\n' "$detail" | tr '|' '\n' >"$WORK/detail"
        t_not_ok "$name" "$WORK/detail"
    fi
done <"$WORK/results"
if [ $rc -ne 0 ] || [ -s "$WORK/stderr" ]; then
    echo "# check.py exited $rc:"
    sed 's/^/# /' "$WORK/stderr"
fi
while [ "$t_n" -lt "$N" ]; do
    t_not_ok "check.py stopped early (see above)"
done
[ "$t_failed" -eq 0 ]
