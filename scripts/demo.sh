#!/bin/sh
# make demo: the lawful-interception story on loopback (see docs/demo.md).
# Needs the programs built (make all); runs scripts/demo_li.py, which starts bgf-df and bgfd,
# plays the MGC and the two phones, and stops everything it started. Exit status 0 when every
# step happened as expected, 1 otherwise.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
BUILD=${BUILD:-build}
export BUILD
for p in bgfd bgf-df bgf-licn; do
    if [ ! -x "$BUILD/$p" ]; then
        echo "demo: $BUILD/$p is missing; run make first" >&2
        exit 1
    fi
done
exec timeout 60 python3 scripts/demo_li.py
