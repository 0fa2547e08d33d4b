/* Every AMQP operation of the C API against a broker (WARREN_TEST_URI), and the error paths
 * with their codes: bad URI, refused login, connection refused, 404, 406, closed channel. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <poll.h>
#include <pthread.h>

static warren_connection *conn;

static warren_channel *open_channel(void) {
    warren_channel *ch = NULL;
    CHECK_OK(warren_connection_open_channel(conn, &ch));
    return ch;
}

/* A fresh exclusive, server-named queue; its name goes to `name`. */
static void temp_queue(warren_channel *ch, char *name) {
    warren_queue_info info;
    memset(&info, 0, sizeof info);
    CHECK_OK(warren_channel_queue_declare(ch, "", WARREN_EXCLUSIVE | WARREN_AUTO_DELETE, NULL, &info));
    memcpy(name, info.queue, sizeof info.queue);
}

static void publish_text(warren_channel *ch, const char *exchange, const char *key, const char *text) {
    CHECK_OK(warren_channel_basic_publish(ch, exchange, key, (const uint8_t *)text, strlen(text), NULL, 0));
}

/* The queue's ready messages once they reach `expected` (at most 5 s): RabbitMQ answers a
 * passive declare before publishes that took another internal path have arrived. */
static uint32_t message_count(warren_channel *ch, const char *q, uint32_t expected) {
    warren_queue_info info;
    int tries = 0;
    info.message_count = 0;
    do {
        if (warren_channel_queue_declare(ch, q, WARREN_PASSIVE, NULL, &info) != WARREN_OK) return UINT32_MAX;
        if (info.message_count == expected) break;
        sleep_ms(50);
    } while (++tries < 100);
    return info.message_count;
}

static void connection_info(void) {
    warren_tuning tuning;
    warren_metrics m;
    warren_table *props = NULL;
    warren_field_value product;
    CHECK(warren_connection_is_open(conn));
    CHECK(warren_connection_is_connected(conn));
    CHECK(!warren_connection_is_blocked(conn));
    CHECK_OK(warren_connection_tuning(conn, &tuning));
    CHECK(tuning.channel_max > 0 && tuning.frame_max >= 4096);
    CHECK_OK(warren_connection_server_properties(conn, &props));
    CHECK_OK(warren_table_get(props, "product", &product));
    CHECK(product.kind == WARREN_FIELD_STRING && product.value.bytes.len > 0);
    warren_table_free(props);
    CHECK_OK(warren_connection_metrics(conn, &m));
    CHECK(m.connections == 1);
}

static void exchanges(void) {
    warren_channel *ch = open_channel();
    char src[128], dst[128];
    unique_name(src, sizeof src, "src");
    unique_name(dst, sizeof dst, "dst");
    CHECK_OK(warren_channel_exchange_declare(ch, src, "topic", 0, NULL));
    CHECK_OK(warren_channel_exchange_declare(ch, dst, "fanout", 0, NULL));
    CHECK_OK(warren_channel_exchange_declare(ch, src, "topic", WARREN_PASSIVE, NULL));
    CHECK_OK(warren_channel_exchange_bind(ch, dst, src, "a.#", NULL, 0));
    CHECK_OK(warren_channel_exchange_unbind(ch, dst, src, "a.#", NULL, 0));
    CHECK_OK(warren_channel_exchange_bind(ch, dst, src, "b.#", NULL, WARREN_NOWAIT));
    CHECK_OK(warren_channel_exchange_delete(ch, dst, 0));
    CHECK_OK(warren_channel_exchange_delete(ch, src, WARREN_IF_UNUSED));
    CHECK_RESULT(warren_channel_exchange_declare(ch, src, "topic", WARREN_NO_ACK, NULL), WARREN_INVALID_ARGUMENT);
    CHECK(warren_channel_is_open(ch));
    {
        bool active = false;
        CHECK_OK(warren_channel_flow(ch, true, &active));
        CHECK(active);
    }
    warren_channel_free(ch);
}

static void queues(void) {
    warren_channel *ch = open_channel();
    warren_table *args = warren_table_new();
    warren_queue_info info;
    char q[128], ex[128], server_named[256];
    uint32_t count = 99;
    int i;
    unique_name(q, sizeof q, "q");
    unique_name(ex, sizeof ex, "ex");
    CHECK_OK(warren_table_set_int(args, "x-message-ttl", 60000));
    CHECK_OK(warren_channel_queue_declare(ch, q, WARREN_AUTO_DELETE, args, &info));
    CHECK(strcmp(info.queue, q) == 0 && info.message_count == 0 && info.consumer_count == 0);
    temp_queue(ch, server_named);
    CHECK(strncmp(server_named, "amq.gen-", 8) == 0);
    CHECK_OK(warren_channel_exchange_declare(ch, ex, "direct", 0, NULL));
    CHECK_OK(warren_channel_queue_bind(ch, q, ex, "k", NULL, 0));
    for (i = 0; i < 3; i++) publish_text(ch, ex, "k", "hello");
    CHECK_OK(warren_channel_queue_unbind(ch, q, ex, "k", NULL, 0));
    publish_text(ch, ex, "k", "dropped: no binding");
    CHECK(message_count(ch, q, 3) == 3);
    CHECK_OK(warren_channel_queue_purge(ch, q, 0, &count));
    CHECK(count == 3);
    publish_text(ch, "", q, "one left");
    CHECK(message_count(ch, q, 1) == 1);
    CHECK_OK(warren_channel_queue_delete(ch, q, 0, &count));
    CHECK(count == 1);
    CHECK_OK(warren_channel_exchange_delete(ch, ex, 0));
    warren_table_free(args);
    warren_channel_free(ch);
}

static void publish_get_ack_nack_reject(void) {
    warren_channel *ch = open_channel();
    warren_properties *props = warren_properties_new();
    warren_delivery *d = NULL;
    char q[256];
    uint32_t left = 99;
    warren_bytes s;
    const warren_properties *got;
    uint8_t mode = 0;
    temp_queue(ch, q);
    CHECK_OK(warren_properties_set_string(props, WARREN_PROPERTY_CONTENT_TYPE, "text/plain"));
    CHECK_OK(warren_properties_set_string(props, WARREN_PROPERTY_MESSAGE_ID, "m-1"));
    CHECK_OK(warren_properties_set_delivery_mode(props, WARREN_DELIVERY_PERSISTENT));
    CHECK_OK(warren_channel_basic_publish(ch, "", q, (const uint8_t *)"a", 1, props, 0));
    CHECK_OK(warren_channel_basic_publish(ch, "", q, (const uint8_t *)"b", 1, NULL, 0));
    CHECK_OK(warren_channel_basic_publish(ch, "", q, (const uint8_t *)"c\0d", 3, NULL, 0));
    warren_properties_free(props);

    CHECK_OK(warren_channel_basic_get(ch, q, 0, &d));
    CHECK(bytes_eq(warren_delivery_body(d), "a"));
    CHECK(bytes_eq(warren_delivery_routing_key(d), q));
    CHECK(bytes_eq(warren_delivery_exchange(d), ""));
    CHECK(!warren_delivery_redelivered(d));
    CHECK(warren_delivery_tag(d) > 0);
    CHECK(warren_delivery_channel_id(d) == warren_channel_id(ch));
    CHECK_OK(warren_delivery_message_count(d, &left));
    CHECK(left == 2);
    got = warren_delivery_properties(d);
    CHECK_OK(warren_properties_get_string(got, WARREN_PROPERTY_CONTENT_TYPE, &s));
    CHECK(bytes_eq(s, "text/plain"));
    CHECK_OK(warren_properties_get_string(got, WARREN_PROPERTY_MESSAGE_ID, &s));
    CHECK(bytes_eq(s, "m-1"));
    CHECK_OK(warren_properties_get_delivery_mode(got, &mode));
    CHECK(mode == 2);
    CHECK_OK(warren_delivery_ack(d));
    warren_delivery_free(d);

    /* nack with requeue: it comes back, redelivered. */
    CHECK_OK(warren_channel_basic_get(ch, q, 0, &d));
    CHECK(bytes_eq(warren_delivery_body(d), "b"));
    CHECK_OK(warren_delivery_nack(d, true));
    warren_delivery_free(d);
    CHECK_OK(warren_channel_basic_get(ch, q, 0, &d));
    CHECK(bytes_eq(warren_delivery_body(d), "b"));
    CHECK(warren_delivery_redelivered(d));
    CHECK_OK(warren_channel_basic_reject(ch, warren_delivery_tag(d), false));
    warren_delivery_free(d);

    /* A body with a NUL in it, fetched no-ack. */
    CHECK_OK(warren_channel_basic_get(ch, q, WARREN_NO_ACK, &d));
    {
        warren_bytes b = warren_delivery_body(d);
        CHECK(b.len == 3 && memcmp(b.data, "c\0d", 3) == 0);
    }
    warren_delivery_free(d);
    d = NULL;
    CHECK_RESULT(warren_channel_basic_get(ch, q, 0, &d), WARREN_EMPTY);
    CHECK(d == NULL);

    /* basic.recover: an unacknowledged message comes back. */
    publish_text(ch, "", q, "again");
    CHECK_OK(warren_channel_basic_get(ch, q, 0, &d));
    warren_delivery_free(d);
    CHECK_OK(warren_channel_basic_recover(ch, true));
    {
        int tries = 0;
        warren_result r;
        d = NULL;
        while ((r = warren_channel_basic_get(ch, q, 0, &d)) == WARREN_EMPTY && tries++ < 50) sleep_ms(20);
        CHECK_OK(r);
        CHECK(d != NULL && warren_delivery_redelivered(d));
        if (d) CHECK_OK(warren_channel_basic_nack(ch, warren_delivery_tag(d), true, false));
        warren_delivery_free(d);
    }
    warren_channel_free(ch);
}

static void pull_consumers(void) {
    warren_channel *ch = open_channel();
    warren_channel *other = open_channel();
    warren_delivery *d = NULL;
    char q[256], q2[256], tag[WARREN_SHORT_STRING_SIZE], tag2[WARREN_SHORT_STRING_SIZE];
    temp_queue(ch, q);
    temp_queue(other, q2);
    CHECK_OK(warren_channel_basic_consume(ch, q, NULL, 0, NULL, tag));
    CHECK(strlen(tag) > 0);
    CHECK_OK(warren_channel_basic_consume(other, q2, "my-tag", WARREN_NO_ACK, NULL, tag2));
    CHECK(strcmp(tag2, "my-tag") == 0);
    CHECK_RESULT(warren_channel_next_delivery(ch, 50, &d), WARREN_TIMEOUT);
    publish_text(ch, "", q, "first");
    CHECK_OK(warren_channel_next_delivery(ch, 5000, &d));
    CHECK(bytes_eq(warren_delivery_body(d), "first"));
    CHECK(bytes_eq(warren_delivery_consumer_tag(d), tag));
    CHECK_OK(warren_delivery_ack(d));
    warren_delivery_free(d);
    /* The connection-wide pull serves every channel. */
    publish_text(ch, "", q2, "second");
    CHECK_OK(warren_connection_next_delivery(conn, 5000, &d));
    CHECK(bytes_eq(warren_delivery_body(d), "second"));
    CHECK(warren_delivery_channel_id(d) == warren_channel_id(other));
    warren_delivery_free(d);
    CHECK_OK(warren_channel_basic_cancel(ch, tag));
    publish_text(ch, "", q, "after cancel");
    CHECK_RESULT(warren_channel_next_delivery(ch, 200, &d), WARREN_TIMEOUT);
    warren_channel_free(other);
    warren_channel_free(ch);
}

struct counter {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int count;
    int acked;
};

static void count_and_ack(void *userdata, const warren_delivery *d) {
    struct counter *c = userdata;
    int ok = warren_delivery_ack(d) == WARREN_OK;
    pthread_mutex_lock(&c->lock);
    c->count++;
    c->acked += ok;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static int wait_count(struct counter *c, int n, int timeout_ms) {
    int got;
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    pthread_mutex_lock(&c->lock);
    while (c->count < n) {
        if (pthread_cond_timedwait(&c->changed, &c->lock, &deadline) != 0) break;
    }
    got = c->count;
    pthread_mutex_unlock(&c->lock);
    return got;
}

static void callback_consumer_and_qos(void) {
    warren_channel *ch = open_channel();
    struct counter c;
    char q[256], tag[WARREN_SHORT_STRING_SIZE];
    int i;
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.changed, NULL);
    c.count = c.acked = 0;
    temp_queue(ch, q);
    CHECK_OK(warren_channel_basic_qos(ch, 5, false));
    CHECK_RESULT(warren_channel_basic_consume_callback(ch, q, NULL, 0, NULL, NULL, &c, tag), WARREN_NULL_PARAMETER);
    CHECK_OK(warren_channel_basic_consume_callback(ch, q, NULL, 0, NULL, count_and_ack, &c, tag));
    for (i = 0; i < 50; i++) publish_text(ch, "", q, "cb");
    CHECK(wait_count(&c, 50, 10000) == 50);
    CHECK_OK(warren_channel_basic_cancel(ch, tag));
    CHECK(c.acked == 50);
    warren_channel_free(ch);
    pthread_cond_destroy(&c.changed);
    pthread_mutex_destroy(&c.lock);
}

static void confirms_and_tx(void) {
    warren_channel *ch = open_channel();
    warren_confirm *confirm = NULL;
    warren_confirmation outcome = WARREN_CONFIRM_NOT_REQUESTED;
    warren_confirm_event ev;
    char q[256];
    bool all_acked = false;
    int i;
    temp_queue(ch, q);
    /* Outside confirm mode there is nothing to wait for. */
    CHECK_OK(warren_channel_basic_publish_confirmed(ch, "", q, (const uint8_t *)"x", 1, NULL, 0, &confirm));
    CHECK_OK(warren_confirm_wait(confirm, 1000, &outcome));
    CHECK(outcome == WARREN_CONFIRM_NOT_REQUESTED);
    warren_confirm_free(confirm);
    CHECK_RESULT(warren_channel_wait_for_confirms(ch, 1000, &all_acked), WARREN_INVALID_STATE);

    CHECK_OK(warren_channel_confirm_select(ch));
    CHECK_RESULT(warren_channel_next_confirm(ch, 0, &ev), WARREN_TIMEOUT);
    CHECK(warren_channel_next_publish_seq_no(ch) == 1);
    CHECK_OK(warren_channel_basic_publish_confirmed(ch, "", q, (const uint8_t *)"y", 1, NULL, 0, &confirm));
    CHECK_OK(warren_confirm_wait(confirm, 10000, &outcome));
    CHECK(outcome == WARREN_CONFIRM_ACK);
    CHECK_RESULT(warren_confirm_wait(confirm, 10000, &outcome), WARREN_INVALID_STATE);
    warren_confirm_free(confirm);
    for (i = 0; i < 20; i++) publish_text(ch, "", q, "z");
    CHECK_OK(warren_channel_wait_for_confirms(ch, 10000, &all_acked));
    CHECK(all_acked);
    CHECK(warren_channel_next_publish_seq_no(ch) == 22);
    {
        uint64_t highest = 0;
        while (warren_channel_next_confirm(ch, 1000, &ev) == WARREN_OK) {
            CHECK(ev.outcome == WARREN_CONFIRM_ACK);
            if (ev.seq_no > highest) highest = ev.seq_no;
            if (highest == 21) break;
        }
        CHECK(highest == 21);
    }
    warren_channel_free(ch);

    /* A queue that refuses publishes: the broker nacks them. */
    ch = open_channel();
    {
        warren_table *args = warren_table_new();
        char full[128];
        unique_name(full, sizeof full, "full");
        CHECK_OK(warren_table_set_int(args, "x-max-length", 0));
        CHECK_OK(warren_table_set_string(args, "x-overflow", "reject-publish"));
        CHECK_OK(warren_channel_queue_declare(ch, full, WARREN_AUTO_DELETE, args, NULL));
        warren_table_free(args);
        CHECK_OK(warren_channel_confirm_select(ch));
        CHECK_OK(warren_channel_basic_publish_confirmed(ch, "", full, (const uint8_t *)"n", 1, NULL, 0, &confirm));
        CHECK_OK(warren_confirm_wait(confirm, 10000, &outcome));
        CHECK(outcome == WARREN_CONFIRM_NACK);
        warren_confirm_free(confirm);
        publish_text(ch, "", full, "n2");
        all_acked = true;
        CHECK_OK(warren_channel_wait_for_confirms(ch, 10000, &all_acked));
        CHECK(!all_acked);
        CHECK_OK(warren_channel_queue_delete(ch, full, 0, NULL));
    }
    warren_channel_free(ch);

    /* Transactions. */
    ch = open_channel();
    temp_queue(ch, q);
    CHECK_OK(warren_channel_tx_select(ch));
    publish_text(ch, "", q, "rolled back");
    CHECK_OK(warren_channel_tx_rollback(ch));
    publish_text(ch, "", q, "committed");
    CHECK_OK(warren_channel_tx_commit(ch));
    CHECK(message_count(ch, q, 1) == 1);
    warren_channel_free(ch);
}

static void returns(void) {
    warren_channel *ch = open_channel();
    warren_returned *r = NULL;
    char key[128];
    unique_name(key, sizeof key, "nobody");
    CHECK_OK(warren_channel_basic_publish(ch, "amq.direct", key, (const uint8_t *)"lost", 4, NULL, WARREN_MANDATORY));
    CHECK_OK(warren_channel_next_return(ch, 5000, &r));
    CHECK(warren_returned_reply_code(r) == 312);
    CHECK(bytes_eq(warren_returned_reply_text(r), "NO_ROUTE"));
    CHECK(bytes_eq(warren_returned_exchange(r), "amq.direct"));
    CHECK(bytes_eq(warren_returned_routing_key(r), key));
    CHECK(bytes_eq(warren_returned_body(r), "lost"));
    CHECK(warren_returned_properties(r) != NULL);
    warren_returned_free(r);
    r = NULL;
    CHECK_RESULT(warren_channel_next_return(ch, 0, &r), WARREN_TIMEOUT);
    CHECK(r == NULL);
    warren_channel_free(ch);
}

static void drain_events(void) {
    warren_event *ev;
    while (warren_connection_next_event(conn, 0, &ev) == WARREN_OK) warren_event_free(ev);
}

static void errors(void) {
    warren_channel *ch;
    warren_connection *other = NULL;
    warren_error e;
    warren_event *ev = NULL;
    char q[128], uri[512];
    const char *at;

    /* 404 on a passive declare: the channel closes, the connection carries on. */
    drain_events();
    ch = open_channel();
    unique_name(q, sizeof q, "missing");
    CHECK_RESULT(warren_channel_queue_declare(ch, q, WARREN_PASSIVE, NULL, NULL), WARREN_CHANNEL_CLOSED);
    CHECK_OK(warren_channel_last_error(ch, &e));
    CHECK(e.result == WARREN_CHANNEL_CLOSED && e.reply_code == 404);
    CHECK(e.class_id == 50 && e.method_id == 10);
    CHECK(strstr(e.reply_text, "NOT_FOUND") != NULL);
    CHECK_OK(warren_last_error(&e));
    CHECK(e.reply_code == 404);
    CHECK(!warren_channel_is_open(ch));
    CHECK_RESULT(warren_channel_basic_qos(ch, 1, false), WARREN_CHANNEL_CLOSED);
    CHECK(warren_connection_is_open(conn));
    /* ...and the connection reports it as an event. */
    CHECK_OK(warren_connection_next_event(conn, 5000, &ev));
    CHECK(warren_event_get_type(ev) == WARREN_EVENT_CHANNEL_CLOSED);
    CHECK(warren_event_channel(ev) == warren_channel_id(ch));
    CHECK_OK(warren_event_error(ev, &e));
    CHECK(e.reply_code == 404);
    warren_event_free(ev);
    warren_channel_free(ch);

    /* 406: redeclaring with other properties. */
    ch = open_channel();
    unique_name(q, sizeof q, "pre");
    CHECK_OK(warren_channel_queue_declare(ch, q, WARREN_AUTO_DELETE, NULL, NULL));
    CHECK_RESULT(warren_channel_queue_declare(ch, q, WARREN_DURABLE, NULL, NULL), WARREN_CHANNEL_CLOSED);
    CHECK_OK(warren_channel_last_error(ch, &e));
    CHECK(e.reply_code == 406 && e.class_id == 50 && e.method_id == 10);
    CHECK(strstr(e.reply_text, "PRECONDITION_FAILED") != NULL);
    warren_channel_free(ch);
    drain_events();

    /* A channel the application closed. */
    ch = open_channel();
    CHECK_OK(warren_channel_close(ch));
    CHECK_RESULT(warren_channel_basic_publish(ch, "", "x", NULL, 0, NULL, 0), WARREN_CHANNEL_CLOSED_BY_CLIENT);
    CHECK_RESULT(warren_channel_basic_qos(ch, 1, false), WARREN_CHANNEL_CLOSED_BY_CLIENT);
    warren_channel_free(ch);

    /* A refused login: the same URI with a wrong password. */
    at = strchr(test_uri(), '@');
    CHECK(at != NULL);
    if (at) {
        snprintf(uri, sizeof uri, "amqp://guest:wrong-password%s", at);
        CHECK_RESULT(warren_connection_open(uri, &other), WARREN_AUTHENTICATION_FAILED);
        CHECK(other == NULL);
    }
    /* Nothing listening. */
    CHECK_RESULT(warren_connection_open("amqp://guest:guest@127.0.0.1:1/%2f", &other), WARREN_IO);
    CHECK(other == NULL);
    CHECK_OK(warren_last_error(&e));
    CHECK(e.result == WARREN_IO && strlen(e.message) > 0);
    /* Bad URI. */
    CHECK_RESULT(warren_connection_open("amqp://host:notaport", &other), WARREN_INVALID_URI);
}

static void rpc_server(void *userdata, const warren_delivery *d) {
    warren_channel *ch = userdata;
    const warren_properties *props = warren_delivery_properties(d);
    warren_properties *reply = warren_properties_new();
    warren_bytes reply_to, corr, body = warren_delivery_body(d);
    char to[256], id[256], out[256];
    size_t i, n = body.len < sizeof out ? body.len : sizeof out - 1;
    if (warren_properties_get_string(props, WARREN_PROPERTY_REPLY_TO, &reply_to) == WARREN_OK &&
        warren_properties_get_string(props, WARREN_PROPERTY_CORRELATION_ID, &corr) == WARREN_OK) {
        memcpy(to, reply_to.data, reply_to.len);
        to[reply_to.len] = '\0';
        memcpy(id, corr.data, corr.len);
        id[corr.len] = '\0';
        for (i = 0; i < n; i++) {
            char c = (char)body.data[i];
            out[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
        warren_properties_set_string(reply, WARREN_PROPERTY_CORRELATION_ID, id);
        warren_channel_basic_publish(ch, "", to, (const uint8_t *)out, n, reply, 0);
    }
    warren_properties_free(reply);
    warren_delivery_ack(d);
}

static void rpc(void) {
    warren_channel *server = open_channel();
    warren_delivery *reply = NULL;
    char q[256], nobody[128];
    temp_queue(server, q);
    CHECK_OK(warren_channel_basic_consume_callback(server, q, NULL, 0, NULL, rpc_server, server, NULL));
    CHECK_OK(warren_connection_rpc_call(conn, "", q, (const uint8_t *)"ping", 4, NULL, 10000, &reply));
    CHECK(bytes_eq(warren_delivery_body(reply), "PING"));
    warren_delivery_free(reply);
    reply = NULL;
    unique_name(nobody, sizeof nobody, "no-server");
    CHECK_RESULT(warren_connection_rpc_call(conn, "", nobody, (const uint8_t *)"x", 1, NULL, 10000, &reply),
                 WARREN_UNROUTABLE);
    CHECK(reply == NULL);
    warren_channel_free(server);
}

static void pollable_fd(void) {
    warren_connection *c2 = NULL;
    warren_channel *ch = NULL;
    warren_delivery *d = NULL;
    warren_event *ev = NULL;
    struct pollfd pfd;
    char q[256];
    int fd = -1, fd2 = -2, n;
    CHECK_OK(warren_connection_open(test_uri(), &c2));
    if (!c2) return;
    CHECK_OK(warren_connection_open_channel(c2, &ch));
    {
        warren_queue_info info;
        CHECK_OK(warren_channel_queue_declare(ch, "", WARREN_EXCLUSIVE, NULL, &info));
        memcpy(q, info.queue, sizeof q);
    }
    CHECK_OK(warren_channel_basic_consume(ch, q, NULL, WARREN_NO_ACK, NULL, NULL));
    CHECK_OK(warren_connection_fd(c2, &fd));
    CHECK_OK(warren_connection_fd(c2, &fd2));
    CHECK(fd >= 0 && fd == fd2);
    pfd.fd = fd;
    pfd.events = POLLIN;
    CHECK(poll(&pfd, 1, 200) == 0);
    CHECK_OK(warren_channel_basic_publish(ch, "", q, (const uint8_t *)"p1", 2, NULL, 0));
    CHECK_OK(warren_channel_basic_publish(ch, "", q, (const uint8_t *)"p2", 2, NULL, 0));
    n = poll(&pfd, 1, 5000);
    CHECK(n == 1 && (pfd.revents & POLLIN));
    CHECK_OK(warren_connection_next_delivery(c2, 0, &d));
    CHECK(bytes_eq(warren_delivery_body(d), "p1"));
    warren_delivery_free(d);
    CHECK_OK(warren_connection_next_delivery(c2, 2000, &d));
    CHECK(bytes_eq(warren_delivery_body(d), "p2"));
    warren_delivery_free(d);
    while (warren_connection_next_event(c2, 0, &ev) == WARREN_OK) warren_event_free(ev);
    CHECK(poll(&pfd, 1, 200) == 0);
    CHECK_RESULT(warren_channel_next_delivery(ch, 0, &d), WARREN_INVALID_STATE);
    {
        /* A burst, drained the way an event loop does: wait, then take until TIMEOUT. */
        int got = 0, rounds = 0, i;
        char body[16];
        for (i = 0; i < 2000; i++) {
            int len = snprintf(body, sizeof body, "m%d", i);
            CHECK_OK(warren_channel_basic_publish(ch, "", q, (const uint8_t *)body, (size_t)len, NULL, 0));
        }
        while (got < 2000 && rounds++ < 10000) {
            if (poll(&pfd, 1, 5000) != 1) break;
            while (warren_connection_next_delivery(c2, 0, &d) == WARREN_OK) {
                int len = snprintf(body, sizeof body, "m%d", got);
                CHECK(warren_delivery_body(d).len == (size_t)len &&
                      memcmp(warren_delivery_body(d).data, body, (size_t)len) == 0);
                warren_delivery_free(d);
                got++;
            }
        }
        CHECK(got == 2000);
        while (warren_connection_next_event(c2, 0, &ev) == WARREN_OK) warren_event_free(ev);
        CHECK(poll(&pfd, 1, 200) == 0);
    }
    {
        /* An event alone makes it readable too: a channel the broker closes (404). */
        warren_channel *ch2 = NULL;
        char missing[128];
        int closed = 0;
        unique_name(missing, sizeof missing, "missing");
        CHECK_OK(warren_connection_open_channel(c2, &ch2));
        CHECK_RESULT(warren_channel_queue_declare(ch2, missing, WARREN_PASSIVE, NULL, NULL), WARREN_CHANNEL_CLOSED);
        CHECK(poll(&pfd, 1, 5000) == 1);
        CHECK_RESULT(warren_connection_next_delivery(c2, 0, &d), WARREN_TIMEOUT);
        while (warren_connection_next_event(c2, 0, &ev) == WARREN_OK) {
            if (warren_event_get_type(ev) == WARREN_EVENT_CHANNEL_CLOSED) closed = 1;
            warren_event_free(ev);
        }
        CHECK(closed);
        CHECK(poll(&pfd, 1, 200) == 0);
        warren_channel_free(ch2);
    }
    warren_channel_free(ch);
    warren_connection_free(c2);
}

static void event_callback_counter(void *userdata, const warren_event *ev) {
    struct counter *c = userdata;
    if (warren_event_get_type(ev) == WARREN_EVENT_CHANNEL_CLOSED) {
        pthread_mutex_lock(&c->lock);
        c->count++;
        pthread_cond_broadcast(&c->changed);
        pthread_mutex_unlock(&c->lock);
    }
}

static void event_callback(void) {
    warren_connection *c2 = NULL;
    warren_channel *ch = NULL;
    struct counter c;
    char q[128];
    pthread_mutex_init(&c.lock, NULL);
    pthread_cond_init(&c.changed, NULL);
    c.count = c.acked = 0;
    CHECK_OK(warren_connection_open(test_uri(), &c2));
    if (!c2) return;
    CHECK_OK(warren_connection_set_event_callback(c2, event_callback_counter, &c));
    CHECK_RESULT(warren_connection_set_event_callback(c2, event_callback_counter, &c), WARREN_INVALID_STATE);
    CHECK_OK(warren_connection_open_channel(c2, &ch));
    unique_name(q, sizeof q, "absent");
    CHECK_RESULT(warren_channel_queue_declare(ch, q, WARREN_PASSIVE, NULL, NULL), WARREN_CHANNEL_CLOSED);
    CHECK(wait_count(&c, 1, 5000) == 1);
    warren_channel_free(ch);
    CHECK_OK(warren_connection_close(c2));
    CHECK(!warren_connection_is_open(c2));
    warren_connection_free(c2); /* waits for the callback thread */
    pthread_cond_destroy(&c.changed);
    pthread_mutex_destroy(&c.lock);
}

static void options_connection(void) {
    warren_options *opts = NULL;
    warren_connection *c2 = NULL;
    warren_tuning tuning;
    CHECK_OK(warren_options_from_uri(test_uri(), &opts));
    CHECK_OK(warren_options_set_heartbeat(opts, 7));
    CHECK_OK(warren_options_set_connection_name(opts, "warren-c test"));
    CHECK_OK(warren_options_set_recovery(opts, false));
    CHECK_OK(warren_options_set_rpc_timeout(opts, 30000));
    CHECK_OK(warren_connection_open_with(opts, &c2));
    warren_options_free(opts);
    if (!c2) return;
    CHECK_OK(warren_connection_tuning(c2, &tuning));
    CHECK(tuning.heartbeat == 7);
    warren_connection_free(c2);
}

int main(void) {
    harness_name = "test_operations";
    REQUIRE_OK(warren_connection_open(test_uri(), &conn));
    connection_info();
    exchanges();
    queues();
    publish_get_ack_nack_reject();
    pull_consumers();
    callback_consumer_and_qos();
    confirms_and_tx();
    returns();
    errors();
    rpc();
    pollable_fd();
    event_callback();
    options_connection();
    CHECK_OK(warren_connection_close(conn));
    warren_connection_free(conn);
    return harness_finish();
}
