#!/usr/bin/env bash
# Installs what building and testing Interlock needs, if it is missing (Debian/Ubuntu).
set -euo pipefail
need=()
for pkg in libseccomp-dev libcap-dev pkg-config procps util-linux python3-venv libcurl4-openssl-dev zlib1g-dev node-graphql jq; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if ((${#need[@]})); then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "installing: ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
python3 -c 'import pytest' 2>/dev/null || python3 -m pip install -q pytest
# The request-rule differential tests read each request with graphql-core as a server would.
python3 -c 'import graphql' 2>/dev/null || python3 -m pip install -q graphql-core
