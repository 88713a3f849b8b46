"""Declarative checks for the mappings users write in YAML (codebooks, qualcode.yaml).

Each mapping's keys are declared as `Field`s; `check_mapping` reports every unknown key (with a
did-you-mean), missing required key and wrong-typed value at its line and column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from qualcode.diagnostics import Diagnostic, did_you_mean, error
from qualcode.yamlio import key_position, position_of


@dataclass(frozen=True)
class Field:
    """One key of a mapping: its JSON type(s), whether required, and what it means."""

    types: tuple[str, ...]
    description: str
    required: bool = False
    items: str | None = None  # JSON type of list items, for list fields

    @property
    def label(self) -> str:
        names = {"string": "a string", "array": "a list", "object": "a mapping"}
        names |= {"boolean": "true or false", "integer": "a whole number"}
        if self.items:
            return f"a list of {self.items}s"
        return " or ".join(names.get(t, t) for t in self.types)


def type_ok(value: Any, types: tuple[str, ...]) -> bool:
    """JSON-Schema-like type test (a bool is not a number; numbers are accepted where text is)."""
    for t in types:
        # a YAML date (`version: 2024-01-01`) is text to JSON Schema, and str() gives it back
        if (
            t == "string"
            and isinstance(value, (str, int, float, date))
            and not isinstance(value, bool)
        ):
            return True
        if t == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        if t == "integer" and whole and not isinstance(value, bool):
            return True  # 5.0 is a whole number, to JSON Schema too
        if (
            (t == "boolean" and isinstance(value, bool))
            or (t == "array" and isinstance(value, list))
            or (t == "object" and isinstance(value, dict))
        ):
            return True
    return False


# Keys other tools (or habit) suggest, with where qualcode says the same thing.
_KEY_HINTS = {
    "parent": "a code's parent is the code it is nested under (list it in the parent's "
    "`children:`); ",
    "parent_id": "a code's parent is the code it is nested under (list it in the parent's "
    "`children:`); ",
}


def check_mapping(
    mapping: dict[str, Any], fields: dict[str, Field], path: str, context: str
) -> list[Diagnostic]:
    """Unknown keys, missing required keys and wrong types in one mapping; `context` names it."""
    found: list[Diagnostic] = []
    for key in mapping:
        if key not in fields:
            found.append(
                error(
                    path,
                    key_position(mapping, key),
                    f"unknown key {key!r} in {context}{did_you_mean(key, fields)}",
                    "unknown-key",
                    _KEY_HINTS.get(key, "") + "known keys: " + ", ".join(fields),
                )
            )
    for name, spec in fields.items():
        value = mapping.get(name)
        if value is None:
            if spec.required:
                found.append(
                    error(
                        path,
                        position_of(mapping),
                        f"{context} is missing required key {name!r}",
                        "missing-field",
                    )
                )
            continue
        if not type_ok(value, spec.types):
            found.append(
                error(
                    path,
                    position_of(mapping, name),
                    f"{name!r} in {context} must be {spec.label}, not {type_name(value)}",
                    "wrong-type",
                    _BOOL_HINT
                    if isinstance(value, bool) and "string" in spec.types
                    else f"write e.g. {name}: [...]"
                    if spec.items
                    else "",
                )
            )
        elif spec.items and isinstance(value, list):
            for i, item in enumerate(value):
                if not type_ok(item, (spec.items,)):
                    found.append(
                        error(
                            path,
                            position_of(value, i),
                            f"item {i + 1} of {name!r} in {context} must be a "
                            f"{spec.items}, not {type_name(item)}",
                            "wrong-type",
                            _BOOL_HINT if isinstance(item, bool) and spec.items == "string" else "",
                        )
                    )
    return found


_BOOL_HINT = "quote it: YAML reads unquoted yes, no, on, off, true and false as true/false"


def type_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"
