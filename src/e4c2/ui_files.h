/*
 * ui_files: which names under /ui/ the console's file server may open, and
 * their content types. No I/O here (the unit test and the fuzz target link
 * it); http_ui.c serves the files.
 */
#ifndef E4C2_UI_FILES_H
#define E4C2_UI_FILES_H

#include <stddef.h>

#define UI_NAME_MAX 200

/* A file name under /ui/ (what follows "/ui/" in the raw, still
 * percent-encoded path) that may be opened: segments of [A-Za-z0-9._-]
 * separated by single '/', none starting with '.', at most UI_NAME_MAX
 * bytes; "" means index.html. Anything else (percent signs, "..", "//",
 * a trailing '/') is refused: 0 when allowed, -1 when not. */
int ui_name_ok(const char *name) __attribute__((warn_unused_result));

/* The Content-Type for a name, by its extension (.html, .js, .css, .svg,
 * .png, .ico, .json, .map, .txt, .woff2); NULL for any other: not served. */
const char *ui_content_type(const char *name);

#endif
