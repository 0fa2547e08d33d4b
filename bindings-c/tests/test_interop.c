/* Every basic property and every field type round-tripped with rabbitmq-c (librabbitmq) as
 * the peer, both ways, through the broker at WARREN_TEST_URI. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdint.h>

static const unsigned char BIN[] = {0x00, 0x01, 0xfe, 0xff};
static const char STR[] = {'n', 'u', '\0', 'l'};

/* ---- rabbitmq-c side ---- */

static amqp_connection_state_t rmq_open(void) {
    struct amqp_connection_info info;
    char *url = strdup(test_uri());
    amqp_connection_state_t c = amqp_new_connection();
    amqp_socket_t *s = amqp_tcp_socket_new(c);
    amqp_rpc_reply_t r;
    CHECK(amqp_parse_url(url, &info) == AMQP_STATUS_OK);
    CHECK(amqp_socket_open(s, info.host, info.port) == AMQP_STATUS_OK);
    r = amqp_login(c, info.vhost, 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, info.user, info.password);
    CHECK(r.reply_type == AMQP_RESPONSE_NORMAL);
    amqp_channel_open(c, 1);
    r = amqp_get_rpc_reply(c);
    CHECK(r.reply_type == AMQP_RESPONSE_NORMAL);
    free(url);
    return c;
}

static void rmq_close(amqp_connection_state_t c) {
    amqp_channel_close(c, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(c, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(c);
}

static amqp_field_value_t rmq_value(uint8_t kind) {
    amqp_field_value_t v;
    memset(&v, 0, sizeof v);
    v.kind = kind;
    return v;
}

/* The headers both sides send: one entry per field type, nested ones included. */
static void rmq_headers(amqp_table_t *t, amqp_table_entry_t *e, amqp_table_entry_t *inner_e,
                        amqp_field_value_t *arr_v) {
    int n = 0;
    e[n].key = amqp_cstring_bytes("t"); e[n].value = rmq_value(AMQP_FIELD_KIND_BOOLEAN); e[n++].value.value.boolean = 1;
    e[n].key = amqp_cstring_bytes("b"); e[n].value = rmq_value(AMQP_FIELD_KIND_I8); e[n++].value.value.i8 = -8;
    e[n].key = amqp_cstring_bytes("B"); e[n].value = rmq_value(AMQP_FIELD_KIND_U8); e[n++].value.value.u8 = 250;
    e[n].key = amqp_cstring_bytes("s"); e[n].value = rmq_value(AMQP_FIELD_KIND_I16); e[n++].value.value.i16 = -300;
    e[n].key = amqp_cstring_bytes("u"); e[n].value = rmq_value(AMQP_FIELD_KIND_U16); e[n++].value.value.u16 = 60000;
    e[n].key = amqp_cstring_bytes("I"); e[n].value = rmq_value(AMQP_FIELD_KIND_I32); e[n++].value.value.i32 = -70000;
    e[n].key = amqp_cstring_bytes("i"); e[n].value = rmq_value(AMQP_FIELD_KIND_U32); e[n++].value.value.u32 = 4000000000u;
    e[n].key = amqp_cstring_bytes("l"); e[n].value = rmq_value(AMQP_FIELD_KIND_I64); e[n++].value.value.i64 = -((int64_t)1 << 40);
    e[n].key = amqp_cstring_bytes("L"); e[n].value = rmq_value(AMQP_FIELD_KIND_U64); e[n++].value.value.u64 = ((uint64_t)1 << 62);
    e[n].key = amqp_cstring_bytes("f"); e[n].value = rmq_value(AMQP_FIELD_KIND_F32); e[n++].value.value.f32 = 1.5f;
    e[n].key = amqp_cstring_bytes("d"); e[n].value = rmq_value(AMQP_FIELD_KIND_F64); e[n++].value.value.f64 = -2.25;
    e[n].key = amqp_cstring_bytes("D"); e[n].value = rmq_value(AMQP_FIELD_KIND_DECIMAL);
    e[n].value.value.decimal.decimals = 2; e[n++].value.value.decimal.value = 12345;
    e[n].key = amqp_cstring_bytes("S"); e[n].value = rmq_value(AMQP_FIELD_KIND_UTF8);
    e[n].value.value.bytes.bytes = (void *)STR; e[n++].value.value.bytes.len = sizeof STR;
    e[n].key = amqp_cstring_bytes("x"); e[n].value = rmq_value(AMQP_FIELD_KIND_BYTES);
    e[n].value.value.bytes.bytes = (void *)BIN; e[n++].value.value.bytes.len = sizeof BIN;
    e[n].key = amqp_cstring_bytes("T"); e[n].value = rmq_value(AMQP_FIELD_KIND_TIMESTAMP); e[n++].value.value.u64 = 1700000000u;
    arr_v[0] = rmq_value(AMQP_FIELD_KIND_I32); arr_v[0].value.i32 = 1;
    arr_v[1] = rmq_value(AMQP_FIELD_KIND_UTF8); arr_v[1].value.bytes = amqp_cstring_bytes("two");
    e[n].key = amqp_cstring_bytes("A"); e[n].value = rmq_value(AMQP_FIELD_KIND_ARRAY);
    e[n].value.value.array.num_entries = 2; e[n++].value.value.array.entries = arr_v;
    inner_e[0].key = amqp_cstring_bytes("n"); inner_e[0].value = rmq_value(AMQP_FIELD_KIND_I32); inner_e[0].value.value.i32 = -7;
    e[n].key = amqp_cstring_bytes("F"); e[n].value = rmq_value(AMQP_FIELD_KIND_TABLE);
    e[n].value.value.table.num_entries = 1; e[n++].value.value.table.entries = inner_e;
    e[n].key = amqp_cstring_bytes("V"); e[n++].value = rmq_value(AMQP_FIELD_KIND_VOID);
    t->num_entries = n;
    t->entries = e;
}

static const amqp_field_value_t *rmq_find(const amqp_table_t *t, const char *key) {
    int i;
    for (i = 0; i < t->num_entries; i++) {
        if (t->entries[i].key.len == strlen(key) && memcmp(t->entries[i].key.bytes, key, strlen(key)) == 0)
            return &t->entries[i].value;
    }
    return NULL;
}

static int rmq_eq(amqp_bytes_t b, const char *s) {
    return b.len == strlen(s) && memcmp(b.bytes, s, b.len) == 0;
}

static void rmq_check_headers(const amqp_table_t *t) {
    const amqp_field_value_t *v;
    CHECK(t->num_entries == 18);
    v = rmq_find(t, "t"); CHECK(v && v->kind == AMQP_FIELD_KIND_BOOLEAN && v->value.boolean);
    v = rmq_find(t, "b"); CHECK(v && v->kind == AMQP_FIELD_KIND_I8 && v->value.i8 == -8);
    v = rmq_find(t, "B"); CHECK(v && v->kind == AMQP_FIELD_KIND_U8 && v->value.u8 == 250);
    v = rmq_find(t, "s"); CHECK(v && v->kind == AMQP_FIELD_KIND_I16 && v->value.i16 == -300);
    v = rmq_find(t, "u"); CHECK(v && v->kind == AMQP_FIELD_KIND_U16 && v->value.u16 == 60000);
    v = rmq_find(t, "I"); CHECK(v && v->kind == AMQP_FIELD_KIND_I32 && v->value.i32 == -70000);
    v = rmq_find(t, "i"); CHECK(v && v->kind == AMQP_FIELD_KIND_U32 && v->value.u32 == 4000000000u);
    v = rmq_find(t, "l"); CHECK(v && v->kind == AMQP_FIELD_KIND_I64 && v->value.i64 == -((int64_t)1 << 40));
    /* 'L' is read by RabbitMQ as a signed long; a value below 2^63 means the same to all. */
    v = rmq_find(t, "L");
    CHECK(v && (v->kind == AMQP_FIELD_KIND_U64 || v->kind == AMQP_FIELD_KIND_I64) && v->value.u64 == ((uint64_t)1 << 62));
    v = rmq_find(t, "f"); CHECK(v && v->kind == AMQP_FIELD_KIND_F32 && v->value.f32 == 1.5f);
    v = rmq_find(t, "d"); CHECK(v && v->kind == AMQP_FIELD_KIND_F64 && v->value.f64 == -2.25);
    v = rmq_find(t, "D");
    CHECK(v && v->kind == AMQP_FIELD_KIND_DECIMAL && v->value.decimal.decimals == 2 && v->value.decimal.value == 12345);
    v = rmq_find(t, "S");
    CHECK(v && v->kind == AMQP_FIELD_KIND_UTF8 && v->value.bytes.len == sizeof STR &&
          memcmp(v->value.bytes.bytes, STR, sizeof STR) == 0);
    v = rmq_find(t, "x");
    CHECK(v && v->kind == AMQP_FIELD_KIND_BYTES && v->value.bytes.len == sizeof BIN &&
          memcmp(v->value.bytes.bytes, BIN, sizeof BIN) == 0);
    v = rmq_find(t, "T"); CHECK(v && v->kind == AMQP_FIELD_KIND_TIMESTAMP && v->value.u64 == 1700000000u);
    v = rmq_find(t, "A");
    CHECK(v && v->kind == AMQP_FIELD_KIND_ARRAY && v->value.array.num_entries == 2);
    if (v && v->kind == AMQP_FIELD_KIND_ARRAY && v->value.array.num_entries == 2) {
        CHECK(v->value.array.entries[0].kind == AMQP_FIELD_KIND_I32 && v->value.array.entries[0].value.i32 == 1);
        CHECK(v->value.array.entries[1].kind == AMQP_FIELD_KIND_UTF8 && rmq_eq(v->value.array.entries[1].value.bytes, "two"));
    }
    v = rmq_find(t, "F");
    CHECK(v && v->kind == AMQP_FIELD_KIND_TABLE && v->value.table.num_entries == 1);
    if (v && v->kind == AMQP_FIELD_KIND_TABLE && v->value.table.num_entries == 1) {
        const amqp_field_value_t *n = rmq_find(&v->value.table, "n");
        CHECK(n && n->kind == AMQP_FIELD_KIND_I32 && n->value.i32 == -7);
    }
    v = rmq_find(t, "V"); CHECK(v && v->kind == AMQP_FIELD_KIND_VOID);
}

/* ---- Warren side ---- */

static void w_set(warren_table *t, const char *key, warren_field_value v) {
    CHECK_OK(warren_table_set(t, key, &v));
}

static warren_field_value w_value(warren_field_type kind) {
    warren_field_value v;
    memset(&v, 0, sizeof v);
    v.kind = kind;
    return v;
}

static warren_table *w_headers(void) {
    warren_table *t = warren_table_new(), *inner = warren_table_new();
    warren_array *arr = warren_array_new();
    warren_field_value v;
    v = w_value(WARREN_FIELD_I32); v.value.i32 = 1; CHECK_OK(warren_array_push(arr, &v));
    v = w_value(WARREN_FIELD_STRING); v.value.bytes.data = (const uint8_t *)"two"; v.value.bytes.len = 3;
    CHECK_OK(warren_array_push(arr, &v));
    v = w_value(WARREN_FIELD_I32); v.value.i32 = -7; CHECK_OK(warren_table_set(inner, "n", &v));
    v = w_value(WARREN_FIELD_BOOLEAN); v.value.boolean = true; w_set(t, "t", v);
    v = w_value(WARREN_FIELD_I8); v.value.i8 = -8; w_set(t, "b", v);
    v = w_value(WARREN_FIELD_U8); v.value.u8 = 250; w_set(t, "B", v);
    v = w_value(WARREN_FIELD_I16); v.value.i16 = -300; w_set(t, "s", v);
    v = w_value(WARREN_FIELD_U16); v.value.u16 = 60000; w_set(t, "u", v);
    v = w_value(WARREN_FIELD_I32); v.value.i32 = -70000; w_set(t, "I", v);
    v = w_value(WARREN_FIELD_U32); v.value.u32 = 4000000000u; w_set(t, "i", v);
    v = w_value(WARREN_FIELD_I64); v.value.i64 = -((int64_t)1 << 40); w_set(t, "l", v);
    v = w_value(WARREN_FIELD_U64); v.value.u64 = ((uint64_t)1 << 62); w_set(t, "L", v);
    v = w_value(WARREN_FIELD_FLOAT); v.value.f32 = 1.5f; w_set(t, "f", v);
    v = w_value(WARREN_FIELD_DOUBLE); v.value.f64 = -2.25; w_set(t, "d", v);
    v = w_value(WARREN_FIELD_DECIMAL); v.value.decimal.scale = 2; v.value.decimal.value = 12345; w_set(t, "D", v);
    v = w_value(WARREN_FIELD_STRING); v.value.bytes.data = (const uint8_t *)STR; v.value.bytes.len = sizeof STR; w_set(t, "S", v);
    v = w_value(WARREN_FIELD_BYTES); v.value.bytes.data = BIN; v.value.bytes.len = sizeof BIN; w_set(t, "x", v);
    v = w_value(WARREN_FIELD_TIMESTAMP); v.value.timestamp = 1700000000u; w_set(t, "T", v);
    v = w_value(WARREN_FIELD_ARRAY); v.value.array = arr; w_set(t, "A", v);
    v = w_value(WARREN_FIELD_TABLE); v.value.table = inner; w_set(t, "F", v);
    v = w_value(WARREN_FIELD_VOID); w_set(t, "V", v);
    warren_array_free(arr);
    warren_table_free(inner);
    return t;
}

static void w_check_headers(const warren_table *t) {
    warren_field_value v;
    CHECK(warren_table_len(t) == 18);
    CHECK_OK(warren_table_get(t, "t", &v)); CHECK(v.kind == WARREN_FIELD_BOOLEAN && v.value.boolean);
    CHECK_OK(warren_table_get(t, "b", &v)); CHECK(v.kind == WARREN_FIELD_I8 && v.value.i8 == -8);
    CHECK_OK(warren_table_get(t, "B", &v)); CHECK(v.kind == WARREN_FIELD_U8 && v.value.u8 == 250);
    CHECK_OK(warren_table_get(t, "s", &v)); CHECK(v.kind == WARREN_FIELD_I16 && v.value.i16 == -300);
    CHECK_OK(warren_table_get(t, "u", &v)); CHECK(v.kind == WARREN_FIELD_U16 && v.value.u16 == 60000);
    CHECK_OK(warren_table_get(t, "I", &v)); CHECK(v.kind == WARREN_FIELD_I32 && v.value.i32 == -70000);
    CHECK_OK(warren_table_get(t, "i", &v)); CHECK(v.kind == WARREN_FIELD_U32 && v.value.u32 == 4000000000u);
    CHECK_OK(warren_table_get(t, "l", &v)); CHECK(v.kind == WARREN_FIELD_I64 && v.value.i64 == -((int64_t)1 << 40));
    CHECK_OK(warren_table_get(t, "L", &v));
    CHECK((v.kind == WARREN_FIELD_U64 || v.kind == WARREN_FIELD_I64) && v.value.u64 == ((uint64_t)1 << 62));
    CHECK_OK(warren_table_get(t, "f", &v)); CHECK(v.kind == WARREN_FIELD_FLOAT && v.value.f32 == 1.5f);
    CHECK_OK(warren_table_get(t, "d", &v)); CHECK(v.kind == WARREN_FIELD_DOUBLE && v.value.f64 == -2.25);
    CHECK_OK(warren_table_get(t, "D", &v));
    CHECK(v.kind == WARREN_FIELD_DECIMAL && v.value.decimal.scale == 2 && v.value.decimal.value == 12345);
    CHECK_OK(warren_table_get(t, "S", &v));
    CHECK(v.kind == WARREN_FIELD_STRING && v.value.bytes.len == sizeof STR && memcmp(v.value.bytes.data, STR, sizeof STR) == 0);
    CHECK_OK(warren_table_get(t, "x", &v));
    CHECK(v.kind == WARREN_FIELD_BYTES && v.value.bytes.len == sizeof BIN && memcmp(v.value.bytes.data, BIN, sizeof BIN) == 0);
    CHECK_OK(warren_table_get(t, "T", &v)); CHECK(v.kind == WARREN_FIELD_TIMESTAMP && v.value.timestamp == 1700000000u);
    CHECK_OK(warren_table_get(t, "A", &v));
    CHECK(v.kind == WARREN_FIELD_ARRAY && warren_array_len(v.value.array) == 2);
    if (v.kind == WARREN_FIELD_ARRAY) {
        warren_field_value e;
        CHECK_OK(warren_array_get(v.value.array, 0, &e)); CHECK(e.kind == WARREN_FIELD_I32 && e.value.i32 == 1);
        CHECK_OK(warren_array_get(v.value.array, 1, &e)); CHECK(e.kind == WARREN_FIELD_STRING && bytes_eq(e.value.bytes, "two"));
    }
    CHECK_OK(warren_table_get(t, "F", &v));
    CHECK(v.kind == WARREN_FIELD_TABLE && warren_table_len(v.value.table) == 1);
    if (v.kind == WARREN_FIELD_TABLE) {
        warren_field_value n;
        CHECK_OK(warren_table_get(v.value.table, "n", &n)); CHECK(n.kind == WARREN_FIELD_I32 && n.value.i32 == -7);
    }
    CHECK_OK(warren_table_get(t, "V", &v)); CHECK(v.kind == WARREN_FIELD_VOID);
}

static const char *STRING_PROPS[][2] = {
    {"content_type", "application/json"}, {"content_encoding", "gzip"}, {"correlation_id", "corr-1"},
    {"reply_to", "replies"}, {"expiration", "60000"}, {"message_id", "msg-1"}, {"type", "upload"},
    {"user_id", "guest"}, {"app_id", "warren-c-test"}, {"cluster_id", "cluster-a"},
};
static const warren_property STRING_PROP_IDS[] = {
    WARREN_PROPERTY_CONTENT_TYPE, WARREN_PROPERTY_CONTENT_ENCODING, WARREN_PROPERTY_CORRELATION_ID,
    WARREN_PROPERTY_REPLY_TO, WARREN_PROPERTY_EXPIRATION, WARREN_PROPERTY_MESSAGE_ID, WARREN_PROPERTY_TYPE,
    WARREN_PROPERTY_USER_ID, WARREN_PROPERTY_APP_ID, WARREN_PROPERTY_CLUSTER_ID,
};
#define N_STRING_PROPS 10

static void warren_to_rabbitmq_c(warren_channel *ch, amqp_connection_state_t rmq, const char *queue) {
    warren_properties *p = warren_properties_new();
    warren_table *h = w_headers();
    amqp_rpc_reply_t r;
    amqp_message_t msg;
    int i;
    for (i = 0; i < N_STRING_PROPS; i++) CHECK_OK(warren_properties_set_string(p, STRING_PROP_IDS[i], STRING_PROPS[i][1]));
    CHECK_OK(warren_properties_set_delivery_mode(p, 2));
    CHECK_OK(warren_properties_set_priority(p, 5));
    CHECK_OK(warren_properties_set_timestamp(p, 1700000000u));
    CHECK_OK(warren_properties_set_headers(p, h));
    CHECK_OK(warren_channel_basic_publish(ch, "", queue, BIN, sizeof BIN, p, 0));
    warren_table_free(h);
    warren_properties_free(p);
    {
        /* basic.get until it is there (the publish is asynchronous). */
        int tries = 0;
        do {
            r = amqp_basic_get(rmq, 1, amqp_cstring_bytes(queue), 1);
            if (r.reply_type == AMQP_RESPONSE_NORMAL && r.reply.id == AMQP_BASIC_GET_OK_METHOD) break;
            sleep_ms(50);
        } while (++tries < 100);
    }
    CHECK(r.reply_type == AMQP_RESPONSE_NORMAL && r.reply.id == AMQP_BASIC_GET_OK_METHOD);
    if (r.reply.id != AMQP_BASIC_GET_OK_METHOD) return;
    r = amqp_read_message(rmq, 1, &msg, 0);
    CHECK(r.reply_type == AMQP_RESPONSE_NORMAL);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) return;
    CHECK(msg.body.len == sizeof BIN && memcmp(msg.body.bytes, BIN, sizeof BIN) == 0);
    {
        amqp_basic_properties_t *bp = &msg.properties;
        amqp_flags_t all = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG | AMQP_BASIC_HEADERS_FLAG |
                           AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG | AMQP_BASIC_CORRELATION_ID_FLAG |
                           AMQP_BASIC_REPLY_TO_FLAG | AMQP_BASIC_EXPIRATION_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
                           AMQP_BASIC_TIMESTAMP_FLAG | AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_USER_ID_FLAG |
                           AMQP_BASIC_APP_ID_FLAG | AMQP_BASIC_CLUSTER_ID_FLAG;
        CHECK((bp->_flags & all) == all);
        CHECK(rmq_eq(bp->content_type, "application/json"));
        CHECK(rmq_eq(bp->content_encoding, "gzip"));
        CHECK(rmq_eq(bp->correlation_id, "corr-1"));
        CHECK(rmq_eq(bp->reply_to, "replies"));
        CHECK(rmq_eq(bp->expiration, "60000"));
        CHECK(rmq_eq(bp->message_id, "msg-1"));
        CHECK(rmq_eq(bp->type, "upload"));
        CHECK(rmq_eq(bp->user_id, "guest"));
        CHECK(rmq_eq(bp->app_id, "warren-c-test"));
        CHECK(rmq_eq(bp->cluster_id, "cluster-a"));
        CHECK(bp->delivery_mode == 2 && bp->priority == 5 && bp->timestamp == 1700000000u);
        rmq_check_headers(&bp->headers);
    }
    amqp_destroy_message(&msg);
}

static void rabbitmq_c_to_warren(warren_channel *ch, amqp_connection_state_t rmq, const char *queue) {
    amqp_basic_properties_t bp;
    amqp_table_entry_t entries[18], inner[1];
    amqp_field_value_t arr[2];
    amqp_bytes_t body;
    warren_delivery *d = NULL;
    const warren_properties *p;
    const warren_table *h = NULL;
    warren_bytes s;
    uint8_t u8v;
    uint64_t ts;
    int i, tries = 0;
    warren_result r;
    memset(&bp, 0, sizeof bp);
    bp._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_CONTENT_ENCODING_FLAG | AMQP_BASIC_HEADERS_FLAG |
                AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_PRIORITY_FLAG | AMQP_BASIC_CORRELATION_ID_FLAG |
                AMQP_BASIC_REPLY_TO_FLAG | AMQP_BASIC_EXPIRATION_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
                AMQP_BASIC_TIMESTAMP_FLAG | AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_USER_ID_FLAG | AMQP_BASIC_APP_ID_FLAG |
                AMQP_BASIC_CLUSTER_ID_FLAG;
    bp.content_type = amqp_cstring_bytes("application/json");
    bp.content_encoding = amqp_cstring_bytes("gzip");
    bp.correlation_id = amqp_cstring_bytes("corr-1");
    bp.reply_to = amqp_cstring_bytes("replies");
    bp.expiration = amqp_cstring_bytes("60000");
    bp.message_id = amqp_cstring_bytes("msg-1");
    bp.type = amqp_cstring_bytes("upload");
    bp.user_id = amqp_cstring_bytes("guest");
    bp.app_id = amqp_cstring_bytes("warren-c-test");
    bp.cluster_id = amqp_cstring_bytes("cluster-a");
    bp.delivery_mode = 2;
    bp.priority = 5;
    bp.timestamp = 1700000000u;
    rmq_headers(&bp.headers, entries, inner, arr);
    body.bytes = (void *)BIN;
    body.len = sizeof BIN;
    CHECK(amqp_basic_publish(rmq, 1, amqp_cstring_bytes(""), amqp_cstring_bytes(queue), 0, 0, &bp, body) ==
          AMQP_STATUS_OK);
    while ((r = warren_channel_basic_get(ch, queue, WARREN_NO_ACK, &d)) == WARREN_EMPTY && tries++ < 100) sleep_ms(50);
    CHECK_OK(r);
    if (r != WARREN_OK) return;
    CHECK(warren_delivery_body(d).len == sizeof BIN && memcmp(warren_delivery_body(d).data, BIN, sizeof BIN) == 0);
    p = warren_delivery_properties(d);
    for (i = 0; i < N_STRING_PROPS; i++) {
        CHECK_OK(warren_properties_get_string(p, STRING_PROP_IDS[i], &s));
        CHECK(bytes_eq(s, STRING_PROPS[i][1]));
    }
    CHECK_OK(warren_properties_get_delivery_mode(p, &u8v)); CHECK(u8v == 2);
    CHECK_OK(warren_properties_get_priority(p, &u8v)); CHECK(u8v == 5);
    CHECK_OK(warren_properties_get_timestamp(p, &ts)); CHECK(ts == 1700000000u);
    CHECK_OK(warren_properties_get_headers(p, &h));
    if (h) w_check_headers(h);
    warren_delivery_free(d);
}

int main(void) {
    warren_connection *conn = NULL;
    warren_channel *ch = NULL;
    amqp_connection_state_t rmq;
    char queue[128];
    harness_name = "test_interop";
    REQUIRE_OK(warren_connection_open(test_uri(), &conn));
    REQUIRE_OK(warren_connection_open_channel(conn, &ch));
    unique_name(queue, sizeof queue, "interop");
    CHECK_OK(warren_channel_queue_declare(ch, queue, WARREN_AUTO_DELETE, NULL, NULL));
    rmq = rmq_open();
    warren_to_rabbitmq_c(ch, rmq, queue);
    rabbitmq_c_to_warren(ch, rmq, queue);
    rmq_close(rmq);
    CHECK_OK(warren_channel_queue_delete(ch, queue, 0, NULL));
    warren_channel_free(ch);
    warren_connection_free(conn);
    return harness_finish();
}
