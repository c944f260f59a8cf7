"""Each audit row carries the hash of the row before it: `owes audit verify` finds a row changed or deleted
after the fact (issue 13, accountability)."""

from __future__ import annotations

import asyncio
import sys

import sqlalchemy as sa

from helpers import participant_form, running, settings_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings


async def owes(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "owes_cli.main", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    return process.returncode, out.decode(), err.decode()


class TestAuditChain:
    async def test_verify_detects_a_changed_row_and_a_deleted_row(self, database_url, kafka_bootstrap, namespace):
        url = database_url("recruitment")
        app = recruitment_app(
            settings_for(RecruitmentSettings, database_url=url, kafka_bootstrap=kafka_bootstrap, namespace=namespace)
        )
        async with running(app) as rec:
            for _ in range(4):
                assert (await rec.post("/participants", json=participant_form())).status_code == 201
            engine = rec.runtime.engine
            code, out, err = await owes("audit", "verify", "recruitment", "--database-url", url)
            assert (code, out.strip()) == (0, "audit log of recruitment: chain intact"), err

            async with engine.begin() as conn:
                ids = (await conn.execute(sa.text("SELECT id FROM audit_log ORDER BY id"))).scalars().all()
                assert len(ids) == 5  # four registrations and the verification itself
                await conn.execute(
                    sa.text("UPDATE audit_log SET principal = 'someone-else' WHERE id = :id"), {"id": ids[1]}
                )
            code, out, err = await owes("audit", "verify", "recruitment", "--database-url", url)
            assert code == 1 and f"row {ids[1]} was changed after it was written" in err, (out, err)

            async with engine.begin() as conn:
                await conn.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": ids[1]})
            code, out, err = await owes("audit", "verify", "recruitment", "--database-url", url)
            assert code == 1, (out, err)
            assert err.splitlines() == [f"row {ids[2]}: the row before it was deleted or changed"]
