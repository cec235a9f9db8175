#!/usr/bin/env bash
# The built-in demo: a throwaway project with a credential file in it, and an "agent" that
# tries what agents try. Everything it attempts outside its workspace fails.
set -euo pipefail
bin=$(realpath "${1:-.build/release/interlock}")
work=$(mktemp -d /tmp/interlock-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/project/infra"
cd "$work/project"
echo 'print("hello from the project")' > app.py
echo 'API_TOKEN=sk-live-DO-NOT-LEAK' > infra/prod.tfvars
cat > .interlock.toml <<'TOML'
extends = "default"
[filesystem]
hidden = ["infra/prod.tfvars"]
TOML

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
echo "Interlock demo: project at $work/project (profile: .interlock.toml, extends default)"
echo "Host: $(hostname), $(ps -e --no-headers | wc -l) processes running"

"$bin" run -v -- bash -c '
step() { printf "\n\033[1m[sandbox] %s\033[0m\n" "$*"; }
step "who am I, where am I"
id; echo "hostname: $(hostname)"; pwd
step "write to the workspace (allowed)"
echo "edited inside the sandbox" > notes.txt && cat notes.txt
step "write to the host outside the workspace (read-only)"
touch /usr/local/bin/backdoor 2>&1 || true
echo "x" >> /etc/hosts 2>&1 || true
step "read the hidden credential file"
echo "infra/prod.tfvars contains: [$(cat infra/prod.tfvars)]"
echo "writing it: $( (echo stolen > infra/prod.tfvars) 2>&1 || true)"
step "processes visible (host processes are invisible)"
ps -e -o pid,comm
step "network interfaces (loopback only)"
cat /proc/net/dev | tail -n +3 | cut -d: -f1
step "kernel knobs (read-only)"
(echo 3 > /proc/sys/vm/drop_caches) 2>&1 || true
step "capabilities"
grep Cap /proc/self/status
python3 app.py
'
status=$?
printf '\n\033[1mBack on the host:\033[0m notes.txt is %s; infra/prod.tfvars still holds: %s\n' \
  "$(test -f notes.txt && echo present || echo missing)" "$(cat infra/prod.tfvars)"
exit $status
