"""An integrator's tool on the broker partners deploy: Debian's kcat (librdkafka, no Python, no Java) reads the events
recruitment publishes on Apache Kafka, with their CloudEvents `ce_*` headers, and writes records reporting consumes:
a well-formed ParticipantRecruited that it applies, and a malformed one that it dead-letters with the reason,
which kcat reads back from the dead-letter topic."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import uuid

import pytest

import helpers
from helpers import eventually, participant_form, running, settings_for
from owes_contracts import ParticipantRecruited, dead_letter_topic_for, topic_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

KCAT = shutil.which("kcat") or shutil.which("kafkacat")

pytestmark = [
    pytest.mark.skipif(KCAT is None, reason="kcat is not installed (scripts/test installs Debian's kcat as root)"),
    pytest.mark.skipif(helpers.test_broker() != "kafka", reason="the suite runs on the embedded Tansu here (no Java)"),
]


async def kcat(*args: str, stdin: str | None = None) -> str:
    """Run kcat as an integrator would, from the shell; fail the test with its stderr if it fails."""

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run([KCAT, *args], input=stdin, capture_output=True, text=True, timeout=60)

    done = await asyncio.to_thread(run)
    assert done.returncode == 0, f"kcat {' '.join(args)} exited {done.returncode}: {done.stderr}"
    return done.stdout


async def kcat_read(bootstrap: str, topic: str) -> list[dict]:
    """Every record of a topic, from the beginning to the end, as kcat's JSON envelope (-J) per line."""
    out = await kcat("-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-J")
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def headers_of(record: dict) -> dict[str, str]:
    """kcat -J gives headers as a flat [name, value, name, value, ...] list."""
    flat = record.get("headers") or []
    return dict(zip(flat[0::2], flat[1::2], strict=True))


def recruitment(kafka_bootstrap, database_url, namespace):
    return recruitment_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
        )
    )


def reporting(kafka_bootstrap, database_url, namespace):
    return reporting_app(
        settings_for(
            ReportingSettings,
            database_url=database_url("reporting"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
        )
    )


async def people_supported(client) -> int:
    response = await client.get("/indicators")
    assert response.status_code == 200, response.text
    return response.json()["people_supported"]


@pytest.mark.parametrize("db_backend", ["sqlite"])
class TestKcatOnApacheKafka:
    async def test_kcat_reads_participant_recruited_with_its_cloudevents_headers(
        self, kafka_bootstrap, database_url, namespace
    ):
        async with running(recruitment(kafka_bootstrap, database_url, namespace)) as rec:
            form = participant_form()
            response = await rec.post("/participants", json=form)
            assert response.status_code == 201, response.text
            participant_id = response.json()["participant_id"]

            async def on_the_topic():
                records = await kcat_read(kafka_bootstrap, topic_for("recruitment", namespace))
                assert len(records) == 1, records
                return records[0]

            record = await eventually(on_the_topic, timeout=30, interval=0.5)

        headers = headers_of(record)
        assert record["key"] == participant_id
        assert headers["ce_type"] == ParticipantRecruited.ce_type()
        assert headers["ce_specversion"] == "1.0"
        assert headers["ce_source"] == "/owes/jastrzebie-zdroj/recruitment"
        assert headers["ce_subject"] == participant_id
        assert headers["ce_schemaversion"] == "1"
        assert headers["ce_partner"] == "jastrzebie-zdroj"
        assert headers["content-type"] == "application/json"
        uuid.UUID(headers["ce_id"])
        payload = json.loads(record["payload"])
        ParticipantRecruited.model_validate(payload)
        assert payload["participant_id"] == participant_id
        # what kcat shows an integrator holds no personal data from the form
        shown = json.dumps(record, ensure_ascii=False)
        for field in ("pesel", "first_name", "last_name", "email"):
            assert form[field] not in shown, field

    async def test_kcat_writes_an_event_reporting_applies_and_a_broken_one_it_dead_letters(
        self, kafka_bootstrap, database_url, namespace
    ):
        topic = topic_for("recruitment", namespace)
        dlq = dead_letter_topic_for("reporting", namespace)
        participant_id = f"p_{uuid.uuid4().hex[:16]}"
        event_id = str(uuid.uuid4())
        payload = {
            "participant_id": participant_id,
            "recruited_on": "2026-03-02",
            "gender": "female",
            "age_band": "25-34",
            "county": "rybnicki",
            "labour_market_status": "unemployed",
            "disability": False,
            "at_risk_of_exclusion": True,
        }
        good = [
            "-H",
            f"ce_id={event_id}",
            "-H",
            "ce_source=/owes/jastrzebie-zdroj/recruitment",
            "-H",
            f"ce_type={ParticipantRecruited.ce_type()}",
            "-H",
            "ce_specversion=1.0",
            "-H",
            "ce_time=2026-03-02T09:00:00Z",
            "-H",
            f"ce_subject={participant_id}",
            "-H",
            "ce_schemaversion=1",
            "-H",
            f"ce_correlationid={uuid.uuid4()}",
            "-H",
            "ce_partner=jastrzebie-zdroj",
            "-H",
            "content-type=application/json",
        ]
        async with running(reporting(kafka_bootstrap, database_url, namespace)) as rep:
            assert await people_supported(rep) == 0
            # -K: key and value on one line split at the delimiter, as an integrator replays an event by hand
            await kcat(
                "-b",
                kafka_bootstrap,
                "-P",
                "-t",
                topic,
                "-K",
                "\t",
                *good,
                stdin=f"{participant_id}\t{json.dumps(payload)}\n",
            )

            async def applied():
                assert await people_supported(rep) == 1

            await eventually(applied, timeout=30, interval=0.3)

            # the same headers but a value that is not JSON: a poison message, dead-lettered with the reason
            broken_id = str(uuid.uuid4())
            broken = [h if not h.startswith("ce_id=") else f"ce_id={broken_id}" for h in good]
            await kcat(
                "-b", kafka_bootstrap, "-P", "-t", topic, "-K", "\t", *broken, stdin=f"{participant_id}\t{{not json\n"
            )

            async def dead_lettered():
                records = await kcat_read(kafka_bootstrap, dlq)
                assert len(records) == 1, records
                return records[0]

            letter = await eventually(dead_lettered, timeout=30, interval=0.5)
            assert await people_supported(rep) == 1  # the broken record changed nothing

        headers = headers_of(letter)
        assert headers["ce_id"] == broken_id
        assert "payload is not JSON" in headers["dlq_reason"]
        assert headers["dlq_original_topic"] == topic
        assert letter["payload"] == "{not json"
        assert letter["key"] == participant_id
