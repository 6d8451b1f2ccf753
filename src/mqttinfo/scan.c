/* mqttinfo scan: analyze many endpoints with a bounded pool of worker
 * threads. Targets are streamed from the input (never all in memory),
 * results are written as they finish (one JSON line each), --resume skips
 * targets already in the output (kept as 64-bit hashes only). */
#include "cli.h"
#include "report.h"
#include "transport.h"

#include <errno.h>
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
    FILE *in;            /* -i FILE (or NULL) */
    char **args;         /* targets on the command line */
    int nargs, argi;
    int default_port;
    bool tls;
    /* resume */
    uint64_t *done;
    size_t ndone;
    /* output */
    FILE *out;
    /* pacing */
    double rate;      /* starts per second, 0 = unlimited */
    int64_t next_start_us;
    /* progress */
    long total, started, finished, answered, skipped;
    int64_t t0;
    bool progress;
    bool stop;
    mi_options opts;
    pthread_mutex_t in_mu, out_mu, stat_mu;
} scan_ctx;

static volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
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

/* --rate: wait for this start's slot (pacing, not waiting for an answer). */
static void pace(scan_ctx *sc)
{
    if (sc->rate <= 0)
        return;
    pthread_mutex_lock(&sc->stat_mu);
    int64_t now = now_us();
    if (sc->next_start_us < now)
        sc->next_start_us = now;
    int64_t slot = sc->next_start_us;
    sc->next_start_us += (int64_t)(1e6 / sc->rate);
    pthread_mutex_unlock(&sc->stat_mu);
    int64_t wait = slot - now;
    if (wait > 0) {
        struct timespec ts = {.tv_sec = wait / 1000000, .tv_nsec = (wait % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

static void write_line(scan_ctx *sc, const char *line)
{
    pthread_mutex_lock(&sc->out_mu);
    fputs(line, sc->out);
    fputc('\n', sc->out);
    fflush(sc->out);
    pthread_mutex_unlock(&sc->out_mu);
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
        pthread_mutex_lock(&sc->stat_mu);
        sc->started++;
        pthread_mutex_unlock(&sc->stat_mu);
        pace(sc);
        if (ok) {
            mi_analyze(&t, &sc->opts, r);
        } else {
            mi_result_init(r);
            mi_sanitize(r->target, sizeof r->target, (const uint8_t *)key, strlen(key));
            mi_utc_now(r->time, sizeof r->time);
            snprintf(r->error, sizeof r->error, "bad target: %.180s", err);
            mi_strlcpy(r->product.name, "unknown", sizeof r->product.name);
        }
        char *line = mi_result_json(r, false);
        if (line)
            write_line(sc, line);
        free(line);
        pthread_mutex_lock(&sc->stat_mu);
        sc->finished++;
        if (!r->error[0])
            sc->answered++;
        pthread_mutex_unlock(&sc->stat_mu);
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
          "  -p, --port PORT        port for targets given without one (default 1883)\n"
          "  -u, --user USER / -P, --password PASS   credentials for every target\n"
          "      --tls, --cafile FILE, --insecure    as for a single analysis\n"
          "      --progress / --no-progress          force the progress bar on or off\n"
          "                         (default: on when stderr is a terminal)\n",
          out);
}

int mi_scan_main(int argc, char **argv)
{
    enum { O_TIMEOUT = 256, O_RESUME, O_TLS, O_CAFILE, O_INSECURE, O_PROGRESS, O_NOPROGRESS,
           O_HELP };
    static const struct option longopts[] = {
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"concurrency", required_argument, NULL, 'c'},
        {"rate", required_argument, NULL, 'r'},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"resume", no_argument, NULL, O_RESUME},
        {"port", required_argument, NULL, 'p'},
        {"user", required_argument, NULL, 'u'},
        {"password", required_argument, NULL, 'P'},
        {"tls", no_argument, NULL, O_TLS},
        {"cafile", required_argument, NULL, O_CAFILE},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"progress", no_argument, NULL, O_PROGRESS},
        {"no-progress", no_argument, NULL, O_NOPROGRESS},
        {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0}};
    scan_ctx *sc = calloc(1, sizeof *sc);
    if (!sc)
        return 1;
    mi_options_defaults(&sc->opts);
    const char *input = NULL, *output = NULL;
    int concurrency = 64;
    bool resume = false;
    int progress = -1;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "i:o:c:r:p:u:P:", longopts, NULL)) != -1) {
        char *end;
        switch (ch) {
        case 'i': input = optarg; break;
        case 'o': output = optarg; break;
        case 'c':
            concurrency = (int)strtol(optarg, &end, 10);
            if (*end || concurrency < 1 || concurrency > 4096) {
                fprintf(stderr, "mqttinfo scan: bad concurrency '%s'\n", optarg);
                return 2;
            }
            break;
        case 'r':
            sc->rate = strtod(optarg, &end);
            if (*end || sc->rate < 0) {
                fprintf(stderr, "mqttinfo scan: bad rate '%s'\n", optarg);
                return 2;
            }
            break;
        case O_TIMEOUT:
            if (mi_parse_timeout(optarg, &sc->opts.timeout_ms) != 0) {
                fprintf(stderr, "mqttinfo scan: bad timeout '%s'\n", optarg);
                return 2;
            }
            break;
        case O_RESUME: resume = true; break;
        case 'p':
            sc->default_port = (int)strtol(optarg, &end, 10);
            if (*end || sc->default_port < 1 || sc->default_port > 65535) {
                fprintf(stderr, "mqttinfo scan: bad port '%s'\n", optarg);
                return 2;
            }
            break;
        case 'u': sc->opts.user = optarg; break;
        case 'P': sc->opts.password = optarg; break;
        case O_TLS: sc->tls = true; break;
        case O_CAFILE: sc->opts.cafile = optarg; break;
        case O_INSECURE: sc->opts.insecure = true; break;
        case O_PROGRESS: progress = 1; break;
        case O_NOPROGRESS: progress = 0; break;
        case O_HELP: scan_usage(stdout); free(sc); return 0;
        default: scan_usage(stderr); free(sc); return 2;
        }
    }
    if (!sc->opts.password && sc->opts.user && getenv("MQTTINFO_PASSWORD"))
        sc->opts.password = getenv("MQTTINFO_PASSWORD");
    sc->args = argv + optind;
    sc->nargs = argc - optind;
    if ((input != NULL) == (sc->nargs > 0)) {
        fprintf(stderr, "mqttinfo scan: give either -i FILE or targets\n");
        scan_usage(stderr);
        free(sc);
        return 2;
    }
    if (resume && !output) {
        fprintf(stderr, "mqttinfo scan: --resume needs -o FILE\n");
        free(sc);
        return 2;
    }
    if (input) {
        sc->total = strcmp(input, "-") == 0 ? -1 : count_lines(input);
        sc->in = strcmp(input, "-") == 0 ? stdin : fopen(input, "r");
        if (!sc->in) {
            fprintf(stderr, "mqttinfo scan: cannot read %s: %s\n", input, strerror(errno));
            free(sc);
            return 2;
        }
    } else {
        sc->total = sc->nargs;
    }
    if (resume && load_resume(sc, output) != 0) {
        fprintf(stderr, "mqttinfo scan: cannot read %s: %s\n", output, strerror(errno));
        return 2;
    }
    if (output) {
        sc->out = fopen(output, "a+");
        if (!sc->out) {
            fprintf(stderr, "mqttinfo scan: cannot write %s: %s\n", output, strerror(errno));
            return 2;
        }
        /* A line cut short by an interrupted run must not glue onto ours. */
        bool add_nl = fseek(sc->out, -1, SEEK_END) == 0 && fgetc(sc->out) != '\n';
        fseek(sc->out, 0, SEEK_END);
        if (add_nl)
            fputc('\n', sc->out);
    } else {
        sc->out = stdout;
    }
    char err[200];
    if ((sc->tls || sc->opts.cafile) && mi_tls_global_init(&sc->opts, err, sizeof err) != 0) {
        fprintf(stderr, "mqttinfo scan: %s\n", err);
        return 2;
    }
    /* URLs in the input may ask for TLS even without --tls. */
    if (!sc->tls && !sc->opts.cafile)
        mi_tls_global_init(&sc->opts, err, sizeof err);

    sc->progress = progress >= 0 ? progress == 1 : isatty(STDERR_FILENO);
    pthread_mutex_init(&sc->in_mu, NULL);
    pthread_mutex_init(&sc->out_mu, NULL);
    pthread_mutex_init(&sc->stat_mu, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sc->t0 = mi_now_ms();

    pthread_t *th = calloc((size_t)concurrency, sizeof *th);
    bool *ok = calloc((size_t)concurrency, sizeof *ok);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 512 * 1024);
    for (int i = 0; i < concurrency; i++)
        ok[i] = pthread_create(&th[i], &attr, worker, sc) == 0;
    pthread_attr_destroy(&attr);
    pthread_t pt;
    bool have_pt = sc->progress && pthread_create(&pt, NULL, progress_thread, sc) == 0;
    int nok = 0;
    for (int i = 0; i < concurrency; i++)
        if (ok[i]) {
            pthread_join(th[i], NULL);
            nok++;
        }
    if (nok == 0)
        worker(sc);
    pthread_mutex_lock(&sc->stat_mu);
    sc->stop = true;
    pthread_mutex_unlock(&sc->stat_mu);
    if (have_pt) {
        pthread_join(pt, NULL);
        draw_progress(sc, true);
    }
    double el = (double)(mi_now_ms() - sc->t0) / 1000.0;
    fprintf(stderr, "mqttinfo scan: %ld endpoints analyzed in %.1f s (%.1f/s), %ld answered%s",
            sc->finished, el, el > 0 ? sc->finished / el : 0.0, sc->answered,
            g_interrupted ? ", interrupted (use --resume to continue)" : "");
    if (sc->skipped)
        fprintf(stderr, ", %ld skipped (already in the output)", sc->skipped);
    fputc('\n', stderr);

    int status = g_interrupted ? 130 : 0;
    if (sc->out != stdout && fclose(sc->out) != 0)
        status = 1;
    if (sc->in && sc->in != stdin)
        fclose(sc->in);
    free(th);
    free(ok);
    free(sc->done);
    pthread_mutex_destroy(&sc->in_mu);
    pthread_mutex_destroy(&sc->out_mu);
    pthread_mutex_destroy(&sc->stat_mu);
    mi_tls_global_free();
    free(sc);
    return status;
}
