/*
 * test_api_json.c - e4c2's API objects rendered from the store's types
 * (src/e4c2/api_json.c): field names, hex, nulls, mode-dependent fields,
 * sync status and command states (receipts), and the error body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_json.h"

/* j rendered compactly with sorted keys equals want; j is released. */
static void renders(int line, json_t *j, const char *want)
{
    char *got = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    if (!got || strcmp(got, want))
        fail_msg("line %d:\n got  %s\n want %s", line, got ? got : "(null)", want);
    free(got);
    json_decref(j);
}
#define RENDERS(j, want) renders(__LINE__, (j), (want))

static void test_client(void **state)
{
    c2_client c = {.created = 1700000000, .topics = 2, .pending = 1};
    (void)state;
    memset(c.id, 0xab, sizeof c.id);
    memset(c.pubkey, 0x01, E4_ED25519_PK_LEN);
    c.pubkey_len = E4_ED25519_PK_LEN;
    strcpy(c.name, "dev\"1");
    /* never sent a STATE: unknown, no time; PK: no C2 key generation known */
    RENDERS(api_client_json(&c, C2_MODE_SK),
            "{\"created\":1700000000,\"id\":\"abababababababababababababababab\","
            "\"name\":\"dev\\\"1\",\"pending\":1,\"state_at\":null,\"sync\":\"unknown\","
            "\"topics\":2}");
    RENDERS(api_client_json(&c, C2_MODE_PK),
            "{\"c2_key_generation\":null,\"created\":1700000000,"
            "\"id\":\"abababababababababababababababab\","
            "\"name\":\"dev\\\"1\",\"pending\":1,"
            "\"pubkey\":\"0101010101010101010101010101010101010101010101010101010101010101\","
            "\"state_at\":null,\"sync\":\"unknown\",\"topics\":2}");
}

static void test_client_sync(void **state)
{
    c2_client c = {
        .created = 10, .sync = C2_SYNC_IN_SYNC, .state_at = 1700000123, .c2_generation = 3};
    (void)state;
    memset(c.id, 0xcd, sizeof c.id);
    memset(c.pubkey, 0x02, E4_ED25519_PK_LEN);
    c.pubkey_len = E4_ED25519_PK_LEN;
    strcpy(c.name, "cam");
    RENDERS(api_client_json(&c, C2_MODE_PK),
            "{\"c2_key_generation\":3,\"created\":10,\"id\":\"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\","
            "\"name\":\"cam\",\"pending\":0,"
            "\"pubkey\":\"0202020202020202020202020202020202020202020202020202020202020202\","
            "\"state_at\":1700000123,\"sync\":\"in_sync\",\"topics\":0}");
    /* SK: never a C2 key generation, whatever the struct holds */
    c.sync = C2_SYNC_REPAIRING;
    RENDERS(api_client_json(&c, C2_MODE_SK),
            "{\"created\":10,\"id\":\"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd\",\"name\":\"cam\","
            "\"pending\":0,\"state_at\":1700000123,\"sync\":\"repairing\",\"topics\":0}");
    c.sync = C2_SYNC_STALE;
    json_t *j = api_client_json(&c, C2_MODE_SK);
    assert_string_equal(json_string_value(json_object_get(j, "sync")), "stale");
    json_decref(j);
    assert_string_equal(c2_sync_name(C2_SYNC_UNKNOWN), "unknown");
    assert_string_equal(c2_sync_name(C2_SYNC_COUNT), "unknown");
}

static void test_topic(void **state)
{
    c2_topic t = {
        .version = 3, .created = 10, .rotated_at = 20, .members = 5, .behind = 1, .not_current = 2};
    (void)state;
    strcpy(t.name, "a/b");
    memset(t.hash, 0x0f, sizeof t.hash);
    memset(t.key_id, 0xf0, sizeof t.key_id);
    RENDERS(api_topic_json(&t),
            "{\"behind\":1,\"created\":10,\"hash\":\"0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f\","
            "\"key_id\":\"f0f0f0f0f0f0f0f0\",\"members\":5,\"name\":\"a/b\",\"not_current\":2,"
            "\"rotated_at\":20,\"version\":3}");
}

static void test_command(void **state)
{
    c2_command c = {.seq = 7,
                    .opcode = E4_CMD_SET_TOPIC_KEY,
                    .state = C2_CMD_PENDING,
                    .created = 100,
                    .attempts = 0};
    (void)state;
    memset(c.client_id, 0x11, sizeof c.client_id);
    strcpy(c.topic, "t");
    RENDERS(api_command_json(&c),
            "{\"attempts\":0,\"client\":\"11111111111111111111111111111111\","
            "\"command\":\"set_topic_key\",\"created\":100,\"done_at\":null,\"last_error\":null,"
            "\"refused\":null,\"repair\":false,\"sent_at\":null,\"seq\":7,\"state\":\"queued\","
            "\"topic\":\"t\"}");
    /* sent_at is shown whenever it is set, whatever the state */
    c.sent_at = 99;
    c.attempts = 1;
    RENDERS(api_command_json(&c),
            "{\"attempts\":1,\"client\":\"11111111111111111111111111111111\","
            "\"command\":\"set_topic_key\",\"created\":100,\"done_at\":null,\"last_error\":null,"
            "\"refused\":null,\"repair\":false,\"sent_at\":99,\"seq\":7,\"state\":\"queued\","
            "\"topic\":\"t\"}");
    c.opcode = E4_CMD_SET_PUBKEY;
    c.topic[0] = 0;
    c.has_subject = 1;
    memset(c.subject_id, 0x22, sizeof c.subject_id);
    c.state = C2_CMD_SENT;
    c.sent_at = 101;
    c.attempts = 2;
    strcpy(c.last_error, "broker away");
    RENDERS(api_command_json(&c),
            "{\"attempts\":2,\"client\":\"11111111111111111111111111111111\","
            "\"command\":\"set_pubkey\",\"created\":100,\"done_at\":null,"
            "\"last_error\":\"broker away\",\"refused\":null,\"repair\":false,"
            "\"sent_at\":101,\"seq\":7,\"state\":\"sent\","
            "\"subject\":\"22222222222222222222222222222222\"}");
    assert_string_equal(api_command_name(E4_CMD_REMOVE_TOPIC), "remove_topic");
    assert_string_equal(api_command_name(E4_CMD_RESET_TOPICS), "reset_topics");
    assert_string_equal(api_command_name(E4_CMD_SET_ID_KEY), "set_id_key");
    assert_string_equal(api_command_name(E4_CMD_REMOVE_PUBKEY), "remove_pubkey");
    assert_string_equal(api_command_name(E4_CMD_RESET_PUBKEYS), "reset_pubkeys");
    assert_string_equal(api_command_name(E4_CMD_SET_C2_KEY), "set_c2_key");
    assert_null(api_command_name(8));
    assert_string_equal(api_command_name(C2_OP_KEY_ESTABLISH), "key_establishment");
    assert_null(api_command_name(-1));
    c.opcode = 99;
    c.has_subject = 0;
    json_t *j = api_command_json(&c);
    assert_true(json_is_null(json_object_get(j, "command")));
    json_decref(j);
}

static void test_command_receipts(void **state)
{
    c2_command c = {.seq = 9,
                    .opcode = E4_CMD_SET_TOPIC_KEY,
                    .state = C2_CMD_APPLIED,
                    .created = 100,
                    .sent_at = 101,
                    .done_at = 102,
                    .attempts = 1};
    (void)state;
    memset(c.client_id, 0x33, sizeof c.client_id);
    strcpy(c.topic, "a/b");
    RENDERS(api_command_json(&c),
            "{\"attempts\":1,\"client\":\"33333333333333333333333333333333\","
            "\"command\":\"set_topic_key\",\"created\":100,\"done_at\":102,\"last_error\":null,"
            "\"refused\":null,\"repair\":false,\"sent_at\":101,\"seq\":9,\"state\":\"applied\","
            "\"topic\":\"a/b\"}");
    /* refused: the device's reason, as libe4 words it */
    c.state = C2_CMD_REFUSED;
    c.result = E4_ERR_TOPICS_FULL;
    RENDERS(api_command_json(&c),
            "{\"attempts\":1,\"client\":\"33333333333333333333333333333333\","
            "\"command\":\"set_topic_key\",\"created\":100,\"done_at\":102,\"last_error\":null,"
            "\"refused\":\"topic key capacity reached\",\"repair\":false,\"sent_at\":101,"
            "\"seq\":9,\"state\":\"refused\",\"topic\":\"a/b\"}");
    c.result = E4_ERR_INVALID_ARG_LENGTH;
    json_t *j = api_command_json(&c);
    assert_string_equal(json_string_value(json_object_get(j, "refused")),
                        "invalid command argument length");
    json_decref(j);
    /* closed: no receipt, the device's STATE showed it; a repair command */
    c.state = C2_CMD_CLOSED;
    c.result = E4_ERR_TOPICS_FULL; /* only a refusal shows its reason */
    c.repair = 1;
    c.opcode = E4_CMD_REMOVE_TOPIC;
    RENDERS(api_command_json(&c),
            "{\"attempts\":1,\"client\":\"33333333333333333333333333333333\","
            "\"command\":\"remove_topic\",\"created\":100,\"done_at\":102,\"last_error\":null,"
            "\"refused\":null,\"repair\":true,\"sent_at\":101,\"seq\":9,\"state\":\"closed\","
            "\"topic\":\"a/b\"}");
    assert_string_equal(c2_cmd_state_name(C2_CMD_PENDING), "queued");
    assert_string_equal(c2_cmd_state_name(C2_CMD_CLOSED), "closed");
}

static void test_event_token_status(void **state)
{
    c2_event ev = {
        .id = 5, .at = 99, .type = "topic.rotated", .data = "{\"topic\":\"t\",\"version\":2}"};
    c2_token tok = {.id = 1, .name = "ops", .read_only = 1, .created = 10, .last_used = 0};
    c2_status st = {.mode = C2_MODE_SK,
                    .clients = 1,
                    .topics = 2,
                    .memberships = 3,
                    .outbox_pending = 4,
                    .outbox_oldest_age = 5,
                    .commands_sent = 6};
    (void)state;
    RENDERS(
        api_event_json(&ev),
        "{\"at\":99,\"data\":{\"topic\":\"t\",\"version\":2},\"id\":5,\"type\":\"topic.rotated\"}");
    ev.data = "not json";
    RENDERS(api_event_json(&ev), "{\"at\":99,\"data\":null,\"id\":5,\"type\":\"topic.rotated\"}");
    RENDERS(api_token_json(&tok),
            "{\"created\":10,\"last_used\":null,\"name\":\"ops\",\"read_only\":true}");
    tok.last_used = 11;
    tok.read_only = 0;
    RENDERS(api_token_json(&tok),
            "{\"created\":10,\"last_used\":11,\"name\":\"ops\",\"read_only\":false}");
    RENDERS(api_status_json(&st),
            "{\"clients\":1,\"commands_sent\":6,\"memberships\":3,\"mode\":\"sk\","
            "\"outbox\":{\"oldest_age\":5,\"pending\":4},"
            "\"sync\":{\"in_sync\":0,\"repairing\":0,\"stale\":0,\"unknown\":0},\"topics\":2}");
    st.mode = C2_MODE_PK;
    st.c2_key_generation = 2;
    st.c2_key_rotating = 1;
    st.c2_key_unconfirmed = 4;
    st.sync[C2_SYNC_UNKNOWN] = 7;
    st.sync[C2_SYNC_IN_SYNC] = 8;
    st.sync[C2_SYNC_REPAIRING] = 9;
    st.sync[C2_SYNC_STALE] = 10;
    RENDERS(api_status_json(&st),
            "{\"c2_key\":{\"generation\":2,\"rotating\":true,\"unconfirmed\":4},\"clients\":1,"
            "\"commands_sent\":6,"
            "\"memberships\":3,\"mode\":\"pk\",\"outbox\":{\"oldest_age\":5,\"pending\":4},"
            "\"sync\":{\"in_sync\":8,\"repairing\":9,\"stale\":10,\"unknown\":7},\"topics\":2}");
}

static void test_page_error_text(void **state)
{
    api_error e;
    size_t len = 0;
    char *text;
    json_t *j;
    (void)state;
    RENDERS(api_page_json(json_array(), 0, 0, 100),
            "{\"items\":[],\"limit\":100,\"offset\":0,\"total\":0}");
    api_fail(&e, 404, "no client \"%s\"", "x");
    RENDERS(api_error_json(&e),
            "{\"error\":{\"code\":\"not_found\",\"message\":\"no client \\\"x\\\"\"}}");
    api_fail_code(&e, 409, "wrong_mode", "SK");
    RENDERS(api_error_json(&e), "{\"error\":{\"code\":\"wrong_mode\",\"message\":\"SK\"}}");
    j = json_pack("{si}", "a", 1);
    text = api_json_text(j, &len);
    assert_string_equal(text, "{\"a\":1}");
    assert_int_equal(len, 7);
    free(text);
    json_decref(j);
    assert_null(api_json_text(NULL, &len));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client),
        cmocka_unit_test(test_client_sync),
        cmocka_unit_test(test_topic),
        cmocka_unit_test(test_command),
        cmocka_unit_test(test_command_receipts),
        cmocka_unit_test(test_event_token_status),
        cmocka_unit_test(test_page_error_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
