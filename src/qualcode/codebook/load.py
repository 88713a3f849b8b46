"""Reading codebook YAML files into the model, collecting every problem on the way.

Loading never stops at the first mistake: structural problems become diagnostics and the code (or
rule) that has them is kept as far as it makes sense, so `qualcode check` can report everything at once.
Only a file that cannot be read or parsed at all yields no codes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from qualcode.codebook.model import (
    DEFAULT_SPEAKERS,
    Code,
    Codebook,
    CodebookInfo,
    Location,
    Rule,
)
from qualcode.codebook.schema import (
    CODE_FIELDS,
    COLOR_PATTERN,
    HEADER_FIELDS,
    NEAR_FIELDS,
    RULE_FIELDS,
    SLUG_PATTERN,
    TOP_FIELDS,
)
from qualcode.diagnostics import Diagnostic, error
from qualcode.engine import keyword_problem
from qualcode.errors import CodebookError, InputFileError, YamlError
from qualcode.fields import check_mapping
from qualcode.textio import read_text
from qualcode.yamlio import load_yaml, position_of

MAX_CODEBOOK_BYTES = 5_000_000
_SLUG = re.compile(SLUG_PATTERN)
_COLOR = re.compile(COLOR_PATTERN)


@dataclass
class LoadedCodebook:
    """One file's worth: header, codes in pre-order, and what was wrong with it."""

    path: str
    info: CodebookInfo | None = None
    codes: list[Code] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    readable: bool = True
    field_positions: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)


def _text(value: Any) -> str:
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return str(value).strip()


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(str(v).strip() for v in value if isinstance(v, (str, int, float, date)))


def read_codebook(path: Path, display: str | None = None) -> LoadedCodebook:
    """Read and parse one codebook file; never raises for problems in the file itself."""
    shown = display or str(path)
    result = LoadedCodebook(shown)
    try:
        text = read_text(path, max_bytes=MAX_CODEBOOK_BYTES, what="codebook", regular=True)
    except InputFileError as exc:
        result.readable = False
        pos = (exc.line, exc.column or 1) if exc.line else None
        result.diagnostics.append(error(shown, pos, exc.message, "unreadable-file", exc.hint or ""))
        return result
    return parse_codebook(text, shown, result)


def parse_codebook(text: str, path: str, result: LoadedCodebook | None = None) -> LoadedCodebook:
    """Parse codebook YAML text; `path` names it in messages."""
    result = result or LoadedCodebook(path)
    try:
        loaded = load_yaml(text, path)
    except YamlError as exc:
        rule = "yaml-syntax" if exc.message.startswith("invalid YAML") else "yaml-unsafe"
        pos = (exc.line, exc.column or 1) if exc.line else None
        result.diagnostics.append(error(path, pos, exc.message, rule, exc.hint or ""))
        return result
    for dup in loaded.duplicates:
        result.diagnostics.append(
            error(
                path,
                dup.pos,
                f"key {dup.key!r} appears twice in the same mapping (first at line "
                f"{dup.first_pos[0]})",
                "duplicate-key",
                "YAML keeps only one of them: merge or rename",
            )
        )
    doc = loaded.data
    if not isinstance(doc, dict):
        what = "empty" if doc is None else f"a {'list' if isinstance(doc, list) else 'scalar'}"
        result.diagnostics.append(
            error(
                path,
                position_of(doc) or (1, 1),
                f"a codebook must be a mapping with 'codebook' and 'codes', but the file is {what}",
                "not-a-mapping",
                "run `qualcode init` to see an example codebook",
            )
        )
        return result
    diags = result.diagnostics
    diags += check_mapping(doc, TOP_FIELDS, path, "the codebook file")
    header = doc.get("codebook")
    if isinstance(header, dict):
        diags += check_mapping(header, HEADER_FIELDS, path, "'codebook'")
        book_id = _text(header.get("id"))
        if book_id and not _SLUG.match(book_id):
            diags.append(_slug_error(path, position_of(header, "id"), book_id, "codebook id"))
        result.info = CodebookInfo(
            id=book_id or Path(path).stem,
            title=_text(header.get("title")),
            version=_text(header.get("version")),
            description=_text(header.get("description")),
            path=path,
        )
    else:
        result.info = CodebookInfo(id=Path(path).stem, path=path)
    codes = doc.get("codes")
    if isinstance(codes, list):
        _parse_codes(codes, None, 0, result)
    return result


def _slug_error(path: str, pos: tuple[int, int] | None, value: str, what: str) -> Diagnostic:
    suggestion = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
    return error(
        path,
        pos,
        f"{what} {value!r} is not a slug",
        "invalid-id",
        f"use lowercase letters, digits and single hyphens, e.g. {suggestion!r}",
    )


def _parse_codes(
    items: list[Any], parent: str | None, depth: int, out: LoadedCodebook
) -> list[str]:
    ids: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue  # reported by check_mapping's item type check
        code = _parse_code(item, parent, depth, out)
        if code is not None:
            ids.append(code.id)
        del index
    return ids


def _parse_code(
    item: dict[str, Any], parent: str | None, depth: int, out: LoadedCodebook
) -> Code | None:
    path = out.path
    diags = out.diagnostics
    assert out.info is not None
    code_id = _text(item.get("id"))
    context = f"code {code_id!r}" if code_id else "a code"
    diags += check_mapping(item, CODE_FIELDS, path, context)
    if not code_id:
        return None
    pos = position_of(item) or (0, 0)
    if not _SLUG.match(code_id):
        diags.append(_slug_error(path, position_of(item, "id"), code_id, "code id"))
    codable = item.get("codable", True) is not False
    definition = _text(item.get("definition"))
    if codable and not definition:
        diags.append(
            error(
                path,
                pos,
                f"codable code {code_id!r} has no definition",
                "missing-definition",
                "add `definition:` saying what the code means, or `codable: false` for a group",
            )
        )
    color = item.get("color")
    if color is not None and not (isinstance(color, str) and _COLOR.match(color)):
        diags.append(
            error(
                path,
                position_of(item, "color"),
                f"color {color!r} of code {code_id!r} is not a hex color",
                "bad-color",
                'write it as "#1f77b4" (quoted, since # starts a YAML comment)',
            )
        )
        color = None
    for key in ("examples", "counterexamples"):
        values = item.get(key)
        if isinstance(values, list):
            for i in range(len(values)):
                out.field_positions[(code_id, f"{key}.{i}")] = position_of(values, i) or pos
    rules = _parse_rules(item.get("rules"), code_id, out)
    child_items = item.get("children")
    code = Code(
        id=code_id,
        name=_text(item.get("name")) or code_id,
        codebook_id=out.info.id,
        parent_id=parent,
        codable=codable,
        description=_text(item.get("description")),
        definition=definition,
        use_when=_text(item.get("use_when")),
        do_not_use_when=_text(item.get("do_not_use_when")),
        examples=_texts(item.get("examples")),
        counterexamples=_texts(item.get("counterexamples")),
        color=color,
        memo=_text(item.get("memo")),
        rules=tuple(rules),
        depth=depth,
        location=Location(path, *pos),
    )
    out.field_positions[(code_id, "name")] = position_of(item, "name") or pos
    out.codes.append(code)
    position = len(out.codes) - 1
    if isinstance(child_items, list):
        children = _parse_codes(child_items, code_id, depth + 1, out)
        out.codes[position] = _replace_children(code, children)
    return out.codes[position]


def _replace_children(code: Code, children: list[str]) -> Code:
    from dataclasses import replace

    return replace(code, children_ids=tuple(children))


def _parse_rules(value: Any, code_id: str, out: LoadedCodebook) -> list[Rule]:
    if not isinstance(value, list):
        return []
    path = out.path
    diags = out.diagnostics
    rules: list[Rule] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            continue
        context = f"rule {index + 1} of code {code_id!r}"
        diags += check_mapping(item, RULE_FIELDS, path, context)
        pos = position_of(item) or (0, 0)
        kinds = [k for k in ("keywords", "regex", "near") if item.get(k) is not None]
        if len(kinds) != 1:
            diags.append(
                error(
                    path,
                    pos,
                    f"{context} must have exactly one of keywords, regex or near"
                    + (f" (has {', '.join(kinds)})" if kinds else ""),
                    "invalid-rule",
                    "split it into one rule per kind",
                )
            )
            continue
        kind = kinds[0]
        rule_name = _text(item.get("id"))
        if rule_name and not _SLUG.match(rule_name):
            diags.append(_slug_error(path, position_of(item, "id"), rule_name, "rule id"))
        rule_id = f"{code_id}/{rule_name or index + 1}"
        keywords = _checked_keywords(item, "keywords", context, out)
        exclude = _checked_keywords(item, "exclude", context, out)
        speakers = _texts(item.get("speakers")) or DEFAULT_SPEAKERS
        regex = None
        near_terms: tuple[str, ...] = ()
        within = 0
        if kind == "keywords" and not keywords:
            continue
        if kind == "regex":
            value = item["regex"]
            # a number is text here as everywhere (`regex: 401` matches 401), as keywords are
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            regex = str(value) if numeric else value if isinstance(value, str) else None
            if regex is None:
                continue  # the type check reports it; an empty string is reported by validate
        if kind == "near":
            near = item["near"]
            if not isinstance(near, dict):
                continue
            diags += check_mapping(near, NEAR_FIELDS, path, f"'near' of {context}")
            near_terms = _checked_keywords(near, "terms", context, out)
            within_value = near.get("within")
            if isinstance(within_value, float) and within_value.is_integer():
                within_value = int(within_value)  # `within: 5.0`
            if isinstance(within_value, int) and not isinstance(within_value, bool):
                within = within_value
            if len(near_terms) < 2 or within < 1:
                diags.append(
                    error(
                        path,
                        position_of(item, "near"),
                        f"'near' of {context} needs at least two terms and within >= 1",
                        "invalid-rule",
                    )
                )
                continue
        rules.append(
            Rule(
                id=rule_id,
                code_id=code_id,
                kind=kind,  # type: ignore[arg-type]
                keywords=keywords,
                regex=regex,
                near_terms=near_terms,
                near_within=within,
                exclude=exclude,
                speakers=speakers,
                location=Location(path, *pos),
            )
        )
        for i in range(len(keywords)):
            out.field_positions[(rule_id, f"keywords.{i}")] = (
                position_of(item["keywords"], i) or pos
            )
        out.field_positions[(rule_id, "regex")] = position_of(item, "regex") or pos
        if isinstance(item.get("speakers"), list):
            for i in range(len(item["speakers"])):
                out.field_positions[(rule_id, f"speakers.{i}")] = (
                    position_of(item["speakers"], i) or pos
                )
    return rules


def _checked_keywords(
    item: dict[str, Any], key: str, context: str, out: LoadedCodebook
) -> tuple[str, ...]:
    values = item.get(key)
    if not isinstance(values, list):
        return ()
    kept = []
    for i, value in enumerate(values):
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            continue
        problem = keyword_problem(str(value))
        if problem:
            out.diagnostics.append(
                error(
                    out.path,
                    position_of(values, i),
                    f"{problem} ({key} of {context})",
                    "invalid-keyword",
                    "use a word or phrase, optionally ending in * for any ending",
                )
            )
            continue
        kept.append(str(value).strip())
    return tuple(kept)


def merge_codebooks(loaded: Sequence[LoadedCodebook]) -> Codebook:
    """One Codebook from several files (duplicates are kept here and reported by validation)."""
    books = tuple(lb.info for lb in loaded if lb.info is not None)
    codes = tuple(code for lb in loaded for code in lb.codes)
    return Codebook(books, codes)


def load_codebook_files(paths: Sequence[Path], display: Callable[[Path], str] = str) -> Codebook:
    """Load codebooks for use (not for checking): any error in them raises CodebookError."""
    from qualcode.codebook.validate import validate

    loaded = [read_codebook(p, display(p)) for p in paths]
    codebook = merge_codebooks(loaded)
    problems = [d for lb in loaded for d in lb.diagnostics] + validate(
        codebook, loaded, examples=False
    )
    errors = sorted(d for d in problems if d.severity == "error")
    if errors:
        first = errors[0]
        more = f" and {len(errors) - 1} more problem(s)" if len(errors) > 1 else ""
        raise CodebookError(
            first.message + more,
            path=first.path,
            line=first.line or None,
            column=first.column or None,
            hint="run `qualcode check` to see every problem",
        )
    return codebook
