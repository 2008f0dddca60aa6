#!/usr/bin/env python3
"""gen_tokens.py - writes src/h248/tokens.h and tokens.c: the H.248.1 text keywords (long and
short spellings, Annex B of H.248.1 v1-v3) and a collision-free hash table for the decoder's
case-insensitive keyword lookup. Run it after changing the list: python3 src/h248/gen_tokens.py
"""
import os

# (enum name, long form, short form or None)
KW = [
    ("ADD", "Add", "A"), ("ANDLGC", "ANDLgc", None), ("AUDIT", "Audit", "AT"),
    ("AUDITCAP", "AuditCapability", "AC"), ("AUDITVALUE", "AuditValue", "AV"),
    ("AUTH", "Authentication", "AU"), ("BOTH", "Both", "B"), ("BOTHWAY", "Bothway", "BW"),
    ("BRIEF", "Brief", "BR"), ("BUFFER", "Buffer", "BF"), ("CONTEXT", "Context", "C"),
    ("CONTEXTAUDIT", "ContextAudit", "CA"), ("CONTEXTATTR", "ContextAttr", "CT"),
    ("CONTEXTLIST", "ContextList", "CLT"), ("DELAY", "Delay", "DL"),
    ("DIGITMAP", "DigitMap", "DM"), ("DIRECTION", "SPADirection", "SPADI"),
    ("DISCONNECTED", "Disconnected", "DC"), ("DURATION", "Duration", "DR"),
    ("EMBED", "Embed", "EM"), ("EMERGENCY", "Emergency", "EG"),
    ("EMERGENCYOFF", "EmergencyOff", "EGO"), ("EMERGENCYVALUE", "EmergencyValue", "EGV"),
    ("ERROR", "Error", "ER"), ("EVENTBUFFER", "EventBuffer", "EB"), ("EVENTS", "Events", "E"),
    ("EXTERNAL", "External", "EX"), ("FAILOVER", "Failover", "FL"), ("FORCED", "Forced", "FO"),
    ("GRACEFUL", "Graceful", "GR"), ("HANDOFF", "HandOff", "HO"), ("IEPS", "IEPSCall", "IEPS"),
    ("IMMACK", "ImmAckRequired", "IA"), ("INACTIVE", "Inactive", "IN"),
    ("INSVC", "InService", "IV"), ("INTBYEVENT", "IntByEvent", "IBE"),
    ("INTBYSIGS", "IntBySigDescr", "IBS"), ("INTERNAL", "Internal", "IT"),
    ("INTSIGDELAY", "Intersignal", "SPAIS"), ("ISOLATE", "Isolate", "IS"),
    ("ITERATION", "Iteration", "IR"), ("KEEPACTIVE", "KeepActive", "KA"),
    ("LOCAL", "Local", "L"), ("LOCALCONTROL", "LocalControl", "O"),
    ("LOCKSTEP", "LockStep", "SP"), ("LOOPBACK", "Loopback", "LB"), ("MEDIA", "Media", "M"),
    ("MEGACO", "MEGACO", "!"), ("METHOD", "Method", "MT"), ("MGCID", "MgcIdToTry", "MG"),
    ("MODE", "Mode", "MO"), ("MODEM", "Modem", "MD"), ("MODIFY", "Modify", "MF"),
    ("MOVE", "Move", "MV"), ("MTP", "MTP", None), ("MUX", "Mux", "MX"),
    ("NEVERNOTIFY", "NeverNotify", "NBNN"), ("NOTIFY", "Notify", "N"),
    ("NOTIFYCOMPLETION", "NotifyCompletion", "NC"), ("NOTIFYIMMEDIATE", "ImmediateNotify", "NBIN"),
    ("NOTIFYREGULATED", "RegulatedNotify", "NBRN"), ("OBSERVEDEVENTS", "ObservedEvents", "OE"),
    ("OFF", "OFF", None), ("ON", "ON", None), ("ONEWAY", "Oneway", "OW"),
    ("ONEWAYBOTH", "OnewayBoth", "OWB"), ("ONEWAYEXT", "OnewayExternal", "OWE"),
    ("ONOFF", "OnOff", "OO"), ("ORLGC", "ORLgc", None), ("OTHERREASON", "OtherReason", "OR"),
    ("OUTOFSVC", "OutOfService", "OS"), ("PACKAGES", "Packages", "PG"),
    ("PENDING", "Pending", "PN"), ("PRIORITY", "Priority", "PR"), ("PROFILE", "Profile", "PF"),
    ("REASON", "Reason", "RE"), ("RECVONLY", "ReceiveOnly", "RC"), ("REMOTE", "Remote", "R"),
    ("REPLY", "Reply", "P"), ("REQUESTID", "SPARequestID", "SPARQ"),
    ("RESERVEDGROUP", "ReservedGroup", "RG"), ("RESERVEDVALUE", "ReservedValue", "RV"),
    ("RESETEVENTS", "ResetEventsDescriptor", "RSE"), ("RESPONSEACK", "TransactionResponseAck", "K"),
    ("RESTART", "Restart", "RS"), ("SCADDRESS", "ServiceChangeAddress", "AD"),
    ("SCINC", "ServiceChangeInc", "SIC"), ("SEGMENT", "Segment", "SM"), ("SEGEND", "END", "&"),
    ("SENDONLY", "SendOnly", "SO"), ("SENDRECV", "SendReceive", "SR"),
    ("SERVICECHANGE", "ServiceChange", "SC"), ("SERVICES", "Services", "SV"),
    ("SERVICESTATES", "ServiceStates", "SI"), ("SIGNALLIST", "SignalList", "SL"),
    ("SIGNALS", "Signals", "SG"), ("SIGNALTYPE", "SignalType", "SY"),
    ("STATISTICS", "Statistics", "SA"), ("STREAM", "Stream", "ST"), ("SUBTRACT", "Subtract", "S"),
    ("TERMSTATE", "TerminationState", "TS"), ("TEST", "Test", "TE"), ("TIMEOUT", "TimeOut", "TO"),
    ("TOPOLOGY", "Topology", "TP"), ("TRANSACTION", "Transaction", "T"), ("VERSION", "Version", "V"),
]

SIZE = 4096


def h(word, mult):
    x = 0
    for ch in word.lower().encode():
        x = (x * mult + ch) & 0xFFFFFFFF
    return x


def main():
    words = []
    for i, (_, lng, sh) in enumerate(KW):
        words.append((lng, i + 1))
        if sh and sh.lower() != lng.lower():
            words.append((sh, i + 1))
    for mult in range(31, 100000, 2):
        slots = {}
        ok = True
        for w, _ in words:
            s = (h(w, mult) ^ len(w)) & (SIZE - 1)
            if s in slots:
                ok = False
                break
            slots[s] = w
        if ok:
            break
    else:
        raise SystemExit("no collision-free multiplier found")
    table = [None] * SIZE
    for w, i in words:
        table[(h(w, mult) ^ len(w)) & (SIZE - 1)] = (w, i)
    here = os.path.dirname(os.path.abspath(__file__))
    maxlen = max(len(w) for w, _ in words)
    with open(os.path.join(here, "tokens.h"), "w") as f:
        f.write("/* tokens.h - H.248.1 text keywords (generated by gen_tokens.py; do not edit).\n"
                " * Internal to the codec. */\n#ifndef BGF_H248_TOKENS_H\n#define BGF_H248_TOKENS_H\n"
                "#include <stddef.h>\n#include <stdint.h>\n\n")
        f.write("enum h248_kw {\n    KW_NONE = 0,\n")
        for name, lng, sh in KW:
            f.write("    KW_%s, /* %s%s */\n" % (name, lng, " " + sh if sh else ""))
        f.write("    KW_COUNT\n};\n\n")
        f.write("#define H248_KW_MAXLEN %d\n#define H248_KW_MULT %du\n#define H248_KW_SIZE %d\n\n"
                % (maxlen, mult, SIZE))
        f.write("/* Keyword of s[0..n) (case-insensitive), or KW_NONE; hash is the running\n"
                " * hash h = h * H248_KW_MULT + lowercase(c) over the word. */\n"
                "int h248_kw_lookup(const char *s, size_t n, uint32_t hash);\n"
                "/* Keyword of s[0..n) computing the hash itself. */\n"
                "int h248_kw_find(const char *s, size_t n);\n"
                "/* Long spelling of a keyword (for messages). */\n"
                "const char *h248_kw_long(int kw);\n\n#endif\n")
    with open(os.path.join(here, "tokens.c"), "w") as f:
        f.write("/* tokens.c - H.248.1 text keyword table (generated by gen_tokens.py; do not edit):\n"
                " * a collision-free hash of every long and short keyword, lower case. Read-only data,\n"
                " * any thread. */\n#include \"h248/tokens.h\"\n\n#include <string.h>\n\n")
        f.write("typedef struct kw_word {\n    uint8_t len, kw;\n    char s[%d];\n} kw_word_t;\n\n" % (maxlen + 1))
        f.write("/* WORDS[0] is empty; INDEX maps a hash slot to a word (0 = none). */\n")
        f.write("static const kw_word_t WORDS[] = {\n    {0, 0, \"\"},\n")
        idx = {}
        for i, e in enumerate(table):
            if e:
                idx[i] = len(idx) + 1
                f.write('    {%d, %d, "%s"},\n' % (len(e[0]), e[1], e[0].lower()))
        f.write("};\n\nstatic const uint8_t INDEX[H248_KW_SIZE] = {\n")
        for i in sorted(idx):
            f.write("    [%d] = %d,\n" % (i, idx[i]))
        f.write("};\n\n")
        f.write("static const char *const LONG[KW_COUNT] = {\n    [KW_NONE] = \"\",\n")
        for name, lng, sh in KW:
            f.write('    [KW_%s] = "%s",\n' % (name, lng))
        f.write("};\n\n")
        f.write("""int h248_kw_lookup(const char *s, size_t n, uint32_t hash)
{
    if (n == 0 || n > H248_KW_MAXLEN) return KW_NONE;
    const kw_word_t *e = &WORDS[INDEX[(hash ^ (uint32_t)n) & (H248_KW_SIZE - 1)]];
    if (e->len != n) return KW_NONE;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        if (c != (unsigned char)e->s[i]) return KW_NONE;
    }
    return e->kw;
}

int h248_kw_find(const char *s, size_t n)
{
    uint32_t hash = 0;
    if (n > H248_KW_MAXLEN) return KW_NONE;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        hash = hash * H248_KW_MULT + c;
    }
    return h248_kw_lookup(s, n, hash);
}

const char *h248_kw_long(int kw)
{
    return kw > KW_NONE && kw < KW_COUNT ? LONG[kw] : "";
}
""")
    print("mult", mult, "words", len(words))


main()
