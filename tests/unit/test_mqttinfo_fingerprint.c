/*
 * test_mqttinfo_fingerprint.c - the product guess (src/mqttinfo/fingerprint.c)
 * from recorded answers: one case per product whose broker cannot be
 * installed here (EMQX, NanoMQ, VerneMQ), the rules that tell relatives
 * apart (aedes and mosca), and the promise that a lone supporting
 * observation or no observation at all gives "unknown". The real brokers
 * are checked by tests/integration/test_mqttinfo_<product>.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mi.h"
#include "mqtt.h"

static mi_result *fresh(void)
{
    mi_result *r = calloc(1, sizeof *r);
    assert_non_null(r);
    for (int i = 0; i < MI_C_COUNT; i++) {
        r->v311.check[i] = r->v5.check[i] = MI_NULL;
        r->v311.ack_code[i] = r->v5.ack_code[i] = -1;
    }
    r->v311.qos2_answer = r->v5.qos2_answer = -1;
    r->v311.anon_connack_code = r->v5.anon_connack_code = -1;
    return r;
}

static void add_topic(mi_result *r, const char *t)
{
    r->sys.topics[r->sys.ntopics_stored++] = strdup(t);
}

static void announce(mi_result *r, const char *topic)
{
    r->sys.canary_announced = true;
    mi_strlcpy(r->sys.announce_topic, topic, sizeof r->sys.announce_topic);
    add_topic(r, topic);
}

static void done(mi_result *r)
{
    for (int i = 0; i < r->sys.ntopics_stored; i++)
        free(r->sys.topics[i]);
    free(r);
}

static void expect(mi_result *r, const char *name, const char *version)
{
    mi_fingerprint(r);
    assert_string_equal(r->product.name, name);
    assert_string_equal(r->product.version, version);
    if (strcmp(name, "unknown") == 0) {
        assert_int_equal(r->product.nevidence, 0);
    } else {
        assert_true(r->product.nevidence > 0);
        assert_true(r->product.confidence >= 0.1 && r->product.confidence <= 0.99);
    }
}

static void no_evidence_is_unknown(void **state)
{
    (void)state;
    mi_result *r = fresh();
    r->v311.check[MI_C_SUPPORTED] = MI_YES;
    r->v311.qos2_answer = MQTT_PUBREC;
    expect(r, "unknown", "");
    done(r);
}

static void lone_supporting_observation_is_unknown(void **state)
{
    (void)state;
    mi_result *r = fresh(); /* ActiveMQ answers 5.0 like aedes does */
    r->v5.v311_shaped_connack = true;
    r->v5.anon_connack_code = 1;
    r->v311.qos2_answer = MQTT_PUBREC;
    r->v311.check[MI_C_QOS2] = MI_YES;
    expect(r, "unknown", "");
    done(r);
}

static void sys_version_names_product_and_version(void **state)
{
    (void)state;
    mi_result *r = fresh();
    mi_strlcpy(r->sys.version, "mosquitto version 2.0.18", sizeof r->sys.version);
    mi_strlcpy(r->sys.version_topic, "$SYS/broker/version", sizeof r->sys.version_topic);
    expect(r, "mosquitto", "2.0.18");
    assert_non_null(strstr(r->product.evidence[0], "$SYS/broker/version says"));
    done(r);
}

static void emqx_from_sys_layout(void **state)
{
    (void)state;
    mi_result *r = fresh();
    add_topic(r, "$SYS/brokers/emqx@127.0.0.1/version");
    announce(r, "$SYS/brokers/emqx@127.0.0.1/clients/mqttinfo-k/connected");
    expect(r, "emqx", "");
    assert_true(r->product.confidence >= 0.99);
    done(r);
}

static void nanomq_and_vernemq_from_sys_layout(void **state)
{
    (void)state;
    mi_result *r = fresh();
    add_topic(r, "$SYS/brokers/connected");
    expect(r, "nanomq", "");
    done(r);
    r = fresh();
    add_topic(r, "$SYS/VerneMQ@127.0.0.1/mqtt/connect/received");
    expect(r, "vernemq", "");
    done(r);
}

static void aedes_and_mosca_told_apart(void **state)
{
    (void)state;
    mi_result *r = fresh();
    announce(r, "$SYS/eb82dd4c-278d-4985-bb68-df0309fe378f/new/clients");
    r->v311.qos2_answer = MQTT_PUBREC;
    r->v311.check[MI_C_QOS2] = MI_YES;
    expect(r, "aedes", "");
    done(r);
    r = fresh();
    announce(r, "$SYS/3DOsQfh/new/clients");
    r->v311.qos2_answer = 0;
    expect(r, "mosca", "");
    done(r);
}

static void rabbitmq_from_qos2_downgrade(void **state)
{
    (void)state;
    mi_result *r = fresh();
    r->v311.qos2_answer = MQTT_PUBACK;
    expect(r, "rabbitmq", "");
    done(r);
}

static void competing_evidence_lowers_confidence(void **state)
{
    (void)state;
    mi_result *r = fresh();
    mi_strlcpy(r->sys.version, "mosquitto version 2.0.11", sizeof r->sys.version);
    mi_strlcpy(r->sys.version_topic, "$SYS/broker/version", sizeof r->sys.version_topic);
    r->v311.qos2_answer = MQTT_PUBACK; /* a RabbitMQ tell too */
    mi_fingerprint(r);
    assert_string_equal(r->product.name, "mosquitto");
    assert_true(r->product.confidence < 0.9 - 0.3);
    done(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_evidence_is_unknown),
        cmocka_unit_test(lone_supporting_observation_is_unknown),
        cmocka_unit_test(sys_version_names_product_and_version),
        cmocka_unit_test(emqx_from_sys_layout),
        cmocka_unit_test(nanomq_and_vernemq_from_sys_layout),
        cmocka_unit_test(aedes_and_mosca_told_apart),
        cmocka_unit_test(rabbitmq_from_qos2_downgrade),
        cmocka_unit_test(competing_evidence_lowers_confidence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
