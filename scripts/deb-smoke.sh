#!/usr/bin/env bash
# Installs a built interlock .deb into a minimal Debian root file system that has never seen Swift
# (debootstrap --variant=minbase, from the host's configured Debian mirror), then, as its root:
# `interlock --version`, `interlock doctor`, `interlock run -- true`, the manual and completions,
# and `dpkg -r`, checking that every file the package installed is gone.
# Usage (as root): deb-smoke.sh /abs/path/interlock_VERSION_amd64.deb
set -euo pipefail
deb=$1
[ "$(id -u)" = 0 ] || { echo "deb-smoke: needs root (debootstrap, chroot)"; exit 1; }
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
suite=${DEB_SUITE:-bookworm}
mirror=${DEB_MIRROR:-$(cat /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list 2>/dev/null \
  | sed -n 's/^URIs: *//p;s/^deb  *\(\[[^]]*\] *\)\?\(http[^ ]*\) .*/\2/p' | head -1 || true)}
mirror=${mirror:-http://deb.debian.org/debian}
# The pristine base is kept (debootstrap takes minutes); each check runs in a fresh copy of it.
base=${DEB_ROOT_CACHE:-/srv/interlock-deb-base-$suite}
if [ ! -x "$base/usr/bin/apt-get" ]; then
  rm -rf "$base"
  debootstrap --variant=minbase "$suite" "$base" "$mirror"
fi
root=$(mktemp -d /srv/interlock-deb-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
cp -a "$base/." "$root/"
cp "$deb" "$root/root/interlock.deb"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# A private mount namespace whose root is the new file system, with /proc, /sys and /dev for the
# sandbox; every mount disappears with it. pivot_root, not chroot: the kernel refuses to create a
# user namespace from a chrooted process (EPERM), and the sandbox needs one.
unshare --mount --propagation private -- bash -euo pipefail -c '
root=$1
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
mkdir -p "$root/.oldroot"
cd "$root"
pivot_root . .oldroot
exec /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb /bin/bash -euo pipefail -c "
  cd /
  umount -l /.oldroot && rmdir /.oldroot
  if command -v swift swiftc >/dev/null 2>&1; then echo \"FAIL: a Swift toolchain is present\"; exit 1; fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq /root/interlock.deb >/dev/null
  dpkg -L interlock | sort > /root/installed.txt
  echo \"== interlock --version\"; interlock --version
  echo \"== interlock-mcp --version\"; interlock-mcp --version
  echo \"== interlock doctor\"; interlock doctor
  mkdir -p /srv/project && cd /srv/project
  echo \"== interlock run -- true\"; interlock run -- true && echo \"exit 0\"
  echo \"== echo sandboxed | interlock run -- cat\"; echo sandboxed | interlock run -- cat
  echo \"== interlock init\"; interlock init >/dev/null && head -3 .interlock.toml
  test -s /usr/share/man/man1/interlock.1.gz && echo \"manual: /usr/share/man/man1/interlock.1.gz\"
  test -s /usr/share/bash-completion/completions/interlock && echo \"bash completion present\"
  echo \"== dpkg -r interlock\"
  dpkg -r interlock >/dev/null
  left=\$(while read -r f; do [ -f \"\$f\" ] || [ -L \"\$f\" ] && echo \"\$f\"; done < /root/installed.txt || true)
  if [ -n \"\$left\" ]; then echo \"FAIL: left after dpkg -r:\"; echo \"\$left\"; exit 1; fi
  echo \"removed: every installed file is gone\"
"
' deb-smoke "$root"
echo "deb-smoke: ok"
