/*
 * http_ui: the web console's static files (web/, built into a directory
 * holding index.html), served at /ui/ beside the API on the same listener
 * (so the same TLS).
 *
 * The files are public (no secret in them: the console talks to /v1 with
 * the operator's token), so no token is asked. Every answer carries strict
 * headers: a Content-Security-Policy allowing only this origin (no inline
 * script or style), no framing, no referrer, no sniffing. A name is checked
 * (ui_files.h) before any file is opened, and the resolved file must lie
 * inside the directory (symbolic links included).
 */
#ifndef E4C2_HTTP_UI_H
#define E4C2_HTTP_UI_H

#include <microhttpd.h>

/* Non-zero for "/", "/ui" and "/ui/..." (the requests http_ui_answer takes). */
int http_ui_path(const char *url);

/* The answer to a request for such a path, from dir (NULL, or a directory
 * without index.html: a 404 text saying the console is not installed).
 * Sets *status; the response carries its headers. NULL when out of memory. */
struct MHD_Response *http_ui_answer(const char *dir, const char *method, const char *url,
                                    int *status);

/* Non-zero when dir holds the console (an index.html to read). */
int http_ui_installed(const char *dir);

/* The directory served when --ui-dir is not given: the build tree's bundle
 * when this program runs from its build directory's bin/, else the
 * installed one (DATADIR/e4c2/ui beside the program's bin/). */
const char *http_ui_default_dir(void);

#endif
