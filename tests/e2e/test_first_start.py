"""The first five minutes, as a new user has them: a fresh clone, `scripts/up`, Ctrl-C, `scripts/up` again.

The first start creates the venv and installs everything (from the package index: no venv is reused); the
second finds nothing changed and skips the install. Neither prints a warning, on the terminal or in a service's
log: every warning a start used to print (setuptools' editable-install blocks, FastStream's topic reminder) was
one the user could do nothing about.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest

from helpers import port_run
from owes_cli.embedded import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800)]

REPO = Path(__file__).resolve().parents[2]
READY = "Press Ctrl-C to stop."
SKIPPED = "setup: .venv is up to date, skipping install"
WARNING = re.compile(r"warn|deprecat", re.IGNORECASE)
SERVICES = ("recruitment", "advisory", "grants", "reporting")


def user_env() -> dict[str, str]:
    """The environment of a user's shell: nothing of this test run's venv or settings."""
    prefixes = ("OWES_", "VIRTUAL_ENV", "PYTHON", *(f"{s.upper()}_" for s in SERVICES))
    env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    venv_bin = str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    return env


def start_and_stop(clone: Path, data: Path, transcript: Path, *, timeout: float) -> str:
    """Run scripts/up until it says it is ready, press Ctrl-C, and return everything it printed."""
    with open(transcript, "wb") as out:
        process = subprocess.Popen(
            [
                str(clone / "scripts" / "up"),
                "--data-dir",
                str(data),
                "--kafka-port",
                str(free_port()),
                "--base-port",
                str(port_run(4)),
            ],
            cwd=clone,
            env=user_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while READY not in transcript.read_text(errors="replace"):
                assert process.poll() is None, f"scripts/up exited {process.returncode}:\n{transcript.read_text()}"
                assert time.monotonic() < deadline, f"not ready after {timeout:.0f} s:\n{transcript.read_text()}"
                time.sleep(1)
            process.send_signal(signal.SIGINT)  # scripts/up exec-s `owes up`: the pid is its
            assert process.wait(timeout=90) == 0, transcript.read_text()
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    return transcript.read_text(errors="replace")


def warnings_in(output: str, data: Path) -> list[str]:
    lines = [f"terminal: {line}" for line in output.splitlines() if WARNING.search(line)]
    for name in SERVICES:
        log = data / f"{name}.log"
        lines += [
            f"{log.name}: {line}" for line in log.read_text(errors="replace").splitlines() if WARNING.search(line)
        ]
    return lines


def test_two_starts_from_a_fresh_clone(tmp_path):
    clone = tmp_path / "owes-mesh"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=300)
    assert not (clone / ".venv").exists()

    first = start_and_stop(clone, tmp_path / "data-1", tmp_path / "first.txt", timeout=1500)
    assert "setup: [1/3] creating .venv" in first and "setup: [3/3] installing " in first
    assert "Successfully installed" in first  # pip's own progress is shown for the long step
    assert warnings_in(first, tmp_path / "data-1") == []

    second = start_and_stop(clone, tmp_path / "data-2", tmp_path / "second.txt", timeout=300)
    assert second.splitlines()[0] == f"{SKIPPED} (scripts/setup --force reinstalls)"
    assert "installing" not in second and "Successfully installed" not in second
    assert warnings_in(second, tmp_path / "data-2") == []

    # a dependency that changes (here: a package's pyproject.toml) makes an install due again; undone, it is not
    pyproject = clone / "cli" / "pyproject.toml"
    original = pyproject.read_text()
    pyproject.write_text(original + "\n# a new dependency, say\n")
    due = setup_check(clone)
    assert due.returncode == 1 and "an install is due" in due.stdout, due.stdout
    pyproject.write_text(original)
    assert setup_check(clone).returncode == 0


def setup_check(clone: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(clone / "scripts" / "setup"), "--check"],
        cwd=clone,
        env=user_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
