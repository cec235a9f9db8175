#include "build_info.h"

#ifndef INTERLOCK_COMMIT
#define INTERLOCK_COMMIT ""
#endif

const char *interlock_build_commit(void) {
    return INTERLOCK_COMMIT;
}
