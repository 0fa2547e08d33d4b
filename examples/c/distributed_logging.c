/* Distributed logging: a topic exchange `logs` with routing keys `server.module.action.level`;
 * listeners come and go with exclusive server-named queues bound to a pattern (`*` is one
 * word, `#` any number). Each listener must get exactly the lines its pattern matches. */
#include "common.h"

#define NAME "distributed_logging"
#define EXCHANGE "logs"

static const char *const LINES[] = {
    "server1.user.profile.info", "server1.auth.login.error", "server2.billing.invoice.error",
    "server2.user.profile.debug", "server3.auth.logout.info",
};
#define N_LINES 5

struct listener {
    const char *pattern;
    int expected;
    warren_channel *ch;
    char queue[WARREN_SHORT_STRING_SIZE];
    int got;
};

int main(int argc, char **argv) {
    warren_connection *conn = NULL;
    warren_channel *setup = NULL;
    struct listener listeners[] = {
        {"server1.#", 2, NULL, "", 0},
        {"#.error", 2, NULL, "", 0},
        {"*.auth.*.*", 2, NULL, "", 0},
    };
    int n_listeners = 3, i, total = 0, expected = 0;

    TRY(NAME, warren_connection_open(example_uri(argc, argv), &conn));
    TRY(NAME, warren_connection_open_channel(conn, &setup));
    TRY(NAME, warren_channel_exchange_declare(setup, EXCHANGE, "topic", 0, NULL));
    for (i = 0; i < n_listeners; i++) {
        warren_queue_info info;
        TRY(NAME, warren_connection_open_channel(conn, &listeners[i].ch));
        TRY(NAME, warren_channel_queue_declare(listeners[i].ch, "", WARREN_EXCLUSIVE, NULL, &info));
        memcpy(listeners[i].queue, info.queue, sizeof info.queue);
        TRY(NAME, warren_channel_queue_bind(listeners[i].ch, info.queue, EXCHANGE, listeners[i].pattern, NULL, 0));
        TRY(NAME, warren_channel_basic_consume(listeners[i].ch, info.queue, NULL, WARREN_NO_ACK, NULL, NULL));
        expected += listeners[i].expected;
    }
    for (i = 0; i < N_LINES; i++) {
        TRY(NAME, warren_channel_basic_publish(setup, EXCHANGE, LINES[i], (const uint8_t *)LINES[i], strlen(LINES[i]), NULL, 0));
    }
    /* Each listener reads its own channel's deliveries. */
    for (i = 0; i < n_listeners; i++) {
        warren_delivery *d = NULL;
        while (listeners[i].got < listeners[i].expected) {
            if (warren_channel_next_delivery(listeners[i].ch, 10000, &d) != WARREN_OK) die(NAME, "warren_channel_next_delivery");
            listeners[i].got++;
            total++;
            warren_delivery_free(d);
        }
        /* Nothing more for it. */
        if (warren_channel_next_delivery(listeners[i].ch, 300, &d) != WARREN_TIMEOUT) {
            fprintf(stderr, "%s: FAILED: %s received a line it does not match\n", NAME, listeners[i].pattern);
            return 1;
        }
    }
    for (i = 0; i < n_listeners; i++) warren_channel_free(listeners[i].ch);
    TRY(NAME, warren_channel_exchange_delete(setup, EXCHANGE, 0));
    warren_channel_free(setup);
    warren_connection_free(conn);
    printf("OK: %d log lines routed to %d listeners (%d deliveries)\n", N_LINES, n_listeners, total);
    return total == expected ? 0 : 1;
}
