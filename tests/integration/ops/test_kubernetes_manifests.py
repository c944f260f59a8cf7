"""deploy/k8s: every manifest valid against the Kubernetes API schema (strict), each service a Deployment with
probes on /readyz and /healthz, replicas within the partition count, settings spelled as the service reads
them, migrations in an init container, and the restricted pod security profile."""

from __future__ import annotations

import kubernetes_validate
import pytest
import yaml
from dockerfile_parse import DockerfileParser

from owes_cli.compose import environment_problems
from unit.ops.ops_checks import DEPLOY, DOCKERFILE, REQUIRED_SETTINGS, SERVICES, env_prefix, load_settings, setting_for

K8S = DEPLOY / "k8s"
KUBERNETES_VERSION = "1.30.0"


def documents(path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def manifests() -> list[tuple[str, dict]]:
    return [
        (path.name, doc)
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in documents(path)
    ]


def resource(kind: str, name: str) -> dict:
    (doc,) = [doc for _, doc in manifests() if doc["kind"] == kind and doc["metadata"]["name"] == name]
    return doc


def pod(service: str) -> dict:
    return resource("Deployment", service)["spec"]["template"]["spec"]


def container(service: str) -> dict:
    (main,) = [c for c in pod(service)["containers"] if c["name"] == service]
    return main


def environment(service: str) -> dict[str, str]:
    """What the service's container sees: its ConfigMap and the keys of its Secret (from the example)."""
    return {**resource("ConfigMap", service)["data"], **resource("Secret", service)["stringData"]}


@pytest.mark.parametrize(("file", "manifest"), manifests(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_manifest_is_valid_against_the_kubernetes_schema(file, manifest):
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_schema_check_catches_a_misspelt_field():
    broken = resource("Deployment", "grants")
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {
        "httpGet": {"path": "/readyz", "port": "http"}
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_kustomization_applies_everything_but_the_secrets_example():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    expected = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secrets.example.yaml"}
    assert set(kustomization["resources"]) == expected
    assert {image["name"] for image in kustomization["images"]} == {f"owes/{s}" for s in SERVICES}


@pytest.mark.parametrize("service", SERVICES)
class TestServiceDeployment:
    def test_probes_readiness_on_readyz_and_liveness_on_healthz(self, service):
        main = container(service)
        assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert main["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert main["startupProbe"]["httpGet"]["path"] == "/healthz"
        assert main["ports"] == [{"name": "http", "containerPort": int(DockerfileParser(str(DOCKERFILE)).envs["PORT"])}]

    def test_replicas_scale_out_within_the_partition_count(self, service):
        replicas = resource("Deployment", service)["spec"]["replicas"]
        partitions = int(environment(service)[f"{env_prefix(service)}KAFKA__TOPIC_PARTITIONS"])
        assert 2 <= replicas <= partitions

    def test_every_variable_names_a_setting_and_none_is_missing(self, service):
        env = environment(service)
        assert [name for name in env if setting_for(service, name) is None] == []
        assert {f"{env_prefix(service)}{name}" for name in REQUIRED_SETTINGS} <= set(env)

    def test_the_rehearsals_environment_check_agrees_and_catches_a_misspelt_name(self, service):
        # the same check `owes compose rehearse` applies to compose's environment
        env = environment(service)
        assert environment_problems(service, env) == []
        prefix = env_prefix(service)
        misspelt = {k.replace("KAFKA__SASL_USERNAME", "KAFKA__SASL_USER"): v for k, v in env.items()}
        assert environment_problems(service, misspelt) == [
            f"{prefix}KAFKA__SASL_USER is read by no setting of {service}",
            f"{prefix}KAFKA__SASL_USERNAME (required) is not set",
        ]

    def test_secrets_stay_in_the_secret_and_settings_load(self, service):
        config = resource("ConfigMap", service)["data"]
        assert not [k for k in config if "PASSWORD" in k or "DATABASE_URL" in k or "API_KEYS" in k]
        settings = load_settings(service, environment(service))
        assert settings.kafka.sasl_username == service
        assert settings.kafka.security_protocol.startswith("SASL")
        assert settings.kafka.enable_idempotence is True
        assert settings.database_url.startswith("postgresql+asyncpg://")
        assert settings.run_migrations_on_start is False

    def test_reads_config_and_secret_by_reference(self, service):
        refs = [{"configMapRef": {"name": service}}, {"secretRef": {"name": service}}]
        assert container(service)["envFrom"] == refs
        (migrate,) = pod(service)["initContainers"]
        assert migrate["envFrom"] == refs

    def test_migrates_in_an_init_container_with_the_same_image(self, service):
        (migrate,) = pod(service)["initContainers"]
        assert migrate["command"] == ["owes", "migrate", service]
        assert migrate["image"] == container(service)["image"] == f"owes/{service}:0.1.0"

    def test_pods_meet_the_restricted_security_profile(self, service):
        spec = pod(service)
        uid = DockerfileParser(str(DOCKERFILE)).structure
        image_uid = int([i["value"] for i in uid if i["instruction"] == "USER"][-1].split(":")[0])
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == image_uid
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        for c in spec["containers"] + spec["initContainers"]:
            assert c["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }
            assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]

    def test_service_and_disruption_budget_select_its_pods(self, service):
        labels = resource("Deployment", service)["spec"]["template"]["metadata"]["labels"]
        selector = resource("Service", service)["spec"]["selector"]
        assert selector.items() <= labels.items()
        assert resource("Service", service)["spec"]["ports"][0]["targetPort"] == "http"
        budget = resource("PodDisruptionBudget", service)["spec"]
        assert budget["selector"]["matchLabels"].items() <= labels.items() and budget["minAvailable"] == 1
