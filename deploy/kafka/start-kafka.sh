#!/usr/bin/env bash
# One Apache Kafka node in KRaft mode (broker and controller in one process) for docker-compose.
#
# Clients authenticate with SASL/SCRAM-SHA-512 on CLIENT (kafka:9092, the compose network) and EXTERNAL (the
# host, published on 127.0.0.1 by default); ACLs decide what each principal may do (deploy/kafka/init-security.sh).
# CONTROLLER and INTERNAL (inter-broker) listen on the container's loopback only, in plaintext: KRaft cannot
# use SCRAM between controllers, and nothing outside this container can reach them.
# The admin principal's SCRAM credential is written into the metadata log when the storage is formatted (first
# start only); every other principal is created later, by the admin, through the CLIENT listener.
#
# Addresses, ports and the data folder default to the container's; outside a container (`owes compose rehearse`,
# which runs this script unchanged against a fetched Kafka) the OWES_KAFKA_*_PORT, OWES_KAFKA_LISTEN_ADDRESS,
# OWES_KAFKA_CLIENT_HOST and OWES_KAFKA_DATA_DIR variables move them onto free loopback ports and a folder of its own.
set -euo pipefail

: "${OWES_KAFKA_CLUSTER_ID:?set OWES_KAFKA_CLUSTER_ID (22 characters, e.g. from kafka-storage.sh random-uuid)}"
: "${OWES_KAFKA_ADMIN_PASSWORD:?set OWES_KAFKA_ADMIN_PASSWORD}"
admin_user=${OWES_KAFKA_ADMIN_USER:-admin}
external_host=${OWES_KAFKA_EXTERNAL_HOST:-localhost}
external_port=${OWES_KAFKA_EXTERNAL_PORT:-9094}
partitions=${OWES_KAFKA_PARTITIONS:-6}
data_dir=${OWES_KAFKA_DATA_DIR:-/var/lib/kafka/data}
listen_address=${OWES_KAFKA_LISTEN_ADDRESS:-0.0.0.0}
client_host=${OWES_KAFKA_CLIENT_HOST:-kafka}
client_port=${OWES_KAFKA_CLIENT_PORT:-9092}
controller_port=${OWES_KAFKA_CONTROLLER_PORT:-9093}
external_listen_port=${OWES_KAFKA_EXTERNAL_LISTEN_PORT:-9094}
internal_port=${OWES_KAFKA_INTERNAL_PORT:-9096}
kafka_bin=${KAFKA_BIN:-/opt/kafka/bin}
config=${OWES_KAFKA_CONFIG:-/tmp/owes-kafka.properties}  # holds no secret: brokers need none for SCRAM

# SCRAM's bracket syntax (name=...,password=...) has no escaping: keep passwords to letters, digits and ._~-
if [[ ! $OWES_KAFKA_ADMIN_PASSWORD =~ ^[A-Za-z0-9._~-]+$ ]]; then
  echo "OWES_KAFKA_ADMIN_PASSWORD may contain only letters, digits and . _ ~ - (try: openssl rand -hex 24)" >&2
  exit 2
fi

cat >"$config" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controller_port}
controller.listener.names=CONTROLLER
listeners=CONTROLLER://127.0.0.1:${controller_port},INTERNAL://127.0.0.1:${internal_port},CLIENT://${listen_address}:${client_port},EXTERNAL://${listen_address}:${external_listen_port}
advertised.listeners=INTERNAL://127.0.0.1:${internal_port},CLIENT://${client_host}:${client_port},EXTERNAL://${external_host}:${external_port}
listener.security.protocol.map=CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,CLIENT:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT
inter.broker.listener.name=INTERNAL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.external.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# ANONYMOUS is whoever speaks plaintext, which only this container's loopback listeners accept.
super.users=User:ANONYMOUS;User:${admin_user}
log.dirs=${data_dir}
num.partitions=${partitions}
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
auto.create.topics.enable=false
EOF

# "--cluster-id=<id>" in one argument: an id may start with "-" (URL-safe base64), which the tool's argument parser
# would take for an option ("argument --cluster-id/-t: expected one argument", 1 start in 64), as in owes_cli/kafka.py
"$kafka_bin/kafka-storage.sh" format --ignore-formatted --cluster-id="$OWES_KAFKA_CLUSTER_ID" --config "$config" \
  --add-scram "SCRAM-SHA-512=[name=${admin_user},password=${OWES_KAFKA_ADMIN_PASSWORD}]"

exec "$kafka_bin/kafka-server-start.sh" "$config"
