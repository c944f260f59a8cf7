"""What a service does once started under uvicorn (owes_service.runtime.settle_under_uvicorn, called by every
service's lifespan): the cyclic garbage collector settles (what lives as long as the process frozen out of its
sight, young collections rarer) and SIGTERM becomes a drain that exits 0. In-process (tests) nothing changes,
since a test process starts many services."""

from __future__ import annotations

import gc
import json
import signal
import subprocess
import sys
import textwrap

from owes_service.runtime import GC_YOUNG_THRESHOLD, settle_under_uvicorn

SERVER = textwrap.dedent(
    """
    import gc, json, signal
    import uvicorn
    from owes_service.runtime import settle_under_uvicorn

    async def app(scope, receive, send):
        assert scope["type"] == "lifespan"
        await receive()
        settle_under_uvicorn()
        handler = signal.getsignal(signal.SIGTERM)
        print(json.dumps({
            "threshold": gc.get_threshold()[0],
            "frozen": gc.get_freeze_count(),
            "sigterm": getattr(handler, "__name__", str(handler)),
        }), flush=True)
        await send({"type": "lifespan.startup.complete"})
        server.should_exit = True
        await receive()
        await send({"type": "lifespan.shutdown.complete"})

    server = uvicorn.Server(uvicorn.Config(app, port=0, lifespan="on", log_level="warning"))
    server.run()
    """
)


def test_a_service_under_uvicorn_settles_the_collector_and_drains_on_sigterm():
    done = subprocess.run([sys.executable, "-c", SERVER], capture_output=True, text=True, timeout=60, check=True)
    settled = json.loads(next(line for line in done.stdout.splitlines() if line.startswith("{")))
    assert settled["threshold"] == GC_YOUNG_THRESHOLD
    assert settled["frozen"] > 10_000  # uvicorn's, asyncio's and the interpreter's own objects at least
    assert settled["sigterm"] == "drain"


def test_in_process_nothing_changes():
    before = (gc.get_threshold(), gc.get_freeze_count(), signal.getsignal(signal.SIGTERM))
    settle_under_uvicorn()
    assert (gc.get_threshold(), gc.get_freeze_count(), signal.getsignal(signal.SIGTERM)) == before
