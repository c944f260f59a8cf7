"""HTTP endpoints every service serves: its AsyncAPI document, a page of it, and the whole event catalogue."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse
from faststream.kafka import KafkaBroker

from owes_contracts import events_of

from ..spec import ServiceSpec
from .asyncapi import asyncapi_document
from .pages import catalogue_html, render_html

TAG = "catalogue"  # owes_service.auth lets every role read routes with this tag


def catalogue_router(spec: ServiceSpec, broker: KafkaBroker) -> APIRouter:
    router = APIRouter(tags=[TAG])
    name, namespace = spec.name, spec.settings.topic_namespace

    @cache
    def document() -> dict:  # the broker's subscribers and publishers are fixed once the runtime is built
        return asyncapi_document(spec, broker)

    @router.get("/asyncapi.json", summary="AsyncAPI 3.0 document: the events this service publishes and consumes")
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(document())

    @router.get("/asyncapi", response_class=HTMLResponse, summary="The AsyncAPI document as a page")
    async def asyncapi_page() -> HTMLResponse:
        return HTMLResponse(
            render_html(
                title=f"{spec.title}: events",
                intro=spec.description,
                sections=[(f"Published by {name}", events_of(name)), (f"Consumed by {name}", list(spec.handlers))],
                namespace=namespace,
                links=[("AsyncAPI 3.0 (JSON)", "asyncapi.json"), ("All events", "catalogue")],
            )
        )

    @router.get("/catalogue", response_class=HTMLResponse, summary="Every event of every partner's service")
    async def catalogue_page() -> HTMLResponse:
        return HTMLResponse(catalogue_html(namespace))

    return router
