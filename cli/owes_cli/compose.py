"""`owes compose rehearse`: docker-compose.yml run without Docker, with its own commands and environment.

It reads docker-compose.yml (and the files it mounts) from a folder, makes a .env from .env.example the way an
operator would (every `change-me-*` placeholder replaced by a generated value, an API key per operator role),
applies compose's interpolation (`${VAR:?msg}` fails as `docker compose up` would), then starts, in the order
`depends_on` gives:

- PostgreSQL from the installed binaries, initialised as the image's entrypoint does it (initdb with the
  superuser's password, a socket-only server that runs the scripts mounted in /docker-entrypoint-initdb.d as the
  postgres user with the POSTGRES_* environment, then the real server with password authentication);
- Apache Kafka (fetched through Maven) with the entrypoint compose names (deploy/kafka/start-kafka.sh), and the
  one-shot init jobs with theirs, KAFKA_BIN pointing at the fetched tools;
- the services as processes, with the environment compose gives each container plus the Dockerfile's ENV, and
  the Dockerfile's CMD;

then runs each compose health check until it passes within its start_period, drives one participant from
recruitment to reporting through the services' own APIs (so through their SCRAM principals and database roles),
checks that Prometheus's scrape targets answer, and says what it could not rehearse.

The only changes to what compose says: hostnames (kafka, postgres, the services) and container ports become free
loopback ports, container paths (bind mounts, /opt/kafka/bin, /opt/venv) become the folders they stand for, and
servers listen on 127.0.0.1 instead of 0.0.0.0.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import functools
import importlib
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import typing
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .embedded import free_port

SERVICE_DOCKERFILE = "deploy/Dockerfile"
# What a service cannot run without in a container: its own database and an authenticated, idempotent producer.
REQUIRED_SETTINGS = (
    "DATABASE_URL",
    "KAFKA__BOOTSTRAP_SERVERS",
    "KAFKA__ENABLE_IDEMPOTENCE",
    "KAFKA__SECURITY_PROTOCOL",
    "KAFKA__SASL_MECHANISM",
    "KAFKA__SASL_USERNAME",
    "KAFKA__SASL_PASSWORD",
)
# The role that operates each service's API (docs/security.md), given a key in the rehearsal's .env.
OPERATORS = {
    "recruitment": ("jastrzebie-zdroj", "partner:recruitment"),
    "advisory": ("zory", "partner:advisory"),
    "grants": ("rybnik", "partner:grants"),
    "reporting": ("lead", "lead"),
}
PLACEHOLDER = re.compile(r"change-me-[A-Za-z0-9-]+")
KAFKA_CONTAINER_PORTS = {"client": 9092, "controller": 9093, "external": 9094, "internal": 9096}
KAFKA_IMAGE_BIN = "/opt/kafka/bin"
TOOL_JVM_OPTS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
JOURNEY_TIMEOUT = 90.0


class RehearsalFailed(RuntimeError):
    """One step of the rehearsal failed; the message says which and why (as `docker compose up` would)."""

    def __init__(self, step: str, detail: str) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail


# ---------------------------------------------------------------------------------------------------------------
# compose's file handling: .env, interpolation


_VARIABLE = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|(?P<escaped>\$))"
)


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error},
    ${VAR:+alt}, ${VAR+alt}, and $$ for a literal dollar."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        op, arg = match["op"], match["arg"] or ""
        value = env.get(name)
        unset_or_empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":-", "-"):
            return arg if unset_or_empty else typing.cast(str, value)
        if op in (":?", "?"):
            if unset_or_empty:
                raise RehearsalFailed("interpolation", f"required variable {name} is missing a value: {arg}")
            return typing.cast(str, value)
        if op in (":+", "+"):
            return "" if unset_or_empty else arg
        return value or ""

    return _VARIABLE.sub(replace, text)


def deep_interpolate(value: typing.Any, env: dict[str, str]) -> typing.Any:
    if isinstance(value, str):
        return interpolate(value, env)
    if isinstance(value, dict):
        return {k: deep_interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_interpolate(v, env) for v in value]
    return value


def read_dotenv(path: Path) -> dict[str, str]:
    """A .env file as compose reads it: NAME=value lines, comments, optional quotes around the value."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def make_dotenv(example: Path, target: Path) -> dict[str, str]:
    """.env from .env.example as an operator makes it: every placeholder a fresh secret, a new cluster id, and
    one API key per service operator (the keys, which only callers hold, are returned under API_KEY_<SERVICE>)."""
    from .kafka import random_cluster_id
    from .keys import credential_line, generate_api_key

    keys = {service: generate_api_key() for service in OPERATORS}
    lines = []
    for line in example.read_text().splitlines():
        name = line.partition("=")[0].strip()
        if line.strip().startswith("#") or "=" not in line:
            lines.append(line)
        elif name == "KAFKA_CLUSTER_ID":
            lines.append(f"{name}={random_cluster_id()}")
        elif name.endswith("_API_KEYS") and name.removesuffix("_API_KEYS").lower() in OPERATORS:
            service = name.removesuffix("_API_KEYS").lower()
            principal, role = OPERATORS[service]
            lines.append(f'{name}="{credential_line(principal, role, keys[service])}"')
        else:
            lines.append(PLACEHOLDER.sub(lambda _m: secrets.token_hex(24), line))
    target.write_text("\n".join(lines) + "\n")
    target.chmod(0o600)
    return {f"API_KEY_{service.upper()}": key for service, key in keys.items()}


# ---------------------------------------------------------------------------------------------------------------
# What the services read: their settings classes


def settings_class(module: str) -> type:
    return getattr(importlib.import_module(f"{module}.settings"), f"{module.capitalize()}Settings")


def setting_for(module: str, name: str) -> tuple[str, ...] | None:
    """The settings field an environment variable sets, e.g. ('kafka', 'sasl_username'); None if it sets none
    (pydantic-settings ignores unknown variables silently, so a misspelt one would pass unnoticed)."""
    from pydantic import BaseModel

    cls = settings_class(module)
    prefix = cls.model_config["env_prefix"]
    if not name.upper().startswith(prefix):
        return None
    parts = tuple(name[len(prefix) :].lower().split("__"))
    model: type = cls
    for i, part in enumerate(parts):
        found = model.model_fields.get(part)  # type: ignore[attr-defined]
        if found is None:
            return None
        if i < len(parts) - 1:
            nested = [
                t
                for t in (found.annotation, *typing.get_args(found.annotation))
                if isinstance(t, type) and issubclass(t, BaseModel)
            ]
            if not nested:
                return None
            model = nested[0]
    return parts


def environment_problems(module: str, environment: dict[str, str]) -> list[str]:
    """Variables that name no setting of the service, and required settings left unset."""
    prefix = settings_class(module).model_config["env_prefix"]
    problems = [
        f"{name} is read by no setting of {module}" for name in environment if setting_for(module, name) is None
    ]
    problems += [
        f"{prefix}{name} (required) is not set" for name in REQUIRED_SETTINGS if f"{prefix}{name}" not in environment
    ]
    return problems


# ---------------------------------------------------------------------------------------------------------------
# The Dockerfile's ENV and CMD


@dataclass
class ImageRecipe:
    env: dict[str, str]
    cmd: list[str]
    workdir: str


def read_dockerfile(path: Path, build_args: dict[str, str]) -> ImageRecipe:
    """The ENV, CMD and WORKDIR a Dockerfile leaves its image with (ARG defaults and build args substituted)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    args: dict[str, str] = {}
    env: dict[str, str] = {}
    cmd: list[str] = []
    workdir = "/"
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "ARG":
            name, _, default = rest.strip().partition("=")
            args[name] = build_args.get(name, default)
        elif instruction == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                env[name] = _docker_substitute(value, {**args, **env})
        elif instruction == "CMD":
            cmd = json.loads(rest)
        elif instruction == "WORKDIR":
            workdir = rest.strip()
    return ImageRecipe(env=env, cmd=cmd, workdir=workdir)


def _docker_substitute(value: str, known: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match["braced"] or match["bare"]
        return known.get(name, match.group(0)) if name else match.group(0)

    return _VARIABLE.sub(replace, value)


# ---------------------------------------------------------------------------------------------------------------
# Processes


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 25) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def send(self, sig: int) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 30.0, sig: int | None = signal.SIGTERM) -> None:
        """Signal (unless already signalled: uvicorn takes a second SIGTERM as "skip draining"), wait, then kill."""
        if self.alive():
            if sig is not None:
                self.send(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()


@functools.lru_cache(maxsize=1)
def _tools_archive() -> Path:
    """The Kafka tools' class-data archive, beside the fetched jars, for this Java build (another build ignores it)."""
    import hashlib

    from .kafka import home

    version = subprocess.run(
        [os.environ.get("JAVA", "java"), "-version"],
        capture_output=True,
        text=True,
        check=False,
    ).stderr
    return home() / f"tools-{hashlib.sha256(version.encode()).hexdigest()[:12]}.jsa"


def _listens(port: int) -> bool:
    import socket

    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


def _as_user(user: str | None) -> dict[str, typing.Any]:
    """Popen arguments that run a process as `user` (and its groups); the thread-safe way, unlike preexec_fn."""
    if user is None:
        return {}
    import grp

    entry = pwd.getpwnam(user)
    groups = [g.gr_gid for g in grp.getgrall() if user in g.gr_mem]
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": groups}


def _seconds(value: str | float | None, default: float) -> float:
    """A compose duration ("30s", "1m30s", "500ms") in seconds."""
    if value is None:
        return default
    if isinstance(value, float | int):
        return float(value)
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|us|ns|h|m|s)", value):
        total += float(amount) * {"h": 3600, "m": 60, "s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[unit]
    return total


# ---------------------------------------------------------------------------------------------------------------
# The rehearsal


@dataclass
class Rehearsal:
    """docker-compose.yml of `root` run as processes; `up()` starts it, `stop()` ends every process it started."""

    root: Path
    workdir: Path
    say: Callable[[str], None] = print
    dotenv: dict[str, str] = field(default_factory=dict)
    api_keys: dict[str, str] = field(default_factory=dict)
    compose: dict = field(default_factory=dict)
    ports: dict[str, dict[int, int]] = field(default_factory=dict)  # compose service -> container port -> loopback
    processes: dict[str, Process] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    _health_env: dict[str, dict[str, str]] = field(default_factory=dict)  # what a health check needs here
    _pg_root: Path | None = None
    _pg_user: str | None = None
    _started: float = field(default_factory=time.monotonic)
    _aborting: bool = False
    _archive_pending: Path | None = None
    late: dict[str, float] = field(default_factory=dict)  # passed its health check only after start_period
    _pg_version: str = ""

    # -- reading ------------------------------------------------------------------------------------------------

    def load(self) -> None:
        import yaml

        self.workdir.mkdir(parents=True, exist_ok=True)
        env_file = self.workdir / ".env"
        self.api_keys = make_dotenv(self.root / ".env.example", env_file)
        self.dotenv = read_dotenv(env_file)
        raw = yaml.safe_load((self.root / "docker-compose.yml").read_text())  # merge keys (<<) resolved here
        self.compose = deep_interpolate(raw, self.dotenv)
        generated = len(PLACEHOLDER.findall((self.root / ".env.example").read_text()))
        self._done(f".env made from .env.example ({generated} secrets generated) and docker-compose.yml interpolated")
        for name in self.app_services():
            module = self.build_args(name).get("SERVICE", name)
            problems = environment_problems(module, self.environment(name))
            if problems:
                raise RehearsalFailed(f"environment of {name}", "; ".join(problems))
        self._done("every service's environment names its settings, required ones set")
        for name, service in self.services().items():
            if "image" not in service and "build" not in service:
                raise RehearsalFailed(name, "neither image nor build")
        self.ports = {name: {} for name in self.services()}

    def services(self) -> dict[str, dict]:
        """The services `docker compose up` starts (no profile given)."""
        return {n: s for n, s in self.compose["services"].items() if not s.get("profiles")}

    def app_services(self) -> list[str]:
        return [
            n
            for n, s in self.services().items()
            if isinstance(s.get("build"), dict) and s["build"].get("dockerfile") == SERVICE_DOCKERFILE
        ]

    def build_args(self, name: str) -> dict[str, str]:
        build = self.compose["services"][name].get("build") or {}
        return {k: str(v) for k, v in (build.get("args") or {}).items()}

    def environment(self, name: str) -> dict[str, str]:
        env = self.compose["services"][name].get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env)
        return {k: "" if v is None else str(v) for k, v in env.items()}

    def kind(self, name: str) -> str:
        service = self.compose["services"][name]
        image = str(service.get("image", ""))
        if name in self.app_services():
            return "app"
        if image.startswith("postgres:"):
            return "postgres"
        if image.startswith("apache/kafka:"):
            jobs = {
                dep
                for s in self.services().values()
                for dep, cond in self._depends(s).items()
                if cond == "service_completed_successfully"
            }
            return "kafka-job" if name in jobs else "kafka"
        return "unsupported"

    @staticmethod
    def _depends(service: dict) -> dict[str, str]:
        deps = service.get("depends_on") or {}
        if isinstance(deps, list):
            return {d: "service_started" for d in deps}
        return {d: (c or {}).get("condition", "service_started") for d, c in deps.items()}

    def waves(self) -> list[list[str]]:
        """Services in start order: each wave depends only on earlier ones (compose starts a wave together)."""
        pending = {n: set(self._depends(s)) for n, s in self.services().items()}
        waves: list[list[str]] = []
        started: set[str] = set()
        while pending:
            wave = sorted(n for n, deps in pending.items() if deps <= started)
            if not wave:
                raise RehearsalFailed("depends_on", f"a cycle among {', '.join(sorted(pending))}")
            waves.append(wave)
            started |= set(wave)
            for n in wave:
                del pending[n]
        return waves

    # -- translating container terms to this machine -----------------------------------------------------------

    def host_path(self, name: str, container_path: str) -> str:
        """A container path through the service's bind mounts (./deploy/kafka:/opt/owes -> <root>/deploy/kafka)."""
        for volume in self.compose["services"][name].get("volumes") or []:
            source, _, rest = str(volume).partition(":")
            target = rest.split(":")[0]
            if not source.startswith((".", "/")):
                continue  # a named volume: a folder of the rehearsal's own
            if container_path == target or container_path.startswith(target.rstrip("/") + "/"):
                return str((self.root / source).resolve()) + container_path[len(target) :]
        return container_path

    def translate(self, name: str, text: str) -> str:
        """Addresses inside one container: <service>:<port> and its own 127.0.0.1:<port> -> loopback ports."""
        for other, mapping in self.ports.items():
            for container_port, port in mapping.items():
                text = re.sub(rf"(?<![\w.-]){re.escape(other)}:{container_port}(?!\d)", f"127.0.0.1:{port}", text)
        for container_port, port in self.ports.get(name, {}).items():
            text = re.sub(rf"(?<![\w.])(127\.0\.0\.1|localhost):{container_port}(?!\d)", f"127.0.0.1:{port}", text)
        return text

    def base_env(self) -> dict[str, str]:
        """What a container has that compose does not give: a PATH (and a locale for the tools)."""
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": str(self.workdir),
        }

    # -- running --------------------------------------------------------------------------------------------------

    def up(self) -> None:
        """Everything `docker compose up` starts, in its order, each healthy or completed as its dependents need.
        The first failure stops everything at once (the rest of its wave is not waited for)."""
        self.load()
        for wave in self.waves():
            runnable = [n for n in wave if self.kind(n) != "unsupported"]
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(runnable)))
            try:
                futures = [pool.submit(self.bring_up, n) for n in runnable]
                for future in concurrent.futures.as_completed(futures):
                    exc = future.exception()
                    if exc is not None:
                        self._aborting = True
                        self.stop()  # the others' waits see their processes gone and give up
                        raise exc
            finally:
                pool.shutdown(wait=True, cancel_futures=True)

    def bring_up(self, name: str) -> None:
        kind = self.kind(name)
        if kind == "postgres":
            self.start_postgres(name)
        elif kind == "kafka":
            self.start_kafka(name)
        elif kind == "kafka-job":
            self.run_job(name)
            return
        elif kind == "app":
            self.start_app(name)
        self.wait_healthy(name)
        if kind == "postgres":
            self.check_database_roles(name)

    def check_database_roles(self, name: str) -> None:
        """Each service's DATABASE_URL, as compose gives it, logs in as its role and may create tables there: what
        the service's migrations need first. Checked before Kafka's jobs so a missing grant fails in seconds."""
        import psycopg

        for app in self.app_services():
            for variable, value in self.translate_env(app).items():
                if not variable.endswith("DATABASE_URL") or not value.startswith("postgresql"):
                    continue
                url = re.sub(r"^postgresql\+\w+://", "postgresql://", value)
                try:
                    with psycopg.connect(url, connect_timeout=10) as conn:
                        conn.execute("CREATE TABLE owes_rehearsal_probe (id integer)")
                        conn.rollback()
                except psycopg.Error as exc:
                    raise RehearsalFailed(
                        f"{app} database",
                        f"{variable} cannot log in and create a table as compose configures it: {exc}".strip(),
                    ) from exc
        self._done(f"{name}: every service's role logs in to its own database and may create tables")

    def _spawn(self, name: str, cmd: list[str], env: dict[str, str], *, cwd: Path, user: str | None = None) -> Process:
        log = self.workdir / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=cwd,
                start_new_session=True,
                **_as_user(user),
            )
        process = Process(name, popen, log)
        self.processes[name] = process
        return process

    def start_postgres(self, name: str) -> None:
        """As the postgres image's entrypoint: initdb, init scripts on a socket-only server, then the server."""
        from .postgres import find_bindir

        bindir = find_bindir()
        if bindir is None:
            raise RehearsalFailed(name, "no PostgreSQL binaries (apt-get install postgresql, or OWES_PG_BINDIR)")
        env = self.environment(name)
        superuser = env.get("POSTGRES_USER", "postgres")
        password = env.get("POSTGRES_PASSWORD", "")
        if not password:
            raise RehearsalFailed(name, "POSTGRES_PASSWORD is empty: the image refuses to initialise")
        self._pg_user = os.environ.get("OWES_PG_USER", "postgres") if os.geteuid() == 0 else None
        self._pg_version = subprocess.run(
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        # initdb refuses root: as root, the cluster belongs to the postgres user, in a folder it can reach
        self._pg_root = Path(tempfile.mkdtemp(prefix="owes-rehearsal-pg-"))
        data, sockets, initdb_d = self._pg_root / "data", self._pg_root / "run", self._pg_root / "initdb.d"
        sockets.mkdir()
        initdb_d.mkdir()
        for volume in self.compose["services"][name].get("volumes") or []:
            source, _, rest = str(volume).partition(":")
            target = rest.split(":")[0]
            if target.startswith("/docker-entrypoint-initdb.d/") and source.startswith((".", "/")):
                shutil.copy2(self.root / source, initdb_d / Path(target).name)  # as the bind mount shows it
        (self._pg_root / "pwfile").write_text(password + "\n")
        if self._pg_user:
            entry = pwd.getpwnam(self._pg_user)
            for path in (self._pg_root, sockets, initdb_d, *initdb_d.iterdir(), self._pg_root / "pwfile"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        port = self.ports[name][5432] = free_port()
        tool_env = {**self.base_env(), "PATH": f"{bindir}:{self.base_env()['PATH']}", "HOME": str(self._pg_root)}
        as_pg = _as_user(self._pg_user)
        init = subprocess.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                f"--username={superuser}",
                f"--pwfile={self._pg_root / 'pwfile'}",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--encoding=UTF8",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            env=tool_env,
            cwd=self._pg_root,
            **as_pg,
        )
        (self._pg_root / "pwfile").unlink()
        if init.returncode != 0:
            raise RehearsalFailed(name, f"initdb failed: {init.stderr or init.stdout}")
        server = [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(sockets),
            "-c",
            "fsync=off",
            "-c",
            "max_connections=200",
        ]
        temp = self._spawn(
            f"{name}-init", [*server, "-c", "listen_addresses="], tool_env, cwd=self._pg_root, user=self._pg_user
        )
        try:
            self._wait(
                lambda: (
                    subprocess.run(
                        [str(bindir / "pg_isready"), "-h", str(sockets), "-p", str(port)],
                        capture_output=True,
                    ).returncode
                    == 0
                ),
                30,
                temp,
                f"{name}: the socket-only server for the init scripts did not start",
            )
            init_env = {
                **tool_env,
                **env,
                "POSTGRES_DB": env.get("POSTGRES_DB") or superuser,
                "PGHOST": str(sockets),
                "PGPORT": str(port),
                "PGPASSWORD": password,
            }
            init_env.setdefault("POSTGRES_USER", superuser)
            for script in sorted(initdb_d.iterdir()):
                if script.suffix == ".sh":
                    # the entrypoint runs an executable script, and sources any other .sh in its own bash
                    cmd = [str(script)] if os.access(script, os.X_OK) else ["bash", "-c", '. "$0"', str(script)]
                elif script.suffix == ".sql":
                    cmd = [
                        "psql",
                        "-v",
                        "ON_ERROR_STOP=1",
                        "--username",
                        superuser,
                        "--no-password",
                        "--dbname",
                        init_env["POSTGRES_DB"],
                        "-f",
                        str(script),
                    ]
                else:
                    continue
                done = subprocess.run(
                    cmd,
                    capture_output=True,
                    text=True,
                    env=init_env,
                    cwd=self._pg_root,
                    **as_pg,
                    timeout=120,
                )
                (self.workdir / f"{name}-initdb.log").open("a").write(done.stdout + done.stderr)
                if done.returncode != 0:
                    raise RehearsalFailed(
                        f"{name} /docker-entrypoint-initdb.d/{script.name}",
                        f"exited {done.returncode}: {(done.stderr or done.stdout)[-1500:]}",
                    )
                self._done(f"{name}: ran /docker-entrypoint-initdb.d/{script.name} as the image's entrypoint would")
        finally:
            temp.stop(sig=signal.SIGINT)
            self.processes.pop(f"{name}-init", None)
        self._spawn(
            name, [*server, "-c", "listen_addresses=127.0.0.1"], tool_env, cwd=self._pg_root, user=self._pg_user
        )
        self._health_env[name] = {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(port),
            "PATH": f"{bindir}:{self.base_env()['PATH']}",
        }

    def _kafka_paths_env(self) -> dict[str, str]:
        from .kafka import bin_dir, fetch

        try:
            fetch()
        except Exception as exc:
            raise RehearsalFailed("kafka", f"Apache Kafka could not be fetched: {exc}") from exc
        return {"KAFKA_BIN": str(bin_dir())}

    @staticmethod
    def _tool_jvm(env: dict[str, str]) -> dict[str, str]:
        """Short-lived Kafka tools start about twice as fast on C1 only with the serial collector, and faster again
        from a class-data archive of the tools' classes; applied only where compose sets no KAFKA_OPTS of its own
        (the tools do the same work either way)."""
        if "KAFKA_OPTS" in env:
            return {}
        archive = _tools_archive()
        share = f" -XX:SharedArchiveFile={archive}" if archive.is_file() else ""
        return {"KAFKA_OPTS": TOOL_JVM_OPTS + share}

    def _entrypoint(self, name: str) -> list[str]:
        service = self.compose["services"][name]
        entrypoint = service.get("entrypoint")
        if isinstance(entrypoint, str):
            entrypoint = shlex.split(entrypoint)
        if not entrypoint:
            raise RehearsalFailed(name, "no entrypoint: the image's own start-up cannot run here")
        return [self.host_path(name, part) for part in entrypoint]

    def start_kafka(self, name: str) -> None:
        mapping = self.ports[name]
        for container_port in KAFKA_CONTAINER_PORTS.values():
            mapping[container_port] = free_port()
        data = self.workdir / f"volume-{name}-data"
        data.mkdir(exist_ok=True)
        env = {
            **self.base_env(),
            **self.translate_env(name),
            **self._kafka_paths_env(),
            # the container's addresses, ports and folders, moved to this machine (start-kafka.sh's defaults)
            "OWES_KAFKA_DATA_DIR": str(data),
            "OWES_KAFKA_CONFIG": str(self.workdir / f"{name}.properties"),
            "OWES_KAFKA_LISTEN_ADDRESS": "127.0.0.1",
            "OWES_KAFKA_CLIENT_HOST": "127.0.0.1",
            "OWES_KAFKA_CLIENT_PORT": str(mapping[9092]),
            "OWES_KAFKA_CONTROLLER_PORT": str(mapping[9093]),
            "OWES_KAFKA_EXTERNAL_LISTEN_PORT": str(mapping[9094]),
            "OWES_KAFKA_INTERNAL_PORT": str(mapping[9096]),
        }
        self._spawn(name, self._entrypoint(name), env, cwd=self.workdir)
        # the health check is a Kafka tool too; the one that passes first leaves the tools' class-data archive
        self._health_env[name] = self._tool_jvm({})
        if not _tools_archive().is_file():
            self._archive_pending = _tools_archive().with_suffix(f".{os.getpid()}.tmp")
            self._health_env[name]["KAFKA_OPTS"] += f" -XX:ArchiveClassesAtExit={self._archive_pending}"

    def translate_env(self, name: str) -> dict[str, str]:
        return {k: self.translate(name, v) for k, v in self.environment(name).items()}

    def run_job(self, name: str) -> None:
        """A one-shot init job: its entrypoint, retried as its restart policy says, must exit 0."""
        env = {**self.base_env(), **self.translate_env(name), **self._kafka_paths_env()}
        env |= self._tool_jvm(self.environment(name))
        policy = str(self.compose["services"][name].get("restart", "no"))
        attempts = 1 + (int(policy.split(":")[1]) if policy.startswith("on-failure:") else 0)
        for attempt in range(1, attempts + 1):
            process = self._spawn(name, self._entrypoint(name), env, cwd=self.workdir)
            code = process.popen.wait(timeout=600)
            self.processes.pop(name, None)
            if self._aborting:
                raise RehearsalFailed(name, "stopped: another step failed")
            if code == 0:
                self._done(f"{name}: completed successfully")
                return
            self.say(f"  {name}: exited {code} (attempt {attempt} of {attempts})")
        raise RehearsalFailed(name, f"exited {code} after {attempts} attempt(s):\n{process.tail()}")

    def start_app(self, name: str) -> None:
        recipe = read_dockerfile(self.root / SERVICE_DOCKERFILE, self.build_args(name))
        port = self.ports[name][int(recipe.env.get("PORT", "8000"))] = free_port()
        venv = str(Path(sys.prefix))
        image_env = {k: v.replace("/opt/venv", venv) for k, v in recipe.env.items()}
        image_env["PATH"] = image_env.get("PATH", "").replace("$PATH", self.base_env()["PATH"])
        image_env["PORT"] = str(port)
        env = {**self.base_env(), **image_env, **self.translate_env(name)}
        # loopback only, on this machine
        cmd = [part.replace("0.0.0.0", "127.0.0.1") for part in recipe.cmd]  # noqa: S104
        cwd = self.workdir / f"{name}-workdir"  # WORKDIR /app: the code comes from the installed packages here
        cwd.mkdir(exist_ok=True)
        self._spawn(name, cmd, env, cwd=cwd)
        self._health_env[name] = {"PATH": image_env["PATH"]}

    def health_command(self, name: str) -> list[str] | None:
        test = (self.compose["services"][name].get("healthcheck") or {}).get("test")
        if not test or test == ["NONE"]:
            return None
        if isinstance(test, str):
            test = ["CMD-SHELL", test]
        parts = [
            self.translate(name, part).replace(KAFKA_IMAGE_BIN, self._kafka_paths_env()["KAFKA_BIN"])
            for part in test[1:]
        ]
        return ["sh", "-c", parts[0]] if test[0] == "CMD-SHELL" else parts

    def wait_healthy(self, name: str) -> None:
        """The compose health check, until it passes (checked every second once something listens). It fails where
        compose would mark the container unhealthy: still failing after start_period plus `retries` intervals;
        passing only after start_period is said (`late`), as the operator's machine may be slower still."""
        check = self.health_command(name)
        process = self.processes[name]
        if check is None:
            return
        health = self.compose["services"][name]["healthcheck"]
        start_period = _seconds(health.get("start_period"), 0.0)
        timeout = _seconds(health.get("timeout"), 30.0)
        unhealthy_after = start_period + int(health.get("retries", 3)) * _seconds(health.get("interval"), 30.0)
        env = {**self.base_env(), **self._health_env.get(name, {})}
        started = time.monotonic()
        last = ""
        listening = list(self.ports.get(name, {}).values())
        while True:
            if self._aborting:
                raise RehearsalFailed(name, "stopped: another step failed")
            if not process.alive():
                raise RehearsalFailed(
                    name,
                    f"exited {process.popen.returncode} before its health check passed "
                    f"(compose would restart it, in a loop):\n{process.tail()}",
                )
            pause = 1.0
            if listening and not any(_listens(port) for port in listening):
                last, pause = "nothing listens on its ports yet", 0.2  # no check (a JVM, for Kafka) spent on it
            else:
                try:
                    done = subprocess.run(check, capture_output=True, text=True, env=env, timeout=timeout)
                except subprocess.TimeoutExpired:
                    last = f"the check took longer than its timeout ({timeout:.0f}s)"
                else:
                    if done.returncode == 0:
                        if self.kind(name) == "kafka" and self._archive_pending and self._archive_pending.is_file():
                            os.replace(self._archive_pending, _tools_archive())
                        took = time.monotonic() - started
                        if took > start_period:
                            self.late[name] = took
                        self._done(
                            f"{name}: healthy after {took:.0f}s (start_period {start_period:.0f}s"
                            + (
                                ", passed late: compose counted failed checks against its retries)"
                                if took > start_period
                                else ")"
                            )
                        )
                        return
                    last = (done.stderr or done.stdout)[-500:]
            if time.monotonic() - started > unhealthy_after:
                raise RehearsalFailed(
                    name,
                    f"unhealthy: the health check did not pass within start_period and "
                    f"{health.get('retries', 3)} retries ({unhealthy_after:.0f}s): "
                    f"{last}\n{process.tail()}",
                )
            time.sleep(pause)

    def _wait(self, ready: Callable[[], bool], timeout: float, process: Process, message: str) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            if not process.alive() or time.monotonic() > deadline:
                raise RehearsalFailed(process.name, f"{message}\n{process.tail()}")
            time.sleep(0.2)

    # -- checking -------------------------------------------------------------------------------------------------

    def url(self, name: str) -> str:
        (port,) = self.ports[name].values()
        return f"http://127.0.0.1:{port}"

    def call(self, name: str, method: str, path: str, body: dict | None = None) -> tuple[int, typing.Any]:
        """One HTTP call to a service's API, as the role that operates it."""
        request = urllib.request.Request(  # noqa: S310
            self.url(name) + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.api_keys[f'API_KEY_{name.upper()}']}",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def journey(self) -> dict:
        """One participant recruited through recruitment's API reaches reporting's indicators through Kafka."""
        status, before = self.call("reporting", "GET", "/indicators")
        if status != 200:
            raise RehearsalFailed("journey", f"reporting GET /indicators answered {status}: {before}")
        form = {
            "pesel": _rehearsal_pesel(),
            "first_name": "Próba",
            "last_name": "Generalna",
            "email": "proba@example.org",
            "county": "rybnicki",
            "labour_market_status": "unemployed",
            "disability": False,
            "at_risk_of_exclusion": True,
            "at_risk_categories": ["unemployed"],
            "consent": True,
        }
        status, created = self.call("recruitment", "POST", "/participants", form)
        if status != 201:
            raise RehearsalFailed("journey", f"recruitment POST /participants answered {status}: {created}")
        deadline = time.monotonic() + JOURNEY_TIMEOUT
        while True:
            status, now = self.call("reporting", "GET", "/indicators")
            if status == 200 and now["people_supported"] == before["people_supported"] + 1:
                break
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {n}\n{p.tail(8)}" for n, p in self.processes.items() if self.kind(n) == "app")
                raise RehearsalFailed(
                    "journey",
                    f"reporting did not count the participant within "
                    f"{JOURNEY_TIMEOUT:.0f}s (people_supported {now}):\n{logs}",
                )
            time.sleep(0.5)
        self._done(
            "journey: a participant recruited through recruitment reached reporting's indicators "
            "(through the services' SCRAM principals and database roles)"
        )
        return {"participant": created, "people_supported": now["people_supported"]}

    def scrape_targets(self) -> list[str]:
        """Every target Prometheus's configuration (as compose mounts it) names answers with metrics."""
        import yaml

        prometheus = self.compose["services"].get("prometheus")
        if prometheus is None:
            return []
        config_path = self.host_path("prometheus", "/etc/prometheus/prometheus.yml")
        config = yaml.safe_load(Path(config_path).read_text())
        answered = []
        for job in config.get("scrape_configs", []):
            path = job.get("metrics_path", "/metrics")
            for static in job.get("static_configs", []):
                for target in static.get("targets", []):
                    address = self.translate("prometheus", target)
                    try:
                        with urllib.request.urlopen(f"http://{address}{path}", timeout=10) as response:
                            body = response.read().decode(errors="replace")
                    except (urllib.error.URLError, OSError) as exc:
                        raise RehearsalFailed(
                            "prometheus", f"target {target} ({job['job_name']}) does not answer: {exc}"
                        ) from exc
                    if "# TYPE" not in body:
                        raise RehearsalFailed("prometheus", f"target {target} answers without metrics")
                    answered.append(target)
        self._done(f"prometheus: its {len(answered)} scrape targets answer with metrics ({', '.join(answered)})")
        return answered

    def not_rehearsed(self) -> list[str]:
        """What only a real `docker compose up` shows, from what this compose file actually uses."""
        services = self.compose["services"]

        def used(key: str) -> list[str]:
            return sorted(n for n, s in services.items() if s.get(key))

        notes = [
            (
                "networks: every container here shares the host's loopback (hostnames mapped to ports); "
                "compose's network, its DNS names and what cannot reach what are not exercised"
            ),
            (
                f"volumes: {', '.join(self.compose.get('volumes') or {}) or 'none'} are temporary folders; "
                "ownership, persistence across restarts and bind-mount permissions are not exercised"
            ),
            (
                f"image builds: {SERVICE_DOCKERFILE} is not built; the services run from this machine's "
                "virtualenv, as the current user (not the image's USER), with the Dockerfile's ENV and CMD"
            ),
            "images: "
            + ", ".join(sorted({str(s["image"]) for s in services.values() if "image" in s and "build" not in s}))
            + " are not pulled; PostgreSQL and Apache Kafka run from installed/fetched binaries",
        ]
        for key, what in (
            ("read_only", "read-only root filesystems"),
            ("cap_drop", "dropped capabilities"),
            ("security_opt", "security options (no-new-privileges)"),
            ("tmpfs", "tmpfs mounts"),
            ("ports", "published ports (and OWES_BIND_ADDRESS)"),
            ("restart", ("restart policies (except the init jobs' retries)")),
            ("logging", "logging drivers and rotation"),
            ("stop_grace_period", "stop grace periods"),
        ):
            if used(key):
                notes.append(f"{what}: {', '.join(used(key))}")
        unsupported = [n for n in self.services() if self.kind(n) == "unsupported"]
        profiled = [n for n, s in services.items() if s.get("profiles")]
        if unsupported:
            notes.append(f"not started at all: {', '.join(unsupported)} (their images only)")
        if profiled:
            notes.append(
                f"profile services not started: {', '.join(profiled)} (their configuration's targets are "
                "checked instead)"
            )
        notes.append("health checks run every second instead of their interval, once something listens")
        if self.late:
            notes.append(
                "passed their health check only after start_period here (a slower machine, or a start-up "
                "that needs a longer start_period): "
                + ", ".join(f"{n} ({t:.0f}s)" for n, t in sorted(self.late.items()))
            )
        notes.append(
            f"Kafka's tools (init jobs, health check) start their JVMs with {TOOL_JVM_OPTS} and a "
            "class-data archive when compose sets no KAFKA_OPTS"
        )
        if self._pg_version:
            notes.append(
                f"PostgreSQL: this machine's {self._pg_version} stands in for the image's "
                f"{services.get('postgres', {}).get('image', '?')}"
            )
        return notes

    def _done(self, what: str) -> None:
        self.steps.append(what)
        self.say(f"  ok  {what}  [{time.monotonic() - self._started:.0f}s]")

    def stop(self) -> None:
        """Stops every process it started: the services together, then Kafka, then PostgreSQL (as compose stops
        dependents before what they depend on)."""

        def tier(name: str) -> int:
            kind = self.kind(name) if name in self.compose.get("services", {}) else "postgres"
            return {"app": 0, "kafka-job": 0, "kafka": 1, "postgres": 2}.get(kind, 3)

        for level in range(4):
            group = [p for n, p in self.processes.items() if tier(n) == level]
            for process in group:
                process.send(signal.SIGINT if level == 2 else signal.SIGTERM)
            for process in group:
                process.stop(sig=None)
        self.processes.clear()
        if self._pg_root is not None:
            shutil.rmtree(self._pg_root, ignore_errors=True)
            self._pg_root = None

    def __enter__(self) -> typing.Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _rehearsal_pesel() -> str:
    """A valid PESEL of a random person born on 1 January 1990 (the rehearsal's one participant)."""
    body = f"900101{secrets.randbelow(10000):04d}"
    digits = [int(c) for c in body]
    check = (10 - sum(w * d for w, d in zip((1, 3, 7, 9, 1, 3, 7, 9, 1, 3), digits, strict=True)) % 10) % 10
    return body + str(check)


@contextlib.contextmanager
def rehearsed(root: Path, workdir: Path, *, say: Callable[[str], None] = print) -> Iterator[Rehearsal]:
    """The whole rehearsal up to (not including) the journey, kept running inside the block."""
    rehearsal = Rehearsal(root=root, workdir=workdir, say=say)
    try:
        rehearsal.up()
        yield rehearsal
    finally:
        rehearsal.stop()


def rehearse(root: Path, workdir: Path, *, say: Callable[[str], None] = print) -> Rehearsal:
    """Everything: start, health checks, the journey, the scrape targets; stops all at the end. Raises
    RehearsalFailed at the first failing step."""
    with rehearsed(root, workdir, say=say) as rehearsal:
        rehearsal.journey()
        rehearsal.scrape_targets()
    return rehearsal


def cmd_rehearse(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    missing = [n for n in ("docker-compose.yml", ".env.example") if not (root / n).is_file()]
    if missing:
        print(f"owes compose rehearse: no {' or '.join(missing)} in {root} (--root names the folder)", file=sys.stderr)
        return 2
    keep = args.workdir is not None
    workdir = Path(args.workdir).resolve() if keep else Path(tempfile.mkdtemp(prefix="owes-rehearsal-"))
    print(f"Rehearsing {root / 'docker-compose.yml'} without Docker (logs in {workdir}) ...", flush=True)
    rehearsal = Rehearsal(root=root, workdir=workdir, say=lambda line: print(line, flush=True))
    try:
        try:
            rehearsal.up()
            rehearsal.journey()
            rehearsal.scrape_targets()
        finally:
            rehearsal.stop()
    except RehearsalFailed as exc:
        print(f"FAILED  {exc.step}: {exc.detail}", file=sys.stderr, flush=True)
        print(f"(logs in {workdir})", file=sys.stderr)
        return 1
    print("Passed. Not rehearsed (only a real `docker compose up` shows these):")
    for note in rehearsal.not_rehearsed():
        print(f"  - {note}")
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


def add_compose_parser(sub: argparse._SubParsersAction) -> None:
    compose = sub.add_parser("compose", help="docker-compose without Docker")
    actions = compose.add_subparsers(dest="compose_command", required=True)
    rehearse_cmd = actions.add_parser(
        "rehearse",
        help="run docker-compose.yml's services as processes with its own commands and environment "
        "(PostgreSQL, Apache Kafka, init jobs, the four services), drive one participant through "
        "them, and say what only a real `docker compose up` can show",
    )
    rehearse_cmd.add_argument(
        "--root",
        default=".",
        help="folder with docker-compose.yml, .env.example and deploy/ (default: the current folder)",
    )
    rehearse_cmd.add_argument(
        "--workdir",
        default=None,
        help="keep the generated .env, data and logs here (default: a temporary folder, removed after a pass)",
    )
    rehearse_cmd.set_defaults(func=cmd_rehearse)
