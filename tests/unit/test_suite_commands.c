/*
 * Command plaintexts in every suite (spec e4-suites.md, "Argument
 * changes"): e4_command_args_len gives each suite's sizes from libe4's one
 * command table, e4_command_build_suite accepts exactly those, refuses the
 * other suites' sizes, commands a suite does not have, all-zero keys and a
 * short buffer, and e4_command_build keeps the base sizes.
 */
#include <e4/e4.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

static const struct {
    e4_command cmd;
    size_t base, fips_sk, fips_pk, pq_pk;
} sizes[] = {
    {E4_CMD_REMOVE_TOPIC, 16, 16, 16, 16},
    {E4_CMD_RESET_TOPICS, 0, 0, 0, 0},
    {E4_CMD_SET_ID_KEY, 64, 32, 32 + 32, 64 + 32 + 32},
    {E4_CMD_SET_TOPIC_KEY, 48, 48, 48, 48},
    {E4_CMD_REMOVE_PUBKEY, 16, SIZE_MAX, 16, 16},
    {E4_CMD_RESET_PUBKEYS, 0, SIZE_MAX, 0, 0},
    {E4_CMD_SET_PUBKEY, 48, SIZE_MAX, 33 + 16, 32 + 1952 + 16},
    {E4_CMD_SET_C2_KEY, 32, SIZE_MAX, 33, 32 + 1952},
};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void test_sizes_per_suite(void **st)
{
    (void)st;
    for (size_t i = 0; i < NSIZES; i++) {
        assert_int_equal(e4_command_args_len(E4_SUITE_BASE, sizes[i].cmd), sizes[i].base);
        assert_int_equal(e4_command_args_len(E4_SUITE_FIPS_SK, sizes[i].cmd), sizes[i].fips_sk);
        assert_int_equal(e4_command_args_len(E4_SUITE_FIPS_PK, sizes[i].cmd), sizes[i].fips_pk);
        assert_int_equal(e4_command_args_len(E4_SUITE_PQ_PK, sizes[i].cmd), sizes[i].pq_pk);
    }
    assert_int_equal(e4_command_args_len(E4_SUITE_BASE, (e4_command)8), SIZE_MAX);
    assert_int_equal(e4_command_args_len((e4_suite)0x12, E4_CMD_RESET_TOPICS), SIZE_MAX);
    assert_int_equal(E4_SUITE_COMMAND_MAX, 1 + 32 + 1952 + 16);
}

static void test_build_in_every_suite(void **st)
{
    static const e4_suite suites[] = {E4_SUITE_FIPS_SK, E4_SUITE_FIPS_PK, E4_SUITE_PQ_PK};
    static uint8_t args[E4_SUITE_COMMAND_MAX + 8], out[E4_SUITE_COMMAND_MAX];
    size_t len;
    (void)st;
    memset(args, 0x5a, sizeof args);
    for (size_t s = 0; s < 3; s++) {
        for (size_t i = 0; i < NSIZES; i++) {
            size_t want = e4_command_args_len(suites[s], sizes[i].cmd);
            e4_err err = e4_command_build_suite(out, sizeof out, &len, suites[s], sizes[i].cmd,
                                                args, want == SIZE_MAX ? 16 : want);
            if (want == SIZE_MAX) {
                assert_int_equal(err, E4_ERR_INVALID_ARG_LENGTH);
                continue;
            }
            assert_int_equal(err, E4_OK);
            assert_int_equal(len, 1 + want);
            assert_int_equal(out[0], sizes[i].cmd);
            assert_memory_equal(out + 1, args, want);
            /* one byte more or less: refused */
            assert_int_equal(e4_command_build_suite(out, sizeof out, &len, suites[s], sizes[i].cmd,
                                                    args, want + 1),
                             E4_ERR_INVALID_ARG_LENGTH);
            if (want)
                assert_int_equal(e4_command_build_suite(out, sizeof out, &len, suites[s],
                                                        sizes[i].cmd, args, want - 1),
                                 E4_ERR_INVALID_ARG_LENGTH);
            /* the buffer must hold it */
            assert_int_equal(
                e4_command_build_suite(out, want, &len, suites[s], sizes[i].cmd, args, want),
                E4_ERR_BUFFER_TOO_SMALL);
        }
    }
}

static void test_refusals(void **st)
{
    static uint8_t zero[E4_SUITE_COMMAND_MAX], args[E4_SUITE_COMMAND_MAX],
        out[E4_SUITE_COMMAND_MAX];
    size_t len;
    (void)st;
    memset(args, 1, sizeof args);
    /* all-zero keys, in the suites' sizes */
    assert_int_equal(
        e4_command_build_suite(out, sizeof out, &len, E4_SUITE_PQ_PK, E4_CMD_SET_ID_KEY, zero, 128),
        E4_ERR_ZERO_KEY);
    assert_int_equal(e4_command_build_suite(out, sizeof out, &len, E4_SUITE_PQ_PK,
                                            E4_CMD_SET_C2_KEY, zero, 1984),
                     E4_ERR_ZERO_KEY);
    assert_int_equal(e4_command_build_suite(out, sizeof out, &len, E4_SUITE_FIPS_PK,
                                            E4_CMD_SET_C2_KEY, zero, 33),
                     E4_ERR_ZERO_KEY);
    /* the other suites' sizes */
    assert_int_equal(e4_command_build_suite(out, sizeof out, &len, E4_SUITE_FIPS_PK,
                                            E4_CMD_SET_PUBKEY, args, 48),
                     E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(
        e4_command_build_suite(out, sizeof out, &len, E4_SUITE_PQ_PK, E4_CMD_SET_ID_KEY, args, 64),
        E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(e4_command_build_suite(out, sizeof out, &len, E4_SUITE_FIPS_SK,
                                            E4_CMD_SET_ID_KEY, args, 64),
                     E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(
        e4_command_build_suite(out, sizeof out, &len, E4_SUITE_PQ_PK, (e4_command)9, NULL, 0),
        E4_ERR_INVALID_COMMAND);
    assert_int_equal(
        e4_command_build_suite(NULL, 0, &len, E4_SUITE_PQ_PK, E4_CMD_RESET_TOPICS, NULL, 0),
        E4_ERR_INVALID_ARGUMENT);
    /* base keeps both of the reference's sizes, and no suite's */
    assert_int_equal(e4_command_build(out, &len, E4_CMD_SET_ID_KEY, args, 32), E4_OK);
    assert_int_equal(e4_command_build(out, &len, E4_CMD_SET_ID_KEY, args, 64), E4_OK);
    assert_int_equal(e4_command_build(out, &len, E4_CMD_SET_PUBKEY, args, 49),
                     E4_ERR_INVALID_ARG_LENGTH);
    assert_int_equal(e4_command_build(out, &len, E4_CMD_SET_C2_KEY, args, 33),
                     E4_ERR_INVALID_ARG_LENGTH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes_per_suite),
        cmocka_unit_test(test_build_in_every_suite),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
