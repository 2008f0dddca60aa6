#!/bin/sh
# Runs each libFuzzer target for a bounded time; fails on any crash, hang or leak.
#   scripts/fuzz.sh SECONDS TARGET...
# The H.248 decoder (fuzz_h248), what the MGC reaches first, gets SECONDS; every other target
# gets FUZZ_OTHER_SECONDS (default SECONDS/3, at least 10) to keep CI short.
set -eu
secs=$1; shift
other=${FUZZ_OTHER_SECONDS:-$((secs / 3 > 10 ? secs / 3 : 10))}
for t in "$@"; do
    name=$(basename "$t")
    corpus=build/fuzz/corpus-$name
    mkdir -p "$corpus"
    seeds=fuzz/seeds/${name#fuzz_}
    s=$other
    [ "$name" = fuzz_h248 ] && s=$secs
    echo "fuzz: $name for ${s}s"
    "$t" -max_total_time="$s" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix=build/fuzz/ "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) 2>build/fuzz/$name.log \
        || { tail -n 40 build/fuzz/$name.log; echo "fuzz: $name FAILED"; exit 1; }
    grep -E 'stat::number_of_executed_units' build/fuzz/$name.log | sed "s/^/fuzz: $name /"
done
