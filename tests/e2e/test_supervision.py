"""`owes up` watches what it starts: a broker killed under writes comes back on its port with the history its
consumers need, a service killed under writes is restarted with backoff, Ctrl-C with the broker frozen stops
everything promptly, and a second `owes up` on a held data folder refuses and names the holder. In each, every
accepted write is counted by reporting exactly once once the system is up again (the verdict of test_faults)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from e2e.test_faults import Mesh, WriteStream, settle_and_count
from helpers import eventually, header, port_run, read_topic
from owes_cli import kafka
from owes_cli.system import STOP_SECONDS, LocalSystem, ServiceProcess
from owes_contracts import topic_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
needs_java = pytest.mark.skipif(not kafka.java_available(), reason="Apache Kafka needs a Java runtime")


class Watching:
    """Runs LocalSystem.supervise() every half second in a thread, as `owes up` does, keeping what it said."""

    def __init__(self, system: LocalSystem) -> None:
        self.system = system
        self.said: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.said += self.system.supervise()

    def __enter__(self) -> Watching:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    async def said_something(self, pattern: str, *, timeout: float = 120) -> str:
        async def said():
            found = [line for line in self.said if re.search(pattern, line)]
            assert found, f"supervisor has not said /{pattern}/; it said {self.said}"
            return found[0]

        return await eventually(said, timeout=timeout, interval=0.2)


async def published_all(mesh: Mesh) -> set[str]:
    async def none_pending():
        assert mesh.unpublished() == 0

    await eventually(none_pending, timeout=60)
    return set(mesh.committed())


async def caught_up(mesh: Mesh, timeout: float = 240) -> None:
    """Until reporting applied every committed event: after a broker restart its consumer may first wait out
    its group session (tens of seconds on a loaded machine) before it fetches again."""

    async def all_applied():
        assert mesh.unpublished() == 0
        assert len(set(mesh.applied())) == len(mesh.committed())

    await eventually(all_applied, timeout=timeout, interval=1)


class TestBrokerDies:
    @pytest.mark.parametrize("broker", ["tansu", pytest.param("kafka", marks=needs_java)])
    async def test_sigkill_under_writes_restarts_it_with_the_history_and_counts_every_write_once(
        self, tmp_path, namespace, broker
    ):
        mesh = Mesh(tmp_path / "mesh", namespace, {}, broker=broker)
        try:
            await mesh.start()
            with Watching(mesh.system) as watching:
                async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
                    await writes.accepted_at_least(30)
                    before = await published_all(mesh)
                    mesh.broker.kill()
                    await watching.said_something("broker back", timeout=180)
                    await asyncio.gather(mesh.ready("recruitment"), mesh.ready("reporting"))
                    await writes.more_accepted(30, timeout=60)
                await caught_up(mesh)
                verdict = await settle_and_count(mesh, writes.tally)
            # what was published before the kill is on the broker again: kept on disk (Apache Kafka) or
            # published again from the outbox (Tansu)
            on_topic = {
                header(r, "ce_id")
                for r in await read_topic(mesh.system.bootstrap_servers, topic_for("recruitment", namespace), idle=0.5)
            }
            assert before <= on_topic
            assert verdict.applied == verdict.committed
            if broker == "tansu":
                assert any("restarting the services" in line for line in watching.said)
        finally:
            await asyncio.to_thread(mesh.stop)


@pytest.fixture
async def on_the_suite_broker(tmp_path, namespace, kafka_bootstrap):
    """Recruitment and reporting as processes on the suite's broker, on SQLite."""
    services = Mesh(tmp_path / "mesh", namespace, {}, bootstrap=kafka_bootstrap)
    try:
        yield await services.start()
    finally:
        await asyncio.to_thread(services.stop)


class TestServiceDies:
    async def test_sigkill_under_writes_is_restarted_with_backoff_and_said(self, on_the_suite_broker):
        mesh = on_the_suite_broker
        with Watching(mesh.system) as watching:
            async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
                await writes.accepted_at_least(30)
                code, _ = await mesh.signal("recruitment", signal.SIGKILL)
                assert code == -signal.SIGKILL
                said = await watching.said_something(r"recruitment exited \(code -9\); restarting it in 1 s")
                await watching.said_something(r"recruitment restarted \(pid \d+\)")
                await mesh.ready("recruitment")
                await writes.more_accepted(30, timeout=60)
            verdict = await settle_and_count(mesh, writes.tally)
        assert verdict.refused > 0, said  # writes were refused while it was down: it did die


class Up:
    """`owes up --broker tansu` as a process, as an operator runs it; its output collected as it comes."""

    def __init__(self, data_dir: Path, kafka_port: int, base_port: int) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "owes_cli.main",
                "up",
                "--data-dir",
                str(data_dir),
                "--broker",
                "tansu",
                "--kafka-port",
                str(kafka_port),
                "--base-port",
                str(base_port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def started(self) -> None:
        async def ready():
            assert self.process.poll() is None, f"owes up exited: {self.output}"
            assert "Press Ctrl-C to stop." in self.lines, self.output

        await eventually(ready, timeout=180, interval=0.3)

    def broker_pid(self) -> int:
        return int(re.search(r"embedded Tansu \(pid (\d+)\)", self.output).group(1))

    def service_pids(self) -> list[int]:
        """The services' pids: the uvicorn processes whose parent is this `owes up` (from /proc)."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid and "uvicorn" in (
                    entry / "cmdline"
                ).read_bytes().decode(errors="replace"):
                    pids.append(int(entry.name))
        assert len(pids) == 4, pids
        return pids

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _mesh_of(up_dir: Path, kafka_port: int, base_port: int) -> Mesh:
    """Test_faults' counting view of an `owes up` run: its databases, URLs and keys."""
    mesh = Mesh(up_dir, "owes", {}, bootstrap=f"127.0.0.1:{kafka_port}")
    mesh.system.services = [
        ServiceProcess(name, base_port + i, None)  # type: ignore[arg-type]
        for i, name in enumerate(("recruitment", "advisory", "grants", "reporting"))
    ]
    return mesh


class TestOwesUp:
    async def test_ctrl_c_with_the_broker_frozen_stops_promptly_a_second_up_refuses_and_nothing_is_lost(self, tmp_path):
        """Also the Tansu smoke test of `owes up`: after a full stop and start, the history is on the topics."""
        data_dir = tmp_path / "owes"
        kafka_port, base_port = port_run(), port_run(4)
        first = Up(data_dir, kafka_port, base_port)
        third = None
        try:
            await first.started()
            assert "log in memory only" in first.output
            mesh = _mesh_of(data_dir, kafka_port, base_port)
            async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
                await writes.accepted_at_least(40)
            tally = writes.tally
            before = await published_all(mesh)
            await settle_and_count(mesh, tally)
            # the broker freezes (as in a network partition) and so do the services (each then holds the first
            # `owes up` in its shutdown until it is killed, 6 s on); then the operator presses Ctrl-C
            os.kill(first.broker_pid(), signal.SIGSTOP)
            for pid in first.service_pids():
                os.kill(pid, signal.SIGSTOP)
            # ... and at once runs `owes up` again: imported ahead (a loaded machine takes seconds to import),
            # it calls the command's main() the moment it is told to
            second = subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sys, owes_cli.main as m; print('imported', flush=True); "
                    "sys.stdin.readline(); sys.exit(m.main(sys.argv[1:]))",
                    "up",
                    "--data-dir",
                    str(data_dir),
                    "--broker",
                    "tansu",
                    "--kafka-port",
                    str(kafka_port),
                    "--base-port",
                    str(base_port),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert (await asyncio.to_thread(second.stdout.readline)).strip() == "imported"
            exited_at: list[float] = []
            waiter = threading.Thread(target=lambda: (first.process.wait(120), exited_at.append(time.monotonic())))
            pressed = time.monotonic()
            first.process.send_signal(signal.SIGINT)
            waiter.start()
            out, err = await asyncio.to_thread(second.communicate, "go\n", 300)
            await asyncio.to_thread(waiter.join, 120)
            took = exited_at[0] - pressed
            print(
                f"\nCtrl-C with the broker and services frozen: stopped in {took:.1f}s; "
                f"second `owes up` said: {err.strip()}"
            )
            assert second.returncode == 1, out + err
            assert f"pid {first.process.pid}" in err
            assert "Stopped." in first.output
            # in time, with a margin for a loaded machine: the deadlines inside are STOP_SECONDS
            assert took < STOP_SECONDS + 10, f"stopping took {took:.1f}s"
            # up again: every write accepted before is counted once, and the history is on the new broker
            third = Up(data_dir, kafka_port, base_port)
            await third.started()
            mesh = _mesh_of(data_dir, kafka_port, base_port)

            async def republished():
                on_topic = {
                    header(r, "ce_id")
                    for r in await read_topic(mesh.system.bootstrap_servers, topic_for("recruitment", "owes"), idle=0.5)
                }
                assert before <= on_topic

            await eventually(republished, timeout=90, interval=1)
            async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
                await writes.accepted_at_least(10)
            tally.accepted += writes.tally.accepted
            tally.refused += writes.tally.refused
            tally.in_doubt += writes.tally.in_doubt
            verdict = await settle_and_count(mesh, tally)
            assert verdict.people_supported == verdict.committed
        finally:
            for up in (first, third):
                if up:
                    await asyncio.to_thread(up.stop)
