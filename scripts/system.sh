#!/usr/bin/env bash
# Runs ci-connector on this machine: the real Redis, Kafka and rtpengine
# (deploy/local) and the services, each on 127.0.0.1, then prints where each
# piece listens. Usage: bash scripts/system.sh [up|status|down]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=${CI_CONNECTOR_WORK:-$root/.local}
run=$work/run
mkdir -p "$run"

# The services this script runs: name, HTTP port variable and default.
services=("skeleton:SKELETON_HTTP_PORT:18080")

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

svc_up() {
  local name=$1 port=$2 pidf="$run/$1.pid" log="$run/$1.log"
  if pid_alive "$pidf"; then echo "system: $name already running (pid $(cat "$pidf"))"; return 0; fi
  [ -f "$pidf" ] && { echo "system: $name: removing stale PID file (pid $(cat "$pidf") is gone)"; rm -f "$pidf"; }
  if ss -ltnH "sport = :$port" | grep -q .; then
    echo "system: $name: port 127.0.0.1:$port is taken by another process: $(ss -ltnpH "sport = :$port" | sed 's/.*users://')" >&2
    return 1
  fi
  # shellcheck source=/dev/null
  source "$work/stack/endpoints.env"
  HTTP_HOST=127.0.0.1 HTTP_PORT=$port REDIS_URL=$CI_REDIS_URL KAFKA_BROKERS=$CI_KAFKA_BROKERS \
    nohup node --enable-source-maps --import "./dist/$name/apps/$name/src/instrumentation.js" "./dist/$name/apps/$name/src/main.js" \
    >"$log" 2>&1 </dev/null &
  echo $! > "$pidf"
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then return 0; fi
    pid_alive "$pidf" || break
    sleep 0.2
  done
  echo "system: $name did not become ready; last lines of $log:" >&2
  tail -20 "$log" >&2
  return 1
}

svc_down() {
  local name=$1 pidf="$run/$1.pid"
  pid_alive "$pidf" || { rm -f "$pidf"; return 0; }
  local pid; pid=$(cat "$pidf")
  kill -TERM "$pid"
  for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && { echo "system: $name ignored SIGTERM for 15 s: killing it"; kill -KILL "$pid"; }
  rm -f "$pidf"
  echo "system: $name stopped"
}

port_of() { local var=${1#*:}; var=${var%%:*}; local def=${1##*:}; echo "${!var:-$def}"; }

case "${1:-up}" in
  up)
    # shellcheck source=scripts/node-env.sh
    source scripts/node-env.sh
    lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [ "$(cat node_modules/.ci-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
      npm ci --no-audit --no-fund --loglevel=error
      echo "$lock_hash" > node_modules/.ci-lock-hash
    fi
    bash deploy/local/stack.sh up
    nx run-many -t build --outputStyle=static >/dev/null
    for s in "${services[@]}"; do svc_up "${s%%:*}" "$(port_of "$s")"; done
    echo
    echo "ci-connector is running:"
    # shellcheck source=/dev/null
    source "$work/stack/endpoints.env"
    printf '  %-22s %s\n' "redis" "$CI_REDIS_URL" "kafka" "$CI_KAFKA_BROKERS" "rtpengine (ng, udp)" "$CI_RTPENGINE_NG"
    for s in "${services[@]}"; do
      printf '  %-22s %s\n' "${s%%:*}" "http://127.0.0.1:$(port_of "$s")  (health: /health/live, /health/ready; log: $run/${s%%:*}.log)"
    done
    echo "Stop everything with: bash scripts/system.sh down"
    ;;
  status)
    rc=0
    for s in "${services[@]}"; do
      n=${s%%:*}
      if pid_alive "$run/$n.pid"; then echo "$n: running (pid $(cat "$run/$n.pid"), http://127.0.0.1:$(port_of "$s"))"; else echo "$n: stopped"; rc=3; fi
    done
    bash deploy/local/stack.sh status || rc=3
    exit $rc
    ;;
  down)
    for s in "${services[@]}"; do svc_down "${s%%:*}"; done
    bash deploy/local/stack.sh down
    ;;
  *)
    echo "usage: bash scripts/system.sh [up|status|down]" >&2
    exit 2
    ;;
esac
