"""The partners' staff pages beyond participants, against a real database and broker: recruitment's organisations
and initiative groups, advisory's sessions and mentoring per beneficiary, grants' applications from submission to
disbursement and a job's bridge support. Each refused form answers in Polish next to the field, keeps what was
typed and saves nothing; days are typed as 29.11.2026."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from helpers import participant_form, running, settings_for
from owes_service.pages.accounts import create_account

PASSWORD = "hasło-do-testów-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _service(name: str):
    if name == "recruitment":
        from recruitment.main import create_app
        from recruitment.settings import RecruitmentSettings as Settings
    elif name == "advisory":
        from advisory.main import create_app
        from advisory.settings import AdvisorySettings as Settings
    else:
        from grants.main import create_app
        from grants.settings import GrantsSettings as Settings
    return create_app, Settings


async def _signed_in(api, service: str, role: str) -> httpx.AsyncClient:
    await create_account(api.runtime.engine, service=service, login="osoba", role=role, password=PASSWORD)
    browser = httpx.AsyncClient(
        transport=api.asgi_transport, base_url="http://test", headers={"Accept-Language": "pl-PL,pl;q=0.9"}
    )
    page = await browser.get("/panel/sign-in")
    token = CSRF.search(page.text).group(1)
    signed = await browser.post("/panel/sign-in", data={"csrf_token": token, "login": "osoba", "password": PASSWORD})
    assert signed.status_code == 303, signed.text
    return browser


async def post(browser: httpx.AsyncClient, path: str, form: dict, *, page: str) -> httpx.Response:
    """Send a form as the browser does: with the CSRF token of the page it is on."""
    token = CSRF.search((await browser.get(page)).text).group(1)
    return await browser.post(path, data={**form, "csrf_token": token})


def error_next_to(html: str, field: str) -> str:
    found = re.search(rf'<p class="error-message" id="{field}-error">.*?</span>\s*(.*?)</p>', html, re.S)
    assert found, f"no error next to {field}"
    return found.group(1).replace("&#34;", '"').replace("&#39;", "'")


def field_value(html: str, field: str) -> str:
    found = re.search(rf'id="{field}" name="{field}" type="text" value="([^"]*)"', html)
    assert found, f"no field {field}"
    return found.group(1)


@pytest.fixture
def staff_app(database_url, kafka_bootstrap, namespace):
    """One partner service with a signed-in member of staff of the given role, and its API client."""

    def build(service: str, role: str):
        create_app, settings = _service(service)
        app = create_app(
            settings_for(
                settings, database_url=database_url(service), kafka_bootstrap=kafka_bootstrap, namespace=namespace
            )
        )

        class Running:
            async def __aenter__(self):
                self.context = running(app)
                self.api = await self.context.__aenter__()
                self.browser = await _signed_in(self.api, service, role)
                return self.api, self.browser

            async def __aexit__(self, *exc):
                await self.browser.aclose()
                await self.context.__aexit__(*exc)

        return Running()

    return build


class TestRecruitmentOrganisationsAndGroups:
    async def test_an_organisation_with_a_wrong_nip_is_refused_in_polish_then_enrolled(self, staff_app):
        async with staff_app("recruitment", "recruiter") as (_api, browser):
            form = {
                "organisation_name": "Stowarzyszenie Razem dla Żor",
                "organisation_type": "association",
                "county": "zory",
                "nip": "123-456-32-19",  # the check digit is 8
                "regon": "123456785",
                "krs": "KRS 0000380128",
                "is_social_enterprise": "yes",
                "enrolled_on": "02.11.2026",
            }
            refused = await post(browser, "/panel/organisations", form, page="/panel/organisations")
            assert refused.status_code == 422
            assert error_next_to(refused.text, "nip").startswith("Nieprawidłowy numer NIP")
            assert field_value(refused.text, "organisation_name") == "Stowarzyszenie Razem dla Żor"  # nothing lost
            assert field_value(refused.text, "enrolled_on") == "02.11.2026"
            assert "Nie przyjęto jeszcze żadnej organizacji." in refused.text  # nothing saved

            impossible_day = await post(
                browser,
                "/panel/organisations",
                {**form, "nip": "123-456-32-18", "enrolled_on": "31.02.2026"},  # no such day
                page="/panel/organisations",
            )
            assert impossible_day.status_code == 422
            assert "Data przystąpienia" in error_next_to(impossible_day.text, "enrolled_on")
            assert "29.11.2026" in error_next_to(impossible_day.text, "enrolled_on")  # the example of the format
            assert field_value(impossible_day.text, "enrolled_on") == "31.02.2026"

            enrolled = await post(
                browser,
                "/panel/organisations",
                {**form, "nip": "123-456-32-18", "enrolled_on": "02.11.2026"},
                page="/panel/organisations",
            )
            assert enrolled.status_code == 303
            listed = (await browser.get("/panel/organisations")).text
            assert "Organizacja przyjęta do projektu." in listed
            assert "Stowarzyszenie Razem dla Żor" in listed and "stowarzyszenie" in listed
            assert "02.11.2026" in listed and "Żory" in listed
            assert "1 organizacja w projekcie" in listed

    async def test_an_initiative_group_names_each_member_who_cannot_join(self, staff_app):
        async with staff_app("recruitment", "recruiter") as (api, browser):
            created = await api.post("/participants", json=participant_form(county="rybnicki"))
            pid = created.json()["participant_id"]
            form = {"group_name": "Grupa Razem", "county": "rybnicki", "member_ids": f"{pid}\np_0000000000000000"}
            refused = await post(browser, "/panel/initiative-groups", form, page="/panel/initiative-groups")
            assert refused.status_code == 422
            said = error_next_to(refused.text, "member_ids")
            assert said.startswith("Grupę inicjatywną mogą utworzyć tylko kwalifikowalni uczestnicy")
            assert f"{pid}: kwalifikowalność jeszcze niepotwierdzona" in said
            assert "p_0000000000000000: nieznany uczestnik" in said
            assert "Nie utworzono jeszcze żadnej grupy inicjatywnej." in refused.text

            await api.post(f"/participants/{pid}/eligibility", json={"eligible": True})
            formed = await post(
                browser, "/panel/initiative-groups", {**form, "member_ids": pid}, page="/panel/initiative-groups"
            )
            assert formed.status_code == 303
            listed = (await browser.get("/panel/initiative-groups")).text
            assert "Grupa inicjatywna utworzona." in listed and "Grupa Razem" in listed and "powiat rybnicki" in listed

    async def test_a_recruiter_downloads_the_participant_data_sheet_and_the_download_is_audited(self, staff_app):
        async with staff_app("recruitment", "recruiter") as (api, browser):
            form = participant_form(county="rybnicki")
            assert (await api.post("/participants", json=form)).status_code == 201
            listed = (await browser.get("/panel/participants")).text
            assert 'href="/panel/data-sheet.xlsx"' in listed and 'href="/panel/data-sheet.csv"' in listed
            sheet = await browser.get("/panel/data-sheet.csv")
            assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
            assert 'filename="participants.csv"' in sheet.headers["content-disposition"]
            assert form["pesel"] in sheet.text  # personal data: this export is meant for it
            xlsx = await browser.get("/panel/data-sheet.xlsx")
            assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"  # a zip: the XLSX container
            assert (await browser.get("/panel/data-sheet.pdf")).status_code == 404
            audited = await api.runtime.audit.entries(limit=20)
            assert any(str(e.get("entity_id", "")).startswith("participant-data-sheet:csv:1") for e in audited)


class TestAdvisorySessionsAndMentoring:
    async def test_sessions_and_mentoring_are_recorded_and_listed_per_beneficiary(self, staff_app):
        from advisory import repository

        async with staff_app("advisory", "adviser") as (api, browser):
            pid = "p_3f9c2a7d1b8e4c6f"
            form = {"kind": "legal", "hours": "1,5", "adviser_id": "adv_12", "held_on": "12.11.2026"}
            neither = await post(browser, "/panel/sessions", form, page="/panel/sessions")
            assert neither.status_code == 422
            assert "jeden z dwóch" in error_next_to(neither.text, "participant_id")
            assert field_value(neither.text, "held_on") == "12.11.2026"

            unknown = await post(browser, "/panel/sessions", {**form, "participant_id": pid}, page="/panel/sessions")
            assert unknown.status_code == 422 and "Nie zapisano żadnej sesji doradczej." in unknown.text

            # What recruitment's events tell advisory (its consumer writes the same row).
            async with api.runtime.sessionmaker() as session, session.begin():
                await repository.record_participant_standing(
                    session, participant_id=pid, eligibility="eligible", eligibility_decided_on=dt.date(2026, 11, 2)
                )
            held = await post(browser, "/panel/sessions", {**form, "participant_id": pid}, page="/panel/sessions")
            assert held.status_code == 303 and held.headers["location"] == f"/panel/participants/{pid}"
            mentored = await post(
                browser,
                "/panel/mentoring",
                {"mentor_id": "mentor_3", "hours": "2", "participant_id": pid, "provided_on": "13.11.2026"},
                page="/panel/mentoring",
            )
            assert mentored.status_code == 303

            own = (await browser.get(f"/panel/participants/{pid}")).text
            assert "doradztwo prawne" in own and "12.11.2026" in own and "1,5" in own
            assert "13.11.2026" in own and "mentor_3" in own
            others = (await browser.get("/panel/sessions?participant=p_0a1b2c3d4e5f6a7b")).text
            assert "Nie zapisano żadnej sesji doradczej." in others
            assert "adv_12" in (await browser.get(f"/panel/sessions?participant={pid}")).text


class TestGrantsApplicationsAndJobs:
    async def test_an_application_from_submission_to_disbursement(self, staff_app):
        from grants import repository

        async with staff_app("grants", "grant_officer") as (api, browser):
            org = "org_7c1e5b9a3d2f4e60"
            form = {
                "applicant_kind": "organisation",
                "applicant_id": org,
                "summary": "Catering dla szkół w Rybniku",
                "jobs_planned": "2",
                "amount_requested": "47 000,00",
                "submitted_on": "03.11.2026",
            }
            unknown = await post(browser, "/panel/applications", form, page="/panel/applications")
            assert unknown.status_code == 422
            assert field_value(unknown.text, "amount_requested") == "47 000,00"
            assert "Nie złożono jeszcze żadnego wniosku." in unknown.text

            async with api.runtime.sessionmaker() as session, session.begin():
                await repository.upsert_organisation(
                    session,
                    organisation_id=org,
                    enrolled_on=dt.date(2026, 10, 1),
                    organisation_type="association",
                    organisation_name="Stowarzyszenie Razem",
                    county="rybnik",
                    is_social_enterprise=False,
                )
            submitted = await post(browser, "/panel/applications", form, page="/panel/applications")
            assert submitted.status_code == 303, submitted.text
            page = submitted.headers["location"]
            app_id = page.rsplit("/", 1)[1]

            too_many_points = await post(
                browser, f"{page}/evaluation", {"score": "150", "outcome": "positive"}, page=page
            )
            assert too_many_points.status_code == 422
            assert "Liczba punktów" in error_next_to(too_many_points.text, "score")
            evaluated = await post(browser, f"{page}/evaluation", {"score": "82", "outcome": "positive"}, page=page)
            assert evaluated.status_code == 303, re.findall(r"error-message.*", evaluated.text)
            awarded = await post(
                browser, f"{page}/award", {"amount_per_job": "35 212,00", "eur_rate": "4,30"}, page=page
            )  # the unit rate
            assert awarded.status_code == 303, re.findall(r"error-message.*", awarded.text)
            too_much = await post(browser, f"{page}/disbursements", {"amount": "80 000,00"}, page=page)
            assert too_much.status_code == 422 and field_value(too_much.text, "amount") == "80 000,00"
            assert error_next_to(too_much.text, "amount").replace("\xa0", " ") == (  # the amounts the Polish way
                "Wypłata 80 000,00 zł przekroczyłaby przyznaną dotację: 70 424,00 zł, z czego wypłacono już "
                "0,00 zł, a pozostaje 70 424,00 zł."
            )
            paid = await post(browser, f"{page}/disbursements", {"amount": "20 000,00"}, page=page)
            assert paid.status_code == 303, re.findall(r"<li>.*", paid.text)
            shown = (await browser.get(page)).text.replace("\xa0", " ")
            assert "dotacja przyznana" in shown and "47 000,00 zł" in shown
            assert "20 000,00 zł" in shown and "50 424,00 zł" in shown  # paid, and left to pay
            listed = (await browser.get("/panel/applications")).text
            assert app_id in listed

            # The applicant's de minimis headroom: the ceiling, less the aid this award counted against it.
            room = (await browser.get(f"/panel/de-minimis?kind=organisation&id={org}")).text  # today: since the award
            room = room.replace("\xa0", " ")
            assert "Dostępna kwota na" in room and "300 000 EUR" in room
            assert "Pomoc już udzielona" in room and "Pomoc już udzielona</dt><dd>0 EUR" not in room
            unknown = await browser.get("/panel/de-minimis?kind=organisation&id=org_0000000000000000&on=31.02.2026")
            assert unknown.status_code == 422
            assert "Na dzień" in error_next_to(unknown.text, "on")  # the impossible day, in the page's words
            assert field_value(unknown.text, "on") == "31.02.2026"

    async def test_a_refusal_with_values_reads_in_polish_with_them(self, staff_app):
        """A rule whose refusal carries numbers (the most members a cooperative has, the days of a sustainability
        check) reads in Polish with those numbers, not as the service's English sentence."""
        async with staff_app("grants", "grant_officer") as (_api, browser):
            form = {
                "cooperative_name": "Spółdzielnia Socjalna Wszyscy",
                "krs": "KRS 0000380128",
                "county": "rybnik",
                "founder_ids": "\n".join(f"p_{i:016x}" for i in range(1, 52)),  # 51 founders
                "founded_on": "05.11.2026",
            }
            too_many = await post(browser, "/panel/cooperatives", form, page="/panel/cooperatives")
            assert too_many.status_code == 422
            said = error_next_to(too_many.text, "founder_ids")
            assert said == "Spółdzielnia socjalna może liczyć najwyżej 50 członków."
            assert "The service refused this" not in too_many.text and "Usługa odmówiła" not in too_many.text
            assert "Spółdzielnia Socjalna Wszyscy" in too_many.text  # nothing typed is lost
            listed = (await browser.get("/panel/cooperatives")).text
            assert "Spółdzielnia Socjalna Wszyscy" not in listed  # and nothing was saved

    async def test_a_job_s_bridge_support_and_its_sustainability_check(self, staff_app):
        from grants import repository

        async with staff_app("grants", "grant_officer") as (api, browser):
            founders = [f"p_{i:016x}" for i in range(1, 6)]
            async with api.runtime.sessionmaker() as session, session.begin():
                for pid in founders:
                    await repository.upsert_participant(
                        session,
                        pid,
                        eligibility="confirmed",
                        recruited_on=dt.date(2026, 10, 1),
                        county="rybnik",
                        at_risk_of_exclusion=True,
                    )
            founded = await post(
                browser,
                "/panel/cooperatives",
                {
                    "cooperative_name": "Spółdzielnia Socjalna Razem",
                    "krs": "KRS 0000380128",
                    "county": "rybnik",
                    "founder_ids": "\n".join(founders),
                    "founded_on": "05.11.2026",
                },
                page="/panel/cooperatives",
            )
            assert founded.status_code == 303, re.findall(r"error-(?:message|summary).*", founded.text)
            cooperative = founded.headers["location"]
            created = await post(
                browser,
                f"{cooperative}/jobs",
                {"participant_id": founders[0], "created_on": "06.11.2026"},
                page=cooperative,
            )
            assert created.status_code == 303, re.findall(r"error-message.*", created.text)
            job_id = re.search(r'href="/panel/jobs/([^"]+)"', (await browser.get(cooperative)).text).group(1)
            job = f"/panel/jobs/{job_id}"

            early = await post(browser, f"{job}/sustainability", {}, page=job)
            assert early.status_code == 422
            assert "error-summary" in early.text and "The service refused this" not in early.text
            assert re.search(  # the months and both days, written the Polish way
                r"Trwałość sprawdza się \d+ mies\. po utworzeniu miejsca pracy \(06\.11\.2026\), "
                r"więc nie przed \d\d\.\d\d\.20\d\d\.",
                early.text,
            ), re.findall(r"<li>.*", early.text)
            no_month = await post(browser, f"{job}/instalments", {"amount": "1 800,00"}, page=job)
            assert no_month.status_code == 422
            assert "Miesiąc harmonogramu" in error_next_to(no_month.text, "instalment")
            assert field_value(no_month.text, "amount") == "1 800,00"
            # The test project runs under 2021–2027 rules: the maintenance unit rate, not bridge support.
            funded = await post(browser, f"{job}/maintenance", {"funded_on": "07.11.2026"}, page=job)
            assert funded.status_code == 303, re.findall(r"<li>.*", funded.text)
            assert "07.11.2026" in (await browser.get(job)).text
            no_reason = await post(
                browser, f"{job}/end", {"note": "Rozwiązana uchwałą", "ended_on": "20.11.2026"}, page=job
            )
            assert no_reason.status_code == 422
            assert "Przyczyna zakończenia zatrudnienia" in error_next_to(no_reason.text, "reason_code")
            assert field_value(no_reason.text, "ended_on") == "20.11.2026" and "Rozwiązana uchwałą" in no_reason.text
            ended = await post(
                browser,
                f"{job}/end",
                {"reason_code": "cooperative_dissolved", "note": "Rozwiązana uchwałą", "ended_on": "20.11.2026"},
                page=job,
            )
            assert ended.status_code == 303, re.findall(r"<li>.*", ended.text)
            shown = (await browser.get(job)).text
            assert "zakończone" in shown and "20.11.2026" in shown and "spółdzielnia została rozwiązana" in shown
            assert "06.11.2026" in shown  # the day it was created, typed the Polish way
