#!/usr/bin/env python3
"""fastpath.py - capacity and latency of bgf's data plane with the kernel fast path (dpfwd -F)
beside direct, minfwd, rtpengine and dpfwd, in the same run, with bench/capacity.py's
generator, search and relays. Adds system-wide CPU (all cores, /proc/stat) per packet, since
the fast path's work is done in softirq context, not in the relay process."""
import argparse, json, os, subprocess, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capacity as C
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
import ngctl, socket
_ng_init = ngctl.Ng.__init__
def _ng_init_fixed(self, *a, **k):
    """The ng client's port out of the relays' 56000-59999 (an ephemeral port there collides)."""
    _ng_init(self, *a, **k)
    self.sock.bind(("127.0.0.1", 55990))
ngctl.Ng.__init__ = _ng_init_fixed

def sys_busy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return (sum(v[:8]) - idle) / C.HZ

def prog_stats():
    try:
        out = subprocess.run(["/usr/sbin/bpftool", "-j", "prog", "show", "name", "bgf_fastpath"],
                             capture_output=True, text=True, timeout=5).stdout
        v = json.loads(out)
        v = v if isinstance(v, list) else [v]
        return sum(x.get("run_time_ns", 0) for x in v), sum(x.get("run_cnt", 0) for x in v)
    except Exception:
        return 0, 0

orig_gen = C.run_gen
def run_gen(args, path, sink=False):
    t0, c0 = prog_stats()
    r = orig_gen(args, path, sink)
    t1, c1 = prog_stats()
    r["bpf_ns_per_run"] = (t1 - t0) / (c1 - c0) if c1 > c0 else 0
    r["bpf_runs"] = c1 - c0
    return r
C.run_gen = run_gen

orig = C.measure
def measure(args, relay, n, sink=False):
    b0 = sys_busy()
    t0 = time.monotonic()
    r = orig(args, relay, n, sink)
    r["sys_us_per_pkt"] = 1e6 * (sys_busy() - b0) / r["recv_all"] if r.get("recv_all") else 0
    r["sys_cpu_pct"] = 100 * (sys_busy() - b0) / (time.monotonic() - t0)
    return r
C.measure = measure

ap = argparse.ArgumentParser()
ap.add_argument("--out", default="build/bench/fastpath")
ap.add_argument("--limit", type=int, default=4800)
ap.add_argument("--lat-common", type=int, default=337)
ap.add_argument("--steps", type=int, default=7)
ap.add_argument("--relays", default="direct,minfwd,rtpengine,dpfwd,dpfwd-tc")
ap.add_argument("--old-dpfwd", default="",
                help="another build's bench/dpfwd, run with -F as relay dpfwd-tc-old (A/B of two "
                     "versions of the fast path in the same run)")
ap.add_argument("--ab", type=int, default=0,
                help="only an A/B of the program's own cost: dpfwd-tc and dpfwd-tc-old (--old-dpfwd) "
                     "at this many calls, --ab-rounds rounds each, interleaved")
ap.add_argument("--ab-rounds", type=int, default=5)
a = ap.parse_args()
args = argparse.Namespace(build=os.path.join(TOP, "build"), out=a.out, start=200, limit=a.limit, steps=7,
                          resolution=25, resolution_pct=4.0, measure=2.0, warmup=0.5, ramp=1.0,
                          max_loss=0.1, socks=8, gen_cpu="0", relay_cpu="1")
args.steps = a.steps
if subprocess.run(["chrt", "-f", "10", "true"]).returncode == 0:
    C.RT[:] = ["chrt", "-f", "10"]
args.rtpgen = os.path.join(TOP, "build", "bench", "rtpgen")
os.makedirs(a.out, exist_ok=True)
b = os.path.join(TOP, "build", "bench")
relays = []
for name in a.relays.split(","):
    if name == "direct": relays.append(C.Direct(a.out))
    elif name == "minfwd": relays.append(C.Proc("minfwd", [b + "/minfwd"], 2, "1", a.out))
    elif name == "rtpengine": relays.append(C.Rtpengine(a.out, "1"))
    elif name == "dpfwd": relays.append(C.Proc("dpfwd", [b + "/dpfwd"], 3, "1", a.out))
    elif name == "dpfwd-tc": relays.append(C.Proc("dpfwd-tc", [b + "/dpfwd", "-F"], 8, "1", a.out))
    elif name == "dpfwd-tc-old" and a.old_dpfwd:
        relays.append(C.Proc("dpfwd-tc-old", [a.old_dpfwd, "-F"], 9, "1", a.out))
    elif name == "bgfd-tc":
        import h248bench
        _conf = h248bench.bgfd_conf
        h248bench.bgfd_conf = lambda *x, **k: _conf(*x, **dict(k, extra_media="fast_path = tc"))
        args.build = os.path.join(TOP, "build")
        r = h248bench.BgfdRelay(args, a.out, C)
        r.name = "bgfd-tc"
        relays.append(r)
def bpf_stats(on):
    """kernel.bpf_stats_enabled: the program's run time and count (bpftool prog show); the
    previous value is restored at exit."""
    try:
        with open("/proc/sys/kernel/bpf_stats_enabled") as f: old = f.read().strip()
        with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f: f.write(on)
        return old
    except OSError:
        return None
stats_was = bpf_stats("1")
import atexit
if stats_was is not None: atexit.register(bpf_stats, stats_was)

if a.ab:
    margs = argparse.Namespace(**vars(args)); margs.measure = 3.0
    ab = {}
    try:
        for rnd in range(a.ab_rounds):
            for r in relays:
                m = measure(margs, r, a.ab)
                ab.setdefault(r.name, []).append(m)
                print("  round %d %-12s N=%d loss+late %.3f %% p50 %.1f p99 %.1f sys us/pkt %.2f bpf ns/run %.0f runs %d"
                      % (rnd, r.name, a.ab, m["lost_or_late_pct"], m["p50_us"], m["p99_us"],
                         m["sys_us_per_pkt"], m.get("bpf_ns_per_run", 0), m.get("bpf_runs", 0)), flush=True)
    finally:
        for r in relays: r.close()
    with open(a.out + "/ab.json", "w") as f: json.dump(ab, f, indent=1)
    print("\nA/B at N=%d, median of %d rounds:" % (a.ab, a.ab_rounds))
    for name, ms in ab.items():
        med = lambda k: sorted(x.get(k, 0) for x in ms)[len(ms) // 2]
        print("  %-12s bpf ns/run %.0f  sys us/pkt %.2f  p50 %.1f  p99 %.1f  loss+late %.3f %%"
              % (name, med("bpf_ns_per_run"), med("sys_us_per_pkt"), med("p50_us"), med("p99_us"),
                 med("lost_or_late_pct")))
    sys.exit(0)

res = {}
try:
    print("capacity search:", flush=True)
    searches = [C.Search(r, 200, a.limit, a.steps) for r in relays]
    C.search_all(args, searches)
    cap = {s.relay.name: (s.best["calls"] if s.best else 0) for s in searches}
    res["capacity"] = cap
    res["best"] = {s.relay.name: s.best for s in searches}
    res["points"] = {s.relay.name: s.points for s in searches}
    margs = argparse.Namespace(**vars(args)); margs.measure = 3.0
    half_tc = max(10, cap.get("dpfwd-tc", 0) // 2)
    lat = {}
    for n, names in ((a.lat_common, [r.name for r in relays]),
                     (half_tc, ["direct", "dpfwd-tc", "dpfwd-tc-old", "bgfd-tc"])):
        for rnd in range(3):
            for r in relays:
                if r.name not in names: continue
                try:
                    m = measure(margs, r, n)
                except Exception as e:
                    print("  %s failed: %s" % (r.name, e)); continue
                print("  N=%d %-10s loss+late %.3f %% p50 %.1f p99 %.1f p99.9 %.1f jitter %.2f sys us/pkt %.2f relay us/pkt %.2f bpf ns/run %.0f runs %d"
                      % (n, r.name, m["lost_or_late_pct"], m["p50_us"], m["p99_us"], m["p999_us"],
                         m["jitter_mean_us"], m["sys_us_per_pkt"], m["relay_us_per_pkt"], m.get("bpf_ns_per_run", 0), m.get("bpf_runs", 0)), flush=True)
                lat.setdefault("%d" % n, {}).setdefault(r.name, []).append(m)
    res["latency"] = lat
finally:
    for r in relays: r.close()
with open(a.out + "/results.json", "w") as f: json.dump(res, f, indent=1)
print("\ncapacity (calls, loss<0.1%):")
for s in searches:
    bst = s.best or {}
    n = cap[s.relay.name]
    print("%-10s %5d  x minfwd %.2f  x rtpengine %.2f  relay cpu %% %.0f  relay us/pkt %.2f  system us/pkt %.2f  system cpu %% %.0f  bpf ns/run %.0f"
          % (s.relay.name, n, n / max(1, cap.get("minfwd", 1)), n / max(1, cap.get("rtpengine", 1)),
             bst.get("relay_cpu_pct", 0), bst.get("relay_us_per_pkt", 0), bst.get("sys_us_per_pkt", 0),
             bst.get("sys_cpu_pct", 0), bst.get("bpf_ns_per_run", 0)))
for n, d in lat.items():
    print("latency at N=%s (median-p99 round):" % n)
    dd = d.get("direct")
    dp99 = sorted(dd, key=lambda m: m["p99_us"])[len(dd) // 2]["p99_us"] if dd else 0
    for name, ms in d.items():
        m = sorted(ms, key=lambda m: m["p99_us"])[len(ms) // 2]
        print("  %-10s loss+late %.3f p50 %.1f p99 %.1f (added %.1f) p99.9 %.1f jitter %.2f sys us/pkt %.2f  [p99 all rounds: %s]"
              % (name, m["lost_or_late_pct"], m["p50_us"], m["p99_us"], m["p99_us"] - dp99, m["p999_us"],
                 m["jitter_mean_us"], m["sys_us_per_pkt"], ", ".join("%.0f" % x["p99_us"] for x in ms)))
