/*
 * Fuzz e4ctl's duration parser (src/e4ctl/duration.c): "90s", "15m", "24h",
 * "7d", "2w" or plain seconds. Invariants: an accepted string is digits and
 * at most one unit letter at the end, and the value is exactly digits times
 * the unit, never negative (no overflow).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../src/e4ctl/ctl.h"

#include "check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char s[64];
    long long v = -1, n = 0, unit = 1;
    size_t len, digits;
    if (size >= sizeof s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0;
    if (ctl_parse_duration(s, &v) != 0)
        return 0;
    len = strlen(s);
    digits = strspn(s, "0123456789");
    CHECK(digits >= 1 && (digits == len || (digits == len - 1 && strchr("smhdw", s[len - 1]))));
    for (size_t i = 0; i < digits; i++)
        n = n * 10 + (s[i] - '0');
    if (digits < len)
        unit = s[len - 1] == 's'   ? 1
               : s[len - 1] == 'm' ? 60
               : s[len - 1] == 'h' ? 3600
               : s[len - 1] == 'd' ? 86400
                                   : 604800;
    CHECK(v >= 0 && v == n * unit);
    return 0;
}
