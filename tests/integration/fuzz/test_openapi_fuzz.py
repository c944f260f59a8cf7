"""Every operation of every service's OpenAPI document, fuzzed with schemathesis (valid and invalid data):
no answer is a server error, and every client error is an RFC 9457 problem.

The apps run in-process with their real lifespan (migrations, broker, relay, consumers) on the test's
broker and database; the fuzzing is bounded (MAX_EXAMPLES per operation and mode) and deterministic
(derandomized), so a run is repeatable. It covers whatever endpoints a service has when the test runs.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections import Counter

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi as schemathesis_asgi

from helpers import auth_headers, settings_for
from owes_cli.system import OPERATORS

MAX_EXAMPLES = int(os.environ.get("OWES_FUZZ_MAX_EXAMPLES", "25"))  # raise it for a deeper run
SERVICES = ("recruitment", "advisory", "grants", "reporting")
PROBLEM_JSON = "application/problem+json"


class ServiceApp:
    """One service's ASGI app, built on first use inside the event loop schemathesis serves it from
    (the Kafka clients bind to the loop they are created in)."""

    def __init__(self, service: str, *, database_url: str, kafka_bootstrap: str, namespace: str) -> None:
        main = importlib.import_module(f"{service}.main")
        settings_cls = getattr(importlib.import_module(f"{service}.settings"), f"{service.capitalize()}Settings")
        self._build = lambda: main.create_app(
            settings_for(settings_cls, database_url=database_url, kafka_bootstrap=kafka_bootstrap, namespace=namespace)
        )
        self._app = None

    async def __call__(self, scope, receive, send) -> None:
        if self._app is None:
            self._app = self._build()
        await self._app(scope, receive, send)


def client_errors_are_problems(response, case) -> str | None:
    status = response.status_code
    content_type = (response.headers.get("content-type") or [""])[0]  # schemathesis: name -> list of values
    if 400 <= status < 500 and not content_type.startswith(PROBLEM_JSON):
        return f"{status} answered as {content_type!r}, not {PROBLEM_JSON}"
    return None


def fuzz_operation(operation, mode: GenerationMode, headers: dict[str, str], statuses: Counter) -> list[str]:
    """Run one operation's examples in one mode; return what went wrong (empty when nothing did)."""
    failures: list[str] = []

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        print_blob=False,
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        response = case.call(headers=headers)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except AssertionError as exc:  # schemathesis' failures are AssertionErrors with a readable message
            failures.append(f"{operation.label} [{mode.value}]: {str(exc).strip()[:1500]}")
            return
        problem = client_errors_are_problems(response, case)
        if problem:
            failures.append(f"{operation.label} [{mode.value}]: {problem}\n{case.as_curl_command()}")

    with contextlib.suppress(hypothesis.errors.Unsatisfiable):  # nothing to generate in this mode (no invalid case)
        run()
    return failures


@pytest.mark.timeout(600)
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")  # inside schemathesis
@pytest.mark.parametrize("service", SERVICES)
def test_no_operation_answers_a_server_error_and_client_errors_are_problems(
    service, database_url, kafka_bootstrap, namespace
):
    app = ServiceApp(service, database_url=database_url(service), kafka_bootstrap=kafka_bootstrap, namespace=namespace)
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)  # starts the app's lifespan
        headers = auth_headers(OPERATORS[service])
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations, f"{service} documents no operation"
        failures: list[str] = []
        statuses: Counter[int] = Counter()
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += fuzz_operation(operation, mode, headers, statuses)
    finally:
        schemathesis_asgi.shutdown_lifespans()
    print(
        f"\n{service}: {len(operations)} operations, {sum(statuses.values())} requests, "
        f"statuses {dict(sorted(statuses.items()))}"
    )
    assert sum(statuses.values()) >= len(operations)
    assert not failures, f"{len(failures)} failure(s) in {service}:\n\n" + "\n\n".join(failures)
