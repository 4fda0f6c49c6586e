#!/usr/bin/env bash
# Runs ci-connector on this machine: the real Redis, Kafka and rtpengine
# (deploy/local), the services and the ci-emulator (the local double of
# Microsoft's side: Entra, providers API, SIPREC recorder, CIF page), each on
# 127.0.0.1, then prints where each piece listens.
# Usage: bash scripts/system.sh [up|status|down]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=${CI_CONNECTOR_WORK:-$root/.local}
run=$work/run
mkdir -p "$run"

# The services this script runs: name, HTTP port variable and default.
services=("skeleton:SKELETON_HTTP_PORT:18080" "registration-service:REGISTRATION_HTTP_PORT:18081" "policy-sync-worker:POLICY_SYNC_HTTP_PORT:18083")
registration_grpc_port=${REGISTRATION_GRPC_PORT:-18051}

# The demo Entra app and customer tenant the emulator knows when no
# CI_EMULATOR_CONFIG is given (the app authenticates with the test PKI's app.pem).
demo_app=4d4d4d4d-4444-4444-8444-444444444444
demo_tenant=c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc

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
  # shellcheck source=/dev/null
  source "$work/stack/endpoints.env"
  local extra=()
  mapfile -t extra < <(svc_env "$name")
  env HTTP_HOST=127.0.0.1 HTTP_PORT="$port" REDIS_URL="$CI_REDIS_URL" KAFKA_BROKERS="$CI_KAFKA_BROKERS" "${extra[@]}" \
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
  esac
}

# The bootstrap admin API key of registration-service: made once, kept (0600) in $run.
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
      "  admin API key" "$run/admin-api-key  (Authorization: Bearer \$(cat $run/admin-api-key))"
    emu_endpoints
    echo
    echo "Onboard the demo tenant (docs/onboarding-a-tenant.md):"
    echo "  K=\$(cat $run/admin-api-key); R=http://127.0.0.1:$(port_of "${services[1]}")"
    echo "  curl -s -H \"Authorization: Bearer \$K\" -H 'Content-Type: application/json' \$R/tenants -d '{\"id\":\"$demo_tenant\",\"orgId\":\"ad3dca46-962a-4895-9f85-d25f3828781f\",\"displayName\":\"Contoso\",\"region\":\"uksouth\",\"accountId\":\"ACdemo0001\",\"certificate\":{\"subject\":\"sbc.carrier.example\",\"issuer\":\"ci-emulator test CA\"},\"sourceIpNetwork\":\"127.0.0.1\"}'"
    echo "  curl -s -X POST -H \"Authorization: Bearer \$K\" \$R/tenants/$demo_tenant/register; curl -s -H \"Authorization: Bearer \$K\" \$R/tenants/$demo_tenant"
    echo "Stop everything with: bash scripts/system.sh down"
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
    exit $rc
    ;;
  down)
    for s in "${services[@]}"; do svc_down "${s%%:*}"; done
    svc_down ci-emulator
    bash deploy/local/stack.sh down
    ;;
  *)
    echo "usage: bash scripts/system.sh [up|status|down]" >&2
    exit 2
    ;;
esac
