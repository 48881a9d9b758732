#!/usr/bin/env bash
# Prints, side by side in one run, the decode-only floor and the full
# `palisade scan` pipeline on a generated IoT fleet capture: packets/s,
# (app-layer parsers off, then on: every later row has them on),
# Gbit/s and peak RSS, with 1 thread and with all cores.
#
#   scripts/bench.sh [PACKETS] [DEVICES]      default 1000000 packets, 200 devices
#   ROUNDS=5 scripts/bench.sh                 rounds (default 3): every row runs once
#                                             per round, rows alternated, and the
#                                             median is printed (a VM's speed can
#                                             move by 2x between runs; compare
#                                             medians, and ratios within rounds)
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
ROUNDS=${ROUNDS:-3}
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

# run NAME ROUND CMD...: prints NAME, ROUND, packets, packets/s, Gbit/s,
# peak RSS (KiB) tab-separated; the command prints JSON with packets_per_second
run() {
  local name=$1 round=$2; shift 2
  # warm the page cache so the first row is not penalised
  cat "$CAP" >/dev/null
  local out rss
  out=$( { /usr/bin/time -f "RSS %M" "$@" 2>&1 1>&3 | grep '^RSS' >"$WORK/rss"; } 3>&1 )
  rss=$(awk '{print $2}' "$WORK/rss")
  python3 - "$name" "$round" "$out" "$rss" <<'PY'
import json, sys
name, rnd, out, rss = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
d = json.loads(out.strip().splitlines()[-1])
print(f"{name}\t{rnd}\t{d['packets']}\t{d['packets_per_second']}\t{d['gbit_per_second']}\t{rss/1024}")
PY
}

CAP="$WORK/fleet-$PACKETS.pcap"
gen "$PACKETS" "$CAP"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $CORES cores, $(free -g | awk '/Mem:/{print $2}') GiB"
echo "capture: $CAP ($(du -h "$CAP" | cut -f1), $DEVICES devices); $ROUNDS rounds, rows alternated within each"

# rows: NAME<TAB>COMMAND (bash words)
ROWS=()
row() { ROWS+=("$1"$'\t'"$2"); }
row "decode-only floor (1 thr)" "$FLOOR \"\$CAP\""
row "scan, parsers off, 1 thr" "$BIN scan --format json --no-builtin-rules --set app_layer.enabled=false --threads 1 --output-dir \"\$WORK/out\" \"\$CAP\""
row "scan, no rules, 1 thr" "$BIN scan --format json --no-builtin-rules --threads 1 --output-dir \"\$WORK/out\" \"\$CAP\""
row "scan, no rules, $CORES thr" "$BIN scan --format json --no-builtin-rules --threads $CORES --output-dir \"\$WORK/out\" \"\$CAP\""
row "scan, builtin rules, 1 thr" "$BIN scan --format json --threads 1 --output-dir \"\$WORK/out\" \"\$CAP\""
RULES_DIR=${RULES_DIR:-../shared/data/rules}
if [ -f "$RULES_DIR/et-iot.rules" ]; then
  ET_ARGS=""; for d in "$RULES_DIR"/et-open/*/; do ET_ARGS="$ET_ARGS --rules $d"; done
  row "scan, et-iot.rules, 1 thr" "$BIN scan --format json --no-builtin-rules --rules $RULES_DIR/et-iot.rules --threads 1 --output-dir \"\$WORK/out\" \"\$CAP\""
  row "scan, ET Open, 1 thr" "$BIN scan --format json --no-builtin-rules $ET_ARGS --threads 1 --output-dir \"\$WORK/out\" \"\$CAP\""
  row "scan, ET Open, $CORES thr" "$BIN scan --format json --no-builtin-rules $ET_ARGS --threads $CORES --output-dir \"\$WORK/out\" \"\$CAP\""
fi

: >"$WORK/results.tsv"
for round in $(seq 1 "$ROUNDS"); do
  for r in "${ROWS[@]}"; do
    name=${r%%$'\t'*}; cmd=${r#*$'\t'}
    run "$name" "$round" bash -c "CAP='$CAP' WORK='$WORK'; $cmd" >>"$WORK/results.tsv"
  done
  echo "round $round done" >&2
done
python3 - "$WORK/results.tsv" <<'PY'
import statistics, sys, collections
rows = collections.OrderedDict()
by_round = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    name, rnd, packets, pps, gbps, rss = line.rstrip("\n").split("\t")
    rows.setdefault(name, []).append((int(packets), float(pps), float(gbps), float(rss)))
    by_round[rnd][name] = float(pps)
print(f"{'run':<28} {'packets':>10} {'packets/s':>14} {'(min-max)':>23} {'Gbit/s':>7} {'peak MiB':>9}")
for name, v in rows.items():
    pps = [x[1] for x in v]
    med = statistics.median(pps)
    gb = statistics.median(x[2] for x in v)
    print(f"{name:<28} {v[0][0]:>10} {med:>14,.0f} {f'({min(pps):,.0f}-{max(pps):,.0f})':>23} {gb:>7.2f} {max(x[3] for x in v):>9.1f}")
def ratio(a, b):
    rs = sorted(r[a] / r[b] for r in by_round.values() if a in r and b in r)
    if rs:
        print(f"{a} / {b}: median {statistics.median(rs):.2f} over {len(rs)} rounds ({rs[0]:.2f}-{rs[-1]:.2f})")
names = list(rows)
multi = [n for n in names if n.startswith("scan, no rules,") and not n.endswith(" 1 thr")]
for m in multi:
    ratio(m, "scan, no rules, 1 thr")
if "scan, ET Open, 1 thr" in rows:
    ratio("scan, ET Open, 1 thr", "scan, no rules, 1 thr")
PY

if [ -n "${RSS_CHECK:-}" ]; then
  BIG="$WORK/fleet-$((PACKETS * 10)).pcap"
  gen "$((PACKETS * 10))" "$BIG"
  echo "peak RSS when the capture grows 10x with the same fleet ($(du -h "$BIG" | cut -f1)):"
  CAP="$BIG"
  for t in 1 "$CORES"; do
    run "scan 10x --threads $t" 1 "$BIN" scan --format json --threads "$t" --output-dir "$WORK/out" "$BIG" |
      awk -F'\t' '{printf "%-28s %10s %14.0f %9.2f %10.1f\n", $1, $3, $4, $5, $6}'
  done
fi
