#!/usr/bin/env bash
# Shared by init-security.sh and init-topics.sh: talk to the cluster as the admin principal over SASL/SCRAM.
# shellcheck shell=bash

: "${OWES_KAFKA_BOOTSTRAP:=kafka:9092}"
: "${OWES_KAFKA_ADMIN_PASSWORD:?set OWES_KAFKA_ADMIN_PASSWORD}"
: "${OWES_TOPIC_NAMESPACE:=owes}"
KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
PRINCIPALS_FILE=${PRINCIPALS_FILE:-$(dirname "${BASH_SOURCE[0]}")/principals.conf}

ADMIN_CONFIG=$(mktemp)
trap 'rm -f "$ADMIN_CONFIG"' EXIT
chmod 600 "$ADMIN_CONFIG"
# docker-compose: SASL_PLAINTEXT inside its network. An external cluster: OWES_KAFKA_ADMIN_SECURITY_PROTOCOL=SASL_SSL,
# and OWES_KAFKA_ADMIN_CA_FILE (PEM) when its certificates are not signed by a CA the JVM trusts.
cat >"$ADMIN_CONFIG" <<CONFIG
security.protocol=${OWES_KAFKA_ADMIN_SECURITY_PROTOCOL:-SASL_PLAINTEXT}
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${OWES_KAFKA_ADMIN_USER:-admin}" password="${OWES_KAFKA_ADMIN_PASSWORD}";
CONFIG
if [[ -n ${OWES_KAFKA_ADMIN_CA_FILE:-} ]]; then
  printf 'ssl.truststore.type=PEM\nssl.truststore.location=%s\n' "$OWES_KAFKA_ADMIN_CA_FILE" >>"$ADMIN_CONFIG"
fi

# kafka_tool kafka-topics.sh --list: one Kafka CLI tool, as the admin, against the cluster
kafka_tool() {
  local tool=$1
  shift
  "$KAFKA_BIN/$tool" --bootstrap-server "$OWES_KAFKA_BOOTSTRAP" --command-config "$ADMIN_CONFIG" "$@"
}

wait_for_kafka() {
  local attempt
  for attempt in $(seq 1 60); do
    if kafka_tool kafka-broker-api-versions.sh >/dev/null 2>&1; then
      return 0
    fi
    echo "waiting for Kafka at $OWES_KAFKA_BOOTSTRAP (attempt $attempt) ..."
    sleep 2
  done
  echo "Kafka at $OWES_KAFKA_BOOTSTRAP did not answer as ${OWES_KAFKA_ADMIN_USER:-admin}" >&2
  return 1
}

# principals: prints "name reads kind" per line of principals.conf, comments and blank lines left out
principals() {
  grep -Ev '^[[:space:]]*(#|$)' "$PRINCIPALS_FILE"
}

# services: prints "service reads" per service (the principals that own topics), readers left out
services() {
  principals | while read -r name reads kind; do
    case ${kind:-service} in
      service) echo "$name $reads" ;;
      reader) ;;
      *) echo "principals.conf: $name has kind '$kind' (service or reader)" >&2; return 2 ;;
    esac
  done
}
