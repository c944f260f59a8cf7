"""Every running service serves an AsyncAPI 3.0 document of the events it publishes and consumes, a page of
it, and the whole event catalogue; integrators may read them."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest
import pytest_asyncio
from faststream.specification.asyncapi.v3_0_0.schema import ApplicationSchema
from jsonschema import Draft202012Validator

from advisory.main import create_app as advisory_app
from advisory.settings import AdvisorySettings
from grants.main import create_app as grants_app
from grants.settings import GrantsSettings
from helpers import client_as, running, settings_for
from owes_contracts import ALL_EVENTS, events_of, topic_for
from owes_contracts.schemas import event_key, message_id
from recruitment.main import create_app as recruitment_app
from recruitment.settings import RecruitmentSettings
from reporting.main import create_app as reporting_app
from reporting.settings import ReportingSettings

SERVICES = {
    "recruitment": (recruitment_app, RecruitmentSettings),
    "advisory": (advisory_app, AdvisorySettings),
    "grants": (grants_app, GrantsSettings),
    "reporting": (reporting_app, ReportingSettings),
}
COMPONENT_KEY = re.compile(r"^[\w\d.\-_]+$")  # AsyncAPI 3.0: keys of the components' maps

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def services(tmp_path_factory, kafka_bootstrap) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """The four services, running (migrated, connected to the broker), each with a client as an integrator."""
    namespace, data = f"t{uuid.uuid4().hex[:12]}", tmp_path_factory.mktemp("catalogue")
    async with AsyncExitStack() as stack:
        clients = {}
        for name, (create, settings_cls) in SERVICES.items():
            app = create(
                settings_for(
                    settings_cls,
                    database_url=f"sqlite+aiosqlite:///{data}/{name}.db",
                    kafka_bootstrap=kafka_bootstrap,
                    namespace=namespace,
                )
            )
            operator = await stack.enter_async_context(running(app))
            clients[name] = await stack.enter_async_context(client_as(operator, "integrator"))
            clients[name].runtime, clients[name].asgi_transport = operator.runtime, operator.asgi_transport
        yield clients


@pytest.fixture(params=list(SERVICES))
def service(request, services) -> httpx.AsyncClient:
    """One running service, called as an integrator."""
    return services[request.param]


def resolve(doc: dict, ref: str):
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node):
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def messages_of(doc: dict, action: str) -> set[str]:
    return {
        ref.rsplit("/", 1)[-1]
        for op in doc["operations"].values()
        if op["action"] == action
        for ref in (m["$ref"] for m in op["messages"])
    }


def payload_validator(doc: dict, message: dict) -> Draft202012Validator:
    # the payload's $ref points into the document's components: validate with the document as the root
    return Draft202012Validator(
        message["payload"] | {"components": doc["components"]}, format_checker=Draft202012Validator.FORMAT_CHECKER
    )


async def asyncapi(client) -> dict:
    response = await client.get("/asyncapi.json")
    assert response.status_code == 200, response.text
    return response.json()


class TestAsyncApiDocument:
    async def test_is_asyncapi_3_and_lists_every_event_the_service_publishes_and_consumes(self, service):
        runtime = service.runtime
        doc = await asyncapi(service)
        assert doc["asyncapi"] == "3.0.0"
        assert messages_of(doc, "send") == {message_id(m) for m in events_of(runtime.spec.name)}
        assert messages_of(doc, "receive") == {message_id(m) for m in runtime.spec.handlers}
        assert doc["info"]["title"] == runtime.spec.title

    async def test_every_reference_resolves_and_operations_use_their_channels_messages(self, service):
        doc = await asyncapi(service)
        for ref in refs(doc):
            resolve(doc, ref)
        for op in doc["operations"].values():
            assert op["action"] in ("send", "receive")
            channel_ref = op["channel"]["$ref"]
            for message in op["messages"]:
                assert message["$ref"].startswith(channel_ref + "/messages/")
        for kind in ("messages", "schemas"):
            assert all(COMPONENT_KEY.match(k) for k in doc["components"][kind]), list(doc["components"][kind])
        ApplicationSchema.model_validate(doc)

    async def test_channels_are_the_producers_topics(self, service):
        doc = await asyncapi(service)
        namespace = service.runtime.settings.topic_namespace
        for op in doc["operations"].values():
            channel = resolve(doc, op["channel"]["$ref"])
            for ref in (m["$ref"] for m in op["messages"]):
                message = resolve(doc, resolve(doc, ref)["$ref"])
                producer = message["x-cloudevents-type"].split(".")[2]
                assert channel["address"] == topic_for(producer, namespace)

    async def test_each_message_documents_headers_key_and_a_valid_example(self, service):
        doc = await asyncapi(service)
        assert doc["components"]["messages"], "the service publishes or consumes something"
        for message in doc["components"]["messages"].values():
            example = message["examples"][0]
            assert list(payload_validator(doc, message).iter_errors(example["payload"])) == []
            assert list(Draft202012Validator(message["headers"]).iter_errors(example["headers"])) == []
            assert example["headers"]["ce_type"] == message["x-cloudevents-type"]
            assert message["correlationId"]["location"] == "$message.header#/ce_correlationid"
            assert message["bindings"]["kafka"]["key"]["examples"] == [example["headers"]["ce_subject"]]

    async def test_every_payload_field_is_described_with_an_example(self, service):
        doc = await asyncapi(service)
        for name, message in doc["components"]["messages"].items():
            payload = resolve(doc, message["payload"]["$ref"])
            for field, prop in payload["properties"].items():
                assert prop.get("description"), f"{name}.{field}"
                assert prop.get("examples") or any(b.get("examples") for b in prop.get("anyOf", [])), f"{name}.{field}"


class TestPages:
    async def test_the_asyncapi_page_lists_what_the_service_publishes_and_consumes(self, service):
        runtime = service.runtime
        response = await service.get("/asyncapi")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        shown = set(re.findall(r"data-event='([^']+)'", response.text))
        assert shown == {event_key(m) for m in (*events_of(runtime.spec.name), *runtime.spec.handlers)}

    async def test_the_catalogue_page_lists_every_event(self, service):
        response = await service.get("/catalogue")
        assert response.status_code == 200
        shown = re.findall(r"data-event='([^']+)'", response.text)
        assert sorted(shown) == sorted(event_key(m) for m in ALL_EVENTS)
        assert f"<code>{service.runtime.settings.topic_namespace}.grants.events</code>" in response.text

    async def test_callers_without_credentials_are_refused(self, service):
        async with client_as(service, None) as anonymous:
            assert (await anonymous.get("/asyncapi.json")).status_code == 401
