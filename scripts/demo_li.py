#!/usr/bin/env python3
"""The lawful-interception story on loopback, for `make demo` (scripts/demo.sh runs this).

It generates a fresh LI key file, starts the reference delivery function (bgf-df) and bgfd,
plays the MGC: registers bgfd, sets up a call whose target side carries the seed request's LI
properties (li/LICn made with bgf-licn, li/LITID = [ffffff00, ffffff01]), sends RTP and RTCP
both ways, turns interception off mid-call with an invalid LICn, sends more media, releases
the call (Subtract, with its statistics), stops bgf-df and prints what it captured per target.
Exits 1 when something that should have happened did not; every process it starts is stopped.
Python 3 standard library only. BUILD (default build) names the build directory."""
import json
import os
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BUILD = os.path.join(TOP, os.environ.get("BUILD", "build"))
LICN_TOOL, DF_TOOL, BGFD = (os.path.join(BUILD, p) for p in ("bgf-licn", "bgf-df", "bgfd"))
LO = "127.0.0.1"
CID = 305419896                     # the correlation number the LI administration hands out
TARGETS = ("ffffff00", "ffffff01")  # as in the seed request
N_RTP, N_RTCP = 50, 5               # per direction and phase

procs = []
failures = []


def head(text):
    print("\n== %s" % text, flush=True)


def say(text=""):
    print("   " + text if text else "", flush=True)


def check(cond, what):
    """Record an expectation; the demo exits 1 if one failed."""
    if not cond:
        failures.append(what)
        say("!! NOT AS EXPECTED: %s" % what)
    return cond


def free_udp_port(even=False):
    while True:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((LO, 0))
        port = s.getsockname()[1]
        s.close()
        if not even or (port % 2 == 0 and port < 65535):
            return port


# ---------------------------------------------------------------- the MGC side
class Mgc:
    """A UDP socket playing the media gateway controller."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LO, 0))
        self.port = self.sock.getsockname()[1]
        self.bgfd = None
        self.tid = 0

    def recv(self, want, timeout=3.0):
        """The next message matching the regex want, or None."""
        end = time.time() + timeout
        while time.time() < end:
            self.sock.settimeout(max(0.01, end - time.time()))
            try:
                data, frm = self.sock.recvfrom(65536)
            except socket.timeout:
                return None, None
            text = data.decode(errors="replace")
            if re.search(want, text):
                return text, frm
        return None, None

    def accept_service_change(self, timeout=3.0):
        """bgfd's ServiceChange on ROOT: answer it, return its Method and Reason."""
        text, frm = self.recv(r"ServiceChange\s*=\s*ROOT", timeout)
        if text is None:
            return None
        tid = re.search(r"Transaction\s*=\s*(\d+)", text).group(1)
        self.bgfd = frm
        self.sock.sendto(("MEGACO/3 [127.0.0.1]:%d\nReply = %s {\nContext = - { ServiceChange"
                          " = ROOT { } }\n}\n" % (self.port, tid)).encode(), frm)
        m = re.search(r"Method\s*=\s*(\w+).*?Reason\s*=\s*(\d+)", text, re.S)
        return m.groups() if m else ("?", "?")

    def ask(self, actions):
        """One transaction; its reply text (or '')."""
        self.tid += 1
        msg = "MEGACO/3 [127.0.0.1]:%d\nTransaction = %d {\n%s\n}\n" % (self.port, self.tid, actions)
        self.sock.sendto(msg.encode(), self.bgfd)
        text, _ = self.recv(r"Reply\s*=\s*%d\b" % self.tid)
        return text or ""


def add(ctx, remote_port, lc_extra=""):
    lc = "Mode = SendReceive" + (",\n" + lc_extra if lc_extra else "")
    return ("Context = %s {\nAdd = ip/$ {\nMedia {\nStream = 1 {\nLocalControl {\n%s\n},\n"
            "Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n},\nRemote {\nv=0\nc=IN IP4 %s\n"
            "m=audio %d RTP/AVP 0\n}\n}\n}\n}\n}" % (ctx, lc, LO, remote_port))


def indent(text, prefix="   | "):
    return "\n".join(prefix + line for line in text.strip().splitlines())


# ---------------------------------------------------------------- media
class Phone:
    """A termination's remote: RTP on an even port, RTCP on the next."""

    def __init__(self, name):
        self.name = name
        while True:
            port = free_udp_port(even=True)
            try:
                self.rtp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self.rtp.bind((LO, port))
                self.rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self.rtcp.bind((LO, port + 1))
                self.port = port
                return
            except OSError:
                self.rtp.close()

    def talk(self, to_port, seq0, ssrc):
        for k in range(N_RTP):
            s = seq0 + k
            self.rtp.sendto(struct.pack("!BBHII", 0x80, 0, s, s * 160, ssrc) + bytes(160),
                            (LO, to_port))
            time.sleep(0.002)
            if k % 10 == 9:  # a sender report every 10 packets
                self.rtcp.sendto(struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, 0, 0, s * 160,
                                             k + 1, (k + 1) * 172), (LO, to_port + 1))

    def heard(self, expect):
        """Datagrams received since the last call (RTP, RTCP): waits up to 3 s of silence for
        the expected count, then 0.2 s for anything more."""
        n = [0, 0]
        while True:
            r, _, _ = select.select([self.rtp, self.rtcp], [], [], 0.2 if sum(n) >= expect else 3)
            if not r:
                return tuple(n)
            for s in r:
                s.recv(65536)
                n[0 if s is self.rtp else 1] += 1

    def close(self):
        self.rtp.close()
        self.rtcp.close()


def media(alice, bob, a_port, b_port, seq0):
    alice.talk(a_port, seq0, 0xA11CE)
    bob.talk(b_port, seq0, 0xB0B)
    hb, ha = bob.heard(N_RTP + N_RTP // 10), alice.heard(N_RTP + N_RTP // 10)
    say("alice (target) -> bgfd:%d -> bob  : %d RTP + %d RTCP sent, bob got %d + %d"
        % (a_port, N_RTP, N_RTP // 10, hb[0], hb[1]))
    say("bob -> bgfd:%d -> alice (target)  : %d RTP + %d RTCP sent, alice got %d + %d"
        % (b_port, N_RTP, N_RTP // 10, ha[0], ha[1]))
    return sum(ha) + sum(hb), sum(hb), sum(ha)


def start_capture(port, path):
    """tcpdump of the X3 stream when we may (root, tcpdump and tshark installed), else None."""
    if os.geteuid() != 0 or not shutil.which("tcpdump") or not shutil.which("tshark"):
        return None
    p = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-w", path,
                          "udp port %d" % port], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    procs.append(p)
    end = time.time() + 5
    while time.time() < end and p.poll() is None:
        if "listening" in p.stderr.readline():
            return p
    return None


def stop_capture(p):
    if p is None:
        return
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


# ---------------------------------------------------------------- the story
def main(work):
    head("bgf lawful-interception demo, all on loopback (work directory %s)" % work)

    head("1. The LI administration makes a key and a LICn")
    keys = os.path.join(work, "li.keys")
    r = run([LICN_TOOL, "genkey", "--key-file", keys])
    mode = os.stat(keys).st_mode & 0o777 if os.path.exists(keys) else 0
    check(r.returncode == 0 and mode == 0o600, "bgf-licn genkey writes a 0600 key file")
    say("bgf-licn genkey --key-file %s      -> mode %04o" % (keys, mode))
    licn = run([LICN_TOOL, "encrypt", "--key-file", keys, str(CID)]).stdout.strip()
    check(re.fullmatch(r"[0-9a-f]{16}", licn), "bgf-licn encrypt prints a 16-digit LICn")
    say("bgf-licn encrypt %d                -> LICn %s (the MGC only carries it)" % (CID, licn))

    head("2. The delivery function listens")
    pcaps, summary = os.path.join(work, "x3"), os.path.join(work, "df.json")
    df = subprocess.Popen([DF_TOOL, "--listen", LO + ":0", "--pcap-dir", pcaps,
                           "--summary-json", summary, "--duration", "60"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    procs.append(df)
    ready = df.stdout.readline().strip()
    m = re.search(r"listening on [\d.]+:(\d+)", ready)
    if not check(m, "bgf-df starts"):
        return
    df_port = int(m.group(1))
    say(ready)
    cap = os.path.join(work, "x3-wire.pcap")
    tcpdump = start_capture(df_port, cap)
    if tcpdump:
        say("tcpdump -i lo -w %s udp port %d   (the X3 stream on the wire)" % (cap, df_port))

    head("3. bgfd starts and registers with the MGC")
    mgc = Mgc()
    ctl = free_udp_port()
    lo = 20000 + (os.getpid() % 400) * 20
    conf = os.path.join(work, "bgfd.conf")
    li_log, li_status, log = (os.path.join(work, n) for n in ("li.log", "li.status", "bgfd.log"))
    with open(conf, "w") as f:
        f.write("[bgfd]\nmid = [127.0.0.1]:%d\nlisten_udp = 127.0.0.1:%d\nlisten_tcp = none\n"
                "mgc = 127.0.0.1:%d\nlog_level = info\n[h248]\nretrans_initial_ms = 200\n"
                "retrans_max_tries = 2\n[media]\nmax_gates = 1000\nworkers = 1\n"
                "[realm core]\naddresses = 127.0.0.1\nports = %d-%d\n"
                "[li]\nkey_file = %s\ndf = 127.0.0.1:%d\ndf_src = 127.0.0.1\noperator_id = DEMO1\n"
                "log_file = %s\nstatus_file = %s\n"
                % (ctl, ctl, mgc.port, lo, lo + 19, keys, df_port, li_log, li_status))
    logf = open(log, "w")
    bgfd = subprocess.Popen([BGFD, "-c", conf], stdout=logf, stderr=subprocess.STDOUT)
    procs.append(bgfd)
    say("bgfd -c %s   (control 127.0.0.1:%d, media ports %d-%d, copies to 127.0.0.1:%d)"
        % (conf, ctl, lo, lo + 19, df_port))
    sc = mgc.accept_service_change()
    if not check(sc, "bgfd registers with the MGC"):
        logf.close()
        print(open(log).read()[-1500:])
        return
    say("MGC 127.0.0.1:%d <- ServiceChange Method=%s Reason=%s; accepted" % (mgc.port, *sc))

    head("4. The MGC sets up a call; the target's side carries the seed request's LI properties")
    alice, bob = Phone("alice"), Phone("bob")
    # the seed request's layout: LICn in LocalControl, LITID at stream level
    req = add("$", alice.port, "li/LICn=%s" % licn).replace(
        "\n},\nLocal {", "\n},\nli/LITID = [%s],\nLocal {" % ", ".join(TARGETS), 1)
    say("> Add = ip/$ { ... LocalControl { Mode = SendReceive, li/LICn=%s }," % licn)
    say(">                  li/LITID = [%s], Remote = alice 127.0.0.1:%d ... }"
        % (", ".join(TARGETS), alice.port))
    r1 = mgc.ask(req)
    ctx = re.search(r"Context\s*=\s*(\d+)", r1)
    term = re.search(r"Add\s*=\s*(ip/\S+)", r1)
    ports = re.findall(r"m=audio (\d+)", r1)
    if not check(ctx and term and ports and "Error" not in r1, "the first Add is answered"):
        say(indent(r1 or "(no reply)"))
        return
    ctx, term, a_port = ctx.group(1), term.group(1), int(ports[0])
    say("< Reply: Context %s, %s, local port %d  (nothing in it tells of interception)"
        % (ctx, term, a_port))
    r2 = mgc.ask(add(ctx, bob.port))
    ports = re.findall(r"m=audio (\d+)", r2)
    if not check(ports and "Error" not in r2, "the second Add is answered"):
        return
    b_port = int(ports[0])
    say("> Add = ip/$ { Remote = bob 127.0.0.1:%d }   < Reply: local port %d" % (bob.port, b_port))

    head("5. Media both ways, intercepted")
    fwd1, from1, to1 = media(alice, bob, a_port, b_port, 0)
    check(fwd1 == 2 * (N_RTP + N_RTP // 10), "all media relayed in phase 5")

    head("6. Interception off mid-call: Modify with an invalid LICn")
    say("> Modify = %s { Media { Stream = 1 { LocalControl { li/LICn=0000000000000000 } } } }"
        % term)
    r3 = mgc.ask("Context = %s { Modify = %s { Media { Stream = 1 { LocalControl { "
                 "li/LICn=0000000000000000 } } } } }" % (ctx, term))
    check(r3 and "Error" not in r3, "the Modify is answered")
    body = re.sub(r"\s+", " ", r3.split("\n", 1)[-1]).strip()
    say("< %s  (the same as for a valid LICn)" % body)

    head("7. More media, no longer intercepted")
    fwd2, _, _ = media(alice, bob, a_port, b_port, 1000)
    check(fwd2 == 2 * (N_RTP + N_RTP // 10), "all media relayed in phase 7")

    head("8. The call is released: Subtract, with the ordinary statistics")
    r4 = mgc.ask("Context = %s { Subtract = * { Audit { Statistics } } }" % ctx)
    stats = re.findall(r"Subtract\s*=\s*(ip/\S+)\s*\{\s*Statistics\s*\{([^}]*)\}", r4)
    check(len(stats) == 2, "Subtract returns both terminations' statistics")
    sent_total = 0
    for tid_, body in stats:
        kv = dict(re.findall(r"([\w/]+)\s*=\s*(\d+)", body))
        sent_total += int(kv.get("rtp/ps", 0))
        say("%-14s rtp/pr %-4s rtp/ps %-4s nt/or %-6s nt/os %-6s (copies are never counted)"
            % (tid_, kv.get("rtp/pr"), kv.get("rtp/ps"), kv.get("nt/or"), kv.get("nt/os")))
    check(sent_total == fwd1 + fwd2, "bgfd's statistics count every relayed packet")

    # bgfd leaves: its Graceful ServiceChange is answered
    bgfd.send_signal(signal.SIGTERM)
    mgc.accept_service_change(timeout=2.0)
    try:
        bgfd.wait(timeout=3)
    except subprocess.TimeoutExpired:
        bgfd.kill()
        bgfd.wait()
    logf.close()

    head("9. What the delivery function captured")
    time.sleep(0.3)
    stop_capture(tcpdump)
    df.send_signal(signal.SIGTERM)
    out, err = df.communicate(timeout=10)
    try:
        with open(summary) as f:
            summ = json.load(f)
    except (OSError, ValueError):
        summ = {}
    tg = summ.get("targets", {})
    say("%d X3 PDUs, %d malformed" % (summ.get("datagrams", 0), summ.get("malformed", 0)))
    for t in TARGETS:
        v = tg.get(t, {})
        say("target %s: %s packets (%s from target, %s to target; %s RTP, %s RTCP), lost %s, "
            "correlation %s" % (t, v.get("packets"), v.get("from_target"), v.get("to_target"),
                                v.get("rtp"), v.get("rtcp"), v.get("lost"),
                                ", ".join(map(str, v.get("correlation_ids", [])))))
        say("                 pcap %s" % v.get("pcap"))
        check(v.get("packets") == fwd1 and v.get("from_target") == from1 and
              v.get("to_target") == to1 and v.get("correlation_ids") in ([CID], [str(CID)]) and
              v.get("lost") == 0,
              "target %s got exactly the %d packets relayed while interception was on" % (t, fwd1))
    check(summ.get("malformed") == 0 and summ.get("datagrams") == fwd1 * len(TARGETS),
          "copies = packets relayed while intercepted x target ids")
    say("expected: %d packets relayed while intercepted x %d target ids = %d copies; none after "
        "the Modify" % (fwd1, len(TARGETS), fwd1 * len(TARGETS)))

    head("10. Only the LI channel knows (LI log, mode %04o)" % (os.stat(li_log).st_mode & 0o777))
    with open(li_log) as f:
        for line in f.read().splitlines():
            say(line)
    with open(log) as f:
        ordinary = f.read()
    leaks = [x for x in (licn, str(CID), "%x" % CID) + TARGETS if x in ordinary]
    check(not leaks, "bgfd's ordinary log holds no LICn, correlation number or target id")
    say("bgfd's ordinary log (%s): %s" % (log, "no LICn, correlation number or target id"
                                                if not leaks else "LEAKS " + ", ".join(leaks)))

    head("11. Look inside")
    pc = tg.get(TARGETS[0], {}).get("pcap", os.path.join(pcaps, "target-%s.pcap" % TARGETS[0]))
    cmd = "tshark -r %s -d udp.port==%d,rtp -d udp.port==%d,rtcp" % (pc, a_port, a_port + 1)
    say(cmd)
    if shutil.which("tshark"):
        lines = run(cmd.split(), timeout=30).stdout.splitlines()
        for line in lines[:3] + ["..."] + lines[-2:] if len(lines) > 5 else lines:
            say("  " + line.strip())
    if tcpdump and os.path.exists(cap):
        cmd = "tshark -r %s -d udp.port==%d,5gli -O 5gli -c 1" % (cap, df_port)
        say(cmd + "   (the first X3 PDU)")
        lines = run(cmd.split(), timeout=30).stdout.splitlines()
        keep = False
        for line in lines:
            if line.startswith("5G Lawful Interception"):
                keep = True
            if keep and line.startswith("    ") and not line.startswith("        "):
                m = re.match(r"\s*(Domain ID|Matched Target Identifier): ([0-9a-f]+)$", line)
                if m:  # tshark 4.0 shows these strings as bytes
                    line += '  ("%s")' % bytes.fromhex(m.group(2)).decode(errors="replace")
                say("  " + line.strip())
            if line.strip().startswith("Payload:"):
                break
    else:
        say("the X3 stream itself (as root): tcpdump -i lo -w x3.pcap udp port %d, then" % df_port)
        say("tshark -r x3.pcap -d udp.port==%d,5gli -V" % df_port)
    alice.close()
    bob.close()


def cleanup():
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()


if __name__ == "__main__":
    for p in (LICN_TOOL, DF_TOOL, BGFD):
        if not os.access(p, os.X_OK):
            sys.exit("demo: %s is not built (run make)" % p)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    work = tempfile.mkdtemp(prefix="bgf-demo-")
    t0 = time.time()
    try:
        main(work)
    except Exception as e:  # reported, and counted as a failure
        failures.append("%s: %s" % (type(e).__name__, e))
    finally:
        cleanup()
    print()
    if failures:
        print("demo: FAILED (%d): %s" % (len(failures), "; ".join(failures)))
        sys.exit(1)
    print("demo: everything happened as expected in %.1f s; files kept in %s" % (time.time() - t0, work))
