/*
 * topic.c - topic name and topic filter validation, matching.
 */
#include "mqtt_internal.h"

mqtt_err mqtt_topic_name_validate(const uint8_t *s, size_t len)
{
    mqtt_err e = mqtt_utf8_validate(s, len, NULL);
    if (e != MQTT_OK)
        return e;
    if (len == 0)
        return MQTT_ERR_TOPIC_EMPTY;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '+' || s[i] == '#')
            return MQTT_ERR_TOPIC_WILDCARD;
    return MQTT_OK;
}

mqtt_err mqtt_topic_filter_validate(const uint8_t *s, size_t len)
{
    mqtt_err e = mqtt_utf8_validate(s, len, NULL);
    if (e != MQTT_OK)
        return e;
    if (len == 0)
        return MQTT_ERR_TOPIC_EMPTY;
    for (size_t i = 0; i < len; i++) {
        bool level_start = (i == 0 || s[i - 1] == '/');
        bool level_end = (i + 1 == len || s[i + 1] == '/');
        if (s[i] == '+') {
            if (!level_start || !level_end)
                return MQTT_ERR_FILTER_PLUS;
        } else if (s[i] == '#') {
            if (!level_start || i + 1 != len)
                return MQTT_ERR_FILTER_HASH;
        }
    }
    return MQTT_OK;
}

bool mqtt_topic_match(const uint8_t *filter, size_t flen, const uint8_t *topic, size_t tlen)
{
    size_t f = 0, t = 0;
    if (flen == 0 || tlen == 0)
        return false;
    if (topic[0] == '$' && (filter[0] == '+' || filter[0] == '#'))
        return false;
    for (;;) {
        /* at the start of a level in both */
        if (f < flen && filter[f] == '#')
            return true; /* matches this level and all below (and the parent) */
        size_t fe = f, te = t;
        while (fe < flen && filter[fe] != '/')
            fe++;
        while (te < tlen && topic[te] != '/')
            te++;
        if (!(fe - f == 1 && filter[f] == '+')) {
            if (fe - f != te - t || (te > t && memcmp(filter + f, topic + t, te - t) != 0))
                return false;
        }
        bool fend = (fe == flen), tend = (te == tlen);
        if (fend && tend)
            return true;
        if (tend) {
            /* "a/#" matches "a" */
            return fe + 2 == flen && filter[fe + 1] == '#';
        }
        if (fend)
            return false;
        f = fe + 1;
        t = te + 1;
    }
}
