"""A throwaway PostgreSQL server from the installed binaries, for tests and rehearsals on a machine with none running.

initdb refuses to run as root, so as root the cluster is created and run as an unprivileged system user (the
`postgres` user Debian's packages create, or OWES_PG_USER) in a data folder that user owns. As an ordinary user it
runs as that user. The server listens on 127.0.0.1 only, with trust authentication for local connections, fsync off
(the data is thrown away), and is stopped (fast shutdown) and its folder removed at the end.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from .embedded import free_port, wait_for_port


def find_bindir() -> Path | None:
    """The newest installed PostgreSQL's bin folder (pg_config's answer first, then Debian's layout)."""
    candidates: list[Path] = []
    explicit = os.environ.get("OWES_PG_BINDIR")
    if explicit:
        candidates.append(Path(explicit))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=True).stdout
            candidates.append(Path(out.strip()))
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True)
    candidates += [Path(p) for p in debian]
    for name in ("initdb", "postgres"):
        found = shutil.which(name)
        if found:
            candidates.append(Path(os.path.realpath(found)).parent)
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "postgres").is_file():
            return bindir
    return None


class ThrowawayPostgres:
    """initdb + postgres on a free loopback port; `url` is a superuser connection URL (user postgres, trust)."""

    def __init__(self, port: int | None = None, *, run_as: str | None = None) -> None:
        self.port = port or free_port()
        self.bindir = find_bindir()
        if self.bindir is None:
            raise RuntimeError("no PostgreSQL binaries found (apt-get install postgresql, or set OWES_PG_BINDIR)")
        self.run_as = run_as or (os.environ.get("OWES_PG_USER", "postgres") if os.geteuid() == 0 else None)
        self.root: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _demote(self):  # type: ignore[no-untyped-def]
        if self.run_as is None:
            return None
        user = pwd.getpwnam(self.run_as)

        def demote() -> None:
            os.setgid(user.pw_gid)
            os.initgroups(self.run_as, user.pw_gid)  # type: ignore[arg-type]
            os.setuid(user.pw_uid)

        return demote

    def start(self) -> ThrowawayPostgres:
        assert self.bindir is not None
        self.root = Path(tempfile.mkdtemp(prefix="owes-pg-"))
        data, sockets = self.root / "data", self.root / "run"
        sockets.mkdir()
        if self.run_as is not None:
            user = pwd.getpwnam(self.run_as)
            for path in (self.root, sockets):
                os.chown(path, user.pw_uid, user.pw_gid)
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        init = subprocess.run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            preexec_fn=self._demote(),
            env=env,
            cwd=self.root,
        )
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
        with open(self.root / "postgres.log", "ab") as log:  # the server keeps its own copy
            self.process = subprocess.Popen(
                [
                    str(self.bindir / "postgres"),
                    "-D",
                    str(data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(sockets),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=300",
                    "-c",
                    "shared_buffers=128MB",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=self._demote(),
                env=env,
                cwd=self.root,
                start_new_session=True,
            )
        try:
            wait_for_port(self.port, timeout=30)
            self._wait_until_accepting()
        except Exception:
            self.stop()
            raise
        return self

    def _wait_until_accepting(self, timeout: float = 30.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline or (self.process and self.process.poll() is not None):
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def answers(url: str) -> bool:
    """Whether a PostgreSQL server accepts a connection at this URL."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False
