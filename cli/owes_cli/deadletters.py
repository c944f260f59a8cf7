"""`owes dlq`: list what a service's consumer could not apply, and replay it to its original topic.

A dead letter is the original record (key, value, headers) plus `dlq_*` headers saying why, from where
(topic, partition, offset), by which consumer and when. Replaying sends the original record back to its
original topic, so every consumer of that topic sees it again; their inboxes make that harmless for those
that had already applied it. Replay once the cause is fixed (a deployed fix, a contract that now accepts
the event); a record that is still poison simply comes back to the dead-letter topic.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from owes_contracts import dead_letter_topic_for
from owes_messaging.broker import client_options, partitions_of
from owes_messaging.consumer import (
    DLQ_CONSUMER,
    DLQ_FAILED_AT,
    DLQ_HEADERS,
    DLQ_ORIGINAL_OFFSET,
    DLQ_ORIGINAL_PARTITION,
    DLQ_ORIGINAL_TOPIC,
    DLQ_REASON,
)
from owes_messaging.settings import KafkaSettings

from .audit import audit_cli_action

SERVICES = ("recruitment", "advisory", "grants", "reporting")


@dataclass(frozen=True)
class DeadLetter:
    """One record of a dead-letter topic, with where it sits there and what it says about the original."""

    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]

    def header(self, name: str) -> str | None:
        raw = next((v for k, v in self.headers if k == name), None)
        return raw.decode("utf-8", errors="replace") if raw is not None else None

    @property
    def position(self) -> str:
        """Where the dead letter sits in the dead-letter topic: '<partition>:<offset>'."""
        return f"{self.partition}:{self.offset}"

    @property
    def event_id(self) -> str | None:
        return self.header("ce_id")

    @property
    def event_type(self) -> str | None:
        return self.header("ce_type")

    @property
    def original_topic(self) -> str | None:
        return self.header(DLQ_ORIGINAL_TOPIC)

    def original_headers(self) -> list[tuple[str, bytes]]:
        """The headers the record had before it was dead-lettered."""
        return [(k, v) for k, v in self.headers if k not in DLQ_HEADERS]

    def summary(self) -> dict:
        return {
            "position": self.position,
            "reason": self.header(DLQ_REASON),
            "original_topic": self.original_topic,
            "original_partition": _int(self.header(DLQ_ORIGINAL_PARTITION)),
            "original_offset": _int(self.header(DLQ_ORIGINAL_OFFSET)),
            "type": self.event_type,
            "id": self.event_id,
            "consumer": self.header(DLQ_CONSUMER),
            "failed_at": self.header(DLQ_FAILED_AT),
            "key": self.key.decode("utf-8", errors="replace") if self.key is not None else None,
        }

    def matches(self, selector: str) -> bool:
        """Selected by its event id, or by its position '<partition>:<offset>' in the dead-letter topic."""
        return selector == self.event_id or selector == self.position


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


async def read_dead_letters(options: dict, topic: str) -> list[DeadLetter]:
    """Every record of the dead-letter topic up to its end as of now, in partition and offset order."""
    consumer = AIOKafkaConsumer(**options, enable_auto_commit=False, auto_offset_reset="earliest", client_id="owes-dlq")
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, topic)
        if not partitions:  # nothing dead-lettered yet
            return []
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        letters: list[DeadLetter] = []
        remaining = {tp for tp in tps if ends[tp] > await consumer.position(tp)}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                letters += [
                    DeadLetter(r.partition, r.offset, r.key, r.value, tuple(r.headers or ()))
                    for r in records
                    if r.offset < ends[tp]
                ]
            remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
        return sorted(letters, key=lambda d: (d.partition, d.offset))
    finally:
        await consumer.stop()


async def forgeries(options: dict, letters: list[DeadLetter]) -> dict[str, str]:
    """Dead letters whose original record is not where their `dlq_*` headers say, by position, with why.

    Anyone who can write a dead-letter topic could plant a record there with made-up `dlq_*` headers; replay
    would then publish it to a producer's topic under the producer's name. So a letter is replayed only when the
    record at its recorded topic, partition and offset exists and is the same event (id, key and value).
    """
    refused: dict[str, str] = {}
    consumer = AIOKafkaConsumer(
        **options, enable_auto_commit=False, auto_offset_reset="none", client_id="owes-dlq-verify"
    )
    await consumer.start()
    try:
        for letter in letters:
            partition, offset = _int(letter.header(DLQ_ORIGINAL_PARTITION)), _int(letter.header(DLQ_ORIGINAL_OFFSET))
            topic = letter.original_topic
            if not topic or partition is None or offset is None:
                refused[letter.position] = "no original topic, partition and offset recorded"
                continue
            tp = TopicPartition(topic, partition)
            if partition not in await partitions_of(consumer, topic):
                refused[letter.position] = f"{topic} has no partition {partition}"
                continue
            consumer.assign([tp])
            start, end = (await consumer.beginning_offsets([tp]))[tp], (await consumer.end_offsets([tp]))[tp]
            if not start <= offset < end:
                refused[letter.position] = f"no record at {topic} partition {partition} offset {offset}"
                continue
            consumer.seek(tp, offset)
            original = None
            while original is None:
                batch = await consumer.getmany(tp, timeout_ms=2000, max_records=1)
                original = next(iter(batch.get(tp, ())), None)
                if original is None and not batch:
                    break
            original_id = (
                next((v.decode(errors="replace") for k, v in original.headers or () if k == "ce_id"), None)
                if original is not None and original.offset == offset
                else None
            )
            if original is None or original.offset != offset:
                refused[letter.position] = f"no record at {topic} partition {partition} offset {offset}"
            elif original_id != letter.event_id:
                refused[letter.position] = (
                    f"the record at {topic} partition {partition} offset {offset} is event "
                    f"{original_id}, not {letter.event_id}"
                )
            elif (original.key, original.value) != (letter.key, letter.value):
                refused[letter.position] = f"key or value differs from the record at {topic} {partition}:{offset}"
    finally:
        await consumer.stop()
    return refused


async def replay_dead_letters(options: dict, letters: list[DeadLetter]) -> list[DeadLetter]:
    """Send each dead letter's original record back to its original topic; return those replayed.

    Callers check `forgeries` first: this sends what it is given.
    """
    replayable = [d for d in letters if d.original_topic]
    if not replayable:
        return []
    # No idempotent producer needed (and the embedded broker has none): consumers' inboxes absorb duplicates.
    producer = AIOKafkaProducer(**options, client_id="owes-dlq-replay", acks="all", enable_idempotence=False)
    await producer.start()
    try:
        for letter in replayable:
            await producer.send_and_wait(
                letter.original_topic, value=letter.value, key=letter.key, headers=letter.original_headers()
            )
    finally:
        await producer.stop()
    return replayable


def _kafka_and_namespace(args: argparse.Namespace) -> tuple[dict, str]:
    """Connection options and topic namespace: the service's own settings (its env vars), then the flags."""
    settings_module = importlib.import_module(f"{args.service}.settings")
    settings = getattr(settings_module, f"{args.service.capitalize()}Settings")()
    kafka: KafkaSettings = settings.kafka
    if args.bootstrap_servers:
        kafka = kafka.model_copy(update={"bootstrap_servers": args.bootstrap_servers})
    return client_options(kafka), args.namespace or settings.topic_namespace


def _print_table(letters: list[DeadLetter], topic: str) -> None:
    if not letters:
        print(f"no dead letters in {topic}")
        return
    print(f"{len(letters)} dead letter(s) in {topic}")
    for d in letters:
        s = d.summary()
        print(f"- {s['position']}  failed {s['failed_at'] or '?'} in {s['consumer'] or '?'}")
        print(f"    original  {s['original_topic']} partition {s['original_partition']} offset {s['original_offset']}")
        print(f"    event     {s['type'] or '(no type)'} id {s['id'] or '(no id)'}")
        print(f"    reason    {s['reason']}")


def _read(options: dict, topic: str) -> list[DeadLetter] | None:
    try:
        return asyncio.run(read_dead_letters(options, topic))
    except KafkaError as exc:
        print(f"cannot read {topic} from {options['bootstrap_servers']}: {exc}", file=sys.stderr)
        return None


def cmd_dlq_list(args: argparse.Namespace) -> int:
    options, namespace = _kafka_and_namespace(args)
    topic = dead_letter_topic_for(args.service, namespace)
    letters = _read(options, topic)
    if letters is None:
        return 2
    if args.json:
        print(json.dumps([d.summary() for d in letters], indent=2))
    else:
        _print_table(letters, topic)
    return 0


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    options, namespace = _kafka_and_namespace(args)
    topic = dead_letter_topic_for(args.service, namespace)
    letters = _read(options, topic)
    if letters is None:
        return 2
    if args.ids:
        unknown = [i for i in args.ids if not any(d.matches(i) for d in letters)]
        if unknown:
            print(f"not in {topic}: {', '.join(unknown)}", file=sys.stderr)
            return 1
        letters = [d for d in letters if any(d.matches(i) for i in args.ids)]
    refused = asyncio.run(forgeries(options, letters))
    for position, why in refused.items():
        print(f"refused {position}: {why}", file=sys.stderr)
    letters = [d for d in letters if d.position not in refused]
    if args.dry_run:
        for d in letters:
            print(f"would replay {d.position} ({d.event_type} {d.event_id}) to {d.original_topic}")
        return 1 if refused else 0
    replayed = asyncio.run(replay_dead_letters(options, letters))
    audited = audit_cli_action(
        args.service,
        "dlq replay",
        [(f"replayed {d.position} to {d.original_topic}", d.event_id, 0) for d in replayed]
        + [(f"refused {position}: {why}", None, 1) for position, why in refused.items()],
        database_url=args.database_url,
    )
    for d in replayed:
        print(f"replayed {d.position} ({d.event_type} {d.event_id}) to {d.original_topic}")
    skipped = len(letters) - len(replayed)
    if skipped:
        print(f"{skipped} dead letter(s) without an original topic were not replayed", file=sys.stderr)
    print(f"{len(replayed)} record(s) replayed from {topic}")
    if refused:
        print(f"{len(refused)} dead letter(s) refused: the original record is not where they say", file=sys.stderr)
        return 1
    return 0 if audited else 3


def add_dlq_parser(sub) -> None:
    """Add `owes dlq list|replay <service>` to the command's subparsers."""
    dlq = sub.add_parser("dlq", help="list and replay a service's dead letters")
    actions = dlq.add_subparsers(dest="dlq_command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("service", choices=SERVICES, help="whose dead-letter topic (<namespace>.<service>.dlq)")
        p.add_argument(
            "--bootstrap-servers",
            default=None,
            help="Kafka to use (default: the service's <SERVICE>_KAFKA__BOOTSTRAP_SERVERS)",
        )
        p.add_argument(
            "--namespace",
            default=None,
            help="topic namespace (default: the service's <SERVICE>_TOPIC_NAMESPACE, else owes)",
        )

    listing = actions.add_parser("list", help="print each dead letter: reason, original topic and offset, type, id")
    common(listing)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=cmd_dlq_list)
    replay = actions.add_parser("replay", help="send dead letters back to their original topic (all, or --id)")
    common(replay)
    replay.add_argument(
        "--id",
        dest="ids",
        action="append",
        default=[],
        metavar="ID",
        help="an event id, or a position <partition>:<offset> from `owes dlq list`; repeatable",
    )
    replay.add_argument("--dry-run", action="store_true", help="show what would be replayed, send nothing")
    replay.add_argument(
        "--database-url",
        default=None,
        help="the service's database, for its audit log (default: <SERVICE>_DATABASE_URL)",
    )
    replay.set_defaults(func=cmd_dlq_replay)
