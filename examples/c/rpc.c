/* RPC: a server consumes `rpc-upper` on its own channel and replies to each request's
 * `reply_to` with its `correlation_id`; the client calls it over direct reply-to with
 * warren_connection_rpc_call, which sets both and matches the replies. */
#include "common.h"

#define NAME "rpc"
#define QUEUE "rpc-upper"
#define CALLS 10

static void serve(void *userdata, const warren_delivery *request) {
    warren_channel *ch = userdata;
    const warren_properties *props = warren_delivery_properties(request);
    warren_properties *reply = warren_properties_new();
    warren_bytes body = warren_delivery_body(request), to, id;
    char reply_to[WARREN_SHORT_STRING_SIZE], corr[WARREN_SHORT_STRING_SIZE], upper[256];
    size_t i, n = body.len < sizeof upper ? body.len : sizeof upper;
    if (warren_properties_get_string(props, WARREN_PROPERTY_REPLY_TO, &to) == WARREN_OK &&
        warren_properties_get_string(props, WARREN_PROPERTY_CORRELATION_ID, &id) == WARREN_OK) {
        memcpy(reply_to, to.data, to.len);
        reply_to[to.len] = '\0';
        memcpy(corr, id.data, id.len);
        corr[id.len] = '\0';
        for (i = 0; i < n; i++) {
            char c = (char)body.data[i];
            upper[i] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
        }
        warren_properties_set_string(reply, WARREN_PROPERTY_CORRELATION_ID, corr);
        warren_channel_basic_publish(ch, "", reply_to, (const uint8_t *)upper, n, reply, 0);
    }
    warren_properties_free(reply);
    warren_delivery_ack(request);
}

int main(int argc, char **argv) {
    warren_connection *conn = NULL;
    warren_channel *server = NULL;
    char request[64];
    int i;

    TRY(NAME, warren_connection_open(example_uri(argc, argv), &conn));
    TRY(NAME, warren_connection_open_channel(conn, &server));
    TRY(NAME, warren_channel_queue_declare(server, QUEUE, WARREN_AUTO_DELETE, NULL, NULL));
    TRY(NAME, warren_channel_basic_consume_callback(server, QUEUE, NULL, 0, NULL, serve, server, NULL));

    for (i = 0; i < CALLS; i++) {
        warren_delivery *reply = NULL;
        warren_bytes answer;
        char expected[64];
        int n = snprintf(request, sizeof request, "hello %d", i);
        snprintf(expected, sizeof expected, "HELLO %d", i);
        TRY(NAME, warren_connection_rpc_call(conn, "", QUEUE, (const uint8_t *)request, (size_t)n, NULL, 10000, &reply));
        answer = warren_delivery_body(reply);
        if (answer.len != strlen(expected) || memcmp(answer.data, expected, answer.len) != 0) {
            fprintf(stderr, "%s: FAILED: call %d got the wrong reply\n", NAME, i);
            return 1;
        }
        warren_delivery_free(reply);
    }
    warren_channel_free(server);
    warren_connection_free(conn);
    printf("OK: %d calls answered over direct reply-to\n", CALLS);
    return 0;
}
