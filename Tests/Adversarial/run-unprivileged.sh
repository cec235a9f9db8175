#!/usr/bin/env bash
# Runs the adversarial suite again as an unprivileged user (sandboxes differ for root and for
# everyone else: idmapped workspace and cgroups vs the caller's own uid and rlimits).
# Needs root to create the user. The user gets a private copy of the binary and the tests, so
# the build directory (often under /root) need not be readable by it.
#   Tests/Adversarial/run-unprivileged.sh BINARY [PYTEST ARGS...]
set -euo pipefail
binary="$1"; shift
user=interlock-adv
[ "$(id -u)" = 0 ] || { echo "run-unprivileged.sh: needs root to create the user $user" >&2; exit 2; }
# The user runs the system python, not the caller's (pyenv under /root is not readable).
/usr/bin/python3 -c 'import pytest' 2>/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pytest >/dev/null; }
id -u "$user" >/dev/null 2>&1 || useradd --system --create-home --home-dir "/home/$user" --shell /bin/sh "$user"
here="$(cd "$(dirname "$0")/../.." && pwd)"
copy="$(mktemp -d /tmp/interlock-adv-XXXXXX)"
trap 'rm -rf "$copy"' EXIT
mkdir -p "$copy/Tests" "$copy/Sources/InterlockSeccomp"
cp -r "$here/Tests/Adversarial" "$here/Tests/integration" "$copy/Tests/"
cp "$here/Sources/InterlockSeccomp/Baselines.swift" "$copy/Sources/InterlockSeccomp/"
cp "$binary" "$copy/interlock"
chown -R "$user:" "$copy"
chmod 755 "$copy"
cd "$copy"
setpriv --reuid="$user" --regid="$user" --init-groups \
    env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="/home/$user" LC_ALL=C \
    INTERLOCK_BIN="$copy/interlock" PYTHONDONTWRITEBYTECODE=1 \
    /usr/bin/python3 -m pytest -q -p no:cacheprovider Tests/Adversarial "$@"
