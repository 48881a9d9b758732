#!/usr/bin/env bash
# Detection quality over the testbed's labelled scenarios: for each attack
# scenario and seed, generate a capture, run `palisade eval`, and aggregate
# per class (incidents, detected, recall, false alerts, false alerts per 100
# device-hours, median time to detect). Benign fleets measure false alarms.
#
#   scripts/eval.sh [SEEDS] [DURATION] [DEVICES]    default 10 seeds, 10m, 30 devices
#   BENIGN_DURATION=2h scripts/eval.sh              length of each benign fleet capture (profiles
#                                                   learn for 1 h: use 2h to measure them)
#   PROFILE_DURATION=75m scripts/eval.sh             length of profile-violation and exfiltration
#                                                   captures (attack after the 1 h learning window)
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${1:-10}
DURATION=${2:-10m}
DEVICES=${3:-30}
BENIGN_DURATION=${BENIGN_DURATION:-1h}
WORK=${EVAL_DIR:-$(mktemp -d)}
mkdir -p "$WORK"
trap 'if [ -z "${EVAL_DIR:-}" ]; then rm -rf "$WORK"; fi' EXIT
cargo build --release -q -p palisade --bin palisade
BIN=target/release/palisade
SCENARIOS=${SCENARIOS:-"scan slow-scan mirai telnet-default-creds telnet-bruteforce credential-spraying exposed-telnet weak-tls vulnerable-firmware shared-credential syn-flood udp-flood icmp-flood amplification outbound-flood hikvision-exploit kalay-impersonation axeda-access profile-violation exfiltration"}
PROFILE_DURATION=${PROFILE_DURATION:-75m}
run() { # scenario seed duration
  local s=$1 seed=$2 dur=$3
  local cap="$WORK/$s-$seed.pcap"
  "$BIN" testbed generate --scenario "$s" --seed "$seed" --devices "$DEVICES" --duration "$dur" \
    --out "$cap" --labels "$cap.json" >/dev/null 2>&1
  "$BIN" eval --labels "$cap.json" --format json --threads 1 --output-dir "$WORK/out-$s-$seed" "$cap" \
    > "$WORK/$s-$seed.eval.json"
  rm -f "$cap"
  rm -rf "$WORK/out-$s-$seed"
}
for s in $SCENARIOS; do
  dur=$DURATION
  case $s in profile-violation|exfiltration) dur=$PROFILE_DURATION ;; esac
  for seed in $(seq 1 "$SEEDS"); do
    run "$s" "$seed" "$dur"
  done
done
for seed in $(seq 1 "$SEEDS"); do
  run fleet "$seed" "$BENIGN_DURATION"
done
python3 - "$WORK" <<'PY'
import json, glob, sys, statistics
work = sys.argv[1]
agg = {}
benign_dh = 0.0
benign_false = {}
for f in sorted(glob.glob(f"{work}/*.eval.json")):
    r = json.load(open(f))
    benign = r["scenario"] == "fleet"
    dh = r["devices"] * r["hours"]
    if benign:
        benign_dh += dh
    for cls, c in r["classes"].items():
        a = agg.setdefault(cls, {"incidents": 0, "detected": 0, "false": 0, "other": 0, "ttd": [], "missed": []})
        a["other"] += c.get("other_class_alerts", 0)
        a["incidents"] += c["incidents"]
        a["detected"] += c["detected"]
        a["false"] += c["false_alerts"]
        if c["median_time_to_detect_secs"] is not None and c["incidents"]:
            a["ttd"].append(c["median_time_to_detect_secs"])
        a["missed"] += [f"{r['scenario']}/{r['seed']}:{m}" for m in c["missed"]]
        if benign:
            benign_false[cls] = benign_false.get(cls, 0) + c["false_alerts"]
print(f"benign device-hours: {benign_dh:.1f}")
print(f"| class | incidents | detected | recall | false alerts (all runs) | false / 100 device-h (benign) | median TTD (s) | alerts on another class's attack |")
print(f"|---|---|---|---|---|---|---|---|")
for cls in sorted(agg):
    a = agg[cls]
    rec = a["detected"] / a["incidents"] if a["incidents"] else float("nan")
    fph = benign_false.get(cls, 0) * 100 / benign_dh if benign_dh else float("nan")
    ttd = statistics.median(a["ttd"]) if a["ttd"] else float("nan")
    print(f"| {cls} | {a['incidents']} | {a['detected']} | {rec:.3f} | {a['false']} | {fph:.2f} | {ttd:.2f} | {a['other']} |")
for cls in sorted(agg):
    if agg[cls]["missed"]:
        print(f"missed {cls}: {', '.join(agg[cls]['missed'])}")
# Per scenario and class: the same figures, time to detect per scenario.
rows = {}
for f in sorted(glob.glob(f"{work}/*.eval.json")):
    r = json.load(open(f))
    for cls, c in r["classes"].items():
        x = rows.setdefault((r["scenario"], cls), {"inc": 0, "det": 0, "false": 0, "other": 0, "ttd": []})
        x["inc"] += c["incidents"]
        x["det"] += c["detected"]
        x["false"] += c["false_alerts"]
        x["other"] += c.get("other_class_alerts", 0)
        if c["median_time_to_detect_secs"] is not None and c["incidents"]:
            x["ttd"].append(c["median_time_to_detect_secs"])
print()
print("| scenario | class | incidents | detected | false alerts | median TTD (s) | alerts on another class's attack |")
print("|---|---|---|---|---|---|---|")
for (s, cls), x in sorted(rows.items()):
    ttd = f"{statistics.median(x['ttd']):.2f}" if x["ttd"] else "-"
    print(f"| {s} | {cls} | {x['inc']} | {x['det']} | {x['false']} | {ttd} | {x['other']} |")
PY
