"""Bad input over HTTP gets a clear RFC 9457 problem (4xx), never a 500, and nothing is stored or published;
hostile strings that are valid data are stored verbatim and never executed."""

from __future__ import annotations

import json

import pytest

from helpers import assert_problem, participant_form, row_count, running, settings_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings

PROBLEM_JSON = "application/problem+json"
MAX_BODY = 64 * 1024


@pytest.fixture
async def recruitment(database_url, kafka_bootstrap, namespace):
    app = recruitment_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
            max_body_bytes=MAX_BODY,
        )
    )
    async with running(app) as client:
        yield client


async def assert_nothing_stored(client) -> None:
    assert await row_count(client, "participants") == 0
    assert await row_count(client, "outbox") == 0  # so nothing was, or will be, published


class TestMalformedBodies:
    @pytest.mark.parametrize(
        "body",
        [b'{"pesel": "02070803628",', b"\x00\xff\xfe", b"pesel=02070803628&consent=1", b"{'pesel': '02070803628'}"],
        ids=["truncated", "binary", "form-encoded", "single-quoted"],
    )
    async def test_malformed_json_is_a_400_problem(self, recruitment, body):
        response = await recruitment.post("/participants", content=body, headers={"content-type": "application/json"})
        problem = assert_problem(response, 400)
        assert problem["title"] == "Malformed JSON"
        await assert_nothing_stored(recruitment)

    @pytest.mark.parametrize(
        "body",
        [[], None, "a string", 42, [participant_form()]],
        ids=["empty-list", "null", "string", "number", "list-of-forms"],
    )
    async def test_json_that_is_not_an_object_is_a_422_problem(self, recruitment, body):
        assert_problem(await recruitment.post("/participants", json=body), 422)
        await assert_nothing_stored(recruitment)

    async def test_an_empty_body_is_a_422_problem_saying_the_body_is_required(self, recruitment):
        response = await recruitment.post("/participants", content=b"", headers={"content-type": "application/json"})
        problem = assert_problem(response, 422)
        assert ["body"] in [e["loc"] for e in problem["errors"]]
        await assert_nothing_stored(recruitment)

    async def test_a_body_that_is_not_json_at_all_is_refused(self, recruitment):
        response = await recruitment.post(
            "/participants", content=b"Anna Nowak, 02070803628", headers={"content-type": "text/plain"}
        )
        assert 400 <= response.status_code < 500 and response.headers["content-type"] == PROBLEM_JSON
        await assert_nothing_stored(recruitment)


class TestWrongTypesAndUnknownFields:
    @pytest.mark.parametrize(
        "field,value",
        [
            ("pesel", 2070803628),
            ("disability", "perhaps"),
            ("consent", {"yes": True}),
            ("county", ["rybnicki"]),
            ("labour_market_status", "retired-pirate"),
            ("recruited_on", "yesterday"),
            ("email", "not-an-email"),
            ("first_name", ""),
            ("first_name", "A" * 101),
        ],
    )
    async def test_each_is_a_422_problem_naming_the_field(self, recruitment, field, value):
        response = await recruitment.post("/participants", json=participant_form(**{field: value}))
        problem = assert_problem(response, 422)
        assert any(field in e["loc"] for e in problem["errors"]), problem
        await assert_nothing_stored(recruitment)

    async def test_an_unknown_field_is_a_422_problem_naming_it(self, recruitment):
        response = await recruitment.post("/participants", json=participant_form(is_admin=True))
        problem = assert_problem(response, 422)
        assert ["body", "is_admin"] in [e["loc"] for e in problem["errors"]]
        await assert_nothing_stored(recruitment)

    async def test_a_missing_required_field_is_a_422_problem_naming_it(self, recruitment):
        form = participant_form()
        del form["consent"]
        problem = assert_problem(await recruitment.post("/participants", json=form), 422)
        assert ["body", "consent"] in [e["loc"] for e in problem["errors"]]
        await assert_nothing_stored(recruitment)


class TestOversizeBodies:
    async def test_a_body_over_the_limit_is_a_413_problem(self, recruitment):
        form = participant_form(address="x" * (MAX_BODY + 1))
        assert_problem(await recruitment.post("/participants", json=form), 413)
        await assert_nothing_stored(recruitment)

    async def test_a_streamed_body_over_the_limit_without_content_length_is_a_413_problem(self, recruitment):
        body = json.dumps(participant_form(address="x" * (4 * MAX_BODY))).encode()

        async def chunks():  # chunked transfer: the size is only known by reading
            for start in range(0, len(body), 8192):
                yield body[start : start + 8192]

        response = await recruitment.post(
            "/participants", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert_problem(response, 413)
        await assert_nothing_stored(recruitment)

    async def test_a_deeply_nested_body_under_the_limit_is_refused_without_a_500(self, recruitment):
        body = b"[" * 30_000 + b"]" * 30_000
        response = await recruitment.post("/participants", content=body, headers={"content-type": "application/json"})
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"] == PROBLEM_JSON
        await assert_nothing_stored(recruitment)


HOSTILE = {
    "first_name": "<script>alert('owes')</script>",
    "last_name": "O'Brien'); DROP TABLE participants;--",
    "address": "' OR '1'='1' -- {{7*7}} ${jndi:ldap://example.org/a} ../../etc/passwd",
}


class TestInjectionStrings:
    async def test_are_stored_verbatim_and_never_executed(self, recruitment):
        created = await recruitment.post("/participants", json=participant_form(**HOSTILE))
        assert created.status_code == 201, created.text
        participant_id = created.json()["participant_id"]
        second = await recruitment.post("/participants", json=participant_form(**HOSTILE))
        assert second.status_code == 201, second.text

        read = await recruitment.get(f"/participants/{participant_id}")
        assert read.status_code == 200
        assert read.headers["content-type"] == "application/json"  # data, never a page a browser would run
        for field, value in HOSTILE.items():
            assert read.json()[field] == value
        assert await row_count(recruitment, "participants") == 2  # the table is still there, with both rows

    @pytest.mark.parametrize(
        "identifier",
        [
            "' OR '1'='1",
            "1; DROP TABLE participants",
            "<script>x</script>",
            "..%2F..%2Fetc%2Fpasswd",
            "%00",
            "p_" + "9" * 300,
        ],
        ids=["sql", "sql-statement", "script", "traversal", "nul", "too-long"],
    )
    async def test_as_identifiers_are_a_404_problem(self, recruitment, identifier):
        created = await recruitment.post("/participants", json=participant_form())
        assert created.status_code == 201
        response = await recruitment.get(f"/participants/{identifier}")
        # PostgreSQL cannot even compare a NUL, so that one may be refused as invalid rather than not found
        assert_problem(response, 422 if identifier == "%00" and response.status_code == 422 else 404)
        withdrawal = await recruitment.post(
            f"/participants/{identifier}/withdrawal", json={"withdrawn_on": "2026-03-02", "reason": "moved away"}
        )
        assert 400 <= withdrawal.status_code < 500 and withdrawal.headers["content-type"] == PROBLEM_JSON
        assert await row_count(recruitment, "participants") == 1
        assert await row_count(recruitment, "outbox") == 1  # the registration only: no withdrawal published


class TestCharactersADatabaseMayRefuse:
    async def test_a_nul_character_is_stored_verbatim_or_refused_with_a_problem_never_a_500(self, recruitment):
        response = await recruitment.post("/participants", json=participant_form(first_name="An\u0000na"))
        if response.status_code == 201:  # SQLite keeps it
            read = await recruitment.get(f"/participants/{response.json()['participant_id']}")
            assert read.json()["first_name"] == "An\u0000na"
        else:  # PostgreSQL text cannot hold NUL
            assert_problem(response, 422)
            await assert_nothing_stored(recruitment)


class TestNumbersOutOfRange:
    @pytest.mark.parametrize("before", [10**30, -(10**20)], ids=["huge", "hugely-negative"])
    async def test_an_integer_beyond_64_bits_is_a_422_problem(self, recruitment, before):
        # /audit is a route every service has (the shared library's), with an integer query parameter
        assert_problem(await recruitment.get(f"/audit?before={before}"), 422)


class TestConcurrentDuplicates:
    async def test_the_same_registration_sent_concurrently_is_stored_once_and_the_rest_are_409_problems(
        self, recruitment
    ):
        import asyncio

        form = participant_form()
        responses = await asyncio.gather(*(recruitment.post("/participants", json=form) for _ in range(6)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
        for response in responses:
            if response.status_code == 409:
                assert_problem(response, 409)
        assert await row_count(recruitment, "participants") == 1
        assert await row_count(recruitment, "outbox") == 1
