/* What the C examples share: the broker URI and reporting a failed call. */
#ifndef WARREN_EXAMPLE_COMMON_H
#define WARREN_EXAMPLE_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <warren.h>

/* The broker: the first argument, else $WARREN_URI, else the local default. */
static const char *example_uri(int argc, char **argv) {
    const char *env = getenv("WARREN_URI");
    if (argc > 1) return argv[1];
    if (env && *env) return env;
    return "amqp://guest:guest@127.0.0.1:5672/%2f";
}

/* Prints why `call` failed, with the AMQP reply code when there is one, and exits 1. */
static void die(const char *example, const char *call) {
    warren_error e;
    if (warren_last_error(&e) == WARREN_OK && e.reply_code != 0) {
        fprintf(stderr, "%s: FAILED: %s: %s (reply %u %s)\n", example, call, e.message,
                (unsigned)e.reply_code, e.reply_text);
    } else if (warren_last_error(&e) == WARREN_OK) {
        fprintf(stderr, "%s: FAILED: %s: %s\n", example, call, e.message);
    } else {
        fprintf(stderr, "%s: FAILED: %s\n", example, call);
    }
    exit(1);
}

/* Runs a call that returns a warren_result and exits with the reason if it fails. */
#define TRY(example, call)                                                                     \
    do {                                                                                       \
        if ((call) != WARREN_OK) die(example, #call);                                          \
    } while (0)

#endif
