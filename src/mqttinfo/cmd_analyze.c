/* mqttinfo: `mqttinfo [options] [URL]`, the analysis of one broker:
 * parse the command line, validate it into a target, run and report. */
#include "cli.h"
#include "report.h"
#include "transport.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef E4_VERSION_STRING
#define E4_VERSION_STRING "0"
#endif

static void usage(FILE *out)
{
    fputs(
        "Usage: mqttinfo [-h HOST] [-p PORT] [-u USER] [--password-file FILE] [-j] [--json] [URL]\n"
        "       mqttinfo scan [-i FILE | TARGET...] [-o results.jsonl] [--concurrency N]\n"
        "                     [--rate PER_SECOND] [--timeout S] [--resume]\n"
        "       mqttinfo report results.jsonl [--json]\n"
        "\n"
        "Analyzes an MQTT broker: 3.1.1 and 5.0 support, anonymous access, QoS, handling of\n"
        "malformed packets, $SYS publish and delivery, the $SYS tree, TLS, the product,\n"
        "and findings with remediation.\n"
        "\n"
        "  -h, --host HOST        broker host (default localhost; IPv6 as ::1 or [::1])\n"
        "  -p, --port PORT        broker port when the target has none (default 1883,\n"
        "                         8883 with TLS); a port in the URL wins\n"
        "  -u, --user USER        user name for the auth_ok check and the other checks\n"
        "      --password-file F  the password: F's first line ('-': stdin)\n"
        "  -P, --password PASS    the password on the command line (visible to other\n"
        "                         users in ps: prefer --password-file or MQTTINFO_PASSWORD)\n"
        "  URL                    mqtt://, mqtts://, ws://, wss://HOST[:PORT][/PATH]\n"
        "      --tls              use TLS (same as mqtts:// or wss://)\n"
        "      --cafile FILE      trust the CA certificates in FILE\n"
        "      --insecure         go on when the certificate does not verify\n"
        "      --timeout S        per-check deadline in seconds (default 2); the whole\n"
        "                         analysis ends within 5 x S\n"
        "      --json             print the JSON result on stdout\n"
        "  -j                     append the JSON result as one line to ./mqttinfo.json\n"
        "      --fail-on SEV      exit 3 if a finding of severity SEV or higher exists\n"
        "                         (info, low, medium, high, critical)\n"
        "      --no-color         no colours (also: NO_COLOR set, or not a terminal)\n"
        "      --help             this text\n"
        "      --version          the version\n"
        "\n"
        "Exit status: 0 analyzed, 1 the broker could not be analyzed, 2 usage error,\n"
        "3 a finding at or above --fail-on exists.\n",
        out);
}

typedef struct {
    mi_options o;
    const char *host, *password_file, *spec;
    int port, fail_on;
    bool json, append, tls, nocolor;
    mi_target target;
    char password[256];
} analyze_args;

enum {
    O_JSON = 256,
    O_TLS,
    O_CAFILE,
    O_INSECURE,
    O_TIMEOUT,
    O_FAILON,
    O_NOCOLOR,
    O_HELP,
    O_VERSION,
    O_PASSFILE
};

/* One option: 0 to go on, 1 to stop with status 0, -1 usage error. */
static int analyze_option(analyze_args *a, int ch, const char *arg)
{
    char *end;
    switch (ch) {
    case 'h': a->host = arg; return 0;
    case 'p': {
        long v = strtol(arg, &end, 10);
        a->port = (int)v;
        if (*end == '\0' && end != arg && v >= 1 && v <= 65535)
            return 0;
        fprintf(stderr, "mqttinfo: bad port '%s'\n", arg);
        return -1;
    }
    case 'u': a->o.user = arg; return 0;
    case 'P': a->o.password = arg; return 0;
    case O_PASSFILE: a->password_file = arg; return 0;
    case 'j': a->append = true; return 0;
    case O_JSON: a->json = true; return 0;
    case O_TLS: a->tls = true; return 0;
    case O_CAFILE: a->o.cafile = arg; return 0;
    case O_INSECURE: a->o.insecure = true; return 0;
    case O_TIMEOUT:
        if (mi_parse_timeout(arg, &a->o.timeout_ms) == 0)
            return 0;
        fprintf(stderr, "mqttinfo: bad timeout '%s' (seconds)\n", arg);
        return -1;
    case O_FAILON:
        if ((a->fail_on = mi_severity_parse(arg)) >= 0)
            return 0;
        fprintf(stderr, "mqttinfo: bad severity '%s'\n", arg);
        return -1;
    case O_NOCOLOR: a->nocolor = true; return 0;
    case O_HELP: usage(stdout); return 1;
    case O_VERSION: printf("mqttinfo %s\n", E4_VERSION_STRING); return 1;
    default: usage(stderr); return -1;
    }
}

/* Command line -> a. Returns -1 to go on, else the exit status. */
static int analyze_parse(analyze_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {{"host", required_argument, NULL, 'h'},
                                             {"port", required_argument, NULL, 'p'},
                                             {"user", required_argument, NULL, 'u'},
                                             {"password", required_argument, NULL, 'P'},
                                             {"password-file", required_argument, NULL, O_PASSFILE},
                                             {"json", no_argument, NULL, O_JSON},
                                             {"tls", no_argument, NULL, O_TLS},
                                             {"cafile", required_argument, NULL, O_CAFILE},
                                             {"insecure", no_argument, NULL, O_INSECURE},
                                             {"timeout", required_argument, NULL, O_TIMEOUT},
                                             {"fail-on", required_argument, NULL, O_FAILON},
                                             {"no-color", no_argument, NULL, O_NOCOLOR},
                                             {"help", no_argument, NULL, O_HELP},
                                             {"version", no_argument, NULL, O_VERSION},
                                             {NULL, 0, NULL, 0}};
    mi_options_defaults(&a->o);
    a->host = "localhost";
    a->fail_on = -1;
    int ch, rc = 0;
    while (rc == 0 && (ch = getopt_long(argc, argv, "h:p:u:P:j", longopts, NULL)) != -1)
        rc = analyze_option(a, ch, optarg);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (optind < argc - 1) {
        fprintf(stderr, "mqttinfo: one target at a time (use 'mqttinfo scan' for many)\n");
        return 2;
    }
    a->spec = optind < argc ? argv[optind] : a->host;
    return -1;
}

/* The password, the target, TLS. 0, or the exit status after a message. */
static int analyze_validate(analyze_args *a)
{
    char err[200];
    if (mi_password_resolve(&a->o, a->password_file, a->password, sizeof a->password, "mqttinfo") !=
        0)
        return 2;
    if (mi_target_parse(a->spec, a->port, a->tls, &a->target, err, sizeof err) != 0) {
        fprintf(stderr, "mqttinfo: %s\n", err);
        return 2;
    }
    if ((a->target.transport == MI_TLS || a->target.transport == MI_WSS) &&
        mi_tls_global_init(&a->o, err, sizeof err) != 0) {
        fprintf(stderr, "mqttinfo: %s\n", err);
        return 2;
    }
    return 0;
}

static int append_line(const char *line)
{
    FILE *f = fopen("mqttinfo.json", "a");
    if (!f || fprintf(f, "%s\n", line) < 0 || fclose(f) != 0) {
        fprintf(stderr, "mqttinfo: cannot append to ./mqttinfo.json\n");
        return 1;
    }
    return 0;
}

static bool use_color(const analyze_args *a)
{
    const char *nc = getenv("NO_COLOR");
    return !a->nocolor && isatty(STDOUT_FILENO) && !(nc && *nc);
}

/* 3 when a finding reaches --fail-on. */
static int fail_on_status(const analyze_args *a, const mi_result *r)
{
    bool any;
    mi_severity max = mi_result_max_severity(r, &any);
    return a->fail_on >= 0 && any && (int)max >= a->fail_on ? 3 : 0;
}

/* The analysis, the report, and the exit status. */
static int analyze_run(const analyze_args *a, mi_result *r)
{
    mi_analyze(&a->target, &a->o, r);
    int status = r->error[0] ? 1 : 0;
    char *line = a->json || a->append ? mi_result_json(r, false) : NULL;
    if (a->json && line) {
        printf("%s\n", line);
    } else if (!a->json) {
        mi_result_text(stdout, r, use_color(a));
    }
    if (a->append && line && append_line(line) != 0)
        status = 1;
    free(line);
    return status ? status : fail_on_status(a, r);
}

int mi_analyze_main(int argc, char **argv)
{
    analyze_args *a = calloc(1, sizeof *a);
    mi_result *r = malloc(sizeof *r);
    int status = a && r ? analyze_parse(a, argc, argv) : 1;
    if (status == -1)
        status = analyze_validate(a) ? 2 : analyze_run(a, r);
    if (r)
        mi_result_free(r);
    free(r);
    if (a)
        memset(a->password, 0, sizeof a->password);
    free(a);
    mi_tls_global_free();
    return status;
}
