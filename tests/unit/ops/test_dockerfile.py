"""deploy/Dockerfile: hadolint finds nothing, the image runs as a non-root user from a pinned base, installs the
tested versions, checks its own health, and starts the service the build asked for. The deploy scripts pass
shellcheck. (There is no Docker engine here: these read the recipe; the image itself is not built.)"""

from __future__ import annotations

import http.server
import importlib
import json
import shlex
import subprocess
import sys
import threading
from importlib import metadata
from pathlib import Path

import pytest
from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from unit.ops.ops_checks import DEPLOY, DOCKERFILE, ROOT, SERVICES, load_compose

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(str(DOCKERFILE))


def instructions(dockerfile: DockerfileParser, name: str) -> list[str]:
    return [i["value"] for i in dockerfile.structure if i["instruction"] == name]


def exec_form(value: str) -> list[str]:
    return json.loads(value[value.index("[") :])


def runtime_closure(roots: list[str]) -> set[str]:
    """Every distribution the roots need, as installed here (extras followed, environment markers applied)."""
    seen: set[tuple[str, frozenset]] = set()
    todo = [(root, frozenset()) for root in roots]
    while todo:
        name, extras = todo.pop()
        if (canonicalize_name(name), extras) in seen:
            continue
        seen.add((canonicalize_name(name), extras))
        for line in metadata.distribution(name).requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or any(
                requirement.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            ):
                todo.append((requirement.name, frozenset(requirement.extras)))
    return {name for name, _ in seen}


class TestLinters:
    def test_hadolint_finds_nothing(self):
        result = subprocess.run(
            [str(BIN / "hadolint"), "--no-color", "--format", "json", str(DOCKERFILE)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert json.loads(result.stdout or "[]") == [], result.stdout

    def test_shellcheck_finds_nothing_in_the_deploy_scripts(self):
        scripts = sorted(DEPLOY.rglob("*.sh"))
        assert len(scripts) >= 5
        result = subprocess.run(
            [str(BIN / "shellcheck"), "--external-sources", "--source-path=SCRIPTDIR", *map(str, scripts)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert result.returncode == 0, result.stdout


class TestImage:
    def test_base_image_is_a_pinned_python_3_11(self, dockerfile):
        name, _, tag = dockerfile.baseimage.partition(":")
        assert name == "python" and tag.startswith("3.11-") and tag != "latest"

    def test_runs_as_a_numeric_non_root_user(self, dockerfile):
        kinds = [i["instruction"] for i in dockerfile.structure]
        users = instructions(dockerfile, "USER")
        uid, _, gid = users[-1].partition(":")
        assert uid.isdigit() and int(uid) != 0 and gid.isdigit() and int(gid) != 0
        assert max(i for i, kind in enumerate(kinds) if kind == "USER") < kinds.index("CMD")

    def test_copies_local_files_only(self, dockerfile):
        assert instructions(dockerfile, "ADD") == []

    def test_copies_only_what_exists_and_the_ignore_file_lets_through(self, dockerfile):
        allowed = {
            line[1:] for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines() if line.startswith("!")
        }
        for value in instructions(dockerfile, "COPY"):
            *sources, _destination = shlex.split(value)
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source.rstrip("/") in allowed, f"{source} is excluded from the build context"

    def test_installs_exactly_the_tested_versions(self, dockerfile):
        (install,) = [v for v in instructions(dockerfile, "RUN") if "pip install" in v]
        assert "-c constraints.txt -r /tmp/requirements-image.txt" in install
        # the image drops the cli's dependencies (the embedded broker) by filtering this exact line
        assert "-e cli" in (ROOT / "requirements.txt").read_text().splitlines()
        assert "grep -v '^-e cli$' requirements.txt" in install

    def test_every_package_the_services_need_is_pinned_in_constraints(self):
        pinned = {
            canonicalize_name(line.split("==")[0])
            for line in (ROOT / "constraints.txt").read_text().splitlines()
            if "==" in line and not line.startswith("#")
        }
        lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
        roots = [f"owes-{Path(line[3:]).name}" for line in lines if line.startswith("-e ") and line != "-e cli"]
        roots += [Requirement(line).name for line in lines if line and not line.startswith(("#", "-"))]
        needed = runtime_closure(roots)
        assert {"fastapi", "prometheus-client", "opentelemetry-sdk"} <= needed
        assert sorted(name for name in needed - pinned if not name.startswith("owes-")) == []

    def test_starts_the_service_the_build_names_with_uvicorn_factory(self, dockerfile):
        assert dockerfile.args["SERVICE"] in SERVICES
        assert dockerfile.envs["OWES_SERVICE"] == dockerfile.args["SERVICE"]
        command = exec_form(instructions(dockerfile, "CMD")[0])
        assert command[:2] == ["sh", "-c"] and command[2].startswith("exec uvicorn ")
        assert '"${OWES_SERVICE}.main:create_app" --factory' in command[2]
        for service in SERVICES:
            assert callable(importlib.import_module(f"{service}.main").create_app)

    def test_listens_where_compose_and_kubernetes_expect(self, dockerfile):
        assert instructions(dockerfile, "EXPOSE") == ["8000"]
        assert dockerfile.envs["PORT"] == "8000"
        for service in SERVICES:
            assert load_compose()["services"][service]["ports"][0].endswith(":8000")


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path in ("/healthz", "/readyz") else 404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


class TestHealthChecks:
    def test_image_healthcheck_passes_when_healthz_answers_and_fails_when_nothing_listens(
        self, dockerfile, health_server
    ):
        value = instructions(dockerfile, "HEALTHCHECK")[0]
        command = exec_form(value.split("CMD", 1)[1].strip())
        assert command[0] == "python"
        ok = subprocess.run([sys.executable, *command[1:]], env={"PORT": str(health_server)}, timeout=30)
        assert ok.returncode == 0
        down = subprocess.run([sys.executable, *command[1:]], env={"PORT": "9"}, capture_output=True, timeout=30)
        assert down.returncode != 0

    def test_compose_healthcheck_asks_readyz(self, health_server):
        test = load_compose()["services"]["reporting"]["healthcheck"]["test"]
        assert test[0] == "CMD" and test[1] == "python" and "/readyz" in test[3]
        script = test[3].replace("127.0.0.1:8000", f"127.0.0.1:{health_server}")
        assert subprocess.run([sys.executable, "-c", script], timeout=30).returncode == 0
