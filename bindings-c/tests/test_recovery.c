/* Automatic recovery: the test starts its own warren-broker (WARREN_BROKER_BIN) on a free
 * port with a data directory, kills it with SIGKILL while a consumer and a confirm-mode
 * publisher are open, restarts it, and checks that the same handles go on working. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>

extern char **environ;

static pid_t broker_pid = -1;
static int port;
static char data_dir[256];
static char log_path[300];

static int free_port(void) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    int s = socket(AF_INET, SOCK_STREAM, 0), p;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(s, (struct sockaddr *)&a, &len) != 0) {
        close(s);
        return -1;
    }
    p = ntohs(a.sin_port);
    close(s);
    return p;
}

static int port_open(void) {
    struct sockaddr_in a;
    int s = socket(AF_INET, SOCK_STREAM, 0), ok;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    return ok;
}

static int start_broker(void) {
    const char *bin = getenv("WARREN_BROKER_BIN");
    char listen[64];
    char *argv[6];
    int i;
    if (!bin || !*bin) bin = "target/debug/warren-broker";
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    argv[0] = (char *)bin;
    argv[1] = "--listen";
    argv[2] = listen;
    argv[3] = "--data-dir";
    argv[4] = data_dir;
    argv[5] = NULL;
    posix_spawn_file_actions_t io;
    posix_spawn_file_actions_init(&io);
    /* The broker's log goes next to its data directory, not into the test's output. */
    posix_spawn_file_actions_addopen(&io, 1, log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&io, 1, 2);
    i = posix_spawn(&broker_pid, bin, &io, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&io);
    if (i != 0) {
        fprintf(stderr, "cannot start %s\n", bin);
        return 0;
    }
    for (i = 0; i < 200; i++) {
        if (port_open()) return 1;
        sleep_ms(50);
    }
    return 0;
}

static void kill_broker(int sig) {
    if (broker_pid > 0) {
        kill(broker_pid, sig);
        waitpid(broker_pid, NULL, 0);
        broker_pid = -1;
    }
}

/* Waits for an event of `type`, freeing the others; 1 if it came. */
static int wait_event(warren_connection *conn, warren_event_type type, int timeout_ms) {
    int waited = 0;
    while (waited < timeout_ms) {
        warren_event *ev = NULL;
        if (warren_connection_next_event(conn, 200, &ev) == WARREN_OK) {
            int match = warren_event_get_type(ev) == type;
            warren_event_free(ev);
            if (match) return 1;
        } else {
            waited += 200;
        }
    }
    return 0;
}

static void run(void) {
    warren_options *opts = NULL;
    warren_connection *conn = NULL;
    warren_channel *ch = NULL;
    warren_delivery *d = NULL;
    warren_properties *persistent = warren_properties_new();
    warren_metrics m;
    char queue[128];
    bool acked = false;

    warren_properties_set_delivery_mode(persistent, WARREN_DELIVERY_PERSISTENT);
    opts = warren_options_new();
    CHECK_OK(warren_options_add_host(opts, "127.0.0.1", (uint16_t)port, false));
    CHECK_OK(warren_options_set_recovery_delay(opts, 100, 500));
    CHECK_OK(warren_options_set_heartbeat(opts, 2));
    CHECK_OK(warren_connection_open_with(opts, &conn));
    warren_options_free(opts);
    if (!conn) goto out;
    CHECK_OK(warren_connection_open_channel(conn, &ch));
    unique_name(queue, sizeof queue, "recovery");
    CHECK_OK(warren_channel_queue_declare(ch, queue, WARREN_DURABLE, NULL, NULL));
    CHECK_OK(warren_channel_confirm_select(ch));
    CHECK_OK(warren_channel_basic_consume(ch, queue, "recovering-consumer", 0, NULL, NULL));
    CHECK_OK(warren_channel_basic_publish(ch, "", queue, (const uint8_t *)"before", 6, persistent, 0));
    CHECK_OK(warren_channel_wait_for_confirms(ch, 10000, &acked));
    CHECK(acked);
    CHECK_OK(warren_channel_next_delivery(ch, 10000, &d));
    CHECK(bytes_eq(warren_delivery_body(d), "before"));
    CHECK_OK(warren_delivery_ack(d));
    warren_delivery_free(d);
    d = NULL;
    CHECK_OK(warren_channel_basic_qos(ch, 0, false)); /* a round trip: the ack went out */

    kill_broker(SIGKILL);
    CHECK(wait_event(conn, WARREN_EVENT_CONNECTION_LOST, 10000));
    CHECK(!warren_connection_is_connected(conn));
    CHECK(warren_connection_is_open(conn)); /* being recovered */
    CHECK(start_broker());
    CHECK(wait_event(conn, WARREN_EVENT_RECOVERED, 30000));
    CHECK(warren_connection_is_connected(conn));

    /* The same channel and consumer, after the broker came back. */
    CHECK_OK(warren_channel_basic_publish(ch, "", queue, (const uint8_t *)"after", 5, persistent, 0));
    CHECK_OK(warren_channel_wait_for_confirms(ch, 10000, &acked));
    CHECK(acked);
    /* "before" may come again, marked redelivered: its ack could have been lost with the
     * broker (at-least-once). */
    CHECK_OK(warren_channel_next_delivery(ch, 10000, &d));
    if (d && bytes_eq(warren_delivery_body(d), "before")) {
        CHECK(warren_delivery_redelivered(d));
        CHECK_OK(warren_delivery_ack(d));
        warren_delivery_free(d);
        d = NULL;
        CHECK_OK(warren_channel_next_delivery(ch, 10000, &d));
    }
    CHECK(bytes_eq(warren_delivery_body(d), "after"));
    CHECK_OK(warren_delivery_ack(d));
    warren_delivery_free(d);
    CHECK_OK(warren_connection_metrics(conn, &m));
    CHECK(m.recoveries == 1);
    CHECK_OK(warren_channel_queue_delete(ch, queue, 0, NULL));
    warren_channel_free(ch);
    CHECK_OK(warren_connection_close(conn));
out:
    warren_connection_free(conn);
    warren_properties_free(persistent);
}

int main(void) {
    char cmd[700];
    harness_name = "test_recovery";
    port = free_port();
    snprintf(data_dir, sizeof data_dir, "/tmp/warren-c-recovery-%ld", (long)getpid());
    snprintf(log_path, sizeof log_path, "%s.log", data_dir);
    CHECK(port > 0);
    if (port > 0 && start_broker()) {
        run();
    } else {
        CHECK(!"warren-broker started");
    }
    kill_broker(SIGTERM);
    if (harness_failures) {
        snprintf(cmd, sizeof cmd, "tail -n 20 '%s' >&2", log_path);
        if (system(cmd) != 0) fprintf(stderr, "no broker log at %s\n", log_path);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", data_dir, log_path);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", data_dir);
    return harness_finish();
}
