"""RFC 9457 problem details for every HTTP error, and exception classes that carry their status."""

from __future__ import annotations

from typing import Any, TypeVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from owes_messaging.consumer import is_transient

PROBLEM_JSON = "application/problem+json"
# The problem responses every service's API may give, for its OpenAPI document (APIRouter(responses=PROBLEMS)).
PROBLEMS: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {PROBLEM_JSON: {}}}
    for status, description in {
        400: "Malformed request",
        404: "Not found",
        409: "Conflicts with the current state",
        413: "Body too large",
        422: "Invalid input or a broken rule",
    }.items()
}
log = structlog.get_logger("owes.http")
T = TypeVar("T")


PROBLEM_TYPES = "https://owes.example/problems/"


class Problem(Exception):
    """A domain or request error with its HTTP status; subclasses name the kind of problem:
    ``class NotFound(Problem, status=404, title="Not found", kind="not-found")``, its type a page of PROBLEM_TYPES."""

    status: int = 400
    title: str = "Bad request"
    type: str = "about:blank"

    def __init_subclass__(
        cls, *, status: int | None = None, title: str | None = None, kind: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if kind is not None:  # a new kind of problem; a subclass of one (DateOutOfRange) keeps its kind's
            cls.status, cls.title, cls.type = status or cls.status, title or cls.title, PROBLEM_TYPES + kind

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(Problem, status=404, title="Not found", kind="not-found"): ...


class Conflict(Problem, status=409, title="Conflict", kind="conflict"): ...


class InvalidInput(Problem, status=422, title="Invalid input", kind="invalid-input"): ...


class MalformedJson(Problem, status=400, title="Malformed JSON", kind="malformed-json"): ...


class Unavailable(Problem, status=503, title="Service unavailable", kind="unavailable"): ...


def found(value: T | None, missing: str) -> T:
    """The value a use case looked up, or NotFound saying what is missing."""
    if value is None:
        raise NotFound(missing)
    return value


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    instance: str | None = None,
    headers: dict | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def answer(request: Request, problem: Problem, *, headers: dict | None = None) -> JSONResponse:
    """A problem as the answer to a request."""
    return problem_response(
        problem.status,
        problem.title,
        problem.detail,
        type_=problem.type,
        instance=request.url.path,
        headers=headers,
        **problem.extra,
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]


# What FastAPI raises (HTTPException 400) when a JSON body cannot even be decoded.
_BODY_PARSE_ERROR = "There was an error parsing the body"


def _malformed_json(request: Request) -> JSONResponse:
    return answer(request, MalformedJson("The request body is not valid JSON."))


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return answer(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = _validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return _malformed_json(request)
        return answer(request, InvalidInput("The request does not match the schema.", errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _BODY_PARSE_ERROR:  # FastAPI: not UTF-8, or not decodable
            return _malformed_json(request)
        title = {
            400: "Bad request",
            401: "Unauthorized",
            403: "Forbidden",
            404: "Not found",
            405: "Method not allowed",
            413: "Content too large",
            415: "Unsupported media type",
            429: "Too many requests",
            503: "Service unavailable",
        }.get(exc.status_code, "HTTP error")
        response = problem_response(
            exc.status_code, title, str(exc.detail), instance=request.url.path, headers=getattr(exc, "headers", None)
        )
        for challenge in getattr(exc, "extra_challenges", ()):  # each auth scheme in a header of its own
            response.raw_headers.append((b"www-authenticate", challenge.encode("latin-1")))
        return response

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # A database that is away is the server's problem, but a temporary one the client may retry;
        # a value the database refuses is the client's.
        sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
        if is_transient(exc):
            log.warning("database_unavailable", path=request.url.path, error=type(exc.orig).__name__)
            unavailable = Unavailable("The database is unavailable; retry shortly.")
            return answer(request, unavailable, headers={"Retry-After": "1"})
        if isinstance(exc, IntegrityError) or sqlstate.startswith("23"):
            return answer(request, Conflict("The request conflicts with data already stored."))
        if isinstance(exc, DataError) or sqlstate.startswith("22"):
            return answer(
                request,
                InvalidInput(
                    "A value in the request cannot be stored (too long, out of range or containing a forbidden "
                    "character)."
                ),
            )
        log.exception("unhandled_database_error", path=request.url.path)
        return problem_response(
            500, "Internal error", "An unexpected error occurred; it has been logged.", instance=request.url.path
        )

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> JSONResponse:
        # e.g. an integer beyond 64 bits reaching SQLite's driver (PostgreSQL's answers a DataError instead)
        log.warning("value_out_of_range", path=request.url.path, error=str(exc))
        return answer(request, InvalidInput("A number in the request is out of range."))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled_error", path=request.url.path)
        return problem_response(
            500, "Internal error", "An unexpected error occurred; it has been logged.", instance=request.url.path
        )
