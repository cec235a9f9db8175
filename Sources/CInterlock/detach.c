// Starting a process that outlives its starter (the scan index keeper): posix_spawn, so no
// Swift runs in a forked child; the *_np file actions need _GNU_SOURCE, which Swift's Glibc
// module does not see.
#define _GNU_SOURCE
#include "interlock_sys.h"
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

pid_t il_spawn_detached(const char *path, char *const argv[]) {
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    if (posix_spawn_file_actions_init(&actions) != 0) return -1;
    if (posix_spawnattr_init(&attributes) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        return -1;
    }
    // Nothing of the starter's: no terminal, no inherited descriptors, no working directory,
    // no environment, default signal dispositions, a session of its own.
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawn_file_actions_addchdir_np(&actions, "/");
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    char *empty[] = {0};
    pid_t pid = -1;
    int status = posix_spawn(&pid, path, &actions, &attributes, argv, empty);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    return status == 0 ? pid : -1;
}
