"""What the service's ASGI middleware share: reading a request's body whole, handing it on, answering directly."""

from __future__ import annotations

import json
from typing import Any

from starlette.types import Message, Receive, Send

from .problems import PROBLEM_JSON


async def read_body(receive: Receive) -> tuple[list[Message], bytes]:
    """The request's messages (kept, so the app can be handed them again) and the body they carry."""
    messages: list[Message] = []
    body = b""
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":  # the client went away: the app sees it as it would have
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    return messages, body


def replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive callable that gives these messages first, then whatever the server sends (e.g. disconnect)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def send_answer(
    send: Send,
    status: int,
    body: bytes,
    *,
    content_type: bytes = PROBLEM_JSON.encode(),
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer without the app: the response's start, with its length, and its body."""
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_problem(send: Send, problem: dict[str, Any]) -> None:
    """Answer with RFC 9457 problem details; the status is the problem's."""
    await send_answer(send, problem["status"], json.dumps(problem).encode())
