"""The messages of the pages, extracted from templates and Python (Babel), and the check that each is translated.

``python -m owes_service.pages.catalogues <folder with templates/ and locale/> ...`` adds new messages to each
folder's Polish catalogue (untranslated, for a person to fill in); the unit test fails while any is missing.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import write_po

from .i18n import catalog_path, read_catalog

KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"trim_blocks": "true", "lstrip_blocks": "true"}}
SKIP = ("migrations", "locale", "static", "__pycache__")


Message = str | tuple[str, ...]  # a msgid, or its singular and plural


def extract(folder: Path) -> dict[Message, list[str]]:
    """Every message of this folder's pages and templates: msgid (or singular/plural pair) -> where it is used."""
    found: dict[Message, list[str]] = {}

    def wanted(dirname: str) -> bool:  # Babel asks before walking into a folder
        return Path(dirname).name not in SKIP

    for filename, lineno, message, _comments, _context in extract_from_dir(
        folder, method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS, directory_filter=wanted
    ):
        if filename.endswith(".py") and not _speaks_to_people(folder / filename):
            continue  # only page code speaks to people; the rest of the service speaks to machines
        key: Message = tuple(message) if isinstance(message, tuple | list) else message
        if not key or (isinstance(key, tuple) and not key[0]):
            continue
        found.setdefault(key, []).append(f"{filename}:{lineno}")
    for path in sorted(folder.rglob("*.py")):
        if not set(path.relative_to(folder).parts) & set(SKIP) and _speaks_to_people(path):
            for key, lineno in _translated_on_the_spot(path):
                found.setdefault(key, []).append(f"{path.relative_to(folder)}:{lineno}")
    return found


def _speaks_to_people(path: Path) -> bool:
    """Page code: the pages modules themselves, or any module that builds on the staff pages' package."""
    if path.name in ("pages.py", "web.py", "places.py"):
        return True
    text = path.read_text(encoding="utf-8")
    return "owes_service.pages" in text or "from .web import" in text


def _translated_on_the_spot(path: Path) -> list[tuple[Message, int]]:
    """What Babel's token scan misses: messages translated by calling what a call returns, e.g.
    ``pages.gettext(request)("Text")``, and any translation call inside an f-string (``f"<h2>{_('Text')}</h2>"``),
    which Python 3.11 tokenizes as one string."""
    found: list[tuple[Message, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Call):
            inner = node.func.func
        elif isinstance(node.func, ast.Name | ast.Attribute):
            inner = node.func  # _("..."), N_("..."), x.ngettext("...", "...", n) wherever they stand
        else:
            continue
        name = inner.attr if isinstance(inner, ast.Attribute) else inner.id if isinstance(inner, ast.Name) else ""
        if isinstance(node.func, ast.Name | ast.Attribute) and name in ("_", "N_"):
            name = "gettext"
        strings = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name in ("gettext", "ugettext") and strings:
            found.append((strings[0], node.lineno))
        elif name in ("ngettext", "ungettext") and len(strings) >= 2:
            found.append(((strings[0], strings[1]), node.lineno))
    return found


def domain_refusals(domain_file: Path) -> set[str]:
    """The reasons a module gives when it refuses, shown to staff and so translated: the text of
    `raise SomeError("...")`, and the template of every `refusal("... %(name)s ...", name=...)` wherever it is built
    (a refusal with values, see owes_service.wording)."""
    reasons: set[str] = set()
    for node in ast.walk(ast.parse(domain_file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
            first = node.exc.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                reasons.add(first.value)
        elif isinstance(node, ast.Call) and node.args and _called(node) in ("refusal", "Refusal"):
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                reasons.add(first.value)
    return reasons


def _called(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def missing_translations(folder: Path, messages: Iterable[Message], language: str = "pl") -> list[str]:
    """Messages without a translation in the folder's catalogue for this language (every plural form filled)."""
    path = catalog_path(folder / "locale", language)
    catalog = read_catalog(path, language) if path.exists() else Catalog(locale=language)
    missing = []
    for key in messages:
        msgid = key[0] if isinstance(key, tuple) else key
        entry = catalog.get(msgid)
        strings = entry.string if entry else None
        if isinstance(strings, tuple | list):
            ok = len(strings) == catalog.num_plurals and all(strings)
        else:
            ok = bool(strings)
        if not ok:
            missing.append(msgid)
    return missing


def update(folder: Path, language: str = "pl", extra: Iterable[str] = ()) -> int:
    """Add the folder's new messages to its catalogue, untranslated; return how many were added."""
    path = catalog_path(folder / "locale", language)
    catalog = read_catalog(path, language) if path.exists() else Catalog(locale=language, project="OWES Mesh")
    added = 0
    found: dict[Message, list[str]] = {**extract(folder), **{m: ["domain"] for m in extra}}
    for key, places in found.items():
        msgid = key[0] if isinstance(key, tuple) else key
        if catalog.get(msgid) is None:
            catalog.add(key, None, locations=[(p.rsplit(":", 1)[0], 0) for p in places[:1]])
            added += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=120, omit_header=False, include_lineno=False)
    return added


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        folder = Path(arg)
        refusals = set().union(
            *(domain_refusals(folder / n) for n in ("domain.py", "service.py", "schemas.py") if (folder / n).exists())
        )
        print(folder, update(folder, extra=refusals))
