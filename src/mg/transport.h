/* transport.h - H.248 text transport of bgfd: UDP (Annex D.1) and TCP with TPKT framing
 * (Annex D.2, RFC 1006), IPv4 and IPv6. Whole messages in, whole messages out; the layer
 * above (assoc) knows nothing of sockets. Control-plane thread only. */
#ifndef BGF_MG_TRANSPORT_H
#define BGF_MG_TRANSPORT_H
#include <stddef.h>
#include <stdint.h>

#include "common/netaddr.h"
#include "mg/config.h"
#include "mg/loop.h"

#define MG_TPKT_HDR 4
#define MG_TPKT_MAX 65535 /* largest frame, header included */
#define MG_UDP_MAX 65507  /* largest datagram payload */

/* Where a message came from, and where its answer goes. */
typedef struct mg_peer {
    mg_transport_t kind; /* MG_TRANSPORT_UDP or MG_TRANSPORT_TCP */
    netaddr_t addr;      /* remote transport address */
    int conn; /* TCP: connection fd, -1 = any/new connection to addr; UDP: local socket */
} mg_peer_t;

typedef struct mg_net mg_net_t;

/* One message received (not NUL-terminated; valid during the call). */
typedef void (*mg_net_rx_fn)(void *arg, const mg_peer_t *from, const char *msg, size_t len);
/* A TCP connection closed (by the peer, an error, or a bad frame). */
typedef void (*mg_net_close_fn)(void *arg, const mg_peer_t *peer, const char *why);

/* Bind every listen_udp / listen_tcp address of cfg. NULL and err on failure. */
mg_net_t *mg_net_new(mg_loop_t *l, const mg_config_t *cfg, mg_net_rx_fn rx, mg_net_close_fn cl,
                     void *arg, char *err, size_t errlen);
void mg_net_free(mg_net_t *n);

/* Send one message. UDP: from the peer's socket, or the first one of the address family.
 * TCP: on the peer's connection, or on a connection to addr (opened when none exists).
 * 0 or -errno. */
int mg_net_send(mg_net_t *n, const mg_peer_t *to, const char *msg, size_t len);
/* Send at once what is batched for UDP (a Pending must not wait for the batch's end). */
void mg_net_flush(mg_net_t *n);
/* Close every TCP connection (shutdown). */
void mg_net_close_all(mg_net_t *n);
/* The bound UDP/TCP addresses (with the actual port when 0 was configured). */
int mg_net_local(const mg_net_t *n, mg_transport_t kind, unsigned i, netaddr_t *out);

/* TPKT framing, pure. Looks at buf[0..len): returns the frame length (header included) when a
 * whole frame is there, 0 when more bytes are needed, -1 when the header is bad (version != 3,
 * reserved != 0, length < 5). The payload is buf[4 .. frame length). */
int mg_tpkt_frame(const uint8_t *buf, size_t len);
/* Write the 4-byte header for a payload of len bytes; -1 when too long. */
int mg_tpkt_header(uint8_t hdr[MG_TPKT_HDR], size_t len);

#endif
