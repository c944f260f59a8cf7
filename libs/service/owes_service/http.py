"""HTTP edge middleware: each request observed (correlation id in and out, trace span, duration), and a cap on
request body size."""

from __future__ import annotations

import re
import time

from opentelemetry.trace import Tracer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from owes_contracts.correlation import correlation_scope, new_id

from .asgi import replay, send_problem
from .metrics import UNMATCHED_ROUTE, ServiceMetrics
from .tracing import UNTRACED_PATHS, finish_request_span, request_span

CORRELATION_HEADER = "x-correlation-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class ObservedRequestMiddleware:
    """What every HTTP request is seen by, in one layer with one wrapper of `send` (each layer costs a write):

    - its correlation id: X-Correlation-ID when valid, else a new one, bound for logs and outgoing events and
      echoed back;
    - its SERVER span, continuing the caller's traceparent (none for probes and scrapes);
    - its duration, labelled by route template (never the raw path: ids would explode the series).
    """

    def __init__(self, app: ASGIApp, *, tracer: Tracer, metrics: ServiceMetrics) -> None:
        self.app = app
        self.tracer = tracer
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        incoming: str | None = None
        carrier: dict[str, str] = {}
        for name, value in scope["headers"]:
            if name == b"x-correlation-id" and incoming is None:
                incoming = value.decode("latin-1")
            elif name in (b"traceparent", b"tracestate"):
                carrier[name.decode("latin-1")] = value.decode("latin-1")
        correlation_id = incoming if incoming and _VALID_ID.match(incoming) else new_id()
        echoed = (b"x-correlation-id", correlation_id.encode())
        status = 500  # unless a response starts

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        try:
            with correlation_scope(correlation_id):
                if scope["path"] in UNTRACED_PATHS:
                    await self.app(scope, receive, observed_send)
                else:
                    with request_span(self.tracer, scope, carrier) as span:
                        try:
                            await self.app(scope, receive, observed_send)
                        finally:
                            finish_request_span(span, scope, status)
        finally:
            route = getattr(scope.get("route"), "path", None) or UNMATCHED_ROUTE
            self.metrics.observe_request(
                route=route, method=scope["method"], status=status, seconds=time.perf_counter() - started
            )


class BodySizeLimitMiddleware:
    """Rejects bodies over the limit with 413 problem details before the app reads them."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._reject(scope, send)
        # Read the body (at most max_bytes) before the app sees it: a chunked body has no length to check, and
        # an error raised while the app reads would reach FastAPI's body parser, which turns it into a 400.
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it as it would
                return await self.app(scope, replay([message], receive), send)
            body = message.get("body", b"")
            received += len(body)
            if received > self.max_bytes:
                return await self._reject(scope, send)
            chunks.append(body)
            if not message.get("more_body", False):
                break
        await self.app(
            scope, replay([{"type": "http.request", "body": b"".join(chunks), "more_body": False}], receive), send
        )

    async def _reject(self, scope: Scope, send: Send) -> None:
        await send_problem(
            send,
            {
                "type": "about:blank",
                "title": "Content too large",
                "status": 413,
                "detail": f"The request body exceeds {self.max_bytes} bytes.",
                "instance": scope.get("path"),
            },
        )
