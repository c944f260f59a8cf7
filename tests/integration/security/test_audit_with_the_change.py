"""The audit row of a write is written in the transaction of the change it records (issue 13): a change whose
audit row cannot be written is not made, and a write that changes nothing is still recorded."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from helpers import participant_form, running, settings_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings

REFUSE_AUDIT_ROWS = {
    "sqlite": [
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_audit() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit refused'; END $$ "
        "LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
    ],
}


async def count(engine, table: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


class TestAuditWithTheChange:
    async def test_a_change_and_its_audit_row_commit_together_or_not_at_all(
        self, database_url, kafka_bootstrap, namespace
    ):
        app = recruitment_app(
            settings_for(
                RecruitmentSettings,
                database_url=database_url("recruitment"),
                kafka_bootstrap=kafka_bootstrap,
                namespace=namespace,
            )
        )
        async with running(app) as rec:
            engine = rec.runtime.engine
            created = await rec.post("/participants", json=participant_form())
            assert created.status_code == 201
            assert await count(engine, "audit_log") == 1
            async with engine.begin() as conn:
                for statement in REFUSE_AUDIT_ROWS[engine.dialect.name]:
                    await conn.execute(sa.text(statement))
            try:
                refused = await rec.post("/participants", json=participant_form())
            except Exception:
                status = 500
            else:
                status = refused.status_code
            assert status >= 400  # refused (the service answers the failed commit as it answers any IntegrityError)
            # neither the participant nor its event: the change went with its audit row
            assert await count(engine, "participants") == 1
            assert await count(engine, "outbox") == 1
            assert await count(engine, "audit_log") == 1

    @pytest.mark.parametrize("db_backend", ["sqlite"])
    async def test_the_row_names_the_entity_the_change_created(self, database_url, kafka_bootstrap, namespace):
        app = recruitment_app(
            settings_for(
                RecruitmentSettings,
                database_url=database_url("recruitment"),
                kafka_bootstrap=kafka_bootstrap,
                namespace=namespace,
            )
        )
        async with running(app) as rec:
            participant_id = (await rec.post("/participants", json=participant_form())).json()["participant_id"]
            async with rec.runtime.engine.connect() as conn:
                row = (await conn.execute(sa.text("SELECT status, entity_id, row_hash FROM audit_log"))).one()
        assert (row.status, row.entity_id) == (201, participant_id)
        assert row.row_hash  # chained like every other row
