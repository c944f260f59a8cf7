"""The whole system on one machine: a broker and the four services as processes, watched while they run.

The broker: Apache Kafka (one KRaft node, its log on disk under the data folder, so events survive a restart)
where Java is present, else the embedded Tansu (its log in memory only: the services keep every outbox row and
publish them again to an empty log). `supervise()` restarts what dies; a lock file keeps a second `owes up` off a
data folder that one holds, until the last process it started has exited.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from owes_service.auth import credential_line, generate_api_key

from .embedded import EmbeddedBroker, wait_for_port

SERVICES = ("recruitment", "advisory", "grants", "reporting")
# Who holds a key in the embedded system: one principal per role (docs/security.md).
PRINCIPALS = {
    "partner:recruitment": "jastrzebie-zdroj",
    "partner:advisory": "zory",
    "partner:grants": "rybnik",
    "lead": "lead",
    "integrator": "integrator",
}
OPERATORS = {
    "recruitment": "partner:recruitment",
    "advisory": "partner:advisory",
    "grants": "partner:grants",
    "reporting": "lead",
}


BROKER_CHOICES = ("auto", "kafka", "tansu")
STOP_SECONDS = 10.0  # Ctrl-C to all stopped, broker away or not
SERVICE_DRAIN_SECONDS = 6.0  # of those, what services get to drain before they are killed
RESTART_WINDOW = 300.0  # a service that dies this many times within this many seconds stops the system
MAX_RESTARTS = 5


def choose_broker(choice: str) -> str:
    """auto: Apache Kafka where Java (and the fetched Kafka, or Maven to fetch it) is present, else Tansu."""
    if choice != "auto":
        return choice
    from . import kafka

    return "kafka" if kafka.java_available() and (kafka.is_fetched() or shutil.which("mvn")) else "tansu"


class SystemDown(RuntimeError):
    """Something the system needs died and cannot be brought back; the message says what and why."""


class DataFolderHeld(RuntimeError):
    """Another `owes up` (running, or still stopping) holds the data folder."""


class DataFolderLock:
    """<data>/owes.lock, flock-ed by `owes up` and inherited by every process it starts.

    The lock belongs to the open file, which each child holds too, so it is released only when the last of
    them has exited: a second `owes up` cannot start on the folder while the first is still stopping (two relays
    on one outbox, two brokers on one log). The file names the holder's pid.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "owes.lock"
        self.fd: int | None = None

    def acquire(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise DataFolderHeld(
                f"{self.path.parent} is in use by `owes up` (pid {holder}), running or still stopping; it is "
                f"free once that process and everything it started have exited"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


class LocalKafka:
    """Apache Kafka for `owes up`: one KRaft node with its log in <data>/kafka, the same cluster across restarts."""

    kind = "apache-kafka"
    keeps_log = True

    def __init__(self, port: int, data_dir: Path, *, pass_fds: tuple[int, ...] = ()) -> None:
        self.port = port
        self.data_dir = data_dir
        self.pass_fds = pass_fds
        self.node = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.node.process.pid if self.node and self.node.process else None

    @property
    def cluster_id(self) -> str:
        """Kept beside the log: a restart formats nothing and the relays see the broker they published to."""
        from .kafka import random_cluster_id

        path = self.data_dir / "cluster-id"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(random_cluster_id() + "\n")
        return path.read_text().strip()

    def start(self) -> LocalKafka:
        from .embedded import free_port
        from .kafka import KafkaNode

        self.node = KafkaNode(
            self.data_dir,
            port=self.port,
            controller_port=free_port(),
            cluster_id=self.cluster_id,
            partitions=3,
            pass_fds=self.pass_fds,
        )
        self.node.start(timeout=120)
        return self

    def alive(self) -> bool:
        return self.node is not None and self.node.alive()

    @property
    def returncode(self) -> int | None:
        return self.node.process.returncode if self.node and self.node.process else None

    def kill(self) -> None:
        if self.node:
            self.node.kill()

    def pause(self) -> None:
        assert self.node
        self.node.pause()

    def resume(self) -> None:
        assert self.node
        self.node.resume()

    def stop(self, timeout: float = 30.0) -> None:
        if self.node:
            self.node.stop(timeout=timeout)


def wait_for_group_coordinators(bootstrap: str, groups: list[str], timeout: float = 60.0) -> None:
    """Have a fresh Kafka make its offsets topic and load each group's coordinator before the services ask.

    Kafka creates __consumer_offsets on the first FindCoordinator request and loads its partitions after; until
    then every consumer logs GroupCoordinatorNotAvailable errors and "Marking the coordinator dead" warnings, at
    each first start, which nobody can act on. Past the timeout the services start anyway: they retry.
    """
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    async def wait() -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="owes-up")
        await admin.start()
        deadline = time.monotonic() + timeout
        try:
            for group in groups:
                while True:
                    try:
                        await admin.list_consumer_group_offsets(group, await admin.find_coordinator(group))
                        break
                    except KafkaError:
                        if time.monotonic() > deadline:
                            return
                        await asyncio.sleep(0.3)
        finally:
            await admin.close()

    asyncio.run(wait())


def describe_broker(broker) -> str:
    """What `owes up` says about its broker: which one, and whether its log outlives a restart."""
    from .kafka import KAFKA_VERSION

    if broker.kind == "apache-kafka":
        return (
            f"Apache Kafka {KAFKA_VERSION} (pid {broker.pid}); log kept on disk in {broker.data_dir}: "
            f"events survive a restart"
        )
    return (
        f"embedded Tansu (pid {broker.pid}); log in memory only: after a restart the services publish "
        f"their outbox rows (kept for good in this mode) again"
    )


@dataclass
class ServiceProcess:
    name: str
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class LocalSystem:
    """Starts and stops the embedded system; each service gets its own SQLite database under data_dir."""

    data_dir: Path
    kafka_port: int = 9092
    base_port: int = 8001
    namespace: str = "owes"
    extra_env: dict[str, str] = field(default_factory=dict)
    broker: EmbeddedBroker | None = None
    services: list[ServiceProcess] = field(default_factory=list)
    external_bootstrap: str | None = None
    # role -> API key; made on first start and kept (mode 0600) in data_dir/api-keys.json
    api_keys: dict[str, str] = field(default_factory=dict)
    broker_choice: str = "auto"  # auto | kafka | tansu (choose_broker)
    lock: DataFolderLock | None = None
    _restarts: dict[str, list[float]] = field(default_factory=dict)
    _due: dict[str, float] = field(default_factory=dict)  # service -> when its restart is due

    @property
    def broker_kind(self) -> str:
        """tansu, apache-kafka or external."""
        if self.external_bootstrap:
            return "external"
        if self.broker_choice == "auto":
            self.broker_choice = choose_broker("auto")
        return "apache-kafka" if self.broker_choice == "kafka" else "tansu"

    @property
    def _inherited(self) -> tuple[int, ...]:
        return (self.lock.fd,) if self.lock and self.lock.fd is not None else ()

    @property
    def bootstrap_servers(self) -> str:
        return self.external_bootstrap or self.broker.bootstrap_servers

    def service_env(self, name: str) -> dict[str, str]:
        prefix = name.upper()
        return {
            f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{self.data_dir / f'{name}.db'}",
            f"{prefix}_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap_servers,
            f"{prefix}_KAFKA__ENABLE_IDEMPOTENCE": "false" if self.broker_kind == "tansu" else "true",
            # Tansu forgets its log: the outbox rows are the history, published again to an empty log
            **({f"{prefix}_OUTBOX_RETENTION_DAYS": "0"} if self.broker_kind == "tansu" else {}),
            f"{prefix}_TOPIC_NAMESPACE": self.namespace,
            f"{prefix}_API_KEYS": ",".join(
                credential_line(PRINCIPALS[role], role, key) for role, key in self.load_api_keys().items()
            ),
            # kept with the API keys, so staff sign-ins survive a restart and no service warns that they would not
            f"{prefix}_STAFF_SESSION_SECRET": self.staff_session_secret(name),
        }

    def load_api_keys(self) -> dict[str, str]:
        """The embedded system's API keys: read from data_dir/api-keys.json, or made and saved there once."""
        if self.api_keys:
            return self.api_keys
        path = self.data_dir / "api-keys.json"
        if path.exists():
            self.api_keys = json.loads(path.read_text())["keys"]
        else:
            self.api_keys = {role: generate_api_key() for role in PRINCIPALS}
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                json.dump({"principals": PRINCIPALS, "keys": self.api_keys}, f, indent=2)
        return self.api_keys

    def staff_session_secret(self, service: str) -> str:
        """A service's staff-session signing secret, derived from one made once in data_dir/staff-session.secret."""
        import hashlib
        import hmac
        import secrets

        path = self.data_dir / "staff-session.secret"
        if not path.exists():
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "w") as f:
                    f.write(secrets.token_urlsafe(32) + "\n")
        return hmac.new(path.read_text().strip().encode(), service.encode(), hashlib.sha256).hexdigest()

    def headers(self, role: str) -> dict[str, str]:
        """HTTP headers that call a service as this role, e.g. system.headers("partner:recruitment")."""
        return {"Authorization": f"Bearer {self.load_api_keys()[role]}"}

    def operator_headers(self, service: str) -> dict[str, str]:
        return self.headers(OPERATORS[service])

    def credentials_help(self) -> list[str]:
        keys = self.load_api_keys()
        lines = [f"  API keys (kept in {self.data_dir / 'api-keys.json'}); send 'Authorization: Bearer <key>':"]
        lines += [f"    {PRINCIPALS[role]:<17} {role:<20} {key}" for role, key in keys.items()]
        recruitment = next((s for s in self.services if s.name == "recruitment"), None)
        if recruitment:
            lines.append(
                f"    e.g. curl -H 'Authorization: Bearer {keys['partner:recruitment']}' "
                f"{recruitment.url}/participants/<id>"
            )
        lines.append("    the dashboard asks for a user and password: user lead, password the lead's key")
        return lines

    def lock_data_folder(self) -> None:
        """Take the data folder, or raise DataFolderHeld naming the process that has it."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # personal data and keys: owner-only
        # every file this process and the broker and services it starts create (databases and their WAL, logs,
        # Kafka's log segments, keys) is owner-only too, whatever the shell's umask was (issue 13)
        os.umask(0o077)
        if self.lock is None:
            self.lock = DataFolderLock(self.data_dir)
            try:
                self.lock.acquire()
            except DataFolderHeld:
                self.lock = None
                raise

    def start_broker(self):
        """Start the chosen broker on kafka_port (again, after it died: same port, and Kafka's same log)."""
        if self.broker_kind == "apache-kafka":
            self.broker = LocalKafka(self.kafka_port, self.data_dir / "kafka", pass_fds=self._inherited).start()
            wait_for_group_coordinators(self.broker.bootstrap_servers, [f"{self.namespace}.{s}" for s in SERVICES])
        else:
            self.broker = EmbeddedBroker(
                self.kafka_port, log_path=self.data_dir / "broker.log", pass_fds=self._inherited
            ).start()
        return self.broker

    def start(self) -> LocalSystem:
        self.lock_data_folder()
        if self.external_bootstrap is None:
            self.start_broker()
        for index, name in enumerate(SERVICES):
            self.start_service(name, self.base_port + index)
        for svc in self.services:
            wait_for_port(svc.port, timeout=60)
        self.write_state()
        return self

    def write_state(self) -> None:
        """Write what `owes status` reads (data_dir/system.json): this process, the broker, each service."""
        from .status import describe_database, write_state

        kind = "external" if self.external_bootstrap else getattr(self.broker, "kind", "tansu")
        env = {k: v for name in SERVICES for k, v in self.service_env(name).items()} | self.extra_env
        write_state(
            self.data_dir,
            {
                "pid": os.getpid(),
                "namespace": self.namespace,
                "broker": {"kind": kind, "bootstrap_servers": self.bootstrap_servers},
                "services": {
                    s.name: {"url": s.url, "database": describe_database(env[f"{s.name.upper()}_DATABASE_URL"])}
                    for s in self.services
                },
            },
        )

    def start_service(self, name: str, port: int) -> ServiceProcess:
        env = {**os.environ, **self.service_env(name), **self.extra_env}
        with open(self.data_dir / f"{name}.log", "ab") as log:  # the child has its own copy
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    f"{name}.main:create_app",
                    "--factory",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--timeout-graceful-shutdown",
                    "15",
                    "--no-access-log",
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                start_new_session=True,
                pass_fds=self._inherited,
            )
        svc = ServiceProcess(name, port, process)
        self.services = [s for s in self.services if s.name != name] + [svc]
        return svc

    def service(self, name: str) -> ServiceProcess:
        return next(s for s in self.services if s.name == name)

    def stop_service(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        svc = self.service(name)
        if svc.process.poll() is None:
            svc.process.send_signal(sig)
            try:
                svc.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                svc.process.kill()
                svc.process.wait()
        return svc.process.returncode

    def supervise(self, now: float | None = None) -> list[str]:
        """One round of watching what was started; returns what happened, for `owes up` to print.

        A dead broker is started again on its port (Apache Kafka on its kept log). Tansu comes back empty, so
        the services are restarted too: their relays find the log short and publish their outbox rows again,
        their consumers read it from the beginning and their inboxes skip what was applied. A dead service is
        restarted after a backoff (1, 2, 4, ... s). Raises SystemDown when the broker cannot be started again or
        a service keeps dying.
        """
        now = time.monotonic() if now is None else now
        said: list[str] = []
        if self.broker is not None and not self.broker.alive():
            code = self.broker.returncode
            said.append(f"broker died (exit code {code}); starting it again on {self.broker.bootstrap_servers}")
            try:
                self.start_broker()
            except Exception as exc:
                raise SystemDown(f"the broker died (exit code {code}) and could not be started again: {exc}") from exc
            said.append(f"broker back: {describe_broker(self.broker)}")
            if not self.broker.keeps_log:
                said.append(
                    "restarting the services: they publish their outboxes to the new log and read it from the beginning"
                )
                self._terminate(self.services)
                for svc in list(self.services):
                    self.start_service(svc.name, svc.port)
                    said.append(f"{svc.name} restarted (pid {self.service(svc.name).process.pid})")
        for svc in list(self.services):
            if svc.process.poll() is None:
                continue
            if svc.name not in self._due:
                recent = [t for t in self._restarts.get(svc.name, []) if now - t < RESTART_WINDOW]
                self._restarts[svc.name] = recent
                if len(recent) >= MAX_RESTARTS:
                    raise SystemDown(
                        f"{svc.name} died {len(recent) + 1} times within {RESTART_WINDOW:.0f} s "
                        f"(last exit code {svc.process.returncode}); see {self.data_dir}/{svc.name}.log"
                    )
                delay = min(30.0, 2.0 ** len(recent))
                self._due[svc.name] = now + delay
                said.append(
                    f"{svc.name} exited (code {svc.process.returncode}); restarting it in {delay:.0f} s "
                    f"(see {self.data_dir}/{svc.name}.log)"
                )
            elif now >= self._due[svc.name]:
                del self._due[svc.name]
                self._restarts.setdefault(svc.name, []).append(now)
                restarted = self.start_service(svc.name, svc.port)
                said.append(f"{svc.name} restarted (pid {restarted.process.pid})")
        return said

    @staticmethod
    def _terminate(services: list[ServiceProcess]) -> None:
        """SIGTERM (drain) to all at once; those still running after SERVICE_DRAIN_SECONDS are killed."""
        for svc in services:
            if svc.process.poll() is None:
                svc.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + SERVICE_DRAIN_SECONDS
        for svc in services:
            try:
                svc.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                svc.process.kill()
                svc.process.wait()

    def stop(self) -> None:
        """Stop everything within STOP_SECONDS, broker away or not: services drain (unpublished events stay in
        their outboxes), and whatever is still running at its deadline is killed."""
        started = time.monotonic()
        self._terminate(self.services)
        if self.broker:
            # what is left, less a margin for the processes to exit and this one to return
            self.broker.stop(timeout=max(0.5, STOP_SECONDS - 2.0 - (time.monotonic() - started)))
        with contextlib.suppress(OSError):
            (self.data_dir / "system.json").unlink(missing_ok=True)
        if self.lock:
            self.lock.release()
            self.lock = None
