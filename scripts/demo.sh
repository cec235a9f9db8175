#!/usr/bin/env bash
# The built-in demo: a throwaway project with credentials in it, a "staging API" on loopback,
# and an "agent" that tries what agents try. Everything outside its grant fails, and is recorded.
set -euo pipefail
bin=$(realpath "${1:-.build/release/interlock}")
work=$(mktemp -d /tmp/interlock-demo.XXXXXX)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/project/infra" "$work/project/scripts" "$work/api"
cd "$work/project"
echo 'print("hello from the project")' > app.py
echo 'DATABASE_URL=postgres://prod:hunter2@db.prod.internal/app' > .env.production
echo 'DATABASE_URL=postgres://staging:staging@db.staging.internal/app' > .env.staging
echo 'region = "eu-west-1"' > infra/prod.tfvars
echo 'curl -H "Authorization: Bearer ghp_R4nd0mL00k1ngT0k3nF0rTh3D3m0xx12345678" https://api.github.com' > scripts/domains.sh
echo '{"status": "staging API: ok"}' > "$work/api/status.json"
python3 -m http.server 0 --bind 127.0.0.1 --directory "$work/api" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do port=$(grep -o 'port [0-9]*' "$work/server.log" | grep -o '[0-9]*' || true); [ -n "$port" ] && break; sleep 0.1; done
cat > .interlock.toml <<TOML
extends = "default"
default_env = "staging"
[network]
hosts = { "api.staging.test" = "127.0.0.1", "api.prod.test" = "127.0.0.1" }
[env.staging]
network.egress = ["api.staging.test:$port"]
secrets.allow_files = [".env.staging"]
[env.production]
network.egress = ["api.prod.test:$port"]
secrets.allow_files = [".env.production"]
TOML

# A profile runs only once approved (interlock init approves what it writes).
"$bin" profile trust >/dev/null
echo "Interlock demo: project at $work/project (profile .interlock.toml, environment staging)"
echo "Host: $(hostname), $(ps -e --no-headers | wc -l) processes; a staging API listens on 127.0.0.1:$port"

"$bin" run -v --env staging -- bash -c '
step() { printf "\n\033[1m[sandbox] %s\033[0m\n" "$*"; }
step "who am I, where am I"
id; echo "hostname: $(hostname)"; pwd
step "write to the workspace (allowed)"
echo "edited inside the sandbox" > notes.txt && cat notes.txt
step "write to the host outside the workspace (read-only)"
touch /usr/local/bin/backdoor 2>&1 || true
step "credentials: staging is granted, production and the pasted token are hidden"
echo ".env.staging:       $(cat .env.staging)"
echo ".env.production:    [$(cat .env.production)]"
echo "scripts/domains.sh: [$(cat scripts/domains.sh)]"
step "network: the staging API is allowed, production and everything else are not"
curl -sS -m 5 http://api.staging.test:'"$port"'/status.json
curl -sS -m 5 http://api.prod.test:'"$port"'/status.json | head -1
curl -sS -m 5 http://169.254.169.254/latest/meta-data/ | head -1
step "processes visible (host processes are invisible)"
ps -e -o pid,comm
step "what the kernel refuses"
unshare -r true 2>&1 || true
step "capabilities"
grep Cap /proc/self/status
python3 app.py
' || true
printf '\n\033[1mBack on the host:\033[0m notes.txt is %s; .env.production is intact: %s\n' \
  "$(test -f notes.txt && echo present || echo missing)" "$(cat .env.production)"
# The newest log (sed reads the whole listing: `head` would stop ls with SIGPIPE under pipefail
# once the directory holds many logs).
id=$(ls -t "${XDG_STATE_HOME:-$HOME/.local/state}/interlock/audit" | sed -n '1s/.*-\([0-9a-f]*\)\.jsonl/\1/p')
printf '\n\033[1m$ interlock audit show %s\033[0m\n' "$id"
"$bin" audit show "$id"
