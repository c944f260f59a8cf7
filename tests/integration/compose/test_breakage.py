"""The rehearsal fails when compose would: a copy of the files with one thing broken (a variable name, an ACL
line, a database grant) makes `owes compose rehearse` fail at the step that shows it, and stop there."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from owes_cli import kafka
from owes_cli.compose import Rehearsal, RehearsalFailed

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.e2e


@pytest.fixture
def copy(tmp_path) -> Path:
    """docker-compose.yml, .env.example and deploy/ copied: what the rehearsal reads, and nothing else."""
    root = tmp_path / "root"
    root.mkdir()
    for name in ("docker-compose.yml", ".env.example"):
        shutil.copy(ROOT / name, root / name)
    shutil.copytree(ROOT / "deploy", root / "deploy")
    return root


def break_file(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is no longer in {path}: update this test"
    path.write_text(text.replace(old, new))


def rehearse(root: Path, workdir: Path) -> RehearsalFailed:
    lines: list[str] = []
    with pytest.raises(RehearsalFailed) as failed, Rehearsal(root=root, workdir=workdir, say=lines.append) as run:
        run.up()
        run.journey()
    return failed.value


def test_a_renamed_variable_fails_the_command_before_anything_starts(copy, tmp_path):
    break_file(copy / ".env.example", "\nADVISORY_KAFKA_PASSWORD=", "\nADVISORY_KAFKA_PASSWORD_=")
    owes = Path(sys.executable).with_name("owes")
    done = subprocess.run(
        [str(owes), "compose", "rehearse", "--root", str(copy), "--workdir", str(tmp_path / "w")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED  interpolation: required variable ADVISORY_KAFKA_PASSWORD is missing a value" in done.stderr
    assert not list((tmp_path / "w").glob("*.log"))  # nothing was started


def test_a_database_without_its_grant_fails_at_the_service_database(copy, tmp_path):
    # the database is created but no longer owned by the service's role; PUBLIC's CONNECT is revoked: locked out
    break_file(
        copy / "deploy" / "postgres" / "init-databases.sh",
        "SELECT format('CREATE DATABASE %I OWNER %I', :'service', :'service') \\gexec",
        "SELECT format('CREATE DATABASE %I', :'service') \\gexec",
    )
    failed = rehearse(copy, tmp_path / "work")
    assert failed.step == "recruitment database", str(failed)
    assert "permission denied for database" in failed.detail


@pytest.mark.skipif(not kafka.java_available(), reason="no Java runtime: Apache Kafka cannot run here")
def test_a_missing_acl_line_fails_at_the_service_that_needs_it(copy, tmp_path):
    # reporting may no longer read grants' events: it cannot start its consumer
    principals = copy / "deploy" / "kafka" / "principals.conf"
    lines = principals.read_text().splitlines()
    (line,) = [n for n, text in enumerate(lines) if text.startswith("reporting ")]
    lines[line] = lines[line].replace("recruitment,advisory,grants", "recruitment,advisory")
    principals.write_text("\n".join(lines) + "\n")
    failed = rehearse(copy, tmp_path / "work")
    assert failed.step == "reporting", str(failed)  # another step failing first says why (its log's tail)
    assert "exited" in failed.detail and "TopicAuthorization" in failed.detail
