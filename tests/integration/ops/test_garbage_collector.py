"""The cyclic garbage collector settles once a service has started under uvicorn (owes_service.runtime): what
lives as long as the process is frozen out of its sight and young collections are rarer. In-process (tests) the
collector is left as it is, since a test process starts many services."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap

from owes_service.runtime import GC_YOUNG_THRESHOLD, settle_garbage_collector

SERVER = textwrap.dedent(
    """
    import gc, json, sys
    import uvicorn
    from owes_service.runtime import settle_garbage_collector

    async def app(scope, receive, send):
        assert scope["type"] == "lifespan"
        await receive()
        settle_garbage_collector()
        print(json.dumps({"threshold": gc.get_threshold()[0], "frozen": gc.get_freeze_count()}), flush=True)
        await send({"type": "lifespan.startup.complete"})
        server.should_exit = True
        await receive()
        await send({"type": "lifespan.shutdown.complete"})

    server = uvicorn.Server(uvicorn.Config(app, port=0, lifespan="on", log_level="warning"))
    server.run()
    """
)


def test_a_service_under_uvicorn_freezes_what_it_started_with_and_collects_less_often():
    done = subprocess.run([sys.executable, "-c", SERVER], capture_output=True, text=True, timeout=60, check=True)
    settled = json.loads(done.stdout.strip().splitlines()[0])
    assert settled["threshold"] == GC_YOUNG_THRESHOLD
    assert settled["frozen"] > 10_000  # uvicorn's, asyncio's and the interpreter's own objects at least


def test_in_process_the_collector_is_left_as_it_is():
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    settle_garbage_collector()
    assert (gc.get_threshold(), gc.get_freeze_count()) == (threshold, frozen)
