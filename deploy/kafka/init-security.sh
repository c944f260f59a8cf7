#!/usr/bin/env bash
# Creates each service's SCRAM principal and its ACLs (idempotent: run it again after changing principals.conf).
#
# A service may write only its own events and dead-letter topics (and use the idempotent producer), read only
# the events topics of the producers principals.conf lists for it, and consume in its own group
# <namespace>.<service>. A reader (kind "reader", e.g. the integrator) may read the events topics listed for it
# in its own group, and write nothing. Everything else is denied (the broker runs with
# allow.everyone.if.no.acl.found=false). Passwords come from OWES_KAFKA_PASSWORD_<NAME> (e.g.
# OWES_KAFKA_PASSWORD_RECRUITMENT).
set -euo pipefail
# shellcheck source=deploy/kafka/lib.sh
source "$(dirname "$0")/lib.sh"

wait_for_kafka
ns=$OWES_TOPIC_NAMESPACE

while read -r service reads kind; do
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
  if [[ ${kind:-service} != service && $kind != reader ]]; then
    echo "principals.conf: $service has kind '$kind' (service or reader)" >&2
    exit 2
  fi
  echo "principal $service"
  kafka_tool kafka-configs.sh --alter --entity-type users --entity-name "$service" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=${password}]"

  case ${kind:-service} in
    service)
      kafka_tool kafka-acls.sh --add --allow-principal "User:$service" \
        --operation Write --operation Describe \
        --topic "$ns.$service.events" --topic "$ns.$service.dlq"
      kafka_tool kafka-acls.sh --add --allow-principal "User:$service" --operation IdempotentWrite --cluster
      ;;
    reader) ;;  # writes nothing: no Write, no IdempotentWrite, no topics of its own
  esac

  read_args=()
  for producer in ${reads//,/ }; do
    [[ $producer == "-" ]] || read_args+=(--topic "$ns.$producer.events")
  done
  if ((${#read_args[@]})); then
    # one call (one JVM) for both: Read and Describe on each topic it consumes and on its own group
    kafka_tool kafka-acls.sh --add --allow-principal "User:$service" \
      --operation Read --operation Describe "${read_args[@]}" --group "$ns.$service"
  fi
done < <(principals)

kafka_tool kafka-acls.sh --list
