"""The write path's own limit: a bare FastAPI endpoint on the same server stack (uvicorn, uvloop, httptools, the
same engine wiring) doing the same two inserts (the participant row and the outbox row) in one transaction,
without validation, authentication, audit or middleware. bench/write_path.py runs it beside recruitment and
reports recruitment's writes/s as a share of it.

    BASELINE_DATABASE_URL=sqlite+aiosqlite:///x.db python -m uvicorn write_baseline:create_app --factory
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from contextlib import asynccontextmanager

import sqlalchemy as sa
from fastapi import FastAPI, Request, Response

from owes_messaging.db import create_engine
from owes_messaging.migrations import upgrade_to_head_async
from recruitment.main import MIGRATIONS
from recruitment.tables import metadata

PARTICIPANTS = metadata.tables["participants"]
OUTBOX = metadata.tables["outbox"]


def create_app() -> FastAPI:
    url = os.environ["BASELINE_DATABASE_URL"]
    engine = create_engine(url)
    insert_participant, insert_outbox = sa.insert(PARTICIPANTS), sa.insert(OUTBOX)

    @asynccontextmanager
    async def lifespan(_app):
        await upgrade_to_head_async(MIGRATIONS, url)
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)

    @app.post("/participants", status_code=201)
    async def register(request: Request) -> Response:
        form = json.loads(await request.body())
        participant_id = f"p_{uuid.uuid4().hex[:16]}"
        now = dt.datetime.now(dt.UTC)
        async with engine.begin() as conn:
            await conn.execute(
                insert_participant,
                {
                    "participant_id": participant_id,
                    "pesel": form["pesel"],
                    "first_name": form["first_name"],
                    "last_name": form["last_name"],
                    "email": form.get("email"),
                    "phone": form.get("phone"),
                    "address": form.get("address"),
                    "county": form["county"],
                    "gender": "female",
                    "age_band": "25-34",
                    "labour_market_status": form["labour_market_status"],
                    "disability": form["disability"],
                    "at_risk_of_exclusion": form["at_risk_of_exclusion"],
                    "consent_given_at": now,
                    "status": "recruited",
                    "recruited_on": now.date(),
                },
            )
            await conn.execute(
                insert_outbox,
                {
                    "event_id": uuid.uuid4().hex,
                    "event_type": "pl.owes.recruitment.ParticipantRecruited",
                    "topic": "baseline",
                    "key": participant_id,
                    "headers": [["ce_id", "x"]],
                    "value": json.dumps({"participant_id": participant_id}),
                    "created_at": now,
                },
            )
        return Response(json.dumps({"participant_id": participant_id}), status_code=201, media_type="application/json")

    return app
