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
    ("EMERGENCYOFF", "EmergencyOff", "EGO", "EmergencyOffToken"), ("EMERGENCYVALUE", "EmergencyValue", "EGV"),
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

BITS = 11
SIZE = 1 << BITS


def key(w):
    """the lexer's hash input: first two and last two bytes (lower case) and the length"""
    b = w.lower().encode()
    n = len(b)
    c1 = b[1] if n > 1 else 0
    cy = b[-2] if n > 1 else 0
    return (b[0] | c1 << 8 | cy << 16 | b[-1] << 24) ^ ((n * 0x9E3779B1) & 0xFFFFFFFF)


def slot(w, mult):
    return ((key(w) * mult) & 0xFFFFFFFF) >> (32 - BITS)


def main():
    import random
    words = []
    for i, (_, lng, sh, *alias) in enumerate(KW):
        words.append((lng, i + 1))
        if sh and sh.lower() != lng.lower():
            words.append((sh, i + 1))
        for al in alias:  # spellings seen from other stacks
            words.append((al, i + 1))
    rnd = random.Random(1)
    for _ in range(1000000):
        mult = rnd.getrandbits(32) | 1
        if len({slot(w, mult) for w, _ in words}) == len(words):
            break
    else:
        raise SystemExit("no collision-free multiplier found")
    table = [None] * SIZE
    for w, i in words:
        table[slot(w, mult)] = (w, i)
    here = os.path.dirname(os.path.abspath(__file__))
    maxlen = max(len(w) for w, _ in words)
    with open(os.path.join(here, "tokens.h"), "w") as f:
        f.write("/* tokens.h - H.248.1 text keywords (generated by gen_tokens.py; do not edit).\n"
                " * Internal to the codec. */\n#ifndef BGF_H248_TOKENS_H\n#define BGF_H248_TOKENS_H\n"
                "#include <stddef.h>\n#include <stdint.h>\n\n")
        f.write("enum h248_kw {\n    KW_NONE = 0,\n")
        for name, lng, sh, *_ in KW:
            f.write("    KW_%s, /* %s%s */\n" % (name, lng, " " + sh if sh else ""))
        f.write("    KW_COUNT\n};\n\n")
        f.write("#define H248_KW_MAXLEN %d\n#define H248_KW_MULT 0x%08xu\n#define H248_KW_BITS %d\n"
                "#define H248_KW_SIZE %d\n\n" % (maxlen, mult, BITS, SIZE))
        f.write("typedef struct h248_kw_word {\n    uint8_t len, kw;\n    char s[%d];\n} h248_kw_word_t;\n\n"
                % (maxlen + 1))
        f.write("/* tokens.c: WORDS[0] is empty; INDEX maps a hash slot to a word (0 = none). */\n"
                "extern const h248_kw_word_t h248_kw_words[];\n"
                "extern const uint8_t h248_kw_index[H248_KW_SIZE];\n\n")
        f.write(LOOKUP_H)
        f.write("/* Long spelling of a keyword (for messages). */\n"
                "const char *h248_kw_long(int kw);\n\n#endif\n")
    with open(os.path.join(here, "tokens.c"), "w") as f:
        f.write("/* tokens.c - H.248.1 text keyword table (generated by gen_tokens.py; do not edit):\n"
                " * a collision-free hash of every long and short keyword. Read-only data, any\n"
                " * thread. */\n#include \"h248/tokens.h\"\n\n")
        f.write("const h248_kw_word_t h248_kw_words[] = {\n    {0, 0, \"\"},\n")
        idx = {}
        for i, e in enumerate(table):
            if e:
                idx[i] = len(idx) + 1
                f.write('    {%d, %d, "%s"},\n' % (len(e[0]), e[1], e[0].lower()))
        f.write("};\n\nconst uint8_t h248_kw_index[H248_KW_SIZE] = {\n")
        for i in sorted(idx):
            f.write("    [%d] = %d,\n" % (i, idx[i]))
        f.write("};\n\n")
        f.write("static const char *const LONG[KW_COUNT] = {\n    [KW_NONE] = \"\",\n")
        for name, lng, sh, *_ in KW:
            f.write('    [KW_%s] = "%s",\n' % (name, lng))
        f.write("};\n\n")
        f.write(LOOKUP_C)
    print("multiplier 0x%08x, %d spellings" % (mult, len(words)))


LOOKUP_H = """/* Keyword of the word s[0..n) of SafeChars (case-insensitive), or KW_NONE: one
 * multiplicative hash of the first two and last two bytes and the length, one table probe,
 * one comparison. */
static inline int h248_kw_find(const char *s, size_t n)
{
    if (n == 0 || n > H248_KW_MAXLEN) return KW_NONE;
    /* | 0x20 lower-cases letters and leaves every other SafeChar of a keyword unchanged */
    uint32_t k = (uint32_t)((unsigned char)s[0] | 0x20) |
                 (uint32_t)(n > 1 ? (unsigned char)s[1] | 0x20 : 0) << 8 |
                 (uint32_t)(n > 1 ? (unsigned char)s[n - 2] | 0x20 : 0) << 16 |
                 (uint32_t)((unsigned char)s[n - 1] | 0x20) << 24;
    k ^= (uint32_t)n * 0x9E3779B1u;
    const h248_kw_word_t *e = &h248_kw_words[h248_kw_index[(k * H248_KW_MULT) >> (32 - H248_KW_BITS)]];
    if (e->len != n) return KW_NONE;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] | 0x20) != (unsigned char)e->s[i]) return KW_NONE;
    return e->kw;
}

"""

LOOKUP_C = """const char *h248_kw_long(int kw)
{
    return kw > KW_NONE && kw < KW_COUNT ? LONG[kw] : "";
}
"""

main()
