#!/usr/bin/env bash
# Prints, side by side in one run, the decode-only floor and the full
# `palisade scan` pipeline on a generated IoT fleet capture: packets/s,
# (app-layer parsers off, then on: every later row has them on),
# Gbit/s and peak RSS, with 1 thread and with all cores.
#
#   scripts/bench.sh [PACKETS] [DEVICES]      default 1000000 packets, 200 devices
#   RSS_CHECK=1 scripts/bench.sh              also scans a 10x longer capture with
#                                             the same fleet and compares peak RSS
#   RULES_DIR=../shared/data/rules            rule sets for the rule rows (default:
#                                             ../shared/data/rules when present):
#                                             et-iot.rules and the whole ET Open set
#
# Needs GNU time (/usr/bin/time; Debian package `time`) for peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${1:-1000000}
DEVICES=${2:-200}
CORES=$(nproc)
WORK=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
trap 'if [ -z "${BENCH_DIR:-}" ]; then rm -rf "$WORK"; fi' EXIT

cargo build --release -q -p palisade --bin palisade --example decode_floor
BIN=target/release/palisade
FLOOR=target/release/examples/decode_floor
[ -x /usr/bin/time ] || { echo "install GNU time (apt-get install time) for peak RSS" >&2; exit 1; }

gen() { # packets file
  [ -f "$2" ] || "$BIN" testbed generate --scenario fleet --seed 1 --devices "$DEVICES" \
      --duration 24h --packets "$1" --out "$2" --labels "$2.labels.json" 2>/dev/null
}

# run NAME CMD...: prints a row; the command prints JSON with packets_per_second
run() {
  local name=$1; shift
  # warm the page cache so the first row is not penalised
  cat "$CAP" >/dev/null
  local out rss
  out=$( { /usr/bin/time -f "RSS %M" "$@" 2>&1 1>&3 | grep '^RSS' >"$WORK/rss"; } 3>&1 )
  rss=$(awk '{print $2}' "$WORK/rss")
  python3 - "$name" "$out" "$rss" <<'PY'
import json, sys
name, out, rss = sys.argv[1], sys.argv[2], int(sys.argv[3])
d = json.loads(out.strip().splitlines()[-1])
print(f"{name:<28} {d['packets']:>10} {d['packets_per_second']:>14,.0f} {d['gbit_per_second']:>9.2f} {rss/1024:>10.1f}")
PY
}

CAP="$WORK/fleet-$PACKETS.pcap"
gen "$PACKETS" "$CAP"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $CORES cores, $(free -g | awk '/Mem:/{print $2}') GiB"
echo "capture: $CAP ($(du -h "$CAP" | cut -f1), $DEVICES devices)"
printf '%-28s %10s %14s %9s %10s\n' "run" "packets" "packets/s" "Gbit/s" "peak MiB"
run "decode-only floor (1 thr)" "$FLOOR" "$CAP"
run "scan, parsers off, 1 thr" "$BIN" scan --format json --no-builtin-rules --set app_layer.enabled=false --threads 1 --output-dir "$WORK/out" "$CAP"
run "scan, no rules, 1 thr" "$BIN" scan --format json --no-builtin-rules --threads 1 --output-dir "$WORK/out" "$CAP"
run "scan, no rules, $CORES thr" "$BIN" scan --format json --no-builtin-rules --threads "$CORES" --output-dir "$WORK/out" "$CAP"
run "scan, builtin rules, 1 thr" "$BIN" scan --format json --threads 1 --output-dir "$WORK/out" "$CAP"
RULES_DIR=${RULES_DIR:-../shared/data/rules}
if [ -f "$RULES_DIR/et-iot.rules" ]; then
  run "scan, et-iot.rules, 1 thr" "$BIN" scan --format json --no-builtin-rules --rules "$RULES_DIR/et-iot.rules" --threads 1 --output-dir "$WORK/out" "$CAP"
  ET=("$RULES_DIR"/et-open/*/)
  ET_ARGS=(); for d in "${ET[@]}"; do ET_ARGS+=(--rules "$d"); done
  run "scan, ET Open, 1 thr" "$BIN" scan --format json --no-builtin-rules "${ET_ARGS[@]}" --threads 1 --output-dir "$WORK/out" "$CAP"
  run "scan, ET Open, $CORES thr" "$BIN" scan --format json --no-builtin-rules "${ET_ARGS[@]}" --threads "$CORES" --output-dir "$WORK/out" "$CAP"
fi

if [ -n "${RSS_CHECK:-}" ]; then
  BIG="$WORK/fleet-$((PACKETS * 10)).pcap"
  gen "$((PACKETS * 10))" "$BIG"
  echo "peak RSS when the capture grows 10x with the same fleet ($(du -h "$BIG" | cut -f1)):"
  CAP="$BIG"
  run "scan 10x --threads 1" "$BIN" scan --format json --threads 1 --output-dir "$WORK/out" "$BIG"
  run "scan 10x --threads $CORES" "$BIN" scan --format json --threads "$CORES" --output-dir "$WORK/out" "$BIG"
fi
