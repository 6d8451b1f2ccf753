/* e4 keygen: random keys, or keys derived from a password as the reference. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
    printf("Usage: e4 keygen [--type sym|ed25519|x25519] [--name NAME]\n"
           "                 [--password PW | --password-file FILE] [--json]\n"
           "Generate random keys, or derive them from a password exactly as the E4\n"
           "reference (e4go) does.\n"
           "\n"
           "  -t, --type TYPE           sym (default): a 32-byte symmetric key;\n"
           "                            ed25519: a signing key pair (private key is\n"
           "                            seed||public, 64 bytes); x25519: a key pair\n"
           "                            (C2's key in public-key mode)\n"
           "  -n, --name NAME           also print the client id of NAME\n"
           "  -p, --password PW         derive instead of drawing at random\n"
           "                            (Argon2i, as e4go; sym and ed25519 only;\n"
           "                            at least 16 bytes)\n"
           "      --password-file FILE  read the password from the first line of FILE\n"
           "                            ('-' for stdin)\n"
           "  -j, --json                print one JSON object\n"
           "  -h, --help                show this help and exit\n"
           "  -V, --version             show the version and exit\n"
           "\n"
           "Output (text): lines 'id: HEX', 'key: HEX' (sym), 'private: HEX' and\n"
           "'public: HEX' (ed25519, x25519). Keys are secrets: keep the output safe.\n");
}

enum key_type { KT_SYM, KT_ED25519, KT_X25519 };

static void print_field(int json, int *first, const char *name, const uint8_t *v, size_t len)
{
    char hex[2 * E4_ED25519_SK_LEN + 1];
    hex_encode(hex, v, len);
    if (json) {
        printf("%s\"%s\":\"%s\"", *first ? "" : ",", name, hex);
        *first = 0;
    } else {
        printf("%s: %s\n", name, hex);
    }
}

int cmd_keygen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"type", required_argument, NULL, 't'},     {"name", required_argument, NULL, 'n'},
        {"password", required_argument, NULL, 'p'}, {"password-file", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},           {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},        {NULL, 0, NULL, 0},
    };
    enum key_type type = KT_SYM;
    const char *name = NULL, *password_arg = NULL, *password_file = NULL;
    char *password = NULL;
    int json = 0, c, first = 1, rc = 0;
    uint8_t id[E4_ID_LEN], sk[E4_ED25519_SK_LEN], pk[E4_ED25519_PK_LEN];
    const char *type_name = "sym";
    e4_err err = E4_OK;

    while ((c = getopt_long(argc, argv, "t:n:p:jhV", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!strcmp(optarg, "sym") || !strcmp(optarg, "symmetric"))
                type = KT_SYM;
            else if (!strcmp(optarg, "ed25519"))
                type = KT_ED25519;
            else if (!strcmp(optarg, "x25519") || !strcmp(optarg, "curve25519"))
                type = KT_X25519;
            else
                return cli_usage_error("--type: expected sym, ed25519 or x25519, got '%s'", optarg);
            break;
        case 'n': name = optarg; break;
        case 'p': password_arg = optarg; break;
        case 'P': password_file = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(); return 0;
        case 'V': return cli_version();
        default: return cli_try_help();
        }
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (password_arg && password_file)
        return cli_usage_error("--password and --password-file are exclusive");
    if ((password_arg || password_file) && type == KT_X25519)
        return cli_usage_error("--password works with --type sym or ed25519 (the reference "
                               "derives no X25519 key from a password)");
    if (name) {
        err = cli_hash_name(id, name);
        if (err != E4_OK) {
            cli_error("--name: %s", e4_strerror(err));
            return 1;
        }
    }
    if (password_file) {
        password = arg_read_password_file(password_file);
        if (!password)
            return 1;
    } else if (password_arg) {
        password = strdup(password_arg);
        if (!password) {
            cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
            return 1;
        }
    }

    switch (type) {
    case KT_SYM:
        type_name = "sym";
        if (password)
            err = e4_derive_key(sk, password);
        else
            e4_random_key(sk);
        break;
    case KT_ED25519:
        type_name = "ed25519";
        err = password ? e4_derive_ed25519(sk, pk, password) : e4_ed25519_keypair(sk, pk);
        break;
    case KT_X25519:
        type_name = "x25519";
        err = e4_x25519_keypair(sk, pk);
        break;
    }
    if (password) {
        e4_wipe(password, strlen(password));
        free(password);
    }
    if (err != E4_OK) {
        cli_error("%s", e4_strerror(err));
        rc = 1;
        goto out;
    }

    if (json)
        printf("{\"type\":\"%s\",", type_name);
    if (name) {
        print_field(json, &first, "id", id, sizeof id);
        if (json) {
            printf(",\"name\":");
            escape_json(stdout, (const uint8_t *)name, strlen(name));
        }
    }
    switch (type) {
    case KT_SYM: print_field(json, &first, "key", sk, E4_KEY_LEN); break;
    case KT_ED25519:
        print_field(json, &first, "private", sk, E4_ED25519_SK_LEN);
        print_field(json, &first, "public", pk, E4_ED25519_PK_LEN);
        break;
    case KT_X25519:
        print_field(json, &first, "private", sk, E4_X25519_LEN);
        print_field(json, &first, "public", pk, E4_X25519_LEN);
        break;
    }
    if (json)
        printf("}\n");
    if (fflush(stdout) != 0) {
        cli_error("cannot write the output");
        rc = 1;
    }
out:
    e4_wipe(sk, sizeof sk);
    return rc;
}
