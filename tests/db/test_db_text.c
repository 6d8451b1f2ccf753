/*
 * Text cases, the same on every backend: where the $N placeholders are, and
 * what the PostgreSQL message hygiene removes (db_internal.h).
 */
#include "test_db.h"

#include "db_internal.h"

static void placeholders(const char *sql, int sqlite, int want, const char *rewritten)
{
    char copy[256];
    snprintf(copy, sizeof copy, "%s", sql);
    int got = db_placeholders(sql, copy, sqlite);
    if (got != want || (rewritten && strcmp(copy, rewritten))) {
        fprintf(stderr, "db_placeholders(%s): %d \"%s\", want %d \"%s\"\n", sql, got, copy, want,
                rewritten ? rewritten : sql);
        exit(1);
    }
}

static void case_placeholders(db *d, const char *url)
{
    (void)d;
    (void)url;
    placeholders("SELECT $1, $2", 1, 2, "SELECT ?1, ?2");
    placeholders("SELECT $12 + $3", 1, 12, "SELECT ?12 + ?3");
    placeholders("SELECT '$1', \"$2\", $3", 1, 3, "SELECT '$1', \"$2\", ?3");
    placeholders("SELECT 'it''s $1', $2", 1, 2, "SELECT 'it''s $1', ?2");
    placeholders("SELECT $1 -- $2\n, /* $3 */ $4", 1, 4, "SELECT ?1 -- $2\n, /* $3 */ ?4");
    placeholders("SELECT a$1, $$, $ 1, $x FROM t", 1, 0, NULL);
    placeholders("SELECT [$1], `$2`, $3", 1, 3, "SELECT [$1], `$2`, ?3");
    placeholders("SELECT a[$1]", 0, 1, NULL); /* PostgreSQL: a subscript */
    placeholders("SELECT '$1 unterminated", 1, 0, NULL);
    placeholders("SELECT $1 /* unterminated $2", 1, 1, NULL);
    CHECK(db_sql_blank(" ;\n-- x\n/* y */;"));
    CHECK(!db_sql_blank(" ; SELECT"));
}

static void scrubbed(const char *msg, const char *url, const char *want)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", msg);
    pg_msg_scrub_url(buf, sizeof buf, url);
    if (strcmp(buf, want)) {
        fprintf(stderr, "scrub(%s, %s) = \"%s\", want \"%s\"\n", msg, url, buf, want);
        exit(1);
    }
}

static void case_messages(db *d, const char *url)
{
    (void)d;
    (void)url;
    scrubbed("bad \"hunter2\"", "postgresql://u:hunter2@h/db", "bad \"***\"");
    scrubbed("bad \"p%41ss\" and pAss", "postgresql://u:p%41ss@h:1/db", "bad \"***\" and ***");
    scrubbed("host \"s3@h\"", "postgresql://u:pw@s3@h/db", "host \"***@h\"");
    scrubbed("x topsecret y", "postgres://h/db?user=u&password=topsecret&x=1", "x *** y");
    scrubbed("user u@h", "postgresql://u@h/db", "user u@h"); /* no password */
    char m[64] = "invalid input: \"SECRET\" and \"\" and \"x";
    pg_msg_redact_quoted(m);
    CHECK(!strcmp(m, "invalid input: \"?\" and \"\" and \"?"));
    char l[64] = "  a\n\tb   c \n";
    pg_msg_one_line(l);
    CHECK(!strcmp(l, "a b c"));
}

const db_case db_text_cases[] = {
    {"placeholders", case_placeholders},
    {"messages", case_messages},
    {NULL, NULL},
};
