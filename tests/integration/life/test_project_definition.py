"""Every partner applies the same project definition; one whose copy differs shows on /readyz and the dashboard."""

from __future__ import annotations

from contextlib import AsyncExitStack

from advisory.main import create_app as advisory_app
from advisory.settings import AdvisorySettings
from helpers import eventually, header, outbox_drained, participant_form, read_topic, running, settings_for
from owes_contracts import topic_for
from owes_service.project import DEFAULT_PROJECT_FILE, load_project
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings


class TestProjectCopies:
    async def test_a_partner_running_another_definition_is_named_by_the_lead_and_its_readers(
        self, tmp_path, database_url, kafka_bootstrap, namespace
    ):
        other = tmp_path / "project.toml"  # recruitment's operator installed a copy with another end date
        other.write_text(
            DEFAULT_PROJECT_FILE.read_text(encoding="utf-8").replace("ends_on = 2029-12-31", "ends_on = 2029-06-30")
        )
        lead, theirs = load_project(), load_project(other)
        assert lead.fingerprint != theirs.fingerprint

        def settings(cls, name, **overrides):
            return settings_for(
                cls, database_url=database_url(name), kafka_bootstrap=kafka_bootstrap, namespace=namespace, **overrides
            )

        async with AsyncExitStack() as stack:
            rec = await stack.enter_async_context(
                running(recruitment_app(settings(RecruitmentSettings, "recruitment", project_file=other)))
            )
            adv = await stack.enter_async_context(running(advisory_app(settings(AdvisorySettings, "advisory"))))
            rep = await stack.enter_async_context(running(reporting_app(settings(ReportingSettings, "reporting"))))
            ready = (await rep.get("/readyz")).json()
            assert ready["project"] == {
                "name": lead.name,
                "programme": "2021-2027",
                "fingerprint": lead.fingerprint,
                "differs_at": {},
            }
            assert (await rec.get("/readyz")).json()["project"]["fingerprint"] == theirs.fingerprint

            created = await rec.post("/participants", json=participant_form(county="rybnicki"))
            assert created.status_code == 201, created.text
            await outbox_drained(rec)

            async def named(client):
                says = (await client.get("/readyz")).json()
                assert says["status"] == "ready"  # another definition is a fact to act on, not an outage
                assert says["project"]["differs_at"] == {"recruitment (jastrzebie-zdroj)": theirs.fingerprint}

            await eventually(lambda: named(rep))
            await eventually(lambda: named(adv))
            page = await rep.get("/dashboard?lang=en")
            assert f"project definition differs at recruitment (jastrzebie-zdroj): {theirs.fingerprint}" in page.text

        records = await read_topic(kafka_bootstrap, topic_for("recruitment", namespace), idle=0.5)
        assert [header(r, "ce_projectfingerprint") for r in records] == [theirs.fingerprint]

    async def test_partners_with_the_same_definition_differ_nowhere(self, database_url, kafka_bootstrap, namespace):
        wiring = {"kafka_bootstrap": kafka_bootstrap, "namespace": namespace}
        async with (
            running(
                recruitment_app(settings_for(RecruitmentSettings, database_url=database_url("r"), **wiring))
            ) as rec,
            running(reporting_app(settings_for(ReportingSettings, database_url=database_url("p"), **wiring))) as rep,
        ):
            assert (await rec.post("/participants", json=participant_form())).status_code == 201

            async def applied():
                assert rep.runtime.project_copies.seen == {
                    ("jastrzebie-zdroj", "recruitment"): load_project().fingerprint
                }

            await eventually(applied)
            assert (await rep.get("/readyz")).json()["project"]["differs_at"] == {}
            assert "project definition differs" not in (await rep.get("/dashboard?lang=en")).text


class TestOutsideTheSubregion:
    async def test_reporting_shows_the_share_from_outside_against_the_projects_limit(
        self, database_url, kafka_bootstrap, namespace
    ):
        wiring = {"kafka_bootstrap": kafka_bootstrap, "namespace": namespace}
        async with (
            running(
                recruitment_app(settings_for(RecruitmentSettings, database_url=database_url("r"), **wiring))
            ) as rec,
            running(reporting_app(settings_for(ReportingSettings, database_url=database_url("p"), **wiring))) as rep,
        ):
            for county, outside in (("Rybnik", False), ("rybnicki", False), ("Żory", False), ("Gliwice", True)):
                created = await rec.post(
                    "/participants", json=participant_form(county=county, outside_subregion=outside)
                )
                assert created.status_code == 201, created.text

            async def counted():
                report = (await rep.get("/indicators/report")).json()
                assert report["outside_subregion"] == {  # 1 of 4 is 25.0 %, over the default limit of 20 %
                    "people_supported": 4,
                    "outside_subregion": 1,
                    "share_percent": "25.0",
                    "limit_percent": "20",
                    "within_limit": False,
                }

            await eventually(counted)
            page = (await rep.get("/dashboard?lang=en")).text
            assert 'class="share over"><b>25.0%</b><span>from outside the subregion (1 of 4; limit 20%)' in page
