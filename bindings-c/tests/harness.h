/* A minimal check harness for Warren's C tests: counts checks, prints each failure with its
 * location and the library's last error, and a closing line per program. */
#ifndef WARREN_TEST_HARNESS_H
#define WARREN_TEST_HARNESS_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <warren.h>

static int harness_checks;
static int harness_failures;

static inline void harness_fail(const char *file, int line, const char *what) {
    warren_error e;
    harness_failures++;
    if (warren_last_error(&e) == WARREN_OK) {
        fprintf(stderr, "%s:%d: FAILED: %s (last error %u: %s; reply %u %s)\n", file, line, what,
                (unsigned)e.result, e.message, (unsigned)e.reply_code, e.reply_text);
    } else {
        fprintf(stderr, "%s:%d: FAILED: %s\n", file, line, what);
    }
}

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        harness_checks++;                                                                      \
        if (!(cond)) harness_fail(__FILE__, __LINE__, #cond);                                  \
    } while (0)

#define CHECK_RESULT(call, expected)                                                           \
    do {                                                                                       \
        warren_result harness_r = (call);                                                      \
        harness_checks++;                                                                      \
        if (harness_r != (expected)) {                                                         \
            char harness_msg[512];                                                             \
            snprintf(harness_msg, sizeof harness_msg, "%s returned %u, expected %u", #call,    \
                     (unsigned)harness_r, (unsigned)(expected));                               \
            harness_fail(__FILE__, __LINE__, harness_msg);                                     \
        }                                                                                      \
    } while (0)

#define CHECK_OK(call) CHECK_RESULT(call, WARREN_OK)

/* Stops the program when a check it depends on failed. */
#define REQUIRE_OK(call)                                                                       \
    do {                                                                                       \
        int harness_before = harness_failures;                                                 \
        CHECK_OK(call);                                                                        \
        if (harness_failures != harness_before) return harness_finish();                       \
    } while (0)

static const char *harness_name = "test";

static inline int harness_finish(void) {
    printf("%s: %d checks, %d failed\n", harness_name, harness_checks, harness_failures);
    return harness_failures == 0 ? 0 : 1;
}

/* The broker to test against (WARREN_TEST_URI), or the local default. */
static inline const char *test_uri(void) {
    const char *uri = getenv("WARREN_TEST_URI");
    return uri && *uri ? uri : "amqp://guest:guest@127.0.0.1:5672/%2f";
}

/* A name no other run uses: prefix, process id, a counter. */
static inline void unique_name(char *buf, size_t len, const char *prefix) {
    static unsigned counter;
    snprintf(buf, len, "c-%s-%ld-%ld-%u", prefix, (long)getpid(), (long)time(NULL), ++counter);
}

/* Whether `b` holds exactly the NUL-terminated string `s`. */
static inline int bytes_eq(warren_bytes b, const char *s) {
    size_t n = strlen(s);
    return b.len == n && (n == 0 || memcmp(b.data, s, n) == 0);
}

static inline void sleep_ms(long ms) {
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
}

#endif
