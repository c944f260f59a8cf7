"""The pure parts of `owes compose rehearse` (cli/owes_cli/compose.py): compose's interpolation and .env rules,
the .env an operator makes from .env.example, the Dockerfile's ENV and CMD, the start order depends_on gives, and
how container addresses map to loopback ports. The rehearsal itself runs in tests/integration/compose."""

from __future__ import annotations

import shutil

import pytest
import yaml

from owes_cli.compose import (
    PLACEHOLDER,
    Rehearsal,
    RehearsalFailed,
    interpolate,
    make_dotenv,
    read_dockerfile,
    read_dotenv,
)
from unit.ops.ops_checks import COMPOSE_FILE, DEPLOY, ENV_EXAMPLE, ROOT, SERVICES


def test_interpolation_follows_compose_rules():
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET}-${UNSET:-d}-${EMPTY:-e}-${EMPTY-f}-$$SET-$SET-${SET:+alt}", env) == "x-d-e--$SET-x-alt"
    with pytest.raises(RehearsalFailed, match="required variable EMPTY is missing a value: needed"):
        interpolate("${EMPTY:?needed}", env)
    assert interpolate("${EMPTY?needed}", env) == ""


def test_dotenv_reads_quotes_and_skips_comments(tmp_path):
    path = tmp_path / ".env"
    path.write_text("# comment\nA=1\nB=\"two words\"\nC='x'\n\nD=\n")
    assert read_dotenv(path) == {"A": "1", "B": "two words", "C": "x", "D": ""}


def test_env_made_from_the_example_replaces_every_placeholder_with_its_own_secret(tmp_path):
    keys = make_dotenv(ENV_EXAMPLE, tmp_path / ".env")
    made = read_dotenv(tmp_path / ".env")
    example = read_dotenv(ENV_EXAMPLE)
    assert set(made) == set(example)
    assert not [name for name, value in made.items() if PLACEHOLDER.search(value)]
    secrets_made = [made[name] for name, value in example.items() if PLACEHOLDER.search(value)]
    assert len(secrets_made) == len(set(secrets_made)) >= 10
    assert made["KAFKA_CLUSTER_ID"] != example["KAFKA_CLUSTER_ID"] and len(made["KAFKA_CLUSTER_ID"]) == 22
    for service in SERVICES:
        entry = made[f"{service.upper()}_API_KEYS"]
        assert entry.count(" ") == 2 and entry.split()[2].startswith("sha256:")
        assert keys[f"API_KEY_{service.upper()}"] not in entry  # only the hash goes into the settings


def test_reads_the_dockerfiles_env_and_cmd():
    recipe = read_dockerfile(DEPLOY / "Dockerfile", {"SERVICE": "grants"})
    assert recipe.env["OWES_SERVICE"] == "grants"
    assert recipe.env["PORT"] == "8000"
    assert recipe.env["PATH"] == "/opt/venv/bin:$PATH"
    assert recipe.cmd[:2] == ["sh", "-c"] and "uvicorn" in recipe.cmd[2]


@pytest.fixture
def loaded(tmp_path) -> Rehearsal:
    rehearsal = Rehearsal(root=ROOT, workdir=tmp_path, say=lambda _line: None)
    rehearsal.load()
    return rehearsal


def test_start_order_follows_depends_on(loaded):
    waves = loaded.waves()
    position = {name: i for i, wave in enumerate(waves) for name in wave}
    assert position["postgres"] == position["kafka"] == 0
    assert position["kafka-security"] == position["kafka-topics"] == 1
    assert {position[s] for s in SERVICES} == {2}
    assert "prometheus" not in position  # a profile service: `docker compose up` leaves it out
    assert {loaded.kind(n) for n in ("kafka-security", "kafka-topics")} == {"kafka-job"}
    assert loaded.kind("kafka-ui") == "unsupported"


def test_container_addresses_map_to_loopback_ports(loaded):
    loaded.ports |= {"kafka": {9092: 41000, 9096: 41001}, "postgres": {5432: 41002}, "grants": {8000: 41003}}
    env = loaded.translate_env("grants")
    assert env["GRANTS_KAFKA__BOOTSTRAP_SERVERS"] == "127.0.0.1:41000"
    assert env["GRANTS_DATABASE_URL"].endswith("@127.0.0.1:41002/grants")
    assert loaded.health_command("grants")[-1].endswith("urlopen('http://127.0.0.1:41003/readyz', timeout=4)")
    assert "127.0.0.1:41001" in loaded.health_command("kafka")[2]
    script = loaded.host_path("kafka-security", "/opt/owes/init-security.sh")
    assert script == str(DEPLOY / "kafka" / "init-security.sh")


@pytest.fixture
def copy(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(COMPOSE_FILE, root / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, root / ".env.example")
    shutil.copytree(DEPLOY, root / "deploy")
    return root


def test_a_variable_missing_from_the_env_fails_as_compose_up_would(copy, tmp_path):
    example = copy / ".env.example"
    example.write_text(example.read_text().replace("GRANTS_DB_PASSWORD=", "GRANT_DB_PASSWORD="))
    with pytest.raises(RehearsalFailed, match="required variable GRANTS_DB_PASSWORD is missing a value"):
        Rehearsal(root=copy, workdir=tmp_path / "work", say=lambda _line: None).load()


def test_a_variable_no_setting_reads_fails_the_rehearsal(copy, tmp_path):
    compose = copy / "docker-compose.yml"
    text = compose.read_text()
    compose.write_text(text.replace("RECRUITMENT_KAFKA__SASL_USERNAME:", "RECRUITMENT_KAFKA__SASL_USER:"))
    with pytest.raises(RehearsalFailed) as failed:
        Rehearsal(root=copy, workdir=tmp_path / "work", say=lambda _line: None).load()
    assert failed.value.step == "environment of recruitment"
    assert "RECRUITMENT_KAFKA__SASL_USER is read by no setting" in failed.value.detail
    assert "RECRUITMENT_KAFKA__SASL_USERNAME (required) is not set" in failed.value.detail


def test_the_copy_is_the_real_thing(copy):
    assert yaml.safe_load((copy / "docker-compose.yml").read_text()) == yaml.safe_load(COMPOSE_FILE.read_text())
