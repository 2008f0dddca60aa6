#!/bin/sh
# Compiles the Erlang modules of tests/erlang (and any extra .erl files named) into OUTDIR.
# Nothing compiled is committed: tests and benchmarks call this at run time.
#   tests/erlang/build.sh OUTDIR [EXTRA.erl ...]
set -eu
out=$1; shift
here=$(cd "$(dirname "$0")" && pwd)
command -v erlc >/dev/null 2>&1 || { echo "erlc not found: scripts/deps.sh test installs erlang" >&2; exit 1; }
ls /usr/lib/erlang/lib/megaco-*/include/megaco.hrl >/dev/null 2>&1 ||
    { echo "megaco's headers are missing: install erlang-dev (scripts/deps.sh test)" >&2; exit 1; }
mkdir -p "$out"
erlc -Werror -o "$out" -I "$here" "$here"/*.erl "$@"
