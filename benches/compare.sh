#!/usr/bin/env bash
# Whole-process timings of `sesame secret get` beside `pass show` (DESIGN §8), with hyperfine.
# Two sesame figures: default Argon2id (a cold start without the agent pays one unlock) and a
# minimal KDF, which isolates everything else a cold start costs (bar: <= 50 ms).
# Usage: benches/compare.sh   (needs: hyperfine, pass, gpg; builds sesame in release)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/sesame
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export SESAME_PASSPHRASE="bench passphrase" SESAME_CONFIG="$work/none.toml"

"$bin" --vault "$work/default" init >/dev/null
"$bin" --vault "$work/default" secret create db --password=s3cret --username=app >/dev/null
"$bin" --vault "$work/fast" init --kdf-memory-mib 1 --kdf-iterations 1 --kdf-parallelism 1 >/dev/null
"$bin" --vault "$work/fast" secret create db --password=s3cret --username=app >/dev/null

cmds=(
  "$bin --vault $work/default secret get db --key password"
  "$bin --vault $work/fast secret get db --key password"
)
names=(-n "sesame get (default Argon2id)" -n "sesame get (minimal KDF)")

if command -v pass >/dev/null && command -v gpg >/dev/null; then
  export GNUPGHOME="$work/gnupg" PASSWORD_STORE_DIR="$work/pass"
  mkdir -m 700 "$GNUPGHOME"
  gpg --batch --passphrase '' --quick-gen-key bench@example.invalid default default never 2>/dev/null
  pass init bench@example.invalid >/dev/null
  printf 's3cret\n' | pass insert -e db/password >/dev/null
  pass show db/password >/dev/null # warm gpg-agent, as a daily user has it
  cmds+=("pass show db/password")
  names+=(-n "pass show")
else
  echo "pass/gpg not installed: timing sesame only" >&2
fi
hyperfine -N --warmup 5 --runs 40 --export-json "$work/h.json" "${names[@]}" "${cmds[@]}"
python3 - "$work/h.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"median {r['median'] * 1000:7.1f} ms  {r['command']}")
PY
