/*
 * ui_files: the console file server's allow-list of names and types.
 */
#include "ui_files.h"

#include <string.h>

static int name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

int ui_name_ok(const char *name)
{
    size_t n = strlen(name);
    int seg_start = 1;
    if (n > UI_NAME_MAX)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (c == '/') {
            if (seg_start)
                return -1; /* "//" or a leading '/' */
            seg_start = 1;
            continue;
        }
        if (!name_char(c) || (seg_start && c == '.'))
            return -1; /* "..", hidden files, '%', anything odd */
        seg_start = 0;
    }
    return n && seg_start ? -1 : 0; /* a trailing '/' names a directory */
}

static const struct {
    const char *ext, *type;
} TYPES[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

const char *ui_content_type(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof TYPES / sizeof TYPES[0]; i++) {
        size_t e = strlen(TYPES[i].ext);
        if (n > e && strcmp(name + n - e, TYPES[i].ext) == 0)
            return TYPES[i].type;
    }
    return NULL;
}
