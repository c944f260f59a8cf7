"""One Apache Kafka version everywhere: `owes_cli.kafka.KAFKA_VERSION` names it, and the compose file's `apache/kafka`
images, every other `apache/kafka:<tag>` the repository mentions (deploy/, docs, scripts), the testcontainers
fixture and the Maven fetch must all say the same. A bump that misses one of them fails here."""

from __future__ import annotations

import ast
import inspect
import re
import subprocess

import pytest

from owes_cli import kafka
from unit.ops.ops_checks import ROOT, load_compose

IMAGE = re.compile(r"apache/kafka(?:-native)?:(?P<tag>[A-Za-z0-9._-]+)")
VERSION = kafka.KAFKA_VERSION


def tracked_text_files() -> list[str]:
    """Every file git tracks that mentions the image: compose, deploy/ (k8s, scripts), docs, CI."""
    done = subprocess.run(
        ["git", "grep", "-l", "-I", "apache/kafka", "--", "."], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode not in (0, 1):  # 1: no match
        pytest.skip(f"not a git checkout: {done.stderr.strip()}")
    return [line for line in done.stdout.splitlines() if line]


def test_the_version_is_a_4x_release():
    assert re.fullmatch(r"4\.\d+\.\d+", VERSION), VERSION


def test_compose_kafka_images_carry_the_pinned_tag():
    images = {
        name: svc["image"]
        for name, svc in load_compose()["services"].items()
        if str(svc.get("image", "")).startswith("apache/kafka")
    }
    assert images, "docker-compose.yml runs no apache/kafka image"
    wrong = {name: image for name, image in images.items() if image != f"apache/kafka:{VERSION}"}
    assert not wrong, f"compose images differ from KAFKA_VERSION {VERSION}: {wrong}"


def test_every_apache_kafka_image_the_repository_names_carries_the_pinned_tag():
    mentions: dict[str, set[str]] = {}
    for path in tracked_text_files():
        text = (ROOT / path).read_text(errors="replace")
        for match in IMAGE.finditer(text):
            tag = match.group("tag")
            if tag.startswith("{"):  # an f-string: checked with the testcontainers fixture below
                continue
            mentions.setdefault(path, set()).add(tag)
    assert "docker-compose.yml" in mentions
    wrong = {path: tags for path, tags in mentions.items() if tags != {VERSION}}
    assert not wrong, f"apache/kafka tags other than {VERSION}: {wrong}"


def test_deploy_k8s_runs_no_kafka_of_its_own_version():
    """The Kubernetes manifests point at an existing cluster; if one ever ships a Kafka image, it must match."""
    for manifest in sorted((ROOT / "deploy" / "k8s").glob("*.yaml")):
        for tag in IMAGE.findall(manifest.read_text()):
            assert tag == VERSION, f"{manifest.name}: apache/kafka:{tag}"


def _container_image_argument() -> ast.expr:
    tree = ast.parse((ROOT / "tests" / "conftest.py").read_text())
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "KafkaContainer"
    ]
    assert len(calls) == 1, "tests/conftest.py should start exactly one KafkaContainer"
    assert calls[0].args, "KafkaContainer() without an image would run testcontainers' own default"
    return calls[0].args[0]


def test_the_testcontainers_fixture_runs_the_pinned_image():
    arg = _container_image_argument()
    if isinstance(arg, ast.Constant):
        assert arg.value == f"apache/kafka:{VERSION}"
        return
    assert isinstance(arg, ast.JoinedStr), ast.dump(arg)
    literal = "".join(part.value for part in arg.values if isinstance(part, ast.Constant))
    names = [ast.unparse(part.value) for part in arg.values if isinstance(part, ast.FormattedValue)]
    assert literal == "apache/kafka:" and names == ["kafka.KAFKA_VERSION"], ast.unparse(arg)


def test_the_fetch_asks_maven_for_the_pinned_broker_and_tools():
    assert inspect.signature(kafka.fetch).parameters["version"].default == VERSION
    assert inspect.signature(kafka.home).parameters["version"].default == VERSION
    pom = kafka._POM.format(version=VERSION, scala=kafka.SCALA_VERSION)
    artifacts = re.findall(r"<artifactId>([^<]+)</artifactId><version>([^<]+)</version>", pom)
    assert (f"kafka_{kafka.SCALA_VERSION}", VERSION) in artifacts
    assert ("kafka-tools", VERSION) in artifacts


def test_a_fetched_cache_holds_the_pinned_jars():
    if not kafka.is_fetched():
        pytest.skip("Apache Kafka not fetched on this machine yet (the integration tests fetch it)")
    libs = {p.name for p in (kafka.home() / "libs").glob("kafka*.jar")}
    assert f"kafka_{kafka.SCALA_VERSION}-{VERSION}.jar" in libs
    assert f"kafka-clients-{VERSION}.jar" in libs
    other = {name for name in libs if re.search(r"-\d+\.\d+\.\d+\.jar$", name) and f"-{VERSION}.jar" not in name}
    assert not other, f"jars of another Kafka version in the cache: {other}"
