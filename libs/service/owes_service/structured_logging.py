"""Structured JSON logging: every line carries the service, and the event id and correlation id in scope."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
from structlog.typing import EventDict, Processor

from owes_contracts.correlation import scope_ids


class _Stdout:
    """Whatever sys.stdout is when a line is written (a redirected stream, a test's capture), not the one of the
    moment logging was configured."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


_configured = False


def configure_logging_once(*, service: str, level: str = "INFO", json: bool = True) -> None:
    """Configure logging when this process builds its first service app; later apps (tests build many in one
    process) keep it: logging is the process's, not an app's."""
    if not _configured:
        configure_logging(service=service, level=level, json=json)


def configure_logging(*, service: str, level: str = "INFO", json: bool = True) -> None:
    """Route stdlib and structlog output through one JSON renderer on stdout."""
    global _configured
    _configured = True
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_correlation,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_service(service),
    ]
    renderer = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_Stdout())
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn and FastStream install their own plain-text handlers: send their records through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faststream", "faststream.access.kafka"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    for noisy in ("aiokafka", "uvicorn.access", "faststream.access.kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def _add_service(service: str) -> Processor:
    def processor(_logger: Any, _name: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service)
        return event_dict

    return processor


def _add_correlation(_logger: Any, _name: str, event_dict: EventDict) -> EventDict:
    """The correlation id and event id in scope (owes_contracts.correlation), unless the line names its own."""
    for key, value in scope_ids().items():
        event_dict.setdefault(key, value)
    return event_dict
