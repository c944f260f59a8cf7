"""owes_contracts on its own: installed alone in a fresh virtual environment it brings pydantic and nothing else
(no FastAPI, Kafka client or database driver), and parses an event recorded from the real broker."""

from __future__ import annotations

import base64
import json
import subprocess
import venv
from pathlib import Path

from helpers import publish_events, read_topic
from owes_contracts import GrantAwarded, topic_for
from owes_contracts.envelope import CloudEvent
from owes_contracts.schemas import EXAMPLE_PARTNERS, example_payload
from owes_messaging.broker import ensure_topics
from owes_messaging.settings import KafkaSettings

ROOT = Path(__file__).resolve().parents[3]
# What pydantic itself needs, and the installers a fresh venv starts with.
ALLOWED = {
    "owes-contracts",
    "pydantic",
    "pydantic-core",
    "annotated-types",
    "typing-extensions",
    "typing-inspection",
    "pip",
    "setuptools",
    "wheel",
}

PARSE = """
import base64, importlib.metadata, importlib.util, json, sys
from owes_contracts.envelope import CloudEvent
record = json.loads(open(sys.argv[1]).read())
headers = [(k, base64.b64decode(v)) for k, v in record["headers"]]
event = CloudEvent.from_kafka(headers, base64.b64decode(record["value"]))
payload = event.payload()
print(json.dumps({
    "id": event.id, "type": event.type, "model": type(payload).__name__, "payload": payload.model_dump(mode="json"),
    "distributions": sorted(d.metadata["Name"].lower().replace("_", "-") for d in importlib.metadata.distributions()),
    "importable": [m for m in ("fastapi", "sqlalchemy", "aiokafka", "faststream", "structlog", "opentelemetry")
                   if importlib.util.find_spec(m) is not None],
}))
"""


async def test_contracts_install_alone_and_parse_a_recorded_event(kafka_bootstrap, namespace, tmp_path):
    partner = EXAMPLE_PARTNERS["grants"]
    sent = CloudEvent.record(
        GrantAwarded.model_validate(example_payload(GrantAwarded)), source=f"/owes/{partner}/grants", partner=partner
    )
    topic = topic_for("grants", namespace)
    await ensure_topics(KafkaSettings(bootstrap_servers=kafka_bootstrap), [topic])
    await publish_events(kafka_bootstrap, [sent], topic=topic)
    [record] = await read_topic(kafka_bootstrap, topic)
    recorded = tmp_path / "record.json"
    recorded.write_text(
        json.dumps(
            {
                "headers": [(k, base64.b64encode(v).decode()) for k, v in record.headers],
                "value": base64.b64encode(record.value).decode(),
            }
        )
    )

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-c",
            str(ROOT / "constraints.txt"),
            str(ROOT / "libs" / "contracts"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr
    parsed = subprocess.run(
        [str(python), "-c", PARSE, str(recorded)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )  # not the repository root, so nothing is imported from the tree
    assert parsed.returncode == 0, parsed.stderr
    result = json.loads(parsed.stdout)

    assert set(result["distributions"]) <= ALLOWED, set(result["distributions"]) - ALLOWED
    assert "owes-contracts" in result["distributions"] and "pydantic" in result["distributions"]
    assert result["importable"] == []
    assert result["id"] == sent.id and result["type"] == "pl.owes.grants.GrantAwarded"
    assert result["model"] == "GrantAwarded"
    assert result["payload"] == sent.payload().model_dump(mode="json")
