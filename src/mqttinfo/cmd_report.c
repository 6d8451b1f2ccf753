/* mqttinfo report: survey statistics from a results file (JSON lines), in
 * the form of the 2019 survey quoted in the spec. Streams the file: memory
 * does not grow with the number of endpoints (only with distinct product
 * names and finding ids). */
#include "cli.h"
#include "report.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long t, f, n; /* true, false, null (mi_tri_of_json) */
} tri_count;

#define MAX_NAMES 64
typedef struct {
    char name[48];
    long count;
} named_count;

typedef struct {
    long endpoints, invalid, answered, anon311, v5, v5_qos, v311_supported;
    tri_count checks[2][MI_C_COUNT];
    tri_count sys_tree;
    named_count products[MAX_NAMES];
    int nproducts;
    named_count findings[MAX_NAMES];
    int nfindings;
} stats;

static void bump(named_count *arr, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp(arr[i].name, name) == 0) {
            arr[i].count++;
            return;
        }
    if (*n >= MAX_NAMES) {
        name = "(other)";
        for (int i = 0; i < *n; i++)
            if (strcmp(arr[i].name, name) == 0) {
                arr[i].count++;
                return;
            }
        (*n)--; /* reuse the last slot for "(other)" */
    }
    mi_strlcpy(arr[*n].name, name, sizeof arr[*n].name);
    arr[*n].count = 1;
    (*n)++;
}

static int by_count(const void *a, const void *b)
{
    const named_count *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void count_tri(tri_count *c, const json_t *v)
{
    mi_tri t = mi_tri_of_json(v);
    long *slot = t == MI_YES ? &c->t : t == MI_NO ? &c->f : &c->n;
    (*slot)++;
}

/* The keys of the two protocol versions in a result, as in stats.checks. */
static const char *const version_keys[2] = {"v311", "v5"};

/* What only an endpoint that spoke MQTT counts: its checks, $SYS, product. */
static void add_answered(stats *s, const json_t *o)
{
    s->answered++;
    for (int v = 0; v < 2; v++) {
        const json_t *vo = json_object_get(o, version_keys[v]);
        for (int k = 0; k < MI_C_COUNT; k++)
            count_tri(&s->checks[v][k], json_object_get(vo, mi_check_keys[k]));
    }
    count_tri(&s->sys_tree, json_object_get(json_object_get(o, "sys_tree"), "published"));
    const char *pn = json_string_value(json_object_get(json_object_get(o, "product"), "name"));
    bump(s->products, &s->nproducts, pn ? pn : "unknown");
}

static void add_versions(stats *s, const json_t *o)
{
    const json_t *v311 = json_object_get(o, "v311"), *v5 = json_object_get(o, "v5");
    if (json_is_true(json_object_get(v311, "supported")))
        s->v311_supported++;
    if (json_is_true(json_object_get(v311, "anonymous")))
        s->anon311++;
    if (json_is_true(json_object_get(v5, "supported"))) {
        s->v5++;
        if (json_is_true(json_object_get(v5, "qos1")) || json_is_true(json_object_get(v5, "qos2")))
            s->v5_qos++;
    }
}

static void add_line(stats *s, const char *line)
{
    json_t *o = json_loads(line, 0, NULL);
    if (!o || !json_is_object(o) || !json_object_get(o, "target")) {
        s->invalid++;
        json_decref(o);
        return;
    }
    s->endpoints++;
    json_t *err = json_object_get(o, "error");
    if (json_is_null(err) || !err)
        add_answered(s, o);
    add_versions(s, o);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(o, "findings"), i, f)
    {
        const char *id = json_string_value(json_object_get(f, "id"));
        if (id)
            bump(s->findings, &s->nfindings, id);
    }
    json_decref(o);
}

static double pct(long a, long b)
{
    return b > 0 ? 100.0 * (double)a / (double)b : 0.0;
}

static json_t *tri_json(const tri_count *c)
{
    long decided = c->t + c->f;
    return json_pack("{s:I,s:I,s:I,s:f}", "true", (json_int_t)c->t, "false", (json_int_t)c->f,
                     "null", (json_int_t)c->n, "percent_true", pct(c->t, decided));
}

/* {name: {count, percent of of}} */
static json_t *named_json(const named_count *c, int n, long of)
{
    json_t *o = json_object();
    for (int i = 0; i < n; i++)
        json_object_set_new(o, c[i].name,
                            json_pack("{s:I,s:f}", "count", (json_int_t)c[i].count, "percent",
                                      pct(c[i].count, of)));
    return o;
}

static void print_json(const stats *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "endpoints", json_integer(s->endpoints));
    json_object_set_new(o, "invalid_lines", json_integer(s->invalid));
    json_object_set_new(o, "answered", json_integer(s->answered));
    json_object_set_new(o, "v311_supported", json_integer(s->v311_supported));
    json_object_set_new(o, "anonymous_v311", json_integer(s->anon311));
    json_object_set_new(o, "v5_supported", json_integer(s->v5));
    json_object_set_new(o, "v5_qos_above_0", json_integer(s->v5_qos));
    json_t *checks = json_object();
    for (int v = 0; v < 2; v++) {
        json_t *vo = json_object();
        for (int k = 0; k < MI_C_COUNT; k++)
            json_object_set_new(vo, mi_check_keys[k], tri_json(&s->checks[v][k]));
        json_object_set_new(checks, version_keys[v], vo);
    }
    json_object_set_new(o, "checks", checks);
    json_object_set_new(o, "sys_tree_published", tri_json(&s->sys_tree));
    json_object_set_new(o, "products", named_json(s->products, s->nproducts, s->answered));
    json_object_set_new(o, "findings", named_json(s->findings, s->nfindings, s->answered));
    char *txt = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    if (txt)
        puts(txt);
    free(txt);
    json_decref(o);
}

static void cell(const tri_count *c)
{
    long d = c->t + c->f;
    if (d == 0)
        printf("  %8s %6s", "-", "");
    else
        printf("  %8ld %5.1f%%", c->t, pct(c->t, d));
}

static void print_text(const stats *s)
{
    printf("endpoints                      %8ld\n", s->endpoints);
    if (s->invalid)
        printf("unreadable lines               %8ld\n", s->invalid);
    printf("answered (MQTT spoken)         %8ld  %5.1f%%\n", s->answered,
           pct(s->answered, s->endpoints));
    printf("accepted anonymous 3.1.1       %8ld  %5.1f%% of answered\n", s->anon311,
           pct(s->anon311, s->answered));
    printf("spoke 5.0                      %8ld  %5.1f%% of answered\n", s->v5,
           pct(s->v5, s->answered));
    printf("  of which QoS > 0 on 5.0      %8ld  %5.1f%% of 5.0\n", s->v5_qos,
           pct(s->v5_qos, s->v5));
    printf("published a $SYS tree          %8ld  %5.1f%% of decided\n", s->sys_tree.t,
           pct(s->sys_tree.t, s->sys_tree.t + s->sys_tree.f));
    printf("\n%-26s  %15s  %15s   (count true, %% of decisive answers)\n", "check", "3.1.1", "5.0");
    for (int k = 0; k < MI_C_COUNT; k++) {
        printf("%-26s", mi_check_keys[k]);
        cell(&s->checks[0][k]);
        cell(&s->checks[1][k]);
        putchar('\n');
    }
    printf("\n%-26s  %8s %6s\n", "product", "count", "%");
    for (int i = 0; i < s->nproducts; i++)
        printf("%-26s  %8ld %5.1f%%\n", s->products[i].name, s->products[i].count,
               pct(s->products[i].count, s->answered));
    if (s->nfindings) {
        printf("\n%-26s  %8s %6s\n", "finding", "count", "%");
        for (int i = 0; i < s->nfindings; i++)
            printf("%-26s  %8ld %5.1f%%\n", s->findings[i].name, s->findings[i].count,
                   pct(s->findings[i].count, s->answered));
    }
}

int mi_report_main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'J'}, {"help", no_argument, NULL, 'H'}, {NULL, 0, NULL, 0}};
    bool json = false;
    int ch;
    optind = 1;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (ch == 'J')
            json = true;
        else if (ch == 'H') {
            puts("Usage: mqttinfo report results.jsonl [--json]\n\n"
                 "Survey statistics of a 'mqttinfo scan' output: how many endpoints answered,\n"
                 "accepted anonymous 3.1.1 clients, spoke 5.0; for each check and version the\n"
                 "count of 'true' and its percentage among the endpoints that gave a decisive\n"
                 "answer; the products and findings.");
            return 0;
        } else {
            fprintf(stderr, "Usage: mqttinfo report results.jsonl [--json]\n");
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "Usage: mqttinfo report results.jsonl [--json]\n");
        return 2;
    }
    const char *path = argv[optind];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (!f) {
        perror(path);
        return 2;
    }
    stats *s = calloc(1, sizeof *s);
    if (!s)
        return 1;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (strspn(line, " \t\r\n") == (size_t)n)
            continue;
        add_line(s, line);
    }
    free(line);
    if (f != stdin)
        fclose(f);
    qsort(s->products, (size_t)s->nproducts, sizeof s->products[0], by_count);
    qsort(s->findings, (size_t)s->nfindings, sizeof s->findings[0], by_count);
    if (json)
        print_json(s);
    else
        print_text(s);
    free(s);
    return 0;
}
