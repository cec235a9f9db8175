// The child's failure report, shared by every setup step (child.h).
#define _GNU_SOURCE
#include "child.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>

int il_join(char *out, int cap, const char *a, const char *b) {
    int n = 0;
    for (const char *p = a; p && *p; p++) { if (n + 1 >= cap) return -1; out[n++] = *p; }
    for (const char *p = b; p && *p; p++) { if (n + 1 >= cap) return -1; out[n++] = *p; }
    out[n] = 0;
    return n;
}

void il_child_fail(const il_launch_spec *s, const char *step, const char *detail) {
    il_setup_error e;
    memset(&e, 0, sizeof e);
    e.err = errno;
    il_join(e.step, sizeof e.step, step, detail);
    ssize_t w = write(s->error_fd, &e, sizeof e);
    (void)w;
    _exit(126);
}
