#!/usr/bin/env bash
# Creates each service's SCRAM principal and its ACLs (idempotent: run it again after changing principals.conf).
#
# A service may write only its own events and dead-letter topics (and use the idempotent producer), read only
# the events topics of the producers principals.conf lists for it, and consume in its own group
# <namespace>.<service>. Everything else is denied (the broker runs with allow.everyone.if.no.acl.found=false).
# Passwords come from OWES_KAFKA_PASSWORD_<SERVICE> (e.g. OWES_KAFKA_PASSWORD_RECRUITMENT).
set -euo pipefail
# shellcheck source=deploy/kafka/lib.sh
source "$(dirname "$0")/lib.sh"

wait_for_kafka
ns=$OWES_TOPIC_NAMESPACE

while read -r service reads; do
  password_var="OWES_KAFKA_PASSWORD_${service^^}"
  password=${!password_var:-}
  if [[ -z $password ]]; then
    echo "$password_var is not set" >&2
    exit 2
  fi
  if [[ ! $password =~ ^[A-Za-z0-9._~-]+$ ]]; then
    echo "$password_var may contain only letters, digits and . _ ~ - (try: openssl rand -hex 24)" >&2
    exit 2
  fi
  echo "principal $service"
  kafka_tool kafka-configs.sh --alter --entity-type users --entity-name "$service" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=${password}]"

  kafka_tool kafka-acls.sh --add --allow-principal "User:$service" \
    --operation Write --operation Describe \
    --topic "$ns.$service.events" --topic "$ns.$service.dlq"
  kafka_tool kafka-acls.sh --add --allow-principal "User:$service" --operation IdempotentWrite --cluster

  read_args=()
  for producer in ${reads//,/ }; do
    [[ $producer == "-" ]] || read_args+=(--topic "$ns.$producer.events")
  done
  if ((${#read_args[@]})); then
    kafka_tool kafka-acls.sh --add --allow-principal "User:$service" \
      --operation Read --operation Describe "${read_args[@]}"
    kafka_tool kafka-acls.sh --add --allow-principal "User:$service" \
      --operation Read --operation Describe --group "$ns.$service"
  fi
done < <(principals)

kafka_tool kafka-acls.sh --list
