#!/bin/sh
# Runs bgf's tests and prints one summary line: "N passed, N failed, N skipped".
#   tests/run.sh [all|unit|it] [FILTER]
# Unit tests are the cmocka binaries build/tests/MOD/test_*; integration tests are the
# executables tests/MOD/it_* (shell or Python). Every test speaks TAP on standard output:
# "ok N - name", "not ok N - name", "ok N - name # SKIP reason". A program that exits non-zero
# or prints fewer results than its plan counts one extra failure, so a crash is never a pass.
set -u
kind=${1:-all}
filter=${2:-}
BUILD=${BUILD:-build}
export BUILD
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
log=$BUILD/test-logs
mkdir -p "$log"
pass=0 fail=0 skip=0

run_one() { # $1 = program, $2 = label
    out=$log/$(echo "$2" | tr '/' '_').tap
    start=$(date +%s)
    CMOCKA_MESSAGE_OUTPUT=TAP timeout "${TEST_TIMEOUT:-600}" "$1" >"$out" 2>"$out.err"
    rc=$?
    secs=$(( $(date +%s) - start ))
    # cmocka 1.1 marks a skipped test "not ok N # SKIP name"; TAP proper says "ok N # SKIP"
    p=$(grep -E '^ok [0-9]+' "$out" | grep -civE '# *skip' | tr -d ' ')
    s=$(grep -ciE '^(not )?ok [0-9]+.*# *skip' "$out" | tr -d ' ')
    f=$(grep -E '^not ok [0-9]+' "$out" | grep -civE '# *skip' | tr -d ' ')
    plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
    extra=0
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then extra=1; fi
    if [ -n "$plan" ] && [ $((p + s + f)) -lt "$plan" ]; then extra=1; fi
    f=$((f + extra))
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    status=ok; [ "$f" -gt 0 ] && status=FAIL
    printf '%-4s %-44s %3d passed %3d failed %3d skipped  (%ds)\n' "$status" "$2" "$p" "$f" "$s" "$secs"
    if [ "$f" -gt 0 ]; then
        grep -E '^not ok' "$out" | grep -viE '# *skip' | sed 's/^/       /'
        [ "$extra" -eq 1 ] && echo "       exit status $rc; last lines:" && tail -n 15 "$out.err" | sed 's/^/       | /'
    fi
    grep -iE '^(not )?ok [0-9]+.*# *skip' "$out" | sed 's/^/       /' | head -n 5
}

if [ "$kind" = all ] || [ "$kind" = unit ]; then
    for t in $(find "$BUILD/tests" -path "$BUILD/tests/helpers" -prune -o -type f -name 'test_*' -perm -u+x -print 2>/dev/null | sort); do
        label=${t#"$BUILD"/tests/}
        case $label in *"$filter"*) run_one "$t" "$label" ;; esac
    done
fi
if [ "$kind" = all ] || [ "$kind" = it ]; then
    for t in $(find tests -type f -name 'it_*' -perm -u+x | sort); do
        label=${t#tests/}
        case $label in *"$filter"*) run_one "$t" "$label" ;; esac
    done
fi
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
