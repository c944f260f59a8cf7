"""The `owes` command: run the embedded system, and operate it."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from .system import LocalSystem


def cmd_up(args: argparse.Namespace) -> int:
    system = LocalSystem(data_dir=Path(args.data_dir).resolve(), kafka_port=args.kafka_port,
                         base_port=args.base_port, external_bootstrap=args.bootstrap_servers)
    stopping = False

    def on_signal(_sig, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"Starting OWES Mesh (data and logs in {system.data_dir}) ...", flush=True)
    try:
        system.start()
    except Exception as exc:
        print(f"start-up failed: {exc}; see the logs in {system.data_dir}", file=sys.stderr)
        system.stop()
        return 1
    print(f"  kafka        {system.bootstrap_servers}")
    for svc in system.services:
        print(f"  {svc.name:<12} {svc.url}  (API docs {svc.url}/docs)")
    print(f"  dashboard    {system.service('reporting').url}/dashboard")
    print("Press Ctrl-C to stop.", flush=True)
    while not stopping:
        dead = [s.name for s in system.services if s.process.poll() is not None]
        if dead:
            print(f"service(s) exited: {', '.join(dead)}; see {system.data_dir}/<name>.log", file=sys.stderr)
            break
        time.sleep(0.5)
    print("Stopping ...", flush=True)
    system.stop()
    print("Stopped.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="owes", description="OWES Mesh command-line tool")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the embedded broker and the four services")
    up.add_argument("--data-dir", default=".owes", help="where databases and logs go (default .owes)")
    up.add_argument("--kafka-port", type=int, default=9092)
    up.add_argument("--base-port", type=int, default=8001, help="recruitment, advisory, grants, reporting from here")
    up.add_argument("--bootstrap-servers", default=None, help="use this Kafka cluster instead of the embedded broker")
    up.set_defaults(func=cmd_up)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
