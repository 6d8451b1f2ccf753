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
          "      --sign-key HEX        public-key mode: Ed25519 private key (64 bytes)\n"
          "      --sign-key-file FILE  the same, first line of FILE (or E4_SIGN_KEY)\n"
          "      --c2-pubkey HEX       public-key mode: C2's X25519 public key; giving\n"
          "                            it (or --sign-key) selects public-key mode\n"
          "      --suite SUITE         cipher suite of a new client: base (default) or\n"
          "                            fips-sk (symmetric-key: AES-256-GCM messages and\n"
          "                            commands, overhead 38); fips-pk and pq-pk are\n"
          "                            not in the client yet (use e4 protect/unprotect)\n"
          "      --state FILE          keep the state in FILE: opened when it exists\n"
          "                            (identity options are then ignored), otherwise\n"
          "                            created from the identity options; every\n"
          "                            change is saved at once\n"
          "      --topic-key TOPIC:HEX set a topic key locally (repeatable)\n"
          "      --topic-key-file TOPIC:FILE  the same, the key read from FILE\n"
          "      --pubkey ID:HEX       public-key mode: store a signer's Ed25519\n"
          "                            public key (repeatable)\n"
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

void identity_free(struct identity_opts *o)
{
    e4_wipe(o->key, sizeof o->key);
    e4_wipe(o->sign_key, sizeof o->sign_key);
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
    case IDO_C2_PUBKEY:
        o->have_c2_pk = 1;
        return arg_hex("--c2-pubkey", arg, o->c2_pk, E4_X25519_LEN);
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

/* The secrets' other routes: files and the environment. The environment
 * is used only when no option gives the client's key: E4_SIGN_KEY in
 * public-key mode (--c2-pubkey), E4_KEY otherwise, then E4_PASSWORD. */
static void choose_env(struct identity_opts *o)
{
    o->key_src.env = o->have_c2_pk ? NULL : "E4_KEY";
    o->sign_key_src.env = o->have_c2_pk ? "E4_SIGN_KEY" : NULL;
    if (o->password_arg || o->password_file || o->key_src.value || o->key_src.file ||
        o->sign_key_src.value || o->sign_key_src.file)
        o->key_src.env = o->sign_key_src.env = NULL;
}

int identity_resolve_secrets(struct identity_opts *o)
{
    int rc;
    const char *pw = getenv("E4_PASSWORD");

    choose_env(o);
    if ((rc = arg_secret_key("--key", &o->key_src, o->key, E4_KEY_LEN, &o->have_key)) ||
        (rc = arg_secret_key("--sign-key", &o->sign_key_src, o->sign_key, E4_ED25519_SK_LEN,
                             &o->have_sign_key)))
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

/* The identity options are consistent: 0 or EXIT_USAGE (reported). */
static int check_identity(struct identity_opts *o, int pk)
{
    int have_password = o->password_arg || o->password_file, rc;

    if ((rc = check_id(o)))
        return rc;
    if (pk && o->have_key)
        return cli_usage_error("--key is the symmetric-key mode; public-key mode takes "
                               "--sign-key (or --password) and --c2-pubkey");
    if (pk && !o->have_c2_pk)
        return cli_usage_error("public-key mode needs --c2-pubkey");
    if (o->suite && o->suite->suite != E4_SUITE_BASE && (pk || o->suite->suite != E4_SUITE_FIPS_SK))
        return cli_usage_error("--suite %s: the client runs base and fips-sk (symmetric-key) "
                               "states; fips-pk and pq-pk are not in the e4 client yet",
                               o->suite->name);
    if (have_password && (o->have_key || o->have_sign_key))
        return cli_usage_error("--password replaces --key / --sign-key; give only one");
    if (!have_password && !o->have_key && !o->have_sign_key)
        return cli_usage_error("give the client's key: --key, --sign-key or --password");
    return 0;
}

static int create_client(struct identity_opts *o, const e4_client_options *eo, e4_client **out)
{
    int pk = o->have_sign_key || o->have_c2_pk, rc;
    char *password = NULL;
    e4_err err = E4_OK;

    if ((rc = check_identity(o, pk)) || (rc = read_password(o, &password)))
        return rc;
    if (password) {
        uint8_t pub[E4_ED25519_PK_LEN];
        err = pk ? e4_derive_ed25519(o->sign_key, pub, password) : e4_derive_key(o->key, password);
        e4_wipe(password, strlen(password));
        free(password);
        if (err != E4_OK) {
            cli_error("cannot derive the key from the password: %s", e4_strerror(err));
            return 1;
        }
    }
    if (pk)
        err = e4_client_new_pk(out, o->id, o->sign_key, o->c2_pk, eo);
    else if (o->suite && o->suite->suite == E4_SUITE_FIPS_SK)
        err = e4_client_new_fips_sk(out, o->id, o->key, eo);
    else
        err = e4_client_new_sk(out, o->id, o->key, eo);
    if (err != E4_OK) {
        cli_error("cannot create the client%s%s: %s", eo->state_path ? " state " : "",
                  eo->state_path ? eo->state_path : "", e4_strerror(err));
        return 1;
    }
    return 0;
}

static int open_client(struct identity_opts *o, e4_client **out)
{
    e4_client_options eo;
    e4_err err;
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
        if (o->have_id || o->name || o->have_key || o->have_sign_key || o->have_c2_pk ||
            o->password_arg || o->password_file || o->suite)
            fprintf(stderr, "%s: %s exists: using the saved client, identity options ignored\n",
                    cli_prog, o->state);
        err = e4_client_open(out, &eo);
        if (err != E4_OK) {
            cli_error("cannot open the client state %s: %s", o->state, e4_strerror(err));
            return 1;
        }
        return 0;
    }
    rc = create_client(o, &eo, out);
    e4_wipe(o->key, sizeof o->key);
    e4_wipe(o->sign_key, sizeof o->sign_key);
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

/* One --pubkey ID:HEX. */
static int provision_pubkey(e4_client *c, const char *spec)
{
    char *left;
    const char *hex;
    uint8_t id[E4_ID_LEN], pk[E4_ED25519_PK_LEN];
    e4_err err;
    int rc;

    if (arg_split_last_colon(spec, &left, &hex) != 0)
        return cli_usage_error("--pubkey: expected ID:HEX, got '%s'", spec);
    rc = arg_id("--pubkey", left, id);
    free(left);
    if (rc || (rc = arg_hex("--pubkey", hex, pk, sizeof pk)))
        return rc;
    err = e4_client_set_pubkey(c, id, pk);
    if (err != E4_OK) {
        cli_error("--pubkey %s: %s", spec, identity_strerror(err));
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
