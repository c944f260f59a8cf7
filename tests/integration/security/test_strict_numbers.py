"""Numbers at the edge are strict (issue 13, "Bounds"): a count is a whole number in ASCII digits, an amount or a
duration a plain decimal; "1e3", 2.0, true, or digits of another script are refused with a 422 naming the field,
and nothing is stored."""

from __future__ import annotations

import pytest

from helpers import row_count, running, settings_for

FULL_WIDTH_FIVE = "\uff15"


def _app(service: str, database_url, kafka_bootstrap, namespace):
    if service == "advisory":
        from advisory.main import create_app
        from advisory.settings import AdvisorySettings as Settings
    else:
        from grants.main import create_app
        from grants.settings import GrantsSettings as Settings
    return create_app(
        settings_for(Settings, database_url=database_url(service), kafka_bootstrap=kafka_bootstrap, namespace=namespace)
    )


APPLICATION = {
    "applicant_kind": "organisation",
    "applicant_id": "org_1",
    "summary": "Catering cooperative serving schools",
    "jobs_planned": 2,
    "amount_requested": "1000.00",
}
REFUSED = [
    ("grants", "/applications", APPLICATION | {"jobs_planned": "1e3"}, "jobs_planned", "applications"),
    ("grants", "/applications", APPLICATION | {"jobs_planned": 2.0}, "jobs_planned", "applications"),
    ("grants", "/applications", APPLICATION | {"jobs_planned": True}, "jobs_planned", "applications"),
    ("grants", "/applications", APPLICATION | {"jobs_planned": FULL_WIDTH_FIVE}, "jobs_planned", "applications"),
    ("grants", "/applications", APPLICATION | {"amount_requested": "1e3"}, "amount_requested", "applications"),
    ("grants", "/applications", APPLICATION | {"amount_requested": "\u0661\u0660\u0660"}, "amount_requested",
     "applications"),
    ("advisory", "/trainings", {"title": "Księgowość", "hours": "1e1"}, "hours", "trainings"),
    ("advisory", "/trainings", {"title": "Księgowość", "hours": "8", "required_attendance_percent": 80.0},
     "required_attendance_percent", "trainings"),
]  # fmt: skip


@pytest.mark.parametrize(("service", "path", "body", "field", "table"), REFUSED)
async def test_loose_numbers_are_refused(service, path, body, field, table, database_url, kafka_bootstrap, namespace):
    async with running(_app(service, database_url, kafka_bootstrap, namespace)) as client:
        response = await client.post(path, json=body)
        assert response.status_code == 422, response.text
        assert ["body", field] in [e["loc"] for e in response.json()["errors"]], response.text
        assert await row_count(client, table) == 0
