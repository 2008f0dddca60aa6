/* netaddr.h - transport addresses (IPv4/IPv6 + port): parse, format, compare.
 * Pure functions, any thread. */
#ifndef BGF_NETADDR_H
#define BGF_NETADDR_H
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct netaddr {
    union {
        struct sockaddr sa;
        struct sockaddr_in v4;
        struct sockaddr_in6 v6;
    } u;
} netaddr_t;

/* "1.2.3.4", "1.2.3.4:5", "::1", "[::1]:5" (port optional when default_port >= 0). 0 or -1. */
int netaddr_parse(netaddr_t *out, const char *s, int default_port);
/* Plain address literal (no port). */
int netaddr_parse_ip(netaddr_t *out, const char *s, uint16_t port);
/* "1.2.3.4:5" or "[::1]:5"; returns buf. */
char *netaddr_format(const netaddr_t *a, char *buf, size_t len);
/* Address only, no port or brackets. */
char *netaddr_format_ip(const netaddr_t *a, char *buf, size_t len);
int netaddr_family(const netaddr_t *a);
uint16_t netaddr_port(const netaddr_t *a);
void netaddr_set_port(netaddr_t *a, uint16_t port);
socklen_t netaddr_len(const netaddr_t *a);
bool netaddr_is_set(const netaddr_t *a);
bool netaddr_equal(const netaddr_t *a, const netaddr_t *b);     /* address and port */
bool netaddr_equal_ip(const netaddr_t *a, const netaddr_t *b);  /* address only */
/* Address within prefix/mask: mask given as an address of the same family. */
bool netaddr_match_mask(const netaddr_t *a, const netaddr_t *net, const netaddr_t *mask);

#define NETADDR_STRLEN 64
#endif
