/* licn.c - the project's LICn scheme (BGF-REFERENCE.md section 2): key file loading and the
 * encryption / decryption of correlation numbers with OpenSSL libcrypto (EVP).
 * Any thread: the key set is read-only after li_keys_load, every call has its own cipher
 * context. Nothing here logs: a LICn or a correlation number never leaves this file except
 * through the caller's out parameters. */
#include "li/li.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct li_keys {
    uint8_t tdea[24];   /* 3-key TDEA key (form 1) */
    uint8_t aes[32];    /* AES-256 key (form 2) */
    uint8_t has_tdea;   /* 1 when the file named a tdea key */
    uint8_t has_aes;    /* 1 when the file named an aes256 key */
};

static const uint8_t trailer1[4] = {'L', 'I', 'C', 'N'};
static const uint8_t trailer2[8] = {'L', 'I', 'C', 'N', '-', 'v', '2', 0};

/* Hex digit value without branches on the digit; *bad gets 1 when c is not a hex digit. */
static unsigned hexval(unsigned char c, unsigned *bad)
{
    unsigned d = (unsigned)c - '0', l = ((unsigned)c | 0x20) - 'a';
    unsigned isd = (d < 10), isl = (l < 6);
    *bad |= !(isd | isl);
    return (d & -isd) | ((l + 10) & -isl);
}

/* Decode 2*n hex digits into out[n]; returns 0 when all were hex, 1 otherwise (no early exit). */
static unsigned unhex(const char *s, size_t n, uint8_t *out)
{
    unsigned bad = 0;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)((hexval((unsigned char)s[2 * i], &bad) << 4) |
                           hexval((unsigned char)s[2 * i + 1], &bad));
    return bad;
}

/* One block of ECB with no padding; 0 on success. */
static int ecb_block(const EVP_CIPHER *ciph, const uint8_t *key, int enc, const uint8_t *in,
                     int n, uint8_t *out)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0, finl = 0, rc = -1;
    if (!ctx) return -1;
    if (EVP_CipherInit_ex(ctx, ciph, NULL, key, NULL, enc) == 1 &&
        EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
        EVP_CipherUpdate(ctx, out, &outl, in, n) == 1 &&
        EVP_CipherFinal_ex(ctx, out + outl, &finl) == 1 && outl + finl == n)
        rc = 0;
    EVP_CIPHER_CTX_free(ctx);
    return rc;
}

int li_licn_decrypt(const li_keys_t *k, const char *hex, size_t len, uint64_t *cid)
{
    uint8_t ct[16] = {0}, pt[16] = {0};
    int form = len == 16 ? 1 : len == 32 ? 2 : 0;
    *cid = 0;
    if (!k || !hex || form == 0) return 0; /* the length is visible to everyone anyway */

    /* From here valid and invalid values take the same steps: decode, decrypt, compare. */
    unsigned bad = unhex(hex, len / 2, ct);
    uint64_t num = 0;
    unsigned diff = 0;
    int rc;
    if (form == 1) {
        rc = ecb_block(EVP_des_ede3_ecb(), k->tdea, 0, ct, 8, pt);
        for (int i = 0; i < 4; i++) num = num << 8 | pt[i];
        for (int i = 0; i < 4; i++) diff |= pt[4 + i] ^ trailer1[i];
        bad |= !k->has_tdea;
    } else {
        rc = ecb_block(EVP_aes_256_ecb(), k->aes, 0, ct, 16, pt);
        for (int i = 0; i < 8; i++) num = num << 8 | pt[i];
        for (int i = 0; i < 8; i++) diff |= pt[8 + i] ^ trailer2[i];
        bad |= !k->has_aes;
    }
    bad |= (rc != 0) | (diff != 0) | (num == 0);
    uint64_t mask = (uint64_t)0 - (uint64_t)(bad == 0);
    *cid = num & mask;
    OPENSSL_cleanse(pt, sizeof pt);
    return bad == 0;
}

int li_licn_encrypt(const li_keys_t *k, int form, uint64_t cid, char *out, size_t outlen)
{
    uint8_t pt[16], ct[16];
    int n = form == 1 ? 8 : form == 2 ? 16 : 0;
    if (!k || n == 0 || outlen < (size_t)(2 * n + 1)) return -EINVAL;
    if (form == 1) {
        if (!k->has_tdea || cid > UINT32_MAX) return -EINVAL;
        for (int i = 0; i < 4; i++) pt[i] = (uint8_t)(cid >> (24 - 8 * i));
        memcpy(pt + 4, trailer1, 4);
        if (ecb_block(EVP_des_ede3_ecb(), k->tdea, 1, pt, 8, ct) != 0) return -EIO;
    } else {
        if (!k->has_aes) return -EINVAL;
        for (int i = 0; i < 8; i++) pt[i] = (uint8_t)(cid >> (56 - 8 * i));
        memcpy(pt + 8, trailer2, 8);
        if (ecb_block(EVP_aes_256_ecb(), k->aes, 1, pt, 16, ct) != 0) return -EIO;
    }
    for (int i = 0; i < n; i++) snprintf(out + 2 * i, 3, "%02x", ct[i]);
    OPENSSL_cleanse(pt, sizeof pt);
    return 2 * n;
}

/* Parse one key file line into k; 0 ok, -1 with err set. */
static int parse_key_line(li_keys_t *k, char *line, const char *path, int lineno, char *err,
                          size_t errlen)
{
    char *p = line + strspn(line, " \t");
    p[strcspn(p, "\r\n")] = 0;
    if (*p == 0 || *p == '#') return 0;
    char *name = p;
    p += strcspn(p, " \t");
    if (*p) *p++ = 0;
    p += strspn(p, " \t");
    char *val = p;
    p += strcspn(p, " \t#");
    *p = 0;
    size_t want = strcmp(name, "tdea") == 0 ? 48 : strcmp(name, "aes256") == 0 ? 64 : 0;
    if (want == 0) {
        snprintf(err, errlen, "%s:%d: unknown key type (want tdea or aes256)", path, lineno);
        return -1;
    }
    uint8_t *dst = want == 48 ? k->tdea : k->aes;
    if (strlen(val) != want || unhex(val, want / 2, dst) != 0) {
        snprintf(err, errlen, "%s:%d: %s key must be %zu hex digits", path, lineno, name, want);
        return -1;
    }
    if (want == 48) k->has_tdea = 1;
    else k->has_aes = 1;
    return 0;
}

/* The file must be a regular file owned by us that group and others cannot touch. */
static int check_key_mode(int fd, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen,
                 "%s: mode %04o lets group or others at the LI key; it must be readable by its "
                 "owner alone (chmod 600 %s)",
                 path, (unsigned)(st.st_mode & 07777), path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s: owned by uid %u, not by this process's user (uid %u)", path,
                 (unsigned)st.st_uid, (unsigned)geteuid());
        return -1;
    }
    return 0;
}

int li_keys_load(const char *path, li_keys_t **out, char *err, size_t errlen)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (check_key_mode(fd, path, err, errlen) != 0) {
        close(fd);
        return -1;
    }
    FILE *f = fdopen(fd, "r");
    li_keys_t *k = calloc(1, sizeof *k);
    if (!f || !k) {
        snprintf(err, errlen, "%s: out of memory", path);
        if (f) fclose(f);
        else close(fd);
        free(k);
        return -1;
    }
    char line[512];
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        rc = parse_key_line(k, line, path, lineno, err, errlen);
    }
    OPENSSL_cleanse(line, sizeof line);
    fclose(f);
    if (rc == 0 && !k->has_tdea && !k->has_aes) {
        snprintf(err, errlen, "%s: no key (want a line \"tdea <48 hex>\" or \"aes256 <64 hex>\")",
                 path);
        rc = -1;
    }
    if (rc != 0) {
        li_keys_free(k);
        return -1;
    }
    *out = k;
    return 0;
}

void li_keys_free(li_keys_t *k)
{
    if (!k) return;
    OPENSSL_cleanse(k, sizeof *k);
    free(k);
}
