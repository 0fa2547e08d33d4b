/* One channel shared by several threads: publishers and pulling consumers at once, with
 * confirms and acknowledgements, and nothing lost or duplicated. */
#define _POSIX_C_SOURCE 200809L
#include "harness.h"

#include <pthread.h>

#define PUBLISHERS 4
#define CONSUMERS 3
#define PER_PUBLISHER 250
#define TOTAL (PUBLISHERS * PER_PUBLISHER)

static warren_channel *shared_ch;
static char queue[256];
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char seen[TOTAL];
static int received, duplicates, failures;

static void *publisher(void *arg) {
    int id = (int)(long)arg, i;
    char body[32];
    for (i = 0; i < PER_PUBLISHER; i++) {
        int n = snprintf(body, sizeof body, "%d", id * PER_PUBLISHER + i);
        if (warren_channel_basic_publish(shared_ch, "", queue, (const uint8_t *)body, (size_t)n, NULL, 0) != WARREN_OK) {
            pthread_mutex_lock(&seen_lock);
            failures++;
            pthread_mutex_unlock(&seen_lock);
        }
    }
    return NULL;
}

static void *consumer(void *arg) {
    (void)arg;
    for (;;) {
        warren_delivery *d = NULL;
        warren_result r;
        int done;
        pthread_mutex_lock(&seen_lock);
        done = received >= TOTAL;
        pthread_mutex_unlock(&seen_lock);
        if (done) break;
        r = warren_channel_next_delivery(shared_ch, 200, &d);
        if (r == WARREN_TIMEOUT) continue;
        if (r != WARREN_OK) {
            pthread_mutex_lock(&seen_lock);
            failures++;
            pthread_mutex_unlock(&seen_lock);
            break;
        }
        {
            warren_bytes b = warren_delivery_body(d);
            char num[32];
            long n;
            size_t len = b.len < sizeof num - 1 ? b.len : sizeof num - 1;
            memcpy(num, b.data, len);
            num[len] = '\0';
            n = strtol(num, NULL, 10);
            int ack_failed = warren_delivery_ack(d) != WARREN_OK;
            pthread_mutex_lock(&seen_lock);
            failures += ack_failed;
            if (n >= 0 && n < TOTAL) {
                if (seen[n]) duplicates++;
                seen[n] = 1;
            }
            received++;
            pthread_mutex_unlock(&seen_lock);
        }
        warren_delivery_free(d);
    }
    return NULL;
}

int main(void) {
    warren_connection *conn = NULL;
    warren_queue_info info;
    pthread_t pubs[PUBLISHERS], cons[CONSUMERS];
    bool all_acked = false;
    long i;
    int missing = 0;
    harness_name = "test_threads";
    REQUIRE_OK(warren_connection_open(test_uri(), &conn));
    REQUIRE_OK(warren_connection_open_channel(conn, &shared_ch));
    REQUIRE_OK(warren_channel_queue_declare(shared_ch, "", WARREN_EXCLUSIVE, NULL, &info));
    memcpy(queue, info.queue, sizeof queue);
    CHECK_OK(warren_channel_confirm_select(shared_ch));
    CHECK_OK(warren_channel_basic_qos(shared_ch, 50, false));
    CHECK_OK(warren_channel_basic_consume(shared_ch, queue, NULL, 0, NULL, NULL));
    for (i = 0; i < CONSUMERS; i++) pthread_create(&cons[i], NULL, consumer, NULL);
    for (i = 0; i < PUBLISHERS; i++) pthread_create(&pubs[i], NULL, publisher, (void *)i);
    for (i = 0; i < PUBLISHERS; i++) pthread_join(pubs[i], NULL);
    CHECK_OK(warren_channel_wait_for_confirms(shared_ch, 30000, &all_acked));
    CHECK(all_acked);
    for (i = 0; i < CONSUMERS; i++) pthread_join(cons[i], NULL);
    for (i = 0; i < TOTAL; i++) missing += !seen[i];
    CHECK(failures == 0);
    CHECK(received == TOTAL);
    CHECK(duplicates == 0);
    CHECK(missing == 0);
    {
        warren_metrics m;
        CHECK_OK(warren_connection_metrics(conn, &m));
        CHECK(m.published >= TOTAL && m.acked >= TOTAL && m.confirmed >= TOTAL);
    }
    warren_channel_free(shared_ch);
    warren_connection_free(conn);
    return harness_finish();
}
