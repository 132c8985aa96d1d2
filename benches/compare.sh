#!/usr/bin/env bash
# Whole-process timings of `sesame secret get` beside `pass show` (DESIGN §8), with hyperfine:
#   - with a warm agent, on a vault with the DEFAULT Argon2id (bar: median <= 3 ms, and >= 10x
#     faster than `pass show` in the same run);
#   - cold, without the agent: default Argon2id (one unlock per get), and a minimal KDF, which
#     isolates everything else a cold start costs (bar: <= 50 ms).
# Usage: benches/compare.sh   (installs hyperfine, pass and gnupg with apt when missing;
# builds sesame in release)
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for tool in hyperfine pass gpg; do command -v "$tool" >/dev/null || need+=("$tool"); done
if [ ${#need[@]} -gt 0 ]; then
  pkgs=("${need[@]/gpg/gnupg}")
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
  else
    echo "benches/compare.sh: please install ${pkgs[*]}" >&2
    exit 1
  fi
fi
cargo build --release --quiet
bin=$PWD/target/release/sesame
work=$(mktemp -d)
export XDG_RUNTIME_DIR="$work/run" SESAME_CONFIG="$work/none.toml"
cleanup() {
  SESAME_PASSPHRASE= "$bin" --vault "$work/default" lock >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

pass_phrase="bench passphrase"
SESAME_PASSPHRASE=$pass_phrase "$bin" --vault "$work/default" init >/dev/null 2>&1
SESAME_PASSPHRASE=$pass_phrase SESAME_NO_AGENT=1 "$bin" --vault "$work/default" secret create db --password=s3cret --username=app >/dev/null 2>&1
SESAME_PASSPHRASE=$pass_phrase "$bin" --vault "$work/cold" init >/dev/null 2>&1
SESAME_PASSPHRASE=$pass_phrase SESAME_NO_AGENT=1 "$bin" --vault "$work/cold" secret create db --password=s3cret --username=app >/dev/null 2>&1
SESAME_PASSPHRASE=$pass_phrase "$bin" --vault "$work/fast" init --kdf-memory-mib 1 --kdf-iterations 1 --kdf-parallelism 1 >/dev/null 2>&1
SESAME_PASSPHRASE=$pass_phrase SESAME_NO_AGENT=1 "$bin" --vault "$work/fast" secret create db --password=s3cret --username=app >/dev/null 2>&1
# Warm the agent: one unlock, then every get skips the key derivation.
SESAME_PASSPHRASE=$pass_phrase "$bin" --vault "$work/default" unlock >/dev/null 2>&1

export GNUPGHOME="$work/gnupg" PASSWORD_STORE_DIR="$work/pass"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key bench@example.invalid default default never 2>/dev/null
pass init bench@example.invalid >/dev/null
printf 's3cret\n' | pass insert -e db/password >/dev/null
pass show db/password >/dev/null # warm gpg-agent, as a daily user has it

# hyperfine -N runs commands without a shell: the cold runs read the passphrase from a file.
printf '%s\n' "$pass_phrase" > "$work/passphrase"
cold="--no-agent --passphrase-file $work/passphrase"
hyperfine -N --warmup 10 --runs 60 --export-json "$work/h.json" \
  -n "sesame get, warm agent (default Argon2id vault)" "$bin --vault $work/default --headless secret get db --key password" \
  -n "pass show" "pass show db/password" \
  -n "sesame get, no agent, minimal KDF" "$bin --vault $work/fast $cold secret get db --key password" \
  -n "sesame get, no agent, default Argon2id" "$bin --vault $work/cold $cold secret get db --key password" \
  >/dev/null
python3 - "$work/h.json" <<'PY'
import json, sys
rs = json.load(open(sys.argv[1]))["results"]
for r in rs:
    print(f"median {r['median'] * 1000:7.2f} ms  {r['command']}")
m = {r["command"]: r["median"] for r in rs}
warm = m.get("sesame get, warm agent (default Argon2id vault)")
p = m.get("pass show")
if warm and p:
    print(f"warm sesame get is {p / warm:.1f}x faster than pass show")
PY
