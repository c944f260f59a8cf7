"""GDPR erasure leaves no copy (issue 13): every personal field goes, the notes on reasons included; the outbox
rows that carried staff's free-text reasons (events written before reasons became codes) are scrubbed; and on
SQLite neither the database file nor its write-ahead log still holds the PESEL or the words afterwards
(secure_delete, then a TRUNCATE checkpoint)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpers import participant_form, project_after_retention, running, settings_for
from recruitment.main import create_app
from recruitment.settings import RecruitmentSettings
from recruitment.tables import outbox, participants

NOTE = "Pani Zofia Wrzesińska wyjechała do siostry"  # no PESEL-like digits: a note may name a person
OLD_REASON = "Zofia Wrzesińska: opieka nad matką"  # an event written before reasons were codes


@pytest.fixture
def recruitment(database_url, kafka_bootstrap, namespace, tmp_path):
    url = database_url("recruitment")
    settings = settings_for(
        RecruitmentSettings,
        database_url=url,
        kafka_bootstrap=kafka_bootstrap,
        namespace=namespace,
        project_file=project_after_retention(tmp_path),
    )
    return lambda: create_app(settings), url


def _database_files(url: str) -> list[Path]:
    db = Path(url.split("///", 1)[1])
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-journal")) if p.exists()]


async def test_erasure_clears_notes_scrubs_the_outbox_and_leaves_no_copy_in_the_files(recruitment):
    build, url = recruitment
    form = participant_form()
    pesel = form["pesel"]
    async with running(build()) as rec:
        pid = (await rec.post("/participants", json=form)).json()["participant_id"]
        rejected = await rec.post(
            f"/participants/{pid}/eligibility", json={"eligible": False, "reason_code": "other", "note": NOTE}
        )
        assert rejected.status_code == 200, rejected.text
        async with rec.runtime.engine.begin() as conn:  # a row from the release that published free text
            await conn.execute(
                sa.insert(outbox).values(
                    event_id=str(uuid.uuid4()),
                    event_type="pl.owes.recruitment.ParticipantWithdrawn",
                    topic="kept.recruitment.events",
                    key=pid,
                    headers={},
                    value=json.dumps({"participant_id": pid, "withdrawn_on": "2026-06-30", "reason": OLD_REASON}),
                    created_at=dt.datetime.now(dt.UTC),
                    published_at=dt.datetime.now(dt.UTC),  # already on the topic: the relay leaves it
                )
            )
        assert (await rec.get(f"/participants/{pid}")).json()["rejection_reason"] == NOTE

        assert (await rec.delete(f"/participants/{pid}/personal-data")).status_code == 204

        async with rec.runtime.engine.connect() as conn:
            row = (await conn.execute(sa.select(participants).where(participants.c.participant_id == pid))).one()
            values = [r.value for r in await conn.execute(sa.select(outbox.c.value).where(outbox.c.key == pid))]
        assert row.rejection_reason is None and row.pesel is None and row.last_name is None
        assert row.rejection_reason_code == "other"  # the code is not personal: the indicators keep it
        assert not [v for v in values if "Wrzesińska" in v or pesel in v], values
        scrubbed = next(json.loads(v) for v in values if "withdrawn_on" in v)
        assert (scrubbed["reason"], scrubbed["reason_code"]) == ("Other reason", "other")

        if url.startswith("sqlite"):  # the files themselves, while the service still runs
            files = _database_files(url)
            assert files
            for path in files:
                data = path.read_bytes()
                for secret in (pesel, "Wrzesińska", form["email"]):
                    assert secret.encode() not in data, f"{secret} still in {path.name}"
