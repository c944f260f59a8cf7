"""The Kafka scripts of docker-compose (deploy/kafka): the broker's configuration, the SCRAM principals and their
ACLs, and the topics. No JVM here: the Kafka command-line tools are replaced by a stand-in that records how it
was called, which is what these scripts are responsible for."""

from __future__ import annotations

import os
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from unit.ops.ops_checks import DEPLOY, SERVICES, load_compose, principals, readers

KAFKA_SCRIPTS = DEPLOY / "kafka"
FAKE_TOOL = """#!/usr/bin/env bash
tool=$(basename "$0")
{ printf '%s' "$tool"; for arg in "$@"; do printf '\\x1f%s' "$arg"; done; printf '\\n'; } >> "$FAKE_KAFKA_LOG"
previous=""
for arg in "$@"; do
  [[ $previous == --command-config ]] && cp "$arg" "$FAKE_KAFKA_LOG.admin.properties"
  previous=$arg
done
[[ $tool == kafka-server-start.sh ]] && cp "$1" "$FAKE_KAFKA_LOG.server.properties"
exit 0
"""
TOOLS = (
    "kafka-storage.sh",
    "kafka-server-start.sh",
    "kafka-configs.sh",
    "kafka-acls.sh",
    "kafka-topics.sh",
    "kafka-broker-api-versions.sh",
)
PASSWORDS = {name: f"{name}-secret-0123" for name in (*SERVICES, "integrator")}


class FakeKafka:
    """A folder of stand-in Kafka tools and what they were asked to do."""

    def __init__(self, root: Path) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        for tool in TOOLS:
            path = self.bin / tool
            path.write_text(FAKE_TOOL)
            path.chmod(0o755)
        self.log = root / "calls.log"

    def run(self, script: str, **env: str) -> subprocess.CompletedProcess:
        environment = {"PATH": os.environ["PATH"], "KAFKA_BIN": str(self.bin), "FAKE_KAFKA_LOG": str(self.log), **env}
        return subprocess.run(
            ["bash", str(KAFKA_SCRIPTS / script)], env=environment, capture_output=True, text=True, timeout=60
        )

    def calls(self, tool: str | None = None) -> list[list[str]]:
        if not self.log.exists():
            return []
        calls = [line.split("\x1f") for line in self.log.read_text().splitlines()]
        return [call[1:] for call in calls if tool is None or call[0] == tool]

    def properties(self, name: str) -> dict[str, str]:
        lines = Path(f"{self.log}.{name}.properties").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


@pytest.fixture
def kafka(tmp_path) -> FakeKafka:
    return FakeKafka(tmp_path)


def options(call: list[str], name: str) -> list[str]:
    return [call[i + 1] for i, arg in enumerate(call[:-1]) if arg == name]


def init_env(**overrides: str) -> dict[str, str]:
    env = {"OWES_KAFKA_BOOTSTRAP": "kafka:9092", "OWES_KAFKA_ADMIN_PASSWORD": "admin-secret"}
    env |= {f"OWES_KAFKA_PASSWORD_{service.upper()}": password for service, password in PASSWORDS.items()}
    return env | overrides


def granted(kafka: FakeKafka) -> dict[str, set[tuple[str, str, str]]]:
    """Every (resource type, resource name, operation) each principal was allowed by kafka-acls.sh --add."""
    grants: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    for call in kafka.calls("kafka-acls.sh"):
        if "--add" not in call:
            continue
        (principal,) = options(call, "--allow-principal")
        resources = [("topic", t) for t in options(call, "--topic")] + [("group", g) for g in options(call, "--group")]
        if "--cluster" in call:
            resources.append(("cluster", "kafka-cluster"))
        for operation in options(call, "--operation"):
            grants[principal] |= {(kind, name, operation) for kind, name in resources}
    return grants


class TestBrokerStart:
    def start(self, kafka: FakeKafka, tmp_path, **env: str) -> subprocess.CompletedProcess:
        env = {
            "OWES_KAFKA_CLUSTER_ID": "4L6g3nShT-eMCtK--X86sw",
            "OWES_KAFKA_ADMIN_PASSWORD": "admin-secret",
            "OWES_KAFKA_CONFIG": str(tmp_path / "server.properties"),
        } | env
        return kafka.run("start-kafka.sh", **env)

    def test_formats_the_storage_with_the_admin_scram_credential_then_starts(self, kafka, tmp_path):
        result = self.start(kafka, tmp_path)
        assert result.returncode == 0, result.stderr
        (storage,) = kafka.calls("kafka-storage.sh")
        assert storage[0] == "format" and "--ignore-formatted" in storage
        # in one argument: an id may start with "-", which kafka-storage's parser would take for an option
        assert [a for a in storage if a.startswith("--cluster-id")] == ["--cluster-id=4L6g3nShT-eMCtK--X86sw"]
        assert options(storage, "--add-scram") == ["SCRAM-SHA-512=[name=admin,password=admin-secret]"]
        assert kafka.calls("kafka-server-start.sh") == [[str(tmp_path / "server.properties")]]

    def test_clients_authenticate_with_scram_and_acls_deny_by_default(self, kafka, tmp_path):
        self.start(kafka, tmp_path)
        config = kafka.properties("server")
        protocols = dict(entry.split(":") for entry in config["listener.security.protocol.map"].split(","))
        assert protocols == {
            "CONTROLLER": "PLAINTEXT",
            "INTERNAL": "PLAINTEXT",
            "CLIENT": "SASL_PLAINTEXT",
            "EXTERNAL": "SASL_PLAINTEXT",
        }
        assert config["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
        for listener in ("client", "external"):
            assert "ScramLoginModule required" in config[f"listener.name.{listener}.scram-sha-512.sasl.jaas.config"]
        assert config["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
        assert config["allow.everyone.if.no.acl.found"] == "false"
        assert config["auto.create.topics.enable"] == "false"

    def test_plaintext_listeners_answer_on_loopback_only(self, kafka, tmp_path):
        # ANONYMOUS (whoever speaks plaintext) is a super user, which is safe only while nobody else can reach it.
        self.start(kafka, tmp_path)
        config = kafka.properties("server")
        listeners = dict(entry.split("://") for entry in config["listeners"].split(","))
        assert listeners["CONTROLLER"].startswith("127.0.0.1:") and listeners["INTERNAL"].startswith("127.0.0.1:")
        assert set(config["super.users"].split(";")) == {"User:ANONYMOUS", "User:admin"}
        assert config["controller.quorum.voters"] == f"1@{listeners['CONTROLLER']}"
        assert config["inter.broker.listener.name"] == "INTERNAL"

    def test_advertises_the_address_the_services_and_the_host_use(self, kafka, tmp_path):
        self.start(kafka, tmp_path, OWES_KAFKA_EXTERNAL_PORT="19094")
        advertised = dict(entry.split("://") for entry in kafka.properties("server")["advertised.listeners"].split(","))
        compose = load_compose()
        bootstrap = {compose["services"][s]["environment"][f"{s.upper()}_KAFKA__BOOTSTRAP_SERVERS"] for s in SERVICES}
        assert {advertised["CLIENT"]} == bootstrap
        assert advertised["EXTERNAL"] == "localhost:19094"
        assert "CONTROLLER" not in advertised

    def test_keeps_its_log_in_the_volume_compose_mounts(self, kafka, tmp_path):
        self.start(kafka, tmp_path)
        volumes = load_compose()["services"]["kafka"]["volumes"]
        assert f"kafka-data:{kafka.properties('server')['log.dirs']}" in volumes

    def test_outside_a_container_ports_addresses_and_data_folder_move_by_environment(self, kafka, tmp_path):
        self.start(
            kafka,
            tmp_path,
            OWES_KAFKA_DATA_DIR=str(tmp_path / "data"),
            OWES_KAFKA_LISTEN_ADDRESS="127.0.0.1",
            OWES_KAFKA_CLIENT_HOST="127.0.0.1",
            OWES_KAFKA_CLIENT_PORT="19092",
            OWES_KAFKA_CONTROLLER_PORT="19093",
            OWES_KAFKA_EXTERNAL_LISTEN_PORT="19094",
            OWES_KAFKA_INTERNAL_PORT="19096",
        )
        config = kafka.properties("server")
        assert config["log.dirs"] == str(tmp_path / "data")
        assert config["listeners"] == (
            "CONTROLLER://127.0.0.1:19093,INTERNAL://127.0.0.1:19096,"
            "CLIENT://127.0.0.1:19092,EXTERNAL://127.0.0.1:19094"
        )
        assert config["advertised.listeners"].startswith("INTERNAL://127.0.0.1:19096,CLIENT://127.0.0.1:19092,")
        assert config["controller.quorum.voters"] == "1@127.0.0.1:19093"

    def test_in_the_container_listens_where_compose_expects(self, kafka, tmp_path):
        self.start(kafka, tmp_path)
        config = kafka.properties("server")
        assert config["listeners"] == (
            "CONTROLLER://127.0.0.1:9093,INTERNAL://127.0.0.1:9096,CLIENT://0.0.0.0:9092,EXTERNAL://0.0.0.0:9094"
        )
        assert "127.0.0.1:9096" in load_compose()["services"]["kafka"]["healthcheck"]["test"][1]

    def test_refuses_a_password_scram_syntax_cannot_carry(self, kafka, tmp_path):
        result = self.start(kafka, tmp_path, OWES_KAFKA_ADMIN_PASSWORD="pass],name=evil")
        assert result.returncode == 2
        assert kafka.calls() == []


class TestPrincipalsAndAcls:
    def test_creates_one_scram_principal_per_service_with_its_password(self, kafka):
        result = kafka.run("init-security.sh", **init_env())
        assert result.returncode == 0, result.stderr
        created = {
            options(call, "--entity-name")[0]: options(call, "--add-config")[0]
            for call in kafka.calls("kafka-configs.sh")
        }
        assert created == {s: f"SCRAM-SHA-512=[iterations=8192,password={PASSWORDS[s]}]" for s in PASSWORDS}

    def test_each_service_writes_only_its_own_topics_and_reads_only_what_it_consumes(self, kafka):
        kafka.run("init-security.sh", **init_env())
        grants = granted(kafka)
        assert set(grants) == {f"User:{s}" for s in (*SERVICES, *readers())}
        for service, reads in principals().items():
            expected = {
                ("topic", f"owes.{service}.{kind}", op) for kind in ("events", "dlq") for op in ("Write", "Describe")
            }
            expected.add(("cluster", "kafka-cluster", "IdempotentWrite"))
            expected |= {("topic", f"owes.{producer}.events", op) for producer in reads for op in ("Read", "Describe")}
            if reads:
                expected |= {("group", f"owes.{service}", op) for op in ("Read", "Describe")}
            assert grants[f"User:{service}"] == expected, service

    def test_the_integrator_may_read_every_events_topic_and_write_nothing(self, kafka):
        kafka.run("init-security.sh", **init_env())
        producers = [s for s in SERVICES if any(s in reads for reads in principals().values())]
        assert readers() == {"integrator": producers}
        expected = {("topic", f"owes.{p}.events", op) for p in producers for op in ("Read", "Describe")}
        expected |= {("group", "owes.integrator", op) for op in ("Read", "Describe")}
        assert granted(kafka)["User:integrator"] == expected

    def test_refuses_a_principal_of_unknown_kind(self, kafka, tmp_path):
        conf = tmp_path / "principals.conf"
        conf.write_text("recruitment - service\nauditor recruitment admin\n")
        result = kafka.run("init-security.sh", **init_env(PRINCIPALS_FILE=str(conf), OWES_KAFKA_PASSWORD_AUDITOR="x"))
        assert result.returncode == 2 and "auditor has kind 'admin'" in result.stderr
        assert not [c for c in kafka.calls("kafka-configs.sh") if "auditor" in c]

    def test_no_principal_may_write_another_services_topic(self, kafka):
        kafka.run("init-security.sh", **init_env())
        for principal, grants in granted(kafka).items():
            service = principal.removeprefix("User:")
            written = {name for kind, name, op in grants if kind == "topic" and op == "Write"}
            assert all(name.startswith(f"owes.{service}.") for name in written), principal

    def test_acts_as_the_admin_over_sasl_scram(self, kafka):
        kafka.run("init-security.sh", **init_env(OWES_KAFKA_ADMIN_USER="root"))
        admin = kafka.properties("admin")
        assert admin["security.protocol"] == "SASL_PLAINTEXT" and admin["sasl.mechanism"] == "SCRAM-SHA-512"
        assert 'username="root" password="admin-secret";' in admin["sasl.jaas.config"]
        assert all(
            options(call, "--bootstrap-server") == ["kafka:9092"]
            for call in kafka.calls()
            if call and call[0] != "format"
        )

    def test_reaches_an_external_cluster_over_tls_with_its_ca(self, kafka):
        kafka.run(
            "init-security.sh",
            **init_env(
                OWES_KAFKA_BOOTSTRAP="b1.example.org:9093",
                OWES_KAFKA_ADMIN_SECURITY_PROTOCOL="SASL_SSL",
                OWES_KAFKA_ADMIN_CA_FILE="/etc/kafka/ca.pem",
            ),
        )
        admin = kafka.properties("admin")
        assert admin["security.protocol"] == "SASL_SSL"
        assert (admin["ssl.truststore.type"], admin["ssl.truststore.location"]) == ("PEM", "/etc/kafka/ca.pem")
        assert options(kafka.calls("kafka-acls.sh")[0], "--bootstrap-server") == ["b1.example.org:9093"]

    def test_follows_the_topic_namespace(self, kafka):
        kafka.run("init-security.sh", **init_env(OWES_TOPIC_NAMESPACE="acme"))
        names = {name for grants in granted(kafka).values() for kind, name, _ in grants if kind != "cluster"}
        assert names and all(name.startswith("acme.") for name in names)

    def test_stops_when_a_service_has_no_password(self, kafka):
        env = init_env()
        del env["OWES_KAFKA_PASSWORD_GRANTS"]
        result = kafka.run("init-security.sh", **env)
        assert result.returncode == 2
        assert "OWES_KAFKA_PASSWORD_GRANTS" in result.stderr


class TestTopics:
    def test_creates_events_and_dead_letter_topics_with_the_configured_partitions(self, kafka):
        result = kafka.run("init-topics.sh", **init_env(OWES_KAFKA_PARTITIONS="12"))
        assert result.returncode == 0, result.stderr
        created = {options(c, "--topic")[0]: c for c in kafka.calls("kafka-topics.sh") if "--create" in c}
        assert set(created) == {f"owes.{s}.{kind}" for s in SERVICES for kind in ("events", "dlq")}
        for call in created.values():
            assert "--if-not-exists" in call
            assert options(call, "--partitions") == ["12"]
            assert options(call, "--replication-factor") == ["1"]
        assert options(created["owes.grants.events"], "--config") == ["retention.ms=-1"]
