/* mqttinfo: option parsing shared by the sub-commands. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mi_options_defaults(mi_options *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 2000;
    o->sys_window_ms = 250;
    o->sys_cap_ms = 1000;
}

int mi_parse_timeout(const char *s, int *ms)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v > 0) || v > 3600)
        return -1;
    *ms = (int)(v * 1000 + 0.5);
    if (*ms < 1)
        *ms = 1;
    return 0;
}

int mi_password_read(FILE *f, const char *path, char *buf, size_t len, const char *prog)
{
    bool got = fgets(buf, (int)len, f) != NULL;
    int read_errno = ferror(f) ? (errno ? errno : EIO) : 0;
    bool whole = got && (strchr(buf, '\n') || feof(f));
    if (read_errno || !got || !whole) {
        memset(buf, 0, len); /* a part of the password read before the error */
        if (read_errno)
            fprintf(stderr, "%s: cannot read the password file %s: %s\n", prog, path,
                    strerror(read_errno));
        else
            fprintf(stderr, "%s: the password file %s is %s\n", prog, path,
                    got ? "too long (one line, at most 255 bytes)" : "empty");
        return -1;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* The first line of path ("-": stdin). */
static int read_first_line(const char *path, char *buf, size_t len, const char *prog)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        fprintf(stderr, "%s: cannot read the password file %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    int rc = mi_password_read(f, path, buf, len, prog);
    if (f != stdin)
        fclose(f);
    return rc;
}

int mi_password_resolve(mi_options *o, const char *file, char *buf, size_t len, const char *prog)
{
    if (o->password && file) {
        fprintf(stderr, "%s: give -P or --password-file, not both\n", prog);
        return -1;
    }
    if (file) {
        if (read_first_line(file, buf, len, prog) != 0)
            return -1;
        o->password = buf;
    } else if (!o->password && o->user && getenv("MQTTINFO_PASSWORD")) {
        o->password = getenv("MQTTINFO_PASSWORD");
    }
    return 0;
}
