/* Printing answers for people: tables, field lists, short sentences. */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct column client_cols[] = {
    {"NAME", "name", C_STR, NULL},        {"ID", "id", C_STR, NULL},
    {"TOPICS", "topics", C_INT, NULL},    {"PENDING", "pending", C_INT, NULL},
    {"SYNC", "sync", C_STR, NULL},        {"LAST STATE", "state_at", C_TIME, NULL},
    {"CREATED", "created", C_TIME, NULL},
};
static const struct column topic_cols[] = {
    {"NAME", "name", C_STR, NULL},           {"VERSION", "version", C_INT, NULL},
    {"MEMBERS", "members", C_INT, NULL},     {"BEHIND", "behind", C_INT, NULL},
    {"ROTATED", "rotated_at", C_TIME, NULL}, {"HASH", "hash", C_STR, NULL},
};
/* ERROR: a refused command's reason (from the device), else the last send error. */
static const struct column command_cols[] = {
    {"SEQ", "seq", C_INT, NULL},
    {"COMMAND", "command", C_STR, NULL},
    {"TOPIC/SUBJECT", "topic", C_STR, "subject"},
    {"STATE", "state", C_STR, NULL},
    {"REPAIR", "repair", C_BOOL, NULL},
    {"ATTEMPTS", "attempts", C_INT, NULL},
    {"CREATED", "created", C_TIME, NULL},
    {"SENT", "sent_at", C_TIME, NULL},
    {"DONE", "done_at", C_TIME, NULL},
    {"ERROR", "refused", C_STR, "last_error"},
};
static const struct column client_fields[] = {
    {"name", "name", C_STR, NULL},
    {"id", "id", C_STR, NULL},
    {"created", "created", C_TIME, NULL},
    {"pubkey", "pubkey", C_STR, NULL},
    {"topics", "topics", C_INT, NULL},
    {"pending", "pending", C_INT, NULL},
    {"sync", "sync", C_STR, NULL},
    {"last state", "state_at", C_TIME, NULL},
    {"c2 key generation", "c2_key_generation", C_INT, NULL},
};
static const struct column topic_fields[] = {
    {"name", "name", C_STR, NULL},
    {"hash", "hash", C_STR, NULL},
    {"version", "version", C_INT, NULL},
    {"key id", "key_id", C_STR, NULL},
    {"created", "created", C_TIME, NULL},
    {"rotated", "rotated_at", C_TIME, NULL},
    {"members", "members", C_INT, NULL},
    {"behind", "behind", C_INT, NULL},
    {"not current", "not_current", C_INT, NULL},
};
/* Intervals are shown in seconds (C_INT), as the API gives them. */
static const struct column policy_cols[] = {
    {"KIND", "kind", C_STR, NULL},
    {"TARGET", "target", C_STR, NULL},
    {"EVERY(S)", "rotate_every", C_INT, "rekey_every"},
    {"MAX AGE(S)", "max_age", C_INT, NULL},
    {"ON JOIN", "on_join", C_BOOL, NULL},
    {"ON LEAVE", "on_leave", C_BOOL, NULL},
    {"NEXT DUE", "next_due", C_TIME, NULL},
    {"LAST RUN", "last_run", C_TIME, NULL},
    {"FAILURES", "failures", C_INT, NULL},
    {"LAST ERROR", "last_error", C_STR, NULL},
};
static const struct column policy_fields[] = {
    {"kind", "kind", C_STR, NULL},
    {"target", "target", C_STR, NULL},
    {"rotate every (s)", "rotate_every", C_INT, NULL},
    {"max age (s)", "max_age", C_INT, NULL},
    {"on join", "on_join", C_BOOL, NULL},
    {"on leave", "on_leave", C_BOOL, NULL},
    {"rekey every (s)", "rekey_every", C_INT, NULL},
    {"next due", "next_due", C_TIME, NULL},
    {"last run", "last_run", C_TIME, NULL},
    {"failures", "failures", C_INT, NULL},
    {"last error", "last_error", C_STR, NULL},
};
/* monitoring: the counts are flattened into each row (flatten_counts) */
static const struct column monitoring_cols[] = {
    {"TOPIC", "topic", C_STR, NULL},
    {"RATE/S", "rate", C_JSON, NULL},
    {"VALID", "valid", C_INT, NULL},
    {"UNPROTECTED", "unprotected", C_INT, NULL},
    {"NOT AUTHENTIC", "not_authentic", C_INT, NULL},
    {"REPLAYED", "replayed", C_INT, NULL},
    {"TOO OLD", "too_old", C_INT, NULL},
    {"IN FUTURE", "in_future", C_INT, NULL},
    {"UNKNOWN SIGNER", "unknown_signer", C_INT, NULL},
};
static const struct column straggler_cols[] = {
    {"NAME", "name", C_STR, NULL},
    {"ID", "id", C_STR, NULL},
};

int render_is_page(enum ctl_render r)
{
    return r == R_CLIENTS || r == R_TOPICS || r == R_COMMANDS || r == R_EVENTS || r == R_POLICIES ||
           r == R_MONITORING;
}

static long long int_of(const json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* The command's sentence: {1}, {2} are its arguments, {n} the count after the first. */
static void sentence(const struct ctl_request *req)
{
    const char *p = req->cmd->done;
    while (*p) {
        size_t n = strcspn(p, "{");
        fwrite(p, 1, n, stdout);
        p += n;
        if (!strncmp(p, "{n}", 3)) {
            printf("%zu", req->nargs > 0 ? req->nargs - 1 : 0);
            p += 3;
        } else if (p[0] == '{' && p[1] >= '1' && p[1] <= '9' && p[2] == '}') {
            size_t i = (size_t)(p[1] - '1');
            ctl_put_safe(stdout, i < req->nargs ? req->args[i] : "?");
            p += 3;
        } else if (*p) {
            putchar(*p++);
        }
    }
}

static const char *str_of(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "?";
}

static void client_added(const json_t *doc)
{
    const json_t *key = json_object_get(doc, "key");
    printf("added client ");
    ctl_put_safe(stdout, str_of(doc, "name"));
    printf("\nid:  ");
    ctl_put_safe(stdout, str_of(doc, "id"));
    putchar('\n');
    if (json_is_string(key)) {
        printf("key: ");
        ctl_put_safe(stdout, json_string_value(key));
        putchar('\n');
        ctl_error("warning: the key above is shown only this once: store it now");
    }
}

static void status(const json_t *doc)
{
    static const char *const counts[] = {"clients", "topics", "memberships"};
    const json_t *outbox = json_object_get(doc, "outbox");
    const json_t *c2 = json_object_get(doc, "c2_key");
    const json_t *sync = json_object_get(doc, "sync");
    size_t i;

    printf("%-15s", "mode:");
    ctl_put_safe(stdout, str_of(doc, "mode"));
    putchar('\n');
    for (i = 0; i < N(counts); i++) {
        char label[24];
        snprintf(label, sizeof label, "%s:", counts[i]);
        printf("%-15s%lld\n", label, int_of(doc, counts[i]));
    }
    if (json_is_object(outbox))
        printf("%-15s%lld pending, oldest %lld s\n", "outbox:", int_of(outbox, "pending"),
               int_of(outbox, "oldest_age"));
    printf("%-15s%lld\n", "commands sent:", int_of(doc, "commands_sent"));
    if (json_is_object(c2))
        printf("%-15sgeneration %lld%s, %lld clients not confirmed\n",
               "c2 key:", int_of(c2, "generation"),
               json_is_true(json_object_get(c2, "rotating")) ? ", rotating" : "",
               int_of(c2, "unconfirmed"));
    if (json_is_object(sync))
        printf("%-15s%lld in sync, %lld repairing, %lld stale, %lld unknown\n",
               "sync:", int_of(sync, "in_sync"), int_of(sync, "repairing"), int_of(sync, "stale"),
               int_of(sync, "unknown"));
}

/* c2 rotate-key --finish: the counts, then the stragglers by name. */
static void rotation_finished(const json_t *doc)
{
    const json_t *list = json_object_get(doc, "stragglers");
    long long unconfirmed = int_of(doc, "unconfirmed");
    struct table t;

    if (!json_object_get(doc, "unsent")) { /* an e4c2 without receipts */
        printf("finished the rotation of C2's key; %lld client(s) had not been sent the new key\n",
               unconfirmed);
        return;
    }
    printf("finished the rotation of C2's key: the old key is erased\n");
    printf("%-13s%lld client(s) whose set_c2_key was still queued\n",
           "unsent:", int_of(doc, "unsent"));
    printf("%-13s%lld client(s) never reported holding the new key\n", "unconfirmed:", unconfirmed);
    if (json_array_size(list) == 0)
        return;
    printf("stragglers:\n");
    table_init(&t, straggler_cols, N(straggler_cols));
    table_page(&t, list);
    if ((long long)json_array_size(list) < unconfirmed)
        printf("(the first %zu of %lld)\n", json_array_size(list), unconfirmed);
}

static void c2key(const struct ctl_request *req, const json_t *doc)
{
    const json_t *pk = json_object_get(doc, "pubkey");
    if (json_object_get(doc, "unconfirmed")) {
        rotation_finished(doc);
        return;
    }
    printf("pubkey:      ");
    ctl_put_safe(stdout, json_is_string(pk) ? json_string_value(pk) : "-");
    printf("\ngeneration:  %lld\n", int_of(doc, "generation"));
    if (!strcmp(req->cmd->name, "rotate-key"))
        printf("new C2 key: clients are being sent it; once they have, run "
               "'e4ctl c2 rotate-key --finish'\n");
}

/* The items with each "counts" object's members copied up (a new array). */
static json_t *flatten_counts(const json_t *items)
{
    json_t *out = json_array(), *item;
    size_t i;
    json_array_foreach((json_t *)items, i, item)
    {
        json_t *row = json_deep_copy(item);
        if (row)
            json_object_update(row, json_object_get(item, "counts"));
        json_array_append_new(out, row);
    }
    return out;
}

/* topic traffic: the counts, rate, skew, last offender and a note on history. */
static void traffic(const json_t *doc)
{
    const json_t *counts = json_object_get(doc, "counts"),
                 *off = json_object_get(doc, "last_offender");
    const json_t *buckets = json_object_get(json_object_get(doc, "skew"), "buckets"), *b, *v;
    const char *key;
    char when[32] = "-";
    size_t i;
    printf("%-16s%s\n", "monitored:", json_is_true(json_object_get(doc, "enabled")) ? "yes" : "no");
    if (json_is_integer(json_object_get(doc, "since")))
        format_time(when, sizeof when, int_of(doc, "since"));
    printf("%-16s%s\n", "since:", when);
    printf("%-16s%.2f messages/s\n", "rate:", json_number_value(json_object_get(doc, "rate")));
    json_object_foreach((json_t *)counts, key, v)
    {
        char label[32];
        snprintf(label, sizeof label, "%s:", key);
        printf("%-16s%lld\n", label, (long long)json_integer_value(v));
    }
    printf("%-16s", "clock skew:");
    json_array_foreach((json_t *)buckets, i, b)
    {
        const json_t *le = json_object_get(b, "le");
        if (json_is_integer(le))
            printf("<=%llds:%lld ", (long long)json_integer_value(le), int_of(b, "count"));
        else
            printf(">:%lld", int_of(b, "count"));
    }
    putchar('\n');
    if (json_is_object(off)) {
        format_time(when, sizeof when, int_of(off, "at"));
        printf("%-16s%s at %s\n", "last offender:", str_of(off, "kind"), when);
    }
}

void render_answer(const struct ctl_request *req, const json_t *doc)
{
    switch (req->cmd->render) {
    case R_DONE:
        sentence(req);
        putchar('\n');
        break;
    case R_TOPIC_DONE:
        sentence(req);
        printf(" (version %lld, %lld member(s))\n", int_of(doc, "version"), int_of(doc, "members"));
        break;
    case R_CLIENT_ADDED: client_added(doc); break;
    case R_CLIENT: print_fields(doc, client_fields, N(client_fields)); break;
    case R_TOPIC: print_fields(doc, topic_fields, N(topic_fields)); break;
    case R_STATUS: status(doc); break;
    case R_IMPORTED: printf("imported %lld client(s)\n", int_of(doc, "imported")); break;
    case R_C2KEY: c2key(req, doc); break;
    case R_POLICY: print_fields(doc, policy_fields, N(policy_fields)); break;
    case R_TRAFFIC: traffic(doc); break;
    default: break; /* pages: page_* */
    }
}

void render_behind(const json_t *page)
{
    const json_t *items = json_object_get(page, "items");
    long long total = int_of(page, "total");
    size_t n = json_array_size(items);
    struct table t;

    printf("\nnot on the current key version: %lld member(s)\n", total);
    if (n == 0)
        return;
    table_init(&t, client_cols, N(client_cols));
    table_page(&t, items);
    if ((long long)n < total)
        printf(
            "(the first %zu of %lld; 'e4ctl topic members TOPIC --behind --all' lists them all)\n",
            n, total);
}

void render_event_line(const json_t *ev)
{
    char when[32] = "-";
    const json_t *at = json_object_get(ev, "at");
    const json_t *type = json_object_get(ev, "type");
    const json_t *data = json_object_get(ev, "data");
    char *d = data ? ctl_json_dump(data) : NULL;

    if (json_is_integer(at))
        format_time(when, sizeof when, (long long)json_integer_value(at));
    printf("%lld  %s  ", int_of(ev, "id"), when);
    ctl_put_safe(stdout, json_is_string(type) ? json_string_value(type) : "-");
    putchar(' ');
    putchar(' ');
    ctl_put_safe(stdout, d ? d : "{}");
    putchar('\n');
    free(d);
}

void page_begin(struct page_printer *pp, const struct ctl_request *req)
{
    memset(pp, 0, sizeof *pp);
    switch (req->cmd->render) {
    case R_TOPICS:
        table_init(&pp->table, topic_cols, N(topic_cols));
        pp->noun = "topics";
        break;
    case R_COMMANDS:
        table_init(&pp->table, command_cols, N(command_cols));
        pp->noun = "commands";
        break;
    case R_EVENTS:
        pp->events = 1;
        pp->noun = "events";
        break;
    case R_POLICIES:
        table_init(&pp->table, policy_cols, N(policy_cols));
        pp->noun = "policies";
        break;
    case R_MONITORING:
        table_init(&pp->table, monitoring_cols, N(monitoring_cols));
        pp->noun = "monitored topics";
        pp->flatten = 1;
        break;
    default:
        table_init(&pp->table, client_cols, N(client_cols));
        pp->noun = "clients";
        break;
    }
}

void page_rows(struct page_printer *pp, const json_t *items)
{
    size_t i;
    if (pp->events) {
        for (i = 0; i < json_array_size(items); i++)
            render_event_line(json_array_get(items, i));
    } else if (json_array_size(items) > 0 && pp->flatten) {
        json_t *rows = flatten_counts(items);
        table_page(&pp->table, rows);
        json_decref(rows);
    } else if (json_array_size(items) > 0) {
        table_page(&pp->table, items);
    }
    pp->shown += json_array_size(items);
}

void page_end(struct page_printer *pp, const struct ctl_request *req, const json_t *last, int all)
{
    const json_t *total = json_object_get(last, "total");
    unsigned long long from = (req->set & O_OFFSET) ? req->offset : 0;
    long long t = json_is_integer(total) ? (long long)json_integer_value(total) : -1;

    if (pp->shown == 0) {
        if (t > 0)
            printf("(no %s from offset %llu; %lld in all)\n", pp->noun, from, t);
        else
            printf("(no %s)\n", pp->noun);
        return;
    }
    if (!all && t >= 0 && from + pp->shown < (unsigned long long)t)
        printf("(%llu-%llu of %lld %s; --offset, --limit or --all for more)\n", from + 1,
               from + pp->shown, t, pp->noun);
}
