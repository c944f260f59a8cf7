"""HTTP edge middleware: correlation id in and out, and a cap on request body size."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from owes_contracts.correlation import correlation_scope, new_id

from .asgi import replay, send_problem

CORRELATION_HEADER = "x-correlation-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class CorrelationMiddleware:
    """Reads X-Correlation-ID (or makes one), binds it for logs and outgoing events, and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-correlation-id"), None)
        correlation_id = incoming if incoming and _VALID_ID.match(incoming) else new_id()

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-correlation-id", correlation_id.encode())]
            await send(message)

        with correlation_scope(correlation_id):
            await self.app(scope, receive, send_with_header)


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
