/* Durations on the command line: "90s", "15m", "24h", "7d", "2w" or plain seconds. */
#include "ctl.h"

#include <string.h>

int ctl_parse_duration(const char *s, long long *out)
{
    static const struct {
        char unit;
        long long seconds;
    } units[] = {
        {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
    };
    long long n = 0, mul = 1;
    size_t i, len = s ? strlen(s) : 0, digits = len;
    if (len == 0)
        return -1;
    for (i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s[len - 1] == units[i].unit) {
            mul = units[i].seconds;
            digits = len - 1;
        }
    if (digits == 0 || digits > 12) /* 12 digits of weeks still fit in 63 bits */
        return -1;
    for (i = 0; i < digits; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        n = n * 10 + (s[i] - '0');
    }
    *out = n * mul;
    return 0;
}
