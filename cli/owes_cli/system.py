"""The whole system on one machine: the embedded broker and the four services as processes."""

from __future__ import annotations

import json
import os
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
PRINCIPALS = {"partner:recruitment": "jastrzebie-zdroj", "partner:advisory": "zory", "partner:grants": "rybnik",
              "lead": "lead", "integrator": "integrator"}
OPERATORS = {"recruitment": "partner:recruitment", "advisory": "partner:advisory", "grants": "partner:grants",
             "reporting": "lead"}


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

    @property
    def bootstrap_servers(self) -> str:
        return self.external_bootstrap or self.broker.bootstrap_servers

    def service_env(self, name: str) -> dict[str, str]:
        prefix = name.upper()
        return {
            f"{prefix}_DATABASE_URL": f"sqlite+aiosqlite:///{self.data_dir / f'{name}.db'}",
            f"{prefix}_KAFKA__BOOTSTRAP_SERVERS": self.bootstrap_servers,
            f"{prefix}_KAFKA__ENABLE_IDEMPOTENCE": "false" if self.external_bootstrap is None else "true",
            f"{prefix}_TOPIC_NAMESPACE": self.namespace,
            f"{prefix}_API_KEYS": ",".join(credential_line(PRINCIPALS[role], role, key)
                                           for role, key in self.load_api_keys().items()),
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
            lines.append(f"    e.g. curl -H 'Authorization: Bearer {keys['partner:recruitment']}' "
                         f"{recruitment.url}/participants/<id>")
        lines.append("    the dashboard asks for a user and password: user lead, password the lead's key")
        return lines

    def start(self) -> LocalSystem:
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # personal data and keys: owner-only
        if self.external_bootstrap is None:
            self.broker = EmbeddedBroker(self.kafka_port, log_path=self.data_dir / "broker.log").start()
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
        write_state(self.data_dir, {
            "pid": os.getpid(), "namespace": self.namespace,
            "broker": {"kind": kind, "bootstrap_servers": self.bootstrap_servers},
            "services": {s.name: {"url": s.url,
                                  "database": describe_database(env[f"{s.name.upper()}_DATABASE_URL"])}
                         for s in self.services},
        })

    def start_service(self, name: str, port: int) -> ServiceProcess:
        env = {**os.environ, **self.service_env(name), **self.extra_env}
        log = open(self.data_dir / f"{name}.log", "ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", f"{name}.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(port), "--timeout-graceful-shutdown", "15", "--no-access-log"],
            env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.data_dir, start_new_session=True,
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

    def stop(self) -> None:
        for svc in self.services:
            if svc.process.poll() is None:
                svc.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for svc in self.services:
            try:
                svc.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                svc.process.kill()
        if self.broker:
            self.broker.stop()
        (self.data_dir / "system.json").unlink(missing_ok=True)
