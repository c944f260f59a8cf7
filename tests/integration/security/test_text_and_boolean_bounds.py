"""Text fields refuse control characters, NUL and bidirectional overrides; booleans are strict (issue 13,
"Bounds"): each refused with a 422 naming the field, and nothing stored."""

from __future__ import annotations

import pytest

from helpers import participant_form, row_count, running, settings_for
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings

UNSAFE = [
    ("first_name", "Anna\u202eNowak", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("last_name", "Nowak\x00", "U+0000"),
    ("address", "ul. Wrzosowa\r12", "U+000D"),
    ("first_name", "An\u2066na", "U+2066 LEFT-TO-RIGHT ISOLATE"),
]
NOT_BOOLEANS = [("consent", "yes"), ("consent", 1), ("disability", "true"), ("at_risk_of_exclusion", 0)]


@pytest.fixture
def recruitment(database_url, kafka_bootstrap, namespace):
    return lambda: recruitment_app(
        settings_for(
            RecruitmentSettings,
            database_url=database_url("recruitment"),
            kafka_bootstrap=kafka_bootstrap,
            namespace=namespace,
        )
    )


class TestTextAndBooleanBounds:
    async def test_unsafe_text_and_loose_booleans_are_refused_and_nothing_is_stored(self, recruitment):
        async with running(recruitment()) as rec:
            for field, value, named in UNSAFE:
                response = await rec.post("/participants", json=participant_form(**{field: value}))
                assert response.status_code == 422, (field, response.text)
                problem = response.json()
                assert problem["errors"][0]["loc"] == ["body", field] and named in problem["errors"][0]["msg"]
            for field, value in NOT_BOOLEANS:
                response = await rec.post("/participants", json=participant_form(**{field: value}))
                assert response.status_code == 422, (field, value, response.text)
                assert field in response.text
            assert await row_count(rec, "participants") == 0
            # a line feed in free text and real booleans still pass
            ok = await rec.post("/participants", json=participant_form(address="ul. Wrzosowa 12\r\nJastrzębie-Zdrój"))
            assert ok.status_code == 201, ok.text
