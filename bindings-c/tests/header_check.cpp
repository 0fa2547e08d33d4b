/* Compiled by scripts/bindings/c.sh with gcc and clang under
 * -std=c99 -Wall -Wextra -Werror -pedantic, and as C++: the header must stand alone. */
#include <warren.h>

int main(void) {
    warren_connection *conn = NULL;
    warren_field_value v;
    warren_error e;
    v.kind = WARREN_FIELD_I32;
    v.value.i32 = 1;
    (void)v;
    (void)e;
    warren_connection_free(conn);
    /* Nothing has failed yet on this thread. */
    return warren_last_error(&e) == WARREN_EMPTY ? 0 : 1;
}
