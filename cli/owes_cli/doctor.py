"""`owes doctor`: what this machine has and lacks for `owes up` and the tests, and the one command that fixes it.

Every check says what it found; a missing thing comes with one command to run. A check is *required* for a
purpose (`--for up`, `--for tests`) when that purpose fails without it; *optional* things (Chromium, kcat) only
make some tests skip. The exit code is 1 when something required for the chosen purpose is missing, so
scripts/test can stop before a run that cannot pass and print why.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from . import kafka, postgres

PURPOSES = ("up", "tests")
MIN_PYTHON = (3, 11)
MIN_JAVA = 17
# Room the venv, Kafka's jars, a test run's throwaway clusters and the data folder need, with some slack.
MIN_FREE_BYTES = {"up": 500 * 2**20, "tests": 2 * 2**30}


@dataclass
class Check:
    name: str
    ok: bool
    found: str
    fix: str | None = None  # one command that makes this check pass
    needed_by: tuple[str, ...] = ()  # purposes that fail without it; empty: optional

    def required_for(self, purpose: str) -> bool:
        return (purpose == "all" and bool(self.needed_by)) or purpose in self.needed_by


def apt(package: str) -> str:
    """The install command for a Debian package, with sudo when not root."""
    prefix = "" if os.geteuid() == 0 else "sudo "
    return f"{prefix}apt-get install -y {package}"


def _run(cmd: list[str]) -> str | None:
    """The command's combined output, or None when it cannot run."""
    try:
        # the tools' own paths, found on PATH or in PostgreSQL's bin folder: no user input
        done = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout + done.stderr).strip() if done.returncode == 0 else None


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info[:2] >= MIN_PYTHON
    return Check(
        "Python",
        ok,
        f"{version} ({sys.executable})" if ok else f"{version}: 3.11 or newer is needed",
        None if ok else f"{apt('python3.11 python3.11-venv')} && rm -rf .venv && scripts/setup",
        ("up", "tests"),
    )


def _tests_broker() -> tuple[bool, str]:
    """Whether the tests will run Apache Kafka here (needing Java and the cache), and why not if they will not."""
    if os.environ.get("OWES_TEST_KAFKA_BOOTSTRAP"):
        return False, f"tests use the cluster at OWES_TEST_KAFKA_BOOTSTRAP={os.environ['OWES_TEST_KAFKA_BOOTSTRAP']}"
    if os.environ.get("OWES_TEST_TESTCONTAINERS") == "1":
        return False, "tests start Apache Kafka in a container (OWES_TEST_TESTCONTAINERS=1)"
    if os.environ.get("OWES_TEST_BROKER") == "tansu":
        return False, "tests use the embedded Tansu broker (OWES_TEST_BROKER=tansu)"
    return True, ""


def check_java() -> Check:
    needed, why_not = _tests_broker()
    needed_by = ("tests",) if needed else ()
    java = shutil.which(os.environ.get("JAVA", "java"))
    fix = apt(f"openjdk-{MIN_JAVA}-jre-headless")
    if java is None:
        found = (
            "no java on PATH: Apache Kafka needs Java 17+; without it `owes up` runs the embedded Tansu (log in "
            "memory) and the tests need OWES_TEST_BROKER=tansu"
        )
        return Check("Java", False, found + (f" ({why_not})" if why_not else ""), fix, needed_by)
    out = _run([java, "-version"]) or ""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(match.group(1)) if match else 0
    if major == 1 and match and match.group(2):  # "1.8" style
        major = int(match.group(2))
    if major < MIN_JAVA:
        return Check(
            "Java",
            False,
            f"{java} is Java {major or '?'}: Apache Kafka {kafka.KAFKA_VERSION} needs {MIN_JAVA} or newer",
            fix,
            needed_by,
        )
    return Check("Java", True, f"Java {major} ({java})", None, needed_by)


def check_kafka_cache() -> Check:
    needed, why_not = _tests_broker()
    needed_by = ("tests",) if needed else ()
    home = kafka.home()
    fetch = f"{sys.executable} -c 'from owes_cli.kafka import fetch; fetch(quiet=False)'"
    if kafka.is_fetched():
        return Check("Apache Kafka", True, f"{kafka.KAFKA_VERSION} fetched in {home}", None, needed_by)
    if shutil.which("mvn"):
        return Check(
            "Apache Kafka",
            True,
            f"{kafka.KAFKA_VERSION} not fetched yet; the first test run fetches it "
            f"into {home} through Maven (or now: {fetch})",
            None,
            needed_by,
        )
    return Check(
        "Apache Kafka",
        False,
        f"{kafka.KAFKA_VERSION} not in {home}, and fetching it needs Maven" + (f" ({why_not})" if why_not else ""),
        apt("maven"),
        needed_by,
    )


def check_maven() -> Check:
    mvn = shutil.which("mvn")
    if kafka.is_fetched():
        return Check("Maven", True, mvn or "not installed; not needed while Apache Kafka is fetched")
    needed, _ = _tests_broker()
    return Check(
        "Maven",
        mvn is not None,
        mvn or "not installed: it fetches Apache Kafka's jars once",
        None if mvn else apt("maven"),
        ("tests",) if needed else (),
    )


def check_postgres() -> Check:
    if os.environ.get("OWES_TEST_POSTGRES_URL"):
        return Check("PostgreSQL", True, "tests use OWES_TEST_POSTGRES_URL", None)
    if os.environ.get("OWES_TEST_TESTCONTAINERS") == "1":
        return Check("PostgreSQL", True, "tests start PostgreSQL in a container (OWES_TEST_TESTCONTAINERS=1)", None)
    bindir = postgres.find_bindir()
    if bindir is None:
        return Check(
            "PostgreSQL",
            False,
            "no initdb/postgres binaries: the tests run a throwaway server from them",
            apt("postgresql"),
            ("tests",),
        )
    version = _run([str(bindir / "postgres"), "--version"]) or "version unknown"
    return Check("PostgreSQL", True, f"{version} ({bindir})", None, ("tests",))


def check_chromium() -> Check:
    found = shutil.which("chromium") or next((p for p in ("/usr/bin/chromium",) if os.path.exists(p)), None)
    if found:
        return Check("Chromium", True, found)
    return Check("Chromium", False, "not installed: the dashboard's browser test will be skipped", apt("chromium"))


def check_kcat() -> Check:
    found = shutil.which("kcat") or shutil.which("kafkacat")
    if found:
        return Check("kcat", True, found)
    return Check("kcat", False, "not installed: the integrator's kcat test will be skipped", apt("kcat"))


def _listener(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def check_ports(ports: list[int], data_dir: Path) -> Check:
    busy = [p for p in ports if _listener(p)]
    shown = f"{ports[0]}" if len(ports) == 1 else ", ".join(map(str, ports))
    if not busy:
        return Check("Free ports", True, f"{shown} free", None, ("up",))
    from .status import running_pid

    pid = running_pid(data_dir)
    if pid is not None:
        return Check(
            "Free ports",
            True,
            f"{', '.join(map(str, busy))} in use by the running `owes up` (pid {pid}, data folder {data_dir})",
            None,
            ("up",),
        )
    return Check(
        "Free ports",
        False,
        f"in use: {', '.join(map(str, busy))}",
        f"ss -ltnp '( sport = :{busy[0]} )'   # see who listens; or start with scripts/up --kafka-port N --base-port M",
        ("up",),
    )


def check_disk(paths: list[Path], purpose: str) -> Check:
    need = max(MIN_FREE_BYTES.values()) if purpose == "all" else MIN_FREE_BYTES.get(purpose, 0)
    lines, ok, fix = [], True, None
    seen: set[int] = set()
    for path in paths:
        existing = next(p for p in [path, *path.parents] if p.exists())
        device = existing.stat().st_dev
        if device in seen:
            continue
        seen.add(device)
        free = shutil.disk_usage(existing).free
        lines.append(f"{free / 2**30:.1f} GiB free at {existing}")
        if free < need:
            ok, fix = False, f"df -h {existing}   # free at least {need / 2**30:.1f} GiB there"
    return Check("Disk space", ok, "; ".join(lines), fix, ("up", "tests"))


def check_data_permissions(data_dir: Path) -> Check:
    """The data folder holds personal data (recruitment's database) and API keys: only its owner may read it."""
    if not data_dir.exists():
        return Check(
            "Data folder", True, f"{data_dir} not created yet (`owes up` creates it, owner-only)", None, ("up",)
        )
    mode = data_dir.stat().st_mode
    if not mode & 0o077:  # what is inside is out of others' reach whatever its own mode
        return Check("Data folder", True, f"{data_dir}: owner-only ({stat.filemode(mode)})", None, ("up",))
    # the folder is open: say which files others can read (the databases, the API keys)
    exposed = [p.name for p in sorted(data_dir.iterdir()) if p.is_file() and p.stat().st_mode & 0o044]
    shown = ", ".join(exposed[:5]) + (f" and {len(exposed) - 5} more" if len(exposed) > 5 else "")
    found = f"{data_dir} is {stat.filemode(mode)}, not owner-only" + (f": others may read {shown}" if shown else "")
    return Check("Data folder", False, found, f"chmod -R go-rwx {data_dir}", ("up",))


def run_checks(purpose: str, *, data_dir: Path, kafka_port: int, base_port: int) -> list[Check]:
    # Java for `owes up` too: with it, up runs Apache Kafka (log on disk); without, the embedded Tansu (in memory)
    checks = [check_python(), check_java()]
    if purpose in ("tests", "all"):
        checks += [check_kafka_cache(), check_maven(), check_postgres(), check_chromium(), check_kcat()]
    if purpose in ("up", "all"):
        checks += [check_ports([kafka_port, *range(base_port, base_port + 4)], data_dir)]
    disk_paths = [Path.cwd(), data_dir, kafka.cache_dir()] if purpose != "up" else [Path.cwd(), data_dir]
    checks.append(check_disk(disk_paths, purpose))
    if purpose in ("up", "all"):
        checks.append(check_data_permissions(data_dir))
    return checks


def render(checks: list[Check], purpose: str) -> str:
    lines = [f"owes doctor: what {'`owes up` and the tests need' if purpose == 'all' else _purpose_name(purpose)}"]
    for c in checks:
        if c.ok:
            label = "ok"
        elif c.required_for(purpose):
            label = "MISSING"
        else:
            label = "optional"
        lines.append(f"  {label:<9}{c.name:<14}{c.found}")
        if not c.ok and c.fix:
            lines.append(f"  {'':<9}{'':<14}fix: {c.fix}")
    missing = [c for c in checks if not c.ok and c.required_for(purpose)]
    if missing:
        lines.append(
            f"{len(missing)} required thing(s) missing ({', '.join(c.name for c in missing)}): run the "
            f"command under each, then `owes doctor` again."
        )
    else:
        lines.append("Everything required is here.")
    return "\n".join(lines)


def _purpose_name(purpose: str) -> str:
    return {"up": "`owes up` needs", "tests": "the tests need"}[purpose]


def cmd_doctor(args: argparse.Namespace) -> int:
    checks = run_checks(
        args.purpose, data_dir=Path(args.data_dir).resolve(), kafka_port=args.kafka_port, base_port=args.base_port
    )
    missing = [c for c in checks if not c.ok and c.required_for(args.purpose)]
    if args.json:
        print(
            json.dumps(
                {
                    "purpose": args.purpose,
                    "ok": not missing,
                    "checks": [asdict(c) | {"required": c.required_for(args.purpose)} for c in checks],
                },
                indent=2,
            )
        )
    else:
        print(render(checks, args.purpose))
    return 1 if missing else 0


def add_doctor_parser(sub) -> None:
    """Add `owes doctor` to the command's subparsers."""
    doctor = sub.add_parser(
        "doctor", help="check what this machine has for `owes up` and the tests, and how to fix what it lacks"
    )
    doctor.add_argument(
        "--for",
        dest="purpose",
        choices=(*PURPOSES, "all"),
        default="all",
        help="check what `owes up` needs, what the tests need, or both (default)",
    )
    doctor.add_argument("--data-dir", default=".owes", help="the data folder of `owes up` (default .owes)")
    doctor.add_argument("--kafka-port", type=int, default=9092)
    doctor.add_argument("--base-port", type=int, default=8001)
    doctor.add_argument("--json", action="store_true", help="machine-readable output")
    doctor.set_defaults(func=cmd_doctor)
