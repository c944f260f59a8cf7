"""The catalogue for people: every event with its topic, key, type, version, fields and examples."""

from __future__ import annotations

import json
import re

import pytest

from owes_contracts import ALL_EVENTS, JobCreated
from owes_contracts.schemas import event_key, example_payload, field_docs, schema_file_name
from owes_service.catalogue.pages import catalogue_html, render_html, render_markdown

EVENTS = pytest.mark.parametrize("model", ALL_EVENTS, ids=event_key)


@pytest.fixture(scope="module")
def markdown() -> str:
    return render_markdown()


@pytest.fixture(scope="module")
def html() -> str:
    return catalogue_html()


def section(html: str, model) -> str:
    key = re.escape(event_key(model))
    match = re.search(rf"<section class='event'[^>]*data-event='{key}'>(.*?)</section>", html, re.S)
    assert match, f"no section for {event_key(model)}"
    return match.group(1)


def markdown_section(markdown: str, model) -> str:
    start = markdown.index(f"### {model.name} (v{model.version})")
    end = markdown.find("\n### ", start + 1)
    return markdown[start : end if end > 0 else None]


class TestMarkdownCatalogue:
    @EVENTS
    def test_lists_topic_key_type_version_and_schema(self, model, markdown):
        text = markdown_section(markdown, model)
        assert f"- topic: `owes.{model.producer}.events`" in text
        assert f"- key: `{model.aggregate_field}`" in text
        assert f"- CloudEvents type: `{model.ce_type()}`, extension `schemaversion`: `{model.version}`" in text
        assert f"({schema_file_name(model)})" in text

    @EVENTS
    def test_lists_every_field_with_description_and_example(self, model, markdown):
        text = markdown_section(markdown, model)
        for f in field_docs(model):
            row = next(line for line in text.splitlines() if line.startswith(f"| `{f.name}` |"))
            assert f.description.replace("|", r"\|") in row
            assert json.dumps(f.example, ensure_ascii=False).replace("|", r"\|") in row

    @EVENTS
    def test_shows_the_example_record(self, model, markdown):
        text = markdown_section(markdown, model)
        assert json.dumps(example_payload(model), indent=2, ensure_ascii=False) in text
        assert f"ce_type: {model.ce_type()}" in text

    def test_escapes_pipes_inside_tables(self, markdown):
        assert r"pattern ^(paid_public_benefit\|economic)$" in markdown


class TestHtmlCatalogue:
    @EVENTS
    def test_has_a_section_with_every_field(self, model, html):
        text = section(html, model)
        assert f"<code>owes.{model.producer}.events</code>" in text
        assert f"<code>{model.ce_type()}</code>" in text
        for f in field_docs(model):
            assert f"<td><code>{f.name}</code></td>" in text

    def test_uses_the_service_namespace_for_topics(self):
        assert "<code>acme.grants.events</code>" in section(catalogue_html("acme"), JobCreated)

    def test_is_self_contained(self, html):
        assert "<script" not in html
        assert not re.search(r"""(src|href)=['"]https?:""", html)

    def test_escapes_text(self):
        html = render_html(title="<b>x</b>", intro="a & b", sections=[])
        assert "&lt;b&gt;x&lt;/b&gt;" in html and "a &amp; b" in html and "<b>" not in html
