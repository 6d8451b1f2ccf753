/*
 * strerror.c - error strings, packet type names, packet init.
 */
#include "mqtt_internal.h"

static const char *const ERRS[] = {
    [MQTT_OK] = "success",
    [MQTT_NEED_MORE] = "need more bytes",
    [MQTT_ERR_ARG] = "invalid argument",
    [MQTT_ERR_NO_SPACE] = "output buffer too small",
    [MQTT_ERR_MALFORMED_LENGTH] = "malformed remaining length / variable byte integer",
    [MQTT_ERR_TOO_LARGE] = "packet too large",
    [MQTT_ERR_TRUNCATED] = "truncated packet",
    [MQTT_ERR_TRAILING] = "unexpected bytes after the last field",
    [MQTT_ERR_BAD_TYPE] = "invalid packet type",
    [MQTT_ERR_BAD_FLAGS] = "invalid fixed header flags for the packet type",
    [MQTT_ERR_BAD_QOS] = "invalid QoS (3)",
    [MQTT_ERR_UTF8] = "ill-formed UTF-8",
    [MQTT_ERR_UTF8_OVERLONG] = "overlong UTF-8 encoding",
    [MQTT_ERR_UTF8_SURROGATE] = "UTF-8 encoded surrogate",
    [MQTT_ERR_UTF8_RANGE] = "UTF-8 code point above U+10FFFF",
    [MQTT_ERR_UTF8_NUL] = "U+0000 in UTF-8 string",
    [MQTT_ERR_STRING_TOO_LONG] = "string or binary field longer than 65535 bytes",
    [MQTT_ERR_TOPIC_EMPTY] = "empty topic",
    [MQTT_ERR_TOPIC_WILDCARD] = "wildcard in topic name",
    [MQTT_ERR_FILTER_HASH] = "'#' not alone in the last level of the topic filter",
    [MQTT_ERR_FILTER_PLUS] = "'+' not alone in its topic filter level",
    [MQTT_ERR_PROTOCOL_NAME] = "invalid protocol name",
    [MQTT_ERR_PROTOCOL_VERSION] = "unsupported or unexpected protocol level",
    [MQTT_ERR_CONNECT_FLAGS] = "invalid CONNECT flags",
    [MQTT_ERR_PACKET_ID] = "packet identifier 0",
    [MQTT_ERR_REASON_CODE] = "invalid reason code for the packet",
    [MQTT_ERR_PROPERTY] = "unknown property or property not allowed in the packet",
    [MQTT_ERR_PROPERTY_VALUE] = "invalid property value",
    [MQTT_ERR_PROPERTY_DUP] = "duplicate property",
    [MQTT_ERR_SUB_OPTIONS] = "invalid subscription options",
    [MQTT_ERR_PROTOCOL] = "protocol error",
    [MQTT_ERR_VERSION] = "not available in this MQTT version",
    [MQTT_ERR_NOT_FOUND] = "not found",
};

const char *mqtt_strerror(mqtt_err err)
{
    unsigned i = (unsigned)err;
    if (i >= sizeof ERRS / sizeof ERRS[0] || !ERRS[i])
        return "unknown error";
    return ERRS[i];
}

static const char *const TYPES[16] = {
    NULL,      "CONNECT",  "CONNACK",    "PUBLISH", "PUBACK",      "PUBREC",
    "PUBREL",  "PUBCOMP",  "SUBSCRIBE",  "SUBACK",  "UNSUBSCRIBE", "UNSUBACK",
    "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH",
};

const char *mqtt_type_name(int type)
{
    if (type < 1 || type > 15)
        return "UNKNOWN";
    return TYPES[type];
}

void mqtt_packet_init(mqtt_packet *p, mqtt_type type)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->type = type;
}
