#!/bin/bash
# Throughput with the detectors and the inventory off/on (BENCHMARKS.md):
# scripts/bench-detectors.sh [CAPTURE], default /tmp/fleet-1m.pcap made by
#   palisade testbed generate --scenario fleet --packets 1000000 --out /tmp/fleet-1m.pcap --labels /tmp/fleet-1m.json
B=target/release/palisade
C=${1:-/tmp/fleet-1m.pcap}
run() { # label args
  local label=$1; shift
  local out=$($B scan --threads 1 --no-builtin-rules --format json -o /tmp/b4out "$@" $C 2>/dev/null | python3 -c "import sys,json; d=json.load(sys.stdin); print(round(d['packets_per_second']/1e6,3))" 2>/dev/null)
  echo "$label $out"
}
for r in 1 2 3 4; do
  run off --no-db --set detectors.enabled=false --set inventory.enabled=false
  run det --no-db --set inventory.enabled=false
  run inv --no-db --set detectors.enabled=false
  run all
done
