/* mqttinfo scan: analyze many endpoints with a bounded pool of worker
 * threads. Targets are streamed from the input (never all in memory),
 * results are written as they finish (one JSON line each), --resume skips
 * targets already in the output (kept as 64-bit hashes only). */
#define _GNU_SOURCE /* memrchr */
#include "cli.h"
#include "report.h"
#include "transport.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

typedef struct {
    /* input */
    FILE *in;    /* -i FILE (or NULL) */
    char **args; /* targets on the command line */
    int nargs, argi;
    int default_port;
    bool tls;
    /* resume */
    uint64_t *done;
    size_t ndone;
    /* output: one write() per result line */
    int out_fd;
    bool out_owned; /* -o FILE (closed at the end), not stdout */
    /* pacing */
    double rate; /* starts per second, 0 = unlimited */
    int64_t next_start_us;
    /* progress */
    long total, started, finished, answered, skipped;
    int64_t t0;
    bool progress;
    bool stop;
    /* options */
    const char *input, *output;
    int concurrency;
    bool resume;
    int progress_opt; /* -1 auto, 0 off, 1 on */
    mi_options opts;
    const char *password_file;
    char password[256]; /* from --password-file; wiped at the end */
    pthread_mutex_t in_mu, out_mu, stat_mu;
} scan_ctx;

static volatile sig_atomic_t g_interrupted;

/* SIGINT/SIGTERM: no endpoint starts after it, and the analyses under way
 * end within a poll slice (mi_cancel); their results are not written, so
 * --resume does them again. */
static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
    mi_cancel();
}

static uint64_t hash64(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool already_done(const scan_ctx *sc, const char *target)
{
    if (!sc->ndone)
        return false;
    uint64_t h = hash64(target);
    return bsearch(&h, sc->done, sc->ndone, sizeof h, cmp_u64) != NULL;
}

/* Reads the targets of an existing output file. */
static int load_resume(scan_ctx *sc, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    size_t cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t n;
    while ((n = getline(&line, &lcap, f)) > 0) {
        json_t *o = json_loads(line, 0, NULL);
        const char *t = o ? json_string_value(json_object_get(o, "target")) : NULL;
        if (t) {
            if (sc->ndone == cap) {
                cap = cap ? cap * 2 : 1024;
                uint64_t *nd = realloc(sc->done, cap * sizeof *nd);
                if (!nd) {
                    json_decref(o);
                    break;
                }
                sc->done = nd;
            }
            sc->done[sc->ndone++] = hash64(t);
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    qsort(sc->done, sc->ndone, sizeof *sc->done, cmp_u64);
    return 0;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    size_t i = strspn(s, " \t");
    if (i)
        memmove(s, s + i, n - i + 1);
}

/* Next target text (caller frees), NULL at the end. */
static char *next_target(scan_ctx *sc)
{
    char *res = NULL;
    pthread_mutex_lock(&sc->in_mu);
    while (!sc->stop && !g_interrupted) {
        if (sc->in) {
            char *line = NULL;
            size_t cap = 0;
            if (getline(&line, &cap, sc->in) < 0) {
                free(line);
                break;
            }
            trim(line);
            if (!line[0] || line[0] == '#') {
                free(line);
                continue;
            }
            res = line;
            break;
        }
        if (sc->argi >= sc->nargs)
            break;
        res = strdup(sc->args[sc->argi++]);
        break;
    }
    pthread_mutex_unlock(&sc->in_mu);
    return res;
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* --rate: waits for this start's slot (pacing, not waiting for an answer).
 * false when the scan was interrupted meanwhile. */
static bool pace(scan_ctx *sc)
{
    if (sc->rate <= 0)
        return !g_interrupted;
    pthread_mutex_lock(&sc->stat_mu);
    int64_t now = now_us();
    if (sc->next_start_us < now)
        sc->next_start_us = now;
    int64_t slot = sc->next_start_us;
    sc->next_start_us += (int64_t)(1e6 / sc->rate);
    pthread_mutex_unlock(&sc->stat_mu);
    /* Sleep in short steps: a signal reaches one thread only. */
    for (int64_t wait = slot - now; wait > 0 && !g_interrupted; wait = slot - now_us()) {
        int64_t step = wait < 50000 ? wait : 50000;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000};
        nanosleep(&ts, NULL);
    }
    return !g_interrupted;
}

/* Appends line + '\n' with a single write() (the file is opened with
 * O_APPEND), so a kill never leaves half a line behind another. */
static int write_line(scan_ctx *sc, const char *line)
{
    size_t n = strlen(line);
    char *buf = malloc(n + 1);
    if (!buf)
        return -1;
    memcpy(buf, line, n);
    buf[n] = '\n';
    int rc = 0;
    pthread_mutex_lock(&sc->out_mu);
    for (size_t off = 0; off <= n && rc == 0;) {
        ssize_t w = write(sc->out_fd, buf + off, n + 1 - off);
        if (w > 0)
            off += (size_t)w;
        else if (w < 0 && errno != EINTR)
            rc = -1;
    }
    pthread_mutex_unlock(&sc->out_mu);
    free(buf);
    return rc;
}

/* Writes a finished analysis, unless the scan was interrupted while it ran
 * (it ended early: --resume does it again). */
static void record_result(scan_ctx *sc, const mi_result *r)
{
    if (mi_cancelled())
        return;
    char *line = mi_result_json(r, false);
    if (!line || write_line(sc, line) != 0)
        fprintf(stderr, "mqttinfo scan: cannot write the result of %s\n", r->target);
    free(line);
    pthread_mutex_lock(&sc->stat_mu);
    sc->finished++;
    if (!r->error[0])
        sc->answered++;
    pthread_mutex_unlock(&sc->stat_mu);
}

static void *worker(void *arg)
{
    scan_ctx *sc = arg;
    mi_result *r = malloc(sizeof *r);
    if (!r)
        return NULL;
    char *text;
    while ((text = next_target(sc)) != NULL) {
        mi_target t;
        char err[200];
        bool ok = mi_target_parse(text, sc->default_port, sc->tls, &t, err, sizeof err) == 0;
        char key[300]; /* the result's "target": never with credentials */
        if (ok)
            mi_target_format(&t, key, sizeof key);
        else
            mi_target_redact(text, key, sizeof key);
        if (already_done(sc, key)) {
            pthread_mutex_lock(&sc->stat_mu);
            sc->skipped++;
            pthread_mutex_unlock(&sc->stat_mu);
            free(text);
            continue;
        }
        if (!pace(sc)) {
            free(text);
            break;
        }
        pthread_mutex_lock(&sc->stat_mu);
        sc->started++;
        pthread_mutex_unlock(&sc->stat_mu);
        if (ok) {
            mi_analyze(&t, &sc->opts, r);
        } else {
            mi_result_init(r);
            mi_sanitize(r->target, sizeof r->target, (const uint8_t *)key, strlen(key));
            mi_utc_now(r->time, sizeof r->time);
            snprintf(r->error, sizeof r->error, "bad target: %.180s", err);
            mi_strlcpy(r->product.name, "unknown", sizeof r->product.name);
        }
        record_result(sc, r);
        mi_result_free(r);
        free(text);
    }
    free(r);
    return NULL;
}

static void draw_progress(scan_ctx *sc, bool final)
{
    pthread_mutex_lock(&sc->stat_mu);
    long done = sc->finished, skipped = sc->skipped, total = sc->total;
    pthread_mutex_unlock(&sc->stat_mu);
    double el = (double)(mi_now_ms() - sc->t0) / 1000.0;
    double rate = el > 0 ? done / el : 0;
    long todo = total > 0 ? total - skipped : 0;
    char bar[31];
    int fillw = todo > 0 ? (int)(30.0 * (double)done / (double)todo) : 0;
    if (fillw > 30)
        fillw = 30;
    for (int i = 0; i < 30; i++)
        bar[i] = i < fillw ? '#' : '.';
    bar[30] = '\0';
    if (todo > 0) {
        double eta = rate > 0 ? (double)(todo - done) / rate : 0;
        fprintf(stderr, "\r[%s] %ld/%ld %3.0f%%  %.1f/s  ETA %.0fs   ", bar, done, todo,
                100.0 * (double)done / (double)todo, rate, eta < 0 ? 0 : eta);
    } else {
        fprintf(stderr, "\r%ld done  %.1f/s   ", done, rate);
    }
    if (final)
        fputc('\n', stderr);
    fflush(stderr);
}

static void *progress_thread(void *arg)
{
    scan_ctx *sc = arg;
    for (;;) {
        pthread_mutex_lock(&sc->stat_mu);
        bool stop = sc->stop;
        pthread_mutex_unlock(&sc->stat_mu);
        if (stop)
            break;
        draw_progress(sc, false);
        struct timespec ts = {0, 200 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
        trim(line);
        if (line[0] && line[0] != '#')
            n++;
    }
    free(line);
    fclose(f);
    return n;
}

static void scan_usage(FILE *out)
{
    fputs("Usage: mqttinfo scan [-i FILE | TARGET...] [-o results.jsonl] [--concurrency N]\n"
          "                     [--rate PER_SECOND] [--timeout S] [--resume] [options]\n"
          "\n"
          "Analyzes many endpoints concurrently; one JSON line per endpoint.\n"
          "  -i, --input FILE       targets, one per line (host[:port] or URL; '#' comments)\n"
          "  -o, --output FILE      results (JSON lines), appended; default stdout\n"
          "  -c, --concurrency N    endpoints analyzed at the same time (default 64)\n"
          "  -r, --rate R           at most R new endpoints per second (default unlimited)\n"
          "      --timeout S        per-check deadline in seconds (default 2); each\n"
          "                         endpoint's analysis ends within 5 x S\n"
          "      --resume           skip targets already present in the output file\n"
          "  -p, --port PORT        port for targets written without one, URLs included\n"
          "                         (default: the scheme's, 1883 for plain targets)\n"
          "  -u, --user USER / --password-file FILE   credentials for every target\n"
          "                         (or -P PASS, visible in ps; or MQTTINFO_PASSWORD)\n"
          "      --tls, --cafile FILE, --insecure    as for a single analysis\n"
          "      --progress / --no-progress          force the progress bar on or off\n"
          "                         (default: on when stderr is a terminal)\n",
          out);
}

/* The byte offset just after the last '\n' before `size` (0 if none). */
static off_t after_last_newline(int fd, off_t size)
{
    char buf[4096];
    while (size > 0) {
        size_t n = size < (off_t)sizeof buf ? (size_t)size : sizeof buf;
        if (pread(fd, buf, n, size - (off_t)n) != (ssize_t)n)
            return -1;
        const char *nl = memrchr(buf, '\n', n);
        if (nl)
            return size - (off_t)n + (nl - buf) + 1;
        size -= (off_t)n;
    }
    return 0;
}

/* A results file whose last line has no '\n' was cut short by a kill: that
 * line is dropped, so its endpoint is analyzed again, unless it is a whole
 * JSON object that only lacks the newline, which is then added. */
static int repair_tail(int fd, const char *path)
{
    off_t size = lseek(fd, 0, SEEK_END);
    char last = '\n';
    if (size < 0 || (size > 0 && pread(fd, &last, 1, size - 1) != 1))
        return -1;
    if (last == '\n')
        return 0;
    off_t start = after_last_newline(fd, size);
    if (start < 0)
        return -1;
    size_t n = (size_t)(size - start);
    char *tail = malloc(n);
    if (!tail || pread(fd, tail, n, start) != (ssize_t)n) {
        free(tail);
        return -1;
    }
    json_t *o = json_loadb(tail, n, 0, NULL);
    bool whole = json_is_object(o);
    json_decref(o);
    free(tail);
    if (whole)
        return write(fd, "\n", 1) == 1 ? 0 : -1;
    fprintf(stderr, "mqttinfo scan: %s: dropping a partial last line (%zu bytes)\n", path, n);
    return ftruncate(fd, start);
}

enum {
    O_TIMEOUT = 256,
    O_RESUME,
    O_TLS,
    O_CAFILE,
    O_INSECURE,
    O_PROGRESS,
    O_NOPROGRESS,
    O_HELP,
    O_PASSFILE
};

/* Parses a number option into *v within [lo, hi]; 0 or -1 (message). */
static int int_opt(const char *what, const char *arg, int lo, int hi, int *v)
{
    char *end;
    long x = strtol(arg, &end, 10);
    if (*end || end == arg || x < lo || x > hi) {
        fprintf(stderr, "mqttinfo scan: bad %s '%s'\n", what, arg);
        return -1;
    }
    *v = (int)x;
    return 0;
}

/* One option; 0 to go on, 1 to stop with status 0 (--help), -1 usage error. */
static int scan_option(scan_ctx *sc, int ch, const char *arg)
{
    char *end;
    switch (ch) {
    case 'i': sc->input = arg; return 0;
    case 'o': sc->output = arg; return 0;
    case 'c': return int_opt("concurrency", arg, 1, 4096, &sc->concurrency);
    case 'r':
        sc->rate = strtod(arg, &end);
        if (*end || end == arg || !(sc->rate >= 0)) {
            fprintf(stderr, "mqttinfo scan: bad rate '%s'\n", arg);
            return -1;
        }
        return 0;
    case O_TIMEOUT:
        if (mi_parse_timeout(arg, &sc->opts.timeout_ms) == 0)
            return 0;
        fprintf(stderr, "mqttinfo scan: bad timeout '%s'\n", arg);
        return -1;
    case O_RESUME: sc->resume = true; return 0;
    case 'p': return int_opt("port", arg, 1, 65535, &sc->default_port);
    case 'u': sc->opts.user = arg; return 0;
    case 'P': sc->opts.password = arg; return 0;
    case O_PASSFILE: sc->password_file = arg; return 0;
    case O_TLS: sc->tls = true; return 0;
    case O_CAFILE: sc->opts.cafile = arg; return 0;
    case O_INSECURE: sc->opts.insecure = true; return 0;
    case O_PROGRESS: sc->progress_opt = 1; return 0;
    case O_NOPROGRESS: sc->progress_opt = 0; return 0;
    case O_HELP: scan_usage(stdout); return 1;
    default: scan_usage(stderr); return -1;
    }
}

/* Command line -> sc. Returns -1 to go on, else the exit status. */
static int scan_parse(scan_ctx *sc, int argc, char **argv)
{
    static const struct option longopts[] = {{"input", required_argument, NULL, 'i'},
                                             {"output", required_argument, NULL, 'o'},
                                             {"concurrency", required_argument, NULL, 'c'},
                                             {"rate", required_argument, NULL, 'r'},
                                             {"timeout", required_argument, NULL, O_TIMEOUT},
                                             {"resume", no_argument, NULL, O_RESUME},
                                             {"port", required_argument, NULL, 'p'},
                                             {"user", required_argument, NULL, 'u'},
                                             {"password", required_argument, NULL, 'P'},
                                             {"password-file", required_argument, NULL, O_PASSFILE},
                                             {"tls", no_argument, NULL, O_TLS},
                                             {"cafile", required_argument, NULL, O_CAFILE},
                                             {"insecure", no_argument, NULL, O_INSECURE},
                                             {"progress", no_argument, NULL, O_PROGRESS},
                                             {"no-progress", no_argument, NULL, O_NOPROGRESS},
                                             {"help", no_argument, NULL, O_HELP},
                                             {NULL, 0, NULL, 0}};
    int ch, rc = 0;
    optind = 1;
    while (rc == 0 && (ch = getopt_long(argc, argv, "i:o:c:r:p:u:P:", longopts, NULL)) != -1)
        rc = scan_option(sc, ch, optarg);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (mi_password_resolve(&sc->opts, sc->password_file, sc->password, sizeof sc->password,
                            "mqttinfo scan") != 0)
        return 2;
    sc->args = argv + optind;
    sc->nargs = argc - optind;
    if ((sc->input != NULL) == (sc->nargs > 0)) {
        fprintf(stderr, "mqttinfo scan: give either -i FILE or targets\n");
        scan_usage(stderr);
        return 2;
    }
    if (sc->resume && !sc->output) {
        fprintf(stderr, "mqttinfo scan: --resume needs -o FILE\n");
        return 2;
    }
    return -1;
}

/* Opens the input, the output (repairing a torn last line) and reads what
 * --resume skips. 0, or -1 after a message. */
static int scan_open(scan_ctx *sc)
{
    const char *what = sc->input;
    if (sc->input && strcmp(sc->input, "-") == 0) {
        sc->total = -1;
        sc->in = stdin;
    } else if (sc->input) {
        sc->total = count_lines(sc->input);
        sc->in = fopen(sc->input, "r");
    } else {
        sc->total = sc->nargs;
    }
    if (sc->input && !sc->in)
        goto fail;
    sc->out_fd = STDOUT_FILENO;
    if (sc->output) {
        what = sc->output;
        sc->out_fd = open(sc->output, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (sc->out_fd < 0)
            goto fail;
        sc->out_owned = true;
        if (repair_tail(sc->out_fd, sc->output) != 0 ||
            (sc->resume && load_resume(sc, sc->output) != 0))
            goto fail;
    }
    return 0;
fail:
    fprintf(stderr, "mqttinfo scan: cannot use %s: %s\n", what, strerror(errno));
    return -1;
}

static void scan_summary(const scan_ctx *sc)
{
    double el = (double)(mi_now_ms() - sc->t0) / 1000.0;
    fprintf(stderr, "mqttinfo scan: %ld endpoints analyzed in %.1f s (%.1f/s), %ld answered%s",
            sc->finished, el, el > 0 ? sc->finished / el : 0.0, sc->answered,
            g_interrupted ? ", interrupted (use --resume to continue)" : "");
    if (sc->skipped)
        fprintf(stderr, ", %ld skipped (already in the output)", sc->skipped);
    fputc('\n', stderr);
}

/* Runs the workers (and the progress bar) until the targets run out or a
 * signal comes. */
static void scan_run(scan_ctx *sc)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sc->progress = sc->progress_opt >= 0 ? sc->progress_opt == 1 : isatty(STDERR_FILENO);
    sc->t0 = mi_now_ms();
    pthread_t *th = calloc((size_t)sc->concurrency, sizeof *th);
    int nok = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    while (th && nok < sc->concurrency && pthread_create(&th[nok], &attr, worker, sc) == 0)
        nok++;
    pthread_attr_destroy(&attr);
    pthread_t pt;
    bool have_pt = sc->progress && pthread_create(&pt, NULL, progress_thread, sc) == 0;
    for (int i = 0; i < nok; i++)
        pthread_join(th[i], NULL);
    if (nok == 0)
        worker(sc);
    free(th);
    pthread_mutex_lock(&sc->stat_mu);
    sc->stop = true;
    pthread_mutex_unlock(&sc->stat_mu);
    if (have_pt) {
        pthread_join(pt, NULL);
        draw_progress(sc, true);
    }
    scan_summary(sc);
}

/* Everything scan_open and scan_run may have set up. Returns status, or 1
 * when the output could not be closed. */
static int scan_free(scan_ctx *sc, int status)
{
    if (sc->out_owned && close(sc->out_fd) != 0 && status == 0)
        status = 1;
    if (sc->in && sc->in != stdin)
        fclose(sc->in);
    free(sc->done);
    pthread_mutex_destroy(&sc->in_mu);
    pthread_mutex_destroy(&sc->out_mu);
    pthread_mutex_destroy(&sc->stat_mu);
    mi_tls_global_free();
    memset(sc->password, 0, sizeof sc->password);
    free(sc);
    return status;
}

int mi_scan_main(int argc, char **argv)
{
    scan_ctx *sc = calloc(1, sizeof *sc);
    if (!sc)
        return 1;
    pthread_mutex_init(&sc->in_mu, NULL);
    pthread_mutex_init(&sc->out_mu, NULL);
    pthread_mutex_init(&sc->stat_mu, NULL);
    mi_options_defaults(&sc->opts);
    sc->concurrency = 64;
    sc->progress_opt = -1;
    int status = scan_parse(sc, argc, argv);
    if (status >= 0)
        return scan_free(sc, status);
    if (scan_open(sc) != 0)
        return scan_free(sc, 2);
    char err[200];
    if ((sc->tls || sc->opts.cafile) && mi_tls_global_init(&sc->opts, err, sizeof err) != 0) {
        fprintf(stderr, "mqttinfo scan: %s\n", err);
        return scan_free(sc, 2);
    }
    /* URLs in the input may ask for TLS even without --tls. */
    if (!sc->tls && !sc->opts.cafile)
        mi_tls_global_init(&sc->opts, err, sizeof err);
    scan_run(sc);
    return scan_free(sc, g_interrupted ? 130 : 0);
}
