#!/usr/bin/env bash
# Whole-process timings of the reference commands with a warm agent (issue 12's bars):
#   render of a file with 1,000 references to 100 secrets (<= 50 ms),
#   check --level SECRET_EXISTS of the same file (<= 30 ms),
#   run -- true (<= 5 ms over a warm `secret get`).
# Usage: benches/refs.sh   (installs hyperfine with apt when missing; builds in release)
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v hyperfine >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null
  else
    echo "benches/refs.sh: please install hyperfine" >&2
    exit 1
  fi
fi
cargo build --release --quiet
bin=$PWD/target/release/sesame
work=$(mktemp -d)
export XDG_RUNTIME_DIR="$work/run" SESAME_CONFIG="$work/none.toml" SESAME_VAULT="$work/vault"
cleanup() {
  "$bin" lock >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

SESAME_PASSPHRASE="bench passphrase" "$bin" init >/dev/null 2>&1
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
secrets = [{"name": f"svc{i:03}", "scope": "workspace", "schema": "arbitrary",
            "values": {"user": f"u{i}", "password": f"p{i}-xxxxxxxx", "url": f"https://h{i}"}}
           for i in range(100)]
json.dump({"sesame_export": 2, "secrets": secrets, "count": len(secrets)}, open(f"{work}/secrets.json", "w"))
with open(f"{work}/big.tmpl", "w") as f:
    for i in range(1000):
        f.write(f"line{i}: {{{{svc{i % 100:03}.password}}}} and more text\n")
PY
SESAME_PASSPHRASE="bench passphrase" "$bin" secret import "$work/secrets.json" >/dev/null 2>&1
SESAME_PASSPHRASE="bench passphrase" "$bin" unlock >/dev/null 2>&1

hyperfine -N --warmup 10 --runs 50 --export-json "$work/h.json" \
  -n "render 1,000 references to 100 secrets" "$bin --headless render $work/big.tmpl -o $work/out.txt" \
  -n "check --level SECRET_EXISTS, same file" "$bin --headless check --level SECRET_EXISTS $work/big.tmpl" \
  -n "secret get (warm agent)" "$bin --headless secret get svc001 --key password" \
  -n "run -- true" "$bin --headless run -- true" \
  -n "run -s svc001 -- true" "$bin --headless run -s svc001 -- true" \
  >/dev/null
python3 - "$work/h.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
for r in rs:
    print(f"median {r['median'] * 1000:7.2f} ms  {r['command']}")
m = {r["command"]: r["median"] for r in rs}
print(f"run -s svc001 -- true over the warm get: {(m['run -s svc001 -- true'] - m['secret get (warm agent)']) * 1000:+.2f} ms")
PY
