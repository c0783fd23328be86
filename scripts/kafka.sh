#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft) on 127.0.0.1 for development and tests.
#   scripts/kafka.sh start | stop | status
# The broker's jars come from Maven Central on first use and are cached.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
PORT=${POVWATCH_KAFKA_PORT:-9092}
CONTROLLER_PORT=${POVWATCH_KAFKA_CONTROLLER_PORT:-9093}
# A second listener that requires SASL/PLAIN sign-in, to try authenticated
# clients against (user povwatch; the password below unless set).
SASL_PORT=${POVWATCH_KAFKA_SASL_PORT:-9094}
SASL_PASSWORD=${POVWATCH_KAFKA_SASL_DEV_PASSWORD:-povwatch-dev}
STATE=${POVWATCH_STATE_DIR:-$ROOT/.povwatch}/kafka
CACHE=${POVWATCH_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/povwatch}/kafka-$KAFKA_VERSION
PIDFILE=$STATE/broker.pid
LOG=$STATE/broker.log

say() { echo "kafka: $*" >&2; }

need_tools() {
  if command -v java >/dev/null && command -v mvn >/dev/null; then return; fi
  if command -v apt-get >/dev/null; then
    say "installing Java 17 and Maven with apt"
    local sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq openjdk-17-jre-headless maven >/dev/null
  else
    say "Java 17 and Maven are needed; install them and try again"; exit 1
  fi
}

fetch_jars() {
  if [ -f "$CACHE/.complete" ]; then return; fi
  say "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central (first use only)"
  mkdir -p "$CACHE/libs"
  mvn -q -B -f "$ROOT/scripts/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DoutputDirectory="$CACHE/libs" >&2
  touch "$CACHE/.complete"
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

write_config() {
  cat > "$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,SASL_PLAINTEXT://127.0.0.1:$SASL_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_povwatch="$SASL_PASSWORD";
log.dirs=$STATE/data
num.partitions=4
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
PROPS
}

start() {
  if running; then say "already running (pid $(cat "$PIDFILE")) on 127.0.0.1:$PORT"; return; fi
  if answers; then say "port $PORT is taken by another process"; exit 1; fi
  need_tools
  fetch_jars
  mkdir -p "$STATE"
  write_config
  local cp="$CACHE/libs/*"
  if [ ! -f "$STATE/data/meta.properties" ]; then
    local cluster_id
    cluster_id=$(java -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    java -cp "$cp" kafka.tools.StorageTool format -t "$cluster_id" -c "$STATE/server.properties" >&2
  fi
  nohup java -Xms256m -Xmx${POVWATCH_KAFKA_HEAP:-768m} -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$ROOT/scripts/kafka/log4j2.yaml" \
    -cp "$cp" kafka.Kafka "$STATE/server.properties" >"$LOG" 2>&1 &
  echo $! > "$PIDFILE"
  # A broker restarted on a busy machine, or with many partitions to load,
  # can take more than a minute before it listens.
  for _ in $(seq 1 360); do
    if ! running; then say "broker exited; see $LOG"; tail -n 30 "$LOG" >&2; exit 1; fi
    if answers; then say "broker up on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"))"; return; fi
    sleep 0.5
  done
  say "broker did not answer within 180 s; see $LOG"; exit 1
}

stop() {
  if ! running; then say "not running"; rm -f "$PIDFILE"; return; fi
  local pid; pid=$(cat "$PIDFILE")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && { say "forcing stop"; kill -9 "$pid"; }
  rm -f "$PIDFILE"
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running && answers; then say "up on 127.0.0.1:$PORT"; else say "down"; exit 1; fi ;;
  reset) stop; rm -rf "$STATE/data"; say "data removed" ;;
  *) echo "usage: $0 start|stop|status|reset" >&2; exit 2 ;;
esac
