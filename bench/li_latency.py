#!/usr/bin/env python3
"""li_latency.py - does interception delay the originals? p99 forwarding latency of bgf's data
plane (dpfwd) with and without interception, with an A/A control for the method's resolution.

Arms, all at the same N calls (default 350, about half of dpfwd's capacity on one core):
  A   dpfwd, no interception
  A2  dpfwd, no interception again (the A/A control: same relay, same settings)
  B   dpfwd with 1 % of calls mirrored to 7 targets (the default share limit, the most copies)
Many short rounds; each round runs every arm once, in a fresh random order, so that drift of
the shared machine falls on all arms alike. Pinning as in capacity.py: generator (rtpgen) on
CPU 0, relay on CPU 1, both SCHED_FIFO. Every arm's generator has the interception sink open.
rtpgen writes its latency histogram (100 ns buckets) per round; the histograms of all rounds of
an arm are merged and the percentiles taken from the merged histogram. A bootstrap over rounds
(resampling whole rounds) gives a 95 % interval for each difference.

Prints a table and writes OUT/li-latency.json. Python 3 stdlib only.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import capacity as cap  # noqa: E402


def run_round(args, relay, n, hist_path):
    """One measurement: start the relay with n calls, run rtpgen, return (stats, histogram)."""
    path = relay.prepare(n, args.socks)
    try:
        cmd = cap.pinned(args.gen_cpu) + [args.rtpgen, "-f", path, "-d", str(args.measure),
               "-w", str(args.warmup), "-r", str(args.ramp), "-S", cap.LI_SINK, "-H", hist_path]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError("rtpgen failed: " + out.stderr.strip())
    finally:
        relay.release()
    st = {k: float(v) for k, v in (kv.split("=") for kv in out.stdout.split())}
    h = {}
    with open(hist_path) as f:
        for line in f:
            ub, c = line.split()
            h[int(ub)] = int(c)
    return st, h


def merge(hists):
    out = {}
    for h in hists:
        for k, c in h.items():
            out[k] = out.get(k, 0) + c
    return out


def pct(h, p):
    """Percentile (µs) of a merged histogram: the upper bound of the bucket holding rank p*n."""
    n = sum(h.values())
    if not n:
        return float("nan")
    want, acc = min(int(p * n), n - 1), 0
    for k in sorted(h):
        acc += h[k]
        if acc > want:
            return k / 1000.0
    return float("nan")


def boot(ra, rb, p, reps, rng):
    """95 % interval of pct(B) - pct(A), resampling whole rounds of each arm."""
    d = []
    for _ in range(reps):
        a = merge(rng.choice(ra) for _ in ra)
        b = merge(rng.choice(rb) for _ in rb)
        d.append(pct(b, p) - pct(a, p))
    d.sort()
    return d[int(0.025 * reps)], d[int(0.975 * reps) - 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--calls", type=int, default=350)
    ap.add_argument("--rounds", type=int, default=24)
    ap.add_argument("--measure", type=float, default=2.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--ramp", type=float, default=0.5)
    ap.add_argument("--socks", type=int, default=8)
    ap.add_argument("--share", type=float, default=0.01)
    ap.add_argument("--targets", type=int, default=7)
    ap.add_argument("--gen-cpu", default="0")
    ap.add_argument("--relay-cpu", default="1")
    ap.add_argument("--boot", type=int, default=200, help="bootstrap resamples (0: none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rt", type=int, default=1)
    args = ap.parse_args()
    if args.rt and subprocess.run(["chrt", "-f", "10", "true"]).returncode == 0:
        cap.RT[:] = ["chrt", "-f", "10"]
    args.rtpgen = os.path.join(args.build, "bench", "rtpgen")
    dpfwd = os.path.join(args.build, "bench", "dpfwd")
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    plain = cap.Proc("dpfwd", [dpfwd], 3, args.relay_cpu, args.out)
    tapped = cap.Proc("dpfwd-li", [dpfwd], 5, args.relay_cpu, args.out,
                      ["-L", str(args.share), "-T", str(args.targets), "-X", cap.LI_SINK])
    arms = [("A", plain), ("A2", plain), ("B", tapped)]
    hists = {a: [] for a, _ in arms}
    stats = {a: [] for a, _ in arms}
    hp = os.path.join(args.out, "li-latency.hist")
    t0 = time.monotonic()
    print("li_latency: N=%d calls, %d rounds of %.1f s, arms A (dpfwd), A2 (dpfwd again), "
          "B (%.0f %% of calls to %d targets); generator CPU %s, relay CPU %s, %s"
          % (args.calls, args.rounds, args.measure, args.share * 100, args.targets, args.gen_cpu,
             args.relay_cpu, "SCHED_FIFO" if cap.RT else "normal scheduling"), flush=True)
    try:
        for rnd in range(args.rounds):
            order = arms[:]
            rng.shuffle(order)
            line = []
            for name, relay in order:
                st, h = run_round(args, relay, args.calls, hp)
                hists[name].append(h)
                stats[name].append(st)
                line.append("%s p50 %.1f p99 %.1f loss+late %.3f%%%s" % (
                    name, st["p50_us"], st["p99_us"], st["lost_or_late_pct"],
                    " copies/pkt %.4f" % (st["sink_pkts"] / st["recv_all"]) if name == "B" and st["recv_all"] else ""))
            print("  round %2d: %s" % (rnd + 1, " | ".join(line)), flush=True)
    finally:
        plain.close()
        tapped.close()
    res = {"calls": args.calls, "rounds": args.rounds, "measure_s": args.measure,
           "elapsed_s": round(time.monotonic() - t0, 1), "arms": {}}
    for name, _ in arms:
        m = merge(hists[name])
        res["arms"][name] = {
            "p50_us": pct(m, 0.5), "p99_us": pct(m, 0.99), "p999_us": pct(m, 0.999),
            "samples": sum(m.values()),
            "packets_sent": int(sum(s["sent"] for s in stats[name])),
            "packets_recv": int(sum(s["recv"] for s in stats[name])),
            "lost_or_late_pct_max": max(s["lost_or_late_pct"] for s in stats[name]),
            "round_p99_us": [s["p99_us"] for s in stats[name]],
            "sink_pkts": int(sum(s["sink_pkts"] for s in stats[name])),
        }
    for tag, a, b in (("A2-A", "A", "A2"), ("B-A", "A", "B"), ("B-A2", "A2", "B")):
        d = {}
        for p, key in ((0.5, "p50"), (0.99, "p99"), (0.999, "p999")):
            d[key] = res["arms"][b][key + "_us"] - res["arms"][a][key + "_us"]
            if args.boot and key == "p99":
                d["p99_ci95"] = boot(hists[a], hists[b], p, args.boot, rng)
        res[tag] = d
    with open(os.path.join(args.out, "li-latency.json"), "w") as f:
        json.dump(res, f, indent=1)
    rows = [[n, "%d" % r["packets_sent"], "%d" % r["samples"], "%.1f" % r["p50_us"],
             "%.1f" % r["p99_us"], "%.1f" % r["p999_us"], "%.3f" % r["lost_or_late_pct_max"]]
            for n, r in res["arms"].items()]
    print("\nPooled over %d rounds (N=%d calls, %.0f s elapsed):" % (args.rounds, args.calls,
                                                                      res["elapsed_s"]))
    print(cap.fmt_table(["arm", "packets", "latency samples", "p50 us", "p99 us", "p99.9 us",
                         "worst round loss+late %"], rows))
    rows = []
    for tag in ("A2-A", "B-A", "B-A2"):
        d = res[tag]
        ci = d.get("p99_ci95")
        rows.append([tag, "%+.1f" % d["p50"], "%+.1f" % d["p99"],
                     "[%+.1f, %+.1f]" % tuple(ci) if ci else "-", "%+.1f" % d["p999"]])
    print(cap.fmt_table(["difference", "p50 us", "p99 us", "p99 95% interval (bootstrap)",
                         "p99.9 us"], rows))
    b = res["arms"]["B"]
    if b["packets_recv"]:
        print("B: copies at the sink per forwarded packet %.4f" % (b["sink_pkts"] / max(
            1, sum(s["recv_all"] for s in stats["B"]))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
