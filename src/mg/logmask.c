/* logmask.c - hide interception values (li/LICn, li/LITID) in H.248 text before it is logged.
 * Pure, any thread. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mg/assoc.h"

/* Skip one property value: a word, a quoted string, or a bracketed list. */
static size_t skip_value(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < len && (s[i] == '[' || s[i] == '{')) {
        char close = s[i] == '[' ? ']' : '}';
        while (i < len && s[i] != close)
            i++;
        return i < len ? i + 1 : i;
    }
    if (i < len && s[i] == '"') {
        i++;
        while (i < len && s[i] != '"')
            i++;
        return i < len ? i + 1 : i;
    }
    while (i < len && !isspace((unsigned char)s[i]) && s[i] != ',' && s[i] != '}' && s[i] != ']')
        i++;
    return i;
}

size_t mg_mask_li(const char *msg, size_t len, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    if (cap == 0) return 0;
    while (i < len && o + 1 < cap) {
        bool hit = false;
        size_t nl = 0;
        if (len - i >= 7 && strncasecmp(msg + i, "li/licn", 7) == 0)
            nl = 7, hit = true;
        else if (len - i >= 8 && strncasecmp(msg + i, "li/litid", 8) == 0)
            nl = 8, hit = true;
        if (hit && (i == 0 || !isalnum((unsigned char)msg[i - 1]))) {
            size_t j = i + nl;
            while (j < len && (msg[j] == ' ' || msg[j] == '\t'))
                j++;
            if (j < len && (msg[j] == '=' || msg[j] == '#' || msg[j] == '<' || msg[j] == '>')) {
                size_t k = j + 1;
                while (k < len && (msg[k] == ' ' || msg[k] == '\t'))
                    k++;
                size_t end = skip_value(msg, k, len);
                int w = snprintf(out + o, cap - o, "%.*s<hidden>", (int)(k - i), msg + i);
                if (w < 0 || (size_t)w >= cap - o) break;
                o += (size_t)w;
                i = end;
                continue;
            }
        }
        out[o++] = msg[i++];
    }
    out[o] = '\0';
    return o;
}
