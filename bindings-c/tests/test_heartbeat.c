/* A publish-only program that sleeps five heartbeat intervals between publishes and stays
 * connected: the library sends heartbeats on its own thread, unlike rabbitmq-c, whose
 * heartbeats are only serviced inside library calls. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#define HEARTBEAT_S 2
#define ROUNDS 2

int main(void) {
    warren_options *opts = NULL;
    warren_connection *conn = NULL;
    warren_channel *ch = NULL;
    warren_queue_info info;
    warren_tuning tuning;
    warren_metrics m;
    int i;
    harness_name = "test_heartbeat";
    REQUIRE_OK(warren_options_from_uri(test_uri(), &opts));
    CHECK_OK(warren_options_set_heartbeat(opts, HEARTBEAT_S));
    /* Without recovery, a connection dropped for missed heartbeats would stay dropped. */
    CHECK_OK(warren_options_set_recovery(opts, false));
    REQUIRE_OK(warren_connection_open_with(opts, &conn));
    warren_options_free(opts);
    CHECK_OK(warren_connection_tuning(conn, &tuning));
    CHECK(tuning.heartbeat == HEARTBEAT_S);
    REQUIRE_OK(warren_connection_open_channel(conn, &ch));
    REQUIRE_OK(warren_channel_queue_declare(ch, "", WARREN_EXCLUSIVE, NULL, &info));
    for (i = 0; i < ROUNDS; i++) {
        CHECK_OK(warren_channel_basic_publish(ch, "", info.queue, (const uint8_t *)"tick", 4, NULL, 0));
        sleep_ms(5 * HEARTBEAT_S * 1000 + 500);
        CHECK(warren_connection_is_connected(conn));
    }
    CHECK_OK(warren_channel_queue_declare(ch, info.queue, WARREN_PASSIVE, NULL, &info));
    CHECK(info.message_count == ROUNDS);
    CHECK_OK(warren_connection_metrics(conn, &m));
    CHECK(m.recoveries == 0 && m.published == ROUNDS);
    {
        warren_event *ev = NULL;
        /* Not one connection-lost event. */
        while (warren_connection_next_event(conn, 0, &ev) == WARREN_OK) {
            CHECK(warren_event_get_type(ev) != WARREN_EVENT_CONNECTION_LOST);
            warren_event_free(ev);
        }
    }
    warren_channel_free(ch);
    CHECK_OK(warren_connection_close(conn));
    warren_connection_free(conn);
    return harness_finish();
}
