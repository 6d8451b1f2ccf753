/* Hex encoding and decoding. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "hex.h"

void hex_encode(char *out, const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

void hex_print_line(FILE *f, const uint8_t *in, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < len; i++) {
        fputc(digits[in[i] >> 4], f);
        fputc(digits[in[i] & 15], f);
    }
    fputc('\n', f);
}

int hex_decode_exact(uint8_t *out, size_t len, const char *hex)
{
    if (strlen(hex) != 2 * len)
        return -1;
    return hex_decode_n(out, len, hex);
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

int hex_decode_text(const char *text, size_t text_len, uint8_t **out, size_t *out_len)
{
    uint8_t *buf = malloc(text_len / 2 + 1);
    size_t n = 0, i;
    int hi = -1;

    if (!buf)
        return -2;
    for (i = 0; i < text_len; i++) {
        unsigned char c = (unsigned char)text[i];
        int v;
        if (is_space(c))
            continue;
        v = hex_digit(c);
        if (v < 0) {
            free(buf);
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            buf[n++] = (uint8_t)(hi << 4 | v);
            hi = -1;
        }
    }
    if (hi >= 0) { /* odd number of digits */
        free(buf);
        return -1;
    }
    *out = buf;
    *out_len = n;
    return 0;
}
