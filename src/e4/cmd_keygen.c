/* e4 keygen: random keys of every kind the suites use, or keys derived from
 * a password as the reference. Parse, validate, run. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
    printf("Usage: e4 keygen [--type TYPE | --suite SUITE [--c2]] [--name NAME]\n"
           "                 [--password PW | --password-file FILE] [--json]\n"
           "Generate random keys, or derive them from a password exactly as the E4\n"
           "reference (e4go) does.\n"
           "\n"
           "  -t, --type TYPE           one key (pair):\n"
           "                            sym (default): a 32-byte symmetric key;\n"
           "                            ed25519: a signing key pair (private key is\n"
           "                            seed||public, 64 bytes); x25519: a key pair\n"
           "                            (C2's key in public-key mode);\n"
           "                            fips-sign, fips-agree: a P-256 key pair for\n"
           "                            ECDSA or ECDH (private 32, public 33 bytes);\n"
           "                            mldsa65: an ML-DSA-65 key pair (private: the\n"
           "                            32-byte seed, public 1,952 bytes);\n"
           "                            xwing: an X-Wing key pair (private: the 32-byte\n"
           "                            seed, public 1,216 bytes)\n"
           "  -s, --suite SUITE         the full key set of a device in SUITE:\n"
           "                            fips-sk: key; fips-pk: sign_ and agree_\n"
           "                            private/public; pq-pk: ed25519_, mldsa65_ and\n"
           "                            xwing_ private/public; fips-pk and pq-pk also\n"
           "                            sign_key_set (the device's --sign-key) and\n"
           "                            pubkey_set (its key for peers' --pubkey ID:HEX\n"
           "                            and set-pubkey)\n"
           "      --c2                  with --suite fips-pk or pq-pk: C2's key set\n"
           "                            instead: fips-pk agree_, pq-pk ed25519_ and\n"
           "                            mldsa65_ private/public, and c2_pubkey_set\n"
           "                            (the devices' --c2-pubkey)\n"
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
           "Suites (bytes a message adds to its payload):\n");
    cli_print_suites(stdout, "  ");
    printf("\n"
           "Output (text): lines 'id: HEX', 'key: HEX' (sym), 'private: HEX' and\n"
           "'public: HEX' (key pairs; prefixed as above with --suite). Keys are\n"
           "secrets: keep the output safe.\n");
}

/* ---- the kinds of key: THE list ---- */

#define SECRET_MAX E4_ED25519_SK_LEN
#define PUBLIC_MAX E4_MLDSA65_PK_LEN
/* A set's keys side by side (pq-pk's). */
#define SECRET_SET_MAX (E4_ED25519_SK_LEN + E4_MLDSA65_SEED_LEN + E4_XWING_SEED_LEN)
#define PUBLIC_SET_MAX (E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN)

static e4_err gen_sym(uint8_t *sk, uint8_t *pk)
{
    (void)pk;
    e4_random_key(sk);
    return E4_OK;
}
static e4_err gen_mldsa65(uint8_t *sk, uint8_t *pk)
{
    e4_random_key(sk); /* the seed: 32 bytes from the DRBG */
    return e4_mldsa65_public(pk, sk);
}
static e4_err gen_xwing(uint8_t *sk, uint8_t *pk)
{
    e4_random_key(sk);
    return e4_xwing_public(pk, sk);
}

struct key_kind {
    const char *name;
    size_t sk_len, pk_len;
    e4_err (*gen)(uint8_t *sk, uint8_t *pk);
};

static const struct key_kind kinds[] = {
    {"sym", E4_KEY_LEN, 0, gen_sym},
    {"ed25519", E4_ED25519_SK_LEN, E4_ED25519_PK_LEN, e4_ed25519_keypair},
    {"x25519", E4_X25519_LEN, E4_X25519_LEN, e4_x25519_keypair},
    {"fips-sign", E4_P256_SK_LEN, E4_P256_PK_LEN, e4_p256_keypair},
    {"fips-agree", E4_P256_SK_LEN, E4_P256_PK_LEN, e4_p256_keypair},
    {"mldsa65", E4_MLDSA65_SEED_LEN, E4_MLDSA65_PK_LEN, gen_mldsa65},
    {"xwing", E4_XWING_SEED_LEN, E4_XWING_PK_LEN, gen_xwing},
};
enum { K_SYM, K_ED25519, K_X25519, K_FIPS_SIGN, K_FIPS_AGREE, K_MLDSA65, K_XWING, NKINDS };

/* A suite's key set, a device's or C2's: each key's output prefix, kind
 * and whether its public key is in the public set; the fields that carry
 * the whole sets as the identity options take them (NULL: none). */
struct key_set {
    e4_suite suite;
    int c2;
    struct {
        const char *prefix;
        int kind, in_public_set;
    } keys[3];
    int nkeys;
    const char *secret_set, *public_set;
};

static const struct key_set sets[] = {
    {E4_SUITE_FIPS_SK, 0, {{"", K_SYM, 0}}, 1, NULL, NULL},
    {E4_SUITE_FIPS_PK,
     0,
     {{"sign_", K_FIPS_SIGN, 1}, {"agree_", K_FIPS_AGREE, 0}},
     2,
     "sign_key_set",
     "pubkey_set"},
    {E4_SUITE_PQ_PK,
     0,
     {{"ed25519_", K_ED25519, 1}, {"mldsa65_", K_MLDSA65, 1}, {"xwing_", K_XWING, 0}},
     3,
     "sign_key_set",
     "pubkey_set"},
    {E4_SUITE_FIPS_PK, 1, {{"agree_", K_FIPS_AGREE, 1}}, 1, NULL, "c2_pubkey_set"},
    {E4_SUITE_PQ_PK,
     1,
     {{"ed25519_", K_ED25519, 1}, {"mldsa65_", K_MLDSA65, 1}},
     2,
     NULL,
     "c2_pubkey_set"},
};

static int kind_by_name(const char *name)
{
    int i;
    if (!strcmp(name, "symmetric"))
        return K_SYM;
    if (!strcmp(name, "curve25519"))
        return K_X25519;
    for (i = 0; i < NKINDS; i++)
        if (!strcmp(name, kinds[i].name))
            return i;
    return -1;
}

/* ---- options ---- */

struct keygen_opts {
    int kind; /* --type, or -1 with --suite */
    const struct cli_suite *suite;
    const char *name, *password_arg, *password_file;
    int json, c2;
};

/* Returns 0 to go on, or 1 + exit status in *rc when done (help, errors). */
static int keygen_parse(int argc, char **argv, struct keygen_opts *o, int *rc)
{
    static const struct option opts[] = {
        {"type", required_argument, NULL, 't'},
        {"suite", required_argument, NULL, 's'},
        {"name", required_argument, NULL, 'n'},
        {"password", required_argument, NULL, 'p'},
        {"password-file", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},
        {"c2", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;

    *rc = 0;
    while ((c = getopt_long(argc, argv, "t:s:n:p:jhV", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            if ((o->kind = kind_by_name(optarg)) < 0)
                *rc = cli_usage_error("--type: expected sym, ed25519, x25519, fips-sign, "
                                      "fips-agree, mldsa65 or xwing, got '%.40s'",
                                      optarg);
            break;
        case 's': *rc = arg_suite("--suite", optarg, &o->suite); break;
        case 'n': o->name = optarg; break;
        case 'p': o->password_arg = optarg; break;
        case 'P': o->password_file = optarg; break;
        case 'j': o->json = 1; break;
        case 'C': o->c2 = 1; break;
        case 'h': usage(); return 1;
        case 'V': *rc = cli_version(); return 1;
        default: *rc = cli_try_help(); return 1;
        }
        if (*rc)
            break;
    }
    return cli_end_of_options(argc, argv, rc);
}

/* --c2 names C2's key set of a public-key suite. */
static int c2_validate(const struct keygen_opts *o)
{
    if (o->c2 &&
        (!o->suite || (o->suite->suite != E4_SUITE_FIPS_PK && o->suite->suite != E4_SUITE_PQ_PK)))
        return cli_usage_error("--c2 goes with --suite fips-pk or pq-pk (C2's public-key set)");
    return 0;
}

static int keygen_validate(struct keygen_opts *o, int type_given)
{
    int password = o->password_arg || o->password_file;
    if (o->suite && type_given)
        return cli_usage_error("--type and --suite are exclusive");
    if (c2_validate(o))
        return EXIT_USAGE;
    if (o->suite && o->suite->suite == E4_SUITE_BASE)
        return cli_usage_error("--suite base: use --type sym (SK) or --type ed25519 and "
                               "x25519 (PK)");
    if (o->password_arg && o->password_file)
        return cli_usage_error("--password and --password-file are exclusive");
    if (password && (o->suite || (o->kind != K_SYM && o->kind != K_ED25519)))
        return cli_usage_error("--password works with --type sym or ed25519 (the reference "
                               "derives no other key from a password)");
    return 0;
}

/* ---- run ---- */

static void print_field(int json, int *first, const char *prefix, const char *name,
                        const uint8_t *v, size_t len)
{
    static char hex[2 * PUBLIC_SET_MAX + 1];
    hex_encode(hex, v, len);
    if (json) {
        printf("%s\"%s%s\":\"%s\"", *first ? "" : ",", prefix, name, hex);
        *first = 0;
    } else {
        printf("%s%s: %s\n", prefix, name, hex);
    }
    e4_wipe(hex, 2 * len);
}

/* The keys of a set side by side, as the identity options take them. */
struct set_bytes {
    uint8_t secret[SECRET_SET_MAX], public[PUBLIC_SET_MAX];
    size_t secret_len, public_len;
};

/* One key of kind k (derived from password when given), printed; appended
 * to acc when given (its public key only when in_public_set). */
static e4_err emit_key(int k, const char *prefix, const char *password, int json, int *first,
                       struct set_bytes *acc, int in_public_set)
{
    uint8_t sk[SECRET_MAX], pk[PUBLIC_MAX];
    e4_err err;

    if (password)
        err = k == K_SYM ? e4_derive_key(sk, password) : e4_derive_ed25519(sk, pk, password);
    else
        err = kinds[k].gen(sk, pk);
    if (err == E4_OK && kinds[k].pk_len == 0) {
        print_field(json, first, prefix, "key", sk, kinds[k].sk_len);
    } else if (err == E4_OK) {
        print_field(json, first, prefix, "private", sk, kinds[k].sk_len);
        print_field(json, first, prefix, "public", pk, kinds[k].pk_len);
    }
    if (err == E4_OK && acc) {
        memcpy(acc->secret + acc->secret_len, sk, kinds[k].sk_len);
        acc->secret_len += kinds[k].sk_len;
        if (in_public_set) {
            memcpy(acc->public + acc->public_len, pk, kinds[k].pk_len);
            acc->public_len += kinds[k].pk_len;
        }
    }
    e4_wipe(sk, sizeof sk);
    return err;
}

static const struct key_set *set_of(e4_suite suite, int c2)
{
    size_t i;
    for (i = 0; i < sizeof sets / sizeof sets[0]; i++)
        if (sets[i].suite == suite && sets[i].c2 == c2)
            return &sets[i];
    return NULL;
}

static e4_err emit_keys(const struct keygen_opts *o, const char *password, int *first)
{
    const struct key_set *set;
    struct set_bytes acc;
    e4_err err = E4_OK;
    int i;

    if (!o->suite)
        return emit_key(o->kind, "", password, o->json, first, NULL, 0);
    set = set_of(o->suite->suite, o->c2);
    acc.secret_len = acc.public_len = 0;
    for (i = 0; set && i < set->nkeys && err == E4_OK; i++)
        err = emit_key(set->keys[i].kind, set->keys[i].prefix, NULL, o->json, first, &acc,
                       set->keys[i].in_public_set);
    if (err == E4_OK && set && set->secret_set)
        print_field(o->json, first, "", set->secret_set, acc.secret, acc.secret_len);
    if (err == E4_OK && set && set->public_set)
        print_field(o->json, first, "", set->public_set, acc.public, acc.public_len);
    e4_wipe(acc.secret, sizeof acc.secret);
    return err;
}

static void emit_header(const struct keygen_opts *o, const uint8_t id[E4_ID_LEN], int *first)
{
    if (o->json) {
        if (o->suite)
            printf("{\"suite\":\"%s\",%s", o->suite->name, o->c2 ? "\"c2\":true," : "");
        else
            printf("{\"type\":\"%s\",", kinds[o->kind].name);
    }
    if (!o->name)
        return;
    print_field(o->json, first, "", "id", id, E4_ID_LEN);
    if (o->json) {
        printf(",\"name\":");
        escape_json(stdout, (const uint8_t *)o->name, strlen(o->name));
    }
}

static int read_password(const struct keygen_opts *o, char **password)
{
    *password = NULL;
    if (o->password_file) {
        *password = arg_read_password_file(o->password_file);
        return *password ? 0 : 1;
    }
    if (o->password_arg && !(*password = strdup(o->password_arg))) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    return 0;
}

static int keygen_run(const struct keygen_opts *o)
{
    uint8_t id[E4_ID_LEN];
    char *password;
    int first = 1, rc;
    e4_err err;

    if (o->name && (err = cli_hash_name(id, o->name)) != E4_OK) {
        cli_error("--name: %s", e4_strerror(err));
        return 1;
    }
    if ((rc = read_password(o, &password)))
        return rc;
    if (password && (err = e4_validate_password(password)) != E4_OK) {
        e4_wipe(password, strlen(password));
        free(password);
        cli_error("%s", e4_strerror(err));
        return 1;
    }
    emit_header(o, id, &first);
    err = emit_keys(o, password, &first);
    if (password) {
        e4_wipe(password, strlen(password));
        free(password);
    }
    if (err != E4_OK) {
        fflush(stdout);
        cli_error("%s", e4_strerror(err));
        return 1;
    }
    if (o->json)
        printf("}\n");
    if (fflush(stdout) != 0) {
        cli_error("cannot write the output");
        return 1;
    }
    return 0;
}

int cmd_keygen(int argc, char **argv)
{
    struct keygen_opts o = {K_SYM, NULL, NULL, NULL, NULL, 0, 0};
    int rc, type_given;

    cli_protect_secrets();
    o.kind = -2;
    if (keygen_parse(argc, argv, &o, &rc))
        return rc;
    type_given = o.kind != -2;
    if (!type_given)
        o.kind = K_SYM;
    rc = keygen_validate(&o, type_given);
    return rc ? rc : keygen_run(&o);
}
