"""`owes doctor` on this machine, with things taken away: it names what is missing and the command that fixes it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from owes_cli.embedded import free_port
from owes_cli.status import write_state


def doctor(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "owes_cli.main", "doctor", *args],
        capture_output=True,
        text=True,
        env=env or dict(os.environ),
        cwd=cwd,
        timeout=120,
        check=False,
    )


def without_tools(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment with an empty PATH: no java, no mvn, no kcat, no chromium on it."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("JAVA", "OWES_TEST_BROKER", "OWES_TEST_KAFKA_BOOTSTRAP", "OWES_TEST_TESTCONTAINERS")
    }
    return env | {"PATH": str(empty)} | extra


def checks_by_name(done: subprocess.CompletedProcess) -> dict[str, dict]:
    return {c["name"]: c for c in json.loads(done.stdout)["checks"]}


def test_no_java_on_path_fails_the_tests_check_and_names_the_package(tmp_path):
    done = doctor("--for", "tests", env=without_tools(tmp_path))

    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    java = next(i for i, line in enumerate(lines) if "Java" in line and "MISSING" in line)
    assert "no java on PATH" in lines[java]
    assert (
        lines[java + 1].strip() == "fix: apt-get install -y openjdk-17-jre-headless"
        or lines[java + 1].strip() == "fix: sudo apt-get install -y openjdk-17-jre-headless"
    )
    assert "required thing(s) missing (Java" in lines[-1]


def test_java_is_not_required_when_the_tests_run_on_the_embedded_broker(tmp_path):
    done = doctor("--for", "tests", "--json", env=without_tools(tmp_path, OWES_TEST_BROKER="tansu"))

    java = checks_by_name(done)["Java"]
    assert java["ok"] is False and java["required"] is False, java


def test_kafka_not_fetched_and_no_maven_says_install_maven(tmp_path):
    env = without_tools(tmp_path, OWES_KAFKA_CACHE=str(tmp_path / "no-kafka-here"))
    done = doctor("--for", "tests", "--json", env=env)

    assert done.returncode == 1
    checks = checks_by_name(done)
    assert checks["Apache Kafka"]["ok"] is False and checks["Apache Kafka"]["required"] is True
    assert checks["Apache Kafka"]["fix"].endswith("apt-get install -y maven")
    assert checks["Maven"]["ok"] is False and checks["Maven"]["required"] is True


def test_optional_tools_missing_do_not_fail(tmp_path):
    done = doctor("--for", "tests", "--json", env=without_tools(tmp_path))

    checks = checks_by_name(done)
    assert checks["kcat"]["ok"] is False and checks["kcat"]["required"] is False, checks["kcat"]
    assert checks["kcat"]["fix"].endswith("apt-get install -y kcat")
    assert checks["Chromium"]["required"] is False  # found at /usr/bin/chromium, if installed, whatever PATH says
    assert "Java" in [c["name"] for c in json.loads(done.stdout)["checks"] if not c["ok"] and c["required"]]


def test_a_port_held_by_something_else_fails_the_up_check(tmp_path):
    data = tmp_path / "data"
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        done = doctor(
            "--for", "up", "--data-dir", str(data), "--kafka-port", str(port), "--base-port", str(free_port())
        )

    assert done.returncode == 1, done.stdout
    assert f"in use: {port}" in done.stdout
    assert "--kafka-port N --base-port M" in done.stdout


def test_ports_held_by_the_running_owes_up_are_fine_and_a_stopped_one_is_not(tmp_path):
    """The same busy port: fine while the `owes up` named in system.json runs, a problem once it has stopped."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    with socket.socket() as broker_port:
        broker_port.bind(("127.0.0.1", 0))
        broker_port.listen()
        port = broker_port.getsockname()[1]
        args = (
            "--for",
            "up",
            "--json",
            "--data-dir",
            str(data),
            "--kafka-port",
            str(port),
            "--base-port",
            str(free_port()),
        )

        write_state(
            data,
            {"pid": os.getpid(), "broker": {"kind": "tansu", "bootstrap_servers": f"127.0.0.1:{port}"}, "services": {}},
        )
        running = checks_by_name(doctor(*args))["Free ports"]

        dead_pid = subprocess.Popen(["true"])  # a process that has exited: what a stopped `owes up` leaves behind
        dead_pid.wait()
        write_state(
            data,
            {
                "pid": dead_pid.pid,
                "broker": {"kind": "tansu", "bootstrap_servers": f"127.0.0.1:{port}"},
                "services": {},
            },
        )
        after_stop = checks_by_name(doctor(*args))["Free ports"]

    assert running["ok"] is True and f"pid {os.getpid()}" in running["found"], running
    assert after_stop["ok"] is False and str(port) in after_stop["found"], after_stop


def test_a_data_folder_others_can_read_fails_until_the_printed_fix_is_run(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    data.chmod(0o755)
    (data / "recruitment.db").write_bytes(b"")
    (data / "recruitment.db").chmod(0o644)
    args = (
        "--for",
        "up",
        "--json",
        "--data-dir",
        str(data),
        "--kafka-port",
        str(free_port()),
        "--base-port",
        str(free_port()),
    )

    before = checks_by_name(doctor(*args))["Data folder"]
    assert before["ok"] is False and "recruitment.db" in before["found"], before
    assert before["fix"] == f"chmod -R go-rwx {data}"

    subprocess.run(before["fix"], shell=True, check=True)
    after = checks_by_name(doctor(*args))["Data folder"]
    assert after["ok"] is True, after
    assert (data.stat().st_mode & 0o777) == 0o700


def test_everything_here_passes_for_the_tests():
    """This machine runs the suite, so what the tests require is here (the check scripts/test makes first)."""
    done = doctor("--for", "tests")

    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1] == "Everything required is here."
