/* mqttinfo: command line. `mqttinfo [options] [URL]` analyzes one broker;
 * `mqttinfo scan` surveys many; `mqttinfo report` summarises a survey. */
#include "cli.h"
#include "report.h"
#include "transport.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef E4_VERSION_STRING
#define E4_VERSION_STRING "0"
#endif

static void usage(FILE *out)
{
    fputs("Usage: mqttinfo [-h HOST] [-p PORT] [-u USER] [-P PASSWORD] [-j] [--json] [URL]\n"
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
          "  -P, --password PASS    password (or set MQTTINFO_PASSWORD)\n"
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

void mi_options_defaults(mi_options *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = 2000;
    o->sys_window_ms = 250;
    o->sys_cap_ms = 1000;
}

static int analyze_main(int argc, char **argv)
{
    enum { O_JSON = 256, O_TLS, O_CAFILE, O_INSECURE, O_TIMEOUT, O_FAILON, O_NOCOLOR, O_HELP,
           O_VERSION };
    static const struct option longopts[] = {
        {"host", required_argument, NULL, 'h'},  {"port", required_argument, NULL, 'p'},
        {"user", required_argument, NULL, 'u'},  {"password", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, O_JSON},     {"tls", no_argument, NULL, O_TLS},
        {"cafile", required_argument, NULL, O_CAFILE},
        {"insecure", no_argument, NULL, O_INSECURE},
        {"timeout", required_argument, NULL, O_TIMEOUT},
        {"fail-on", required_argument, NULL, O_FAILON},
        {"no-color", no_argument, NULL, O_NOCOLOR},
        {"help", no_argument, NULL, O_HELP},     {"version", no_argument, NULL, O_VERSION},
        {NULL, 0, NULL, 0}};
    mi_options o;
    mi_options_defaults(&o);
    const char *host = "localhost";
    int port = 0;
    bool json = false, append = false, tls = false, nocolor = false;
    int fail_on = -1;
    int ch;
    while ((ch = getopt_long(argc, argv, "h:p:u:P:j", longopts, NULL)) != -1) {
        switch (ch) {
        case 'h': host = optarg; break;
        case 'p': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 65535) {
                fprintf(stderr, "mqttinfo: bad port '%s'\n", optarg);
                return 2;
            }
            port = (int)v;
            break;
        }
        case 'u': o.user = optarg; break;
        case 'P': o.password = optarg; break;
        case 'j': append = true; break;
        case O_JSON: json = true; break;
        case O_TLS: tls = true; break;
        case O_CAFILE: o.cafile = optarg; break;
        case O_INSECURE: o.insecure = true; break;
        case O_TIMEOUT:
            if (mi_parse_timeout(optarg, &o.timeout_ms) != 0) {
                fprintf(stderr, "mqttinfo: bad timeout '%s' (seconds)\n", optarg);
                return 2;
            }
            break;
        case O_FAILON:
            if ((fail_on = mi_severity_parse(optarg)) < 0) {
                fprintf(stderr, "mqttinfo: bad severity '%s'\n", optarg);
                return 2;
            }
            break;
        case O_NOCOLOR: nocolor = true; break;
        case O_HELP: usage(stdout); return 0;
        case O_VERSION: printf("mqttinfo %s\n", E4_VERSION_STRING); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!o.password && o.user && getenv("MQTTINFO_PASSWORD"))
        o.password = getenv("MQTTINFO_PASSWORD");
    if (optind < argc - 1) {
        fprintf(stderr, "mqttinfo: one target at a time (use 'mqttinfo scan' for many)\n");
        return 2;
    }
    const char *spec = optind < argc ? argv[optind] : host;
    mi_target t;
    char err[200];
    if (mi_target_parse(spec, port, tls, &t, err, sizeof err) != 0) {
        fprintf(stderr, "mqttinfo: %s\n", err);
        return 2;
    }
    if ((t.transport == MI_TLS || t.transport == MI_WSS) &&
        mi_tls_global_init(&o, err, sizeof err) != 0) {
        fprintf(stderr, "mqttinfo: %s\n", err);
        return 2;
    }
    mi_result *r = malloc(sizeof *r);
    if (!r)
        return 1;
    mi_analyze(&t, &o, r);
    int status = r->error[0] ? 1 : 0;
    char *line = NULL;
    if (json || append)
        line = mi_result_json(r, false);
    if (json) {
        if (line)
            printf("%s\n", line);
    } else {
        bool color = !nocolor && isatty(STDOUT_FILENO) && !(getenv("NO_COLOR") && *getenv("NO_COLOR"));
        mi_result_text(stdout, r, color);
    }
    if (append && line) {
        FILE *f = fopen("mqttinfo.json", "a");
        if (!f || fprintf(f, "%s\n", line) < 0 || fclose(f) != 0) {
            fprintf(stderr, "mqttinfo: cannot append to ./mqttinfo.json\n");
            status = status ? status : 1;
        }
    }
    free(line);
    bool any;
    mi_severity max = mi_result_max_severity(r, &any);
    if (fail_on >= 0 && any && (int)max >= fail_on && status == 0)
        status = 3;
    mi_result_free(r);
    free(r);
    mi_tls_global_free();
    return status;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && strcmp(argv[1], "scan") == 0)
        return mi_scan_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return mi_report_main(argc - 1, argv + 1);
    return analyze_main(argc, argv);
}
