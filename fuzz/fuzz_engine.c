/* fuzz_engine.c - libFuzzer target for bgfd's control path as the MGC reaches it: any bytes
 * are decoded, every request transaction is executed by the call engine against a real data
 * plane (loopback ports 60000-60127), and each reply is encoded in both forms. A decode
 * failure must come with an error code to answer with; a reply must always encode. After each
 * input every context is released, so inputs do not depend on each other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/log.h"
#include "dp/dp.h"
#include "h248/h248.h"
#include "mg/config.h"
#include "mg/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mg_engine_t *engine;
static dp_t *dp;

static void on_request(void *arg, const h248_action_t *a) {}
static void on_inactivity(void *arg, uint32_t mit_ms) {}
static void on_root_sc(void *arg, const h248_service_change_t *sc) {}

static void setup(void)
{
    static mg_config_t cfg;
    char err[256];
    log_open("stderr", "fuzz_engine", LOG_LVL_ERROR);
    mg_config_default(&cfg);
    cfg.realms[0].port_min = 60000;
    cfg.realms[0].port_max = 60127;
    cfg.max_gates = 64;
    cfg.max_contexts = 32;
    dp_config_t dc = {.workers = 1, .max_gates = cfg.max_gates};
    dp = dp_start(&dc, err, sizeof(err));
    if (!dp) {
        fprintf(stderr, "fuzz_engine: dp_start: %s\n", err);
        abort();
    }
    mg_engine_ops_t ops = {.send_request = on_request, .inactivity = on_inactivity,
                           .root_service_change = on_root_sc};
    engine = mg_engine_new(&cfg, dp, NULL, &ops, err, sizeof(err));
    if (!engine) {
        fprintf(stderr, "fuzz_engine: engine: %s\n", err);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine) setup();
    arena_t a;
    arena_init(&a, 8192, 16u << 20);
    h248_message_t *m = NULL;
    h248_error_t err;
    if (h248_decode((const char *)data, size, &a, &m, &err) != H248_OK) {
        if (err.code < 400 || err.code > 599) abort(); /* every failure has its answer */
        arena_free(&a);
        return 0;
    }
    static char buf[1 << 17];
    for (h248_txn_t *t = m->txns; t; t = t->next) {
        if (t->kind != H248_TXN_REQUEST) continue;
        h248_txn_t *r = mg_engine_execute(engine, t, m->version, &a);
        if (!r) break; /* arena exhausted: the only allowed NULL */
        if (r->id != t->id) abort();
        if (h248_encode_txn(r, m->version, H248_PRETTY, buf, sizeof(buf)) < 0) abort();
        if (h248_encode_txn(r, m->version, H248_COMPACT, buf, sizeof(buf)) < 0) abort();
    }
    mg_engine_release_all(engine);
    arena_free(&a);
    return 0;
}
