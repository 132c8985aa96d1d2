#!/usr/bin/env python3
"""sesame exec plugin (protocol 1, README "Writing a backend plugin"): secrets in one JSON
file, given as the first argument. An example to copy, not a secure store."""
import json, os, sys

def handle(req, path):
    db = json.load(open(path)) if os.path.exists(path) else {}
    op, key = req["op"], "%s/%s" % (req.get("scope"), req.get("name"))
    if op == "hello": return {"protocol": 1}
    if op == "test": return {"message": "%d secrets in %s" % (len(db), path)}
    if op == "list":
        return {"secrets": [{"scope": k.split("/", 1)[0], "name": k.split("/", 1)[1],
                             "version": str(s["version"])} for k, s in db.items()]}
    if op == "get": return {"secret": dict(db[key], version=str(db[key]["version"])) if key in db else None}
    cur, expect = db.get(key), req["expect"]
    if expect["kind"] == "absent" and cur or expect["kind"] == "version" and (
            not cur or str(cur["version"]) != expect["version"]):
        raise LookupError("conflict", "%s is not in the expected state" % key)
    if op == "delete" and not cur and expect["kind"] == "any": raise LookupError("not_found", key)
    if op == "put":
        db[key] = {"version": os.urandom(8).hex(), "schema": req["schema"], "values": req["values"]}
    else: db.pop(key, None)
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f: json.dump(db, f)
    os.replace(path + ".tmp", path)
    return {"version": str(db[key]["version"])} if op == "put" else {}

for line in sys.stdin:
    try: answer = dict(handle(json.loads(line), sys.argv[1]), ok=True)
    except LookupError as e: answer = {"ok": False, "error": {"kind": e.args[0], "message": e.args[1]}}
    except Exception as e: answer = {"ok": False, "error": {"kind": "unavailable", "message": str(e)}}
    print(json.dumps(answer), flush=True)
