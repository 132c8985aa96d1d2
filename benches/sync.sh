#!/usr/bin/env bash
# Issue 13's bars, whole process, against a real OpenBao dev server on loopback:
#   sesame sync push of 1,000 new secrets (<= 2 s, and within 2x of a plain 8-thread
#   keep-alive HTTP client in the same run: benches/bao_push_plain.py, with the metadata
#   write sesame also makes, and without it);
#   sesame sync status of those 1,000 (<= 1 s).
# Five runs each, each push to a fresh prefix. The vault is unlocked in an agent first, so
# no run pays a key derivation. Usage: benches/sync.sh   (needs target/test-venv from
# ./scripts/test; builds in release)
set -euo pipefail
cd "$(dirname "$0")/.."
bao=${SESAME_TEST_BIN_DIR:-$PWD/target/test-venv/bin}/bao
[ -x "$bao" ] || { echo "benches/sync.sh: run ./scripts/test once (it installs bao)" >&2; exit 1; }
cargo build --release --quiet
bin=$PWD/target/release/sesame
work=$(mktemp -d)
export XDG_RUNTIME_DIR="$work/run" SESAME_CONFIG="$work/config.toml" SESAME_VAULT="$work/vault"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token="root-bench-$$"
"$bao" server -dev -dev-root-token-id="$token" -dev-listen-address="127.0.0.1:$port" >"$work/bao.log" 2>&1 &
bao_pid=$!
cleanup() {
  "$bin" lock >/dev/null 2>&1 || true
  kill "$bao_pid" 2>/dev/null || true
  rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
url="http://127.0.0.1:$port"
for _ in $(seq 100); do
  curl -fs "$url/v1/sys/health" >/dev/null 2>&1 && break
  sleep 0.1
done

export SESAME_PASSPHRASE="bench passphrase"
"$bin" init >/dev/null 2>&1
python3 - "$work" <<'PY'
import json, sys
secrets = [{"name": f"bench-{i:04}", "scope": "workspace", "schema": "arbitrary",
            "values": {"username": f"svc-{i}", "password": "p%031d" % i}} for i in range(1000)]
json.dump({"sesame_export": 2, "secrets": secrets, "count": len(secrets)}, open(f"{sys.argv[1]}/s.json", "w"))
PY
"$bin" secret import "$work/s.json" >/dev/null 2>&1
printf 'token=%s\n' "$token" | "$bin" secret create bao -i >/dev/null
"$bin" unlock >/dev/null 2>&1
unset SESAME_PASSPHRASE

secs() { python3 -c 'import sys,time; print("%.3f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }
now() { python3 -c 'import time; print(time.perf_counter())'; }
stats() { python3 -c 'import sys,statistics as s; v=[float(x) for x in sys.argv[1:]]; print("min %.3f  median %.3f  max %.3f" % (min(v), s.median(v), max(v)))' "$@"; }

push=() plain=() plain_meta=() status=()
for run in 1 2 3 4 5; do
  "$bin" backend add "b$run" --flavor vault --option "address=$url" --option 'token={{bao.token}}' --prefix "run$run/" >/dev/null
  t0=$(date +%s.%N); "$bin" sync push "b$run" >/dev/null 2>"$work/push.err"; t1=$(date +%s.%N)
  push+=("$(secs "$t0" "$t1")")
  t0=$(date +%s.%N); "$bin" sync status "b$run" >/dev/null 2>&1; t1=$(date +%s.%N)
  status+=("$(secs "$t0" "$t1")")
  plain+=("$(BAO_TOKEN=$token python3 benches/bao_push_plain.py "$url" "plain$run/" 1000 8)")
  plain_meta+=("$(BAO_TOKEN=$token python3 benches/bao_push_plain.py "$url" "meta$run/" 1000 8 arbitrary)")
done
echo "sesame sync push, 1,000 new secrets:        $(stats "${push[@]}")  s"
echo "plain 8-thread client, data writes only:    $(stats "${plain[@]}")  s"
echo "plain 8-thread client, data + metadata:     $(stats "${plain_meta[@]}")  s"
echo "sesame sync status, 1,000 secrets:          $(stats "${status[@]}")  s"
