/* e4 hash-topic TOPIC, e4 id NAME: the 16-byte hashes in hex. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

typedef e4_err (*hash_fn)(uint8_t out[16], const char *in);

static int run(int argc, char **argv, const char *what, hash_fn fn, void (*usage)(void))
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, i, rc = 0;

    while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
        switch (c) {
        case 'h': usage(); return 0;
        case 'V': return cli_version();
        default: return cli_try_help();
        }
    }
    if (optind >= argc)
        return cli_usage_error("missing %s", what);
    for (i = optind; i < argc; i++) {
        uint8_t h[16];
        e4_err err = fn(h, argv[i]);
        if (err != E4_OK) {
            cli_error("%s '%.60s%s': %s", what, argv[i], strlen(argv[i]) > 60 ? "..." : "",
                      e4_strerror(err));
            rc = 1;
            continue;
        }
        hex_print_line(stdout, h, sizeof h);
    }
    if (fflush(stdout) != 0) {
        cli_error("cannot write the output");
        rc = 1;
    }
    return rc;
}

static void usage_topic(void)
{
    printf("Usage: e4 hash-topic TOPIC...\n"
           "Print the topic hash of each TOPIC: SHA3-256(TOPIC)[0:16] in hex, the index\n"
           "under which clients store the topic's key. A topic is 1..512 bytes.\n"
           "\n"
           "  -h, --help     show this help and exit\n"
           "  -V, --version  show the version and exit\n");
}

static void usage_id(void)
{
    printf("Usage: e4 id NAME...\n"
           "Print the client id of each NAME: SHA3-256(NAME)[0:16] in hex, as e4go's\n"
           "HashIDAlias. A name is 1..255 bytes of UTF-8. The client's control topic\n"
           "is \"e4/\" followed by this id.\n"
           "\n"
           "  -h, --help     show this help and exit\n"
           "  -V, --version  show the version and exit\n");
}

int cmd_hash_topic(int argc, char **argv)
{
    return run(argc, argv, "topic", cli_hash_topic, usage_topic);
}

int cmd_id(int argc, char **argv)
{
    return run(argc, argv, "name", cli_hash_name, usage_id);
}
