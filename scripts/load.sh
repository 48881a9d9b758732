#!/usr/bin/env bash
# Live-capture load test of `palisade sensor`: replays a generated fleet
# capture with tcpreplay into a veth pair between two network namespaces the
# script creates (and removes on exit), at rising packet rates, with the
# sensor capturing on the other end (AF_PACKET), for 1 and for 2 workers.
# Prints the highest rate without loss and the first lossy rate.
#
#   sudo scripts/load.sh [PACKETS] [DEVICES]   default 1000000 packets, 200 devices
#
# A step replays RATE x DURATION packets at RATE packets/s (tcpreplay --pps,
# the capture looped as often as needed), waits SETTLE seconds for the
# kernel ring to drain, then stops the sensor with SIGTERM and reads its JSON
# summary. A step is clean when the sensor reports kernel_drops == 0 and
# processed at least as many packets as tcpreplay sent. A lossy step says
# where: lossy:ring (AF_PACKET ring full, the sensor's kernel_drops),
# lossy:kernel (the socket was offered fewer packets than sent: dropped on
# the way, e.g. the veth's backlog, net.core.netdev_max_backlog),
# lossy:internal (read from the ring but not processed). Rates double from
# the first of RATES until one is lossy, then BISECT bisection steps narrow
# the gap between the last clean and the first lossy rate. A rate tcpreplay itself cannot reach (under 95% of it) ends
# the search; one last step then replays TOP_PACKETS with --topspeed (as
# fast as tcpreplay can): clean means the sensor kept up with everything the
# sender could do.
#
# Environment:
#   PALISADE=path       the binary (default: $CARGO_TARGET_DIR or target, /release/palisade;
#                       built with `cargo build --release -p palisade` when missing)
#   WORKERS="1 2"       --threads values to test
#   RATES="25000"       first rate (packets/s); a list gives the steps explicitly
#   DURATION=10         seconds of traffic per step
#   SETTLE=2            seconds between the end of the replay and SIGTERM
#   BISECT=4            bisection steps between the last clean and first lossy rate
#   TOP_PACKETS=4000000 packets of the final step at tcpreplay --topspeed (run when
#                       tcpreplay could not reach a paced rate)
#   SENDERS=1           concurrent tcpreplay processes, each sending 1/SENDERS of the
#                       rate (one tcpreplay tops out near 200k packets/s on a small VM)
#   SENSOR_ARGS=""      extra sensor options (e.g. "--no-builtin-rules")
#   KEEP=1              keep the work directory (captures, per-step outputs)
#
# Needs root (namespaces, AF_PACKET), iproute2, tcpreplay and python3.
# The sender and the sensor share the machine's cores: on a small machine
# the figures are a floor for the sensor alone.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKETS=${1:-1000000}
DEVICES=${2:-200}
WORKERS=${WORKERS:-"1 2"}
RATES=${RATES:-25000}
DURATION=${DURATION:-10}
SETTLE=${SETTLE:-2}
BISECT=${BISECT:-4}
TOP_PACKETS=${TOP_PACKETS:-4000000}
SENDERS=${SENDERS:-1}
SENSOR_ARGS=${SENSOR_ARGS:-}
BIN=${PALISADE:-${CARGO_TARGET_DIR:-target}/release/palisade}

die() { echo "load.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, AF_PACKET)"
for t in ip tcpreplay python3; do
  command -v "$t" >/dev/null 2>&1 || die "needs $t"
done
if [ ! -x "$BIN" ]; then
  [ -z "${PALISADE:-}" ] || die "$BIN: not an executable"
  cargo build --release -q -p palisade --bin palisade
fi

WORK=$(mktemp -d /tmp/palisade-load.XXXXXX)
TAG="pl$$"
TX_NS="$TAG-tx"
RX_NS="$TAG-rx"
TX_IF="${TAG}t"
RX_IF="${TAG}r"
SENSOR_PID=""
REPLAY_PIDS=()

cleanup() {
  # only what this script started, by pid
  for pid in "${REPLAY_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -z "$SENSOR_PID" ] || kill -KILL "$SENSOR_PID" 2>/dev/null || true
  ip netns del "$TX_NS" 2>/dev/null || true
  ip netns del "$RX_NS" 2>/dev/null || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

CAP="$WORK/fleet-$PACKETS.pcap"
"$BIN" testbed generate --scenario fleet --seed 1 --devices "$DEVICES" --duration 24h \
  --packets "$PACKETS" --out "$CAP" --labels "$CAP.labels.json" 2>/dev/null

ip netns add "$TX_NS"
ip netns add "$RX_NS"
ip link add "$TX_IF" mtu 9000 type veth peer name "$RX_IF" mtu 9000
ip link set "$TX_IF" netns "$TX_NS"
ip link set "$RX_IF" netns "$RX_NS"
for ns in "$TX_NS" "$RX_NS"; do
  # no router solicitations or MLD reports of the namespaces' own in the counts
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$TX_NS" link set "$TX_IF" up
ip -n "$RX_NS" link set "$RX_IF" up

# user + system CPU ticks of a process (all its threads)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# step WORKERS RATE: sets STEP_LINE to
# "rate_asked pps mbps sent seen drops sensor_cpu verdict"
# (not run in a subshell: the cleanup trap must know the pids)
step() {
  local workers=$1 rate=$2 out="$WORK/step-$1-$2"
  mkdir -p "$out"
  # shellcheck disable=SC2086
  ip netns exec "$RX_NS" "$BIN" sensor --interface "$RX_IF" --format json --no-db \
    --threads "$workers" --output-dir "$out/out" $SENSOR_ARGS \
    >"$out/summary.json" 2>"$out/stderr" &
  SENSOR_PID=$!
  local t=0
  until grep -q "palisade sensor: reading" "$out/stderr" 2>/dev/null; do
    kill -0 "$SENSOR_PID" 2>/dev/null || { cat "$out/stderr" >&2; die "the sensor did not start"; }
    sleep 0.1
    t=$((t + 1))
    [ "$t" -lt 300 ] || die "the sensor did not start within 30 s"
  done
  local pace=(--topspeed --limit=$((TOP_PACKETS / SENDERS)))
  [ "$rate" = top ] || pace=(--pps=$((rate / SENDERS)) --limit=$((rate * DURATION / SENDERS)))
  local i pid cpu0 cpu1 t0 t1
  cpu0=$(cpu_ticks "$SENSOR_PID")
  t0=$(date +%s.%N)
  REPLAY_PIDS=()
  for i in $(seq "$SENDERS"); do
    ip netns exec "$TX_NS" tcpreplay --intf1="$TX_IF" "${pace[@]}" \
      --loop=0 --preload-pcap "$CAP" >"$out/tcpreplay.$i" 2>&1 &
    REPLAY_PIDS+=($!)
  done
  for pid in "${REPLAY_PIDS[@]}"; do
    wait "$pid" || { cat "$out"/tcpreplay.* >&2; die "tcpreplay failed"; }
  done
  REPLAY_PIDS=()
  cpu1=$(cpu_ticks "$SENSOR_PID")
  t1=$(date +%s.%N)
  sleep "$SETTLE"
  kill -TERM "$SENSOR_PID"
  wait "$SENSOR_PID" || { cat "$out/stderr" >&2; die "the sensor failed"; }
  SENSOR_PID=""
  (python3 - "$rate" "$(((cpu1 - cpu0) * 100 / $(getconf CLK_TCK)))" "$t0" "$t1" \
    "$out/summary.json" "$out"/tcpreplay.* <<'PY'
import json, re, sys
rate, summary = sys.argv[1], json.load(open(sys.argv[5]))
# the sensor's CPU time during the replay, in % of one core
cpu = int(sys.argv[2]) / max(float(sys.argv[4]) - float(sys.argv[3]), 1e-3)
sent = mbps = pps = 0
# concurrent senders: their rates add up
for f in sys.argv[6:]:
    replay = open(f).read()
    sent += int(re.search(r"Successful packets:\s+(\d+)", replay).group(1))
    m = re.search(r"Rated:\s+[\d.]+ Bps,\s+([\d.]+) Mbps,\s+([\d.]+) pps", replay)
    mbps += float(m.group(1))
    pps += float(m.group(2))
seen, drops = summary["packets"], summary["kernel_drops"]
# what the kernel passed to the socket, its ring drops included
offered = sum(s["kernel_packets"] for s in summary["sources"])
if drops > 0:
    verdict = "lossy:ring"          # the AF_PACKET ring was full
elif offered < sent:
    verdict = "lossy:kernel"        # lost before the socket (veth backlog)
elif seen < sent:
    verdict = "lossy:internal"      # read from the ring, not processed
elif rate != "top" and pps < 0.95 * int(rate):
    verdict = "sender-limit"
else:
    verdict = "clean"
print(rate, round(pps), round(mbps, 1), sent, seen, drops, f"{cpu:.0f}%", verdict)
PY
  ) >"$out/result"
  STEP_LINE=$(cat "$out/result")
}

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; $(uname -r)"
echo "capture: $CAP ($(du -h "$CAP" | cut -f1), $PACKETS packets, $DEVICES devices), $DURATION s per step"
echo "sender:  $SENDERS x tcpreplay --intf1=$TX_IF --pps=RATE/$SENDERS --loop=0 --preload-pcap (last step: --topspeed)"
echo "sensor:  $BIN sensor --interface $RX_IF --format json --no-db --threads W $SENSOR_ARGS"
RESULTS=()
for w in $WORKERS; do
  printf '\n%-7s %10s %10s %9s %10s %10s %8s %6s  %s\n' workers requested pps Mbit/s sent seen drops cpu verdict
  clean_pps="" clean_mbps="" lossy="" lossy_pps="" limit="" verdict=""
  record() { # rate line
    printf '%-7s %10s %10s %9s %10s %10s %8s %6s  %s\n' "$w" $2
    set -- $2
    verdict=$8
    case $8 in
      clean) clean_pps=$2 clean_mbps=$3 ;;
      sender-limit) clean_pps=$2 clean_mbps=$3 limit=1 ;;
      lossy*) lossy=$1 lossy_pps=$2 ;;
    esac
  }
  # explicit list, or doubling from the first rate, up to the first lossy one
  set -- $RATES
  lo=""
  if [ $# -gt 1 ]; then
    for r in "$@"; do
      step "$w" "$r"; record "$r" "$STEP_LINE"
      [ "$verdict" = clean ] || break
      lo=$r
    done
  else
    r=$1
    while :; do
      step "$w" "$r"; record "$r" "$STEP_LINE"
      [ "$verdict" = clean ] || break
      lo=$r
      r=$((r * 2))
    done
  fi
  if [ "${verdict%%:*}" = lossy ] && [ -n "$lo" ]; then
    hi=$lossy hi_pps=$lossy_pps
    for _ in $(seq "$BISECT"); do
      mid=$(((lo + hi) / 2))
      step "$w" "$mid"; record "$mid" "$STEP_LINE"
      case $verdict in
        clean) lo=$mid ;;
        lossy*) hi=$mid hi_pps=$lossy_pps ;;
        *) break ;;
      esac
    done
    lossy=$hi lossy_pps=$hi_pps
  fi
  if [ -n "$limit" ]; then
    # the sender's pacing is the limit: once more with tcpreplay flat out
    step "$w" top; record top "$STEP_LINE"
    if [ "$verdict" = clean ]; then
      note=" (tcpreplay --topspeed; it reached no more)"
    else
      note=" (paced; tcpreplay reached no more)"
      lossy=top
    fi
  else
    note=""
  fi
  first_lossy="-"
  [ -z "$lossy" ] || first_lossy="$lossy (sent at $lossy_pps)"
  RESULTS+=("$w|${clean_pps:--}$note|${clean_mbps:--}|$first_lossy")
done

echo
echo "| workers | highest clean rate (packets/s, as sent) | Mbit/s | first lossy rate (packets/s asked) |"
echo "|---|---|---|---|"
for r in "${RESULTS[@]}"; do
  IFS='|' read -r w pps mbps lossy <<<"$r"
  echo "| $w | $pps | $mbps | $lossy |"
done
