/*
 * e4c2: the E4 key-management server.
 *
 *   e4c2 init --mode MODE       create the database and the master key check
 *   e4c2 run                    serve the API and deliver the outbox
 *   e4c2 token create|list|revoke
 *
 * main parses the command line and settings, validates them, and hands
 * over to cmd_init / cmd_run / cmd_token (commands.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "api_parse.h"
#include "commands.h"
#include "config.h"
#include "log.h"

static void usage(FILE *f)
{
    fprintf(
        f,
        "usage: e4c2 COMMAND [OPTIONS]\n\n"
        "The E4 key server: clients, topics, keys, and protected commands over MQTT.\n\n"
        "commands:\n"
        "  init --mode MODE         create a C2 database (asks nothing; the master key\n"
        "                           comes from --passphrase-file, E4C2_PASSPHRASE or --key-file);\n"
        "                           MODE: sk, pk, or a cipher suite: fips-sk (AES-256-GCM),\n"
        "                           fips-pk (P-256 ECDSA/ECDH) or pq-pk (Ed25519 + ML-DSA-65,\n"
        "                           X-Wing key establishment)\n"
        "  run                      serve the HTTP API and deliver commands to the broker\n"
        "  token create NAME [--read-only]   print a new API token (once)\n"
        "  token list [--json]      list tokens (never their secret)\n"
        "  token revoke NAME\n\n"
        "`e4c2 COMMAND --help` lists the command's options. See e4c2(8).\n");
}

static int command_of(const char *word)
{
    if (!strcmp(word, "init"))
        return CFG_INIT;
    if (!strcmp(word, "run"))
        return CFG_RUN;
    if (!strcmp(word, "token"))
        return CFG_TOKEN;
    return 0;
}

/* --config is read first so that the environment and flags override it. */
static int load_config_file(c2_config *cfg, int argc, char **argv)
{
    char err[512];
    int i;
    for (i = 1; i < argc; i++) {
        const char *path = NULL;
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            path = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9))
            path = argv[i] + 9;
        if (path && config_load_file(cfg, path, err, sizeof err) != 0) {
            fprintf(stderr, "e4c2: %s\n", err);
            return 2;
        }
    }
    return 0;
}

static int parse(c2_config *cfg, int command, int argc, char **argv, int *first)
{
    int rc = load_config_file(cfg, argc, argv);
    if (rc)
        return rc;
    config_load_env(cfg);
    rc = config_parse_flags(cfg, command, argc, argv, first);
    if (rc == 'h') {
        printf("usage: e4c2 %s [OPTIONS]%s\n\noptions:\n", argv[0],
               command == CFG_TOKEN ? " create NAME [--read-only] | list [--json] | revoke NAME"
                                    : "");
        config_print_help(command);
        return -1;
    }
    if (rc == 'V') {
        printf("e4c2 %s\n", E4_VERSION_STRING);
        return -1;
    }
    if (rc)
        fprintf(stderr, "e4c2 %s: see `e4c2 %s --help`\n", argv[0], argv[0]);
    return rc;
}

static int run_command(c2_config *cfg, int command, int argc, char **argv, int first)
{
    if (cfg->log_level && log_set_level(cfg->log_level) != 0) {
        fprintf(stderr, "e4c2: --log-level must be debug, info, warn or error\n");
        return 2;
    }
    if (command == CFG_INIT)
        return cmd_init(cfg);
    if (command == CFG_RUN)
        return cmd_run(cfg);
    return cmd_token(cfg, argc - first, argv + first);
}

int main(int argc, char **argv)
{
    c2_config cfg = {0};
    int command, first = 1, rc;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("e4c2 %s\n", E4_VERSION_STRING);
        return 0;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "e4c2: libsodium cannot start\n");
        return 1;
    }
    umask(077);              /* the SQLite file and its journal: owner only */
    api_json_wipe_on_free(); /* before any thread: jansson wipes what it frees */
    if (!(command = command_of(argv[1]))) {
        fprintf(stderr, "e4c2: unknown command \"%s\"; see `e4c2 --help`\n", argv[1]);
        return 2;
    }
    rc = parse(&cfg, command, argc - 1, argv + 1, &first);
    if (rc == 0)
        rc = run_command(&cfg, command, argc - 1, argv + 1, first);
    config_free(&cfg);
    return rc < 0 ? 0 : rc;
}
