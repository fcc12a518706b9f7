"""Compatibility of event schemas within one major version: only additive changes.

A change is compatible when every consumer written against the old schema can still read
messages of the new one and vice versa: no field removed, no field's type changed, no new
required field, no enum value removed. New optional fields (and new enum values) are fine.
Breaking changes need a new major version: a new topic `...v2` beside the old one."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _resolve(node: Schema, root: Schema) -> Schema:
    ref = node.get("$ref")
    if ref and ref.startswith("#/$defs/"):
        return root.get("$defs", {}).get(ref.split("/")[-1], {})
    return node


def _type_sig(node: Schema, root: Schema, depth: int = 0) -> Any:
    """A comparable description of a field's type, nested models expanded by name."""
    if depth > 8:
        return "..."
    if "$ref" in node:
        return ("ref", node["$ref"].split("/")[-1])
    if "anyOf" in node:
        return ("anyOf", tuple(sorted(repr(_type_sig(n, root, depth + 1)) for n in node["anyOf"])))
    if node.get("type") == "array":
        return ("array", _type_sig(node.get("items", {}), root, depth + 1))
    if "enum" in node:
        return ("enum",)  # values compared separately: adding is allowed
    return (node.get("type"), node.get("format"))


def _compare_object(old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, problems: list[str]) -> None:
    old = _resolve(old, old_root)
    new = _resolve(new, new_root)
    if "enum" in old and "enum" in new:
        removed = set(old["enum"]) - set(new["enum"])
        if removed:
            problems.append(f"{path}: enum values removed {sorted(removed)}")
        return
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_field in old_props.items():
        where = f"{path}.{name}" if path else name
        if name not in new_props:
            problems.append(f"{where}: field removed")
            continue
        new_field = new_props[name]
        if _type_sig(old_field, old_root) != _type_sig(new_field, new_root):
            problems.append(f"{where}: type changed from {_type_sig(old_field, old_root)} to {_type_sig(new_field, new_root)}")
            continue
        # Recurse into nested models and lists of models.
        for o, n in _nested_pairs(old_field, new_field):
            _compare_object(o, n, old_root, new_root, where, problems)
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(newly_required):
        problems.append(f"{(path + '.') if path else ''}{name}: new required field (old messages lack it)")


def _nested_pairs(old: Schema, new: Schema) -> list[tuple[Schema, Schema]]:
    if "$ref" in old and "$ref" in new:
        return [(old, new)]
    if old.get("type") == "array" and new.get("type") == "array":
        return _nested_pairs(old.get("items", {}), new.get("items", {}))
    if "anyOf" in old and "anyOf" in new:
        refs_old = [n for n in old["anyOf"] if "$ref" in n]
        refs_new = {n["$ref"]: n for n in new["anyOf"] if "$ref" in n}
        return [(o, refs_new[o["$ref"]]) for o in refs_old if o["$ref"] in refs_new]
    return []


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """Why `new` cannot replace `old` within a major version (empty: compatible)."""
    problems: list[str] = []
    if old.get("x-version") != new.get("x-version"):
        return problems  # a new major version may change anything; it lives on a new topic
    _compare_object(old, new, old, new, "", problems)
    return problems
