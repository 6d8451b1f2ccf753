/*
 * A complete device with libe4 and libmosquitto: it keeps its key state in a
 * file, obeys C2 commands on its control topic, prints what it receives on
 * its topics, and publishes a reading every few seconds.
 *
 *   device BROKER_HOST PORT STATE_FILE [TOPIC]
 *
 * The state file is created once (for example by `e4 client --state FILE`
 * or by provisioning code calling e4_client_new_sk with state_path).
 */
#include <e4/client.h>

#include <mosquitto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
    e4_client *e4 = arg;
    uint8_t *plain = malloc((size_t)msg->payloadlen + 1);
    size_t len;
    /* Every message, on a data topic or the control topic, goes through
     * unprotect: libe4 tells commands and payloads apart by the topic. */
    e4_err err = e4_client_unprotect(e4, msg->topic, msg->payload, (size_t)msg->payloadlen, plain,
                                     (size_t)msg->payloadlen + 1, &len);
    if (err == E4_OK)
        printf("%s: %.*s\n", msg->topic, (int)len, (char *)plain);
    else if (err == E4_COMMAND)
        printf("command from C2 applied (state saved)\n");
    else
        fprintf(stderr, "%s: rejected: %s\n", msg->topic, e4_strerror(err));
    free(plain);
    (void)m;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s HOST PORT STATE_FILE [TOPIC]\n", argv[0]);
        return 2;
    }
    const char *topic = argc > 4 ? argv[4] : "sensors/demo";
    e4_client_options opt = {.state_path = argv[3]};
    e4_client *e4;
    e4_err err = e4_client_open(&e4, &opt);
    if (err) {
        fprintf(stderr, "cannot load %s: %s\n", argv[3], e4_strerror(err));
        return 1;
    }

    mosquitto_lib_init();
    struct mosquitto *m = mosquitto_new(NULL, true, e4);
    mosquitto_message_callback_set(m, on_message);
    if (!m || mosquitto_connect(m, argv[1], atoi(argv[2]), 30) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "cannot connect to %s:%s\n", argv[1], argv[2]);
        return 1;
    }
    /* Commands arrive with QoS 2 on the control topic. */
    mosquitto_subscribe(m, NULL, e4_client_control_topic(e4), 2);
    mosquitto_subscribe(m, NULL, topic, 1);
    mosquitto_loop_start(m);

    for (int i = 0;; i++) {
        char reading[64];
        uint8_t wire[64 + E4_PK_OVERHEAD];
        size_t len;
        int n = snprintf(reading, sizeof reading, "temperature=%d.%d", 20 + i % 5, i % 10);
        err = e4_client_protect(e4, topic, (const uint8_t *)reading, (size_t)n, wire, sizeof wire,
                                &len);
        if (err == E4_OK)
            mosquitto_publish(m, NULL, topic, (int)len, wire, 1, false);
        else
            fprintf(stderr, "cannot protect: %s\n", e4_strerror(err)); /* e.g. no key yet */
        sleep(5);
    }
}
