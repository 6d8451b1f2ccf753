/* --help at every level and --version, derived from the command table. */
#include "ctl.h"
#include "http.h"

#include <jansson.h>
#include <string.h>

#ifndef E4_VERSION_STRING
#define E4_VERSION_STRING "unknown"
#endif

static char upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static void print_option(FILE *f, const struct ctl_option *o)
{
    char left[48];
    if (o->short_name)
        snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
    else
        snprintf(left, sizeof left, "    --%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
    fprintf(f, "  %-26s %s\n", left, o->help);
}

static void print_options(FILE *f, unsigned mask)
{
    size_t i;
    for (i = 0; i < ctl_noptions; i++)
        if (ctl_options[i].bit & mask)
            print_option(f, &ctl_options[i]);
}

static void print_command_line(FILE *f, const struct ctl_command *c)
{
    char left[64];
    snprintf(left, sizeof left, "%s%s%s%s%s", c->group ? c->group : "", c->group ? " " : "",
             c->name, c->args[0] ? " " : "", c->args);
    fprintf(f, "  %-30s %s\n", left, c->summary);
}

static void print_commands(FILE *f, const char *group)
{
    size_t i;
    for (i = 0; i < ctl_ncommands; i++) {
        const struct ctl_command *c = &ctl_commands[i];
        if (!group || (c->group && !strcmp(c->group, group)))
            print_command_line(f, c);
    }
}

static void footer(FILE *f)
{
    fprintf(f, "\nEnvironment: E4C2_URL (e4c2's address), E4C2_TOKEN (the API token).\n"
               "Exit status: 0 on success, 1 when e4c2 refused or could not be reached\n"
               "(the reason is printed on stderr), 2 on a usage error.\n");
}

static void help_top(FILE *f)
{
    fprintf(f, "Usage: e4ctl [OPTION]... COMMAND [ARG]...\n"
               "Manage an e4c2 key-management server (E4) through its HTTP API.\n"
               "\nCommands:\n");
    print_commands(f, NULL);
    fprintf(f, "\nOptions:\n");
    print_options(f, G_ALL);
    fprintf(f, "\n'e4ctl GROUP --help' and 'e4ctl GROUP COMMAND --help' describe each command.\n");
    footer(f);
}

static void help_group(FILE *f, const char *group)
{
    const struct ctl_group *g = ctl_group_find(group);
    fprintf(f, "Usage: e4ctl %s COMMAND [OPTION]... [ARG]...\n", group);
    fprintf(f, "%c%s.\n\nCommands:\n", upper(g->summary[0]), g->summary + 1);
    print_commands(f, group);
    fprintf(f, "\nOptions:\n");
    print_options(f, G_ALL);
    fprintf(f, "\n'e4ctl %s COMMAND --help' describes each command.\n", group);
    footer(f);
}

static void help_command(FILE *f, const struct ctl_command *c)
{
    char prog[96];
    const char *s = c->summary;
    snprintf(prog, sizeof prog, "e4ctl %s%s%s", c->group ? c->group : "", c->group ? " " : "",
             c->name);
    fprintf(f, "Usage: %s [OPTION]...%s%s\n", prog, c->args[0] ? " " : "", c->args);
    fprintf(f, "%c%s.\n", upper(s[0]), s + 1);
    fprintf(f, "API: %s %s%s\n", c->method, c->route,
            (c->opts & O_FINISH)   ? "[/finish]"
            : (c->opts & O_BEHIND) ? "[?behind=true]"
                                   : "");
    if (c->opts) {
        fprintf(f, "\nOptions:\n");
        print_options(f, c->opts);
    }
    fprintf(f, "\nCommon options:\n");
    print_options(f, G_ALL);
    footer(f);
}

void ctl_help(FILE *f, const struct ctl_request *req)
{
    if (req->cmd)
        help_command(f, req->cmd);
    else if (req->group)
        help_group(f, req->group);
    else
        help_top(f);
}

void ctl_version(FILE *f)
{
    fprintf(f, "e4ctl %s (libcurl %s, jansson %s)\n", E4_VERSION_STRING, http_library_version(),
            jansson_version_str());
}
