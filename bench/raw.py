"""Raw limit: how fast a plain aiokafka producer and consumer move CloudEvent-sized records through the broker.

No database, no outbox, no inbox: this is the ceiling the services are compared with. The records are real
ParticipantRecruited envelopes (about 550 bytes with their ce_* headers), keyed by participant, spread over
the topic's partitions as the relay spreads them.

    .venv/bin/python bench/raw.py                  # 200,000 records, embedded broker
    .venv/bin/python bench/raw.py --records 1000000
    .venv/bin/python bench/raw.py --broker kafka   # on Apache Kafka (one KRaft node, fetched through Maven)
    .venv/bin/python bench/raw.py --broker both    # Tansu, then Apache Kafka, figures side by side
"""

from __future__ import annotations

import asyncio
import time

import _common as c
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from owes_contracts.envelope import CloudEvent


async def produce(
    bootstrap: str,
    records: list[c.Record],
    total: int,
    *,
    acks,
    linger_ms: int,
    batch_kb: int,
    window: int,
    idempotent: bool,
) -> float:
    """Send `total` records (cycling through `records`) as fast as acknowledgements come; return seconds."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks=acks,
        linger_ms=linger_ms,
        max_batch_size=batch_kb * 1024,
        enable_idempotence=idempotent,
    )
    await producer.start()
    try:
        started = time.perf_counter()
        pending: list[asyncio.Future] = []
        for i in range(total):
            r = records[i % len(records)]
            pending.append(await producer.send(r.topic, r.value, key=r.key, headers=r.headers))
            if len(pending) >= window:  # bound what is in flight, as the relay does with one batch
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def consume(bootstrap: str, topic: str, total: int, *, parse: bool, meter: c.CpuMeter) -> float:
    """Read `total` records with a consumer group, committing after each fetched batch; return seconds."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"raw-{c.namespace()}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    await consumer.start()
    try:
        seen = 0
        started = None
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            if started is None:
                if not batches:
                    continue
                started = time.perf_counter()  # from the first record: joining the group is not throughput
                meter.start()
            for records in batches.values():
                if parse:
                    for record in records:
                        CloudEvent.from_kafka(record.headers, record.value)
                seen += len(records)
            if batches:
                await consumer.commit()
        meter.stop()
        return time.perf_counter() - started
    finally:
        await consumer.stop()


async def main(args) -> c.Report:
    report = c.Report("Raw limit: plain aiokafka against the broker", header=("figure", "value", "note"))
    with c.broker(args) as (bootstrap, broker_pid):
        topic = f"{c.namespace()}.raw"
        await c.create_topics(bootstrap, [topic], args.partitions)
        records = c.recruited_records(min(args.records, 20_000), topic)
        c.validate_sample(records[:10])
        size = sum(r.size for r in records) / len(records)
        report.conditions |= {
            "records": f"{args.records:,}, {size:.0f} bytes each (key, value, ce_* headers)",
            "topic": f"{args.partitions} partitions",
            "producer": f"acks={args.acks}, linger_ms={args.linger_ms}, "
            f"max_batch_size={args.batch_kb} KB, {args.window:,} in flight",
        }
        acks = args.acks if args.acks == "all" else int(args.acks)

        c.log(f"producing {args.records:,} records")
        meter = c.CpuMeter(client=None, broker=broker_pid).start()
        seconds = await produce(
            bootstrap,
            records,
            args.records,
            acks=acks,
            linger_ms=args.linger_ms,
            batch_kb=args.batch_kb,
            window=args.window,
            idempotent=c.idempotence(args),
        )
        meter.stop()
        on_topic = await c.topic_size(bootstrap, topic)
        assert on_topic == args.records, f"{on_topic} records on the topic, {args.records} sent"
        report.add(
            "produce",
            f"{c.rate(args.records, seconds)} events/s",
            f"{args.records * size / seconds / 1e6:.1f} MB/s; {meter.summary()}",
        )

        c.log("consuming")
        meter = c.CpuMeter(client=None, broker=broker_pid)
        seconds = await consume(bootstrap, topic, args.records, parse=False, meter=meter)
        report.add(
            "consume", f"{c.rate(args.records, seconds)} events/s", f"commit per fetched batch; {meter.summary()}"
        )

        c.log("consuming again, parsing every CloudEvent")
        seconds = await consume(bootstrap, topic, args.records, parse=True, meter=meter)
        report.add(
            "consume + parse envelope",
            f"{c.rate(args.records, seconds)} events/s",
            f"CloudEvent.from_kafka on each record, as every consumer does first; {meter.summary()}",
        )
    report.notes.append(
        "CPU shares: client = this Python process, broker = the broker's process (Tansu, or "
        "Apache Kafka's JVM); they share the same cores."
    )
    return report


if __name__ == "__main__":
    p = c.parser(__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=200_000, help="records to produce, then consume")
    p.add_argument("--acks", default="all", choices=("all", "1", "0"))
    p.add_argument("--linger-ms", type=int, default=5)
    p.add_argument("--batch-kb", type=int, default=256, help="producer max_batch_size per partition")
    p.add_argument("--window", type=int, default=10_000, help="records in flight before waiting for acks")
    c.report_main(main, p.parse_args())
