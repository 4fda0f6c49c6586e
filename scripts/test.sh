#!/usr/bin/env bash
# Runs every test of ci-connector on this machine, from nothing: brings its own
# Node 24, installs the locked npm packages, installs and starts the real Redis,
# Kafka and rtpengine (deploy/local), then lint, typecheck, build, unit tests and
# integration tests. Stops the servers it started. Ends with one line:
#   N passed, N failed[, N skipped]
# Usage: bash scripts/test.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

t0=$(date +%s)
phase_start=$t0
timings=()
phase() { # phase <name>: closes the previous phase's clock
  local now; now=$(date +%s)
  [ -n "${current_phase:-}" ] && timings+=("$(printf '%-12s %4ss' "$current_phase" $((now - phase_start)))")
  current_phase=$1 phase_start=$now
  echo "=== $1"
}
setup_failures=0

phase node
# shellcheck source=scripts/node-env.sh
source scripts/node-env.sh || { echo "test: could not bring in Node 24"; exit 1; }
echo "node $(node --version) at $(command -v node)"

phase npm-ci
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.ci-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "test: npm ci failed"; exit 1; }
  echo "$lock_hash" > node_modules/.ci-lock-hash
else
  echo "node_modules matches package-lock.json"
fi

phase stack
stack_was_up=0
bash deploy/local/stack.sh status >/dev/null 2>&1 && stack_was_up=1
stop_stack() {
  if [ "$stack_was_up" = 0 ]; then
    echo "=== stack down (this run started it)"
    bash deploy/local/stack.sh down || true
  fi
}
trap stop_stack EXIT
trap 'exit 130' INT TERM
if ! bash deploy/local/stack.sh up; then
  echo "test: the local stack did not come up: integration tests will fail"
  setup_failures=$((setup_failures + 1))
fi

results=$(mktemp -d "${TMPDIR:-/tmp}/ci-connector-results.XXXXXX")
export CI_TEST_RESULTS_DIR=$results
: > "$results/tasks.tsv"

# run_target <target> [nx flags…]: runs it on every project that has it and
# records each task as ok or failed for the summary.
run_target() {
  local target=$1; shift
  local projects log
  projects=$(nx show projects --with-target "$target" 2>/dev/null | sort)
  [ -n "$projects" ] || return 0
  log="$results/$target.log"
  nx run-many -t "$target" --outputStyle=stream --skip-nx-cache --nxBail=false "$@" 2>&1 | tee "$log"
  local nx_rc=${PIPESTATUS[0]} failed
  # Nx colours its summary even into a pipe: strip the escapes before reading it.
  failed=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | sed -n '/Failed tasks:/,$p' | sed -n "s/^- \([^:]*\):$target\$/\1/p" | sort)
  for p in $projects; do
    if grep -qx "$p" <<<"$failed"; then printf '%s\t%s\tfailed\n' "$target" "$p"; else printf '%s\t%s\tok\n' "$target" "$p"; fi >> "$results/tasks.tsv"
  done
  # Nx failed but named no task of ours: count that as a failure too, never as a pass.
  if [ "$nx_rc" -ne 0 ] && [ -z "$failed" ]; then
    printf '%s\t%s\tfailed\n' "$target" "(nx exit $nx_rc)" >> "$results/tasks.tsv"
  fi
}

phase lint;      run_target lint
phase typecheck; run_target typecheck
phase build;     run_target build
phase unit;      run_target test
# One at a time: some integration tests restart a shared server (Kafka).
phase integration; run_target int-test --parallel=1
phase stack-down
# Stopped before the summary, so the summary stays the last line printed.
trap - EXIT
stop_stack
phase summary

echo
echo "Time per phase (total $(( $(date +%s) - t0 ))s):"
printf '  %s\n' "${timings[@]}"
echo
for ((i = 0; i < setup_failures; i++)); do printf 'setup\tstack\tfailed\n' >> "$results/tasks.tsv"; done
node tools/test-summary.mjs "$results"
rc=$?
rm -rf "$results"
exit $rc
