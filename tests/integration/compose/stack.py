"""How the tests of the rehearsed compose stack connect to its broker: as the principals compose's .env defines."""

from __future__ import annotations

from owes_cli.compose import Rehearsal


def admin_options(stack: Rehearsal) -> dict:
    """aiokafka options of the admin principal compose's .env defines, on the broker's client listener."""
    return principal_options(
        stack, stack.dotenv.get("KAFKA_ADMIN_USER") or "admin", stack.dotenv["KAFKA_ADMIN_PASSWORD"]
    )


def principal_options(stack: Rehearsal, user: str, password: str) -> dict:
    return {
        "bootstrap_servers": f"127.0.0.1:{stack.ports['kafka'][9092]}",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": user,
        "sasl_plain_password": password,
    }
