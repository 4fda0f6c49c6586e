#!/usr/bin/env bash
# deploy/local/stack.sh: install and run the project's real local servers on
# one machine (Redis 7, Apache Kafka 4.x in KRaft mode, rtpengine), all bound
# to 127.0.0.1, with their config, data, logs and PID files under
# ${CI_CONNECTOR_WORK:-<repo>/.local}/stack/. sipp and Kamailio are installed
# only: tests start them.
#
#   bash deploy/local/stack.sh up | status | down [--purge] | help
#
# See deploy/local/README.md.
set -euo pipefail
shopt -s inherit_errexit

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "$SCRIPT_DIR/../.." && pwd -P)"

# shellcheck source=stack.env
source "$SCRIPT_DIR/stack.env"

WORK="${CI_CONNECTOR_WORK:-$REPO_ROOT/.local}"
[[ "$WORK" == /* ]] || WORK="$PWD/$WORK"
STACK="$WORK/stack"
KAFKA_POM="$SCRIPT_DIR/kafka/pom.xml"
KAFKA_LIBS="$STACK/kafka/libs"
LOOPBACK=127.0.0.1

# JVM options of the Kafka command-line tools: small, quick to start, quiet
KAFKA_TOOL_OPTS=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$STACK/kafka/tools-log4j2.xml")

# rtpengine-utils (rtpengine-ctl) is only a Recommends of rtpengine-daemon:
# named so that --no-install-recommends still brings it. tcpdump: the SIP
# engineer's first tool, and the set-up delay benchmark's capture (bench/).
APT_PACKAGES=(redis-server rtpengine-daemon rtpengine-utils sip-tester kamailio kamailio-tls-modules openssl chromium tcpdump)
COMPONENTS=(redis kafka rtpengine)

# ---------------------------------------------------------------- helpers ---

log() { printf 'stack: %s\n' "$*"; }
warn() { printf 'stack: warning: %s\n' "$*" >&2; }
die() {
  printf 'stack: error: %s\n' "$1" >&2
  exit "${2:-1}"
}

now_ms() { date +%s%3N; }
# true when the first argument equals one of the others
contains() {
  local x=$1
  shift
  local e
  for e in "$@"; do [[ "$e" != "$x" ]] || return 0; done
  return 1
}
# seconds since a now_ms timestamp, one decimal
since() {
  local d=$(($(now_ms) - $1))
  printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

usage() {
  cat <<EOF
Usage: bash deploy/local/stack.sh <command>

Commands:
  up             install what is missing, start Redis, Kafka and rtpengine on
                 127.0.0.1, wait until each answers, write endpoints.env
  status         show each server: running / stopped / stale
                 (exit 0 when all run, 3 otherwise)
  down           stop what 'up' started (by PID), keep the data
  down --purge   stop, then delete config, data and logs (keeps Kafka jars)
  help           this text

Work folder: \${CI_CONNECTOR_WORK:-<repo>/.local}, now $WORK
Ports and timeouts: deploy/local/stack.env (environment variables override it).
EOF
}

validate_config() {
  local v name
  for name in CI_REDIS_PORT CI_KAFKA_PORT CI_KAFKA_CONTROLLER_PORT CI_KAFKA_SASL_PORT CI_RTPENGINE_NG_PORT \
    CI_RTPENGINE_CLI_PORT CI_RTPENGINE_PORT_MIN CI_RTPENGINE_PORT_MAX; do
    v="${!name}"
    if ! [[ "$v" =~ ^[1-9][0-9]{0,4}$ ]] || ((v > 65535)); then
      die "$name='$v' is not a port number (1-65535)"
    fi
  done
  for name in CI_KAFKA_READY_TIMEOUT CI_STACK_READY_TIMEOUT CI_STACK_STOP_TIMEOUT; do
    [[ "${!name}" =~ ^[1-9][0-9]*$ ]] || die "$name='${!name}' is not a number of seconds (1 or more)"
  done
  ((CI_RTPENGINE_PORT_MIN <= CI_RTPENGINE_PORT_MAX)) ||
    die "CI_RTPENGINE_PORT_MIN ($CI_RTPENGINE_PORT_MIN) > CI_RTPENGINE_PORT_MAX ($CI_RTPENGINE_PORT_MAX)"
  local -A seen=()
  for name in CI_REDIS_PORT CI_KAFKA_PORT CI_KAFKA_CONTROLLER_PORT CI_KAFKA_SASL_PORT CI_RTPENGINE_CLI_PORT; do
    v="${!name}"
    [[ -z "${seen[$v]:-}" ]] || die "$name and ${seen[$v]} are both TCP port $v"
    seen[$v]=$name
  done
  v=$CI_RTPENGINE_NG_PORT
  ((v < CI_RTPENGINE_PORT_MIN || v > CI_RTPENGINE_PORT_MAX)) ||
    die "CI_RTPENGINE_NG_PORT ($v) lies in the media range $CI_RTPENGINE_PORT_MIN-$CI_RTPENGINE_PORT_MAX"
}

# Run a command as root (apt), through sudo when needed.
as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "installing packages needs root (or sudo): $*"
  fi
}

# ------------------------------------------------------ component details ---

comp_dir() { printf '%s/%s' "$STACK" "$1"; }
pidfile_of() { printf '%s/%s/%s.pid' "$STACK" "$1" "$1"; }
logfile_of() { printf '%s/%s/%s.log' "$STACK" "$1" "$1"; }
# where the component listens, as recorded when it was started
started_file() { printf '%s/%s/started.env' "$STACK" "$1"; }

# "proto port" lines each component listens on (the configured ones)
ports_of() {
  case "$1" in
    redis) printf 'tcp %s\n' "$CI_REDIS_PORT" ;;
    kafka) printf 'tcp %s\ntcp %s\ntcp %s\n' "$CI_KAFKA_PORT" "$CI_KAFKA_CONTROLLER_PORT" "$CI_KAFKA_SASL_PORT" ;;
    rtpengine) printf 'udp %s\ntcp %s\n' "$CI_RTPENGINE_NG_PORT" "$CI_RTPENGINE_CLI_PORT" ;;
  esac
}

address_of() {
  case "$1" in
    redis) printf 'redis://%s:%s' "$LOOPBACK" "$CI_REDIS_PORT" ;;
    kafka) printf '%s:%s (controller %s:%s, SASL_SSL %s:%s)' "$LOOPBACK" "$CI_KAFKA_PORT" "$LOOPBACK" "$CI_KAFKA_CONTROLLER_PORT" "$LOOPBACK" "$CI_KAFKA_SASL_PORT" ;;
    rtpengine) printf 'ng udp %s:%s, cli tcp %s:%s, media udp %s-%s' "$LOOPBACK" "$CI_RTPENGINE_NG_PORT" \
      "$LOOPBACK" "$CI_RTPENGINE_CLI_PORT" "$CI_RTPENGINE_PORT_MIN" "$CI_RTPENGINE_PORT_MAX" ;;
  esac
}

record_started() { printf 'ADDRESS=%s\n' "$(address_of "$1")" >"$(started_file "$1")"; }

# Address recorded at start (falls back to the configured one).
started_address() {
  local f a=
  f="$(started_file "$1")"
  [[ ! -r "$f" ]] || a="$(sed -n 's/^ADDRESS=//p' "$f")"
  printf '%s' "${a:-$(address_of "$1")}"
}

# ------------------------------------------------------------- processes ---

# true when the pid exists and is not a zombie
proc_alive() {
  local pid=$1 st
  [[ -r "/proc/$pid/stat" ]] || return 1
  st="$(<"/proc/$pid/stat")" 2>/dev/null || return 1
  st="${st##*) }"
  [[ "${st%% *}" != Z ]]
}

cmdline_of() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null || true; }

# true when the pid is this stack's server of that component
proc_is_ours() {
  local comp=$1 pid=$2 cmd
  proc_alive "$pid" || return 1
  cmd="$(cmdline_of "$pid")"
  case "$comp" in
    redis) [[ "$cmd" == *redis-server* ]] ;;
    kafka) [[ "$cmd" == *kafka.Kafka* && "$cmd" == *"$STACK/kafka/server.properties"* ]] ;;
    rtpengine) [[ "$cmd" == *rtpengine* && "$cmd" == *"$STACK/rtpengine/rtpengine.conf"* ]] ;;
  esac
}

# Sets STATE (running|stopped|stale) and PID for a component.
# running = PID file + live process that is ours; stale = PID file without it.
probe() {
  local comp=$1 pf
  pf="$(pidfile_of "$comp")"
  PID=
  if [[ ! -e "$pf" ]]; then
    STATE=stopped
    return 0
  fi
  PID="$(tr -dc '0-9' <"$pf" 2>/dev/null || true)"
  if [[ -n "$PID" ]] && proc_is_ours "$comp" "$PID"; then
    STATE=running
  else
    STATE=stale
  fi
}

remove_stale() {
  local comp=$1 pid=$2 why
  if [[ -z "$pid" ]]; then
    why="it holds no PID"
  elif proc_alive "$pid"; then
    why="pid $pid is now another process: $(cmdline_of "$pid" | cut -c1-80)"
  else
    why="pid $pid is gone"
  fi
  log "$comp: stale PID file $(pidfile_of "$comp") ($why): removing it"
  rm -f "$(pidfile_of "$comp")"
}

# ---------------------------------------------------------------- ports ---

# Prints the ss line of a listener that would stop us binding 127.0.0.1:port.
port_listener() {
  local proto=$1 port=$2 flag
  [[ "$proto" == tcp ]] && flag=-Hltnp || flag=-Hlunp
  ss "$flag" 2>/dev/null | awk -v p="$port" '
    { n = split($4, a, ":"); if (a[n] != p) next
      addr = substr($4, 1, length($4) - length(p) - 1)
      sub(/%.*/, "", addr)
      if (!found && (addr == "127.0.0.1" || addr == "0.0.0.0" || addr == "*" || addr == "[::]" ||
          addr == "[::ffff:127.0.0.1]")) { print; found = 1 } }'
}

# Checks the ports of the components to start; dies naming every taken one.
preflight_ports() {
  local comp proto port line owner problems=()
  for comp in "$@"; do
    while read -r proto port; do
      line="$(port_listener "$proto" "$port")"
      [[ -n "$line" ]] || continue
      owner="$(grep -oE '"[^"]*",pid=[0-9]+' <<<"$line" | sed -E 's/"(.*)",pid=([0-9]+)/\1 (pid \2)/' |
        sort -u | paste -sd, - || true)"
      [[ -n "$owner" ]] || owner="a process ss cannot name (another user or namespace?)"
      problems+=("$comp: $proto port $port on 127.0.0.1 is already taken by $owner, not by this stack")
    done < <(ports_of "$comp")
  done
  if ((${#problems[@]})); then
    for line in "${problems[@]}"; do printf 'stack: error: %s\n' "$line" >&2; done
    die "nothing was started: stop that process, or choose other ports (CI_*_PORT variables, see deploy/local/stack.env)"
  fi
  # media range: rtpengine skips busy ports, so only warn
  if contains rtpengine "$@"; then
    local busy
    busy="$(ss -Hlun 2>/dev/null | awk -v lo="$CI_RTPENGINE_PORT_MIN" -v hi="$CI_RTPENGINE_PORT_MAX" \
      '{ n = split($4, a, ":"); if (a[n] + 0 >= lo && a[n] + 0 <= hi) c++ } END { print c + 0 }')"
    ((busy == 0)) || warn "$busy UDP port(s) in the rtpengine media range $CI_RTPENGINE_PORT_MIN-$CI_RTPENGINE_PORT_MAX are in use"
  fi
}

# true when the pid listens on that port (ss shows the owning pid)
pid_listens() {
  local pid=$1 proto=$2 port=$3 line
  line="$(port_listener "$proto" "$port")"
  [[ "$line" == *"pid=$pid,"* ]]
}

# ---------------------------------------------------------------- probes ---

redis_answers() {
  [[ "$(timeout 3 redis-cli -h "$LOOPBACK" -p "$CI_REDIS_PORT" ping 2>/dev/null)" == PONG ]]
}

rtpengine_answers() {
  timeout 3 python3 - "$LOOPBACK" "$CI_RTPENGINE_NG_PORT" <<'PY' >/dev/null 2>&1
import os, socket, sys
host, port = sys.argv[1], int(sys.argv[2])
cookie = os.urandom(6).hex().encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((host, 0))
s.settimeout(1.0)
s.sendto(cookie + b" d7:command4:pinge", (host, port))
data, _ = s.recvfrom(65535)
sys.exit(0 if data.startswith(cookie + b" ") and b"4:pong" in data else 1)
PY
}

kafka_port_open() {
  # shellcheck disable=SC2016 # $0 and $1 are expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$LOOPBACK" "$CI_KAFKA_PORT" 2>/dev/null
}

kafka_tool() { java "${KAFKA_TOOL_OPTS[@]}" -cp "$KAFKA_LIBS/*" "$@"; }

# A real request: BrokerApiVersionsCommand sends Metadata (to find the
# brokers), then ApiVersions to each of them.
kafka_answers() {
  local limit=${1:-20} out
  kafka_port_open || return 1
  out="$(timeout "$limit" java "${KAFKA_TOOL_OPTS[@]}" -cp "$KAFKA_LIBS/*" \
    org.apache.kafka.tools.BrokerApiVersionsCommand \
    --bootstrap-server "$LOOPBACK:$CI_KAFKA_PORT" \
    --command-config "$STACK/kafka/client.properties" 2>&1)" || return 1
  [[ "$out" == *"$LOOPBACK:$CI_KAFKA_PORT (id: 1"* ]]
}

answers() {
  case "$1" in
    redis) redis_answers ;;
    kafka) kafka_answers "${2:-20}" ;;
    rtpengine) rtpengine_answers ;;
  esac
}

# Waits until the component answers; on timeout or exit prints its log tail.
wait_ready() {
  local comp=$1 limit=$2 pid=$3 start deadline left
  start=$(now_ms)
  deadline=$((start + limit * 1000))
  while :; do
    if ! proc_alive "$pid"; then
      fail_with_log "$comp" "exited during start-up (pid $pid)"
    fi
    left=$(((deadline - $(now_ms)) / 1000))
    if [[ "$comp" == kafka ]]; then
      # cheap port check first, then one bounded real request
      if kafka_port_open && ((left > 0)) && kafka_answers "$((left < 20 ? left : 20))"; then
        return 0
      fi
    elif answers "$comp"; then
      return 0
    fi
    if (($(now_ms) >= deadline)); then
      fail_with_log "$comp" "did not answer within ${limit} s (pid $pid still running; 'stack.sh down' stops it)"
    fi
    sleep 0.3
  done
}

fail_with_log() {
  local comp=$1 msg=$2 lf
  lf="$(logfile_of "$comp")"
  printf 'stack: error: %s %s\n' "$comp" "$msg" >&2
  if [[ -r "$lf" ]]; then
    printf 'stack: last lines of %s:\n' "$lf" >&2
    tail -n 40 "$lf" | sed 's/^/    /' >&2
  fi
  exit 1
}

# -------------------------------------------------------------- install ---

pkg_installed() {
  local out
  out="$(dpkg -s "$1" 2>/dev/null)" || return 1
  grep -q '^Status: install ok installed' <<<"$out"
}

install_phase() {
  local t0 missing=() p
  t0=$(now_ms)
  for p in "${APT_PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  command -v ss >/dev/null 2>&1 || missing+=(iproute2)
  if ! command -v setsid >/dev/null 2>&1 || ! command -v flock >/dev/null 2>&1; then
    missing+=(util-linux)
  fi

  if ((${#missing[@]})); then
    log "install: apt packages missing: ${missing[*]}"
    # Installing a Debian package may start its service (redis on 6379,
    # rtpengine with the packaged 'interface = any') on machines with an init
    # system: forbid that for the duration of the install, as policy-rc.d
    # is meant for. An existing policy-rc.d is left alone.
    local policy=/usr/sbin/policy-rc.d added_policy=
    if [[ ! -e "$policy" ]]; then
      printf '#!/bin/sh\n# temporary, from deploy/local/stack.sh\nexit 101\n' | as_root tee "$policy" >/dev/null
      as_root chmod 755 "$policy"
      added_policy=1
    fi
    local rc=0
    as_root apt-get update -q || rc=$?
    if ((rc == 0)); then
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" || rc=$?
    fi
    [[ -z "$added_policy" ]] || as_root rm -f "$policy"
    ((rc == 0)) || die "apt-get failed (exit $rc) installing: ${missing[*]}"
  fi

  local jv
  jv="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  if ! [[ "$jv" =~ ^[0-9]+$ ]] || ((jv < 17)); then
    die "Kafka 4 needs Java 17 or newer; 'java' is version '${jv:-unknown}'"
  fi

  kafka_jars
  if ((${#missing[@]})); then
    log "install: done in $(since "$t0") s"
  else
    log "install: nothing missing ($(since "$t0") s)"
  fi
}

# Copies the Kafka jars named by kafka/pom.xml into $KAFKA_LIBS (once per pom
# version; Maven caches them in ~/.m2). CI_MAVEN_ARGS adds Maven options.
kafka_jars() {
  local stamp want t0
  stamp="$KAFKA_LIBS/.pom.sha256"
  want="$(sha256sum "$KAFKA_POM" | cut -d' ' -f1)"
  if [[ -r "$stamp" && "$(<"$stamp")" == "$want" ]] && compgen -G "$KAFKA_LIBS/kafka_2.13-*.jar" >/dev/null; then
    return 0
  fi
  probe kafka
  if [[ "$STATE" == running ]]; then
    warn "kafka/pom.xml changed but Kafka runs from the old jars: 'down' then 'up' to switch"
    return 0
  fi
  t0=$(now_ms)
  log "install: resolving Kafka jars with Maven (kafka/pom.xml) into $KAFKA_LIBS"
  mkdir -p "$STACK/kafka"
  rm -rf "$KAFKA_LIBS.tmp"
  local -a extra=()
  # shellcheck disable=SC2206 # word splitting of the user's Maven options is wanted
  [[ -z "${CI_MAVEN_ARGS:-}" ]] || extra=(${CI_MAVEN_ARGS})
  # Maven's output goes to a log (Debian's Maven 3.8 prints stray colour codes even with -q)
  local mlog="$STACK/kafka/maven.log"
  if ! mvn -B -Dstyle.color=never -f "$KAFKA_POM" "${extra[@]}" \
    dependency:copy-dependencies -DoutputDirectory="$KAFKA_LIBS.tmp" >"$mlog" 2>&1 </dev/null; then
    printf 'stack: last lines of %s:\n' "$mlog" >&2
    grep -v '^\[INFO\] \(Copying\|Download\)' "$mlog" | tail -n 30 | sed 's/^/    /' >&2
    die "Maven could not resolve the Kafka jars (full output in $mlog)"
  fi
  compgen -G "$KAFKA_LIBS.tmp/kafka_2.13-*.jar" >/dev/null || die "Maven ran but no kafka_2.13 jar was copied"
  printf '%s\n' "$want" >"$KAFKA_LIBS.tmp/.pom.sha256"
  rm -rf "$KAFKA_LIBS"
  mv "$KAFKA_LIBS.tmp" "$KAFKA_LIBS"
  log "install: Kafka jars ($(find "$KAFKA_LIBS" -name '*.jar' | wc -l) files) ready in $(since "$t0") s"
}

kafka_version() {
  local jars=("$KAFKA_LIBS"/kafka_2.13-*.jar) j
  j="${jars[0]##*/kafka_2.13-}"
  printf '%s' "${j%.jar}"
}

# ---------------------------------------------------------------- start ---

launch_marker() { printf '\n===== stack.sh: starting %s at %s =====\n' "$1" "$(date -Is)" >>"$(logfile_of "$1")"; }

start_redis() {
  local d conf pf
  d="$(comp_dir redis)"
  conf="$d/redis.conf"
  pf="$(pidfile_of redis)"
  mkdir -p "$d/data"
  cat >"$conf" <<EOF
# generated by deploy/local/stack.sh: rewritten on every start
bind $LOOPBACK
port $CI_REDIS_PORT
protected-mode yes
daemonize yes
supervised no
pidfile "$pf"
logfile "$(logfile_of redis)"
loglevel notice
dir "$d/data"
save ""
appendonly no
databases 16
EOF
  launch_marker redis
  rm -f "$pf"
  redis-server "$conf" >>"$(logfile_of redis)" 2>&1 </dev/null 9>&- ||
    fail_with_log redis "redis-server failed to start"
  # daemonized: the child writes the PID file
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "$pf" ]] && break
    sleep 0.1
  done
  [[ -s "$pf" ]] || fail_with_log redis "wrote no PID file ($pf)"
  tr -dc '0-9' <"$pf"
}

start_rtpengine() {
  local d conf pid
  d="$(comp_dir rtpengine)"
  conf="$d/rtpengine.conf"
  mkdir -p "$d"
  # Userspace only: table = -1 (no kernel module, no iptables/nftables rules).
  cat >"$conf" <<EOF
# generated by deploy/local/stack.sh: rewritten on every start
[rtpengine]
table = -1
interface = $LOOPBACK
listen-ng = $LOOPBACK:$CI_RTPENGINE_NG_PORT
listen-cli = $LOOPBACK:$CI_RTPENGINE_CLI_PORT
port-min = $CI_RTPENGINE_PORT_MIN
port-max = $CI_RTPENGINE_PORT_MAX
foreground = true
log-stderr = true
EOF
  launch_marker rtpengine
  setsid nohup rtpengine --config-file="$conf" --config-section=rtpengine \
    >>"$(logfile_of rtpengine)" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$(pidfile_of rtpengine)"
  printf '%s' "$pid"
}

# The SASL_SSL listener's test PKI: a CA and the broker's certificate for 127.0.0.1
# (made once per work folder; PEM, which Kafka reads as a keystore).
KAFKA_SASL_USER=ci-test
KAFKA_SASL_PASSWORD=ci-test-secret
kafka_write_tls() {
  local t=$1/tls
  [[ -s "$t/broker-keystore.pem" && -s "$t/ca.pem" ]] && return 0
  mkdir -p "$t"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=ci-connector local Kafka test CA" \
    -keyout "$t/ca-key.pem" -out "$t/ca.pem" >/dev/null 2>&1 || die "openssl: could not make the Kafka test CA"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$LOOPBACK" -keyout "$t/broker-key.pem" -out "$t/broker.csr" >/dev/null 2>&1 ||
    die "openssl: could not make the Kafka broker key"
  printf 'subjectAltName=IP:%s,DNS:localhost\n' "$LOOPBACK" >"$t/san.ext"
  openssl x509 -req -in "$t/broker.csr" -CA "$t/ca.pem" -CAkey "$t/ca-key.pem" -CAcreateserial -days 3650 \
    -extfile "$t/san.ext" -out "$t/broker.pem" >/dev/null 2>&1 || die "openssl: could not sign the Kafka broker certificate"
  # PKCS#8, unencrypted, then the chain: Kafka's PEM keystore format
  openssl pkcs8 -topk8 -nocrypt -in "$t/broker-key.pem" -out "$t/broker-key.p8.pem" || die "openssl: pkcs8 failed"
  cat "$t/broker-key.p8.pem" "$t/broker.pem" "$t/ca.pem" >"$t/broker-keystore.pem"
  chmod 600 "$t"/*key*.pem "$t/broker-keystore.pem"
}

kafka_write_config() {
  local d=$1
  kafka_write_tls "$d"
  cat >"$d/server.properties" <<EOF
# generated by deploy/local/stack.sh: rewritten on every start
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$LOOPBACK:$CI_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$LOOPBACK:$CI_KAFKA_PORT,CONTROLLER://$LOOPBACK:$CI_KAFKA_CONTROLLER_PORT,SASL_SSL://$LOOPBACK:$CI_KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://$LOOPBACK:$CI_KAFKA_PORT,SASL_SSL://$LOOPBACK:$CI_KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_ssl.sasl.enabled.mechanisms=PLAIN
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$KAFKA_SASL_USER="$KAFKA_SASL_PASSWORD";
ssl.keystore.type=PEM
ssl.keystore.location=$d/tls/broker-keystore.pem
log.dirs=$d/data
num.partitions=3
auto.create.topics.enable=true
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
EOF
  cat >"$d/log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by deploy/local/stack.sh: broker logging, to stdout (kafka.log) -->
<Configuration status="WARN">
  <Appenders>
    <Console name="STDOUT" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="STDOUT"/></Root>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
    <Logger name="kafka.log.LogCleaner" level="WARN"/>
  </Loggers>
</Configuration>
EOF
  cat >"$d/tools-log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- generated by deploy/local/stack.sh: command-line tools log warnings only -->
<Configuration status="WARN">
  <Appenders>
    <Console name="STDERR" target="SYSTEM_ERR">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="WARN"><AppenderRef ref="STDERR"/></Root>
  </Loggers>
</Configuration>
EOF
  cat >"$d/client.properties" <<'EOF'
# generated by deploy/local/stack.sh: for the Kafka command-line tools
request.timeout.ms=5000
default.api.timeout.ms=10000
EOF
}

# Formats the storage once, then launches the broker in the background.
start_kafka() {
  local d pid cid
  d="$(comp_dir kafka)"
  mkdir -p "$d/data"
  kafka_write_config "$d"
  if [[ ! -s "$d/data/meta.properties" ]]; then
    local t0
    t0=$(now_ms)
    if [[ -s "$d/cluster.id" ]]; then
      cid="$(<"$d/cluster.id")"
    else
      # 16 random bytes, base64url without padding (Kafka's Uuid text form)
      cid="$(python3 -c 'import base64,os
while True:
    s = base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()
    if not s.startswith("-"): print(s); break')"
      printf '%s\n' "$cid" >"$d/cluster.id"
    fi
    log "kafka: formatting storage in $d/data (cluster id $cid)" >&2
    kafka_tool kafka.tools.StorageTool format --config "$d/server.properties" \
      --cluster-id "$cid" --ignore-formatted >>"$(logfile_of kafka)" 2>&1 ||
      fail_with_log kafka "storage format failed"
    log "kafka: storage formatted in $(since "$t0") s" >&2
  fi
  launch_marker kafka
  local -a heap
  read -r -a heap <<<"$CI_KAFKA_HEAP_OPTS"
  # No JMX or any other port: only the listeners in server.properties.
  setsid nohup java "${heap[@]}" \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -XX:+ExitOnOutOfMemoryError \
    -Djava.awt.headless=true -Djava.net.preferIPv4Stack=true \
    -Dlog4j2.configurationFile="$d/log4j2.xml" -Dkafka.logs.dir="$d" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$d/server.properties" \
    >>"$(logfile_of kafka)" 2>&1 </dev/null 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$(pidfile_of kafka)"
  printf '%s' "$pid"
}

# ------------------------------------------------------------- commands ---

acquire_lock() {
  mkdir -p "$STACK"
  exec 9>"$STACK/.lock"
  flock -w 300 9 || die "another stack.sh holds $STACK/.lock"
}

cmd_up() {
  local t_all comp
  t_all=$(now_ms)
  validate_config
  acquire_lock
  install_phase

  # What runs already, what must start.
  local -a to_start=() running=()
  local -A pid_of=()
  for comp in "${COMPONENTS[@]}"; do
    probe "$comp"
    case "$STATE" in
      stale)
        remove_stale "$comp" "$PID"
        to_start+=("$comp")
        ;;
      stopped) to_start+=("$comp") ;;
      running)
        running+=("$comp")
        pid_of[$comp]=$PID
        ;;
    esac
  done

  # A running server must have been started with the ports configured now.
  for comp in "${running[@]}"; do
    [[ "$(started_address "$comp")" == "$(address_of "$comp")" ]] ||
      die "$comp runs (pid ${pid_of[$comp]}) on $(started_address "$comp"), not on $(address_of "$comp") \
as configured now: run 'stack.sh down' first to change ports"
  done

  ((${#to_start[@]} == 0)) || preflight_ports "${to_start[@]}"

  # Kafka is the slowest: launch it first, start the others while it boots.
  local -A t_start=()
  if contains kafka "${to_start[@]}"; then
    t_start[kafka]=$(now_ms)
    log "kafka: starting Apache Kafka $(kafka_version) (KRaft, broker+controller) on $LOOPBACK:$CI_KAFKA_PORT"
    pid_of[kafka]="$(start_kafka)"
    record_started kafka
  fi
  for comp in redis rtpengine; do
    if contains "$comp" "${to_start[@]}"; then
      t_start[$comp]=$(now_ms)
      log "$comp: starting on $(address_of "$comp")"
      pid_of[$comp]="$("start_$comp")"
      record_started "$comp"
      wait_ready "$comp" "$CI_STACK_READY_TIMEOUT" "${pid_of[$comp]}"
      log "$comp: ready in $(since "${t_start[$comp]}") s (pid ${pid_of[$comp]})"
    fi
  done
  if [[ -n "${t_start[kafka]:-}" ]]; then
    wait_ready kafka "$CI_KAFKA_READY_TIMEOUT" "${pid_of[kafka]}"
    log "kafka: ready in $(since "${t_start[kafka]}") s (pid ${pid_of[kafka]})"
  fi

  # Already running: it must answer too (it may still be starting).
  for comp in "${running[@]}"; do
    local t0
    t0=$(now_ms)
    if answers "$comp"; then
      log "$comp: already running (pid ${pid_of[$comp]}, $(started_address "$comp")): left as is"
    else
      log "$comp: already running (pid ${pid_of[$comp]}) but not answering yet: waiting"
      local limit=$CI_STACK_READY_TIMEOUT
      [[ "$comp" != kafka ]] || limit=$CI_KAFKA_READY_TIMEOUT
      wait_ready "$comp" "$limit" "${pid_of[$comp]}"
      log "$comp: answering after $(since "$t0") s"
    fi
  done

  write_endpoints
  print_table pid_of
  log "up: done in $(since "$t_all") s; endpoints in $STACK/endpoints.env"
}

write_endpoints() {
  cat >"$STACK/endpoints.env.tmp" <<EOF
# written by deploy/local/stack.sh up: where the local servers listen
CI_REDIS_URL=redis://$LOOPBACK:$CI_REDIS_PORT
CI_KAFKA_BROKERS=$LOOPBACK:$CI_KAFKA_PORT
CI_KAFKA_SASL_BROKERS=$LOOPBACK:$CI_KAFKA_SASL_PORT
CI_KAFKA_TLS_CA_FILE=$STACK/kafka/tls/ca.pem
CI_KAFKA_SASL_USERNAME=$KAFKA_SASL_USER
CI_KAFKA_SASL_PASSWORD=$KAFKA_SASL_PASSWORD
CI_RTPENGINE_NG=$LOOPBACK:$CI_RTPENGINE_NG_PORT
CI_REDIS_PORT=$CI_REDIS_PORT
CI_KAFKA_PORT=$CI_KAFKA_PORT
CI_KAFKA_CONTROLLER_PORT=$CI_KAFKA_CONTROLLER_PORT
CI_RTPENGINE_NG_PORT=$CI_RTPENGINE_NG_PORT
CI_RTPENGINE_CLI_PORT=$CI_RTPENGINE_CLI_PORT
CI_RTPENGINE_PORT_MIN=$CI_RTPENGINE_PORT_MIN
CI_RTPENGINE_PORT_MAX=$CI_RTPENGINE_PORT_MAX
CI_KAFKA_LIBS=$KAFKA_LIBS
EOF
  mv "$STACK/endpoints.env.tmp" "$STACK/endpoints.env"
}

print_table() {
  local -n pids=$1
  local fmt='stack:   %-10s %-8s %s\n'
  log "servers (all on $LOOPBACK):"
  # shellcheck disable=SC2059 # the format is a local constant
  {
    printf "$fmt" COMPONENT PID LISTENS
    printf "$fmt" redis "${pids[redis]}" "$(address_of redis)"
    printf "$fmt" kafka "${pids[kafka]}" "$(address_of kafka) - Kafka $(kafka_version)"
    printf "$fmt" rtpengine "${pids[rtpengine]}" "$(address_of rtpengine)"
    printf "$fmt" sipp - "installed ($(command -v sipp || echo '?')), not started: tests start it"
    printf "$fmt" kamailio - "installed ($(command -v kamailio || echo '?')), not started: tests start it"
  }
}

cmd_status() {
  local comp all=0 fmt='stack:   %-10s %-8s %-8s %s\n' addr
  # shellcheck disable=SC2059
  printf "$fmt" COMPONENT STATE PID ADDRESS
  for comp in "${COMPONENTS[@]}"; do
    probe "$comp"
    addr="$(started_address "$comp")"
    case "$STATE" in
      running)
        local proto port missing=()
        while read -r proto port; do
          pid_listens "$PID" "$proto" "$port" || missing+=("$proto/$port")
        done < <(ports_of "$comp")
        if ((${#missing[@]})); then
          # shellcheck disable=SC2059
          printf "$fmt" "$comp" starting "$PID" "process alive, not yet listening on ${missing[*]}"
          all=1
        else
          # shellcheck disable=SC2059
          printf "$fmt" "$comp" running "$PID" "$addr"
        fi
        ;;
      stale)
        # shellcheck disable=SC2059
        printf "$fmt" "$comp" stale "${PID:--}" "PID file $(pidfile_of "$comp") but no such process ('up' restarts it)"
        all=1
        ;;
      stopped)
        # shellcheck disable=SC2059
        printf "$fmt" "$comp" stopped - "-"
        all=1
        ;;
    esac
  done
  if ((all == 0)); then
    log "all running (work folder $WORK)"
    return 0
  fi
  log "not all running (work folder $WORK)"
  return 3
}

stop_one() {
  local comp=$1 pid=$2 t0 deadline
  t0=$(now_ms)
  log "$comp: stopping pid $pid (TERM)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((t0 + CI_STACK_STOP_TIMEOUT * 1000))
  while proc_alive "$pid" && (($(now_ms) < deadline)); do sleep 0.2; done
  if proc_alive "$pid"; then
    warn "$comp: pid $pid still alive after ${CI_STACK_STOP_TIMEOUT} s: KILL"
    kill -KILL "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
      proc_alive "$pid" || break
      sleep 0.1
    done
    proc_alive "$pid" && {
      warn "$comp: pid $pid survives KILL"
      return 1
    }
  fi
  rm -f "$(pidfile_of "$comp")" "$(started_file "$comp")"
  log "$comp: stopped in $(since "$t0") s"
}

cmd_down() {
  local purge='' comp failed=0
  case "${1:-}" in
    "") ;;
    --purge) purge=1 ;;
    *) die "unknown option for down: $1 (only --purge)" 2 ;;
  esac
  validate_config
  acquire_lock
  # reverse start order: clients of others first
  for comp in rtpengine kafka redis; do
    probe "$comp"
    case "$STATE" in
      running) stop_one "$comp" "$PID" || failed=1 ;;
      stale) remove_stale "$comp" "$PID" ;;
      stopped) log "$comp: not running" ;;
    esac
  done
  rm -f "$STACK/endpoints.env"
  ((failed == 0)) || die "some servers did not stop (see above)"
  if [[ -n "$purge" ]]; then
    log "purge: deleting config, data and logs under $STACK (keeping $KAFKA_LIBS)"
    rm -rf "$STACK/redis" "$STACK/rtpengine"
    if [[ -d "$STACK/kafka" ]]; then
      find "$STACK/kafka" -mindepth 1 -maxdepth 1 ! -name libs -exec rm -rf {} +
    fi
  fi
  log "down: done"
}

main() {
  local cmd=${1:-help}
  shift || true
  case "$cmd" in
    up)
      (($# == 0)) || die "up takes no arguments" 2
      cmd_up
      ;;
    status)
      validate_config
      cmd_status
      ;;
    down) cmd_down "$@" ;;
    help | -h | --help) usage ;;
    *)
      usage >&2
      die "unknown command: $cmd" 2
      ;;
  esac
}

main "$@"
