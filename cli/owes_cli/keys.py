"""`owes keys new`: make an API key for a principal and the settings entry that lets it in."""

from __future__ import annotations

import argparse

from owes_service.auth import InvalidCredentialEntry, credential_line, generate_api_key, parse_credential

SERVICES = ("recruitment", "advisory", "grants", "reporting")


def cmd_keys_new(args: argparse.Namespace) -> int:
    key = generate_api_key()
    line = credential_line(args.principal, args.role, key)
    try:
        parse_credential(line)
    except InvalidCredentialEntry as exc:
        print(f"error: {exc}")
        return 2
    services = [args.service] if args.service else _services_for(args.role)
    print(f"API key for {args.principal} ({args.role}); shown once, hand it over privately:")
    print(f"  {key}")
    print("Settings entry (only the hash; append it, comma-separated, to the service's API_KEYS):")
    print(f"  {line}")
    for service in services:
        print(f'  e.g. {service.upper()}_API_KEYS="{line}"')
    print("The caller sends:  Authorization: Bearer <key>")
    return 0


def _services_for(role: str) -> list[str]:
    if role.startswith("partner:") and role.removeprefix("partner:") in SERVICES:
        return [role.removeprefix("partner:")]
    if role == "lead":
        return ["reporting"]
    return list(SERVICES)


def add_keys_parser(sub) -> None:
    keys = sub.add_parser("keys", help="API keys for the services' HTTP APIs")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True)
    new = keys_sub.add_parser("new", help="make a key; print it and the hashed settings entry")
    new.add_argument("--principal", required=True, help="who holds the key, e.g. zory")
    new.add_argument("--role", required=True, help="partner:<service>, lead or integrator")
    new.add_argument("--service", choices=SERVICES, default=None, help="the service the entry goes to")
    new.set_defaults(func=cmd_keys_new)
