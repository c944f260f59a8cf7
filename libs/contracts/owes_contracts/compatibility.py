"""Does a change to a published event version break those who read it?

Compares the JSON Schema committed when the version was published with the one the live contract produces.
A version may grow (a new optional field, a new enum value, a looser bound, new descriptions and examples);
anything else breaks a reader (an integrator's code, or a replay of old events through the live model) and
needs a new version instead. Both schemas are pydantic's output, so the checker knows the shapes it meets:
objects with properties, `$ref` to `$defs`, `anyOf` for optional values, `enum` or `const` for choices.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .schemas import META_KEYS, resolve


@dataclass(frozen=True)
class BreakingChange:
    """One way a new schema breaks the readers of the old one."""

    path: str  # the field, e.g. "founder_ids[]"; "" for the event itself
    reason: str

    def __str__(self) -> str:
        return f"{self.path or '(event)'}: {self.reason}"


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[BreakingChange]:
    """Every breaking difference from `old` (published) to `new` (live); empty when `new` is compatible.

    Full compatibility, both ways: events already written under `old` must still be read by the new contract
    (backward), and events written under `new` must be read by the consumers released with `old` (forward),
    which are tolerant readers: they ignore fields they do not know and count an enum value they do not know
    under "unknown" (owes_contracts.reading). So a field may be added when optional and an enum may grow; a
    bound may not be loosened, a type not widened, since the previous release would refuse the new events.
    """
    checker = _Checker(old, new)
    for key in META_KEYS:
        if key in old and old.get(key) != new.get(key):
            checker.add("", f"{key} changed from {old.get(key)!r} to {new.get(key)!r}")
    checker.compare(old, new, "")
    forward = _Checker(new, old, tolerant_reader=True)
    forward.compare(new, old, "")
    broken = {c.path for c in checker.changes}  # a field already broken one way is reported once
    for change in forward.changes:
        if change.path not in broken:
            checker.add(change.path, f"previous readers cannot read new events: {change.reason}")
    return checker.changes


def transitive_breaking_changes(published: list[dict[str, Any]], new: dict[str, Any]) -> list[BreakingChange]:
    """Breaks of `new` against every schema one version ever had in a release (full transitive compatibility)."""
    out: list[BreakingChange] = []
    for old in published:
        out += [c for c in breaking_changes(old, new) if c not in out]
    return out


_LOWER = (("minimum", False), ("exclusiveMinimum", True))
_UPPER = (("maximum", False), ("exclusiveMaximum", True))


class _Checker:
    """Can data written under `old_root` be read by a reader built for `new_root`?"""

    def __init__(self, old_root: dict, new_root: dict, *, tolerant_reader: bool = False) -> None:
        self.old_root = old_root
        self.new_root = new_root
        # a tolerant reader ignores unknown fields and buckets unknown enum values, so neither breaks it
        self.tolerant_reader = tolerant_reader
        self.changes: list[BreakingChange] = []

    def add(self, path: str, reason: str) -> None:
        self.changes.append(BreakingChange(path, reason))

    def compare(self, old: dict, new: dict, path: str) -> None:
        old_variants = self._variants(old, self.old_root)
        new_variants = self._variants(new, self.new_root)
        if set(old_variants) != set(new_variants):
            self.add(path, f"type changed from {_label(old_variants)} to {_label(new_variants)}")
            return
        for kind, old_node in old_variants.items():
            self._compare_variant(kind, old_node, new_variants[kind], path)

    def _variants(self, node: dict, root: dict) -> dict[str, dict]:
        """The alternatives a value may take, keyed by JSON type (and string format)."""
        node = resolve(node, root)
        branches = node.get("anyOf") or node.get("oneOf")
        if branches:
            out: dict[str, dict] = {}
            for branch in branches:
                out |= self._variants(branch, root)
            return out
        if len(node.get("allOf", [])) == 1:
            return self._variants(node["allOf"][0] | {k: v for k, v in node.items() if k != "allOf"}, root)
        types = node.get("type")
        if types is None and ("enum" in node or "const" in node):
            values = node.get("enum", [node.get("const")])
            types = sorted({_json_type(v) for v in values})
        if isinstance(types, list):
            return {_kind(t, node): node | {"type": t} for t in types}
        return {_kind(types or "any", node): node}

    def _compare_variant(self, kind: str, old: dict, new: dict, path: str) -> None:
        self._compare_enum(old, new, path)
        self._compare_bounds(old, new, path)
        if kind.startswith("string"):
            if new.get("pattern") is not None and new.get("pattern") != old.get("pattern"):
                self.add(path, f"pattern changed from {old.get('pattern')!r} to {new['pattern']!r}")
            self._compare_size(old, new, path, "minLength", "maxLength", "length")
        elif kind == "array":
            self._compare_size(old, new, path, "minItems", "maxItems", "number of items")
            if new.get("uniqueItems") and not old.get("uniqueItems"):
                self.add(path, "items must now be unique")
            if "items" in old or "items" in new:
                self.compare(old.get("items", {}), new.get("items", {}), f"{path}[]")
        elif kind == "object":
            self._compare_object(old, new, path)

    def _compare_enum(self, old: dict, new: dict, path: str) -> None:
        new_values = _choices(new)
        if new_values is None or self.tolerant_reader:
            return
        old_values = _choices(old)
        if old_values is None:
            self.add(path, f"now restricted to {sorted(new_values, key=str)}")
        elif removed := old_values - new_values:
            self.add(path, f"enum narrowed: {sorted(removed, key=str)} no longer allowed")

    def _compare_bounds(self, old: dict, new: dict, path: str) -> None:
        for bounds, stricter in ((_LOWER, lambda a, b: a > b), (_UPPER, lambda a, b: a < b)):
            old_bound, new_bound = _bound(old, bounds), _bound(new, bounds)
            if new_bound is None:
                continue
            if (
                old_bound is None
                or stricter(new_bound[0], old_bound[0])
                or (new_bound[0] == old_bound[0] and new_bound[1] and not old_bound[1])
            ):
                self.add(path, f"bound tightened from {_bound_label(old_bound)} to {_bound_label(new_bound)}")
        if "multipleOf" in new and (old.get("multipleOf") is None or old["multipleOf"] % new["multipleOf"]):
            self.add(path, f"multipleOf tightened from {old.get('multipleOf')} to {new['multipleOf']}")

    def _compare_size(self, old: dict, new: dict, path: str, low: str, high: str, what: str) -> None:
        if new.get(low, 0) > old.get(low, 0):
            self.add(path, f"minimum {what} raised from {old.get(low, 0)} to {new[low]}")
        if high in new and (high not in old or new[high] < old[high]):
            self.add(path, f"maximum {what} lowered from {old.get(high, 'unbounded')} to {new[high]}")

    def _compare_object(self, old: dict, new: dict, path: str) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        prefix = f"{path}." if path else ""
        for name, old_prop in old_props.items():
            where = prefix + name
            if name not in new_props:
                if not self.tolerant_reader:
                    self.add(where, "field removed")
                continue
            if name in old_required and name not in new_required:
                if not self.tolerant_reader:  # writers always send it; the reader copes either way
                    self.add(where, "no longer required: readers count on it being there")
            elif name not in old_required and name in new_required:
                self.add(where, "optional field made required: earlier events lack it")
            self.compare(old_prop, new_props[name], where)
        for name in new_props.keys() - old_props.keys():
            if name in new_required:
                self.add(prefix + name, "new required field: earlier events lack it")
        if new.get("additionalProperties") is False and old.get("additionalProperties", True) is not False:
            self.add(path, "no longer accepts additional properties")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else "object" if isinstance(value, dict) else "array"


def _kind(json_type: str, node: dict) -> str:
    return f"string ({node['format']})" if json_type == "string" and node.get("format") else json_type


def _label(variants: dict) -> str:
    return " or ".join(sorted(variants)) or "nothing"


def _choices(node: dict) -> set | None:
    if "enum" in node:
        return {_hashable(v) for v in node["enum"]}
    if "const" in node:
        return {_hashable(node["const"])}
    return None


def _hashable(value: Any) -> Any:
    return repr(value) if isinstance(value, (dict, list)) else value


def _bound(node: dict, keys: tuple[tuple[str, bool], ...]) -> tuple[float, bool] | None:
    found = [(node[k], exclusive) for k, exclusive in keys if k in node]
    if not found:
        return None
    # with both, the tighter one counts; at the same value the exclusive one is tighter
    if keys is _LOWER:
        return max(found, key=lambda b: (b[0], b[1]))
    return min(found, key=lambda b: (b[0], not b[1]))


def _bound_label(bound: tuple[float, bool] | None) -> str:
    return "none" if bound is None else f"{bound[0]}{' (exclusive)' if bound[1] else ''}"
