"""Host state attributed to a set of runs, before and after: processes, mounts, network
namespaces, cgroups, zombies, temporary files, the test's own descriptors. Other people's
sandboxes may come and go on the machine meanwhile: processes are attributed by a marker in
their environment, cgroups by the supervisor pids in their names.

Not a leak, and not counted: the secrets scan index keeper (`interlock secrets index-keeper`) a
run starts for a workspace of 5,000 files or more, meant to outlive the run. It starts with an
empty environment (no marker) and never for the small workspaces these tests use; the
integration tests of the index (test_secrets.py) kill theirs."""

import os
import subprocess

from integration_conftest import interlock_cgroup_dirs, mountinfo_lines, net_namespaces, own_fds, pids_with_env, tmp_entries


SANDBOX_UID_BASE = 0x5F000000


def zombies_of(parents):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        fields = data[data.rindex(b")") + 2:].split()
        if fields[0] == b"Z" and int(fields[1]) in parents:
            out.append(int(entry))
    return out


def cgroups_of(supervisors):
    prefixes = tuple(f"interlock-{pid}-" for pid in supervisors)
    return [d for d in interlock_cgroup_dirs() if os.path.basename(d).startswith(prefixes)]


def files_held():
    """The test process's descriptors, but its own sockets (the loopback servers tests run)."""
    held = []
    for fd in own_fds():
        try:
            if not os.readlink(f"/proc/self/fd/{fd}").startswith("socket:"):
                held.append(fd)
        except OSError:
            pass
    return held


def snapshot():
    return {
        "mounts": sorted(mountinfo_lines()),
        "netns": net_namespaces(),
        "ip_netns": subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout,
        "tmp": tmp_entries(),
        "fds": files_held(),
    }


def leaks(before, after, marker, supervisors):
    """Everything our runs left behind: {kind: [what]}; empty when nothing."""
    found = {}
    survivors = pids_with_env(marker)
    if survivors:
        found["processes"] = survivors
    new_mounts = sorted(set(after["mounts"]) - set(before["mounts"]))
    if new_mounts:
        found["mounts"] = new_mounts
    ours = set(survivors) | set(supervisors)
    held = []
    for ns in after["netns"] - before["netns"]:
        for e in os.listdir("/proc"):
            if e.isdigit() and int(e) in ours:
                try:
                    if os.readlink(f"/proc/{e}/ns/net") == ns:
                        held.append(ns)
                except OSError:
                    pass
    if held:
        found["netns"] = held
    if after["ip_netns"] != before["ip_netns"]:
        found["ip_netns"] = after["ip_netns"]
    cgroups = cgroups_of(supervisors)
    if cgroups:
        found["cgroups"] = cgroups
    zombies = zombies_of({os.getpid(), *supervisors})
    if zombies:
        found["zombies"] = zombies
    new_tmp = {n: u for n, u in after["tmp"].items() if n not in before["tmp"]
               and (u >= SANDBOX_UID_BASE or n in ("newroot", "oldroot") or n.startswith(".interlock"))}
    if new_tmp:
        found["tmp"] = new_tmp
    if after["fds"] != before["fds"]:
        found["fds"] = (before["fds"], after["fds"])
    return found
