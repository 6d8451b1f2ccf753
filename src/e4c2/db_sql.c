/*
 * db_sql: the little SQL lexing both drivers need: where the $N
 * placeholders are (outside string literals, quoted identifiers and
 * comments, where a '$' is just text), and whether a statement's tail is
 * empty.
 *
 * Not handled, because the shared SQL has no use for them: PostgreSQL's
 * E'...' escapes and $tag$ dollar quoting (scripts with function bodies go
 * through db_exec_script, which takes no parameters).
 */
#include "db_internal.h"

#include <string.h>

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '$' || (unsigned char)c >= 0x80;
}

/* Index just past the quoted text that starts after s[i], closed by q. */
static size_t skip_quoted(const char *s, size_t i, char q)
{
    while (s[i] && s[i] != q)
        i++;
    return s[i] ? i + 1 : i;
}

/* Index just past the comment that starts at s[i], or i if none does. */
static size_t skip_comment(const char *s, size_t i)
{
    if (s[i] == '-' && s[i + 1] == '-') {
        while (s[i] && s[i] != '\n')
            i++;
    } else if (s[i] == '/' && s[i + 1] == '*') {
        const char *end = strstr(s + i + 2, "*/");
        i = end ? (size_t)(end - s) + 2 : strlen(s);
    }
    return i;
}

/* The quote that closes one opened by c, or 0 if c opens none. SQLite also
 * quotes identifiers as `x` and [x]; in PostgreSQL [ is a subscript. */
static char closing_quote(char c, int sqlite)
{
    if (c == '\'' || c == '"')
        return c;
    if (sqlite && c == '`')
        return c;
    if (sqlite && c == '[')
        return ']';
    return 0;
}

/* Doubled quotes ('it''s') need no special case: they read as two adjacent
 * literals. A '$' inside an identifier (a$1) is part of the name. */
int db_placeholders(const char *sql, char *rewrite, int sqlite)
{
    int max = 0;
    size_t i = 0;
    while (sql[i]) {
        char c = sql[i], q = closing_quote(c, sqlite);
        size_t j = skip_comment(sql, i);
        if (j != i) {
            i = j;
        } else if (q) {
            i = skip_quoted(sql, i + 1, q);
        } else if (c == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9' &&
                   (i == 0 || !ident_char(sql[i - 1]))) {
            if (rewrite)
                rewrite[i] = '?';
            long n = 0;
            for (i++; sql[i] >= '0' && sql[i] <= '9'; i++)
                n = n < 100000 ? n * 10 + (sql[i] - '0') : n;
            max = n > max ? (int)n : max;
        } else {
            i++;
        }
    }
    return max;
}

int db_sql_blank(const char *s)
{
    size_t i = 0;
    while (s[i]) {
        size_t j = skip_comment(s, i);
        if (j != i)
            i = j;
        else if (s[i] == ';' || s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
            i++;
        else
            return 0;
    }
    return 1;
}
