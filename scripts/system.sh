#!/usr/bin/env bash
# Runs ci-connector on this machine: the real Redis, Kafka and rtpengine
# (deploy/local), the services (sip-signaling included) and the ci-emulator (the
# local double of Microsoft's side: Entra, providers API, SIPREC recorder, CIF
# page), each on 127.0.0.1, prints where each piece listens, onboards the demo
# tenant and places one recorded call (the demo).
# Usage: bash scripts/system.sh [up [--no-demo]|demo|status|down]
#   up      start what is not running (what runs is reused), onboard the demo
#           tenant, then the demo call; --no-demo stops after the start
#   demo    onboard the demo tenant if needed, place one recorded call with sipp
#           and print what happened (WAVs and metadata in <work>/demo/<call id>/)
#   down    stop what up started; the local stack only if up started it
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=${CI_CONNECTOR_WORK:-$root/.local}
run=$work/run
mkdir -p "$run"

# The services this script runs: name, HTTP port variable and default.
services=("skeleton:SKELETON_HTTP_PORT:18080" "registration-service:REGISTRATION_HTTP_PORT:18081" "policy-sync-worker:POLICY_SYNC_HTTP_PORT:18083" "sip-signaling:SIP_SIGNALING_HTTP_PORT:18084" "call-events:CALL_EVENTS_HTTP_PORT:18082" "widget-gateway:WIDGET_GATEWAY_HTTP_PORT:18086")
registration_grpc_port=${REGISTRATION_GRPC_PORT:-18051}
call_events_grpc_port=${CALL_EVENTS_GRPC_PORT:-18052}
# sip-signaling's SIP listener (UDP and TCP), and where the demo's seller phone
# (a sipp UAS, the demo tenant's nextHop) answers.
sip_port=${SIP_SIGNALING_SIP_PORT:-15060}
demo_uas_port=${DEMO_UAS_PORT:-15070}

# The demo Entra app and customer tenant the emulator knows when no
# CI_EMULATOR_CONFIG is given (the app authenticates with the test PKI's app.pem).
demo_app=4d4d4d4d-4444-4444-8444-444444444444
demo_tenant=c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc
demo_account=ACdemo0001

# The ci-emulator: HTTPS (Entra token endpoint, providers API, /emulator/), the
# SIPREC recorder on SIPS/TLS and its SRTP ports; its test PKI is minted once.
emu_https_port=${CI_EMULATOR_HTTPS_PORT:-18443}
emu_sip_port=${CI_EMULATOR_SIP_PORT:-15061}
emu_media_min=${CI_EMULATOR_MEDIA_PORT_MIN:-31000}
emu_media_max=${CI_EMULATOR_MEDIA_PORT_MAX:-31999}
emu_dir=$work/ci-emulator
emu_certs=$emu_dir/certs
emu_recordings=$emu_dir/recordings

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Whether the PID in $1 is still our app $2 (its command line runs dist/$2/), not a recycled PID.
pid_is() { [ -r "/proc/$(cat "$1")/cmdline" ] && tr '\0' ' ' <"/proc/$(cat "$1")/cmdline" | grep -q "dist/$2/"; }

port_taken() { # proto port name
  local flag=-ltnH; [ "$1" = udp ] && flag=-lunH
  if ss $flag "sport = :$2" | grep -q .; then
    echo "system: $3: $1 port 127.0.0.1:$2 is taken by another process: $(ss ${flag/H/pH} "sport = :$2" | sed 's/.*users://')" >&2
    return 0
  fi
  return 1
}

svc_up() {
  local name=$1 port=$2 pidf="$run/$1.pid" log="$run/$1.log"
  if pid_alive "$pidf"; then echo "system: $name already running (pid $(cat "$pidf"))"; return 0; fi
  [ -f "$pidf" ] && { echo "system: $name: removing stale PID file (pid $(cat "$pidf") is gone)"; rm -f "$pidf"; }
  if ss -ltnH "sport = :$port" | grep -q .; then
    echo "system: $name: port 127.0.0.1:$port is taken by another process: $(ss -ltnpH "sport = :$port" | sed 's/.*users://')" >&2
    return 1
  fi
  if [ "$name" = sip-signaling ]; then
    port_taken udp "$sip_port" "$name (SIP)" && return 1
    port_taken tcp "$sip_port" "$name (SIP)" && return 1
    write_sip_tenants
  fi
  # shellcheck source=/dev/null
  source "$work/stack/endpoints.env"
  local extra=()
  mapfile -t extra < <(svc_env "$name")
  env HTTP_HOST=127.0.0.1 HTTP_PORT="$port" METRICS_HOST=127.0.0.1 METRICS_PORT="$((port + 1000))" REDIS_URL="$CI_REDIS_URL" KAFKA_BROKERS="$CI_KAFKA_BROKERS" "${extra[@]}" \
    nohup node --max-semi-space-size=8 --enable-source-maps --import "./dist/$name/apps/$name/src/instrumentation.js" "./dist/$name/apps/$name/src/main.js" \
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
  if ! pid_is "$pidf" "$name"; then
    echo "system: $name: pid $pid is no longer $name (stale PID file): leaving that process alone"
    rm -f "$pidf"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && { echo "system: $name ignored SIGTERM for 15 s: killing it"; kill -KILL "$pid"; }
  rm -f "$pidf"
  echo "system: $name stopped"
}

# Per-service settings beyond HTTP/Redis/Kafka: the services that talk to
# Microsoft's side talk to the ci-emulator, as the demo app.
svc_env() {
  local ci=("CI_API_BASE_URL=https://127.0.0.1:$emu_https_port" "ENTRA_AUTHORITY_HOST=https://127.0.0.1:$emu_https_port"
    "CI_API_CA_FILE=$emu_certs/ca.pem" "CI_APP_CLIENT_ID=$demo_app" "CI_APP_CERT_FILE=$emu_certs/app.pem" "CI_APP_KEY_FILE=$emu_certs/app-key.pem")
  case $1 in
    registration-service) printf '%s\n' "${ci[@]}" "GRPC_HOST=127.0.0.1" "GRPC_PORT=$registration_grpc_port" "ADMIN_API_KEY=$(admin_key)" ;;
    policy-sync-worker) printf '%s\n' "${ci[@]}" ;;
    # The B2BUA on loopback, media in deploy/local's rtpengine, the policy in its
    # Redis, events to its Kafka; it records with the carrier's certificate of the
    # emulator's test PKI, every region's recorder being the emulator.
    sip-signaling) printf '%s\n' "SIP_HOST=127.0.0.1" "SIP_UDP_PORT=$sip_port" "SIP_TCP_PORT=$sip_port" \
      "SIP_TENANTS_FILE=$run/sip-signaling-tenants.json" \
      "RTPENGINE_HOST=${CI_RTPENGINE_NG%:*}" "RTPENGINE_PORT=${CI_RTPENGINE_NG##*:}" \
      "RECORDING_TLS_CERT_FILE=$emu_certs/carrier.pem" "RECORDING_TLS_KEY_FILE=$emu_certs/carrier-key.pem" \
      "RECORDING_TLS_CA_FILE=$emu_certs/ca.pem" "RECORDING_SRC_DOMAIN=sbc.carrier.example" \
      "RECORDER_HOST_OVERRIDES=*=127.0.0.1:$emu_sip_port" ;;
    # Real-time events: partner dialers post to call-events (REST and gRPC), the sellers'
    # widgets read widget-gateway's event streams.
    call-events) printf '%s\n' "GRPC_HOST=127.0.0.1" "GRPC_PORT=$call_events_grpc_port" "WIDGET_TOKEN_SECRET=$(widget_token_secret)" ;;
    widget-gateway) printf '%s\n' "WIDGET_TOKEN_SECRET=$(widget_token_secret)" ;;
  esac
}

# sip-signaling's tenants: the demo tenant's calls are the ones to its sellers'
# numbers (the emulator's generated users have +1 555 numbers), routed to the
# demo's seller phone; the call id is the dialer's X-Dialer-Call-Id.
write_sip_tenants() {
  cat > "$run/sip-signaling-tenants.json" <<JSON
{
  "tenants": {
    "$demo_tenant": {
      "match": { "calledNumbers": ["+1555*"] },
      "nextHop": "sip:127.0.0.1:$demo_uas_port",
      "dialerCallIdHeader": "X-Dialer-Call-Id"
    }
  }
}
JSON
}

# The bootstrap admin API key of registration-service: made once, kept (0600) in $run.
# The secret call-events signs the sellers' widget tokens with and widget-gateway checks them by.
widget_token_secret() {
  local f=$run/widget-token-secret
  [ -s "$f" ] || (umask 077; head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' > "$f")
  cat "$f"
}

admin_key() {
  local f=$run/admin-api-key
  [ -s "$f" ] || (umask 077; head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' > "$f")
  cat "$f"
}

# The emulator's directory when no CI_EMULATOR_CONFIG is given: the demo app
# (certificate credential app.pem) consented in the demo tenant, 1,000 users.
demo_emulator_config() {
  local f=$emu_dir/demo-config.json
  cat > "$f" <<JSON
{
  "apps": [{ "clientId": "$demo_app", "displayName": "ci-connector demo app", "certificates": ["certs/app.pem"] }],
  "tenants": [{ "tenantId": "$demo_tenant", "displayName": "Contoso (demo)",
                "consents": [{ "clientId": "$demo_app", "roles": ["Users.Read.All"] }],
                "users": { "generate": { "count": 1000, "seed": "demo", "domain": "contoso.example" } },
                "usersResponse": { "shape": "paged", "pageSize": 200 } }]
}
JSON
  echo "$f"
}

emu_up() {
  local name=ci-emulator pidf="$run/ci-emulator.pid" log="$run/ci-emulator.log"
  if pid_alive "$pidf" && pid_is "$pidf" $name; then echo "system: $name already running (pid $(cat "$pidf"))"; return 0; fi
  [ -f "$pidf" ] && { echo "system: $name: removing stale PID file (pid $(cat "$pidf") is gone)"; rm -f "$pidf"; }
  port_taken tcp "$emu_https_port" "$name (HTTPS)" && return 1
  port_taken tcp "$emu_sip_port" "$name (SIPS)" && return 1
  # The test PKI (CA, HTTPS and recorder certificates, a carrier client
  # certificate, an Entra app certificate): minted once, kept across runs.
  if [ ! -f "$emu_certs/ca.pem" ]; then
    echo "system: $name: minting the test PKI into $emu_certs"
    bash apps/ci-emulator/scripts/mint-certs.sh "$emu_certs" >/dev/null
  fi
  mkdir -p "$emu_recordings"
  local config_env=(EMULATOR_CONFIG="${CI_EMULATOR_CONFIG:-$(demo_emulator_config)}")
  env HTTP_HOST=127.0.0.1 HTTPS_PORT="$emu_https_port" SIP_HOST=127.0.0.1 SIP_PORT="$emu_sip_port" \
    MEDIA_HOST=127.0.0.1 MEDIA_PORT_MIN="$emu_media_min" MEDIA_PORT_MAX="$emu_media_max" \
    CERTS_DIR="$emu_certs" RECORDINGS_DIR="$emu_recordings" "${config_env[@]}" \
    nohup node --enable-source-maps --import "./dist/$name/apps/$name/src/instrumentation.js" "./dist/$name/apps/$name/src/main.js" \
    >"$log" 2>&1 </dev/null &
  echo $! > "$pidf"
  for _ in $(seq 1 100); do
    if curl -fsS --cacert "$emu_certs/ca.pem" "https://127.0.0.1:$emu_https_port/health/ready" >/dev/null 2>&1; then return 0; fi
    pid_alive "$pidf" || break
    sleep 0.2
  done
  echo "system: $name did not become ready; last lines of $log:" >&2
  tail -20 "$log" >&2
  return 1
}

emu_endpoints() {
  local base="https://127.0.0.1:$emu_https_port"
  printf '  %-22s %s\n' \
    "ci-emulator" "$base  (health: /health/ready; trust $emu_certs/ca.pem; log: $run/ci-emulator.log)" \
    "  token endpoint" "$base/<tenant>/oauth2/v2.0/token" \
    "  providers API" "$base/api/v1.0/providers/tenants, $base/api/v1.0/providers/users" \
    "  SIPREC recorder" "sips:127.0.0.1:$emu_sip_port (TLS, client certificate required); SRTP on UDP $emu_media_min-$emu_media_max" \
    "  CIF page" "$base/emulator/cif  (calls: $base/emulator/cif/calls)" \
    "  recordings" "$emu_recordings  (API: $base/emulator/recordings)" \
    "  test PKI" "$emu_certs  (carrier client certificate: carrier.pem, carrier-key.pem)"
}

port_of() { local var=${1#*:}; var=${var%%:*}; local def=${1##*:}; echo "${!var:-$def}"; }

# Who started the local stack: `up` records the PIDs of the servers it started
# in $stack_marker, and `down` stops the stack only while those same servers run.
# A stack someone else started (CI's test command, another terminal) is left alone.
stack_marker=$run/stack-started-by-system
stack_pids() {
  local c f out=()
  for c in redis kafka rtpengine; do
    f=$work/stack/$c/$c.pid
    out+=("$c=$(tr -dc '0-9' <"$f" 2>/dev/null || true)")
  done
  echo "${out[*]}"
}
stack_ours() { [ -s "$stack_marker" ] && [ "$(cat "$stack_marker")" = "$(stack_pids)" ]; }

stack_up() {
  local ours=1
  if stack_ours; then :
  elif grep -Eq '^stack: +(redis|kafka|rtpengine) +(running|starting) ' <<<"$(bash deploy/local/stack.sh status 2>/dev/null || true)"; then
    ours=0
    echo "system: the local stack runs already (not started by system.sh): using it; down will leave it running"
  fi
  rm -f "$stack_marker"
  bash deploy/local/stack.sh up
  # What this script started (or restarted, were it ours) is recorded as ours.
  [ "$ours" = 0 ] || stack_pids > "$stack_marker"
}

# The demo scripts' settings (scripts/demo/lib.mjs reads them).
demo_env() {
  # shellcheck source=/dev/null
  source "$work/stack/endpoints.env"
  export DEMO_WORK=$work DEMO_RUN=$run DEMO_TENANT=$demo_tenant DEMO_APP=$demo_app DEMO_ACCOUNT_ID=$demo_account \
    DEMO_EMULATOR_URL=https://127.0.0.1:$emu_https_port DEMO_EMULATOR_CERTS=$emu_certs \
    DEMO_REGISTRATION_URL=http://127.0.0.1:$(port_of "${services[1]}") DEMO_ADMIN_KEY_FILE=$run/admin-api-key \
    DEMO_POLICY_SYNC_URL=http://127.0.0.1:$(port_of "${services[2]}") DEMO_SIP_SIGNALING_URL=http://127.0.0.1:$(port_of "${services[3]}") \
    DEMO_SIP_PORT=$sip_port DEMO_UAS_PORT=$demo_uas_port DEMO_REDIS_URL=$CI_REDIS_URL DEMO_KAFKA_BROKERS=$CI_KAFKA_BROKERS \
    DEMO_EVENTS_TOPIC=ci.recording.events.v1
}

# The demo: onboard the demo tenant (idempotent), then one recorded call.
run_demo() {
  demo_env
  echo
  node scripts/demo/onboard.mjs || { echo "system: onboarding the demo tenant failed (above); logs in $run/" >&2; return 1; }
  node scripts/demo/call.mjs || { echo "system: the demo call failed (above); logs in $run/" >&2; return 1; }
}

case "${1:-up}" in
  up)
    demo=1
    case "${2:-}" in
      "") ;;
      --no-demo) demo=0 ;;
      *) echo "usage: bash scripts/system.sh up [--no-demo]" >&2; exit 2 ;;
    esac
    # shellcheck source=scripts/node-env.sh
    source scripts/node-env.sh
    lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
    if [ "$(cat node_modules/.ci-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
      npm ci --no-audit --no-fund --loglevel=error
      echo "$lock_hash" > node_modules/.ci-lock-hash
    fi
    stack_up
    nx run-many -t build --outputStyle=static >/dev/null
    emu_up
    for s in "${services[@]}"; do svc_up "${s%%:*}" "$(port_of "$s")"; done
    echo
    echo "ci-connector is running:"
    # shellcheck source=/dev/null
    source "$work/stack/endpoints.env"
    printf '  %-22s %s\n' "redis" "$CI_REDIS_URL" "kafka" "$CI_KAFKA_BROKERS" "rtpengine (ng, udp)" "$CI_RTPENGINE_NG"
    for s in "${services[@]}"; do
      printf '  %-22s %s\n' "${s%%:*}" "http://127.0.0.1:$(port_of "$s")  (health: /health/live, /health/ready; log: $run/${s%%:*}.log)"
    done
    printf '  %-22s %s\n' "  registration gRPC" "127.0.0.1:$registration_grpc_port (ci_connector.registration.v1.TenantService)" \
      "  admin API key" "$run/admin-api-key  (Authorization: Bearer \$(cat $run/admin-api-key))" \
      "  SIP (the trunk)" "sip:127.0.0.1:$sip_port (UDP, TCP); tenants: $run/sip-signaling-tenants.json" \
      "  calls, drain" "http://127.0.0.1:$(port_of "${services[3]}")/calls, /drain" \
      "  call events" "POST http://127.0.0.1:$(port_of "${services[4]}")/v1/calls/{callId}/started|ended (API docs /docs); gRPC 127.0.0.1:$call_events_grpc_port" \
      "  widget streams" "http://127.0.0.1:$(port_of "${services[5]}")/v1/widget/stream?token=… (tokens: POST /v1/widget-tokens on call-events)" \
      "  metrics" "GET /metrics on each service's HTTP port + 1000 (e.g. http://127.0.0.1:$(( $(port_of "${services[3]}") + 1000 ))/metrics)"
    emu_endpoints
    if stack_ours; then echo "  (the local stack was started by this script: down stops it too)"; else echo "  (the local stack was already running: down leaves it running)"; fi
    if [ "$demo" = 1 ] && [ -n "${CI_EMULATOR_CONFIG:-}" ]; then
      echo
      echo "CI_EMULATOR_CONFIG is set: the emulator runs your directory, not the demo's; no demo (bash scripts/system.sh demo tries it anyway)"
    elif [ "$demo" = 1 ]; then
      run_demo || exit 1
      echo
      echo "Again: bash scripts/system.sh demo    By hand: docs/onboarding-a-tenant.md (admin key: $run/admin-api-key)"
    else
      echo
      echo "The demo (onboard the demo tenant, one recorded call): bash scripts/system.sh demo"
    fi
    echo "Stop everything with: bash scripts/system.sh down"
    ;;
  demo)
    # shellcheck source=scripts/node-env.sh
    source scripts/node-env.sh
    [ -f "$work/stack/endpoints.env" ] || { echo "system: the local stack is not up (no $work/stack/endpoints.env): run bash scripts/system.sh up" >&2; exit 1; }
    for s in "${services[@]}"; do
      n=${s%%:*}
      [ "$n" = skeleton ] && continue
      pid_alive "$run/$n.pid" || { echo "system: $n is not running: run bash scripts/system.sh up" >&2; exit 1; }
    done
    pid_alive "$run/ci-emulator.pid" || { echo "system: ci-emulator is not running: run bash scripts/system.sh up" >&2; exit 1; }
    run_demo || exit 1
    ;;
  status)
    rc=0
    for s in "${services[@]}"; do
      n=${s%%:*}
      if pid_alive "$run/$n.pid"; then echo "$n: running (pid $(cat "$run/$n.pid"), http://127.0.0.1:$(port_of "$s"))"; else echo "$n: stopped"; rc=3; fi
    done
    if pid_alive "$run/ci-emulator.pid" && pid_is "$run/ci-emulator.pid" ci-emulator; then
      if curl -fsS --cacert "$emu_certs/ca.pem" "https://127.0.0.1:$emu_https_port/health/ready" >/dev/null 2>&1; then
        echo "ci-emulator: running (pid $(cat "$run/ci-emulator.pid"), https://127.0.0.1:$emu_https_port, sips:127.0.0.1:$emu_sip_port)"
      else
        echo "ci-emulator: not ready (pid $(cat "$run/ci-emulator.pid") lives, https://127.0.0.1:$emu_https_port/health/ready does not answer 200; log: $run/ci-emulator.log)"; rc=3
      fi
    else
      echo "ci-emulator: stopped"; rc=3
    fi
    bash deploy/local/stack.sh status || rc=3
    if stack_ours; then echo "local stack: started by system.sh up (down stops it)"; else echo "local stack: not started by system.sh up (down leaves it running)"; fi
    exit $rc
    ;;
  down)
    for s in "${services[@]}"; do svc_down "${s%%:*}"; done
    svc_down ci-emulator
    if stack_ours; then
      bash deploy/local/stack.sh down
      rm -f "$stack_marker"
    else
      [ -f "$stack_marker" ] && { echo "system: the local stack was restarted since system.sh up started it: leaving it running"; rm -f "$stack_marker"; }
      echo "system: the local stack (Redis, Kafka, rtpengine) was not started by system.sh up: left running (bash deploy/local/stack.sh down stops it)"
    fi
    ;;
  *)
    echo "usage: bash scripts/system.sh [up [--no-demo]|demo|status|down]" >&2
    exit 2
    ;;
esac
