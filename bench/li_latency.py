#!/usr/bin/env python3
"""li_latency.py - does interception delay the originals? Forwarding latency of bgfd for
tapped and untapped calls, in the same run and in separate runs, from kernel timestamps.

One bgfd (one data-plane worker, on CPU 1, SCHED_FIFO) relays N calls set up over H.248
(bench/h248bench.py plays the MGC); rtpgen (CPU 0, SCHED_FIFO) drives them with -K: the
latency of every packet is the kernel's receive timestamp at the far generator socket minus
the kernel's software TX timestamp at the sending one (SO_TIMESTAMPING), so the generator's
and receiver's scheduling are not in it. On loopback both stamps are taken when the packet
enters lo: at the generator's sendmmsg and at bgfd's sendmmsg. The copies go to a UDP sink
(rtpgen -S), which counts them. `[li] max_share_pct = 100` so that many calls can be tapped.

Arms, each a fresh set of N calls (set up, driven, released), run once per round in a fresh
random order, so that the shared machine's drift falls on every arm alike:
  none, none2      no call tapped (none2: the same again, the separate-run A/A control)
  mixed P%xT       P % of the calls (chosen at random each round) carry li/LICn + li/LITID
                   with T target ids; the others are not tapped. Same run, same worker: a
                   stall of the relay hits tapped and untapped calls alike.
Same-run comparison (in each mixed arm): originals of tapped calls against originals of
untapped calls; noise floor: the untapped calls split into two random halves (A/A), and the
null distribution of the p99 of a random set of untapped calls as large as the tapped set
(permutation: how far a p99 moves by chance with that many samples).
Neighbours in send time (in each mixed arm): every tapped packet against the untapped packet
sent just before it and the one sent just after it. The three meet the relay in the same
moment; the one before is relayed before the tapped packet, the one after behind it and its
copies. Null: the same triples for as many random calls of the runs without taps.
Separate-run comparison: every packet of a mixed arm against every packet of none, beside
none2 against none (pooled p99, and the median of the runs' p99s).

Prints the tables and writes OUT/li-latency.json; every run's samples are kept in
OUT/li-raw/ (with manifest.json), and --from OUT draws the tables again from them. Before each
arm it waits until no other real-time process (another benchmark) runs; an arm run that
shared the machine anyway is left out of the pooled figures. Python 3 stdlib only.
Ports (overridable): control BGF_BENCH_CTL (default here 55400; MGC +1), generator
BGF_BENCH_GEN_ADDR (127.0.9.1), media BGF_BENCH_NET (100: 127.0.104.1-4:56000-59999), sink
BGF_BENCH_SINK (127.0.9.1:55050), so that it can run beside bench/capacity.py's defaults.
"""
import os

os.environ.setdefault("BGF_BENCH_CTL", "55400")
os.environ.setdefault("BGF_BENCH_GEN_ADDR", "127.0.9.1")
os.environ.setdefault("BGF_BENCH_NET", "100")
os.environ.setdefault("BGF_BENCH_SINK", "127.0.9.1:55050")

import argparse  # noqa: E402
import heapq  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from array import array  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import capacity as cap  # noqa: E402
import h248bench as hb  # noqa: E402


def add(ctx, remote, lc=""):
    """One Add of ip/$ with Local $ and Remote; lc: more LocalControl properties (li/...)."""
    ip, port = remote
    return ("Context=%s{Add=${Media{Stream=1{LocalControl{Mode=SendReceive%s},"
            "Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n},"
            "Remote{\nv=0\nc=IN IP4 %s\nm=audio %d RTP/AVP 0\n}}}}}"
            % (ctx, ", " + lc if lc else "", ip, port))


class Bgfd:
    """bgfd with interception configured, calls set up per arm (the taps chosen per call)."""

    def __init__(self, args):
        self.args, self.work = args, args.out
        self.key = os.path.join(self.work, "li-bench.keys")
        if os.path.exists(self.key):
            os.unlink(self.key)
        r = subprocess.run([args.licn, "genkey", "--key-file", self.key], capture_output=True,
                           text=True)
        if r.returncode:
            raise RuntimeError("bgf-licn genkey: " + r.stderr.strip())
        self.licns = {}
        self.status = os.path.join(self.work, "li-bench.status")
        conf = hb.bgfd_conf(max_gates=args.max_gates) + (
            "[li]\nkey_file = %s\ndf = %s\noperator_id = BENCH\nmax_share_pct = 100\n"
            "log_file = %s\nstatus_file = %s\n"
            % (self.key, args.df_addr, os.path.join(self.work, "li-bench.log"), self.status)
            + ("send_cpus = %s\n" % args.li_cpus if args.li_cpus else ""))
        self.mgc = hb.Mgc()
        self.p = hb.start_bgfd(args.build, self.work, conf, args.relay_cpu, cap.RT)
        if not self.mgc.register():
            self.close()
            raise RuntimeError("bgfd did not register (see %s/bgfd.err)" % self.work)
        self.ctxs = []

    def licn(self, cid):
        if cid not in self.licns:
            r = subprocess.run([self.args.licn, "encrypt", "--key-file", self.key, str(cid)],
                               capture_output=True, text=True)
            if r.returncode:
                raise RuntimeError("bgf-licn encrypt: " + r.stderr.strip())
            self.licns[cid] = r.stdout.strip()
        return self.licns[cid]

    def prepare(self, n, tapped, targets, path):
        """Set up n calls; the calls in `tapped` carry li/LICn + li/LITID (targets ids) on
        their first termination. Writes rtpgen's call list to path."""
        gen = cap.gen_calls(n, self.args.socks)
        tids = "[%s]" % ", ".join("%08x" % (0x0b000000 + t) for t in range(targets))
        bodies = [add("$", a, "li/LICn=%s, li/LITID=%s" % (self.licn(1000 + i), tids)
                      if i in tapped else "") for i, (a, b) in enumerate(gen)]
        r1 = self.mgc.run(bodies)
        ctxs, rel_a = [], []
        for r in r1:
            m = hb.CTX_RE.search(r or "")
            if not m or hb.ERR_RE.search(r):
                self.ctxs = ctxs
                self.release()
                raise RuntimeError("first Add refused: %r" % (r or "")[:300])
            ctxs.append(m.group(1))
            rel_a.append((hb.ADDR_RE.search(r).group(1), int(hb.PORT_RE.search(r).group(1))))
        self.ctxs = ctxs
        r2 = self.mgc.run([add(c, b) for c, (a, b) in zip(ctxs, gen)])
        rel_b = []
        for r in r2:
            if not r or hb.ERR_RE.search(r) or not hb.PORT_RE.search(r):
                self.release()
                raise RuntimeError("second Add refused: %r" % (r or "")[:300])
            rel_b.append((hb.ADDR_RE.search(r).group(1), int(hb.PORT_RE.search(r).group(1))))
        cap.write_calls(path, gen, list(zip(rel_a, rel_b)))

    def release(self):
        if self.ctxs and self.p.poll() is None:
            self.mgc.run(["Context=%s{Subtract=*{}}" % c for c in self.ctxs])
        self.ctxs = []

    def taps_now(self):
        """Taps in force per the LI status view (LI-only; read here to check the set-up)."""
        try:
            with open(self.status) as f:
                for line in f:
                    if line.startswith("taps "):
                        return int(line.split()[1])
        except OSError:
            pass
        return -1

    def close(self):
        hb.BgfdRelay.close(self)


def read_raw(path):
    """rtpgen -R records: stream, latency ns and kernel send time ns, as three arrays."""
    st, lat, tx = array("I"), array("I"), array("q")
    with open(path, "rb") as f:
        data = f.read()
    for s, ns, t in struct.iter_unpack("<IIq", data):
        st.append(s)
        lat.append(ns)
        tx.append(t)
    return st, lat, tx


def rowsof(streams, lat, tx):
    """(send time, latency, call) sorted by send time, and the row indexes of each call."""
    rows = sorted(zip(tx, lat, (s >> 1 for s in streams)))
    bycall = {}
    for i, row in enumerate(rows):
        bycall.setdefault(row[2], []).append(i)
    return rows, bycall


def neighbours(rows, bycall, chosen, out_a, out_b, out_c):
    """rows: (send time, latency, call) of one run, sorted by kernel send time. For every
    sample of a call in `chosen`: its latency to out_a, the latency of the nearest earlier
    sample of a call not in `chosen` to out_b, and of the nearest later one to out_c. The
    three met the relay in the same moment (a stall falls on all three); the earlier one was
    relayed before the chosen packet, the later one after it (and after its copies)."""
    n = len(rows)
    for i in sorted(i for c in chosen for i in bycall.get(c, ())):
        lo, hi = i - 1, i + 1
        while lo >= 0 and rows[lo][2] in chosen:
            lo -= 1
        while hi < n and rows[hi][2] in chosen:
            hi += 1
        if lo < 0 or hi >= n:
            continue
        out_a.append(rows[i][1])
        out_b.append(rows[lo][1])
        out_c.append(rows[hi][1])


def foreign_rt(mine):
    """Other real-time processes on the machine (another benchmark pinned SCHED_FIFO to our
    cores would share them with ours): their names."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in mine:
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                txt = f.read()
        except OSError:
            continue
        name, rest = txt[txt.index("(") + 1: txt.rindex(")")], txt[txt.rindex(")") + 2:].split()
        # rest[0] is field 3 (state); field 41 (policy) is rest[38]; kernel threads have ppid 2
        if len(rest) > 38 and rest[38] in ("1", "2") and rest[1] != "2" and d != "2":
            out.append(name)
    return out


def wait_quiet(args, bgfd):
    """Wait (at most --wait-quiet s) until no other real-time process runs; the names seen."""
    mine = {os.getpid(), bgfd.p.pid}
    t_end = time.monotonic() + args.wait_quiet
    seen = foreign_rt(mine)
    while seen and time.monotonic() < t_end:
        time.sleep(2)
        seen = foreign_rt(mine)
    return seen


DROP_DEV = ("bgfbench-li0", "bgfbench-li1")
DROP_NET = ("198.18.255.1/24", "198.18.255.2")  # RFC 2544's benchmarking range


def drop_df(up):
    """--df drop: the delivery function's address on a veth whose peer is down. The kernel
    takes each copy through routing, the neighbour table and the device as it would towards
    a DF on another host, then drops it and counts it (tx_dropped); on loopback the copies
    would instead be received on this host, in the same per-CPU queue as the relay's own
    packets, and delay those queued behind them. (This kernel has no dummy device.)"""
    subprocess.run(["ip", "link", "del", DROP_DEV[0]], capture_output=True)
    if up:
        for cmd in (["ip", "link", "add", DROP_DEV[0], "type", "veth", "peer", "name", DROP_DEV[1]],
                    ["ip", "addr", "add", DROP_NET[0], "dev", DROP_DEV[0]],
                    ["ip", "link", "set", DROP_DEV[0], "up"],
                    ["ip", "neigh", "replace", DROP_NET[1], "lladdr", "02:00:00:00:00:02", "dev",
                     DROP_DEV[0], "nud", "permanent"]):
            subprocess.run(cmd, check=True)


def drop_count():
    with open("/sys/class/net/%s/statistics/tx_dropped" % DROP_DEV[0]) as f:
        return int(f.read())


def run_arm(args, bgfd, n, tapped, targets, raw):
    path = os.path.join(args.out, "li-calls.txt")
    busy = wait_quiet(args, bgfd)
    tx0 = drop_count() if args.df == "drop" else 0
    bgfd.prepare(n, tapped, targets, path)
    try:
        taps = bgfd.taps_now()
        cmd = cap.pinned(args.gen_cpu) + [args.rtpgen, "-f", path, "-d", str(args.measure),
               "-w", str(args.warmup), "-r", str(args.ramp), "-S", cap.LI_SINK, "-K", "-R", raw]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError("rtpgen failed: " + out.stderr.strip())
    finally:
        bgfd.release()
    st = {k: float(v) for k, v in (kv.split("=") for kv in out.stdout.split())}
    if args.df == "drop":
        time.sleep(0.05)  # the send thread's last copies
        st["sink_pkts"] = drop_count() - tx0
    st["taps_status"] = taps
    after = foreign_rt({os.getpid(), bgfd.p.pid})
    st["foreign_rt"] = sorted(set(busy + after))
    return st


def pct_sorted(a, p):
    """Percentile of a sorted sequence: the value at rank floor(p * n) (as rtpgen's)."""
    if not a:
        return float("nan")
    return a[min(int(p * len(a)), len(a) - 1)] / 1000.0


def pcts(a):
    s = sorted(a)
    return {"n": len(s), "p50": pct_sorted(s, 0.5), "p99": pct_sorted(s, 0.99),
            "p999": pct_sorted(s, 0.999)}


def p99_fast(a):
    """p99 without sorting everything: the k-th largest, k = n - floor(0.99 n)."""
    n = len(a)
    if not n:
        return float("nan")
    k = n - min(int(0.99 * n), n - 1)
    return heapq.nlargest(k, a)[-1] / 1000.0


def spread(xs):
    xs = sorted(xs)
    n = len(xs)
    return {"n": n, "lo95": xs[int(0.025 * n)], "hi95": xs[max(0, int(0.975 * n) - 1)],
            "abs95": sorted(abs(x) for x in xs)[max(0, int(0.95 * n) - 1)],
            "median_abs": sorted(abs(x) for x in xs)[n // 2]}


def measure(args, arms, rng, rawdir):
    """Run the rounds; every arm run's samples go to rawdir, described in the manifest."""
    N = args.calls
    man = []
    bgfd = Bgfd(args)
    t0 = time.monotonic()
    try:
        for rnd in range(args.rounds):
            order = arms[:]
            rng.shuffle(order)
            line = []
            for name, pc, targets in order:
                k = int(round(N * pc / 100.0)) if pc else 0
                if pc and not k:
                    k = 1
                tapped = sorted(rng.sample(range(N), k))
                raw = os.path.join(rawdir, "r%02d-%s.raw" % (rnd + 1, name.replace(" ", "-")
                                                            .replace("%", "pc")))
                st = run_arm(args, bgfd, N, set(tapped), targets, raw)
                man.append({"round": rnd + 1, "arm": name, "k": k, "targets": targets,
                            "tapped": tapped, "raw": os.path.basename(raw), "stats": st})
                exp = k * 2 * targets / (2.0 * N)  # copies per forwarded packet, expected
                line.append("%s p50 %.1f p99 %.1f loss+late %.3f%%%s%s" % (
                    name, st["p50_us"], st["p99_us"], st["lost_or_late_pct"],
                    " SHARED with " + ",".join(st["foreign_rt"]) if st["foreign_rt"] else "",
                    " copies/pkt %.4f (expected %.4f) taps %d" % (
                        st["sink_pkts"] / max(1, st["recv_all"]), exp, st["taps_status"])
                    if k else ""))
            print("  round %2d: %s" % (rnd + 1, " | ".join(line)), flush=True)
    finally:
        bgfd.close()
    return man, round(time.monotonic() - t0, 1)


def analyse(args, arms, man, rawdir, rng):
    N = args.calls
    data = {a: {"all": array("I"), "tapped": array("I"), "untapped": array("I"),
                "u1": array("I"), "u2": array("I"), "calls": [], "k": 0, "runs": [],
                "na": array("I"), "nb": array("I"), "nc": array("I"), "rows": [],
                "round_p99": []} for a, _, _ in arms}
    for e in man:
        d = data[e["arm"]]
        st = e["stats"]
        d["k"] = e["k"]
        d["runs"].append(st)
        if st["foreign_rt"] and not args.keep_shared:
            continue
        streams, lat, tx = read_raw(os.path.join(rawdir, e["raw"]))
        d["all"].extend(lat)
        d["round_p99"].append(p99_fast(lat))
        if not e["k"]:
            d["rows"].append(rowsof(streams, lat, tx))  # for the neighbours' null
            continue
        tapped = set(e["tapped"])
        unt = [c for c in range(N) if c not in tapped]
        rng.shuffle(unt)
        half = set(unt[: len(unt) // 2])
        percall = {}
        for s_, ns in zip(streams, lat):
            c = s_ >> 1
            if c in tapped:
                d["tapped"].append(ns)
            else:
                d["untapped"].append(ns)
                (d["u1"] if c in half else d["u2"]).append(ns)
                percall.setdefault(c, array("I")).append(ns)
        d["calls"].append(list(percall.values()))
        rows, bycall = rowsof(streams, lat, tx)
        neighbours(rows, bycall, tapped, d["na"], d["nb"], d["nc"])

    res = {"calls": N, "rounds": args.rounds, "measure_s": args.measure,
           "bound_us": args.bound_us, "arms": {}}
    for name, pc, targets in arms:
        d = data[name]
        runs = d["runs"]
        rp = sorted(d["round_p99"])
        r = {"all": pcts(d["all"]), "tapped_calls": d["k"], "targets": targets,
             "runs": len(runs), "runs_pooled": len(rp),
             "round_p99_median_us": rp[len(rp) // 2] if rp else float("nan"),
             "packets_sent": int(sum(s["sent"] for s in runs)),
             "loss_or_late_pct_max": max(s["lost_or_late_pct"] for s in runs),
             "ktx_missing": int(sum(s.get("ktx_missing", 0) for s in runs)),
             "sink_pkts": int(sum(s["sink_pkts"] for s in runs)),
             "recv_all": int(sum(s["recv_all"] for s in runs)),
             "taps_status": [int(s["taps_status"]) for s in runs],
             "arms_shared": sum(1 for s in runs if s["foreign_rt"])}
        if d["k"] and d["calls"]:
            for g in ("tapped", "untapped", "u1", "u2"):
                r[g] = pcts(d[g])
            # size-matched null: m = min(k, half the untapped) random untapped calls per
            # run, pooled, against the other untapped calls: how far a p99 difference moves
            # by chance with a set as large as the tapped one
            null = []
            for _ in range(args.perm):
                a, b = array("I"), array("I")
                for calls in d["calls"]:
                    idx = list(range(len(calls)))
                    rng.shuffle(idx)
                    m = min(d["k"], len(calls) // 2)
                    for j, ci in enumerate(idx):
                        (a if j < m else b).extend(calls[ci])
                null.append(p99_fast(a) - p99_fast(b))
            r["null_p99_diff"] = spread(null)
            # neighbours in send time: tapped packet, the untapped one just before it, the
            # untapped one just after it; null: the same for k random calls of runs without
            # any tap (none, none2), as many runs as this arm pooled
            r["nb_tapped"], r["nb_before"], r["nb_after"] = (pcts(d["na"]), pcts(d["nb"]),
                                                               pcts(d["nc"]))
            n_ab, n_cb, n_cb50 = [], [], []
            pool = [x for a_ in ("none", "none2") if a_ in data for x in data[a_]["rows"]]
            draws = max(5, min(args.perm, int(2e6 // max(1, len(d["na"])))))
            for _ in range(draws if pool else 0):
                a, b, c = array("I"), array("I"), array("I")
                for rows, bycall in rng.sample(pool, min(len(pool), len(d["round_p99"]))):
                    neighbours(rows, bycall, set(rng.sample(range(N), d["k"])), a, b, c)
                n_ab.append(p99_fast(a) - p99_fast(b))
                n_cb.append(p99_fast(c) - p99_fast(b))
                n_cb50.append(pcts(c)["p50"] - pcts(b)["p50"])
            if not n_ab:  # no run without taps: no null
                n_ab = n_cb = n_cb50 = [float("nan")]
            r["nb_null_tapped_before_p99"] = spread(n_ab)
            r["nb_null_after_before_p99"] = spread(n_cb)
            r["nb_null_after_before_p50"] = spread(n_cb50)
        res["arms"][name] = r
    return res


def report(args, res):
    B = args.bound_us
    A = res["arms"]
    print("\nLatency through bgfd, kernel TX to kernel RX timestamp, pooled over %d rounds "
          "(N=%d calls):" % (args.rounds, args.calls))
    rows = []
    for name, r in A.items():
        groups = [("all packets", r["all"])]
        if "tapped" in r:
            groups += [("tapped-call originals (%d calls)" % r["tapped_calls"], r["tapped"]),
                       ("untapped-call originals", r["untapped"]),
                       ("untapped, random half 1", r["u1"]), ("untapped, random half 2", r["u2"])]
        for g, q in groups:
            rows.append([name, g, q["n"], "%.1f" % q["p50"], "%.1f" % q["p99"], "%.1f" % q["p999"]])
    print(cap.fmt_table(["arm", "packets", "samples", "p50 us", "p99 us", "p99.9 us"], rows))

    print("\nSame run, tapped against untapped calls (through the same worker at the same time):")
    rows = []
    for name, r in A.items():
        if "tapped" not in r:
            continue
        dt = r["tapped"]["p99"] - r["untapped"]["p99"]
        aa = r["u2"]["p99"] - r["u1"]["p99"]
        nl = r["null_p99_diff"]
        rows.append([name, "%+.1f" % (r["tapped"]["p50"] - r["untapped"]["p50"]), "%+.1f" % dt,
                     "%+.1f" % (r["tapped"]["p999"] - r["untapped"]["p999"]), "%+.1f" % aa,
                     "[%+.1f, %+.1f]" % (nl["lo95"], nl["hi95"]),
                     "yes" if abs(dt) <= B else "no",
                     "yes" if abs(aa) < B else "no", "yes" if nl["abs95"] < B else "no",
                     "%.4f" % (r["sink_pkts"] / max(1, r["recv_all"]))])
    print(cap.fmt_table(["arm", "tapped-untapped p50", "p99", "p99.9", "A/A halves p99",
                         "null p99 95% (same size)", "|p99 diff| <= %g us" % B,
                         "A/A < %g us" % B, "null < %g us" % B, "copies/pkt"], rows))

    print("\nSame run, neighbours in send time (each tapped packet, the untapped packet sent "
          "just before it and the one just after it; null: as many random calls of runs "
          "without taps, as many runs):")
    rows = []
    for name, r in A.items():
        if "nb_tapped" not in r:
            continue
        t, b, a = r["nb_tapped"], r["nb_before"], r["nb_after"]
        n1, n2, n3 = (r["nb_null_tapped_before_p99"], r["nb_null_after_before_p99"],
                      r["nb_null_after_before_p50"])
        rows.append([name, t["n"], "%.1f / %.1f / %.1f" % (t["p50"], b["p50"], a["p50"]),
                     "%.1f / %.1f / %.1f" % (t["p99"], b["p99"], a["p99"]),
                     "%+.1f [%+.1f, %+.1f]" % (t["p99"] - b["p99"], n1["lo95"], n1["hi95"]),
                     "yes" if abs(t["p99"] - b["p99"]) <= B else "no",
                     "yes" if n1["abs95"] < B else "no",
                     "%+.1f [%+.1f, %+.1f]" % (a["p50"] - b["p50"], n3["lo95"], n3["hi95"]),
                     "%+.1f [%+.1f, %+.1f]" % (a["p99"] - b["p99"], n2["lo95"], n2["hi95"])])
    print(cap.fmt_table(["arm", "triples", "p50 tapped / before / after",
                         "p99 tapped / before / after", "p99 tapped-before [null 95%]",
                         "<= %g us" % B, "null < %g us" % B, "p50 after-before [null 95%]",
                         "p99 after-before [null 95%]"], rows))

    if "none" in A:
        print("\nSeparate runs (every packet of an arm against every packet of 'none'; the "
              "median of the per-run p99s beside the pooled p99):")
        rows = []
        a = A["none"]
        for name, r in A.items():
            if name == "none":
                continue
            q = r["all"]
            dp = q["p99"] - a["all"]["p99"]
            rows.append([name + " - none", "%+.1f" % (q["p50"] - a["all"]["p50"]), "%+.1f" % dp,
                         "%+.1f" % (q["p999"] - a["all"]["p999"]),
                         "%+.1f" % (r["round_p99_median_us"] - a["round_p99_median_us"]),
                         "yes" if abs(dp) <= B else "no"])
        print(cap.fmt_table(["difference", "p50 us", "p99 us", "p99.9 us",
                             "median run p99 us", "|p99| <= %g us" % B], rows))
    shared = sum(r["arms_shared"] for r in A.values())
    if shared:
        print("note: %d arm runs shared the machine with another real-time process%s" % (
            shared, " (pooled anyway)" if args.keep_shared else " and are left out: %s" % ", ".join(
                "%s %d of %d" % (n, r["arms_shared"], r["runs"])
                for n, r in A.items() if r["arms_shared"])))
    miss = sum(r["ktx_missing"] for r in A.values())
    if miss:
        print("note: %d received packets had no TX timestamp (no sample)" % miss)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--out", default="build/bench")
    ap.add_argument("--calls", type=int, default=350,
                    help="N calls per arm (default 350: about half of bgfd's socket-path capacity)")
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--measure", type=float, default=4.0)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--ramp", type=float, default=0.5)
    ap.add_argument("--socks", type=int, default=8)
    ap.add_argument("--mixed", default="1x7,10x7,50x1",
                    help="same-run arms, PERCENTxTARGETS, comma-separated")
    ap.add_argument("--no-separate", action="store_true", help="leave out the none/none2 arms")
    ap.add_argument("--max-gates", type=int, default=9600)
    ap.add_argument("--perm", type=int, default=40, help="permutation draws for the nulls")
    ap.add_argument("--bound-us", type=float, default=5.0)
    ap.add_argument("--gen-cpu", default="0")
    ap.add_argument("--relay-cpu", default="1")
    ap.add_argument("--df", choices=("sink", "drop"), default="sink",
                    help="sink: the copies to a UDP sink on loopback (rtpgen -S counts them); "
                         "drop: to a veth whose peer is down, which counts and drops them "
                         "(needs root)")
    ap.add_argument("--li-cpus", default="",
                    help="[li] send_cpus for bgfd (default: the send thread shares the relay CPU)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--wait-quiet", type=float, default=900,
                    help="before each arm, wait up to this long for other real-time processes "
                         "(another benchmark) to end; an arm run that shared the machine anyway "
                         "is left out of the pooled figures (and counted)")
    ap.add_argument("--keep-shared", action="store_true",
                    help="pool arm runs that shared the machine too")
    ap.add_argument("--from", dest="from_dir", metavar="DIR",
                    help="measure nothing: analyse DIR/li-raw (a previous run's samples) again")
    ap.add_argument("--rt", type=int, default=1)
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop bgfd on the way out
    rng = random.Random(args.seed)
    if args.from_dir:
        rawdir = os.path.join(args.from_dir, "li-raw")
        with open(os.path.join(rawdir, "manifest.json")) as f:
            m = json.load(f)
        for k in ("calls", "rounds", "measure", "mixed"):
            setattr(args, k, m["args"][k])
        args.no_separate = m["args"]["no_separate"]
        man, elapsed = m["runs"], m["elapsed_s"]
    else:
        rawdir = os.path.join(args.out, "li-raw")
    mixed = []
    for x in args.mixed.split(","):
        if x:
            p, t = x.lower().split("x")
            mixed.append(("mixed %s%%x%s" % (p, t), float(p), int(t)))
    arms = ([] if args.no_separate else [("none", 0.0, 0), ("none2", 0.0, 0)]) + mixed
    if not args.from_dir:
        if args.rt and subprocess.run(["chrt", "-f", "10", "true"]).returncode == 0:
            cap.RT[:] = ["chrt", "-f", "10"]
        args.rtpgen = os.path.join(args.build, "bench", "rtpgen")
        args.licn = os.path.join(args.build, "bgf-licn")
        os.makedirs(rawdir, exist_ok=True)
        print("li_latency: bgfd, N=%d calls, %d rounds of %.1f s, arms %s; generator CPU %s, "
              "bgfd CPU %s, LI send thread CPU %s, copies to %s, %s; latency from kernel "
              "TX/RX timestamps (rtpgen -K)"
              % (args.calls, args.rounds, args.measure, ", ".join(a for a, _, _ in arms),
                 args.gen_cpu, args.relay_cpu, args.li_cpus or args.relay_cpu,
                 "a veth that drops them" if args.df == "drop" else "a loopback sink",
                 "SCHED_FIFO" if cap.RT else "normal scheduling"),
              flush=True)
        args.df_addr = cap.LI_SINK
        if args.df == "drop":
            drop_df(True)
            args.df_addr = DROP_NET[1] + ":" + cap.LI_SINK.rsplit(":", 1)[1]
        try:
            man, elapsed = measure(args, arms, rng, rawdir)
        finally:
            if args.df == "drop":
                drop_df(False)
        with open(os.path.join(rawdir, "manifest.json"), "w") as f:
            json.dump({"args": {k: getattr(args, k) for k in ("calls", "rounds", "measure",
                                                                "mixed", "no_separate")},
                       "elapsed_s": elapsed, "runs": man}, f)
    res = analyse(args, arms, man, rawdir, rng)
    res["elapsed_s"] = elapsed
    with open(os.path.join(args.out, "li-latency.json"), "w") as f:
        json.dump(res, f, indent=1)
    report(args, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
