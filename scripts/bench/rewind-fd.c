// hyperfine --prepare helper: rewinds descriptor 3 (inherited from hyperfine, so the open file
// description is shared with the benchmarked command) to offset 0, so that every `bwrap
// --seccomp 3` run reads the whole filter without a wrapper process in the timed command.
#include <stdio.h>
#include <unistd.h>
int main(void) {
    if (lseek(3, 0, SEEK_SET) != 0) { perror("rewind-fd: lseek(3)"); return 1; }
    return 0;
}
