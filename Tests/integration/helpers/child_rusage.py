"""Runs a command as a child of this small process and writes the child's ru_maxrss (kB) to a file.

A process forked straight from the (large, growing) test runner would count the runner's own
pages in its ru_maxrss: the kernel keeps the peak of the image it had before execve.
Usage: child_rusage.py OUT_FILE COMMAND ARGS..."""
import os
import sys

pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) % 256)
