"""The codebook file format, declared once.

The same field tables drive the loader's structural checks (unknown key, missing field, wrong type)
and the JSON Schema printed by `qualcode schema`, so the two can never disagree.
"""

from __future__ import annotations

from typing import Any

from qualcode.fields import Field

SLUG_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
COLOR_PATTERN = r"^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"


HEADER_FIELDS: dict[str, Field] = {
    "id": Field(("string",), "Slug naming this codebook.", required=True),
    "title": Field(("string",), "Human title."),
    "version": Field(("string", "number"), 'Version of the codebook, e.g. "1.0".'),
    "description": Field(("string",), "What the codebook is for."),
}

TOP_FIELDS: dict[str, Field] = {
    "codebook": Field(("object",), "Header: id, title, version, description.", required=True),
    "codes": Field(("array",), "The top-level codes.", required=True, items="object"),
}

CODE_FIELDS: dict[str, Field] = {
    "id": Field(("string",), "Slug, unique across every loaded codebook.", required=True),
    "name": Field(("string",), "Human name, unique among siblings.", required=True),
    "codable": Field(("boolean",), "false for a grouping node (default true)."),
    "description": Field(("string",), "Free description, mainly for grouping nodes."),
    "definition": Field(("string",), "What the code means (required for codable codes)."),
    "use_when": Field(("string",), "Inclusion criteria."),
    "do_not_use_when": Field(("string",), "Exclusion criteria."),
    "examples": Field(("array",), "Passages the rules must code.", items="string"),
    "counterexamples": Field(("array",), "Passages the rules must not code.", items="string"),
    "color": Field(("string",), "Display color, #rgb or #rrggbb."),
    "memo": Field(("string",), "Analyst's note."),
    "rules": Field(("array",), "Automatic-coding rules.", items="object"),
    "children": Field(("array",), "Child codes.", items="object"),
}

RULE_FIELDS: dict[str, Field] = {
    "id": Field(("string",), "Optional slug naming the rule (default <code>/<n>)."),
    "keywords": Field(
        ("array",),
        "Words or phrases, case-insensitive, whole words; a trailing * matches any ending.",
        items="string",
    ),
    "regex": Field(("string",), "RE2 regular expression, case-insensitive."),
    "near": Field(("object",), "{terms: [...], within: N}: all terms within N words."),
    "exclude": Field(
        ("array",), "Drop a hit whose segment contains any of these phrases.", items="string"
    ),
    "speakers": Field(
        ("array",),
        "Roles or speaker names whose turns the rule codes (default [informant]; '*' = all).",
        items="string",
    ),
}

NEAR_FIELDS: dict[str, Field] = {
    "terms": Field(("array",), "Two or more keywords.", required=True, items="string"),
    "within": Field(("integer",), "Maximum distance in words.", required=True),
}


def _object_schema(fields: dict[str, Field], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for name, f in fields.items():
        prop: dict[str, Any] = {"description": f.description}
        # as `qualcode check` reads YAML: a number is accepted where text is (`keywords: [2020]`)
        types = [t for ft in f.types for t in (("string", "number") if ft == "string" else (ft,))]
        prop["type"] = types[0] if len(types) == 1 else list(dict.fromkeys(types))
        if f.items:
            prop["items"] = {"type": ["string", "number"] if f.items == "string" else f.items}
        props[name] = prop
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": props,
    }
    required = [n for n, f in fields.items() if f.required]
    if required:
        schema["required"] = required
    if extra:
        for name, override in extra.items():
            schema["properties"][name] = {**schema["properties"][name], **override}
    return schema


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a qualcode codebook file."""
    # what `qualcode check` refuses, said where a schema can: an editor flags it as it is typed
    word = {"type": ["string", "number"], "minLength": 1, "pattern": r"^[^*]*\*?$"}
    rule = _object_schema(
        RULE_FIELDS,
        {
            "near": {"$ref": "#/$defs/near"},
            "id": {"pattern": SLUG_PATTERN},
            "keywords": {"items": word},
            "exclude": {"items": {"type": ["string", "number"], "minLength": 1}},
            "regex": {"minLength": 1},
        },
    )
    rule["oneOf"] = [{"required": [k]} for k in ("keywords", "regex", "near")]
    code = _object_schema(
        CODE_FIELDS,
        {
            "id": {"pattern": SLUG_PATTERN},
            "color": {"pattern": COLOR_PATTERN},
            "rules": {"items": {"$ref": "#/$defs/rule"}},
            "children": {"items": {"$ref": "#/$defs/code"}},
        },
    )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://qualcode.dev/schema/codebook.schema.json",
        "title": "qualcode codebook",
        "description": "A hierarchical codebook with definitions, criteria, examples and rules.",
        **_object_schema(
            TOP_FIELDS,
            {
                "codebook": {"$ref": "#/$defs/header"},
                "codes": {"items": {"$ref": "#/$defs/code"}},
            },
        ),
        "$defs": {
            "header": _object_schema(HEADER_FIELDS, {"id": {"pattern": SLUG_PATTERN}}),
            "code": code,
            "rule": rule,
            "near": _object_schema(
                NEAR_FIELDS, {"within": {"minimum": 1}, "terms": {"minItems": 2, "items": word}}
            ),
        },
    }
