/*
 * reason.c - MQTT 5.0 reason codes (2.4) and 3.1.1 return codes: names and
 * validity per packet type.
 */
#include "mqtt_internal.h"

#define P(t) (1u << (t))
#define CONNACK P(MQTT_CONNACK)
#define PUBACK P(MQTT_PUBACK)
#define PUBREC P(MQTT_PUBREC)
#define PUBREL P(MQTT_PUBREL)
#define PUBCOMP P(MQTT_PUBCOMP)
#define SUBACK P(MQTT_SUBACK)
#define UNSUBACK P(MQTT_UNSUBACK)
#define DISCONNECT P(MQTT_DISCONNECT)
#define AUTH P(MQTT_AUTH)

typedef struct rc_info {
    uint8_t code;
    uint16_t where;
    const char *name;
} rc_info;

static const rc_info RCS[] = {
    {0x00, CONNACK | PUBACK | PUBREC | PUBREL | PUBCOMP | UNSUBACK | AUTH, "Success"},
    {0x01, SUBACK, "Granted QoS 1"},
    {0x02, SUBACK, "Granted QoS 2"},
    {0x04, DISCONNECT, "Disconnect with Will Message"},
    {0x10, PUBACK | PUBREC, "No matching subscribers"},
    {0x11, UNSUBACK, "No subscription existed"},
    {0x18, AUTH, "Continue authentication"},
    {0x19, AUTH, "Re-authenticate"},
    {0x80, CONNACK | PUBACK | PUBREC | SUBACK | UNSUBACK | DISCONNECT, "Unspecified error"},
    {0x81, CONNACK | DISCONNECT, "Malformed Packet"},
    {0x82, CONNACK | DISCONNECT, "Protocol Error"},
    {0x83, CONNACK | PUBACK | PUBREC | SUBACK | UNSUBACK | DISCONNECT,
     "Implementation specific error"},
    {0x84, CONNACK, "Unsupported Protocol Version"},
    {0x85, CONNACK, "Client Identifier not valid"},
    {0x86, CONNACK, "Bad User Name or Password"},
    {0x87, CONNACK | PUBACK | PUBREC | SUBACK | UNSUBACK | DISCONNECT, "Not authorized"},
    {0x88, CONNACK, "Server unavailable"},
    {0x89, CONNACK | DISCONNECT, "Server busy"},
    {0x8A, CONNACK, "Banned"},
    {0x8B, DISCONNECT, "Server shutting down"},
    {0x8C, CONNACK | DISCONNECT, "Bad authentication method"},
    {0x8D, DISCONNECT, "Keep Alive timeout"},
    {0x8E, DISCONNECT, "Session taken over"},
    {0x8F, SUBACK | UNSUBACK | DISCONNECT, "Topic Filter invalid"},
    {0x90, CONNACK | PUBACK | PUBREC | DISCONNECT, "Topic Name invalid"},
    {0x91, PUBACK | PUBREC | SUBACK | UNSUBACK, "Packet Identifier in use"},
    {0x92, PUBREL | PUBCOMP, "Packet Identifier not found"},
    {0x93, DISCONNECT, "Receive Maximum exceeded"},
    {0x94, DISCONNECT, "Topic Alias invalid"},
    {0x95, CONNACK | DISCONNECT, "Packet too large"},
    {0x96, DISCONNECT, "Message rate too high"},
    {0x97, CONNACK | PUBACK | PUBREC | SUBACK | DISCONNECT, "Quota exceeded"},
    {0x98, DISCONNECT, "Administrative action"},
    {0x99, CONNACK | PUBACK | PUBREC | DISCONNECT, "Payload format invalid"},
    {0x9A, CONNACK | DISCONNECT, "Retain not supported"},
    {0x9B, CONNACK | DISCONNECT, "QoS not supported"},
    {0x9C, CONNACK | DISCONNECT, "Use another server"},
    {0x9D, CONNACK | DISCONNECT, "Server moved"},
    {0x9E, SUBACK | DISCONNECT, "Shared Subscriptions not supported"},
    {0x9F, CONNACK | DISCONNECT, "Connection rate exceeded"},
    {0xA0, DISCONNECT, "Maximum connect time"},
    {0xA1, SUBACK | DISCONNECT, "Subscription Identifiers not supported"},
    {0xA2, SUBACK | DISCONNECT, "Wildcard Subscriptions not supported"},
};

static const rc_info *rc_find(uint8_t code)
{
    for (size_t i = 0; i < sizeof RCS / sizeof RCS[0]; i++)
        if (RCS[i].code == code)
            return &RCS[i];
    return NULL;
}

const char *mqtt_reason_name(uint8_t code)
{
    const rc_info *r = rc_find(code);
    return r ? r->name : NULL;
}

static const char *const V3_CONNACK[] = {
    "Connection Accepted",
    "Connection Refused, unacceptable protocol version",
    "Connection Refused, identifier rejected",
    "Connection Refused, Server unavailable",
    "Connection Refused, bad user name or password",
    "Connection Refused, not authorized",
};

const char *mqtt_reason_name_for(int version, int type, uint8_t code)
{
    if (version == MQTT_V311) {
        switch (type) {
        case MQTT_CONNACK: return code < 6 ? V3_CONNACK[code] : NULL;
        case MQTT_SUBACK:
            switch (code) {
            case 0x00: return "Success - Maximum QoS 0";
            case 0x01: return "Success - Maximum QoS 1";
            case 0x02: return "Success - Maximum QoS 2";
            case 0x80: return "Failure";
            default: return NULL;
            }
        default: return NULL;
        }
    }
    if (version != MQTT_V5 || type < 1 || type > 15)
        return NULL;
    if (code == 0x00) {
        if (type == MQTT_DISCONNECT)
            return "Normal disconnection";
        if (type == MQTT_SUBACK)
            return "Granted QoS 0";
    }
    const rc_info *r = rc_find(code);
    if (!r || !(r->where & (1u << type)))
        return NULL;
    return r->name;
}

bool mqtt_reason_valid(int version, int type, uint8_t code)
{
    if (version == MQTT_V5 && code == 0x00 && (type == MQTT_DISCONNECT || type == MQTT_SUBACK))
        return true;
    return mqtt_reason_name_for(version, type, code) != NULL;
}
