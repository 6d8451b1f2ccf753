/* Escaping of topics and payloads for line-oriented text and JSON output. */
#include "cli.h"

#include "utf8.h"

/* Length of the well-formed UTF-8 sequence at s (1..4), 0 if none. */
static size_t utf8_seq(const uint8_t *s, size_t len)
{
    uint32_t cp;
    int n = utf8_decode(s, len, &cp);
    return n > 0 ? (size_t)n : 0;
}

void escape_text(FILE *f, const uint8_t *s, size_t len, int escape_space)
{
    size_t i;
    for (i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == '\\')
            fputs("\\\\", f);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c == '\r')
            fputs("\\r", f);
        else if (c < 0x20 || c == 0x7f || (c == ' ' && escape_space))
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
}

void escape_json(FILE *f, const uint8_t *s, size_t len)
{
    size_t i = 0;
    fputc('"', f);
    while (i < len) {
        uint8_t c = s[i];
        size_t n;
        if (c == '"' || c == '\\') {
            fputc('\\', f);
            fputc(c, f);
            i++;
        } else if (c == '\n') {
            fputs("\\n", f);
            i++;
        } else if (c == '\t') {
            fputs("\\t", f);
            i++;
        } else if (c == '\r') {
            fputs("\\r", f);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else if ((n = utf8_seq(s + i, len - i)) != 0) {
            fwrite(s + i, 1, n, f);
            i += n;
        } else {
            fputs("\\ufffd", f);
            i++;
        }
    }
    fputc('"', f);
}
