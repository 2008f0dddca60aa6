/* netaddr.c - transport address helpers. Pure, any thread. */
#include "common/netaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int netaddr_parse_ip(netaddr_t *out, const char *s, uint16_t port)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, s, &out->u.v4.sin_addr) == 1) {
        out->u.v4.sin_family = AF_INET;
        out->u.v4.sin_port = htons(port);
        return 0;
    }
    if (inet_pton(AF_INET6, s, &out->u.v6.sin6_addr) == 1) {
        out->u.v6.sin6_family = AF_INET6;
        out->u.v6.sin6_port = htons(port);
        return 0;
    }
    return -1;
}

static int parse_port(const char *s, int *port)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < 0 || v > 65535) return -1;
    *port = (int)v;
    return 0;
}

int netaddr_parse(netaddr_t *out, const char *s, int default_port)
{
    char host[INET6_ADDRSTRLEN + 2];
    int port = default_port;
    const char *colon = strrchr(s, ':');
    if (s[0] == '[') {
        const char *rb = strchr(s, ']');
        if (!rb || (size_t)(rb - s - 1) >= sizeof(host)) return -1;
        memcpy(host, s + 1, (size_t)(rb - s - 1));
        host[rb - s - 1] = '\0';
        if (rb[1] == ':') {
            if (parse_port(rb + 2, &port) < 0) return -1;
        } else if (rb[1] != '\0') {
            return -1;
        }
    } else if (colon && strchr(s, ':') == colon) { /* exactly one colon: v4:port */
        if ((size_t)(colon - s) >= sizeof(host)) return -1;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        if (parse_port(colon + 1, &port) < 0) return -1;
    } else {
        if (strlen(s) >= sizeof(host)) return -1;
        strcpy(host, s);
    }
    if (port < 0) return -1;
    return netaddr_parse_ip(out, host, (uint16_t)port);
}

char *netaddr_format_ip(const netaddr_t *a, char *buf, size_t len)
{
    if (a->u.sa.sa_family == AF_INET)
        inet_ntop(AF_INET, &a->u.v4.sin_addr, buf, (socklen_t)len);
    else if (a->u.sa.sa_family == AF_INET6)
        inet_ntop(AF_INET6, &a->u.v6.sin6_addr, buf, (socklen_t)len);
    else
        snprintf(buf, len, "-");
    return buf;
}

char *netaddr_format(const netaddr_t *a, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN];
    netaddr_format_ip(a, ip, sizeof(ip));
    if (a->u.sa.sa_family == AF_INET6)
        snprintf(buf, len, "[%s]:%u", ip, netaddr_port(a));
    else
        snprintf(buf, len, "%s:%u", ip, netaddr_port(a));
    return buf;
}

int netaddr_family(const netaddr_t *a)
{
    return a->u.sa.sa_family;
}

uint16_t netaddr_port(const netaddr_t *a)
{
    if (a->u.sa.sa_family == AF_INET) return ntohs(a->u.v4.sin_port);
    if (a->u.sa.sa_family == AF_INET6) return ntohs(a->u.v6.sin6_port);
    return 0;
}

void netaddr_set_port(netaddr_t *a, uint16_t port)
{
    if (a->u.sa.sa_family == AF_INET) a->u.v4.sin_port = htons(port);
    else if (a->u.sa.sa_family == AF_INET6) a->u.v6.sin6_port = htons(port);
}

socklen_t netaddr_len(const netaddr_t *a)
{
    return a->u.sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

bool netaddr_is_set(const netaddr_t *a)
{
    return a->u.sa.sa_family == AF_INET || a->u.sa.sa_family == AF_INET6;
}

bool netaddr_equal_ip(const netaddr_t *a, const netaddr_t *b)
{
    if (a->u.sa.sa_family != b->u.sa.sa_family) return false;
    if (a->u.sa.sa_family == AF_INET) return a->u.v4.sin_addr.s_addr == b->u.v4.sin_addr.s_addr;
    if (a->u.sa.sa_family == AF_INET6)
        return memcmp(&a->u.v6.sin6_addr, &b->u.v6.sin6_addr, 16) == 0;
    return false;
}

bool netaddr_equal(const netaddr_t *a, const netaddr_t *b)
{
    return netaddr_equal_ip(a, b) && netaddr_port(a) == netaddr_port(b);
}

bool netaddr_match_mask(const netaddr_t *a, const netaddr_t *net, const netaddr_t *mask)
{
    if (a->u.sa.sa_family != net->u.sa.sa_family || mask->u.sa.sa_family != net->u.sa.sa_family)
        return false;
    const unsigned char *x, *n, *m;
    size_t len;
    if (a->u.sa.sa_family == AF_INET) {
        x = (const unsigned char *)&a->u.v4.sin_addr;
        n = (const unsigned char *)&net->u.v4.sin_addr;
        m = (const unsigned char *)&mask->u.v4.sin_addr;
        len = 4;
    } else {
        x = a->u.v6.sin6_addr.s6_addr;
        n = net->u.v6.sin6_addr.s6_addr;
        m = mask->u.v6.sin6_addr.s6_addr;
        len = 16;
    }
    for (size_t i = 0; i < len; i++)
        if ((x[i] & m[i]) != (n[i] & m[i])) return false;
    return true;
}
