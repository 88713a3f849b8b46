"""The codebook as flat rows: for a paper's appendix (CSV, Markdown) and for notebooks."""

from __future__ import annotations

from typing import Any

from qualcode.codebook.model import Codebook

CODEBOOK_COLUMNS = (
    "id",
    "name",
    "parent",
    "codebook",
    "codable",
    "definition",
    "use_when",
    "do_not_use_when",
    "examples",
    "counterexamples",
    "rules",
)


def codebook_rows(codebook: Codebook) -> list[dict[str, Any]]:
    """One row per code in tree order; examples joined with ' | ', rules summarized."""
    return [
        {
            "id": code.id,
            "name": code.name,
            "parent": code.parent_id or "",
            "codebook": code.codebook_id,
            "codable": code.codable,
            "definition": code.definition or code.description,
            "use_when": code.use_when,
            "do_not_use_when": code.do_not_use_when,
            "examples": " | ".join(code.examples),
            "counterexamples": " | ".join(code.counterexamples),
            "rules": "; ".join(rule.describe() for rule in code.rules),
        }
        for code in codebook.codes
    ]
