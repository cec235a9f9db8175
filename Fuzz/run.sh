#!/usr/bin/env bash
# Builds the libFuzzer targets (SwiftPM, -sanitize=fuzzer,address, into .build-fuzz) and runs
# each for SECONDS (default 30) from its committed seeds (Fuzz/corpus/NAME) plus the inputs that
# once crashed it (Fuzz/regressions/NAME, replayed first). New corpus entries go to a scratch
# directory; a crash leaves its input in Fuzz/crashes/ and fails the run.
#   Fuzz/run.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"; shift || true
declare -A corpus=([FuzzProfile]=profile [FuzzSeccompJSON]=seccomp-json [FuzzAuditReader]=audit [FuzzEgress]=egress [FuzzInspect]=inspect)
targets=("$@"); [ ${#targets[@]} -gt 0 ] || targets=(FuzzProfile FuzzSeccompJSON FuzzAuditReader FuzzEgress FuzzInspect)
for t in "${targets[@]}"; do
  INTERLOCK_FUZZ=1 ${SWIFT:-swift} build --build-path .build-fuzz -Xswiftc -sanitize=fuzzer,address \
      -Xswiftc -parse-as-library --product "$t" 2>&1 | grep -v "warning: Cannot export" | grep -E "error|warning: |Compiling|complete" | tail -3
done
mkdir -p Fuzz/crashes
scratch="$(mktemp -d /tmp/interlock-fuzz-XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
status=0
for t in "${targets[@]}"; do
  name="${corpus[$t]}"
  mkdir -p "$scratch/$name"
  regressions=()
  if [ -d "Fuzz/regressions/$name" ] && [ -n "$(ls -A "Fuzz/regressions/$name")" ]; then
    # Every input that once crashed this target, run once.
    ".build-fuzz/debug/$t" -detect_leaks=0 -runs=1 "Fuzz/regressions/$name"/* >/dev/null 2>&1 || { echo "fuzz $t: a regression input crashes again"; status=1; }
  fi
  log="$scratch/$t.log"
  # FuzzEgress keeps one proxy running for the whole process: what it holds at exit is not a leak.
  leaks=1; [ "$t" = FuzzEgress ] && leaks=0
  if ASAN_OPTIONS="detect_leaks=$leaks" ".build-fuzz/debug/$t" -detect_leaks=$leaks -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
       -artifact_prefix="Fuzz/crashes/$t-" -print_final_stats=1 "$scratch/$name" "Fuzz/corpus/$name" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
    echo "fuzz $t: ${seconds}s, $runs inputs, $cov, no crash"
  else
    echo "fuzz $t: CRASH (input saved under Fuzz/crashes/; make it a regression test)"; tail -30 "$log"; status=1
  fi
done
exit $status
