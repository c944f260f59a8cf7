#!/usr/bin/env bash
# Creates every service's events and dead-letter topics (idempotent). Partitions bound how far a consumer group
# scales out: one consumer per partition at most. Adding partitions later moves keys to other partitions, so
# choose generously up front (docs/operations.md).
set -euo pipefail
# shellcheck source=deploy/kafka/lib.sh
source "$(dirname "$0")/lib.sh"

partitions=${OWES_KAFKA_PARTITIONS:-6}
replication=${OWES_KAFKA_REPLICATION_FACTOR:-1}
# Events are the system's history: reporting rebuilds its read models from them, so keep them (-1: forever).
events_retention_ms=${OWES_EVENTS_RETENTION_MS:--1}
dlq_retention_ms=${OWES_DLQ_RETENTION_MS:-2592000000}

wait_for_kafka
ns=$OWES_TOPIC_NAMESPACE

while read -r service _reads; do
  kafka_tool kafka-topics.sh --create --if-not-exists --topic "$ns.$service.events" \
    --partitions "$partitions" --replication-factor "$replication" --config "retention.ms=$events_retention_ms"
  kafka_tool kafka-topics.sh --create --if-not-exists --topic "$ns.$service.dlq" \
    --partitions "$partitions" --replication-factor "$replication" --config "retention.ms=$dlq_retention_ms"
done < <(services)

kafka_tool kafka-topics.sh --describe --topic "^${ns//./\\.}\\..*"
