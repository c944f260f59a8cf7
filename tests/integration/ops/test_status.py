"""`owes status` against the whole system run as processes: one table of what runs, and a stopped service shown down."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from helpers import eventually, participant_form, port_run
from owes_cli.embedded import free_port
from owes_cli.system import LocalSystem

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]


def status(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "owes_cli.main", "status", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ),
    )


def test_no_system_started_says_how_to_start_one(tmp_path):
    done = status(tmp_path / "nothing-here")

    assert done.returncode == 2
    assert "start one with scripts/up" in done.stderr


@pytest.fixture
async def system(tmp_path):
    system = LocalSystem(data_dir=tmp_path / "data", kafka_port=free_port(), base_port=port_run(4), namespace="st")
    await asyncio.to_thread(system.start)  # starting Apache Kafka runs an event loop of its own
    try:

        async def all_ready():
            async with httpx.AsyncClient(timeout=5) as client:
                for svc in system.services:
                    try:
                        response = await client.get(f"{svc.url}/readyz")
                    except httpx.TransportError as exc:
                        raise AssertionError(f"{svc.name}: {exc!r}") from None
                    assert response.status_code == 200, (svc.name, response.text)

        await eventually(all_ready, timeout=120, interval=0.5)
        yield system
    finally:
        await asyncio.to_thread(system.stop)


async def test_status_table_then_a_stopped_service(system):
    data = system.data_dir
    async with httpx.AsyncClient(timeout=30) as client:
        created = await client.post(
            f"{system.service('recruitment').url}/participants",
            json=participant_form(),
            headers=system.operator_headers("recruitment"),
        )
        assert created.status_code == 201, created.text
    # a record reporting cannot read: it goes to reporting's dead-letter topic, which status counts
    producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap_servers, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(
            "st.recruitment.events", b"not json", key=b"poison", headers=[("ce_type", b"pl.owes.nothing.Nothing")]
        )
    finally:
        await producer.stop()

    async def settled():
        done = status(data, "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)
        rows = {s["name"]: s for s in report["services"]}
        assert all(s["health"] == "ready" for s in rows.values()), rows
        assert report["last_events_unknown"] is None, report["last_events_unknown"]
        assert rows["recruitment"]["outbox_pending"] == 0, rows["recruitment"]
        assert rows["recruitment"]["last_events"] and rows["recruitment"]["last_events"][0].startswith(
            "jastrzebie-zdroj "
        ), rows["recruitment"]
        assert rows["reporting"]["dead_letters"] == 1, rows["reporting"]
        return report

    report = await eventually(settled, timeout=90, interval=1.0)
    assert report["running"] is True and report["pid"] == os.getpid()
    assert report["broker_reachable"] is True
    expected_log = {"tansu": "no (in memory)", "apache-kafka": "yes (on disk)"}[report["broker_kind"]]
    assert report["log_kept"] == expected_log
    rows = {s["name"]: s for s in report["services"]}
    assert rows["grants"]["database"] == f"SQLite {data / 'grants.db'}"
    assert all(isinstance(s["consumer_lag"], int) for s in rows.values())

    table = status(data)
    assert table.returncode == 0
    header = table.stdout.splitlines()[1].split()
    assert header[:4] == ["service", "url", "health", "database"]
    recruitment_line = next(line for line in table.stdout.splitlines() if line.startswith("recruitment "))
    assert system.service("recruitment").url in recruitment_line and "jastrzebie-zdroj" in recruitment_line

    await asyncio.to_thread(system.stop_service, "grants")
    stopped = status(data, "--json")
    assert stopped.returncode == 1
    rows = {s["name"]: s for s in json.loads(stopped.stdout)["services"]}
    assert rows["grants"]["health"] == "down (nothing listens)" and rows["grants"]["ready"] is False
    assert rows["grants"]["outbox_pending"] is None  # unknown, not zero, while it is down
    assert {n: s["health"] for n, s in rows.items() if n != "grants"} == {
        "recruitment": "ready",
        "advisory": "ready",
        "reporting": "ready",
    }
    grants_line = next(line for line in status(data).stdout.splitlines() if line.startswith("grants "))
    assert "down (nothing listens)" in grants_line
