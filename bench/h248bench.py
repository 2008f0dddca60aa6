"""h248bench.py - bgfd as a relay under test, with its calls set up over H.248.

Plays the MGC on UDP: starts bgfd with a benchmark configuration (bgfd_conf), accepts its
ServiceChange registration, then sets calls up with two Adds per call (ip/$ with Local $ and
Remote = the generator's side; the second Add into the context the first one chose) and
releases them with Subtract * on the context. Many transactions are kept in flight.
Ports: control 55000 (bgfd) and 55001 (this MGC); media realm 127.0.4.1-4, 56000-59999.
Python 3 stdlib only.
"""
import os
import re
import select
import signal
import socket
import subprocess
import time

CTL_PORT = int(os.environ.get("BGF_BENCH_CTL", "55000"))
MGC_PORT = CTL_PORT + 1
REALM_NET = 4 + int(os.environ.get("BGF_BENCH_NET", "0"))  # as capacity.py's relay addresses
REALM_ADDRS = ["127.0.%d.%d" % (REALM_NET, i) for i in range(1, 5)]
PORT_MIN, PORT_MAX = 56000, 59999
HDR = "MEGACO/3 [127.0.0.1]:%d\n" % MGC_PORT


def bgfd_conf(workers=1, max_gates=9600, log_level="warn", extra_media="fast_path = off"):
    """The relay "bgfd" is the socket path (one worker pinned beside the generator, as the
    other userspace relays); the kernel fast path, bgfd's default as root, is measured as
    "bgfd-tc" by bench/fastpath.py, which passes extra_media="fast_path = tc"."""
    return """[bgfd]
mid = [127.0.0.1]:%d
listen_udp = 127.0.0.1:%d
listen_tcp = none
mgc = 127.0.0.1:%d
log = stderr
log_level = %s
[h248]
long_timer_ms = 3000
retrans_initial_ms = 100
retrans_max_ms = 200
retrans_max_tries = 1
max_stored_replies = 500000
[media]
default_realm = bench
max_gates = %d
max_contexts = %d
workers = %d
default_latch = no
%s
[realm bench]
addresses = %s
ports = %d-%d
""" % (CTL_PORT, CTL_PORT, MGC_PORT, log_level, max_gates, max_gates // 2, workers, extra_media,
       ", ".join(REALM_ADDRS), PORT_MIN, PORT_MAX)


def add(ctx, remote):
    ip, port = remote
    return ("Context=%s{Add=${Media{Stream=1{LocalControl{Mode=SendReceive},"
            "Local{\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n},"
            "Remote{\nv=0\nc=IN IP4 %s\nm=audio %d RTP/AVP 0\n}}}}}" % (ctx, ip, port))


CTX_RE = re.compile(r"\b(?:Context|C)\s*=\s*(\d+)", re.I)
ADDR_RE = re.compile(r"c=IN IP4 ([\d.]+)")
PORT_RE = re.compile(r"m=audio (\d+)")
REPLY_RE = re.compile(r"\b(?:Reply|P)\s*=\s*(\d+)", re.I)
ERR_RE = re.compile(r"\b(?:Error|ER)\s*=\s*(\d+)", re.I)


class Mgc:
    def __init__(self, window=256):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind(("127.0.0.1", MGC_PORT))
        self.to = ("127.0.0.1", CTL_PORT)
        self.window = window
        self.tid = 0

    def close(self):
        self.s.close()

    def register(self, timeout=5.0):
        """Accept bgfd's ServiceChange on ROOT (its first message)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            r, _, _ = select.select([self.s], [], [], 0.2)
            if not r:
                continue
            data, frm = self.s.recvfrom(65536)
            t = data.decode(errors="replace")
            m = re.search(r"\b(?:Transaction|T)\s*=\s*(\d+)", t, re.I)
            if m and re.search(r"ServiceChange|SC\s*=", t, re.I):
                self.s.sendto((HDR + "Reply = %s {\nContext = - { ServiceChange = ROOT { } }\n}\n"
                               % m.group(1)).encode(), frm)
                return True
        return False

    def serve(self, wait):
        """Answer whatever bgfd asks (ServiceChange, Notify) for up to `wait` seconds."""
        r, _, _ = select.select([self.s], [], [], wait)
        if r:
            data, frm = self.s.recvfrom(65536)
            q = re.search(r"\b(?:Transaction|T)\s*=\s*(\d+)", data.decode(errors="replace"), re.I)
            if q:
                self.s.sendto((HDR + "Reply=%s{Context=-{ServiceChange=ROOT{}}}" % q.group(1)).encode(), frm)

    def run(self, bodies, timeout=5.0):
        """Send one transaction per body, `window` in flight; replies (text) in order.
        Requests bgfd sends meanwhile (Notify...) are answered with an empty Reply."""
        out = [None] * len(bodies)
        pend = {}
        nxt = done = 0
        last = time.monotonic()
        while done < len(bodies):
            while nxt < len(bodies) and len(pend) < self.window:
                self.tid += 1
                msg = (HDR + "Transaction=%d{%s}" % (self.tid, bodies[nxt])).encode()
                self.s.sendto(msg, self.to)
                pend[self.tid] = (nxt, msg, time.monotonic())
                nxt += 1
            r, _, _ = select.select([self.s], [], [], 0.1)
            now = time.monotonic()
            if r:
                data, frm = self.s.recvfrom(65536)
                t = data.decode(errors="replace")
                m = REPLY_RE.search(t)
                if m and int(m.group(1)) in pend:
                    out[pend.pop(int(m.group(1)))[0]] = t
                    done += 1
                    last = now
                else:
                    q = re.search(r"\b(?:Transaction|T)\s*=\s*(\d+)", t, re.I)
                    if q:
                        self.s.sendto((HDR + "Reply=%s{Context=-{}}" % q.group(1)).encode(), frm)
            for tid, (i, msg, at) in list(pend.items()):
                if now - at > 1.0:
                    self.s.sendto(msg, self.to)
                    pend[tid] = (i, msg, now)
            if now - last > timeout:
                raise TimeoutError("bgfd: no reply for %.0f s" % timeout)
        return out


def start_bgfd(build, work, conf_text, pin=None, rt=None):
    path = os.path.join(work, "bgfd-bench.conf")
    with open(path, "w") as f:
        f.write(conf_text)
    cmd = (["taskset", "-c", pin] if pin else []) + (rt or []) + [os.path.join(build, "bgfd"), "-c", path]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=open(os.path.join(work, "bgfd.err"), "w"))


class BgfdRelay:
    """capacity.py's relay interface for bgfd: one bgfd for the whole run, calls per step."""
    name = "bgfd"

    def __init__(self, args, work, cap):
        self.cap = cap  # the running capacity module (its RT list and call-list helpers)
        exe = os.path.join(args.build, "bgfd")
        if not os.access(exe, os.X_OK):
            raise RuntimeError("%s not built" % exe)
        self.mgc = Mgc()
        self.p = start_bgfd(args.build, work, bgfd_conf(), args.relay_cpu, cap.RT)
        if not self.mgc.register():
            self.close()
            raise RuntimeError("bgfd did not register (see %s/bgfd.err)" % work)
        self.work = work
        self.ctxs = []

    def prepare(self, n, socks):
        gen = self.cap.gen_calls(n, socks)
        r1 = self.mgc.run([add("$", a) for a, b in gen])
        ctxs, rel_a, bad = [], [], None
        for r in r1:
            m = CTX_RE.search(r or "")
            if not m or ERR_RE.search(r):
                bad = bad or "first Add refused: %r" % (r or "")[:300]
                continue
            ctxs.append(m.group(1))
            rel_a.append((ADDR_RE.search(r).group(1), int(PORT_RE.search(r).group(1))))
        self.ctxs = ctxs
        if bad:  # give back what was set up, so that the next step starts clean
            self.release()
            raise RuntimeError(bad)
        r2 = self.mgc.run([add(c, b) for c, (a, b) in zip(ctxs, gen)])
        rel_b = []
        for r in r2:
            if not r or ERR_RE.search(r) or not PORT_RE.search(r):
                self.release()
                raise RuntimeError("second Add refused: %r" % (r or "")[:300])
            rel_b.append((ADDR_RE.search(r).group(1), int(PORT_RE.search(r).group(1))))
        path = os.path.join(self.work, "calls-bgfd.txt")
        self.cap.write_calls(path, gen, list(zip(rel_a, rel_b)))
        return path

    def pid(self):
        return self.p.pid

    def trouble(self):
        return "" if self.p.poll() is None else "bgfd exited"

    def release(self):
        if self.ctxs and self.p.poll() is None:
            self.mgc.run(["Context=%s{Subtract=*{}}" % c for c in self.ctxs])
        self.ctxs = []

    def close(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:  # bgfd leaves gracefully: ServiceChange to the MGC, then exit
                t_end = time.monotonic() + 5
                while self.p.poll() is None and time.monotonic() < t_end:
                    self.mgc.serve(0.1)
                self.p.wait(0.1)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.mgc.close()
