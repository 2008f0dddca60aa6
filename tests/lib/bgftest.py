"""bgftest - helpers for bgfd's integration tests (Python 3 stdlib only).

TAP output, H.248 text building and light parsing, UDP and TCP+TPKT endpoints that play the
MGC, and a Bgfd class that runs build/bgfd with a temporary configuration.

Set BGF_IT_KEEP=1 to keep each bgfd's temporary directory (configuration and log).
Ports: control ports come from BGF_MG_PORT_BASE (default 12900, range 12900-12999), media
from BGF_MG_MEDIA (default 40000-44999). Each test program takes its own slice (port_block).
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", "build")
if not os.path.isabs(BUILD):
    BUILD = os.path.join(TOP, BUILD)
BGFD = os.path.join(BUILD, "bgfd")
PORT_BASE = int(os.environ.get("BGF_MG_PORT_BASE", "12900"))
MEDIA = os.environ.get("BGF_MG_MEDIA", "40000-44999")
MEDIA_MIN, MEDIA_MAX = (int(x) for x in MEDIA.split("-"))


_claims = []


def claim(preferred):
    """Take a slot 0..8 for this test program (control ports and a media block), preferring
    `preferred`, so that test programs running at the same time (two `make test` in one
    checkout) do not share ports. Held (flock) until the process exits."""
    import fcntl
    for k in [preferred] + [i for i in range(9) if i != preferred]:
        path = os.path.join(tempfile.gettempdir(), "bgf-mg-it-%d-%d.lock" % (PORT_BASE, k))
        f = open(path, "a")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.close()
            continue
        _claims.append(f)
        return k
    return preferred


def port_block(index, size=10):
    """Control ports for one test program: PORT_BASE + index*size .. + size-1."""
    return PORT_BASE + index * size


def media_block(index, size=500):
    """Media ports of slot index: 500 of BGF_MG_MEDIA (slot 9 is test_transport's)."""
    lo = MEDIA_MIN + index * size
    return lo, min(lo + size - 1, MEDIA_MAX)


# ---------------------------------------------------------------- TAP
class Tap:
    def __init__(self, plan):
        self.n = 0
        self.failed = 0
        print("1..%d" % plan, flush=True)

    def ok(self, cond, name, diag=None):
        self.n += 1
        if cond:
            print("ok %d - %s" % (self.n, name), flush=True)
        else:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name), flush=True)
            if diag:
                for line in str(diag).splitlines()[:40]:
                    print("# " + line, flush=True)
        return bool(cond)

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line, flush=True)

    def done(self):
        sys.exit(1 if self.failed else 0)


# ---------------------------------------------------------------- H.248 text
MG_MID = "[127.0.0.1]:55555"


def message(body, mid="[127.0.0.1]:2945", version=3):
    return "MEGACO/%d %s\n%s" % (version, mid, body)


def transaction(tid, actions):
    return "Transaction = %d {\n%s\n}\n" % (tid, actions)


def add_choose(ctx="$", realm=None, remote=None, mode="SendReceive", extra_lc="", events=""):
    """An Add of ip/$ with Local asking for an address and port ($); events: e.g.
    'Events = 7 { hangterm/thb }' after the Media descriptor."""
    lc = "Mode = %s" % mode
    if realm:
        lc += ", ipdc/realm = %s" % realm
    if extra_lc:
        lc += ", " + extra_lc
    rem = ""
    if remote:
        ip, port = remote
        fam = "IP6" if ":" in ip else "IP4"
        rem = ",\nRemote {\nv=0\nc=IN %s %s\nm=audio %d RTP/AVP 0\n}" % (fam, ip, port)
    fam = "IP4"
    ev = (",\n" + events) if events else ""
    return ("Context = %s {\nAdd = ip/$ {\nMedia {\nStream = 1 {\nLocalControl { %s },\n"
            "Local {\nv=0\nc=IN %s $\nm=audio $ RTP/AVP 0\n}%s\n}\n}%s\n}\n}" % (ctx, lc, fam, rem, ev))


def subtract_all(ctx):
    return "Context = %s { Subtract = * { Audit { Statistics } } }" % ctx


def modify(ctx, tid, body):
    return "Context = %s { Modify = %s { %s } }" % (ctx, tid, body)


def sc_reply(tid, extra=""):
    """Reply accepting a ServiceChange on ROOT (extra: e.g. 'ServiceChangeAddress = 13000')."""
    svc = " Services { %s }" % extra if extra else ""
    return "Reply = %d {\nContext = - { ServiceChange = ROOT {%s } }\n}\n" % (tid, svc)


# ---------------------------------------------------------------- parsing
TXN_RE = re.compile(
    r"\b(Transaction|T|Reply|P|Pending|PN)\s*=\s*(\d+)", re.I)


def txns(text):
    """[(kind, id)] of the transactions in a message; kind in request/reply/pending."""
    out = []
    for m in TXN_RE.finditer(text):
        k = m.group(1).lower()
        kind = {"transaction": "request", "t": "request", "reply": "reply", "p": "reply",
                "pending": "pending", "pn": "pending"}[k]
        out.append((kind, int(m.group(2))))
    return out


def errors(text):
    """Error codes in a message."""
    return [int(x) for x in re.findall(r"\b(?:Error|ER)\s*=\s*(\d+)", text, re.I)]


def context_id(text):
    m = re.search(r"\b(?:Context|C)\s*=\s*(\d+)", text, re.I)
    return int(m.group(1)) if m else None


def termination_ids(text):
    return re.findall(r"\b(?:Add|A)\s*=\s*(ip/[^\s{,]+)", text, re.I)


def media_ports(text):
    return [int(x) for x in re.findall(r"m=audio\s+(\d+)", text)]


def service_change(text):
    """dict of the ServiceChange's Services parameters, or None."""
    if not re.search(r"\b(?:ServiceChange|SC)\s*=\s*ROOT", text, re.I):
        return None
    d = {}
    for key, names in (("method", "Method|MT"), ("reason", "Reason|RE"), ("delay", "Delay|DL"),
                       ("profile", "Profile|PF"), ("version", "Version|V")):
        m = re.search(r"\b(?:%s)\s*=\s*\"?([^\s,}\"]+)" % names, text, re.I)
        if m:
            d[key] = m.group(1)
    return d


def notify_events(text):
    if not re.search(r"\b(?:Notify|N)\s*=\s*ROOT", text, re.I):
        return None
    m = re.search(r"\b(?:ObservedEvents|OE)\s*=\s*(\d+)\s*\{([^}]*)", text, re.I)
    return (int(m.group(1)), m.group(2).strip()) if m else None


# ---------------------------------------------------------------- endpoints
def family_of(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class Udp:
    """A UDP endpoint: an MGC (bound to a known port) or a client."""

    def __init__(self, host="127.0.0.1", port=0):
        self.sock = socket.socket(family_of(host), socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.addr = self.sock.getsockname()

    def send(self, text, to):
        self.sock.sendto(text.encode() if isinstance(text, str) else text, to)

    def recv(self, timeout=2.0):
        """(text, from) or (None, None) on timeout."""
        self.sock.settimeout(timeout)
        try:
            data, frm = self.sock.recvfrom(65536)
        except socket.timeout:
            return None, None
        return data.decode(errors="replace"), frm

    def recv_until(self, pred, timeout=3.0):
        """First message for which pred(text) is true within timeout: (text, from)."""
        end = time.time() + timeout
        while True:
            left = end - time.time()
            if left <= 0:
                return None, None
            t, f = self.recv(left)
            if t is None:
                return None, None
            if pred(t):
                return t, f

    def drain(self, timeout=0.2):
        msgs = []
        while True:
            t, _ = self.recv(timeout)
            if t is None:
                return msgs
            msgs.append(t)

    def close(self):
        self.sock.close()


def tpkt(payload):
    data = payload.encode() if isinstance(payload, str) else payload
    return struct.pack("!BBH", 3, 0, len(data) + 4) + data


class Tcp:
    """A TCP client speaking TPKT-framed H.248."""

    def __init__(self, host, port, timeout=3.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, text):
        self.sock.sendall(tpkt(text))

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv(self, timeout=2.0):
        """One framed message as text, None on timeout, '' when the connection closed."""
        self.sock.settimeout(timeout)
        end = time.time() + timeout
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack("!H", self.buf[2:4])[0]
                if len(self.buf) >= n:
                    data, self.buf = self.buf[4:n], self.buf[n:]
                    return data.decode(errors="replace")
            left = end - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            except ConnectionResetError:
                return ""
            if not chunk:
                return ""
            self.buf += chunk

    def close(self):
        self.sock.close()


class TcpMgc:
    """A listening MGC over TCP: bgfd connects to it."""

    def __init__(self, host, port):
        self.ls = socket.socket(family_of(host), socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind((host, port))
        self.ls.listen(4)
        self.conn = None

    def accept(self, timeout=3.0):
        self.ls.settimeout(timeout)
        s, _ = self.ls.accept()
        self.conn = Tcp.__new__(Tcp)
        self.conn.sock = s
        self.conn.buf = b""
        return self.conn

    def close(self):
        if self.conn:
            self.conn.close()
        self.ls.close()


# ---------------------------------------------------------------- bgfd
class Bgfd:
    """build/bgfd with a temporary configuration. conf: dict section -> dict key -> value."""

    def __init__(self, conf, args=("-d",)):
        self.dir = tempfile.mkdtemp(prefix="bgf-it-")
        self.conf_path = os.path.join(self.dir, "bgfd.conf")
        self.log_path = os.path.join(self.dir, "bgfd.log")
        self.write_conf(conf)
        self.args = list(args)
        self.proc = None

    def write_conf(self, conf):
        with open(self.conf_path, "w") as f:
            for sec, kv in conf.items():
                f.write("[%s]\n" % sec)
                for k, v in kv.items():
                    f.write("%s = %s\n" % (k, v))

    def start(self):
        self.logf = open(self.log_path, "w")
        self.proc = subprocess.Popen([BGFD, "-c", self.conf_path] + self.args,
                                     stdout=self.logf, stderr=subprocess.STDOUT)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            self.proc.send_signal(sig)

    def wait(self, timeout=5.0):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc is None:
            return
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            if self.wait(1.0) is None:
                self.proc.send_signal(signal.SIGTERM)  # a second one ends at once
                if self.wait(2.0) is None:
                    self.proc.kill()
                    self.proc.wait()
        self.logf.close()
        self.log()  # keep the last log readable after the directory goes
        if not os.environ.get("BGF_IT_KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                self._last_log = f.read()
        except OSError:
            pass
        return getattr(self, "_last_log", "")

    def wait_log(self, pattern, timeout=3.0):
        end = time.time() + timeout
        while time.time() < end:
            if re.search(pattern, self.log()):
                return True
            time.sleep(0.05)
        return False


def base_conf(ctl_port, mgc_ports, media=(MEDIA_MIN, MEDIA_MIN + 499), tcp=True,
              mgc_host="127.0.0.1", extra=None):
    """A configuration for tests: bgfd on 127.0.0.1 and ::1 at ctl_port, fast timers."""
    conf = {
        "bgfd": {
            "mid": "[127.0.0.1]:%d" % ctl_port,
            "listen_udp": "127.0.0.1:%d, [::1]:%d" % (ctl_port, ctl_port),
            "listen_tcp": ("127.0.0.1:%d, [::1]:%d" % (ctl_port, ctl_port)) if tcp else "none",
            "mgc": ", ".join(p if isinstance(p, str) else "%s:%d" % (mgc_host, p)
                             for p in mgc_ports),
            "log_level": "debug",
        },
        "h248": {
            "retrans_initial_ms": 100,
            "retrans_max_ms": 400,
            "retrans_max_tries": 3,
            "normal_mgc_exec_ms": 100,
            "mgc_provisional_timer_ms": 200,
            "long_timer_ms": 5000,
        },
        "media": {"max_gates": 1000, "workers": 1},
        "realm core": {"addresses": "127.0.0.1", "ports": "%d-%d" % media},
    }
    for sec, kv in (extra or {}).items():
        conf.setdefault(sec, {}).update(kv)
    return conf


def register(mgc, timeout=3.0, reply_extra=""):
    """Wait for bgfd's ServiceChange at mgc (Udp) and accept it. Returns (text, from, sc)."""
    t, f = mgc.recv_until(lambda x: service_change(x) is not None, timeout)
    if t is None:
        return None, None, None
    tid = [i for k, i in txns(t) if k == "request"][0]
    mgc.send(message(sc_reply(tid, reply_extra)), f)
    return t, f, service_change(t)


def prerequisites(tap_plan):
    """Exit with a TAP failure when bgfd is not built."""
    if not os.access(BGFD, os.X_OK):
        t = Tap(1)
        t.ok(False, "bgfd is built (%s missing: run make)" % BGFD)
        t.done()
