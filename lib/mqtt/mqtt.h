/*
 * mqtt.h - MQTT 3.1.1 / 5.0 packet codec (no I/O, no allocation).
 *
 * Part of e4 (lib/mqtt, static library target `e4mqtt`).
 *
 * What it does
 *   - framing of a byte stream (mqtt_frame): "need more", "one packet of N
 *     bytes" or a framing error;
 *   - decoding of one framed packet (mqtt_decode) with strict validation;
 *   - encoding of any packet (mqtt_encode), validated by default, or raw
 *     (MQTT_ENC_RAW) to build deliberately malformed packets (QoS 3, ill-formed
 *     UTF-8 topics, invalid filters, arbitrary fixed-header flags...);
 *   - MQTT UTF-8 string, topic name and topic filter validation;
 *   - v5 properties: iteration, lookup, validation, encoding from an array;
 *   - v5 reason code names, error strings.
 *
 * Memory model
 *   Nothing is allocated. Decoded strings, binary data, property lists and
 *   subscription lists are (ptr,len) views INTO the input buffer: keep the
 *   input alive (and unchanged) while the decoded packet is used. Strings are
 *   NOT NUL-terminated.
 *
 * Lists (properties, SUBSCRIBE entries, UNSUBSCRIBE filters) have two
 * representations in one struct:
 *   - an array given by the caller (`items`/`subs`/`filters` + `count`), used
 *     to encode;
 *   - a view of the already encoded bytes (`raw`), filled by the decoder.
 *   The encoder uses the array when its pointer is non-NULL, otherwise it
 *   copies `raw` verbatim (validating it unless MQTT_ENC_NO_VALIDATE). So a
 *   decoded packet can be re-encoded as is. The *_next() iterators walk
 *   either representation.
 *
 * All functions are pure and thread-safe. Unless stated otherwise they
 * return MQTT_OK (0) on success or an mqtt_err.
 */
#ifndef E4_MQTT_H
#define E4_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Versions and limits                                                 */
/* ------------------------------------------------------------------ */

#define MQTT_V311 4 /* protocol level of MQTT 3.1.1 */
#define MQTT_V5 5   /* protocol level of MQTT 5.0 */

#define MQTT_MAX_VARINT 268435455u             /* largest remaining length / varint */
#define MQTT_MAX_STRING 65535u                 /* largest UTF-8 string / binary field */
#define MQTT_MAX_PACKET (1u + 4u + 268435455u) /* largest possible packet */

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

typedef enum mqtt_err {
    MQTT_OK = 0,
    MQTT_NEED_MORE,            /* framing: not enough bytes yet (not a data error) */
    MQTT_ERR_ARG,              /* invalid argument (NULL pointer, bad version, unknown type) */
    MQTT_ERR_NO_SPACE,         /* encoder: output buffer too small (*len = size needed) */
    MQTT_ERR_MALFORMED_LENGTH, /* remaining length / variable byte integer over 4 bytes */
    MQTT_ERR_TOO_LARGE,        /* packet bigger than the maximum packet size */
    MQTT_ERR_TRUNCATED,        /* a field runs past the end of the packet */
    MQTT_ERR_TRAILING,         /* bytes left after the last field / length mismatch */
    MQTT_ERR_BAD_TYPE,         /* packet type 0 (reserved) or 15 in 3.1.1 */
    MQTT_ERR_BAD_FLAGS,        /* wrong fixed-header flags for the type (or DUP with QoS 0) */
    MQTT_ERR_BAD_QOS,          /* QoS 3 (PUBLISH, will QoS, subscription QoS) */
    MQTT_ERR_UTF8,             /* ill-formed UTF-8 (bad lead / continuation / truncated) */
    MQTT_ERR_UTF8_OVERLONG,    /* overlong UTF-8 encoding (e.g. c0 80) */
    MQTT_ERR_UTF8_SURROGATE,   /* encoded surrogate U+D800..U+DFFF */
    MQTT_ERR_UTF8_RANGE,       /* code point above U+10FFFF */
    MQTT_ERR_UTF8_NUL,         /* U+0000 in a string */
    MQTT_ERR_STRING_TOO_LONG,  /* string / binary field longer than 65535 bytes */
    MQTT_ERR_TOPIC_EMPTY,      /* empty topic name / topic filter */
    MQTT_ERR_TOPIC_WILDCARD,   /* '+' or '#' in a topic name */
    MQTT_ERR_FILTER_HASH,      /* '#' not alone in its level or not in the last level */
    MQTT_ERR_FILTER_PLUS,      /* '+' not alone in its level */
    MQTT_ERR_PROTOCOL_NAME,    /* CONNECT protocol name is not "MQTT" */
    MQTT_ERR_PROTOCOL_VERSION, /* CONNECT protocol level unsupported / not the expected one */
    MQTT_ERR_CONNECT_FLAGS,    /* CONNECT reserved flag set, will/password flags inconsistent */
    MQTT_ERR_PACKET_ID,        /* packet identifier 0 where one is required */
    MQTT_ERR_REASON_CODE,      /* reason / return code not valid for this packet */
    MQTT_ERR_PROPERTY,         /* unknown property id or property not allowed in this packet */
    MQTT_ERR_PROPERTY_VALUE,   /* property value invalid (e.g. Maximum QoS 2, Receive Maximum 0) */
    MQTT_ERR_PROPERTY_DUP,     /* property present more than once where the standard forbids */
    MQTT_ERR_SUB_OPTIONS,      /* subscription options: reserved bits or retain handling 3 */
    MQTT_ERR_PROTOCOL,         /* other protocol error (empty SUBSCRIBE list, reserved bits...) */
    MQTT_ERR_VERSION,          /* packet or field does not exist in this MQTT version */
    MQTT_ERR_NOT_FOUND         /* lookup: property not present */
} mqtt_err;

/* Constant English description of an error ("unknown error" if out of range). */
const char *mqtt_strerror(mqtt_err err);

/* ------------------------------------------------------------------ */
/* Basic types                                                         */
/* ------------------------------------------------------------------ */

/* A byte view: UTF-8 string (not NUL-terminated) or binary data. */
typedef struct mqtt_bytes {
    const uint8_t *ptr; /* may be NULL when len == 0 */
    size_t len;
} mqtt_bytes;

/* View of a C string (NULL gives the empty view). */
static inline mqtt_bytes mqtt_str(const char *s)
{
    mqtt_bytes b;
    b.ptr = (const uint8_t *)s;
    b.len = s ? strlen(s) : 0;
    return b;
}

/* View of len bytes at p. */
static inline mqtt_bytes mqtt_bin(const void *p, size_t len)
{
    mqtt_bytes b;
    b.ptr = (const uint8_t *)p;
    b.len = len;
    return b;
}

/* Control packet types (value of the high nibble of the first byte). */
typedef enum mqtt_type {
    MQTT_CONNECT = 1,
    MQTT_CONNACK = 2,
    MQTT_PUBLISH = 3,
    MQTT_PUBACK = 4,
    MQTT_PUBREC = 5,
    MQTT_PUBREL = 6,
    MQTT_PUBCOMP = 7,
    MQTT_SUBSCRIBE = 8,
    MQTT_SUBACK = 9,
    MQTT_UNSUBSCRIBE = 10,
    MQTT_UNSUBACK = 11,
    MQTT_PINGREQ = 12,
    MQTT_PINGRESP = 13,
    MQTT_DISCONNECT = 14,
    MQTT_AUTH = 15 /* 5.0 only */
} mqtt_type;

/* "CONNECT", "PUBLISH", ... ; "UNKNOWN" for other values. */
const char *mqtt_type_name(int type);

/* ------------------------------------------------------------------ */
/* Variable byte integer (remaining length) and framing                */
/* ------------------------------------------------------------------ */

/* Size in bytes (1..4) of the encoding of v, 0 if v > MQTT_MAX_VARINT. */
size_t mqtt_varint_size(uint32_t v);

/* Write v (1..4 bytes) to out; returns the number of bytes written, 0 if
 * v > MQTT_MAX_VARINT. out must have room for 4 bytes. */
size_t mqtt_varint_encode(uint8_t out[4], uint32_t v);

/* Decode a variable byte integer from buf[0..len).
 * MQTT_OK (*value, *used set), MQTT_NEED_MORE (buf ends inside it: only
 * meaningful for stream framing), MQTT_ERR_MALFORMED_LENGTH (a 4th byte with
 * the continuation bit set). Non-minimal encodings (e.g. 80 00) are accepted.
 * value and used may be NULL. */
mqtt_err mqtt_varint_decode(const uint8_t *buf, size_t len, uint32_t *value, size_t *used);

/* Framing. Given buf[0..len) = the bytes received so far (starting at a
 * packet boundary):
 *   MQTT_OK                    a complete packet of *packet_len bytes is at buf
 *                              (fixed header + remaining length + body);
 *   MQTT_NEED_MORE             need more bytes; *packet_len = total size of the
 *                              packet if already known, else 0;
 *   MQTT_ERR_MALFORMED_LENGTH  remaining length longer than 4 bytes;
 *   MQTT_ERR_TOO_LARGE         packet (whole, header included) > max_packet
 *                              (detected as soon as the length is known).
 * max_packet == 0 means no limit other than the protocol's. Only the length
 * is checked; use mqtt_decode for the rest. packet_len may be NULL. */
mqtt_err mqtt_frame(const uint8_t *buf, size_t len, size_t max_packet, size_t *packet_len);

/* ------------------------------------------------------------------ */
/* UTF-8, topic names, topic filters                                   */
/* ------------------------------------------------------------------ */

/* Flags reported by mqtt_utf8_validate (informational, not errors). */
#define MQTT_UTF8_HAS_CONTROL 0x1u /* U+0001..U+001F or U+007F..U+009F */
#define MQTT_UTF8_HAS_NONCHAR 0x2u /* U+FDD0..U+FDEF or U+xxFFFE / U+xxFFFF */

/* Validate an MQTT UTF-8 string: well-formed UTF-8, no overlongs, no
 * surrogates, <= U+10FFFF, no U+0000, len <= 65535.
 * Errors: MQTT_ERR_UTF8, _UTF8_OVERLONG, _UTF8_SURROGATE, _UTF8_RANGE,
 * _UTF8_NUL, _STRING_TOO_LONG. If info is non-NULL it receives
 * MQTT_UTF8_HAS_* flags (for the part scanned). s may be NULL if len == 0. */
mqtt_err mqtt_utf8_validate(const uint8_t *s, size_t len, unsigned *info);

/* Validate a topic name (PUBLISH, will topic): valid UTF-8, not empty, no
 * '+' or '#'. Errors: UTF-8 errors, MQTT_ERR_TOPIC_EMPTY,
 * MQTT_ERR_TOPIC_WILDCARD. */
mqtt_err mqtt_topic_name_validate(const uint8_t *s, size_t len);

/* Validate a topic filter (SUBSCRIBE, UNSUBSCRIBE): valid UTF-8, not empty,
 * '#' alone in the last level, '+' alone in its level.
 * Errors: UTF-8 errors, MQTT_ERR_TOPIC_EMPTY, MQTT_ERR_FILTER_HASH,
 * MQTT_ERR_FILTER_PLUS. ("$share/..." is checked as a plain filter.) */
mqtt_err mqtt_topic_filter_validate(const uint8_t *s, size_t len);

/* Does topic name `topic` match filter `filter`? (Both assumed valid.)
 * Filters starting with a wildcard do not match topics starting with '$'. */
bool mqtt_topic_match(const uint8_t *filter, size_t flen, const uint8_t *topic, size_t tlen);

/* ------------------------------------------------------------------ */
/* v5 properties                                                       */
/* ------------------------------------------------------------------ */

typedef enum mqtt_prop_id {
    MQTT_PROP_PAYLOAD_FORMAT_INDICATOR = 0x01,          /* byte     PUBLISH, will */
    MQTT_PROP_MESSAGE_EXPIRY_INTERVAL = 0x02,           /* 4-byte   PUBLISH, will */
    MQTT_PROP_CONTENT_TYPE = 0x03,                      /* string   PUBLISH, will */
    MQTT_PROP_RESPONSE_TOPIC = 0x08,                    /* string   PUBLISH, will */
    MQTT_PROP_CORRELATION_DATA = 0x09,                  /* binary   PUBLISH, will */
    MQTT_PROP_SUBSCRIPTION_IDENTIFIER = 0x0B,           /* varint   PUBLISH, SUBSCRIBE */
    MQTT_PROP_SESSION_EXPIRY_INTERVAL = 0x11,           /* 4-byte   CONNECT, CONNACK, DISCONNECT */
    MQTT_PROP_ASSIGNED_CLIENT_IDENTIFIER = 0x12,        /* string   CONNACK */
    MQTT_PROP_SERVER_KEEP_ALIVE = 0x13,                 /* 2-byte   CONNACK */
    MQTT_PROP_AUTHENTICATION_METHOD = 0x15,             /* string   CONNECT, CONNACK, AUTH */
    MQTT_PROP_AUTHENTICATION_DATA = 0x16,               /* binary   CONNECT, CONNACK, AUTH */
    MQTT_PROP_REQUEST_PROBLEM_INFORMATION = 0x17,       /* byte     CONNECT */
    MQTT_PROP_WILL_DELAY_INTERVAL = 0x18,               /* 4-byte   will */
    MQTT_PROP_REQUEST_RESPONSE_INFORMATION = 0x19,      /* byte     CONNECT */
    MQTT_PROP_RESPONSE_INFORMATION = 0x1A,              /* string   CONNACK */
    MQTT_PROP_SERVER_REFERENCE = 0x1C,                  /* string   CONNACK, DISCONNECT */
    MQTT_PROP_REASON_STRING = 0x1F,                     /* string   acks, DISCONNECT, AUTH */
    MQTT_PROP_RECEIVE_MAXIMUM = 0x21,                   /* 2-byte   CONNECT, CONNACK */
    MQTT_PROP_TOPIC_ALIAS_MAXIMUM = 0x22,               /* 2-byte   CONNECT, CONNACK */
    MQTT_PROP_TOPIC_ALIAS = 0x23,                       /* 2-byte   PUBLISH */
    MQTT_PROP_MAXIMUM_QOS = 0x24,                       /* byte     CONNACK */
    MQTT_PROP_RETAIN_AVAILABLE = 0x25,                  /* byte     CONNACK */
    MQTT_PROP_USER_PROPERTY = 0x26,                     /* pair     everywhere, repeatable */
    MQTT_PROP_MAXIMUM_PACKET_SIZE = 0x27,               /* 4-byte   CONNECT, CONNACK */
    MQTT_PROP_WILDCARD_SUBSCRIPTION_AVAILABLE = 0x28,   /* byte     CONNACK */
    MQTT_PROP_SUBSCRIPTION_IDENTIFIER_AVAILABLE = 0x29, /* byte     CONNACK */
    MQTT_PROP_SHARED_SUBSCRIPTION_AVAILABLE = 0x2A      /* byte     CONNACK */
} mqtt_prop_id;

typedef enum mqtt_prop_type {
    MQTT_PT_NONE = 0, /* unknown identifier */
    MQTT_PT_BYTE,     /* num */
    MQTT_PT_U16,      /* num */
    MQTT_PT_U32,      /* num */
    MQTT_PT_VARINT,   /* num */
    MQTT_PT_STRING,   /* str (UTF-8) */
    MQTT_PT_BINARY,   /* str (binary data) */
    MQTT_PT_PAIR      /* str = name, val = value (both UTF-8) */
} mqtt_prop_type;

/* One property (decoded, or given to the encoder). */
typedef struct mqtt_prop {
    uint8_t id;     /* mqtt_prop_id */
    uint32_t num;   /* BYTE, U16, U32, VARINT */
    mqtt_bytes str; /* STRING, BINARY, PAIR name */
    mqtt_bytes val; /* PAIR value */
} mqtt_prop;

/* A property list; see "Lists" at the top of this file.
 * Encoding: items[0..count) if items != NULL, else raw (the property bytes
 * WITHOUT the leading property length). Decoding: raw is set (items NULL,
 * count = number of properties). All zero = no properties. */
typedef struct mqtt_props {
    const mqtt_prop *items;
    size_t count;
    mqtt_bytes raw;
} mqtt_props;

/* Property builders (no allocation). */
static inline mqtt_prop mqtt_prop_int(uint8_t id, uint32_t v)
{
    mqtt_prop p;
    memset(&p, 0, sizeof p);
    p.id = id;
    p.num = v;
    return p;
}
static inline mqtt_prop mqtt_prop_bytes(uint8_t id, mqtt_bytes s)
{
    mqtt_prop p;
    memset(&p, 0, sizeof p);
    p.id = id;
    p.str = s;
    return p;
}
static inline mqtt_prop mqtt_prop_user(mqtt_bytes name, mqtt_bytes value)
{
    mqtt_prop p;
    memset(&p, 0, sizeof p);
    p.id = MQTT_PROP_USER_PROPERTY;
    p.str = name;
    p.val = value;
    return p;
}
/* Property list over a caller array. */
static inline mqtt_props mqtt_props_array(const mqtt_prop *items, size_t count)
{
    mqtt_props p;
    memset(&p, 0, sizeof p);
    p.items = items;
    p.count = count;
    return p;
}

/* Type of a property identifier (MQTT_PT_NONE if unknown). */
mqtt_prop_type mqtt_prop_type_of(uint8_t id);

/* Name of a property identifier ("Maximum QoS"...), "Unknown" if unknown. */
const char *mqtt_prop_name(uint8_t id);

/* Location value for the will properties of CONNECT (packet types are 1..15). */
#define MQTT_PROPS_WILL 0

/* Is property `id` allowed in packet `where` (mqtt_type or MQTT_PROPS_WILL)? */
bool mqtt_prop_allowed(uint8_t id, int where);

/* Iterate: *off starts at 0. Returns true and fills *out for each property,
 * false at the end (or if a raw list is malformed: validate it first, the
 * decoder always does). Works on both representations. */
bool mqtt_props_next(const mqtt_props *p, size_t *off, mqtt_prop *out);

/* Number of properties with identifier id (e.g. user properties). */
size_t mqtt_props_count(const mqtt_props *p, uint8_t id);

/* First property with identifier id: MQTT_OK or MQTT_ERR_NOT_FOUND. */
mqtt_err mqtt_props_find(const mqtt_props *p, uint8_t id, mqtt_prop *out);

/* Integer property (BYTE, U16, U32, VARINT): MQTT_OK, MQTT_ERR_NOT_FOUND, or
 * MQTT_ERR_PROPERTY if id is not an integer property. */
mqtt_err mqtt_props_get_int(const mqtt_props *p, uint8_t id, uint32_t *out);

/* String or binary property (STRING, BINARY; PAIR gives the name):
 * MQTT_OK, MQTT_ERR_NOT_FOUND, MQTT_ERR_PROPERTY if id is an integer one. */
mqtt_err mqtt_props_get_bytes(const mqtt_props *p, uint8_t id, mqtt_bytes *out);

/* Validate a property list for packet `where` (mqtt_type or MQTT_PROPS_WILL):
 * well-formed, known ids (MQTT_ERR_PROPERTY), allowed there
 * (MQTT_ERR_PROPERTY), valid values and UTF-8 (MQTT_ERR_PROPERTY_VALUE or the
 * UTF-8 error), no forbidden duplicates (MQTT_ERR_PROPERTY_DUP: all but User
 * Property, and Subscription Identifier in PUBLISH). where = -1 skips the
 * "allowed" check (and allows repeated Subscription Identifiers). Works on
 * both representations. */
mqtt_err mqtt_props_validate(const mqtt_props *p, int where);

/* Copy the properties of `in` (either representation) into out[0..cap),
 * in order, leaving out every property whose id is in drop[0..ndrop) (to
 * re-encode a packet with some properties removed, replaced or added).
 * *count = properties copied; MQTT_ERR_NO_SPACE when cap is too small
 * (*count = the number needed). The copies are views into in's bytes. */
mqtt_err mqtt_props_copy_except(mqtt_prop *out, size_t cap, size_t *count, const mqtt_props *in,
                                const uint8_t *drop, size_t ndrop);

/* Encoded size of the property list (without its length prefix). For an
 * array, an unknown id or over-long string gives MQTT_ERR_PROPERTY /
 * MQTT_ERR_STRING_TOO_LONG. */
mqtt_err mqtt_props_size(const mqtt_props *p, size_t *size);

/* Encode the property list (without the length prefix) into buf[0..cap).
 * *len = bytes written (or needed, with MQTT_ERR_NO_SPACE). Not validated:
 * call mqtt_props_validate if needed. */
mqtt_err mqtt_props_encode(uint8_t *buf, size_t cap, size_t *len, const mqtt_props *p);

/* ------------------------------------------------------------------ */
/* Reason codes                                                        */
/* ------------------------------------------------------------------ */

enum {
    MQTT_RC_SUCCESS = 0x00, /* also Normal disconnection, Granted QoS 0 */
    MQTT_RC_GRANTED_QOS_1 = 0x01,
    MQTT_RC_GRANTED_QOS_2 = 0x02,
    MQTT_RC_DISCONNECT_WITH_WILL = 0x04,
    MQTT_RC_NO_MATCHING_SUBSCRIBERS = 0x10,
    MQTT_RC_NO_SUBSCRIPTION_EXISTED = 0x11,
    MQTT_RC_CONTINUE_AUTHENTICATION = 0x18,
    MQTT_RC_REAUTHENTICATE = 0x19,
    MQTT_RC_UNSPECIFIED_ERROR = 0x80, /* also 3.1.1 SUBACK failure */
    MQTT_RC_MALFORMED_PACKET = 0x81,
    MQTT_RC_PROTOCOL_ERROR = 0x82,
    MQTT_RC_IMPLEMENTATION_SPECIFIC = 0x83,
    MQTT_RC_UNSUPPORTED_PROTOCOL_VERSION = 0x84,
    MQTT_RC_CLIENT_ID_NOT_VALID = 0x85,
    MQTT_RC_BAD_USERNAME_OR_PASSWORD = 0x86,
    MQTT_RC_NOT_AUTHORIZED = 0x87,
    MQTT_RC_SERVER_UNAVAILABLE = 0x88,
    MQTT_RC_SERVER_BUSY = 0x89,
    MQTT_RC_BANNED = 0x8A,
    MQTT_RC_SERVER_SHUTTING_DOWN = 0x8B,
    MQTT_RC_BAD_AUTHENTICATION_METHOD = 0x8C,
    MQTT_RC_KEEP_ALIVE_TIMEOUT = 0x8D,
    MQTT_RC_SESSION_TAKEN_OVER = 0x8E,
    MQTT_RC_TOPIC_FILTER_INVALID = 0x8F,
    MQTT_RC_TOPIC_NAME_INVALID = 0x90,
    MQTT_RC_PACKET_ID_IN_USE = 0x91,
    MQTT_RC_PACKET_ID_NOT_FOUND = 0x92,
    MQTT_RC_RECEIVE_MAXIMUM_EXCEEDED = 0x93,
    MQTT_RC_TOPIC_ALIAS_INVALID = 0x94,
    MQTT_RC_PACKET_TOO_LARGE = 0x95,
    MQTT_RC_MESSAGE_RATE_TOO_HIGH = 0x96,
    MQTT_RC_QUOTA_EXCEEDED = 0x97,
    MQTT_RC_ADMINISTRATIVE_ACTION = 0x98,
    MQTT_RC_PAYLOAD_FORMAT_INVALID = 0x99,
    MQTT_RC_RETAIN_NOT_SUPPORTED = 0x9A,
    MQTT_RC_QOS_NOT_SUPPORTED = 0x9B,
    MQTT_RC_USE_ANOTHER_SERVER = 0x9C,
    MQTT_RC_SERVER_MOVED = 0x9D,
    MQTT_RC_SHARED_SUBS_NOT_SUPPORTED = 0x9E,
    MQTT_RC_CONNECTION_RATE_EXCEEDED = 0x9F,
    MQTT_RC_MAXIMUM_CONNECT_TIME = 0xA0,
    MQTT_RC_SUBSCRIPTION_IDS_NOT_SUPPORTED = 0xA1,
    MQTT_RC_WILDCARD_SUBS_NOT_SUPPORTED = 0xA2
};

/* 3.1.1 CONNACK return codes. */
enum {
    MQTT_V3_CONNACK_ACCEPTED = 0,
    MQTT_V3_CONNACK_BAD_PROTOCOL_VERSION = 1,
    MQTT_V3_CONNACK_IDENTIFIER_REJECTED = 2,
    MQTT_V3_CONNACK_SERVER_UNAVAILABLE = 3,
    MQTT_V3_CONNACK_BAD_USERNAME_OR_PASSWORD = 4,
    MQTT_V3_CONNACK_NOT_AUTHORIZED = 5
};

/* Name of a 5.0 reason code as in the standard ("Success", "Not authorized",
 * ...); 0x00 gives "Success". NULL if the value is not a reason code. */
const char *mqtt_reason_name(uint8_t code);

/* Name of `code` as used in packet `type` for `version`: e.g. 0x00 in
 * DISCONNECT -> "Normal disconnection", in SUBACK -> "Granted QoS 0";
 * 3.1.1 CONNACK return codes ("Connection Refused, not authorized"...).
 * NULL if the code is not valid for that packet/version. */
const char *mqtt_reason_name_for(int version, int type, uint8_t code);

/* Is `code` a valid reason/return code for packet `type` in `version`? */
bool mqtt_reason_valid(int version, int type, uint8_t code);

/* ------------------------------------------------------------------ */
/* Packets                                                             */
/* ------------------------------------------------------------------ */

/* CONNECT connect-flags bits. */
#define MQTT_CONNECT_FLAG_RESERVED 0x01u
#define MQTT_CONNECT_FLAG_CLEAN 0x02u
#define MQTT_CONNECT_FLAG_WILL 0x04u
#define MQTT_CONNECT_FLAG_WILL_QOS_SHIFT 3
#define MQTT_CONNECT_FLAG_WILL_RETAIN 0x20u
#define MQTT_CONNECT_FLAG_PASSWORD 0x40u
#define MQTT_CONNECT_FLAG_USERNAME 0x80u

typedef struct mqtt_connect {
    mqtt_bytes protocol_name; /* encode: empty = "MQTT" */
    uint8_t protocol_level;   /* encode: 0 = the version argument */
    uint8_t connect_flags;    /* decode: as received; encode: computed from the
                                 fields below, or used verbatim with
                                 MQTT_ENC_RAW_FLAGS (the payload still follows
                                 will / has_username / has_password) */
    bool clean_start;         /* 3.1.1: Clean Session */
    uint16_t keep_alive;
    mqtt_props props; /* 5.0 */
    mqtt_bytes client_id;
    bool will;
    uint8_t will_qos;
    bool will_retain;
    mqtt_props will_props; /* 5.0 */
    mqtt_bytes will_topic;
    mqtt_bytes will_payload;
    bool has_username;
    mqtt_bytes username;
    bool has_password;
    mqtt_bytes password;
} mqtt_connect;

typedef struct mqtt_connack {
    bool session_present;
    uint8_t reason_code; /* 3.1.1: return code 0..5; 5.0: reason code */
    mqtt_props props;    /* 5.0 */
} mqtt_connack;

typedef struct mqtt_publish {
    bool dup;
    uint8_t qos; /* 0..2 (3 only with MQTT_ENC_NO_VALIDATE) */
    bool retain;
    mqtt_bytes topic;
    uint16_t packet_id; /* present when qos > 0 */
    mqtt_props props;   /* 5.0 */
    mqtt_bytes payload;
} mqtt_publish;

/* PUBACK, PUBREC, PUBREL, PUBCOMP. */
typedef struct mqtt_ack {
    uint16_t packet_id;
    uint8_t reason_code; /* 5.0 (ignored in 3.1.1) */
    mqtt_props props;    /* 5.0 */
} mqtt_ack;

/* One SUBSCRIBE entry. Options byte = qos | no_local<<2 |
 * retain_as_published<<3 | retain_handling<<4 (3.1.1: qos only). */
typedef struct mqtt_sub {
    mqtt_bytes filter;
    uint8_t qos;
    bool no_local;            /* 5.0 */
    bool retain_as_published; /* 5.0 */
    uint8_t retain_handling;  /* 5.0: 0..2 */
} mqtt_sub;

typedef struct mqtt_subscribe {
    uint16_t packet_id;
    mqtt_props props;     /* 5.0 */
    const mqtt_sub *subs; /* encode: array of count entries; decode: NULL */
    size_t count;         /* number of entries (decode: set) */
    mqtt_bytes raw;       /* decode: the encoded entries (payload) */
} mqtt_subscribe;

/* SUBACK and UNSUBACK (3.1.1 UNSUBACK has no codes). */
typedef struct mqtt_suback {
    uint16_t packet_id;
    mqtt_props props;     /* 5.0 */
    const uint8_t *codes; /* one reason code per filter */
    size_t count;
} mqtt_suback;

typedef struct mqtt_unsubscribe {
    uint16_t packet_id;
    mqtt_props props;          /* 5.0 */
    const mqtt_bytes *filters; /* encode: array of count filters; decode: NULL */
    size_t count;              /* decode: set */
    mqtt_bytes raw;            /* decode: the encoded filters (payload) */
} mqtt_unsubscribe;

/* DISCONNECT (reason code and properties 5.0 only) and AUTH (5.0 only). */
typedef struct mqtt_reason {
    uint8_t reason_code;
    mqtt_props props;
} mqtt_reason;

/* Any packet. Zero it (or use mqtt_packet_init) before filling it. */
typedef struct mqtt_packet {
    mqtt_type type;
    uint8_t flags; /* low nibble of the fixed header. decode: as received;
                      encode: computed, or used verbatim with
                      MQTT_ENC_RAW_FLAGS */
    union {
        mqtt_connect connect;         /* CONNECT */
        mqtt_connack connack;         /* CONNACK */
        mqtt_publish publish;         /* PUBLISH */
        mqtt_ack ack;                 /* PUBACK PUBREC PUBREL PUBCOMP */
        mqtt_subscribe subscribe;     /* SUBSCRIBE */
        mqtt_suback suback;           /* SUBACK */
        mqtt_suback unsuback;         /* UNSUBACK (same type as suback) */
        mqtt_unsubscribe unsubscribe; /* UNSUBSCRIBE */
        mqtt_reason disconnect;       /* DISCONNECT */
        mqtt_reason auth;             /* AUTH */
    };
} mqtt_packet;

/* Zero *p and set its type. */
void mqtt_packet_init(mqtt_packet *p, mqtt_type type);

/* Iterate SUBSCRIBE entries (array or raw): *off starts at 0; true per
 * entry, false at the end (or on a malformed raw list). */
bool mqtt_sub_next(const mqtt_subscribe *s, size_t *off, mqtt_sub *out);

/* Iterate UNSUBSCRIBE filters (array or raw), same contract. */
bool mqtt_unsub_next(const mqtt_unsubscribe *u, size_t *off, mqtt_bytes *out);

/* ------------------------------------------------------------------ */
/* Encode / decode                                                     */
/* ------------------------------------------------------------------ */

/* Encoder options (bit set). */
#define MQTT_ENC_DEFAULT 0u /* validate everything, compute the flags */
#define MQTT_ENC_NO_VALIDATE                            \
    1u /* no validation: any QoS (0..3), ill-formed     \
          UTF-8, invalid topics/filters, packet id 0,   \
          any reason code, any known property anywhere, \
          duplicates, raw lists copied as is */
#define MQTT_ENC_RAW_FLAGS                            \
    2u /* use p->flags as the fixed-header low nibble \
          and connect.connect_flags verbatim */
#define MQTT_ENC_RAW (MQTT_ENC_NO_VALIDATE | MQTT_ENC_RAW_FLAGS)

/* Encode packet p for `version` (MQTT_V311 or MQTT_V5) into buf[0..cap).
 * *len = bytes written. With MQTT_ERR_NO_SPACE, *len = bytes needed (so
 * buf = NULL, cap = 0 measures). Fields that do not exist in the version
 * (3.1.1 reason codes of acks and DISCONNECT) are ignored; non-empty
 * properties in 3.1.1 give MQTT_ERR_VERSION unless MQTT_ENC_NO_VALIDATE
 * (then they are ignored); AUTH in 3.1.1 gives MQTT_ERR_VERSION.
 * Fields that cannot be represented (string > 65535 bytes, remaining length
 * > 268435455, unknown property id in an array) are errors in every mode. */
mqtt_err mqtt_encode(uint8_t *buf, size_t cap, size_t *len, const mqtt_packet *p, int version,
                     unsigned opts);

/* Decode exactly one framed packet buf[0..len) (len = the packet_len from
 * mqtt_frame) for `version`, validating strictly. On success *out describes
 * the packet with views into buf. Fewer bytes than the remaining length says
 * gives MQTT_ERR_TRUNCATED, more gives MQTT_ERR_TRAILING.
 * version 0 is allowed for CONNECT only (a server does not know the version
 * yet): the version is then taken from the protocol level (4 or 5); with a
 * non-zero version a different protocol level gives
 * MQTT_ERR_PROTOCOL_VERSION. The version is in out->connect.protocol_level.
 * Note: a 3.1.1-only server answers a 5.0 CONNECT with a 3.1.1 CONNACK
 * (remaining length 2, return code 1); decoding it with MQTT_V5 fails
 * (MQTT_ERR_TRUNCATED / MQTT_ERR_REASON_CODE): retry with MQTT_V311.
 * Even on error, out->type and out->flags are set when buf is not empty. */
mqtt_err mqtt_decode(const uint8_t *buf, size_t len, int version, mqtt_packet *out);

#ifdef __cplusplus
}
#endif

#endif /* E4_MQTT_H */
