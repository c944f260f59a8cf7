"""Finding personal data where it must not be: PESEL-shaped numbers and known names or contacts in text.

Events leave the recruitment service with a pseudonymous participant id only; tests (and operators, on a
topic dump) use `find_personal_data` to prove no record carries more.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from owes_messaging.broker import partitions_of

from .identifiers import is_pesel
from .text_guard import personal_data_in

# 11 digits standing alone: not part of a longer number, a hex id or a word.
_ELEVEN_DIGITS = re.compile(r"(?<![0-9A-Za-z])[0-9]{11}(?![0-9A-Za-z])")


def is_pesel_shaped(value: str) -> bool:
    """11 digits that are a valid PESEL: checksum and an existing birth date (owes_service.identifiers)."""
    return is_pesel(value)


def find_pesels(text: str) -> list[str]:
    return [m.group() for m in _ELEVEN_DIGITS.finditer(text) if is_pesel_shaped(m.group())]


class KnownValues:
    """Personal values to look for (names, e-mails, phones), matched as whole words in any case, in one pass."""

    def __init__(self, values: Iterable[str]) -> None:
        self.canonical = {v.strip().casefold(): v.strip() for v in values if v and v.strip()}
        alternatives = sorted(self.canonical.values(), key=len, reverse=True)
        self.pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, alternatives)) + r")(?!\w)", re.IGNORECASE)
            if alternatives
            else None
        )

    def find(self, text: str) -> list[str]:
        if self.pattern is None:
            return []
        return [self.canonical.get(m.group().casefold(), m.group()) for m in self.pattern.finditer(text)]


def find_personal_data(text: str, known: Iterable[str] | KnownValues = ()) -> list[str]:
    """PESEL-shaped numbers in the text, and each known personal value (name, e-mail, phone) found as a word."""
    known = known if isinstance(known, KnownValues) else KnownValues(known)
    return find_pesels(text) + known.find(text)


# Fields of an event payload that hold words rather than codes (a reason, a note, a title, a summary, a name): the
# only places a person's e-mail or phone could be typed in, so each is also searched for their shapes.
_FREE_TEXT_FIELD = re.compile(r"(reason|note|title|summary|name|description|comment)", re.IGNORECASE)


def free_text_findings(payload: Any, path: str = "") -> list[tuple[str, str]]:
    """(field, what it looks like: text) for each free-text field of a decoded payload that holds a PESEL, an
    e-mail address or a phone number by shape (owes_service.text_guard.personal_data_in)."""
    out: list[tuple[str, str]] = []
    if isinstance(payload, dict):
        for key, item in payload.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(item, str) and _FREE_TEXT_FIELD.search(str(key)):
                found = personal_data_in(item)
                if found:
                    out.append((where, f"{found}: {item}"))
            else:
                out += free_text_findings(item, where)
    elif isinstance(payload, list):
        for index, item in enumerate(payload):
            out += free_text_findings(item, f"{path}[{index}]")
    return out


@dataclass(frozen=True)
class Finding:
    """Personal data found in one record: where (key, value or a header) and what."""

    topic: str
    partition: int
    offset: int
    where: str
    value: str


def scan_record(record: ConsumerRecord[Any, Any], known: Iterable[str] | KnownValues = ()) -> list[Finding]:
    values = known if isinstance(known, KnownValues) else KnownValues(known)
    parts = [("key", record.key), ("value", record.value)]
    parts += [(f"header {name}", value) for name, value in (record.headers or ())]
    findings = []
    for where, raw in parts:
        if raw is None:
            continue
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else str(raw)
        findings += [
            Finding(record.topic, record.partition, record.offset, where, value)
            for value in find_personal_data(text, values)
        ]
        if where == "value":
            try:
                payload = json.loads(text)
            except ValueError:
                continue
            findings += [
                Finding(record.topic, record.partition, record.offset, f"value.{field}", what)
                for field, what in free_text_findings(payload)
            ]
    return findings


async def scan_topics(
    client_options: dict[str, Any], *, known: Iterable[str] = (), topic_prefix: str = "", timeout: float = 300.0
) -> tuple[int, list[Finding]]:
    """Read every record of every topic (or those with a prefix) from the start to the end offsets as of now.

    Returns how many records were read and what personal data they held. `client_options` are aiokafka's
    connection options (owes_messaging.broker.client_options(settings.kafka), or {"bootstrap_servers": ...}).
    """
    values = KnownValues(known)
    consumer = AIOKafkaConsumer(
        **client_options,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if t.startswith(topic_prefix) and not t.startswith("__"))
        partitions = [TopicPartition(t, p) for t in topics for p in sorted(await partitions_of(consumer, t))]
        if not partitions:
            return 0, []
        ends = {tp: end for tp, end in (await consumer.end_offsets(partitions)).items() if end > 0}
        if not ends:
            return 0, []
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        findings: list[Finding] = []
        count = 0
        deadline = time.monotonic() + timeout
        while ends:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(ends)} partitions not read to their end in {timeout}s")
            batch = await consumer.getmany(timeout_ms=500, max_records=5000)
            for records in batch.values():
                for record in records:
                    count += 1
                    findings += scan_record(record, values)
            for tp in list(ends):  # the position passes control records too, so it reaches the end offset
                if await consumer.position(tp) >= ends[tp]:
                    del ends[tp]
        return count, findings
    finally:
        await consumer.stop()
