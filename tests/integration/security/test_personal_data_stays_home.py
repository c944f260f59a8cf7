"""Personal data stays in recruitment: the events it publishes carry a random pseudonymous id and coarse
attributes, never a PESEL, a name or contact data. (tests/conftest.py runs the same scan over every topic
of the whole test session.)"""

from __future__ import annotations

import datetime as dt

from helpers import (
    eventually,
    make_pesel,
    participant_form,
    project_after_retention,
    read_topic,
    running,
    settings_for,
)
from owes_contracts import topic_for
from owes_service.privacy import scan_record
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings

PEOPLE = [
    participant_form(
        make_pesel(dt.date(1985, 3, 14), female=True),
        first_name="Grażyna",
        last_name="Wiśniewska",
        email="grazyna.w@example.org",
        phone="+48 601 222 333",
        address="ul. Wrzosowa 12A, Żory",
    ),
    participant_form(
        make_pesel(dt.date(1999, 11, 2), female=False),
        first_name="Zdzisław",
        last_name="Kaczmarek",
        email="zdzislaw@example.org",
        phone="32 475 11 22",
        address="os. Pszczyńskie 4/7, Rybnik",
    ),
    participant_form(
        make_pesel(dt.date(2001, 6, 30), female=True),
        first_name="Ludmiła",
        last_name="Zawadzka",
        email="l.zawadzka@example.org",
    ),
]
PERSONAL = ("pesel", "first_name", "last_name", "email", "phone", "address")


def recruitment(database_url, kafka_bootstrap, namespace, project_file=None):
    return recruitment_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            **({"project_file": project_file} if project_file else {}),
        )
    )


async def published(kafka_bootstrap, topic, at_least: int) -> list:
    async def enough():
        records = await read_topic(kafka_bootstrap, topic, idle=0.5)
        assert len(records) >= at_least, f"{len(records)} of {at_least} events published"
        return records

    return await eventually(enough, timeout=30)


class TestRecruitmentEvents:
    async def test_carry_no_pesel_name_or_contact_data(self, database_url, kafka_bootstrap, namespace, tmp_path):
        topic = topic_for("recruitment", namespace)
        retention_over = project_after_retention(tmp_path)
        async with running(recruitment(database_url, kafka_bootstrap, namespace, retention_over)) as rec:
            ids = []
            for person in PEOPLE:
                response = await rec.post("/participants", json=person)
                assert response.status_code == 201, response.text
                ids.append(response.json()["participant_id"])
            assert (await rec.post(f"/participants/{ids[0]}/eligibility", json={"eligible": True})).status_code == 200
            assert (await rec.delete(f"/participants/{ids[1]}/personal-data")).status_code == 204
            records = await published(kafka_bootstrap, topic, at_least=len(PEOPLE) + 2)

        known = [str(person[field]) for person in PEOPLE for field in PERSONAL if person.get(field)]
        findings = [finding for record in records for finding in scan_record(record, known)]
        assert findings == []
        assert {record.key.decode() for record in records} == set(ids)  # keyed by the pseudonymous id only

    async def test_the_same_person_gets_unrelated_ids_in_two_databases(self, database_url, kafka_bootstrap, namespace):
        person = participant_form(make_pesel(dt.date(1970, 1, 1)))
        ids = []
        for run in ("first", "second"):  # two fresh recruitment databases: the id cannot be derived from PESEL
            app = recruitment_app(
                settings_for(
                    RecruitmentSettings,
                    database_url=database_url(f"recruitment{run}"),
                    kafka_bootstrap=kafka_bootstrap,
                    namespace=f"{namespace}{run}",
                )
            )
            async with running(app) as rec:
                response = await rec.post("/participants", json=person)
                assert response.status_code == 201
                ids.append(response.json()["participant_id"])
        assert ids[0] != ids[1]
        assert not any(person["pesel"][:6] in participant_id for participant_id in ids)  # not even the birth date
