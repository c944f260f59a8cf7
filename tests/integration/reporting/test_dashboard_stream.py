"""The dashboard page and its stream: sections rendered on the server, pushed again when an event lands."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from helpers import running
from integration.reporting.reporting_scenario import envelope, publish, recruited


def pushed_sections(body: str) -> list[dict]:
    """The `dashboard` messages of a server-sent event stream."""
    messages = []
    for block in body.split("\n\n"):
        lines = block.split("\n")
        if "event: dashboard" in lines:
            messages.append(json.loads(next(line[len("data: ") :] for line in lines if line.startswith("data: "))))
    return messages


class TestDashboard:
    async def test_stream_pushes_the_changed_card_when_an_event_is_applied_and_the_page_renders_it(
        self, reporting_app, kafka_bootstrap, namespace
    ):
        async with running(reporting_app(dashboard_stream_seconds=4.0, dashboard_heartbeat=0.5)) as rep:

            async def publish_soon():
                await asyncio.sleep(1.0)
                await publish(
                    kafka_bootstrap, namespace, [envelope(recruited(1, "male", "35-49", "zory", dt.date(2026, 3, 2)))]
                )

            publisher = asyncio.create_task(publish_soon())
            response = await rep.get("/dashboard/stream?lang=en")  # the stream ends after dashboard_stream_seconds
            await publisher
            assert response.headers["content-type"].startswith("text/event-stream")
            messages = pushed_sections(response.text)
            first, later = messages[0], messages[1:]
            assert set(first["sections"]) >= {"target-cards", "freshness", "charts", "breakdowns"}
            assert '<div class="value">0</div>' in first["sections"]["target-cards"]
            cards = [m["sections"]["target-cards"] for m in later if "target-cards" in m["sections"]]
            assert cards and 'data-indicator="people_supported"' in cards[-1]
            assert '<div class="title">People supported</div><div class="value">1</div>' in cards[-1]

            # the page itself: the same sections, rendered on the server, nothing fetched from elsewhere
            response = await rep.get("/dashboard?lang=en")
            assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
            page = response.text
            assert 'data-indicator="people_supported"' in page and "of 400 target" in page
            assert page.count("<svg") >= 10 and "://" not in page.split("<footer>")[0]
            assert 'data-producer="recruitment"' in page and "last event" in page
            css = await rep.get("/dashboard/assets/dashboard.css")
            assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
            assert (await rep.get("/dashboard/assets/main.py")).status_code == 404
