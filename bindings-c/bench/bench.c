/* Publish and consume loops in C with Warren and with rabbitmq-c, side by side, against one
 * broker in one run: 16-byte transient messages, and persistent messages with publisher
 * confirms. Prints one line per measurement:
 *   <scenario> <client> <messages> <seconds> <msg/s>
 * Usage: bench URI [TRANSIENT_COUNT] [PERSISTENT_COUNT] */
#define _POSIX_C_SOURCE 200809L
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <warren.h>

static const char *uri;
static const uint8_t BODY[16] = "0123456789abcdef";

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void fail(const char *what) {
    warren_error e;
    if (warren_last_error(&e) == WARREN_OK) fprintf(stderr, "bench: %s: %s\n", what, e.message);
    else fprintf(stderr, "bench: %s\n", what);
    exit(1);
}

static void report(const char *scenario, const char *client, long n, double seconds) {
    printf("%s %s %ld %.3f %.0f\n", scenario, client, n, seconds, (double)n / seconds);
    fflush(stdout);
}

/* ---- rabbitmq-c ---- */

static amqp_connection_state_t rmq_open(void) {
    struct amqp_connection_info info;
    char *copy = strdup(uri);
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(c);
    if (amqp_parse_url(copy, &info) != AMQP_STATUS_OK) fail("rabbitmq-c: bad URI");
    if (amqp_socket_open(s, info.host, info.port) != AMQP_STATUS_OK) fail("rabbitmq-c: connect");
    if (amqp_login(c, info.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, info.user, info.password).reply_type !=
        AMQP_RESPONSE_NORMAL)
        fail("rabbitmq-c: login");
    amqp_channel_open(c, 1);
    if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) fail("rabbitmq-c: channel");
    free(copy);
    return c;
}

static void rmq_close(amqp_connection_state_t c) {
    amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
}

/* A round trip on the channel: every publish before it has reached the broker. */
static uint32_t rmq_count(amqp_connection_state_t c, const char *q) {
    amqp_queue_declare_ok_t *ok = amqp_queue_declare(c, 1, amqp_cstring_bytes(q), 1, 0, 0, 0, amqp_empty_table);
    if (!ok) fail("rabbitmq-c: queue.declare passive");
    return ok->message_count;
}

static double rmq_publish(const char *q, long n, int persistent) {
    amqp_connection_state_t c = rmq_open();
    amqp_basic_properties_t props;
    amqp_bytes_t body;
    long i, acked = 0;
    double t0;
    memset(&props, 0, sizeof props);
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = persistent ? 2 : 1;
    body.bytes = (void *)BODY;
    body.len = sizeof BODY;
    if (persistent) {
        amqp_confirm_select(c, 1);
        if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) fail("rabbitmq-c: confirm.select");
    }
    t0 = now();
    for (i = 0; i < n; i++) {
        if (amqp_basic_publish(c, 1, amqp_cstring_bytes(""), amqp_cstring_bytes(q), 0, 0, &props, body) != AMQP_STATUS_OK)
            fail("rabbitmq-c: publish");
    }
    if (persistent) {
        /* Read basic.ack frames until every publish is confirmed. */
        while (acked < n) {
            amqp_frame_t frame;
            if (amqp_simple_wait_frame(c, &frame) != AMQP_STATUS_OK) fail("rabbitmq-c: wait frame");
            if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
                amqp_basic_ack_t *ack = frame.payload.method.decoded;
                acked = ack->multiple ? (long)ack->delivery_tag : acked + 1;
            }
        }
    } else {
        rmq_count(c, q);
    }
    t0 = now() - t0;
    rmq_close(c);
    return t0;
}

static double rmq_consume(const char *q, long n, int ack) {
    amqp_connection_state_t c = rmq_open();
    long i;
    double t0;
    amqp_basic_qos(c, 1, 0, 1000, 0);
    amqp_basic_consume(c, 1, amqp_cstring_bytes(q), amqp_empty_bytes, 0, ack ? 0 : 1, 0, amqp_empty_table);
    if (amqp_get_rpc_reply(c).reply_type != AMQP_RESPONSE_NORMAL) fail("rabbitmq-c: consume");
    t0 = now();
    for (i = 0; i < n; i++) {
        amqp_envelope_t env;
        amqp_maybe_release_buffers(c);
        if (amqp_consume_message(c, &env, NULL, 0).reply_type != AMQP_RESPONSE_NORMAL) fail("rabbitmq-c: consume message");
        if (ack && (i % 100 == 99 || i == n - 1)) amqp_basic_ack(c, 1, env.delivery_tag, 1);
        amqp_destroy_envelope(&env);
    }
    t0 = now() - t0;
    rmq_close(c);
    return t0;
}

/* ---- Warren ---- */

static double warren_publish(const char *q, long n, int persistent) {
    warren_connection *conn = NULL;
    warren_channel *ch = NULL;
    warren_properties *props = warren_properties_new();
    warren_queue_info info;
    bool all_acked = false;
    long i;
    double t0;
    if (warren_connection_open(uri, &conn) != WARREN_OK) fail("warren: connect");
    if (warren_connection_open_channel(conn, &ch) != WARREN_OK) fail("warren: channel");
    warren_properties_set_delivery_mode(props, persistent ? 2 : 1);
    if (persistent && warren_channel_confirm_select(ch) != WARREN_OK) fail("warren: confirm.select");
    t0 = now();
    for (i = 0; i < n; i++) {
        if (warren_channel_basic_publish(ch, "", q, BODY, sizeof BODY, props, 0) != WARREN_OK) fail("warren: publish");
    }
    if (persistent) {
        if (warren_channel_wait_for_confirms(ch, -1, &all_acked) != WARREN_OK || !all_acked) fail("warren: confirms");
    } else if (warren_channel_queue_declare(ch, q, WARREN_PASSIVE, NULL, &info) != WARREN_OK) {
        fail("warren: queue.declare passive");
    }
    t0 = now() - t0;
    warren_properties_free(props);
    warren_channel_free(ch);
    warren_connection_free(conn);
    return t0;
}

static double warren_consume(const char *q, long n, int ack) {
    warren_connection *conn = NULL;
    warren_channel *ch = NULL;
    long i;
    double t0;
    if (warren_connection_open(uri, &conn) != WARREN_OK) fail("warren: connect");
    if (warren_connection_open_channel(conn, &ch) != WARREN_OK) fail("warren: channel");
    warren_channel_basic_qos(ch, 1000, false);
    if (warren_channel_basic_consume(ch, q, NULL, ack ? 0 : WARREN_NO_ACK, NULL, NULL) != WARREN_OK) fail("warren: consume");
    t0 = now();
    for (i = 0; i < n; i++) {
        warren_delivery *d = NULL;
        if (warren_channel_next_delivery(ch, 30000, &d) != WARREN_OK) fail("warren: next delivery");
        if (ack && (i % 100 == 99 || i == n - 1)) warren_channel_basic_ack(ch, warren_delivery_tag(d), true);
        warren_delivery_free(d);
    }
    t0 = now() - t0;
    warren_channel_free(ch);
    warren_connection_free(conn);
    return t0;
}

static void declare(const char *q, int durable) {
    warren_connection *conn = NULL;
    warren_channel *ch = NULL;
    if (warren_connection_open(uri, &conn) != WARREN_OK) fail("warren: connect");
    if (warren_connection_open_channel(conn, &ch) != WARREN_OK) fail("warren: channel");
    warren_channel_queue_delete(ch, q, 0, NULL);
    if (warren_channel_queue_declare(ch, q, durable ? WARREN_DURABLE : 0, NULL, NULL) != WARREN_OK) fail("warren: declare");
    warren_channel_free(ch);
    warren_connection_free(conn);
}

static void drop(const char *q) {
    warren_connection *conn = NULL;
    warren_channel *ch = NULL;
    if (warren_connection_open(uri, &conn) != WARREN_OK) return;
    if (warren_connection_open_channel(conn, &ch) == WARREN_OK) warren_channel_queue_delete(ch, q, 0, NULL);
    warren_channel_free(ch);
    warren_connection_free(conn);
}

int main(int argc, char **argv) {
    long transient = argc > 2 ? atol(argv[2]) : 200000;
    long persistent = argc > 3 ? atol(argv[3]) : 20000;
    char q[64];
    int round;
    if (argc < 2) {
        fprintf(stderr, "usage: bench URI [TRANSIENT_COUNT] [PERSISTENT_COUNT]\n");
        return 2;
    }
    uri = argv[1];
    snprintf(q, sizeof q, "warren-c-bench-%ld", (long)getpid());
    /* Alternate the clients so that neither always runs on a warmer broker. */
    for (round = 0; round < 2; round++) {
        int warren_first = round == 0;
        int k;
        for (k = 0; k < 2; k++) {
            int is_warren = (k == 0) == warren_first;
            const char *name = is_warren ? "warren" : "rabbitmq-c";
            declare(q, 0);
            report("publish-16B-transient", name, transient,
                   is_warren ? warren_publish(q, transient, 0) : rmq_publish(q, transient, 0));
            report("consume-16B-transient", name, transient,
                   is_warren ? warren_consume(q, transient, 0) : rmq_consume(q, transient, 0));
            declare(q, 1);
            report("publish-persistent-confirmed", name, persistent,
                   is_warren ? warren_publish(q, persistent, 1) : rmq_publish(q, persistent, 1));
            report("consume-persistent-acked", name, persistent,
                   is_warren ? warren_consume(q, persistent, 1) : rmq_consume(q, persistent, 1));
        }
    }
    drop(q);
    return 0;
}
