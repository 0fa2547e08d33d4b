/* The API without a broker: result codes and messages, NULL handling, the last error,
 * properties, and field tables and arrays with every field type. */
#include "harness.h"

#include <math.h>
#include <stdint.h>

static void result_codes(void) {
    char buf[128];
    size_t written = 99;
    CHECK(WARREN_OK == 0);
    CHECK(WARREN_TIMEOUT == 1 && WARREN_EMPTY == 2);
    CHECK(WARREN_NULL_PARAMETER == 100 && WARREN_PANIC == 105);
    CHECK(WARREN_CONNECTION_CLOSED == 200 && WARREN_CHANNEL_CLOSED == 201);
    CHECK(WARREN_BAD_CONTENT == 217);
    CHECK_OK(warren_result_message(WARREN_CHANNEL_CLOSED, buf, sizeof buf, &written));
    CHECK(strcmp(buf, "channel closed by the broker") == 0);
    CHECK(written == strlen(buf));
    /* Cut to the buffer, still NUL-terminated. */
    CHECK_OK(warren_result_message(WARREN_CHANNEL_CLOSED, buf, 8, &written));
    CHECK(written == 7 && strcmp(buf, "channel") == 0);
    CHECK_RESULT(warren_result_message(9999, buf, sizeof buf, NULL), WARREN_INVALID_ARGUMENT);
    CHECK(strcmp(warren_version(), "") != 0);
}

static void null_handling(void) {
    warren_connection *conn = (warren_connection *)0x1;
    warren_error e;
    /* Every free accepts NULL. */
    warren_connection_free(NULL);
    warren_channel_free(NULL);
    warren_delivery_free(NULL);
    warren_returned_free(NULL);
    warren_event_free(NULL);
    warren_confirm_free(NULL);
    warren_properties_free(NULL);
    warren_table_free(NULL);
    warren_array_free(NULL);
    warren_options_free(NULL);
    /* Required pointers: WARREN_NULL_PARAMETER, and the out-parameter is left alone. */
    CHECK_RESULT(warren_connection_open(NULL, &conn), WARREN_NULL_PARAMETER);
    CHECK(conn == (warren_connection *)0x1);
    CHECK_RESULT(warren_connection_open("amqp://localhost", NULL), WARREN_NULL_PARAMETER);
    CHECK_RESULT(warren_channel_basic_publish(NULL, "", "q", NULL, 0, NULL, 0), WARREN_NULL_PARAMETER);
    CHECK_OK(warren_last_error(&e));
    CHECK(e.result == WARREN_NULL_PARAMETER);
    CHECK(strstr(e.message, "ch must not be NULL") != NULL);
    CHECK(e.reply_code == 0 && e.reply_text[0] == '\0');
    /* Getters on NULL give neutral values. */
    CHECK(!warren_connection_is_open(NULL));
    CHECK(warren_channel_id(NULL) == 0);
    CHECK(warren_delivery_body(NULL).len == 0);
    CHECK(warren_table_len(NULL) == 0);
}

static void invalid_uri(void) {
    warren_connection *conn = NULL;
    warren_options *opts = NULL;
    warren_error e;
    CHECK_RESULT(warren_connection_open("http://localhost", &conn), WARREN_INVALID_URI);
    CHECK(conn == NULL);
    CHECK_OK(warren_last_error(&e));
    CHECK(e.result == WARREN_INVALID_URI);
    CHECK(strstr(e.message, "scheme") != NULL);
    CHECK_RESULT(warren_options_from_uri("not a uri", &opts), WARREN_INVALID_URI);
    CHECK(opts == NULL);
    CHECK_OK(warren_options_from_uri("amqp://u:p@example.invalid:5999/v?heartbeat=5", &opts));
    CHECK_OK(warren_options_set_recovery(opts, false));
    CHECK_OK(warren_options_add_host(opts, "127.0.0.1", 5999, false));
    CHECK_RESULT(warren_options_set_vhost(opts, NULL), WARREN_NULL_PARAMETER);
    warren_options_free(opts);
}

static void properties(void) {
    warren_properties *p = warren_properties_new();
    warren_properties *copy;
    warren_table *headers = warren_table_new();
    const warren_table *h = NULL;
    warren_bytes s;
    uint8_t mode = 0, prio = 0;
    uint64_t ts = 0;
    static const char *long_value =
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
        "012345678901234567890123456789012345678901234567890123456789";
    CHECK(p != NULL);
    CHECK_RESULT(warren_properties_get_string(p, WARREN_PROPERTY_CONTENT_TYPE, &s), WARREN_EMPTY);
    CHECK_OK(warren_properties_set_string(p, WARREN_PROPERTY_CONTENT_TYPE, "application/json"));
    CHECK_OK(warren_properties_set_string(p, WARREN_PROPERTY_TYPE, "upload"));
    CHECK_OK(warren_properties_set_delivery_mode(p, WARREN_DELIVERY_PERSISTENT));
    CHECK_OK(warren_properties_set_priority(p, 7));
    CHECK_OK(warren_properties_set_timestamp(p, 1700000000u));
    CHECK_OK(warren_table_set_string(headers, "x-origin", "c"));
    CHECK_OK(warren_properties_set_headers(p, headers));
    warren_table_free(headers); /* the properties keep their own copy */
    CHECK_OK(warren_properties_get_string(p, WARREN_PROPERTY_CONTENT_TYPE, &s));
    CHECK(bytes_eq(s, "application/json"));
    CHECK_OK(warren_properties_get_string(p, WARREN_PROPERTY_TYPE, &s));
    CHECK(bytes_eq(s, "upload"));
    CHECK_OK(warren_properties_get_delivery_mode(p, &mode));
    CHECK(mode == 2);
    CHECK_OK(warren_properties_get_priority(p, &prio));
    CHECK(prio == 7);
    CHECK_OK(warren_properties_get_timestamp(p, &ts));
    CHECK(ts == 1700000000u);
    CHECK_OK(warren_properties_get_headers(p, &h));
    CHECK(warren_table_len(h) == 1);
    /* Wrong kinds and sizes are refused. */
    CHECK_RESULT(warren_properties_set_string(p, WARREN_PROPERTY_PRIORITY, "x"), WARREN_INVALID_ARGUMENT);
    CHECK_RESULT(warren_properties_set_string(p, 99, "x"), WARREN_INVALID_ARGUMENT);
    CHECK(strlen(long_value) == 260);
    CHECK_RESULT(warren_properties_set_string(p, WARREN_PROPERTY_MESSAGE_ID, long_value), WARREN_INVALID_ARGUMENT);
    copy = warren_properties_clone(p);
    CHECK_OK(warren_properties_clear(p, WARREN_PROPERTY_DELIVERY_MODE));
    CHECK_OK(warren_properties_set_string(p, WARREN_PROPERTY_CONTENT_TYPE, NULL));
    CHECK_RESULT(warren_properties_get_delivery_mode(p, &mode), WARREN_EMPTY);
    CHECK_RESULT(warren_properties_get_string(p, WARREN_PROPERTY_CONTENT_TYPE, &s), WARREN_EMPTY);
    CHECK_OK(warren_properties_get_delivery_mode(copy, &mode));
    CHECK(mode == 2);
    warren_properties_free(copy);
    warren_properties_free(p);
}

static void tables(void) {
    warren_table *t = warren_table_new();
    warren_table *inner = warren_table_new();
    warren_array *arr = warren_array_new();
    warren_field_value v, got;
    warren_bytes key;
    size_t i;
    static const unsigned char bin[] = {0, 1, 0xff};
    static const char str[] = {'a', '\0', 'b'};

    v.kind = WARREN_FIELD_I32;
    v.value.i32 = -7;
    CHECK_OK(warren_table_set(inner, "n", &v));
    v.kind = WARREN_FIELD_BOOLEAN;
    v.value.boolean = true;
    CHECK_OK(warren_array_push(arr, &v));
    v.kind = WARREN_FIELD_VOID;
    CHECK_OK(warren_array_push(arr, &v));

    v.kind = WARREN_FIELD_BOOLEAN; v.value.boolean = true;  CHECK_OK(warren_table_set(t, "t", &v));
    v.kind = WARREN_FIELD_I8;  v.value.i8 = -8;             CHECK_OK(warren_table_set(t, "b", &v));
    v.kind = WARREN_FIELD_U8;  v.value.u8 = 250;            CHECK_OK(warren_table_set(t, "B", &v));
    v.kind = WARREN_FIELD_I16; v.value.i16 = -300;          CHECK_OK(warren_table_set(t, "s", &v));
    v.kind = WARREN_FIELD_U16; v.value.u16 = 60000;         CHECK_OK(warren_table_set(t, "u", &v));
    v.kind = WARREN_FIELD_I32; v.value.i32 = -70000;        CHECK_OK(warren_table_set(t, "I", &v));
    v.kind = WARREN_FIELD_U32; v.value.u32 = 4000000000u;   CHECK_OK(warren_table_set(t, "i", &v));
    v.kind = WARREN_FIELD_I64; v.value.i64 = -((int64_t)1 << 40); CHECK_OK(warren_table_set(t, "l", &v));
    v.kind = WARREN_FIELD_U64; v.value.u64 = UINT64_MAX;    CHECK_OK(warren_table_set(t, "L", &v));
    v.kind = WARREN_FIELD_FLOAT; v.value.f32 = 1.5f;        CHECK_OK(warren_table_set(t, "f", &v));
    v.kind = WARREN_FIELD_DOUBLE; v.value.f64 = -2.25;      CHECK_OK(warren_table_set(t, "d", &v));
    v.kind = WARREN_FIELD_DECIMAL; v.value.decimal.scale = 2; v.value.decimal.value = 12345;
    CHECK_OK(warren_table_set(t, "D", &v));
    v.kind = WARREN_FIELD_STRING; v.value.bytes.data = (const uint8_t *)str; v.value.bytes.len = 3;
    CHECK_OK(warren_table_set(t, "S", &v));
    v.kind = WARREN_FIELD_BYTES; v.value.bytes.data = bin; v.value.bytes.len = 3;
    CHECK_OK(warren_table_set(t, "x", &v));
    v.kind = WARREN_FIELD_TIMESTAMP; v.value.timestamp = 1700000000u; CHECK_OK(warren_table_set(t, "T", &v));
    v.kind = WARREN_FIELD_ARRAY; v.value.array = arr;       CHECK_OK(warren_table_set(t, "A", &v));
    v.kind = WARREN_FIELD_TABLE; v.value.table = inner;     CHECK_OK(warren_table_set(t, "F", &v));
    v.kind = WARREN_FIELD_VOID;                              CHECK_OK(warren_table_set(t, "V", &v));
    warren_array_free(arr);   /* copied into the table */
    warren_table_free(inner);
    CHECK(warren_table_len(t) == 18);

    CHECK_OK(warren_table_get(t, "t", &got)); CHECK(got.kind == WARREN_FIELD_BOOLEAN && got.value.boolean);
    CHECK_OK(warren_table_get(t, "b", &got)); CHECK(got.kind == WARREN_FIELD_I8 && got.value.i8 == -8);
    CHECK_OK(warren_table_get(t, "B", &got)); CHECK(got.kind == WARREN_FIELD_U8 && got.value.u8 == 250);
    CHECK_OK(warren_table_get(t, "s", &got)); CHECK(got.kind == WARREN_FIELD_I16 && got.value.i16 == -300);
    CHECK_OK(warren_table_get(t, "u", &got)); CHECK(got.kind == WARREN_FIELD_U16 && got.value.u16 == 60000);
    CHECK_OK(warren_table_get(t, "I", &got)); CHECK(got.kind == WARREN_FIELD_I32 && got.value.i32 == -70000);
    CHECK_OK(warren_table_get(t, "i", &got)); CHECK(got.kind == WARREN_FIELD_U32 && got.value.u32 == 4000000000u);
    CHECK_OK(warren_table_get(t, "l", &got)); CHECK(got.kind == WARREN_FIELD_I64 && got.value.i64 == -((int64_t)1 << 40));
    CHECK_OK(warren_table_get(t, "L", &got)); CHECK(got.kind == WARREN_FIELD_U64 && got.value.u64 == UINT64_MAX);
    CHECK_OK(warren_table_get(t, "f", &got)); CHECK(got.kind == WARREN_FIELD_FLOAT && got.value.f32 == 1.5f);
    CHECK_OK(warren_table_get(t, "d", &got)); CHECK(got.kind == WARREN_FIELD_DOUBLE && got.value.f64 == -2.25);
    CHECK_OK(warren_table_get(t, "D", &got));
    CHECK(got.kind == WARREN_FIELD_DECIMAL && got.value.decimal.scale == 2 && got.value.decimal.value == 12345);
    CHECK_OK(warren_table_get(t, "S", &got));
    CHECK(got.kind == WARREN_FIELD_STRING && got.value.bytes.len == 3 && memcmp(got.value.bytes.data, str, 3) == 0);
    CHECK_OK(warren_table_get(t, "x", &got));
    CHECK(got.kind == WARREN_FIELD_BYTES && got.value.bytes.len == 3 && memcmp(got.value.bytes.data, bin, 3) == 0);
    CHECK_OK(warren_table_get(t, "T", &got)); CHECK(got.kind == WARREN_FIELD_TIMESTAMP && got.value.timestamp == 1700000000u);
    CHECK_OK(warren_table_get(t, "A", &got));
    CHECK(got.kind == WARREN_FIELD_ARRAY && warren_array_len(got.value.array) == 2);
    if (got.kind == WARREN_FIELD_ARRAY) {
        warren_field_value e;
        CHECK_OK(warren_array_get(got.value.array, 0, &e));
        CHECK(e.kind == WARREN_FIELD_BOOLEAN && e.value.boolean);
        CHECK_OK(warren_array_get(got.value.array, 1, &e));
        CHECK(e.kind == WARREN_FIELD_VOID);
        CHECK_RESULT(warren_array_get(got.value.array, 2, &e), WARREN_EMPTY);
    }
    CHECK_OK(warren_table_get(t, "F", &got));
    CHECK(got.kind == WARREN_FIELD_TABLE && warren_table_len(got.value.table) == 1);
    if (got.kind == WARREN_FIELD_TABLE) {
        warren_field_value n;
        CHECK_OK(warren_table_get(got.value.table, "n", &n));
        CHECK(n.kind == WARREN_FIELD_I32 && n.value.i32 == -7);
    }
    CHECK_OK(warren_table_get(t, "V", &got)); CHECK(got.kind == WARREN_FIELD_VOID);
    CHECK_RESULT(warren_table_get(t, "missing", &got), WARREN_EMPTY);

    /* Entries keep their order. */
    CHECK_OK(warren_table_entry(t, 0, &key, &got));
    CHECK(bytes_eq(key, "t"));
    for (i = 0; warren_table_entry(t, i, &key, &got) == WARREN_OK; i++) {
    }
    CHECK(i == 18);
    CHECK_OK(warren_table_remove(t, "V"));
    CHECK_RESULT(warren_table_remove(t, "V"), WARREN_EMPTY);
    CHECK(warren_table_len(t) == 17);

    /* Bad values are refused. */
    v.kind = 'Z';
    CHECK_RESULT(warren_table_set(t, "z", &v), WARREN_INVALID_ARGUMENT);
    v.kind = WARREN_FIELD_TABLE;
    v.value.table = NULL;
    CHECK_RESULT(warren_table_set(t, "z", &v), WARREN_NULL_PARAMETER);
    v.kind = WARREN_FIELD_STRING; v.value.bytes.data = NULL; v.value.bytes.len = 4;
    CHECK_RESULT(warren_table_set(t, "z", &v), WARREN_NULL_PARAMETER);
    CHECK(warren_table_len(t) == 17);

    {
        warren_table *c = warren_table_clone(t);
        CHECK(warren_table_len(c) == 17);
        CHECK_OK(warren_table_set_int(c, "x-message-ttl", 60000));
        CHECK_OK(warren_table_set_bool(c, "flag", false));
        CHECK(warren_table_len(c) == 19 && warren_table_len(t) == 17);
        warren_table_free(c);
    }
    warren_table_free(t);
}

int main(void) {
    harness_name = "test_api";
    result_codes();
    null_handling();
    invalid_uri();
    properties();
    tables();
    return harness_finish();
}
