/*
 * http_ui: the console's files at /ui/ (see http_ui.h).
 */
#include "http_ui.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui_files.h"

#define UI_FILE_MAX (32L << 20) /* the bundle is far smaller; a bound all the same */

/* 'self' only: the bundle is one script and one style sheet, no inline code;
 * the API and its event stream are on the same origin. */
static const char CSP[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                          "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

int http_ui_path(const char *url)
{
    return strcmp(url, "/") == 0 || strcmp(url, "/ui") == 0 || strncmp(url, "/ui/", 4) == 0;
}

static void strict_headers(struct MHD_Response *resp, const char *type)
{
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, "Content-Security-Policy", CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    /* small files, rebuilt with e4c2: always revalidate, never stale */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
}

static struct MHD_Response *text(int code, const char *msg, int *status)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(msg), (void *)msg, MHD_RESPMEM_MUST_COPY);
    if (!resp)
        return NULL;
    strict_headers(resp, "text/plain; charset=utf-8");
    *status = code;
    return resp;
}

static struct MHD_Response *redirect(int *status)
{
    struct MHD_Response *resp = text(302, "the console is at /ui/\n", status);
    if (resp)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, "/ui/");
    return resp;
}

/* Is path (resolved) inside dir (resolved)? */
static int inside(const char *dir, const char *path)
{
    char rd[PATH_MAX], rp[PATH_MAX];
    size_t n;
    if (!realpath(dir, rd) || !realpath(path, rp))
        return 0;
    n = strlen(rd);
    return strncmp(rd, rp, n) == 0 && rp[n] == '/';
}

/* The file name, opened read-only: a regular file inside dir, or -1. */
static int open_inside(const char *dir, const char *name, off_t *size)
{
    char path[PATH_MAX];
    struct stat st;
    int fd;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
        !inside(dir, path))
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > UI_FILE_MAX) {
        close(fd);
        return -1;
    }
    *size = st.st_size;
    return fd;
}

static struct MHD_Response *file(const char *dir, const char *name, int *status)
{
    const char *type = ui_content_type(name);
    struct MHD_Response *resp;
    off_t size = 0;
    int fd = type ? open_inside(dir, name, &size) : -1;
    if (fd < 0)
        return text(404, "no such file in the console\n", status);
    resp = MHD_create_response_from_fd((uint64_t)size, fd); /* owns fd now */
    if (!resp) {
        close(fd);
        return NULL;
    }
    strict_headers(resp, type);
    *status = 200;
    return resp;
}

int http_ui_installed(const char *dir)
{
    char index[PATH_MAX];
    return dir && *dir &&
           (size_t)snprintf(index, sizeof index, "%s/index.html", dir) < sizeof index &&
           access(index, R_OK) == 0;
}

struct MHD_Response *http_ui_answer(const char *dir, const char *method, const char *url,
                                    int *status)
{
    struct MHD_Response *resp;
    const char *name = url + 4; /* after "/ui/" */
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        resp = text(405, "the console's files are read with GET\n", status);
        if (resp)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
        return resp;
    }
    if (strncmp(url, "/ui/", 4) != 0)
        return redirect(status);
    if (!http_ui_installed(dir))
        return text(404,
                    "the web console is not installed: build web/ (cmake --build) or run "
                    "e4c2 with --ui-dir DIR\n",
                    status);
    if (ui_name_ok(name) != 0)
        return text(404, "no such file in the console\n", status);
    return file(dir, *name ? name : "index.html", status);
}

/* ---- where the files are --------------------------------------------------- */

static char g_default_dir[PATH_MAX];

const char *http_ui_default_dir(void)
{
    char exe[PATH_MAX], build_bin[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash;
    if (n <= 0)
        return E4C2_UI_INSTALL_DIR;
    exe[n] = 0;
    slash = strrchr(exe, '/');
    if (!slash)
        return E4C2_UI_INSTALL_DIR;
    *slash = 0; /* the program's directory */
    if (realpath(E4C2_BUILD_BIN_DIR, build_bin) && strcmp(build_bin, exe) == 0)
        return E4C2_UI_BUILD_DIR;
    if ((size_t)snprintf(g_default_dir, sizeof g_default_dir, "%s/../%s/e4c2/ui", exe,
                         E4C2_UI_DATADIR) >= sizeof g_default_dir)
        return E4C2_UI_INSTALL_DIR;
    return g_default_dir;
}
