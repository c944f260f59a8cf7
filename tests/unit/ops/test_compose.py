"""docker-compose.yml: valid against the Compose Specification's JSON schema (as vendored by check-jsonschema),
every container health-checked and restarted, every service's environment complete and spelled as its settings
read it, every secret from .env, and Kafka access granted as the code consumes."""

from __future__ import annotations

import importlib.resources
import json
import re

import pytest
import yaml
from jsonschema import Draft202012Validator

from owes_messaging.settings import KafkaSettings
from unit.ops.ops_checks import (
    COMPOSE_FILE,
    ENV_EXAMPLE,
    REQUIRED_SETTINGS,
    ROOT,
    SERVICES,
    MissingVariable,
    deep_interpolate,
    env_prefix,
    interpolate,
    load_compose,
    load_settings,
    principals,
    read_dotenv,
    readers,
    setting_for,
    strings_in,
    variables,
)

JOBS = ("kafka-security", "kafka-topics")  # one-shot: they run, succeed, and gate the services


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose()


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return read_dotenv(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def resolved(compose, env_example) -> dict:
    """The file as docker compose sees it with .env made from .env.example."""
    return deep_interpolate(compose, env_example)


def compose_spec_schema() -> dict:
    schema = importlib.resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(schema.read_text())


def schema_errors(document: dict) -> list[str]:
    validator = Draft202012Validator(compose_spec_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def long_running(compose: dict) -> list[str]:
    return [name for name in compose["services"] if name not in JOBS]


class TestComposeFile:
    def test_is_valid_against_the_compose_specification(self, compose, resolved):
        assert schema_errors(compose) == []
        assert schema_errors(resolved) == []

    def test_schema_check_catches_a_misspelt_key(self, compose):
        broken = json.loads(json.dumps(compose))
        broken["services"]["recruitment"]["healthchek"] = broken["services"]["recruitment"].pop("healthcheck")
        assert any("healthchek" in error for error in schema_errors(broken))

    def test_every_variable_is_in_env_example_or_has_a_default(self, compose, env_example):
        missing = {
            name
            for text in strings_in(compose)
            for name, op in variables(text)
            if name not in env_example and op not in (":-", "-")
        }
        assert missing == set()

    def test_resolves_with_env_example_and_refuses_to_start_without_secrets(self, compose, env_example):
        deep_interpolate(compose, env_example)
        without_password = {k: v for k, v in env_example.items() if k != "RECRUITMENT_KAFKA_PASSWORD"}
        with pytest.raises(MissingVariable, match="RECRUITMENT_KAFKA_PASSWORD"):
            deep_interpolate(compose, without_password)

    def test_secrets_come_only_from_the_env_file(self, compose):
        for name, service in compose["services"].items():
            for key, value in (service.get("environment") or {}).items():
                if re.search(r"PASSWORD|JAAS|DATABASE_URL", key):
                    assert variables(str(value)), f"{name}.{key} holds a literal secret"

    def test_env_example_holds_placeholders_only_and_env_is_ignored(self, env_example):
        secrets = {k: v for k, v in env_example.items() if "PASSWORD" in k}
        assert secrets and all(v.startswith("change-me-") for v in secrets.values())
        ignored = (ROOT / ".gitignore").read_text().splitlines()
        assert ".env" in ignored and ".env.example" not in ignored

    def test_published_ports_bind_to_the_configured_address(self, compose):
        for name, service in compose["services"].items():
            for port in service.get("ports", []):
                assert port.startswith("${OWES_BIND_ADDRESS:-127.0.0.1}:"), f"{name} publishes {port} on every address"

    def test_mounted_files_exist_in_the_repository(self, compose):
        for name, service in compose["services"].items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("./"):
                    assert (ROOT / source).exists(), f"{name} mounts missing {source}"


class TestContainers:
    def test_every_long_running_container_has_a_healthcheck(self, compose):
        for name in long_running(compose):
            check = compose["services"][name].get("healthcheck")
            assert check and not check.get("disable") and check["test"] not in (["NONE"], "NONE"), name
            assert check.get("interval") and check.get("retries"), name

    def test_every_container_has_a_restart_policy(self, compose):
        for name, service in compose["services"].items():
            assert re.fullmatch(r"always|unless-stopped|on-failure(:\d+)?", service.get("restart", "")), name

    def test_one_shot_jobs_restart_on_failure_and_gate_every_service(self, compose):
        for job in JOBS:
            assert compose["services"][job]["restart"].startswith("on-failure")
        for service in SERVICES:
            depends = compose["services"][service]["depends_on"]
            assert depends["postgres"]["condition"] == "service_healthy"
            assert {depends[job]["condition"] for job in JOBS} == {"service_completed_successfully"}

    def test_durable_data_lives_in_named_volumes(self, compose):
        mounts = {"postgres": "/var/lib/postgresql/data", "kafka": "/var/lib/kafka/data", "prometheus": "/prometheus"}
        for name, target in mounts.items():
            volumes = [v.split(":") for v in compose["services"][name]["volumes"]]
            source = next(src for src, dst, *_ in volumes if dst == target)
            assert source in compose["volumes"], f"{name} keeps {target} outside a named volume"

    def test_images_are_pinned_to_a_tag(self, compose):
        for name, service in compose["services"].items():
            image = service["image"]
            tag = image.rsplit(":", 1)[1] if ":" in image.rsplit("/", 1)[-1] else None
            assert tag and tag != "latest", f"{name} runs {image}"

    def test_kafka_runs_in_kraft_mode_with_sasl_on_apache_kafka(self, compose):
        kafka = compose["services"]["kafka"]
        assert kafka["image"].startswith("apache/kafka:")
        assert kafka["entrypoint"] == ["/bin/bash", "/opt/owes/start-kafka.sh"]

    def test_kafka_ui_logs_in_with_the_admin_principal_over_scram(self, resolved, env_example):
        ui = resolved["services"]["kafka-ui"]["environment"]
        assert ui["KAFKA_CLUSTERS_0_PROPERTIES_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert ui["KAFKA_CLUSTERS_0_PROPERTIES_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert f'password="{env_example["KAFKA_ADMIN_PASSWORD"]}"' in ui["KAFKA_CLUSTERS_0_PROPERTIES_SASL_JAAS_CONFIG"]
        assert ui["AUTH_TYPE"] == "LOGIN_FORM"

    def test_prometheus_is_optional(self, compose):
        assert compose["services"]["prometheus"]["profiles"] == ["observability"]


@pytest.mark.parametrize("service", SERVICES)
class TestServiceContainer:
    def test_is_built_from_the_shared_dockerfile_for_its_own_app(self, compose, service):
        build = compose["services"][service]["build"]
        assert build == {"context": ".", "dockerfile": "deploy/Dockerfile", "args": {"SERVICE": service}}

    def test_every_variable_names_a_setting_of_the_service(self, compose, service):
        environment = compose["services"][service]["environment"]
        unknown = [name for name in environment if setting_for(service, name) is None]
        assert unknown == []

    def test_environment_is_complete(self, resolved, service):
        environment = resolved["services"][service]["environment"]
        prefix = env_prefix(service)
        assert {f"{prefix}{name}" for name in REQUIRED_SETTINGS} <= set(environment)

    def test_settings_read_from_the_environment_reach_its_own_database_and_principal(
        self, resolved, env_example, service
    ):
        settings = load_settings(service, resolved["services"][service]["environment"])
        prefix = service.upper()
        assert settings.database_url == (
            f"postgresql+asyncpg://{service}:{env_example[prefix + '_DB_PASSWORD']}@postgres:5432/{service}"
        )
        kafka: KafkaSettings = settings.kafka
        assert kafka.bootstrap_servers == "kafka:9092"
        assert kafka.enable_idempotence is True
        assert kafka.security_protocol == "SASL_PLAINTEXT"
        assert kafka.sasl_mechanism == "SCRAM-SHA-512"
        assert kafka.sasl_username == service
        assert kafka.sasl_password.get_secret_value() == env_example[f"{prefix}_KAFKA_PASSWORD"]
        assert kafka.topic_partitions == int(env_example["KAFKA_TOPIC_PARTITIONS"])
        assert settings.topic_namespace == env_example["OWES_TOPIC_NAMESPACE"]
        assert settings.tracing.exporter == "none"

    def test_its_passwords_are_the_ones_the_init_steps_create(self, compose, service):
        environment = compose["services"][service]["environment"]
        prefix = service.upper()
        db_password = compose["services"]["postgres"]["environment"][f"OWES_DB_PASSWORD_{prefix}"]
        kafka_password = compose["services"]["kafka-security"]["environment"][f"OWES_KAFKA_PASSWORD_{prefix}"]
        assert variables(db_password)[0][0] in {n for n, _ in variables(environment[f"{prefix}_DATABASE_URL"])}
        assert variables(kafka_password) == variables(environment[f"{prefix}_KAFKA__SASL_PASSWORD"])


class TestKafkaAccess:
    def test_every_service_is_a_principal(self):
        assert tuple(principals()) == SERVICES

    def test_every_principal_gets_its_password_from_env(self, compose, env_example):
        environment = compose["services"]["kafka-security"]["environment"]
        for name in (*principals(), *readers()):
            (variable,) = variables(environment[f"OWES_KAFKA_PASSWORD_{name.upper()}"])
            assert variable[1] == ":?" and variable[0] in env_example

    def test_reads_are_the_ones_the_partnership_agreed(self):
        assert principals() == {
            "recruitment": [],
            "advisory": ["recruitment"],
            "grants": ["recruitment"],
            "reporting": ["recruitment", "advisory", "grants"],
        }

    @pytest.mark.parametrize("service", SERVICES)
    async def test_each_service_may_read_every_topic_its_code_consumes(self, service, tmp_path):
        main = importlib.import_module(f"{service}.main")
        database = {f"{env_prefix(service)}DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
        settings = load_settings(service, database)
        runtime = main.build_runtime(settings)
        try:
            consumed = {topic.split(".")[1] for topic in runtime.consumed_topics}
        finally:
            await runtime.producer.stop()  # never started; closes it quietly
            await runtime.engine.dispose()
        assert consumed <= set(principals()[service])


def test_compose_file_is_plain_yaml_without_tabs():
    text = COMPOSE_FILE.read_text()
    assert "\t" not in text
    assert yaml.safe_load(text)["name"] == "owes-mesh"


def test_interpolation_follows_compose_rules():
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET}-${UNSET:-d}-${EMPTY:-e}-${EMPTY-f}-$$SET-$SET", env) == "x-d-e--$SET-x"
    with pytest.raises(MissingVariable):
        interpolate("${EMPTY:?needed}", env)
