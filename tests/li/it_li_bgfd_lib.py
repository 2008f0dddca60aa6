"""it_li_bgfd_lib - shared pieces of the end-to-end interception tests (it_li_bgfd_*).

A lab is: a fresh LI key file (bgf-licn genkey), bgfd with an [li] section pointing at a
delivery function, an MGC socket that registers bgfd and then sends the calls' transactions,
media endpoints (an RTP socket and the RTCP socket next to it) playing each termination's
remote, and a delivery function: either bgf-df, or an independent X3 receiver written here
(Python struct) that also reads the outer IP TOS (IP_RECVTOS) of every copy.

Ports (LI tests use 50000-54999; these tests 52000-54999): LI_BGFD_PORT_BASE (default 52000).
Each test program takes a block of 1000 ports: control and DF ports first, then bgfd's media
ports, then the endpoints' ports. Not executable: imported by the it_li_bgfd_* programs.
"""
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

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import bgftest as B  # noqa: E402

LICN_TOOL = os.path.join(B.BUILD, "bgf-licn")
DF_TOOL = os.path.join(B.BUILD, "bgf-df")
PORT_BASE = int(os.environ.get("LI_BGFD_PORT_BASE", "52000"))

# The seed document's request, verbatim (its LICn is not valid under any key we make).
SEED_REQUEST = """MEGACO/2 [123.123.123.3]:2944
Transaction = 10003 {
Context = $ {
Add = $ {
Media {
LocalControl {
Mode = SendReceive,
li/LICn=ff00ff00ff00ff00},
li/LITID = [ffffff00, ffffff01],
Remote {
v=0
c=IN IP4 124.124.124.222
m=audio 2222 RTP/AVP 0
a=ptime:20
}
}
}
}
}
"""
SEED_LICN = "ff00ff00ff00ff00"


class Ports:
    """A block of 1000 ports: ctl(i) for control/DF, media() for bgfd's realm, ep() endpoints."""

    def __init__(self, block, sub=0):
        """sub 0..3: a quarter of the block (10 control ports, 150 media, 60 endpoint ports);
        the same (block, sub) gives the same ports again (for byte-identical replies)."""
        self.base = PORT_BASE + block * 1000
        self.next_ctl = self.base + sub * 10
        self.next_media = self.base + 100 + sub * 150
        self.next_ep = self.base + 700 + sub * 60

    def ctl(self):
        self.next_ctl += 1
        return self.next_ctl - 1

    def media(self, n=60):
        lo = self.next_media
        self.next_media += n
        return lo, lo + n - 1

    def ep(self):
        self.next_ep += 2
        return self.next_ep - 2


def prerequisites(t_plan):
    """A TAP failure when a program is not built (one being relinked right now is waited for)."""
    for _ in range(40):
        missing = [p for p in (B.BGFD, LICN_TOOL, DF_TOOL) if not os.access(p, os.X_OK)]
        if not missing:
            return
        time.sleep(0.5)
    if missing:
        t = B.Tap(1)
        t.ok(False, "programs are built (missing %s: run make)" % ", ".join(missing))
        t.done()


# ---------------------------------------------------------------- packets
def rtp(seq, ssrc=0x1234abcd, n=160, pt=0):
    return struct.pack("!BBHII", 0x80, pt, seq & 0xFFFF, (seq * 160) & 0xFFFFFFFF, ssrc) + \
        bytes((seq + i) & 0xFF for i in range(n))


def rtcp_sr(k, ssrc=0x1234abcd):
    """An RTCP sender report (PT 200, no report blocks): 28 bytes."""
    return struct.pack("!BBHIIIIII", 0x80, 200, 6, ssrc, 0xE0000000 + k, k, k * 160, k, k * 172)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Inner:
    """The mirrored IP packet: version, addresses, ports, tos, payload, checksums checked."""

    def __init__(self, data):
        self.ok = False
        self.why = ""
        if len(data) < 28:
            self.why = "short"
            return
        self.version = data[0] >> 4
        if self.version == 4:
            ihl = (data[0] & 15) * 4
            tot = struct.unpack("!H", data[2:4])[0]
            self.tos = data[1]
            self.src = socket.inet_ntop(socket.AF_INET, data[12:16])
            self.dst = socket.inet_ntop(socket.AF_INET, data[16:20])
            proto = data[9]
            ip_ok = csum(data[:ihl]) == 0 and tot == len(data)
            pseudo = data[12:20] + struct.pack("!BBH", 0, 17, len(data) - ihl)
            udp = data[ihl:]
        elif self.version == 6:
            self.tos = ((data[0] & 15) << 4) | (data[1] >> 4)
            plen = struct.unpack("!H", data[4:6])[0]
            proto = data[6]
            self.src = socket.inet_ntop(socket.AF_INET6, data[8:24])
            self.dst = socket.inet_ntop(socket.AF_INET6, data[24:40])
            ip_ok = plen == len(data) - 40
            udp = data[40:]
            pseudo = data[8:40] + struct.pack("!IxxxB", len(udp), 17)
        else:
            self.why = "version %d" % self.version
            return
        self.dscp = self.tos >> 2
        self.sport, self.dport, ulen, ucs = struct.unpack("!HHHH", udp[:8])
        self.payload = udp[8:]
        udp_ok = proto == 17 and ulen == len(udp) and ucs != 0 and csum(pseudo + udp) == 0
        self.ok = ip_ok and udp_ok
        if not self.ok:
            self.why = "ip_ok %s udp_ok %s" % (ip_ok, udp_ok)


class Copy:
    """One X3 datagram received by the Python delivery function."""

    def __init__(self, data, tos, fmt="etsi"):
        self.raw = data
        self.tos = tos
        self.fmt = fmt
        self.ok = False
        self.attrs = {}
        if fmt == "jmirror":
            if len(data) < 8:
                return
            w0, self.sid = struct.unpack("!II", data[:8])
            self.jver = w0 >> 30
            self.mid = w0 & 0x3FFFFFFF
            self.inner = Inner(data[8:])
            self.ok = self.inner.ok
            return
        if len(data) < 40:
            return
        (self.version, self.pdu_type, self.hlen, self.plen, self.pformat, self.direction,
         self.xid, self.cid) = struct.unpack("!HHIIHH16sQ", data[:40])
        off = 40
        while off + 4 <= self.hlen:
            typ, ln = struct.unpack("!HH", data[off:off + 4])
            self.attrs[typ] = data[off + 4:off + 4 + ln]
            off += 4 + ln
        self.target = struct.unpack("!I", self.xid[12:])[0]
        self.xid_ok = self.xid[:12] == bytes(6) + b"\x80\x00\x80\x00\x00\x00"
        self.seq = struct.unpack("!I", self.attrs[8])[0] if 8 in self.attrs else None
        self.mti = self.attrs.get(17, b"").decode(errors="replace")
        self.domain = self.attrs.get(5, b"").decode(errors="replace")
        self.inner = Inner(data[self.hlen:])
        self.ok = (off == self.hlen and self.version == 5 and self.pdu_type == 2 and
                   self.plen == len(data) - self.hlen and self.inner.ok and self.xid_ok)


class PyDf:
    """An independent X3 receiver on 127.0.0.1:port: keeps every datagram with its outer TOS."""

    def __init__(self, port, fmt="etsi"):
        self.fmt = fmt
        self.port = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.setsockopt(socket.IPPROTO_IP, socket.IP_RECVTOS, 1)
        self.sock.bind(("127.0.0.1", port))

    def collect(self, settle=0.25, limit=20.0):
        """Every copy that arrives until settle seconds pass without one."""
        out = []
        end = time.time() + limit
        while time.time() < end:
            self.sock.settimeout(settle)
            try:
                data, anc, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(4))
            except socket.timeout:
                break
            tos = None
            for lvl, typ, val in anc:
                if lvl == socket.IPPROTO_IP and typ == socket.IP_TOS and val:
                    tos = val[0]
            out.append(Copy(data, tos, self.fmt))
        return out

    def close(self):
        self.sock.close()


class BgfDf:
    """bgf-df on 127.0.0.1:port with a pcap directory and a JSON summary."""

    def __init__(self, port, pcap_dir, fmt="etsi"):
        self.json = pcap_dir + ".json"
        self.pcap_dir = pcap_dir
        self.p = subprocess.Popen([DF_TOOL, "--listen", "127.0.0.1:%d" % port, "--pcap-dir",
                                   pcap_dir, "--format", fmt, "--summary-json", self.json,
                                   "--duration", "60"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.ready = self.p.stdout.readline()
        self.summary = {}

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.out, self.err = self.p.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.out, self.err = self.p.communicate()
        try:
            with open(self.json) as f:
                self.summary = json.load(f)
        except (OSError, ValueError):
            self.summary = {}
        return self.summary


# ---------------------------------------------------------------- media
class Endpoint:
    """A termination's remote: an RTP socket on an even port and RTCP on the next one."""

    def __init__(self, port, host="127.0.0.1"):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.host = host
        self.port = port
        self.s = []
        for p in (port, port + 1):
            s = socket.socket(fam, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            s.bind((host, p))
            self.s.append(s)
        self.sent = [0, 0]

    def send(self, data, to, rtcp=False):
        self.s[1 if rtcp else 0].sendto(data, to)
        self.sent[1 if rtcp else 0] += 1

    def received(self, settle=0.15, expect=None, patience=3.0):
        """(rtp, rtcp) datagrams received since the last call: read until settle seconds pass
        without one on either socket; while fewer than expect have come, wait up to patience
        seconds of silence instead (a loaded machine may hold the relay back)."""
        got = ([], [])
        while True:
            short = expect is None or len(got[0]) + len(got[1]) >= expect
            r, _, _ = select.select(self.s, [], [], settle if short else patience)
            if not r:
                return got
            for s in r:
                got[self.s.index(s)].append(s.recvfrom(65536))

    def close(self):
        for s in self.s:
            s.close()


# ---------------------------------------------------------------- bgfd
def stats_of(reply):
    """{termination id: {statistic: value}} from a Subtract reply."""
    out = {}
    for m in re.finditer(r"Subtract\s*=\s*(\S+)\s*\{\s*Statistics\s*\{([^}]*)\}", reply, re.I):
        out[m.group(1)] = {k: int(v) for k, v in re.findall(r"([\w/]+)\s*=\s*(\d+)", m.group(2))}
    return out


class Lab:
    """bgfd with LI towards 127.0.0.1:df_port, registered with our MGC socket."""

    def __init__(self, ports, li=None, media=None, realms=(), key_mode=0o600, start=True,
                 tag="lab"):
        """realms: names of extra realms on ::1 (IPv6), each with its own media ports."""
        self.dir = tempfile.mkdtemp(prefix="bgf-li-e2e-%s-" % tag)
        self.key = os.path.join(self.dir, "li.keys")
        r = subprocess.run([LICN_TOOL, "genkey", "--key-file", self.key], capture_output=True,
                           text=True)
        if r.returncode != 0:
            raise RuntimeError("bgf-licn genkey: " + r.stderr)
        os.chmod(self.key, key_mode)
        self.ctl = ports.ctl()
        self.mgc_port = ports.ctl()
        self.df_port = ports.ctl()
        self.li_log = os.path.join(self.dir, "li.log")
        self.li_status = os.path.join(self.dir, "li.status")
        lo, hi = ports.media()
        li_conf = {"key_file": self.key, "df": "127.0.0.1:%d" % self.df_port,
                   "df_src": "127.0.0.1", "operator_id": "OPER1", "log_file": self.li_log,
                   "status_file": self.li_status, "max_share_pct": 50}
        li_conf.update(li or {})
        li_conf = {k: v for k, v in li_conf.items() if v is not None}
        extra = {"li": li_conf, "media": {"max_gates": 100, "workers": 1}}
        extra["media"].update(media or {})
        conf = B.base_conf(self.ctl, [self.mgc_port], (lo, hi), tcp=False, extra=extra)
        for name in realms:
            rlo, rhi = ports.media()
            conf["realm %s" % name] = {"addresses": "::1", "ports": "%d-%d" % (rlo, rhi)}
        self.mgc = B.Udp("127.0.0.1", self.mgc_port)
        self.bg = B.Bgfd(conf)
        self.to = ("127.0.0.1", self.ctl)
        self.tid = 100
        self.registered = False
        self.replies = []
        if start:
            self.start()

    def start(self):
        """Start bgfd and register it (a bgfd being rebuilt at that moment is waited for)."""
        for _ in range(20):
            try:
                self.bg.start()
                break
            except OSError:  # text file busy / permission denied while make writes it
                self.bg.logf.close()
                time.sleep(0.5)
        if self.bg.proc is not None:
            _, _, sc = B.register(self.mgc)
            self.registered = sc is not None
        return self

    def licn(self, cid, form=1):
        r = subprocess.run([LICN_TOOL, "encrypt", "--key-file", self.key, "--form", str(form),
                            str(cid)], capture_output=True, text=True)
        return r.stdout.strip()

    def next_tid(self):
        self.tid += 1
        return self.tid

    def raw(self, text, tid, timeout=3.0):
        """Send a whole message; the raw reply message for transaction tid (or '')."""
        self.mgc.send(text, self.to)
        r, _ = self.mgc.recv_until(lambda x: ("reply", tid) in B.txns(x), timeout)
        self.replies.append(r or "")
        return r or ""

    def ask(self, actions):
        tid = self.next_tid()
        return self.raw(B.message(B.transaction(tid, actions)), tid)

    def add(self, ctx="$", remote=None, lc="", fam="IP4", streams=(1,), lc_all=""):
        """Add ip/$: lc goes into the first stream's LocalControl, lc_all into every stream's.
        Returns (reply, ctx, termination id, [local RTP port of each stream])."""
        body = []
        for sid in streams:
            rem = ""
            if remote:
                ip, port = remote
                rfam = "IP6" if ":" in ip else "IP4"
                rem = ",\nRemote {\nv=0\nc=IN %s %s\nm=audio %d RTP/AVP 0\n}" % (rfam, ip, port)
            lcs = "Mode = SendReceive" + (", " + lc_all if lc_all else "")
            lcs += (", " + lc) if lc and sid == streams[0] else ""
            body.append("Stream = %d {\nLocalControl { %s },\nLocal {\nv=0\nc=IN %s $\n"
                        "m=audio $ RTP/AVP 0\n}%s\n}" % (sid, lcs, fam, rem))
            if remote:
                remote = (remote[0], remote[1] + 2)
        r = self.ask("Context = %s {\nAdd = ip/$ {\nMedia {\n%s\n}\n}\n}" % (ctx, ",\n".join(body)))
        ids = B.termination_ids(r)
        return r, B.context_id(r), (ids[0] if ids else None), B.media_ports(r)

    def modify(self, ctx, term, stream_body, sid=1):
        return self.ask("Context = %s { Modify = %s { Media { Stream = %d { %s } } } }"
                        % (ctx, term, sid, stream_body))

    def subtract(self, ctx):
        r = self.ask(B.subtract_all(ctx))
        return r, stats_of(r)

    def li_log_text(self):
        try:
            with open(self.li_log) as f:
                return f.read()
        except OSError:
            return ""

    def log(self):
        return self.bg.log()

    def stop(self):
        """Stop bgfd (its ordinary log stays readable through log()); keep our files."""
        self.bg.log()
        if self.bg.alive() and self.registered:
            self.bg.signal(signal.SIGTERM)  # answer the Graceful ServiceChange: quick exit
            B.register(self.mgc, timeout=1.0)
            self.bg.wait(1.0)
            self.bg.log()
        if self.bg.proc is not None:
            self.bg.stop()
        self.mgc.close()

    def cleanup(self):
        if not os.environ.get("BGF_IT_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def forwarded(stats):
    """Packets the context forwarded: what its terminations sent to their remotes."""
    return sum(s.get("rtp/ps", 0) for s in stats.values())


def play(a, a_to, b, b_to, n_rtp=10, n_rtcp=2, seq0=0, gap=0.002):
    """A (the target's remote) first, then B: RTP and RTCP each way. Returns payloads sent."""
    sent = {"from": [], "to": []}
    for k in range(n_rtp):
        p = rtp(seq0 + k, ssrc=0xA)
        a.send(p, a_to)
        sent["from"].append(p)
        time.sleep(gap)
    for k in range(n_rtcp):
        p = rtcp_sr(seq0 + k, ssrc=0xA)
        a.send(p, (a_to[0], a_to[1] + 1), rtcp=True)
        sent["from"].append(p)
        time.sleep(gap)
    for k in range(n_rtp):
        p = rtp(seq0 + k, ssrc=0xB)
        b.send(p, b_to)
        sent["to"].append(p)
        time.sleep(gap)
    for k in range(n_rtcp):
        p = rtcp_sr(seq0 + k, ssrc=0xB)
        b.send(p, (b_to[0], b_to[1] + 1), rtcp=True)
        sent["to"].append(p)
        time.sleep(gap)
    return sent
