"""ngctl.py - a small client of rtpengine's ng control protocol (bencode over UDP).

Each request is one datagram "<cookie> <bencoded dictionary>"; the reply carries the same
cookie. Used by bench/capacity.py to set calls up (offer, answer) and tear them down (delete)
with many requests in flight. Python 3 stdlib only.
"""
import os
import select
import socket
import time


def benc(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:%s" % (len(v), v)
    if isinstance(v, (list, tuple)):
        return b"l" + b"".join(benc(x) for x in v) + b"e"
    if isinstance(v, dict):
        return b"d" + b"".join(benc(k) + benc(v[k]) for k in sorted(v)) + b"e"
    raise TypeError(type(v))


def bdec(b, i=0):
    """Decode one value at b[i:]; returns (value, next index). Strings come back as str."""
    c = b[i:i + 1]
    if c == b"i":
        j = b.index(b"e", i)
        return int(b[i + 1:j]), j + 1
    if c in (b"l", b"d"):
        i += 1
        out = []
        while b[i:i + 1] != b"e":
            v, i = bdec(b, i)
            out.append(v)
        if c == b"l":
            return out, i + 1
        return dict(zip(out[::2], out[1::2])), i + 1
    j = b.index(b":", i)
    n = int(b[i:j])
    s = b[j + 1:j + 1 + n]
    try:
        s = s.decode()
    except UnicodeDecodeError:
        pass
    return s, j + 1 + n


def sdp(addr, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n" % (addr, addr, port))


def sdp_port(text):
    for line in text.split("\n"):
        if line.startswith("m=audio "):
            return int(line.split()[1])
    raise ValueError("no m=audio line in reply SDP")


def sdp_addr(text):
    for line in text.split("\n"):
        if line.startswith("c=IN IP4 "):
            return line.split()[2].strip()
    raise ValueError("no c= line in reply SDP")


class Ng:
    def __init__(self, addr=("127.0.0.1", 2223), window=64, timeout=2.0):
        self.addr = addr
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.window = window
        self.timeout = timeout
        self.seq = 0
        self.prefix = os.urandom(3).hex()

    def run(self, requests):
        """Send dict requests with up to `window` in flight; returns replies in order.
        Retransmits a request unanswered after 0.5 s; raises after `timeout` of silence."""
        replies = [None] * len(requests)
        pending = {}  # cookie -> (index, datagram, sent_at)
        nxt = 0
        done = 0
        last_progress = time.monotonic()
        while done < len(requests):
            while nxt < len(requests) and len(pending) < self.window:
                self.seq += 1
                cookie = "%s_%d" % (self.prefix, self.seq)
                dg = cookie.encode() + b" " + benc(requests[nxt])
                self.sock.sendto(dg, self.addr)
                pending[cookie] = (nxt, dg, time.monotonic())
                nxt += 1
            r, _, _ = select.select([self.sock], [], [], 0.1)
            now = time.monotonic()
            if r:
                data = self.sock.recv(65536)
                sp = data.index(b" ")
                cookie = data[:sp].decode()
                if cookie in pending:
                    idx = pending.pop(cookie)[0]
                    replies[idx] = bdec(data, sp + 1)[0]
                    done += 1
                    last_progress = now
            for cookie, (idx, dg, at) in list(pending.items()):
                if now - at > 0.5:
                    self.sock.sendto(dg, self.addr)
                    pending[cookie] = (idx, dg, now)
            if now - last_progress > self.timeout:
                raise TimeoutError("rtpengine ng: no answer from %s:%d" % self.addr)
        return replies

    def ping(self):
        return self.run([{"command": "ping"}])[0].get("result") == "pong"

    def setup_calls(self, calls, tag="b"):
        """calls: list of (call_id, (a_addr, a_port), (b_addr, b_port)).
        Returns per call ((relay_addr_for_a, port), (relay_addr_for_b, port))."""
        offers = [{"command": "offer", "call-id": cid, "from-tag": "A" + cid,
                   "sdp": sdp(a[0], a[1]), "replace": ["origin"]} for cid, a, b in calls]
        ro = self.run(offers)
        answers = [{"command": "answer", "call-id": cid, "from-tag": "A" + cid,
                    "to-tag": "B" + cid, "sdp": sdp(b[0], b[1])} for cid, a, b in calls]
        ra = self.run(answers)
        out = []
        for o, a in zip(ro, ra):
            if o.get("result") != "ok" or a.get("result") != "ok":
                raise RuntimeError("rtpengine refused a call: %r %r" % (o, a))
            # offer reply: where B sends (relay port for B); answer reply: where A sends
            out.append(((sdp_addr(a["sdp"]), sdp_port(a["sdp"])),
                        (sdp_addr(o["sdp"]), sdp_port(o["sdp"]))))
        return out

    def delete_calls(self, call_ids):
        self.run([{"command": "delete", "call-id": cid, "delete-delay": 0} for cid in call_ids])
