"""Faults on a three-node Apache Kafka cluster, counted: the broker partners deploy, run as three combined
broker+controller KRaft nodes on loopback (cli/owes_cli/kafka.py `cluster()`), every topic with replication factor 3
and min.insync.replicas=2, the services' producers idempotent with acks=all. Recruitment and reporting run as real
processes (LocalSystem with an external bootstrap), writers keep registering participants over HTTP, a node dies
by SIGKILL, and afterwards every accepted write is counted by reporting exactly once (the verdict of
tests/e2e/test_faults.py: nothing lost, nothing counted twice, no dead letters).

1. Two replicas of reporting share the partitions in one consumer group; one is killed under load and the
   other takes its partitions over.
2. The leader of every partition recruitment writes is killed, then restarted; then the active KRaft controller
   (found with kafka-metadata-quorum.sh) is killed, and the last two nodes carry on.

One cluster serves both tests, in this order (the second leaves it with two nodes); each test has its own topics
and databases. The cluster takes ~30 s to start on an idle 2-core machine, several times that under load.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError
from aiokafka.protocol.group import MemberAssignment

import helpers
from e2e.test_faults import Mesh, WriteStream, settle_and_count
from helpers import eventually
from owes_cli import kafka
from owes_cli.deadletters import read_dead_letters
from owes_cli.embedded import free_port
from owes_cli.system import LocalSystem
from owes_contracts import dead_letter_topic_for, topic_for

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.timeout(480),  # ~2 min each on an idle 2-core machine; JVM restarts slow down a lot under load
    pytest.mark.skipif(helpers.test_broker() != "kafka", reason="no Java here: the suite runs on the embedded Tansu"),
]

PARTITIONS = 3
SERVICES = ("recruitment", "reporting")


@dataclass
class KraftCluster:
    """Three KRaft nodes, each broker and controller; the test kills and restarts them."""

    nodes: list[kafka.KafkaNode]

    def node(self, node_id: int) -> kafka.KafkaNode:
        return next(n for n in self.nodes if n.node_id == node_id)

    @property
    def bootstrap(self) -> str:
        """Every node, as a client configured for the cluster lists them (it carries on when one is down)."""
        return ",".join(n.bootstrap_servers for n in self.nodes)

    @property
    def live_bootstrap(self) -> str:
        return ",".join(n.bootstrap_servers for n in self.nodes if n.alive())

    async def admin(self) -> AIOKafkaAdminClient:
        client = AIOKafkaAdminClient(bootstrap_servers=self.live_bootstrap, request_timeout_ms=10_000)
        await client.start()
        return client

    async def partitions(self, topic: str) -> list[dict]:
        """The topic's partitions as the cluster's metadata describes them: leader, replicas, in-sync replicas."""
        for attempt in range(20):
            try:
                admin = await self.admin()
                try:
                    (described,) = await admin.describe_topics([topic])
                finally:
                    await admin.close()
                break
            except KafkaError:  # asked a node that just died and is still listed in the metadata
                if attempt == 19:
                    raise
                await asyncio.sleep(0.5)
        assert described["error_code"] == 0, described
        return sorted(described["partitions"], key=lambda p: p["partition"])

    async def leaders(self, topic: str) -> set[int]:
        return {p["leader"] for p in await self.partitions(topic)}

    async def create_led_by(self, topic: str, leader: int) -> None:
        """Create `topic` with `leader` first in every partition's replica list: it leads them all (preferred
        leader), so one SIGKILL takes down the leader of every partition being written."""
        others = [n.node_id for n in self.nodes if n.node_id != leader]
        assignment = {p: [leader, *(others if p % 2 == 0 else others[::-1])] for p in range(PARTITIONS)}
        admin = await self.admin()
        try:
            await admin.create_topics(
                [NewTopic(topic, -1, -1, replica_assignments=assignment, topic_configs={"min.insync.replicas": "2"})]
            )
        finally:
            await admin.close()

    def active_controller(self) -> int:
        """The KRaft quorum's leader (the active controller), as kafka-metadata-quorum.sh describes it."""
        done = subprocess.run(
            [
                str(kafka.bin_dir() / "kafka-metadata-quorum.sh"),
                "--bootstrap-server",
                self.live_bootstrap,
                "describe",
                "--status",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        match = re.search(r"^LeaderId:\s+(\d+)", done.stdout, re.M)
        assert match, f"kafka-metadata-quorum.sh: {done.stdout}{done.stderr}"
        return int(match.group(1))

    async def group_assignment(self, group: str, topic: str) -> dict[str, list[int]]:
        """Member id -> the partitions of `topic` it holds in a consumer group (empty while rebalancing)."""
        admin = await self.admin()
        try:
            (response,) = await admin.describe_consumer_groups([group])
        finally:
            await admin.close()
        (described,) = response.groups
        members = described[-2] if isinstance(described[-2], list) else described[-1]
        held: dict[str, list[int]] = {}
        for member in members:
            member_id, raw = member[0], member[-1]
            if not raw:
                continue
            for name, partitions in MemberAssignment.decode(raw).assignment:
                if name == topic:
                    held[member_id] = sorted(partitions)
        return held


@pytest.fixture(scope="module")
def kraft_cluster(tmp_path_factory) -> Iterator[KraftCluster]:
    nodes = kafka.cluster(tmp_path_factory.mktemp("kraft"), 3)
    try:
        for node in nodes:  # all at once: a node waits for a quorum of controllers before it answers
            node.start(wait=False)
        for node in nodes:
            node.wait_ready(timeout=180)
        yield KraftCluster(nodes)
    finally:
        for node in nodes:
            if node.alive():
                node.process.terminate()
        for node in nodes:
            node.stop(timeout=30)


class ClusterMesh(Mesh):
    """Recruitment and reporting as processes on the cluster, every topic they create replicated three times."""

    def __init__(self, data_dir: Path, namespace: str, database_urls: dict[str, str], cluster: KraftCluster) -> None:
        super().__init__(data_dir, namespace, database_urls)
        self.cluster = cluster
        self.system.external_bootstrap = cluster.bootstrap  # also turns idempotent producers on
        for name in SERVICES:
            prefix = name.upper()
            self.system.extra_env |= {
                f"{prefix}_KAFKA__REPLICATION_FACTOR": "3",
                f"{prefix}_KAFKA__TOPIC_PARTITIONS": str(PARTITIONS),
            }
        self.replicas: list[LocalSystem] = []

    async def start(self) -> ClusterMesh:
        self.system.data_dir.mkdir(parents=True, exist_ok=True)
        for name in SERVICES:
            self.system.start_service(name, free_port())
        await asyncio.gather(*(self.ready(name) for name in SERVICES))
        return self

    async def start_reporting_replica(self) -> LocalSystem:
        """Another reporting process on the same database and consumer group (its own port and log)."""
        replica = LocalSystem(
            data_dir=self.system.data_dir / f"reporting-{len(self.replicas) + 2}",
            namespace=self.system.namespace,
            extra_env=self.system.extra_env,
            external_bootstrap=self.cluster.bootstrap,
            api_keys=self.system.load_api_keys(),
        )
        replica.data_dir.mkdir(parents=True)
        replica.start_service("reporting", free_port())
        self.replicas.append(replica)
        return replica

    async def dead_letters(self) -> list:
        async def read() -> list:
            # a node just restarted may answer metadata without the topic's partitions yet: read_dead_letters then
            # fails an assertion inside aiokafka, and asking again (another node, or later) answers
            return await read_dead_letters(
                {"bootstrap_servers": self.cluster.live_bootstrap},
                dead_letter_topic_for("reporting", self.system.namespace),
            )

        return await eventually(read, timeout=30, interval=0.5)

    def stop(self) -> None:
        for replica in self.replicas:
            replica.stop()
        super().stop()


class Timeline:
    """When each step of a scenario ended, from its start: printed with the verdict (and shown when a test fails)."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.steps: list[tuple[str, float]] = []

    def __call__(self, step: str) -> float:
        at = time.monotonic() - self.started
        self.steps.append((step, at))
        return at

    def __str__(self) -> str:
        return "; ".join(f"{at:.1f}s {step}" for step, at in self.steps)


@pytest.mark.parametrize("db_backend", ["postgres"])
class TestReportingReplicas:
    async def test_two_replicas_share_the_partitions_and_one_takes_over_when_the_other_is_killed(
        self, kraft_cluster, tmp_path, namespace, database_url
    ):
        cluster = kraft_cluster
        topic = topic_for("recruitment", namespace)
        # both replicas on one PostgreSQL database, as replicas of a service share its database
        mesh = ClusterMesh(tmp_path / "mesh", namespace, {"reporting": database_url("reporting")}, cluster)
        group = f"{namespace}.reporting"
        at = Timeline()
        try:
            await mesh.start()
            replica = await mesh.start_reporting_replica()
            at("recruitment and two reporting replicas started")

            async def sharing():
                held = await cluster.group_assignment(group, topic)
                assert len(held) == 2 and all(held.values()), held
                assert sorted(p for ps in held.values() for p in ps) == list(range(PARTITIONS)), held
                return held

            async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
                shared = await eventually(sharing, timeout=90, interval=0.5)
                at(f"the replicas share {topic}'s partitions: {sorted(shared.values())}")
                await writes.accepted_at_least(60)
                applied_before = len(mesh.applied())
                await writes.more_accepted(30)
                assert len(mesh.applied()) > applied_before, "reporting is applying events as the kill lands"

                victim = replica.service("reporting").process
                victim.kill()
                await asyncio.to_thread(victim.wait)
                killed = at("SIGKILL one reporting replica")

                async def taken_over():
                    held = await cluster.group_assignment(group, topic)
                    assert len(held) == 1 and list(held.values()) == [list(range(PARTITIONS))], held

                await eventually(taken_over, timeout=60, interval=0.5)
                takeover = at("the survivor holds every partition") - killed
                await writes.more_accepted(40)

            verdict = await settle_and_count(mesh, writes.tally)
            at("every accepted write counted once")
            print(
                f"\nsurvivor held all {PARTITIONS} partitions {takeover:.1f}s after the kill; redeliveries absorbed "
                f"by its inbox {verdict.duplicates_absorbed}\n{at}"
            )
            assert verdict.refused == 0
        finally:
            await asyncio.to_thread(mesh.stop)


class TestBrokerFaultsOnTheCluster:
    async def test_partition_leader_and_active_controller_killed_every_accepted_write_counted_once(
        self, kraft_cluster, tmp_path, namespace
    ):
        cluster = kraft_cluster
        topic = topic_for("recruitment", namespace)
        controller = await asyncio.to_thread(cluster.active_controller)
        # the leader of recruitment's partitions is not the active controller: two distinct faults
        leader = next(n.node_id for n in cluster.nodes if n.node_id != controller)
        await cluster.create_led_by(topic, leader)
        mesh = ClusterMesh(tmp_path / "mesh", namespace, {}, cluster)
        at = Timeline()
        try:
            await mesh.start()
            at("services ready")
            # the topics recruitment and reporting made themselves follow their replication settings
            for made in (dead_letter_topic_for("reporting", namespace), topic):
                assert {len(p["replicas"]) for p in await cluster.partitions(made)} == {3}, made
            assert await cluster.leaders(topic) == {leader}

            async def relay_caught_up():
                assert mesh.unpublished() == 0

            async def all_in_sync():
                assert {len(p["isr"]) for p in await cluster.partitions(topic)} == {3}

            async with WriteStream(mesh.url("recruitment"), mesh.headers("recruitment")) as writes:
                await writes.accepted_at_least(30)

                # --- 1. SIGKILL the leader of every partition being written --------------------------------
                cluster.node(leader).kill()
                killed = at(f"SIGKILL node {leader}, leader of all {PARTITIONS} partitions of {topic}")

                async def new_leaders():
                    assert leader not in await cluster.leaders(topic)

                await eventually(new_leaders, timeout=60, interval=0.2)
                failover = at("new leaders elected") - killed
                await writes.more_accepted(40)
                await eventually(relay_caught_up, timeout=60, interval=0.2)
                drained = at("recruitment's outbox drained to the new leaders") - killed
                assert {len(p["isr"]) for p in await cluster.partitions(topic)} == {2}, (
                    "two in-sync replicas left, min.insync.replicas=2 still met"
                )
                await asyncio.to_thread(cluster.node(leader).start, timeout=180)
                at(f"node {leader} restarted")
                await eventually(all_in_sync, timeout=90, interval=0.5)
                at(f"node {leader} back in sync")
                await writes.more_accepted(30)

                # --- 2. SIGKILL the active KRaft controller ------------------------------------------------
                asked = time.monotonic()
                controller = await asyncio.to_thread(cluster.active_controller)
                tool = time.monotonic() - asked  # how long one kafka-metadata-quorum.sh answer takes here
                cluster.node(controller).kill()
                killed = at(f"SIGKILL node {controller}, the active controller")

                async def new_controller():
                    assert await asyncio.to_thread(cluster.active_controller) != controller

                await eventually(new_controller, timeout=60, interval=0.2)
                election = at("new active controller") - killed
                await writes.more_accepted(40)
                await eventually(relay_caught_up, timeout=60, interval=0.2)
                at("outbox drained")
                # two nodes of three left: a controller quorum, and min.insync.replicas=2 still met
                await writes.more_accepted(30)

            verdict = await settle_and_count(mesh, writes.tally)
            at("every accepted write counted once")
            print(
                f"\nleader killed: new leaders after {failover:.1f}s, outbox drained {drained:.1f}s after the kill; "
                f"controller killed: new controller seen after {election:.1f}s (one look takes {tool:.1f}s)\n{at}"
            )
            assert verdict.accepted >= 170
        finally:
            await asyncio.to_thread(mesh.stop)
