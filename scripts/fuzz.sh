#!/bin/sh
# Runs each libFuzzer target for SECONDS; fails on any crash, hang or leak.
#   scripts/fuzz.sh SECONDS TARGET...
set -eu
secs=$1; shift
for t in "$@"; do
    name=$(basename "$t")
    corpus=build/fuzz/corpus-$name
    mkdir -p "$corpus"
    seeds=fuzz/seeds/${name#fuzz_}
    echo "fuzz: $name for ${secs}s"
    "$t" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix=build/fuzz/ "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) 2>build/fuzz/$name.log \
        || { tail -n 40 build/fuzz/$name.log; echo "fuzz: $name FAILED"; exit 1; }
    grep -E 'stat::number_of_executed_units' build/fuzz/$name.log | sed "s/^/fuzz: $name /"
done
