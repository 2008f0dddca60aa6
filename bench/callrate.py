#!/usr/bin/env python3
"""callrate.py - H.248 call set-up and release rate of bgfd (issue 3's benchmark).

Starts bgfd (one data-plane worker; bgfd on CPU 1, SCHED_FIFO when allowed) with the benchmark
configuration of h248bench.py, then runs bench/callgen (on CPU 0) with several numbers of
calls in flight: each call is Add ip/$ into Context $, Add into that context, Subtract *.
Prints a table of calls/s and transaction latency p50/p99, and writes OUT/callrate.json.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import h248bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--windows", default="1,16,64,256")
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--rt", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rt = ["chrt", "-f", "10"] if args.rt and subprocess.run(["chrt", "-f", "10", "true"]).returncode == 0 else []
    # bgfd as configured by default (fast_path = auto: the kernel fast path when root)
    conf = h248bench.bgfd_conf(max_gates=9600, extra_media="fast_path = auto")
    p = h248bench.start_bgfd(args.build, args.out, conf, "1", rt)
    exe = os.path.join(args.build, "bench", "callgen")
    rows, res = [], []
    try:
        first = True
        for k, w in enumerate([int(x) for x in args.windows.split(",")]):
            cmd = ["taskset", "-c", "0"] + rt + [exe, "-b", "127.0.0.1:%d" % h248bench.CTL_PORT,
                                                 "-m", "127.0.0.1:%d" % h248bench.MGC_PORT,
                                                 "-d", str(args.seconds), "-w", str(w),
                                                 "-T", str(k * 100000000)]
            if not first:
                cmd.append("-n")
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
            first = False
            r = {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", out.stdout)}
            if not r:
                print("callgen (%d in flight) failed: %s" % (w, out.stderr.strip()))
                if p.poll() is not None:
                    break
                continue
            res.append(r)
            if out.stderr.strip():
                print("  " + out.stderr.strip().replace("\n", "\n  "))
            print("  %4d in flight: %7.0f calls/s  p50 %8.1f us  p99 %8.1f us  errors %d  retrans %d"
                  % (w, r["calls_per_s"], r["p50_us"], r["p99_us"], r["errors"], r["retrans"]),
                  flush=True)
            rows.append((w, "%.0f" % r["calls_per_s"], "%.0f" % (3 * r["calls_per_s"]),
                         "%.1f" % r["p50_us"], "%.1f" % r["p99_us"], int(r["errors"]),
                         int(r["retrans"])))
            time.sleep(0.5)
    finally:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    with open(os.path.join(args.out, "callrate.json"), "w") as f:
        json.dump(res, f, indent=1)
    hdr = ["in flight", "calls/s", "transactions/s", "p50 us", "p99 us", "errors", "retrans"]
    w = [max(len(h), *(len(str(r[i])) for r in rows)) if rows else len(h) for i, h in enumerate(hdr)]
    print("\nH.248 call rate against bgfd (Add, Add, Subtract *; UDP; bgfd on one core)")
    print("| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |")
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for r in rows:
        print("| " + " | ".join(str(r[i]).ljust(w[i]) for i in range(len(w))) + " |")
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main())
