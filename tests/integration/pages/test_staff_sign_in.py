"""The staff pages' edge against a real database and broker: sign-in with argon2-hashed accounts, throttling,
CSRF, read-only roles, the session cookie, sign-out, and a refused form that loses nothing and saves nothing."""

from __future__ import annotations

import re

import httpx
import pytest

from helpers import make_pesel, participant_form, project_after_retention, running, settings_for
from owes_service.pages.accounts import create_account
from recruitment.main import create_app
from recruitment.settings import RecruitmentSettings

PASSWORD = "hasło-do-testów-1"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def pages(database_url, kafka_bootstrap, namespace, tmp_path):
    """The recruitment service (of a project whose retention period is over, so erasure is carried out at once)
    with a recruiter and a read-only account; an anonymous browser-like client."""
    app = create_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            project_file=project_after_retention(tmp_path),
        )
    )
    async with running(app) as api:
        engine = api.runtime.engine
        await create_account(engine, service="recruitment", login="anna", role="recruiter", password=PASSWORD)
        await create_account(engine, service="recruitment", login="olga", role="read_only", password=PASSWORD)
        async with httpx.AsyncClient(
            transport=api.asgi_transport, base_url="http://test", headers={"Accept-Language": "pl-PL,pl;q=0.9"}
        ) as browser:
            browser.api = api
            yield browser


async def token(client, path: str = "/panel/sign-in") -> str:
    page = await client.get(path)
    return CSRF.search(page.text).group(1)


async def sign_in(client, login: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post(
        "/panel/sign-in", data={"csrf_token": await token(client), "login": login, "password": password}
    )


class TestSignIn:
    async def test_pages_need_a_signed_in_person_and_the_api_key_does_not_open_them(self, pages):
        response = await pages.get("/panel/participants")
        assert response.status_code == 303 and response.headers["location"].startswith("/panel/sign-in")
        with_key = await pages.api.get("/panel/participants")
        assert with_key.status_code == 303  # API keys are for machines, not for the pages

    async def test_a_wrong_password_is_refused_in_polish_keeping_the_login(self, pages):
        response = await sign_in(pages, "anna", "not the password")
        assert response.status_code == 422
        assert "Nieprawidłowy login lub hasło" in response.text
        assert 'value="anna"' in response.text and "not the password" not in response.text

    async def test_the_session_cookie_is_signed_http_only_and_same_site(self, pages):
        response = await sign_in(pages, "anna")
        assert response.status_code == 303 and response.headers["location"] == "/panel/participants"
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "path=/panel" in cookie
        assert "secure" not in cookie  # plain http here; see the next test
        tampered = pages.cookies["owes_recruitment_staff"][:-2] + "xx"
        pages.cookies.set("owes_recruitment_staff", tampered)
        assert (await pages.get("/panel/participants")).status_code == 303

    async def test_the_cookie_is_secure_when_served_over_tls(self, pages):
        async with httpx.AsyncClient(transport=pages.api.asgi_transport, base_url="https://test") as tls:
            response = await sign_in(tls, "anna")
        assert "secure" in response.headers["set-cookie"].lower()

    async def test_five_failures_make_the_login_wait_even_with_the_right_password(self, pages):
        for _ in range(5):
            assert (await sign_in(pages, "anna", "wrong password!")).status_code == 422
        response = await sign_in(pages, "anna")
        assert response.status_code == 429
        assert "Zbyt wiele nieudanych prób logowania. Spróbuj ponownie za 15 minut." in response.text

    async def test_signing_out_ends_the_session(self, pages):
        await sign_in(pages, "anna")
        signed_out = await pages.post("/panel/sign-out", data={"csrf_token": await token(pages, "/panel/participants")})
        assert signed_out.status_code == 303
        assert (await pages.get("/panel/participants")).status_code == 303


class TestForms:
    async def test_a_form_without_the_session_s_csrf_token_changes_nothing(self, pages):
        await sign_in(pages, "anna")
        form = {k: str(v).lower() if isinstance(v, bool) else v for k, v in participant_form().items()}
        response = await pages.post("/panel/participants/new", data={**form, "consent": "yes", "csrf_token": "forged"})
        assert response.status_code == 400 and "Formularz wygasł" in response.text
        listed = await pages.get(f"/panel/participants?q={form['pesel']}")
        assert "Znaleziono 0 uczestników" in listed.text

    async def test_a_read_only_person_sees_but_cannot_register(self, pages):
        await sign_in(pages, "olga")
        assert (await pages.get("/panel/participants")).status_code == 200
        refused = await pages.post(
            "/panel/participants/new",
            data={**participant_form(), "csrf_token": await token(pages, "/panel/participants")},
        )
        assert refused.status_code == 403 and "Nie możesz tu niczego zmieniać" in refused.text

    async def test_a_refused_pesel_keeps_what_was_typed_and_saves_nothing(self, pages):
        await sign_in(pages, "anna")
        csrf = await token(pages, "/panel/participants/new")
        pesel = make_pesel()
        wrong = pesel[:10] + str((int(pesel[10]) + 1) % 10)
        form = participant_form(pesel=wrong, first_name="Zofia", last_name="Wójcik")
        response = await pages.post(
            "/panel/participants/new",
            data={
                "csrf_token": csrf,
                "pesel": wrong,
                "first_name": form["first_name"],
                "last_name": form["last_name"],
                "county": "rybnicki",
                "labour_market_status": "unemployed",
                "consent": "yes",
            },
        )
        assert response.status_code == 422
        assert response.text.count("Nieprawidłowy numer PESEL: błędna cyfra kontrolna") == 2  # summary, field
        assert 'href="#pesel"' in response.text
        assert f'value="{wrong}"' in response.text and 'value="Wójcik"' in response.text
        assert "Znaleziono 0 uczestników" in (await pages.get("/panel/participants")).text

    async def test_registration_then_erasure_leaves_no_personal_data(self, pages):
        await sign_in(pages, "anna")
        csrf = await token(pages, "/panel/participants/new")
        form = participant_form(first_name="Jerzy", last_name="Kałuża")
        registered = await pages.post(
            "/panel/participants/new",
            data={
                "csrf_token": csrf,
                "pesel": form["pesel"],
                "first_name": "Jerzy",
                "last_name": "Kałuża",
                "county": "wodzislawski",
                "labour_market_status": "inactive",
                "consent": "yes",
            },
        )
        assert registered.status_code == 303
        page = await pages.get(registered.headers["location"])
        assert "Kałuża" in page.text and "powiat wodzisławski" in page.text
        erased = await pages.post(registered.headers["location"] + "/erase", data={"csrf_token": csrf})
        assert erased.status_code == 303
        page = await pages.get(registered.headers["location"])
        assert "Dane osobowe usunięte" in page.text
        assert "Kałuża" not in page.text and form["pesel"] not in page.text


class TestAtRiskCategories:
    """The social economy act's categories as checkboxes of one fieldset: labelled in Polish, ticked ones kept on a
    refusal, the refusal next to the field, the chosen ones on the participant's page."""

    async def test_the_form_offers_every_category_as_a_labelled_checkbox_in_one_fieldset(self, pages):
        await sign_in(pages, "anna")
        page = (await pages.get("/panel/participants/new")).text
        fieldset = page[page.index('id="at_risk_categories"') :]
        fieldset = fieldset[: fieldset.index("</fieldset>")]
        assert "<legend>Kategorie zagrożenia wykluczeniem społecznym</legend>" in fieldset
        boxes = re.findall(r'<input type="checkbox" id="([^"]+)" name="at_risk_categories" value="([^"]+)"', fieldset)
        assert len(boxes) == 15 and all(f'<label for="{box_id}">' in fieldset for box_id, _ in boxes)
        assert "Osoba długotrwale bezrobotna" in fieldset and "Osoba usamodzielniana" in fieldset
        assert " checked" not in fieldset  # nothing ticked for a new person

    async def test_at_risk_without_a_category_is_refused_in_polish_next_to_the_field(self, pages):
        await sign_in(pages, "anna")
        csrf = await token(pages, "/panel/participants/new")
        form = participant_form(first_name="Halina", last_name="Zawada")
        data = {
            "csrf_token": csrf,
            "pesel": form["pesel"],
            "first_name": "Halina",
            "last_name": "Zawada",
            "county": "rybnicki",
            "labour_market_status": "unemployed",
            "at_risk_of_exclusion": "yes",
            "consent": "yes",
        }
        refused = await pages.post("/panel/participants/new", data=data)
        assert refused.status_code == 422
        said = "Osoba zagrożona wykluczeniem społecznym musi mieć zaznaczoną co najmniej jedną kategorię"
        assert refused.text.count(said) == 2  # the summary and next to the field
        assert 'href="#at_risk_categories"' in refused.text and 'id="at_risk_categories-error"' in refused.text
        assert 'value="Zawada"' in refused.text
        # not at risk but a category ticked: refused too, the ticked box kept
        contradicted = await pages.post(
            "/panel/participants/new", data={**data, "at_risk_of_exclusion": "", "at_risk_categories": "homeless"}
        )
        assert contradicted.status_code == 422 and "zaznacz to albo odznacz kategorie" in contradicted.text
        assert 'value="homeless" checked' in contradicted.text
        assert "Znaleziono 0 uczestników" in (await pages.get("/panel/participants")).text

        registered = await pages.post(
            "/panel/participants/new", data={**data, "at_risk_categories": ["disability", "long_term_unemployed"]}
        )
        assert registered.status_code == 303, registered.text
        page = await pages.get(registered.headers["location"])
        assert "Osoba długotrwale bezrobotna; Osoba z niepełnosprawnością (z orzeczeniem)" in page.text
        participant_id = registered.headers["location"].rsplit("/", 1)[1]
        stored = (await pages.api.get(f"/participants/{participant_id}")).json()
        assert (stored["at_risk_of_exclusion"], stored["at_risk_categories"]) == (
            True,
            ["long_term_unemployed", "disability"],
        )
