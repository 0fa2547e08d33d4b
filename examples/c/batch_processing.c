/* Batch processing: a durable direct exchange `video-desc-ex` and a durable queue
 * `video-desc-queue`; persistent jobs published in confirm mode; three workers, each on its
 * own channel with prefetch 1, take jobs through a callback and acknowledge them by hand.
 * Add or remove workers without changing the publisher. */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <pthread.h>
#include <time.h>

#define NAME "batch_processing"
#define EXCHANGE "video-desc-ex"
#define QUEUE "video-desc-queue"
#define ROUTING_KEY "video-desc"
#define WORKERS 3
#define JOBS 30

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int done;
static int per_worker[WORKERS];

static void work(void *userdata, const warren_delivery *job) {
    int worker = (int)(long)userdata;
    warren_bytes body = warren_delivery_body(job);
    (void)body; /* a real worker would describe the video named in the body here */
    if (warren_delivery_ack(job) != WARREN_OK) die(NAME, "warren_delivery_ack");
    pthread_mutex_lock(&lock);
    done++;
    per_worker[worker]++;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv) {
    warren_connection *conn = NULL;
    warren_channel *setup = NULL, *workers[WORKERS];
    warren_properties *persistent = warren_properties_new();
    struct timespec deadline;
    uint32_t stale = 0;
    bool all_acked = false;
    long i;
    char job[64];

    TRY(NAME, warren_connection_open(example_uri(argc, argv), &conn));
    TRY(NAME, warren_connection_open_channel(conn, &setup));
    TRY(NAME, warren_channel_exchange_declare(setup, EXCHANGE, "direct", WARREN_DURABLE, NULL));
    TRY(NAME, warren_channel_queue_declare(setup, QUEUE, WARREN_DURABLE, NULL, NULL));
    TRY(NAME, warren_channel_queue_bind(setup, QUEUE, EXCHANGE, ROUTING_KEY, NULL, 0));
    /* The queue outlives each run: start from empty so reruns count right. */
    TRY(NAME, warren_channel_queue_purge(setup, QUEUE, 0, &stale));

    for (i = 0; i < WORKERS; i++) {
        TRY(NAME, warren_connection_open_channel(conn, &workers[i]));
        TRY(NAME, warren_channel_basic_qos(workers[i], 1, false));
        TRY(NAME, warren_channel_basic_consume_callback(workers[i], QUEUE, NULL, 0, NULL, work, (void *)i, NULL));
    }

    TRY(NAME, warren_properties_set_delivery_mode(persistent, WARREN_DELIVERY_PERSISTENT));
    TRY(NAME, warren_channel_confirm_select(setup));
    for (i = 0; i < JOBS; i++) {
        int n = snprintf(job, sizeof job, "video-%ld.mp4", i);
        TRY(NAME, warren_channel_basic_publish(setup, EXCHANGE, ROUTING_KEY, (const uint8_t *)job, (size_t)n, persistent, 0));
    }
    TRY(NAME, warren_channel_wait_for_confirms(setup, 30000, &all_acked));
    if (!all_acked) die(NAME, "the broker nacked a job");

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&lock);
    while (done < JOBS && pthread_cond_timedwait(&changed, &lock, &deadline) == 0) {
    }
    i = done;
    pthread_mutex_unlock(&lock);
    if (i != JOBS) {
        fprintf(stderr, "%s: FAILED: %ld of %d jobs processed\n", NAME, i, JOBS);
        return 1;
    }
    for (i = 0; i < WORKERS; i++) warren_channel_free(workers[i]); /* cancels, joins the callback thread */
    warren_channel_free(setup);
    warren_connection_free(conn);
    warren_properties_free(persistent);
    printf("OK: %d persistent jobs processed by %d workers (%d/%d/%d)\n", JOBS, WORKERS, per_worker[0],
           per_worker[1], per_worker[2]);
    return 0;
}
