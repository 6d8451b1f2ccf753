/*
 * test_db URL                      every case on the database at URL (its
 *                                  tables are dropped and created again)
 * test_db --open-fails URL SECRET...  db_open(URL) must fail with a message
 *                                  that contains none of the SECRETs
 * test_db --open-ok URL            db_open(URL) must work
 *
 * Run by tests/integration/test_db.sh on SQLite and on a PostgreSQL server.
 * Exit status 0 when every check passed.
 */
#include "test_db.h"

#include <time.h>

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void check_clean(const char *msg, const char *const *secrets)
{
    CHECK(msg && msg[0]);
    for (; *secrets; secrets++) {
        if (strstr(msg, *secrets)) {
            fprintf(stderr, "message leaks \"%s\": %s\n", *secrets, msg);
            exit(1);
        }
    }
}

db *open_or_die(const char *url)
{
    char err[512];
    db *d = db_open(url, err, sizeof err);
    if (!d) {
        fprintf(stderr, "cannot open %s: %s\n", url, err);
        exit(1);
    }
    return d;
}

static int open_fails(const char *url, const char *const *secrets)
{
    char err[512] = "";
    db *d = db_open(url, err, sizeof err);
    CHECK(d == NULL);
    check_clean(err, secrets);
    printf("open failed as expected: %s\n", err);
    return 0;
}

static int open_ok(const char *url)
{
    db *d = open_or_die(url);
    int64_t one = 0;
    int found = 0;
    CHECK_OK(d, db_query_int(d, &one, &found, "SELECT 1", NULL, 0));
    CHECK(found && one == 1);
    db_close(d);
    printf("open ok\n");
    return 0;
}

static void run(const db_case *cases, db *d, const char *url, const char *kind)
{
    for (; cases->name; cases++) {
        double t = now_seconds();
        cases->fn(d, url);
        printf("ok   %-8s %-28s %7.3f s\n", kind, cases->name, now_seconds() - t);
        fflush(stdout);
    }
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "--open-fails"))
        return open_fails(argv[2], (const char *const *)argv + 3);
    if (argc == 3 && !strcmp(argv[1], "--open-ok"))
        return open_ok(argv[2]);
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: test_db URL | --open-fails URL SECRET... | --open-ok URL\n");
        return 2;
    }
    const char *url = argv[1];
    db *d = open_or_die(url);
    const char *kind = db_kind_of(d) == DB_PG ? "postgres" : "sqlite";
    run(db_text_cases, d, url, kind);
    run(db_data_cases, d, url, kind);
    run(db_tx_cases, d, url, kind);
    db_close(d);
    printf("all db tests passed on %s\n", kind);
    return 0;
}
