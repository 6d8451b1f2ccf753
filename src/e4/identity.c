/* A device program's E4 identity from its options (identity.h). */
#include "identity.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void identity_usage(FILE *f)
{
    fputs("Identity (a new client, or --state FILE of a saved one):\n"
          "  -i, --id ID               client id: 32 hex digits (or a name, hashed)\n"
          "  -n, --name NAME           client name; the id is its hash\n"
          "  -k, --key HEX             symmetric-key mode: the client key (32 bytes);\n"
          "                            visible in ps: prefer --key-file or E4_KEY\n"
          "      --key-file FILE       the key (hex) is the first line of FILE ('-':\n"
          "                            stdin)\n"
          "  -p, --password PW         derive the key from a password, as e4go (the\n"
          "                            Ed25519 key in public-key mode)\n"
          "      --password-file FILE  the password is the first line of FILE (or\n"
          "                            E4_PASSWORD)\n"
          "      --sign-key HEX        public-key modes: the client's private keys, in\n"
          "                            SetIDKey's order: base Ed25519 (64 bytes);\n"
          "                            fips-pk sign_sk(32) || agree_sk(32); pq-pk\n"
          "                            ed25519_sk(64) || mldsa_seed(32) ||\n"
          "                            xwing_seed(32) (e4 keygen --suite S prints\n"
          "                            sign_key_set)\n"
          "      --sign-key-file FILE  the same, first line of FILE (or E4_SIGN_KEY)\n"
          "      --c2-pubkey HEX       public-key modes: C2's public keys, in SetC2Key's\n"
          "                            order: base X25519 (32); fips-pk P-256 agreement\n"
          "                            key (33, compressed); pq-pk c2_ed25519_pk(32) ||\n"
          "                            c2_mldsa_pk(1952); HEX may be @FILE. Giving it\n"
          "                            (or --sign-key) selects public-key mode\n"
          "      --c2-pubkey-file FILE the same, first line of FILE\n"
          "      --suite SUITE         cipher suite of a new client: base (default),\n"
          "                            fips-sk (--key), fips-pk or pq-pk (--sign-key\n"
          "                            and --c2-pubkey); a state file keeps its suite\n"
          "      --state FILE          keep the state in FILE: opened when it exists\n"
          "                            (identity options are then ignored; a --suite\n"
          "                            other than the state's is an error), otherwise\n"
          "                            created from the identity options; every\n"
          "                            change is saved at once\n"
          "      --topic-key TOPIC:HEX set a topic key locally (repeatable)\n"
          "      --topic-key-file TOPIC:FILE  the same, the key read from FILE\n"
          "      --pubkey ID:HEX       public-key modes: store a signer's public key in\n"
          "                            the suite's length: base Ed25519 (32), fips-pk\n"
          "                            P-256 (33), pq-pk Ed25519 || ML-DSA-65 (32 +\n"
          "                            1952); HEX may be @FILE (repeatable)\n"
          "      --clock-skew SEC      accept timestamps up to SEC s in the future\n"
          "      --control-topic TOPIC override the control topic (default e4/<id>)\n"
          "      --no-replay-check     accept replayed messages\n"
          "      --max-topics N        topic keys held at most (default 1024)\n"
          "      --max-pubkeys N       public keys held at most (default 256)\n",
          f);
}

int cli_push(char ***list, size_t *n, char *value)
{
    char **nl = realloc(*list, (*n + 1) * sizeof *nl);
    if (!nl) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    nl[(*n)++] = value;
    *list = nl;
    return 0;
}

static void wipe_keys(struct identity_opts *o)
{
    e4_wipe(o->key, sizeof o->key);
    e4_wipe(o->sign_key, sizeof o->sign_key);
}

void identity_free(struct identity_opts *o)
{
    wipe_keys(o);
    free(o->topic_keys);
    free(o->topic_key_is_file);
    free(o->pubkeys);
    o->topic_keys = o->pubkeys = NULL;
    o->topic_key_is_file = NULL;
    o->ntopic_keys = o->npubkeys = 0;
}

const char *identity_strerror(e4_err err)
{
    if (err == E4_ERR_TOPICS_FULL)
        return "topic key capacity reached (see --max-topics)";
    if (err == E4_ERR_PUBKEYS_FULL)
        return "public key capacity reached (see --max-pubkeys)";
    return e4_strerror(err);
}

/* --topic-key TOPIC:HEX or --topic-key-file TOPIC:FILE. */
static int push_topic_key(struct identity_opts *o, const char *value, int is_file)
{
    unsigned char *nf = realloc(o->topic_key_is_file, o->ntopic_keys + 1);
    if (!nf) {
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    o->topic_key_is_file = nf;
    nf[o->ntopic_keys] = (unsigned char)is_file;
    return cli_push(&o->topic_keys, &o->ntopic_keys, (char *)value);
}

/* A capacity option: 1 .. 2^31 - 1. */
static int arg_limit(const char *option, const char *value, uint32_t *out)
{
    int rc = arg_u32(option, value, INT32_MAX, out);
    if (rc == 0 && *out == 0)
        return cli_usage_error("%s: 0 (at least 1)", option);
    return rc;
}

int identity_opt(struct identity_opts *o, int c, const char *arg)
{
    switch (c) {
    case 'i': o->have_id = 1; return arg_id("--id", arg, o->id);
    case 'n': o->name = arg; return 0;
    case 'k': o->key_src.value = arg; return 0;
    case IDO_KEY_FILE: o->key_src.file = arg; return 0;
    case 'p': o->password_arg = arg; return 0;
    case IDO_PASSWORD_FILE: o->password_file = arg; return 0;
    case IDO_SIGN_KEY: o->sign_key_src.value = arg; return 0;
    case IDO_SIGN_KEY_FILE: o->sign_key_src.file = arg; return 0;
    case IDO_C2_PUBKEY: o->c2_pk_arg = arg; return 0;
    case IDO_C2_PUBKEY_FILE: o->c2_pk_file = arg; return 0;
    case IDO_STATE: o->state = arg; return 0;
    case IDO_SUITE: return arg_suite("--suite", arg, &o->suite);
    case IDO_TOPIC_KEY: return push_topic_key(o, arg, 0);
    case IDO_TOPIC_KEY_FILE: return push_topic_key(o, arg, 1);
    case IDO_PUBKEY: return cli_push(&o->pubkeys, &o->npubkeys, (char *)arg);
    case IDO_CLOCK_SKEW: return arg_u32("--clock-skew", arg, UINT32_MAX, &o->clock_skew);
    case IDO_CONTROL_TOPIC: o->control_topic = arg; return 0;
    case IDO_NO_REPLAY: o->no_replay = 1; return 0;
    case IDO_MAX_TOPICS: return arg_limit("--max-topics", arg, &o->max_topics);
    case IDO_MAX_PUBKEYS: return arg_limit("--max-pubkeys", arg, &o->max_pubkeys);
    default: return -1;
    }
}

static e4_suite suite_of(const struct identity_opts *o)
{
    return o->suite ? o->suite->suite : E4_SUITE_BASE;
}

/* The secrets' other routes: files and the environment. The environment
 * is used only when no option gives the client's key: E4_SIGN_KEY in
 * public-key mode (--c2-pubkey or a public-key suite), E4_KEY otherwise,
 * then E4_PASSWORD. */
static void choose_env(struct identity_opts *o)
{
    int pk = o->have_c2_pk || idkeys_is_pk_suite(suite_of(o));
    o->key_src.env = pk ? NULL : "E4_KEY";
    o->sign_key_src.env = pk ? "E4_SIGN_KEY" : NULL;
    if (o->password_arg || o->password_file || o->key_src.value || o->key_src.file ||
        o->sign_key_src.value || o->sign_key_src.file)
        o->key_src.env = o->sign_key_src.env = NULL;
}

/* Both public-key sets in the suite's lengths (fips-sk has none: base's
 * lengths then, refused later as the wrong mode). */
static int read_pk_sets(struct identity_opts *o)
{
    e4_suite suite = suite_of(o) == E4_SUITE_FIPS_SK ? E4_SUITE_BASE : suite_of(o);
    size_t sign_len = idkeys_sign_len(suite);
    int rc;

    if (o->c2_pk_arg && o->c2_pk_file)
        return cli_usage_error("--c2-pubkey and --c2-pubkey-file are exclusive");
    o->have_c2_pk = o->c2_pk_arg || o->c2_pk_file;
    if ((rc = idkeys_read("--c2-pubkey", o->c2_pk_arg, o->c2_pk_file, suite, 1, o->c2_pk)))
        return rc;
    rc = arg_secret_key("--sign-key", &o->sign_key_src, o->sign_key, sign_len, &o->have_sign_key);
    if (rc == 0 && o->have_sign_key)
        rc = idkeys_sign_check("--sign-key", suite, o->sign_key);
    return rc;
}

int identity_resolve_secrets(struct identity_opts *o)
{
    int rc;
    const char *pw = getenv("E4_PASSWORD");

    if (o->state && access(o->state, F_OK) == 0)
        return 0; /* the saved client is used: its keys are in the file */
    o->have_c2_pk = o->c2_pk_arg || o->c2_pk_file;
    choose_env(o);
    if ((rc = arg_secret_key("--key", &o->key_src, o->key, E4_KEY_LEN, &o->have_key)) ||
        (rc = read_pk_sets(o)))
        return rc;
    if (!o->have_key && !o->have_sign_key && !o->password_arg && !o->password_file && pw && *pw)
        o->password_arg = pw;
    return 0;
}

static int read_password(const struct identity_opts *o, char **password)
{
    *password = NULL;
    if (o->password_arg && o->password_file)
        return cli_usage_error("--password and --password-file are exclusive");
    if (o->password_file) {
        *password = arg_read_password_file(o->password_file);
        return *password ? 0 : 1;
    }
    if (o->password_arg) {
        *password = strdup(o->password_arg);
        if (!*password) {
            cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
            return 1;
        }
    }
    return 0;
}

/* --id or --name: 0, or an exit status (reported). */
static int check_id(struct identity_opts *o)
{
    e4_err err;
    if (o->have_id && o->name)
        return cli_usage_error("--id and --name are exclusive");
    if (!o->have_id && !o->name)
        return cli_usage_error("give the client's identity: --id or --name with --key, "
                               "--sign-key or --password (or --state FILE of a saved client)");
    if (o->name && (err = cli_hash_name(o->id, o->name)) != E4_OK) {
        cli_error("--name: %s", e4_strerror(err));
        return 1;
    }
    return 0;
}

/* The mode's keys and the suite agree: 0 or EXIT_USAGE (reported). */
static int check_mode(const struct identity_opts *o, int pk, int have_password)
{
    if (pk && o->have_key)
        return cli_usage_error("--key is the symmetric-key mode; public-key mode takes "
                               "--sign-key (or --password) and --c2-pubkey");
    if (pk && suite_of(o) == E4_SUITE_FIPS_SK)
        return cli_usage_error("--suite fips-sk is symmetric-key: give --key, not --sign-key "
                               "or --c2-pubkey");
    if (pk && !o->have_c2_pk)
        return cli_usage_error("public-key mode needs --c2-pubkey");
    if (have_password && idkeys_is_pk_suite(suite_of(o)))
        return cli_usage_error("--suite %s: --password derives only the base suite's keys (as "
                               "e4go); give --sign-key (e4 keygen --suite %s: sign_key_set)",
                               o->suite->name, o->suite->name);
    return 0;
}

/* The identity options are consistent: 0 or EXIT_USAGE (reported). */
static int check_identity(struct identity_opts *o, int pk)
{
    int have_password = o->password_arg || o->password_file, rc;

    if ((rc = check_id(o)) || (rc = check_mode(o, pk, have_password)))
        return rc;
    if (have_password && (o->have_key || o->have_sign_key))
        return cli_usage_error("--password replaces --key / --sign-key; give only one");
    if (!have_password && !o->have_key && !o->have_sign_key)
        return cli_usage_error("give the client's key: --key, --sign-key or --password");
    return 0;
}

/* --password: the base suite's key of the mode, derived as e4go does. */
static int derive_from_password(struct identity_opts *o, int pk)
{
    uint8_t pub[E4_ED25519_PK_LEN];
    char *password = NULL;
    e4_err err;
    int rc;

    if ((rc = read_password(o, &password)) || !password)
        return rc;
    err = pk ? e4_derive_ed25519(o->sign_key, pub, password) : e4_derive_key(o->key, password);
    e4_wipe(password, strlen(password));
    free(password);
    if (err != E4_OK) {
        cli_error("cannot derive the key from the password: %s", e4_strerror(err));
        return 1;
    }
    return 0;
}

static int create_client(struct identity_opts *o, const e4_client_options *eo, e4_client **out)
{
    int pk = o->have_sign_key || o->have_c2_pk || idkeys_is_pk_suite(suite_of(o)), rc;
    const char *why;
    e4_err err;

    if ((rc = check_identity(o, pk)) || (rc = derive_from_password(o, pk)))
        return rc;
    if (pk)
        err = idkeys_new_client(out, suite_of(o), o->id, o->sign_key, o->c2_pk, eo);
    else if (suite_of(o) == E4_SUITE_FIPS_SK)
        err = e4_client_new_fips_sk(out, o->id, o->key, eo);
    else
        err = e4_client_new_sk(out, o->id, o->key, eo);
    if (err != E4_OK) {
        why = pk ? idkeys_explain(err, suite_of(o), o->sign_key, o->c2_pk) : NULL;
        cli_error("cannot create the client%s%s: %s%s%s", eo->state_path ? " state " : "",
                  eo->state_path ? eo->state_path : "", e4_strerror(err), why ? ": " : "",
                  why ? why : "");
        return 1;
    }
    return 0;
}

/* A saved client: its suite is the file's; --suite may only repeat it. */
static int open_saved(struct identity_opts *o, const e4_client_options *eo, e4_client **out)
{
    e4_err err = e4_client_open(out, eo);
    if (err != E4_OK) {
        cli_error("cannot open the client state %s: %s", o->state, e4_strerror(err));
        return 1;
    }
    if (o->suite && o->suite->suite != e4_client_suite(*out)) {
        int rc =
            cli_usage_error("--suite %s: the state %s holds a %s client (a state keeps "
                            "its suite: drop --suite, or give a new --state file)",
                            o->suite->name, o->state, cli_suite_of(e4_client_suite(*out))->name);
        e4_client_free(*out);
        *out = NULL;
        return rc;
    }
    return 0;
}

/* Any option that would make a new client. */
static int gave_identity(const struct identity_opts *o)
{
    return o->have_id || o->name || o->key_src.value || o->key_src.file || o->sign_key_src.value ||
           o->sign_key_src.file || o->c2_pk_arg || o->c2_pk_file || o->password_arg ||
           o->password_file;
}

static int open_client(struct identity_opts *o, e4_client **out)
{
    e4_client_options eo;
    int rc;

    memset(&eo, 0, sizeof eo);
    eo.clock_skew = o->clock_skew;
    eo.max_topics = o->max_topics;
    eo.max_pubkeys = o->max_pubkeys;
    eo.state_path = o->state;
    eo.control_topic = o->control_topic;
    eo.replay_cache = o->replay_cache;
    if (o->no_replay)
        eo.replay_cache = E4_REPLAY_OFF;

    if (o->state && access(o->state, F_OK) == 0) {
        if (gave_identity(o))
            fprintf(stderr, "%s: %s exists: using the saved client, identity options ignored\n",
                    cli_prog, o->state);
        return open_saved(o, &eo, out);
    }
    rc = create_client(o, &eo, out);
    wipe_keys(o);
    return rc;
}

/* One --topic-key TOPIC:HEX (or --topic-key-file TOPIC:FILE). */
static int provision_topic_key(e4_client *c, const char *spec, int is_file,
                               void (*named)(void *ctx, const char *topic), void *ctx)
{
    const char *opt = is_file ? "--topic-key-file" : "--topic-key";
    char *topic, *text = NULL;
    const char *right;
    uint8_t key[E4_KEY_LEN];
    e4_err err;
    int rc;

    if (arg_split_last_colon(spec, &topic, &right) != 0)
        return cli_usage_error("%s: expected TOPIC:%s (no colon found)", opt,
                               is_file ? "FILE" : "HEX");
    rc = is_file ? arg_secret(NULL, right, NULL, &text) : 0;
    if (rc == 0)
        rc = arg_key(opt, text ? text : right, key, sizeof key);
    if (text) {
        e4_wipe(text, strlen(text));
        free(text);
    }
    if (rc) {
        free(topic);
        return rc;
    }
    err = e4_client_set_topic_key(c, topic, key);
    e4_wipe(key, sizeof key);
    if (err != E4_OK) {
        cli_error("%s %s: %s", opt, topic, identity_strerror(err));
        free(topic);
        return 1;
    }
    if (named)
        named(ctx, topic);
    free(topic);
    return 0;
}

/* One --pubkey ID:HEX (HEX may be @FILE), in the client's suite. */
static int provision_pubkey(e4_client *c, const char *spec)
{
    e4_suite suite = e4_client_suite(c);
    char *left, *text = NULL;
    const char *hex;
    uint8_t id[E4_ID_LEN], pk[E4_ED25519_PK_LEN + E4_MLDSA65_PK_LEN];
    e4_err err;
    int rc;

    if (arg_split_last_colon(spec, &left, &hex) != 0)
        return cli_usage_error("--pubkey: expected ID:HEX, got '%.80s'", spec);
    rc = arg_id("--pubkey", left, id);
    free(left);
    if (!rc && hex[0] == '@')
        rc = arg_secret(NULL, hex + 1, NULL, &text);
    if (!rc)
        rc = arg_hex("--pubkey", text ? text : hex, pk, idkeys_peer_len(suite));
    free(text);
    if (rc)
        return rc;
    err = e4_client_set_suite_pubkey(c, id, pk, idkeys_peer_len(suite));
    if (err != E4_OK) {
        cli_error("--pubkey %.40s: %s", spec, identity_strerror(err));
        return 1;
    }
    return 0;
}

int identity_open(struct identity_opts *o, e4_client **out,
                  void (*named)(void *ctx, const char *topic), void *ctx)
{
    size_t i;
    int rc;

    if ((rc = open_client(o, out)))
        return rc;
    for (i = 0; i < o->ntopic_keys; i++)
        if ((rc = provision_topic_key(*out, o->topic_keys[i], o->topic_key_is_file[i], named, ctx)))
            return rc;
    if (o->npubkeys && e4_client_mode(*out) != E4_MODE_PK)
        return cli_usage_error("--pubkey needs a public-key mode client");
    for (i = 0; i < o->npubkeys; i++)
        if ((rc = provision_pubkey(*out, o->pubkeys[i])))
            return rc;
    return 0;
}
