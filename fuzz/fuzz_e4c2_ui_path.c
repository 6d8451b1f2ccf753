/*
 * Fuzz the console file server's name check (src/e4c2/ui_files.c): the raw
 * path after "/ui/", as a client sends it.
 *
 * Invariants: an accepted name is at most UI_NAME_MAX bytes of
 * [A-Za-z0-9._-/], has no empty segment and no segment starting with '.'
 * (so no "..", no hidden file, no absolute path, no percent-encoding), and
 * ends with a file name, not '/'.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_files.h"

#include "check.h"

static void check_accepted(const char *s, size_t n)
{
    CHECK(n <= UI_NAME_MAX);
    CHECK(n == 0 || (s[0] != '/' && s[n - 1] != '/'));
    for (size_t i = 0; i < n; i++) {
        CHECK(strchr("%\\ :?#;~", s[i]) == NULL && s[i] > 0x20 && s[i] < 0x7f);
        if (s[i] == '/')
            CHECK(s[i + 1] != '/' && s[i + 1] != '.');
    }
    CHECK(n == 0 || s[0] != '.');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = 0; /* a NUL inside ends the name, as in the request path */
    if (ui_name_ok(s) == 0)
        check_accepted(s, strlen(s));
    if (ui_name_ok(s) == 0 && *s)
        (void)ui_content_type(s);
    free(s);
    return 0;
}
