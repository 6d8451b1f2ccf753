/* Which topics are protected: the --protect filters (without any, every
 * topic but the $-topics, broker internals), refined by --allow-clear. */
#include "proxy.h"

#include <stdlib.h>
#include <string.h>

static bool rule_matches(const policy_rule *r, const uint8_t *topic, size_t len)
{
    return mqtt_topic_match((const uint8_t *)r->filter, strlen(r->filter), topic, len);
}

int policy_decide(const policy *p, const uint8_t *topic, size_t len)
{
    size_t i;
    bool has_protect = false, protect = false;

    for (i = 0; i < p->n; i++) {
        if (p->rules[i].clear_ok)
            continue;
        has_protect = true;
        protect = protect || rule_matches(&p->rules[i], topic, len);
    }
    if (!has_protect) /* the default: everything but the $-topics */
        protect = !(len > 0 && topic[0] == '$');
    if (!protect)
        return POLICY_CLEAR;
    /* --allow-clear refines: such a topic goes in clear when it has no key */
    for (i = 0; i < p->n; i++)
        if (p->rules[i].clear_ok && rule_matches(&p->rules[i], topic, len))
            return POLICY_PROTECT_OR_CLEAR;
    return POLICY_PROTECT;
}

int policy_add(policy *p, const char *filter, int clear_ok)
{
    policy_rule *nr;
    mqtt_err err = mqtt_topic_filter_validate((const uint8_t *)filter, strlen(filter));
    if (err != MQTT_OK) {
        cli_error("%s '%s': %s", clear_ok ? "--allow-clear" : "--protect", filter,
                  mqtt_strerror(err));
        return EXIT_USAGE;
    }
    nr = realloc(p->rules, (p->n + 1) * sizeof *nr);
    if (!nr || !(nr[p->n].filter = strdup(filter))) {
        if (nr)
            p->rules = nr;
        cli_error("%s", e4_strerror(E4_ERR_NO_MEMORY));
        return 1;
    }
    nr[p->n].clear_ok = clear_ok;
    p->rules = nr;
    p->n++;
    return 0;
}

void policy_free(policy *p)
{
    size_t i;
    for (i = 0; i < p->n; i++)
        free(p->rules[i].filter);
    free(p->rules);
    p->rules = NULL;
    p->n = 0;
}
