#!/usr/bin/env python3
"""The plain client of the bao push benchmark (DESIGN §8): N KV v2 writes over THREADS
keep-alive connections, nothing else. Prints the seconds taken. The token comes from the
environment (BAO_TOKEN), never argv. Usage: bao_push_plain.py URL PREFIX N THREADS [SCHEMA]
(with SCHEMA, each secret also gets its custom-metadata write, as sesame does)."""
import http.client, json, os, sys, threading, time
from urllib.parse import urlparse

url, prefix, n, threads = urlparse(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
schema = sys.argv[5] if len(sys.argv) > 5 else None
headers = {"X-Vault-Token": os.environ["BAO_TOKEN"], "Content-Type": "application/json"}

def post(conn, path, body):
    conn.request("POST", path, json.dumps(body), headers)
    r = conn.getresponse()
    r.read()
    assert r.status in (200, 204), (r.status, path)

def worker(ids):
    conn = http.client.HTTPConnection(url.hostname, url.port)
    for i in ids:
        name = "%sworkspace/bench-%04d" % (prefix, i)
        data = {"username": "svc-%d" % i, "password": "p%031d" % i}
        post(conn, "/v1/secret/data/" + name, {"options": {"cas": 0}, "data": data})
        if schema:
            post(conn, "/v1/secret/metadata/" + name, {"custom_metadata": {"sesame_schema": schema}})

start = time.perf_counter()
pool = [threading.Thread(target=worker, args=(range(t, n, threads),)) for t in range(threads)]
for t in pool: t.start()
for t in pool: t.join()
print("%.4f" % (time.perf_counter() - start))
