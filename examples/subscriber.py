"""An OWES Mesh subscriber to copy: read the partners' event topics, parse each CloudEvent (Kafka binding,
binary mode), skip duplicates by event id, and handle each event type.

    pip install aiokafka
    python examples/subscriber.py --bootstrap-servers kafka.example.org:9092 --group-id my-crm

It needs nothing from OWES Mesh itself. Delivery is at least once: after a crash or a rebalance the broker
sends some events again, so the subscriber remembers the ids it handled. This one remembers them in memory;
yours should store them in the same database transaction as the effect of the event (a table with the event
id as primary key), so that an effect and its "handled" mark are never apart. See docs/integrators.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer
from aiokafka.helpers import create_ssl_context

log = logging.getLogger("owes.subscriber")

PRODUCERS = ("recruitment", "advisory", "grants")
REQUIRED_ATTRIBUTES = ("id", "source", "type", "specversion", "time", "subject", "schemaversion")


def topics(namespace: str = "owes") -> list[str]:
    """The three events topics: one per producing service."""
    return [f"{namespace}.{producer}.events" for producer in PRODUCERS]


class NotAnEvent(ValueError):
    """A record that is not a well-formed CloudEvent: log it and move on, never stop the subscriber."""


@dataclass(frozen=True)
class Event:
    """One CloudEvent: its attributes (from the ce_* headers) and its JSON payload (the record value)."""

    id: str
    source: str
    type: str
    time: dt.datetime
    subject: str
    schemaversion: int
    data: dict
    correlationid: str | None = None
    causationid: str | None = None
    partner: str | None = None
    traceparent: str | None = None
    topic: str = ""
    partition: int = 0
    offset: int = 0


def parse(record) -> Event:
    """Parse a Kafka record in CloudEvents binary mode: attributes in `ce_<name>` headers, data in the value."""
    attributes: dict[str, str] = {}
    content_type = None
    for name, value in record.headers or ():
        text = value.decode("utf-8") if value is not None else ""
        if name.startswith("ce_"):
            attributes[name[3:]] = text
        elif name.lower() == "content-type":
            content_type = text
    missing = [a for a in REQUIRED_ATTRIBUTES if not attributes.get(a)]
    if missing:
        raise NotAnEvent(f"missing headers: {', '.join('ce_' + a for a in missing)}")
    if attributes["specversion"] != "1.0":
        raise NotAnEvent(f"unsupported CloudEvents specversion {attributes['specversion']}")
    if content_type and not content_type.startswith("application/json"):
        raise NotAnEvent(f"unsupported content-type {content_type}")
    try:
        data = json.loads(record.value)
        version = int(attributes["schemaversion"])
        time = dt.datetime.fromisoformat(attributes["time"].replace("Z", "+00:00"))
    except (TypeError, ValueError) as exc:
        raise NotAnEvent(str(exc)) from None
    return Event(
        id=attributes["id"],
        source=attributes["source"],
        type=attributes["type"],
        time=time,
        subject=attributes["subject"],
        schemaversion=version,
        data=data,
        correlationid=attributes.get("correlationid"),
        causationid=attributes.get("causationid"),
        partner=attributes.get("partner"),
        traceparent=attributes.get("traceparent"),
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
    )


class SeenIds:
    """The ids of the last `capacity` events handled (in memory: a sketch of your database's inbox table)."""

    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)


# One line per event type and schema version this subscriber understands. Money is a decimal string: parse it
# with decimal.Decimal, never float.
T = "pl.owes."
DESCRIBE: dict[tuple[str, int], Callable[[dict], str]] = {
    (T + "recruitment.ParticipantRecruited", 1): lambda d: (
        f"participant {d['participant_id']} recruited in {d['county']} ({d['gender']}, {d['age_band']})"
    ),
    (T + "recruitment.ParticipantEligibilityConfirmed", 1): lambda d: f"participant {d['participant_id']} eligible",
    (T + "recruitment.ParticipantEligibilityRejected", 1): lambda d: (
        f"participant {d['participant_id']} not eligible: {d['reason']}"
    ),
    (T + "recruitment.ParticipantWithdrawn", 1): lambda d: f"participant {d['participant_id']} withdrew: {d['reason']}",
    (T + "recruitment.ParticipantDataErased", 1): lambda d: (
        f"participant {d['participant_id']}: personal data erased at the source"
    ),
    (T + "recruitment.OrganisationEnrolled", 1): lambda d: (
        f"organisation {d['organisation_id']} ({d['organisation_type']}) enrolled: {d['organisation_name']}"
    ),
    (T + "recruitment.OrganisationEconomicActivityStarted", 1): lambda d: (
        f"organisation {d['organisation_id']} started {d['activity']} activity"
    ),
    (T + "recruitment.InitiativeGroupFormed", 1): lambda d: (
        f"initiative group {d['group_id']} formed with {len(d['member_ids'])} members"
    ),
    (T + "advisory.AdvisorySessionHeld", 1): lambda d: (
        f"{d['kind']} advice, {d['hours']} h, for {d['participant_id'] or d['organisation_id']}"
    ),
    (T + "advisory.TrainingCompleted", 1): lambda d: (
        f"participant {d['participant_id']} completed training {d['title']!r} ({d['hours']} h)"
    ),
    (T + "advisory.MentoringProvided", 1): lambda d: (
        f"mentoring, {d['hours']} h, for {d['participant_id'] or d['organisation_id']}"
    ),
    (T + "grants.GrantApplicationSubmitted", 1): lambda d: (
        f"application {d['application_id']} asks PLN {d['amount_requested']} for {d['jobs_planned']} jobs"
    ),
    (T + "grants.GrantApplicationEvaluated", 1): lambda d: (
        f"application {d['application_id']} evaluated {d['outcome']} ({d['score']} points)"
    ),
    (T + "grants.GrantAwarded", 1): lambda d: (
        f"application {d['application_id']} awarded PLN {d['total_amount']} for {d['jobs']} jobs"
    ),
    (T + "grants.GrantDisbursed", 1): lambda d: f"PLN {d['amount']} paid out on application {d['application_id']}",
    (T + "grants.CooperativeFounded", 1): lambda d: (
        f"cooperative {d['cooperative_name']!r} founded (KRS {d['krs']}, {len(d['founder_ids'])} founders)"
    ),
    (T + "grants.CooperativeFounded", 2): lambda d: (
        f"cooperative {d['cooperative_name']!r} founded by {d['founded_by'].replace('_', ' ')} (KRS {d['krs']})"
    ),
    (T + "grants.JobCreated", 1): lambda d: (
        f"job {d['job_id']} created in {d['cooperative_id']} for participant {d['participant_id']}"
    ),
    (T + "grants.BridgeSupportPaid", 1): lambda d: (
        f"bridge support month {d['instalment']} for job {d['job_id']}: PLN {d['amount']}"
    ),
    (T + "grants.JobMaintenanceFunded", 1): lambda d: (
        f"job {d['job_id']} ({d['working_time']}) granted PLN {d['amount']} for {d['months']} months of maintenance"
    ),
    (T + "grants.JobSustained", 1): lambda d: f"job {d['job_id']} still there at the sustainability check",
    (T + "grants.JobNotSustained", 1): lambda d: f"job {d['job_id']} ended {d['ended_on']}, before {d['due_on']}",
    (T + "grants.JobEnded", 1): lambda d: f"job {d['job_id']} ended: {d['reason']}",
}


async def print_event(event: Event) -> None:
    """The default handler: one line per event."""
    line = DESCRIBE[event.type, event.schemaversion](event.data)
    print(f"{event.time:%Y-%m-%d %H:%M} {event.partner or event.source}: {line}", flush=True)


@dataclass
class Stats:
    handled: int = 0
    duplicates: int = 0
    skipped: int = 0  # not an event, or a type or version this subscriber does not know


async def consume(
    bootstrap_servers: str,
    *,
    group_id: str,
    topic_names: Sequence[str],
    handle: Callable[[Event], Awaitable[None]] = print_event,
    seen: SeenIds | None = None,
    stop: asyncio.Event | None = None,
    stats: Stats | None = None,
    from_beginning: bool = True,
    **client_options,
) -> Stats:
    """Handle every event on the topics, each once, in order per key; commit offsets only after handling.
    Runs until `stop` is set; `stats` counts as it goes."""
    seen = seen if seen is not None else SeenIds()
    stop = stop or asyncio.Event()
    stats = stats if stats is not None else Stats()
    consumer = AIOKafkaConsumer(
        *topic_names,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest" if from_beginning else "latest",
        **client_options,
    )
    await consumer.start()
    try:
        while not stop.is_set():
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    try:
                        event = parse(record)
                    except NotAnEvent as exc:
                        log.warning("skipped %s[%s]@%s: %s", record.topic, record.partition, record.offset, exc)
                        stats.skipped += 1
                        continue
                    if event.id in seen:
                        stats.duplicates += 1
                        continue
                    if (event.type, event.schemaversion) not in DESCRIBE:
                        # a new event type or version: readers skip what they do not know (docs/integrators.md)
                        log.info("skipped unknown %s v%s", event.type, event.schemaversion)
                        stats.skipped += 1
                        continue
                    await handle(event)  # an exception stops here, before the commit: the event comes again
                    seen.add(event.id)
                    stats.handled += 1
            if batches:
                await consumer.commit()
    finally:
        await consumer.stop()
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description="Print the OWES Mesh events as they arrive.")
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--group-id", default="example-subscriber", help="a new group id reads from the beginning")
    parser.add_argument("--namespace", default="owes", help="the topics' prefix (default owes)")
    parser.add_argument("--from-now", action="store_true", help="a new group starts at the end, not the beginning")
    parser.add_argument("--security-protocol", default="PLAINTEXT", choices=["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"])
    parser.add_argument("--sasl-mechanism", default="SCRAM-SHA-512")
    parser.add_argument("--sasl-username")
    parser.add_argument("--sasl-password")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    options = {"security_protocol": args.security_protocol}
    if args.security_protocol != "PLAINTEXT":
        options |= {
            "sasl_mechanism": args.sasl_mechanism,
            "sasl_plain_username": args.sasl_username,
            "sasl_plain_password": args.sasl_password,
        }
    if args.security_protocol == "SASL_SSL":
        options["ssl_context"] = create_ssl_context()  # the system's trusted CAs
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(
            consume(
                args.bootstrap_servers,
                group_id=args.group_id,
                topic_names=topics(args.namespace),
                from_beginning=not args.from_now,
                **options,
            )
        )


if __name__ == "__main__":
    main()
