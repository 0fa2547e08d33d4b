/* Image upload: a fanout exchange `upload-pictures` copies every upload, as JSON, to the
 * queues `resize-picture`, `reward-user` and `notify-friends`; one loop serves the three
 * consumers with the connection-wide pull and acknowledges each message by hand. */
#include "common.h"

#define NAME "image_upload"
#define EXCHANGE "upload-pictures"
#define UPLOADS 8

static const char *const SERVICES[] = {"resize-picture", "reward-user", "notify-friends"};
#define N_SERVICES 3

int main(int argc, char **argv) {
    warren_connection *conn = NULL;
    warren_channel *setup = NULL, *service[N_SERVICES];
    warren_properties *json = warren_properties_new();
    int got[N_SERVICES] = {0, 0, 0}, i, total = 0;
    char body[128];

    TRY(NAME, warren_connection_open(example_uri(argc, argv), &conn));
    TRY(NAME, warren_connection_open_channel(conn, &setup));
    TRY(NAME, warren_channel_exchange_declare(setup, EXCHANGE, "fanout", WARREN_DURABLE, NULL));
    for (i = 0; i < N_SERVICES; i++) {
        TRY(NAME, warren_channel_queue_declare(setup, SERVICES[i], WARREN_DURABLE, NULL, NULL));
        TRY(NAME, warren_channel_queue_bind(setup, SERVICES[i], EXCHANGE, "", NULL, 0));
        TRY(NAME, warren_channel_queue_purge(setup, SERVICES[i], 0, NULL));
        TRY(NAME, warren_connection_open_channel(conn, &service[i]));
        TRY(NAME, warren_channel_basic_qos(service[i], 10, false));
        TRY(NAME, warren_channel_basic_consume(service[i], SERVICES[i], SERVICES[i], 0, NULL, NULL));
    }

    TRY(NAME, warren_properties_set_string(json, WARREN_PROPERTY_CONTENT_TYPE, "application/json"));
    for (i = 0; i < UPLOADS; i++) {
        int n = snprintf(body, sizeof body, "{\"image_id\": %d, \"user_id\": %d, \"image_path\": \"/uploads/%d.jpg\"}",
                         i + 1, 100 + i, i + 1);
        TRY(NAME, warren_channel_basic_publish(setup, EXCHANGE, "", (const uint8_t *)body, (size_t)n, json, 0));
    }

    while (total < UPLOADS * N_SERVICES) {
        warren_delivery *d = NULL;
        warren_bytes tag;
        warren_bytes type;
        int s;
        if (warren_connection_next_delivery(conn, 10000, &d) != WARREN_OK) die(NAME, "warren_connection_next_delivery");
        tag = warren_delivery_consumer_tag(d);
        if (warren_properties_get_string(warren_delivery_properties(d), WARREN_PROPERTY_CONTENT_TYPE, &type) != WARREN_OK ||
            type.len != 16 || memcmp(type.data, "application/json", 16) != 0)
            die(NAME, "an upload without content type application/json");
        for (s = 0; s < N_SERVICES; s++) {
            if (tag.len == strlen(SERVICES[s]) && memcmp(tag.data, SERVICES[s], tag.len) == 0) got[s]++;
        }
        TRY(NAME, warren_delivery_ack(d));
        warren_delivery_free(d);
        total++;
    }
    for (i = 0; i < N_SERVICES; i++) {
        if (got[i] != UPLOADS) {
            fprintf(stderr, "%s: FAILED: %s got %d of %d uploads\n", NAME, SERVICES[i], got[i], UPLOADS);
            return 1;
        }
        warren_channel_free(service[i]);
        TRY(NAME, warren_channel_queue_delete(setup, SERVICES[i], 0, NULL));
    }
    TRY(NAME, warren_channel_exchange_delete(setup, EXCHANGE, 0));
    warren_channel_free(setup);
    warren_connection_free(conn);
    warren_properties_free(json);
    printf("OK: %d uploads reached each of %d services\n", UPLOADS, N_SERVICES);
    return 0;
}
