#!/bin/sh
# bench/run.sh - what `make bench` runs: builds the benchmark programs, then
#   1. relay capacity and latency (bench/capacity.py): direct, minfwd, rtpengine, dpfwd,
#      bgfd over H.248 when it runs, dpfwd with interception when the data plane has it;
#   2. H.248 call rate against bgfd (bench/callgen) when bgfd builds;
#   3. the H.248 codec against Erlang megaco's (bench/h248/run.sh);
# prints the tables and draws build/bench/relay-capacity.png (gnuplot, bench/plot.gp).
# BENCH_PUBLISH=1 also copies the plot and its data into docs/img/ for docs/performance.md.
# Environment: BUILD (build dir, default build), BENCH_ARGS (extra capacity.py arguments).
# Everything runs on loopback, bounded in time (about 7 minutes), and stops what it starts.
set -u
BUILD=${BUILD:-build}
OUT=$BUILD/bench
mkdir -p "$OUT"
cd "$(dirname "$0")/.." || exit 1

for b in rtpgen minfwd dpfwd callgen; do
    [ -f bench/$b.c ] || continue
    make -s "$BUILD/bench/$b" >"$OUT/build-$b.log" 2>&1 || echo "bench: $b does not build (see $OUT/build-$b.log); skipped"
done
[ -x "$BUILD/bench/rtpgen" ] || { echo "bench: rtpgen does not build" >&2; exit 1; }

# The bench ports (55000-59999) lie inside the kernel's ephemeral range (32768-60999 here): any
# unbound UDP socket on the machine may be given one of them on the wildcard address, and a
# relay's bind then fails with EADDRINUSE. Reserve them (as root) so that only explicit binds
# get them; everything else still works.
rp=/proc/sys/net/ipv4/ip_local_reserved_ports
if [ -w "$rp" ] && ! grep -q '55000-59999' "$rp"; then
    cur=$(cat "$rp")
    echo "${cur:+$cur,}55000-59999" >"$rp" 2>/dev/null && echo "bench: reserved ports 55000-59999 ($rp)"
fi

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r), $(date -u '+%Y-%m-%d %H:%M UTC')"
li=""
grep -q 'li_copy' src/dp/dp.h 2>/dev/null && [ -x "$BUILD/bench/dpfwd" ] && li="--li"
# shellcheck disable=SC2086
python3 bench/capacity.py --build "$BUILD" --out "$OUT" $li ${BENCH_ARGS:-} | tee "$OUT/capacity.txt"
rc=$?

if [ -x "$BUILD/bench/callgen" ] && [ -x "$BUILD/bgfd" ]; then
    python3 bench/callrate.py --build "$BUILD" --out "$OUT" | tee "$OUT/callrate.txt"
fi

# the H.248 codec benchmark (bgf's codec against Erlang megaco's), kept in bench/h248/
if [ -x bench/h248/run.sh ]; then
    BUILD="$BUILD" bench/h248/run.sh | tee "$OUT/h248-codec.txt" || echo "bench: bench/h248/run.sh failed"
fi

relays=""
for r in direct minfwd rtpengine dpfwd dpfwd-tc bgfd dpfwd-li1pc7 dpfwd-li100pc1; do
    [ -s "$OUT/$r.dat" ] && relays="$relays $r"
done
if command -v gnuplot >/dev/null && [ -n "$relays" ]; then
    # x axis: up to the largest N tried on a real relay (direct, the generator alone, goes further)
    xmax=$(for r in $relays; do [ "$r" = direct ] || grep -v '^#' "$OUT/$r.dat"; done |
        awk 'BEGIN{m=0} $1>m{m=$1} END{print int(m*1.15)+1}')
    gnuplot -e "dir='$OUT'; out='$OUT/relay-capacity.png'; relays='$relays'; xmax=$xmax" bench/plot.gp &&
        echo "plot: $OUT/relay-capacity.png"
    if [ "${BENCH_PUBLISH:-0}" = 1 ]; then
        mkdir -p docs/img/bench-data
        cp "$OUT/relay-capacity.png" docs/img/
        for r in $relays; do cp "$OUT/$r.dat" docs/img/bench-data/; done
        echo "published: docs/img/relay-capacity.png, docs/img/bench-data/"
    fi
fi
exit $rc
