/*
 * test_mqttinfo_resolve.c - mqttinfo's name resolution with a deadline
 * (src/mqttinfo/resolve.c): numeric addresses, a lookup that answers, one
 * that outlives the deadline (abandoned, freed by its thread later), and a
 * cancellation. The lookup function is replaced, so no DNS is used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "resolve.h"

static int g_calls;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Answers every name with 127.0.0.2. */
static int lookup_fast(const char *host, const char *port, const struct addrinfo *hints,
                       struct addrinfo **res)
{
    (void)host;
    g_calls++;
    return getaddrinfo("127.0.0.2", port, hints, res);
}

/* A name server that takes 800 ms, then fails. */
static int lookup_slow(const char *host, const char *port, const struct addrinfo *hints,
                       struct addrinfo **res)
{
    (void)host;
    (void)port;
    (void)hints;
    (void)res;
    g_calls++;
    sleep_ms(800);
    return EAI_AGAIN;
}

static void test_numeric(void **state)
{
    (void)state;
    mi_addrs a;
    char err[160];
    g_calls = 0;
    mi_resolve_set_lookup(lookup_slow);
    assert_int_equal(mi_resolve("127.0.0.1", 1883, mi_now_ms() + 50, &a, err, sizeof err), 0);
    assert_int_equal(a.n, 1);
    assert_int_equal(a.addr[0].ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&a.addr[0])->sin_port), 1883);
    assert_int_equal(mi_resolve("::1", 8883, mi_now_ms() + 50, &a, err, sizeof err), 0);
    assert_int_equal(a.addr[0].ss_family, AF_INET6);
    assert_int_equal(g_calls, 0); /* never looked up */
}

static void test_name_answered(void **state)
{
    (void)state;
    mi_addrs a;
    char err[160];
    mi_resolve_set_lookup(lookup_fast);
    assert_int_equal(mi_resolve("broker.example", 1883, mi_now_ms() + 1000, &a, err, sizeof err),
                     0);
    assert_int_equal(a.n, 1);
    struct sockaddr_in *in = (struct sockaddr_in *)&a.addr[0];
    assert_int_equal(ntohl(in->sin_addr.s_addr), 0x7f000002);
}

static void test_deadline(void **state)
{
    (void)state;
    mi_addrs a;
    char err[160];
    mi_resolve_set_lookup(lookup_slow);
    int64_t t0 = mi_now_ms();
    assert_int_equal(mi_resolve("silent.example", 1883, t0 + 150, &a, err, sizeof err), -1);
    int64_t took = mi_now_ms() - t0;
    assert_true(took >= 140 && took < 400);
    assert_non_null(strstr(err, "silent.example"));
    assert_non_null(strstr(err, "timeout"));
    /* Several abandoned lookups at once; each thread frees its own when the
     * lookup ends (the sanitizer build would report a leak otherwise). */
    for (int i = 0; i < 8; i++)
        assert_int_equal(mi_resolve("silent.example", 1, mi_now_ms() + 10, &a, err, sizeof err),
                         -1);
    sleep_ms(1000);
}

static void test_cancel(void **state)
{
    (void)state;
    mi_addrs a;
    char err[160];
    mi_resolve_set_lookup(lookup_slow);
    mi_cancel();
    int64_t t0 = mi_now_ms();
    assert_int_equal(mi_resolve("silent.example", 1883, t0 + 5000, &a, err, sizeof err), -1);
    assert_true(mi_now_ms() - t0 < 300);
    sleep_ms(1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numeric), cmocka_unit_test(test_name_answered),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_cancel), /* last: the cancellation is for the whole process */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
