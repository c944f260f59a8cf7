"""The event catalogue for people: Markdown for the repository, HTML drawn on the server (no scripts, no CDN)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape

from owes_contracts import PRODUCERS, Event, events_of, topic_for
from owes_contracts.schemas import (
    DEFAULT_NAMESPACE,
    event_key,
    example_headers,
    example_payload,
    field_docs,
    schema_file_name,
    summary,
)

INTRO = (
    "Every event is a CloudEvents 1.0 event on Kafka in binary mode: the attributes travel as `ce_*` "
    "headers, the payload is the JSON record value, and the record key is the aggregate id, so the events "
    "of one entity keep their order. Delivery is at least once: deduplicate by `ce_id`."
)


def anchor(model: type[Event]) -> str:
    return f"{model.name.lower()}-v{model.version}"


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _example_text(value: object) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False)


# --- Markdown -----------------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", r"\|").replace("\n", " ")


def render_markdown(namespace: str = DEFAULT_NAMESPACE) -> str:
    """docs/events/catalogue.md: every event of every producer, generated from the contracts."""
    lines = [
        "# OWES Mesh event catalogue",
        "",
        "Generated from `owes_contracts` by `python -m owes_service.catalogue export`; do not edit by hand.",
        "How to subscribe: [the integrators' guide](../integrators.md). The JSON Schema of each event version is "
        "the `*.schema.json` file beside this one.",
        "",
        INTRO,
        "",
        "| event | topic | key | CloudEvents type | version | JSON Schema |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for producer in PRODUCERS:
        for m in events_of(producer):
            lines.append(
                f"| [{m.name}](#{anchor(m)}) | `{topic_for(producer, namespace)}` | `{m.aggregate_field}` "
                f"| `{m.ce_type()}` | {m.version} | [schema]({schema_file_name(m)}) |"
            )
    for producer in PRODUCERS:
        lines += ["", f"## Published by {producer}", ""]
        for m in events_of(producer):
            lines += _markdown_event(m, namespace)
    return "\n".join(lines).rstrip() + "\n"


def _markdown_event(m: type[Event], namespace: str) -> list[str]:
    lines = [
        f'<a id="{anchor(m)}"></a>',
        "",
        f"### {m.name} (v{m.version})",
        "",
        (m.__doc__ or "").strip(),
        "",
        f"- topic: `{topic_for(m.producer, namespace)}`",
        f"- key: `{m.aggregate_field}` (also the CloudEvents `subject`)",
        f"- CloudEvents type: `{m.ce_type()}`, extension `schemaversion`: `{m.version}`",
        f"- JSON Schema: [{schema_file_name(m)}]({schema_file_name(m)})",
        "",
        "| field | type | required | description | example | constraints |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in field_docs(m):
        constraints = f"`{_cell(f.constraints)}`" if f.constraints else ""
        lines.append(
            f"| `{f.name}` | {_cell(f.type)} | {'yes' if f.required else 'no'} | {_cell(f.description)} "
            f"| `{_cell(_example_text(f.example))}` | {constraints} |"
        )
    headers = "\n".join(f"{k}: {v}" for k, v in example_headers(m, namespace).items())
    lines += [
        "",
        "Example record: key `" + example_payload(m)[m.aggregate_field] + "`, headers:",
        "",
        "```",
        headers,
        "```",
        "",
        "value:",
        "",
        "```json",
        _json(example_payload(m)),
        "```",
        "",
    ]
    return lines


# --- HTML ---------------------------------------------------------------------------------------------

_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
h1{margin:.2rem 0 1rem}h2{margin-top:2.5rem;border-bottom:2px solid #c9d3de}
section.event{background:#fff;border:1px solid #d6dde5;border-radius:6px;padding:.2rem 1.2rem 1rem;margin:1.2rem 0}
table{border-collapse:collapse;width:100%;font-size:14px}th,td{border-bottom:1px solid #e1e6ec;padding:.35rem .5rem;
text-align:left;vertical-align:top}th{background:#eef2f6}code,pre{font:13px/1.4 ui-monospace,monospace}
pre{background:#0f1b2a;color:#e8eef5;padding:.8rem;border-radius:4px;overflow-x:auto}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.meta dt{font-weight:600}
nav ul{columns:2}.muted{color:#5b6b7c}
"""


def render_html(
    *,
    title: str,
    intro: str,
    sections: Sequence[tuple[str, Sequence[type[Event]]]],
    namespace: str = DEFAULT_NAMESPACE,
    links: Sequence[tuple[str, str]] = (),
) -> str:
    """One page listing events under section headings, e.g. [("Published by grants", events)]."""
    nav = "".join(
        f"<li><a href='#{anchor(m)}'>{escape(m.name)}</a> "
        f"<span class='muted'>v{m.version}, {escape(heading)}</span></li>"
        for heading, models in sections
        for m in models
    )
    body = [f"<h1>{escape(title)}</h1>", f"<p>{_inline_code(intro)}</p>", f"<p>{_inline_code(INTRO)}</p>"]
    if links:
        body.append("<p>" + " · ".join(f"<a href='{escape(href)}'>{escape(text)}</a>" for text, href in links) + "</p>")
    body.append(f"<nav><ul>{nav}</ul></nav>" if nav else "<p>No events.</p>")
    for heading, models in sections:
        if models:
            body.append(f"<h2>{escape(heading)}</h2>")
            body += [_html_event(m, namespace) for m in models]
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>"
    )


def _inline_code(text: str) -> str:
    """Escape text, and show its `quoted` parts as code."""
    parts = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _html_event(m: type[Event], namespace: str) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(f.name)}</code></td><td>{escape(f.type)}</td><td>{'yes' if f.required else 'no'}</td>"
        f"<td>{escape(f.description)}</td><td><code>{escape(_example_text(f.example))}</code></td>"
        f"<td>{escape(f.constraints)}</td></tr>"
        for f in field_docs(m)
    )
    headers = "\n".join(f"{k}: {v}" for k, v in example_headers(m, namespace).items())
    meta = {
        "topic": topic_for(m.producer, namespace),
        "key": f"{m.aggregate_field} (also the CloudEvents subject)",
        "CloudEvents type": m.ce_type(),
        "schemaversion": str(m.version),
        "producer": m.producer,
        "JSON Schema": schema_file_name(m),
    }
    dl = "".join(f"<dt>{escape(k)}</dt><dd><code>{escape(v)}</code></dd>" for k, v in meta.items())
    return (
        f"<section class='event' id='{anchor(m)}' data-event='{escape(event_key(m))}'>"
        f"<h3>{escape(m.name)} <span class='muted'>v{m.version}</span></h3><p>{escape(summary(m))}</p>"
        f"<dl class='meta'>{dl}</dl>"
        "<table><thead><tr><th>field</th><th>type</th><th>required</th><th>description</th><th>example</th>"
        f"<th>constraints</th></tr></thead><tbody>{rows}</tbody></table>"
        f"<p>Example headers</p><pre>{escape(headers)}</pre>"
        f"<p>Example value</p><pre>{escape(_json(example_payload(m)))}</pre></section>"
    )


def catalogue_html(namespace: str = DEFAULT_NAMESPACE) -> str:
    """The whole catalogue: every event of every producer."""
    return render_html(
        title="OWES Mesh event catalogue",
        intro="Every event the partners' services publish. Subscribe to the topics below; see docs/integrators.md.",
        sections=[(f"Published by {p}", events_of(p)) for p in PRODUCERS],
        namespace=namespace,
        links=[("AsyncAPI document of this service", "asyncapi.json")],
    )
