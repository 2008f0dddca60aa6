/* bgf-licn - the LI administration's side of the LICn scheme (BGF-REFERENCE.md section 2):
 * make a key file, encrypt a correlation number into a LICn, decrypt a LICn.
 *   bgf-licn genkey --key-file FILE            new key file (both keys), mode 0600, never
 *                                               overwrites
 *   bgf-licn encrypt --key-file FILE [--form 1|2] NUMBER
 *   bgf-licn decrypt --key-file FILE LICN      prints the number; "invalid" and exit 1
 * Exit status: 0 done, 1 invalid LICn, 2 usage or key file error. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "li/li.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: bgf-licn genkey  --key-file FILE\n"
            "       bgf-licn encrypt --key-file FILE [--form 1|2] NUMBER\n"
            "       bgf-licn decrypt --key-file FILE LICN\n"
            "NUMBER: decimal or 0x-hex correlation number (form 1: below 2^32, the default;\n"
            "form 2: 64 bits). decrypt prints the number, or \"invalid\" with exit status 1.\n");
    return 2;
}

/* Write a fresh key file with one key of each form; O_EXCL so nothing is overwritten. */
static int genkey(const char *path)
{
    uint8_t key[24 + 32];
    if (RAND_bytes(key, sizeof key) != 1) {
        fprintf(stderr, "bgf-licn: no random bytes from libcrypto\n");
        return 2;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "bgf-licn: %s: %s\n", path, strerror(errno));
        return 2;
    }
    char text[256];
    int n = snprintf(text, sizeof text, "# bgf LI keys (BGF-REFERENCE.md section 2); keep mode 0600\ntdea ");
    for (int i = 0; i < 24; i++) n += snprintf(text + n, sizeof text - (size_t)n, "%02x", key[i]);
    n += snprintf(text + n, sizeof text - (size_t)n, "\naes256 ");
    for (int i = 24; i < 56; i++) n += snprintf(text + n, sizeof text - (size_t)n, "%02x", key[i]);
    n += snprintf(text + n, sizeof text - (size_t)n, "\n");
    int ok = fchmod(fd, 0600) == 0 && write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    OPENSSL_cleanse(text, sizeof text);
    OPENSSL_cleanse(key, sizeof key);
    if (close(fd) != 0 || !ok) {
        fprintf(stderr, "bgf-licn: %s: write failed\n", path);
        unlink(path);
        return 2;
    }
    return 0;
}

static int parse_number(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    const char *cmd = argv[1], *key_file = NULL, *arg = NULL;
    int form = 1;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc) key_file = argv[++i];
        else if (strcmp(argv[i], "--form") == 0 && i + 1 < argc) form = atoi(argv[++i]);
        else if (argv[i][0] == '-' && argv[i][1] == '-') return usage();
        else if (!arg) arg = argv[i];
        else return usage();
    }
    if (!key_file || (form != 1 && form != 2)) return usage();
    if (strcmp(cmd, "genkey") == 0) return arg ? usage() : genkey(key_file);

    char err[512];
    li_keys_t *keys = NULL;
    if (!arg) return usage();
    if (li_keys_load(key_file, &keys, err, sizeof err) != 0) {
        fprintf(stderr, "bgf-licn: %s\n", err);
        return 2;
    }
    int rc = 2;
    if (strcmp(cmd, "encrypt") == 0) {
        uint64_t cid;
        char out[40];
        if (parse_number(arg, &cid) != 0) fprintf(stderr, "bgf-licn: bad number %s\n", arg);
        else if (li_licn_encrypt(keys, form, cid, out, sizeof out) < 0)
            fprintf(stderr, "bgf-licn: cannot encrypt %s in form %d (number too big for the form, "
                            "or no %s key in %s)\n", arg, form, form == 1 ? "tdea" : "aes256",
                    key_file);
        else {
            printf("%s\n", out);
            rc = 0;
        }
    } else if (strcmp(cmd, "decrypt") == 0) {
        uint64_t cid;
        if (li_licn_decrypt(keys, arg, strlen(arg), &cid) == 1) {
            printf("%" PRIu64 "\n", cid);
            rc = 0;
        } else {
            printf("invalid\n");
            rc = 1;
        }
    } else {
        rc = usage();
    }
    li_keys_free(keys);
    return rc;
}
