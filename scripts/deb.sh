#!/usr/bin/env bash
# Builds interlock_VERSION_amd64.deb from the release binaries: `make install PREFIX=/usr`
# into a staging root, then the Debian metadata, then dpkg-deb. Usage: deb.sh VERSION OUTPUT.deb
set -euo pipefail
version=$1 output=$2
cd "$(dirname "$0")/.."
for tool in dpkg-deb dpkg-shlibdeps; do
  command -v $tool >/dev/null || { echo "deb: needs $tool (apt-get install dpkg-dev)"; exit 1; }
done
stage=.build/deb/root
rm -rf .build/deb && mkdir -p "$stage/DEBIAN"
# Reproducible timestamps (dates in the manual, the changelog, the archive's mtimes).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
make --no-print-directory install BUILD=release PREFIX=/usr DESTDIR="$PWD/$stage" >/dev/null

# Debian's layout for a native package (the version has no Debian revision): changelog.gz is the
# Debian changelog; the upstream one is kept, compressed, under its own name.
doc=$stage/usr/share/doc/interlock
gzip -9n "$doc/CHANGELOG.md"
maintainer=${DEB_MAINTAINER:-$(git log -1 --format='%an <%ae>' 2>/dev/null || echo "Interlock <interlock@localhost>")}
{
  echo "interlock ($version) unstable; urgency=medium"
  echo
  echo "  * Release $version; see CHANGELOG.md.gz."
  echo
  echo " -- $maintainer  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n > "$doc/changelog.gz"
strip --strip-unneeded --remove-section=.comment "$stage/usr/bin/interlock" "$stage/usr/bin/interlock-mcp"

# Dependencies: dpkg-shlibdeps reads the libraries each binary links directly (DT_NEEDED) and
# names the runtime packages that hold them, with the minimum versions their symbols need; never
# the -dev packages the build used.
mkdir -p .build/deb/shlibs/debian
printf 'Source: interlock\n\nPackage: interlock\nArchitecture: amd64\n' > .build/deb/shlibs/debian/control
depends=$(cd .build/deb/shlibs && dpkg-shlibdeps -O "../root/usr/bin/interlock" "../root/usr/bin/interlock-mcp" 2>/dev/null \
  | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb: dpkg-shlibdeps found no dependencies"; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: interlock
Version: $version
Architecture: amd64
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends
Suggests: nftables
Section: utils
Priority: optional
Description: sandboxed execution runtime for AI coding agents
 Interlock runs an AI coding agent and its tools under a supervisor in Linux
 namespaces with a seccomp filter, a view of the host that hides credentials
 the project did not grant, an egress proxy limited to the project's allowlist,
 request rules for APIs, and an audit log that can be replayed against a
 changed profile.
CONTROL
find "$stage" -type d -exec chmod 755 {} +
(cd "$stage" && find usr -type f -print0 | sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
find "$stage" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$stage" "$output" >/dev/null
echo "built $output ($(du -h "$output" | cut -f1)); Depends: $depends"
