/* assoc_sc.c - the association's ServiceChanges (see assoc.h): registration with the MGC
 * list and its back-off, MgcIdToTry / ServiceChangeAddress, failover when the MGC is lost
 * (H.248.1 11.5), the MGC's own ServiceChange on ROOT (Forced, HandOff, Graceful, Restart),
 * reload of the MGC list and the graceful leave. Control-plane thread only; the state lives
 * in struct mg_assoc (assoc_int.h), messages go out through assoc.c. */
#include "mg/assoc_int.h"

#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

static void reg_send(mg_assoc_t *a);

/* ---- outgoing ServiceChange ---- */

static int send_service_change(mg_assoc_t *a, h248_sc_method_t method, const char *reason,
                               bool with_delay, uint32_t delay, uint8_t hdr_version,
                               mg_txn_out_fn done, uint32_t *tid_out)
{
    arena_reset(&a->out_arena);
    arena_t *ar = &a->out_arena;
    uint32_t tid = mg_txn_next_tid(a->txn);
    h248_message_t *m = h248_msg_new(ar, hdr_version, &a->mid);
    h248_txn_t *t = m ? h248_txn_add(ar, m, H248_TXN_REQUEST, tid) : NULL;
    h248_action_t *ac = t ? h248_action_add(ar, t, H248_CTX_NULL) : NULL;
    h248_cmd_t *c = ac ? h248_cmd_add(ar, ac, H248_CMD_SERVICE_CHANGE, H248_STR("ROOT")) : NULL;
    h248_desc_t *d = c ? h248_desc_add(ar, c, H248_D_SERVICE_CHANGE) : NULL;
    h248_value_t *rv = arena_alloc(ar, sizeof(*rv));
    if (!d || !rv) return -1;
    c->tids->flags |= H248_TID_ROOT;
    h248_service_change_t *sc = &d->u.sc;
    sc->method = method;
    rv->s = h248_str(reason);
    sc->reason = rv;
    if (with_delay) sc->delay = delay, sc->has_delay = true;
    if (method != H248_SCM_GRACEFUL && method != H248_SCM_FORCED) {
        char *pf = arena_printf(ar, "%s/%u", a->cfg->profile, a->cfg->profile_version);
        sc->profile = h248_str(pf);
        sc->version = (uint8_t)a->cfg->h248_version;
    }
    if (assoc_build_request(a, m) < 0) {
        LOG_ERR("cannot encode a ServiceChange");
        return -1;
    }
    *tid_out = tid;
    assoc_request_out(a, tid, done);
    return 0;
}

/* ---- registration ---- */

static const char *method_name(h248_sc_method_t m)
{
    static const char *n[] = {"-",       "Failover",     "Forced",  "Graceful",
                              "Restart", "Disconnected", "HandOff", "extension"};
    return (unsigned)m < sizeof(n) / sizeof(n[0]) ? n[m] : "?";
}

static void registered(mg_assoc_t *a, const h248_service_change_t *sc)
{
    char as[NETADDR_STRLEN];
    a->state = MG_ASSOC_REGISTERED;
    a->lost = false;
    a->root_oos = false;
    mg_timer_stop(a->loop, &a->oos_timer);
    a->tried = 0;
    a->round_wait_ms = 0;
    a->version = (uint8_t)a->cfg->h248_version;
    if (sc && sc->version && sc->version < a->version) a->version = sc->version;
    LOG_NOTICE("registered with MGC %s (%s, version %u)",
               netaddr_format(&a->mgc.addr, as, sizeof(as)), method_name(a->reg_method),
               a->version);
    if (a->mit_ms) mg_timer_start(a->loop, &a->it_timer, a->mit_ms);
}

/* Turn an mId from ServiceChangeAddress / MgcIdToTry into a transport address. */
static int mid_to_addr(const h248_mid_t *mid, const netaddr_t *cur, netaddr_t *out)
{
    char host[256];
    uint16_t port = mid->has_port ? mid->port : 2944;
    if (mid->kind == H248_MID_PORT) {
        *out = *cur;
        netaddr_set_port(out, mid->port);
        return 0;
    }
    if (mid->addr.len == 0 || mid->addr.len >= sizeof(host)) return -1;
    memcpy(host, mid->addr.p, mid->addr.len);
    host[mid->addr.len] = '\0';
    if (mid->kind == H248_MID_IP4 || mid->kind == H248_MID_IP6)
        return netaddr_parse_ip(out, host, port);
    if (mid->kind != H248_MID_DOMAIN) return -1;
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *res = NULL;
    if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) return -1;
    memset(out, 0, sizeof(*out));
    memcpy(&out->u, res->ai_addr,
           res->ai_addrlen < sizeof(out->u) ? res->ai_addrlen : sizeof(out->u));
    freeaddrinfo(res);
    netaddr_set_port(out, port);
    return 0;
}

static void use_list_mgc(mg_assoc_t *a, unsigned idx)
{
    a->mgc_idx = idx % a->cfg->nmgc;
    a->mgc.kind = a->cfg->mgc[a->mgc_idx].transport;
    a->mgc.addr = a->cfg->mgc[a->mgc_idx].addr;
    a->mgc.conn = -1;
}

/* Next MGC of the list; after a whole round without an answer, wait and start over. */
static void next_mgc(mg_assoc_t *a)
{
    if (++a->tried >= a->cfg->nmgc) {
        a->tried = 0;
        uint32_t w = a->round_wait_ms ? a->round_wait_ms * 2 : a->cfg->retrans_max_ms;
        a->round_wait_ms = w > 60000 ? 60000 : w;
        uint32_t jitter = (uint32_t)(rand() % (int)(a->round_wait_ms / 4 + 1));
        LOG_WARN("no MGC of the list answers; trying again in %u ms", a->round_wait_ms + jitter);
        a->mgc_idx = 0;
        mg_timer_start(a->loop, &a->retry_timer, a->round_wait_ms + jitter);
        return;
    }
    use_list_mgc(a, a->mgc_idx + 1);
    reg_send(a);
}

static void reg_reply(mg_assoc_t *a, const h248_txn_t *r)
{
    const h248_service_change_t *sc = NULL;
    int err = r->error ? r->error->code : 0;
    for (const h248_action_t *ac = r->actions; ac; ac = ac->next) {
        if (ac->error && !err) err = ac->error->code;
        for (const h248_cmd_t *c = ac->cmds; c; c = c->next)
            for (const h248_desc_t *d = c->descs; d; d = d->next) {
                if (d->kind == H248_D_ERROR && !err) err = d->u.error.code;
                if (d->kind == H248_D_SERVICE_CHANGE && !d->bare) sc = &d->u.sc;
            }
    }
    char as[NETADDR_STRLEN];
    netaddr_t to;
    if (sc && sc->mgc_id && mid_to_addr(sc->mgc_id, &a->mgc.addr, &to) == 0) {
        LOG_NOTICE("MGC %s sends us to MGC %s (MgcIdToTry)",
                   netaddr_format(&a->mgc.addr, as, sizeof(as)),
                   netaddr_format(&to, as, sizeof(as)));
        a->mgc.addr = to;
        a->mgc.conn = -1;
        reg_send(a);
        return;
    }
    if (err) {
        LOG_WARN("MGC %s refused the registration (error %d)",
                 netaddr_format(&a->mgc.addr, as, sizeof(as)), err);
        next_mgc(a);
        return;
    }
    if (sc && sc->address && mid_to_addr(sc->address, &a->mgc.addr, &to) == 0) {
        LOG_NOTICE("MGC asks us to use %s from now on (ServiceChangeAddress)",
                   netaddr_format(&to, as, sizeof(as)));
        a->mgc.addr = to;
        a->mgc.conn = -1;
    }
    registered(a, sc);
}

static void reg_done(void *arg, uint32_t tid, mg_txn_out_status_t st, const void *reply)
{
    mg_assoc_t *a = arg;
    if (a->state != MG_ASSOC_REGISTERING || tid != a->reg_tid) return; /* superseded */
    if (st == MG_TXN_OUT_CANCEL) return;
    if (st == MG_TXN_OUT_TIMEOUT) {
        char as[NETADDR_STRLEN];
        LOG_WARN("MGC %s does not answer the registration",
                 netaddr_format(&a->mgc.addr, as, sizeof(as)));
        if (a->reg_method == H248_SCM_HANDOFF) a->reg_method = H248_SCM_RESTART;
        next_mgc(a);
        return;
    }
    reg_reply(a, reply);
}

static void reg_send(mg_assoc_t *a)
{
    char as[NETADDR_STRLEN];
    a->state = MG_ASSOC_REGISTERING;
    if (a->lost) {
        /* H.248.1 11.5: Failover (909) towards another MGC, Disconnected (900) to the same */
        bool same = netaddr_equal(&a->mgc.addr, &a->cfg->mgc[a->lost_idx].addr);
        a->reg_method = same ? H248_SCM_DISCONNECTED : H248_SCM_FAILOVER;
        a->reg_reason = same ? "900" : "909";
    }
    LOG_INFO("registering with MGC %s: ServiceChange %s %s",
             netaddr_format(&a->mgc.addr, as, sizeof(as)), method_name(a->reg_method),
             a->reg_reason);
    /* H.248.1 11.3: the first ServiceChange travels as version 1, Version= names ours */
    if (mg_txn_out_count(a->txn) && a->reg_tid) mg_txn_out_cancel(a->txn, a->reg_tid);
    if (send_service_change(a, a->reg_method, a->reg_reason, false, 0, 1, reg_done, &a->reg_tid) <
        0)
        mg_timer_start(a->loop, &a->retry_timer, a->cfg->retrans_max_ms);
}

void assoc_on_retry(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    mg_assoc_t *a = arg;
    if (a->state != MG_ASSOC_REGISTERING) return;
    use_list_mgc(a, a->lost && a->lost_idx == 0 && a->cfg->nmgc > 1 ? 1 : 0);
    reg_send(a);
}

void mg_assoc_start(mg_assoc_t *a)
{
    a->reg_method = H248_SCM_RESTART;
    a->reg_reason = "901";
    a->tried = 0;
    use_list_mgc(a, 0);
    reg_send(a);
}

/* The MGC stopped answering: register with the next one (H.248.1 11.5). Calls keep going. */
void assoc_mgc_lost(mg_assoc_t *a, const char *why)
{
    if (a->state != MG_ASSOC_REGISTERED) return;
    char as[NETADDR_STRLEN];
    LOG_WARN("MGC %s lost (%s); established calls keep their gates",
             netaddr_format(&a->mgc.addr, as, sizeof(as)), why);
    mg_timer_stop(a->loop, &a->it_timer);
    a->it_tid = 0;
    a->lost = true;
    a->lost_idx = a->mgc_idx;
    a->tried = 0;
    /* from the primary, unless the primary is the one that failed (H.248.1 11.5) */
    use_list_mgc(a, a->lost_idx == 0 && a->cfg->nmgc > 1 ? 1 : 0);
    reg_send(a);
}

/* ---- ServiceChange from the MGC on ROOT ---- */

void assoc_on_deferred_sc(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    mg_assoc_t *a = arg;
    deferred_sc_t d = a->dsc;
    if (a->state == MG_ASSOC_LEAVING || a->state == MG_ASSOC_GONE) return;
    switch (d.method) {
    case H248_SCM_FORCED:
        LOG_NOTICE("MGC forced ROOT out of service: releasing every context, registering again");
        if (a->eng) mg_engine_release_all(a->eng);
        a->lost = false;
        a->reg_method = H248_SCM_RESTART;
        a->reg_reason = "900";
        a->tried = 0;
        reg_send(a);
        break;
    case H248_SCM_HANDOFF:
        a->lost = false;
        a->reg_method = H248_SCM_HANDOFF;
        a->reg_reason = "903";
        a->tried = 0;
        if (d.has_target) {
            a->mgc.addr = d.target;
            a->mgc.conn = -1;
        } else {
            use_list_mgc(a, a->mgc_idx + 1);
        }
        reg_send(a);
        break;
    default:
        break;
    }
}

void assoc_op_root_service_change(void *arg, const h248_service_change_t *sc)
{
    mg_assoc_t *a = arg;
    LOG_NOTICE("MGC ServiceChange on ROOT: %s%s", method_name(sc->method),
               sc->has_delay ? " with Delay" : "");
    a->dsc = (deferred_sc_t){.method = sc->method, .delay_s = sc->has_delay ? sc->delay : 0};
    if (sc->mgc_id && mid_to_addr(sc->mgc_id, &a->mgc.addr, &a->dsc.target) == 0)
        a->dsc.has_target = true;
    if (sc->method == H248_SCM_FORCED || sc->method == H248_SCM_HANDOFF) {
        mg_timer_start(a->loop, &a->defer_timer, 0); /* after the reply has gone out */
    } else if (sc->method == H248_SCM_GRACEFUL) {
        LOG_NOTICE("MGC takes ROOT out of service in %u s: no new calls after that",
                   a->dsc.delay_s);
        mg_timer_start(a->loop, &a->oos_timer, (uint64_t)a->dsc.delay_s * 1000u);
    } else if (sc->method == H248_SCM_RESTART) {
        if (a->root_oos || mg_timer_armed(&a->oos_timer))
            LOG_NOTICE("MGC puts ROOT back in service");
        mg_timer_stop(a->loop, &a->oos_timer);
        a->root_oos = false;
    }
}

/* The Delay of an MGC's Graceful ServiceChange on ROOT ran out: calls in progress go on,
 * new ones (Add) are refused until the MGC restarts ROOT or we register again. */
void assoc_on_oos(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    mg_assoc_t *a = arg;
    a->root_oos = true;
    LOG_NOTICE("ROOT out of service: new calls refused (503)");
}

/* ---- leave and reload ---- */

static void leave_finish(mg_assoc_t *a)
{
    if (a->state == MG_ASSOC_GONE) return;
    a->state = MG_ASSOC_GONE;
    mg_timer_stop(a->loop, &a->leave_timer);
    mg_net_close_all(a->net);
    if (a->leave_done) a->leave_done(a->leave_arg);
}

void assoc_on_leave_timer(mg_loop_t *l, mg_timer_t *t, void *arg)
{
    leave_finish(arg);
}

static void leave_done(void *arg, uint32_t tid, mg_txn_out_status_t st, const void *reply)
{
    mg_assoc_t *a = arg;
    if (a->state != MG_ASSOC_LEAVING) return;
    uint32_t d = a->cfg->graceful_delay_s;
    LOG_NOTICE("Graceful ServiceChange %s; closing in %u s",
               st == MG_TXN_OUT_REPLY ? "answered" : "unanswered", d);
    mg_timer_start(a->loop, &a->leave_timer, (uint64_t)d * 1000u);
}

void mg_assoc_leave(mg_assoc_t *a, void (*done)(void *arg), void *arg)
{
    a->leave_done = done;
    a->leave_arg = arg;
    if (a->state != MG_ASSOC_REGISTERED) return leave_finish(a);
    a->state = MG_ASSOC_LEAVING;
    mg_timer_stop(a->loop, &a->it_timer);
    LOG_NOTICE("leaving: ServiceChange Graceful 905, Delay %u s", a->cfg->graceful_delay_s);
    uint32_t tid;
    if (send_service_change(a, H248_SCM_GRACEFUL, "905", true, a->cfg->graceful_delay_s, a->version,
                            leave_done, &tid) < 0)
        leave_finish(a);
}

void mg_assoc_reload(mg_assoc_t *a)
{
    assoc_sync_timers(a);
    if (a->state != MG_ASSOC_REGISTERED) return;
    for (unsigned i = 0; i < a->cfg->nmgc; i++)
        if (netaddr_equal(&a->cfg->mgc[i].addr, &a->mgc.addr)) {
            a->mgc_idx = i;
            return;
        }
    LOG_NOTICE("the MGC we are registered with left the configuration: registering anew");
    a->lost = false;
    a->reg_method = H248_SCM_RESTART;
    a->reg_reason = "902";
    a->tried = 0;
    use_list_mgc(a, 0);
    reg_send(a);
}
