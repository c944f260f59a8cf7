"""Files that hold personal data or keys are readable by their owner only (issue 13), whatever the umask of the
shell that started them: a service's SQLite database with its WAL, and everything `owes up` and the processes it
starts create in the data folder (logs, Kafka's segments, keys)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import participant_form, running, settings_for
from recruitment.main import create_app
from recruitment.settings import RecruitmentSettings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask():
    previous = os.umask(0o022)  # a usual shell's: new files readable by everyone
    yield
    os.umask(previous)


async def test_a_service_creates_its_sqlite_database_and_wal_owner_only(
    tmp_path, kafka_bootstrap, namespace, loose_umask
):
    db = tmp_path / "recruitment.db"
    settings = settings_for(
        RecruitmentSettings,
        database_url=f"sqlite+aiosqlite:///{db}",
        kafka_bootstrap=kafka_bootstrap,
        namespace=namespace,
    )
    async with running(create_app(settings)) as rec:
        assert (await rec.post("/participants", json=participant_form())).status_code == 201
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        assert all(p.exists() for p in files)
        assert {p.name: oct(mode(p)) for p in files} == {p.name: "0o600" for p in files}


def test_owes_up_makes_every_file_in_its_data_folder_owner_only(tmp_path):
    data = tmp_path / "data"
    script = f"""
import os, subprocess
from pathlib import Path
from owes_cli.system import LocalSystem
os.umask(0o022)
system = LocalSystem(data_dir=Path({str(data)!r}))
system.lock_data_folder()
open(Path({str(data)!r}) / "recruitment.log", "ab").close()   # as start_service opens a service's log
subprocess.run(["touch", str(Path({str(data)!r}) / "made-by-a-child")], check=True)  # the broker, a service
system.load_api_keys()
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    made = {p.name: oct(mode(p)) for p in data.iterdir() if p.is_file()}
    assert {"recruitment.log", "made-by-a-child", "api-keys.json"} <= made.keys()
    assert set(made.values()) == {"0o600"}, made
    assert oct(mode(data)) == "0o700"
