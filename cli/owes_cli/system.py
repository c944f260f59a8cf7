"""The whole system on one machine: the embedded broker and the four services as processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .embedded import EmbeddedBroker, wait_for_port

SERVICES = ("recruitment", "advisory", "grants", "reporting")


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
        }

    def start(self) -> LocalSystem:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.external_bootstrap is None:
            self.broker = EmbeddedBroker(self.kafka_port, log_path=self.data_dir / "broker.log").start()
        for index, name in enumerate(SERVICES):
            self.start_service(name, self.base_port + index)
        for svc in self.services:
            wait_for_port(svc.port, timeout=60)
        return self

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
