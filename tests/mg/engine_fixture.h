/* engine_fixture.h - a call engine on a real data plane (one worker, loopback media ports
 * from MG_TEST_MEDIA_PORT, default 40000) with interception on, for the engine's unit tests.
 * run() decodes request text, executes its first transaction and returns the reply encoded in
 * compact text. */
#ifndef BGF_TEST_ENGINE_FIXTURE_H
#define BGF_TEST_ENGINE_FIXTURE_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "dp/dp.h"
#include "h248/h248.h"
#include "li/li.h"
#include "mg/engine.h"

#define FX_TDEA_KEY "0123456789abcdeffedcba98765432100011223344556677"

typedef struct fx {
    mg_config_t cfg;
    dp_t *dp;
    li_ctl_t *li;
    li_keys_t *keys;
    mg_engine_t *e;
    arena_t a;
    char dir[64];
    char out[65536];
    char sent[8192]; /* last request the engine asked to send (compact) */
    int nsent;
    uint32_t inactivity_ms;
    int ninactivity;
    int nsc;
} fx_t;

static inline uint16_t fx_port_base(void)
{
    const char *s = getenv("MG_TEST_MEDIA_PORT");
    int p = s ? atoi(s) : 40000;
    return (uint16_t)(p > 1024 && p < 64000 ? p : 40000);
}

static inline void fx_send(void *arg, const h248_action_t *actions)
{
    fx_t *f = arg;
    arena_t a;
    arena_init(&a, 0, 0);
    h248_mid_t mid = {
        .kind = H248_MID_IP4, .addr = H248_STR("127.0.0.1"), .port = 2944, .has_port = true};
    h248_message_t *m = h248_msg_new(&a, 3, &mid);
    h248_txn_t *t = h248_txn_add(&a, m, H248_TXN_REQUEST, 77);
    t->actions = (h248_action_t *)actions;
    int n = h248_encode(m, H248_COMPACT, f->sent, sizeof(f->sent));
    if (n < 0) f->sent[0] = 0;
    f->nsent++;
    arena_free(&a);
}

static inline void fx_inactivity(void *arg, uint32_t ms)
{
    fx_t *f = arg;
    f->inactivity_ms = ms;
    f->ninactivity++;
}

static inline void fx_sc(void *arg, const h248_service_change_t *sc)
{
    fx_t *f = arg;
    (void)sc;
    f->nsc++;
}

/* pairs: port pairs in the "core" realm; share: LI share limit in % (0 = default 1 %);
 * max_ctx: contexts the engine may hold. */
static inline fx_t *fx_new_ctx(unsigned pairs, double share, uint32_t max_ctx)
{
    fx_t *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    mg_config_t *c = &f->cfg;
    mg_config_default(c);
    uint16_t base = fx_port_base();
    memset(c->realms, 0, sizeof(c->realms));
    c->nrealms = 2;
    snprintf(c->realms[0].name, sizeof(c->realms[0].name), "core");
    netaddr_parse_ip(&c->realms[0].addrs[0], "127.0.0.1", 0);
    c->realms[0].naddrs = 1;
    c->realms[0].port_min = base;
    c->realms[0].port_max = (uint16_t)(base + 2 * pairs - 1);
    snprintf(c->realms[1].name, sizeof(c->realms[1].name), "v6");
    netaddr_parse_ip(&c->realms[1].addrs[0], "::1", 0);
    c->realms[1].naddrs = 1;
    c->realms[1].port_min = (uint16_t)(base + 2000);
    c->realms[1].port_max = (uint16_t)(base + 2099);
    c->default_realm = 0;
    c->max_contexts = max_ctx;
    c->max_gates = 256;

    snprintf(f->dir, sizeof(f->dir), "/tmp/bgfmg-engine-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/keys", f->dir);
    FILE *k = fopen(path, "w");
    assert_non_null(k);
    fprintf(k, "tdea %s\n", FX_TDEA_KEY);
    fclose(k);
    chmod(path, 0600);
    li_conf_t *l = &c->li;
    memset(l, 0, sizeof(*l));
    l->enabled = true;
    snprintf(l->key_file, sizeof(l->key_file), "%s", path);
    netaddr_parse(&l->df_dst, "127.0.0.1:9", -1);
    snprintf(l->operator_id, sizeof(l->operator_id), "OP1");
    l->max_share_pct = share;
    snprintf(l->log_file, sizeof(l->log_file), "%s/li.log", f->dir);
    snprintf(l->status_file, sizeof(l->status_file), "%s/li.status", f->dir);
    char err[256];
    f->li = li_ctl_new(l, c->max_gates, err, sizeof(err));
    if (!f->li) fail_msg("li_ctl_new: %s", err);
    assert_int_equal(li_keys_load(path, &f->keys, err, sizeof(err)), 0);

    dp_config_t dc = {.workers = 1, .max_gates = c->max_gates};
    f->dp = dp_start(&dc, err, sizeof(err));
    if (!f->dp) fail_msg("dp_start: %s", err);
    mg_engine_ops_t ops = {.arg = f,
                           .send_request = fx_send,
                           .inactivity = fx_inactivity,
                           .root_service_change = fx_sc};
    f->e = mg_engine_new(c, f->dp, f->li, &ops, err, sizeof(err));
    if (!f->e) fail_msg("mg_engine_new: %s", err);
    arena_init(&f->a, 0, 0);
    return f;
}

static inline fx_t *fx_new(unsigned pairs, double share)
{
    return fx_new_ctx(pairs, share, 64);
}

static inline void fx_free(fx_t *f)
{
    mg_engine_free(f->e);
    dp_stop(f->dp);
    li_ctl_free(f->li);
    li_keys_free(f->keys);
    arena_free(&f->a);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->dir);
    free(f);
}

/* Execute the first transaction of the request text; the reply in compact text. */
static inline const char *run(fx_t *f, const char *text)
{
    arena_reset(&f->a);
    h248_message_t *m = NULL;
    h248_error_t err;
    int rc = h248_decode(text, strlen(text), &f->a, &m, &err);
    if (rc != H248_OK)
        fail_msg("decode failed: %s at %u:%u\n%s", err.reason, err.line, err.col, text);
    assert_non_null(m->txns);
    h248_txn_t *rep = mg_engine_execute(f->e, m->txns, m->version, &f->a);
    assert_non_null(rep);
    h248_mid_t mid = {
        .kind = H248_MID_IP4, .addr = H248_STR("127.0.0.1"), .port = 2944, .has_port = true};
    h248_message_t *out = h248_msg_new(&f->a, m->version, &mid);
    out->txns = rep;
    rc = h248_encode(out, H248_COMPACT, f->out, sizeof(f->out));
    if (rc < 0) fail_msg("encode failed: %d", rc);
    if (getenv("FX_VERBOSE")) fprintf(stderr, "--> %s\n<-- %s\n", text, f->out);
    return f->out;
}

#define assert_has(hay, needle)                                                                    \
    do {                                                                                           \
        if (!strstr((hay), (needle))) fail_msg("missing \"%s\" in:\n%s", (needle), (hay));         \
    } while (0)
#define assert_lacks(hay, needle)                                                                  \
    do {                                                                                           \
        if (strstr((hay), (needle))) fail_msg("unexpected \"%s\" in:\n%s", (needle), (hay));       \
    } while (0)

/* The number after "m=audio " in text, or -1. */
static inline int fx_mport(const char *text)
{
    const char *p = strstr(text, "m=audio ");
    return p ? atoi(p + 8) : -1;
}

static inline char *fx_slurp(const char *path)
{
    static char buf[65536];
    FILE *fp = fopen(path, "r");
    size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
    if (fp) fclose(fp);
    buf[n] = 0;
    return buf;
}

#endif
