"""Codebooks from other tools' files: CSV tables (Taguette, spreadsheets) and word dictionaries.

Every importer turns its input into `DraftCode` trees and hands them to `render_codebook_yaml`,
which does what all of them need: unique slug ids, distinct sibling names, a definition for every
codable code, and YAML that `qualcode check` accepts. Each returns the YAML text plus plain-English
notes about what could not be carried over, so nothing is dropped silently. The REFI-QDA importer in
`qualcode.refi` uses the same machinery.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qualcode.codebook.schema import COLOR_PATTERN, SLUG_PATTERN
from qualcode.errors import InterchangeError, YamlError

SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/codebook.schema.json"
MAX_DEPTH = 50
_SLUG = re.compile(SLUG_PATTERN)
_COLOR = re.compile(COLOR_PATTERN)


# -- the shared intermediate form -----------------------------------------------------------------


@dataclass(frozen=True)
class DraftCode:
    """A code as read from a foreign file, before ids are assigned.

    `key` identifies it in the source (a REFI GUID, a CSV row) so callers can map source references
    to the final ids; `id_hint` is an id the source proposes (used when it is a free, valid slug).
    """

    name: str
    key: str = ""
    id_hint: str = ""
    codable: bool = True
    description: str = ""
    definition: str = ""
    use_when: str = ""
    do_not_use_when: str = ""
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()
    color: str | None = None
    memo: str = ""
    keywords: tuple[str, ...] = ()
    children: tuple[DraftCode, ...] = ()


@dataclass(frozen=True)
class CodebookHeader:
    id: str
    title: str = ""
    version: str = ""
    description: str = ""


@dataclass
class RenderedCodebook:
    """The YAML text, the final id of every draft (by `key`), and notes for the user."""

    text: str
    ids_by_key: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    code_count: int = 0


# Latin letters that NFKD does not take apart into an ASCII letter and a mark: without these,
# `Işık` became `isk` and `Straße` `strae`.
_LATIN_LETTERS = str.maketrans(
    {
        "ı": "i",
        "ß": "ss",
        "ẞ": "ss",
        "ø": "o",
        "Ø": "o",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "Ð": "d",
        "þ": "th",
        "Þ": "th",
        "ħ": "h",
    }
)


def slugify(text: str, fallback: str = "code") -> str:
    """Lowercase ASCII slug (`Überzeugung / Trust` -> `uberzeugung-trust`), at most 60 chars.

    Names in other scripts have no ASCII letters and get `fallback` (then `-2`, `-3`...)."""
    plain = unicodedata.normalize("NFKD", text.translate(_LATIN_LETTERS))
    ascii_text = plain.encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-") or fallback


def unique_slug(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`... whichever is free; the result is added to `taken`."""
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}-{number}"
    taken.add(candidate)
    return candidate


def normalize_color(value: str | None) -> str | None:
    """`#RGB`/`#RRGGBB` in lowercase, or None for anything else (ARGB, names, garbage)."""
    if not value:
        return None
    value = value.strip()
    if not value.startswith("#"):
        value = "#" + value
    if not _COLOR.match(value):
        return None
    return value.lower()


def one_line(text: str) -> str:
    return " ".join(text.split())


def walk_drafts(drafts: Iterable[DraftCode]) -> Iterable[DraftCode]:
    """Every draft code, each before its children."""
    for draft in drafts:
        yield draft
        yield from walk_drafts(draft.children)


def render_codebook_yaml(
    header: CodebookHeader,
    drafts: Sequence[DraftCode],
    source: str,
    *,
    comment: str = "",
) -> RenderedCodebook:
    """Turn draft trees into codebook YAML that loads without errors.

    Ids: a valid, unused `id_hint` wins (so qualcode's own ids survive a round trip through another
    tool); every other code gets the slug of its name, made unique (`convener`, `convener-2`).
    Sibling names must differ in qualcode, so repeated ones become `Name (2)`. A codable code
    without a definition gets a placeholder that says so, and a note lists those codes.
    """
    notes: list[str] = []
    taken: set[str] = set()
    hinted: dict[int, str] = {}
    for draft in walk_drafts(drafts):
        hint = draft.id_hint.strip()
        if hint and _SLUG.match(hint) and hint not in taken:
            taken.add(hint)
            hinted[id(draft)] = hint
    ids_by_key: dict[str, str] = {}
    undefined: list[str] = []
    renamed: list[str] = []
    count = 0

    def build(items: Sequence[DraftCode], depth: int) -> list[dict[str, Any]]:
        nonlocal count
        if depth > MAX_DEPTH:
            raise InterchangeError(
                f"codes are nested more than {MAX_DEPTH} levels deep",
                path=source,
                hint="is this really a codebook? flatten the hierarchy first",
            )
        out: list[dict[str, Any]] = []
        sibling_names: set[str] = set()
        for draft in items:
            count += 1
            code_id = hinted.get(id(draft)) or unique_slug(slugify(draft.name), taken)
            if draft.key:
                ids_by_key[draft.key] = code_id
            name = one_line(draft.name) or code_id
            if name.casefold() in sibling_names:
                base, number = name, 2
                while f"{base} ({number})".casefold() in sibling_names:
                    number += 1
                name = f"{base} ({number})"
                renamed.append(f"{base!r} -> {name!r}")
            sibling_names.add(name.casefold())
            entry: dict[str, Any] = {"id": code_id, "name": name}
            if not draft.codable:
                entry["codable"] = False
            if draft.description.strip():
                entry["description"] = draft.description.strip()
            definition = draft.definition.strip()
            if draft.codable and not definition:
                definition = (
                    f"No definition was given in {Path(source).name}; "
                    "write what this code means here."
                )
                undefined.append(code_id)
            if definition:
                entry["definition"] = definition
            for key in ("use_when", "do_not_use_when"):
                value = getattr(draft, key).strip()
                if value:
                    entry[key] = value
            for key in ("examples", "counterexamples"):
                values = [v.strip() for v in getattr(draft, key) if v.strip()]
                if values:
                    entry[key] = values
            if draft.color:
                entry["color"] = draft.color
            if draft.memo.strip():
                entry["memo"] = draft.memo.strip()
            if draft.keywords:
                entry["rules"] = [{"keywords": list(draft.keywords)}]
            if draft.children:
                entry["children"] = build(draft.children, depth + 1)
            out.append(entry)
        return out

    codes = build(drafts, 0)
    if undefined:
        notes.append(
            f"{len(undefined)} codable code{'s' if len(undefined) != 1 else ''} "
            "had no description; "
            f"their definition is a placeholder to replace: {_listing(undefined)}"
        )
    if renamed:
        notes.append(
            "sibling codes with the same name were renamed (qualcode needs distinct names): "
            + _listing(renamed)
        )
    head: dict[str, Any] = {"id": header.id}
    for key in ("title", "version", "description"):
        value = getattr(header, key)
        if value:
            head[key] = value
    parts = [SCHEMA_COMMENT]
    if comment:
        parts += [f"# {line}" if line else "#" for line in comment.splitlines()]
    parts.append(_dump({"codebook": head}).rstrip("\n"))
    parts.append("")
    parts.append(_dump({"codes": codes}).rstrip("\n") if codes else "codes: []")
    return RenderedCodebook("\n".join(parts) + "\n", ids_by_key, notes, count)


def _listing(items: Sequence[str], limit: int = 12) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


class _Dumper(yaml.SafeDumper):
    """Readable YAML: nested lists indented, multi-line text as `|` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Literal blocks keep line breaks; long one-line text folds like hand-written codebooks do.
    style = "|" if "\n" in value else (">" if len(value) > 80 else None)
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _dump(data: Any) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=90,
        default_flow_style=False,
    )


# -- decoding -------------------------------------------------------------------------------------


def decode_bytes(data: bytes, source: str, what: str) -> tuple[str, list[str]]:
    """UTF-8 (BOM or not) or UTF-16 with BOM; Windows-1252 as a last resort, with a note."""
    for bom, encoding in (
        (b"\xef\xbb\xbf", "utf-8"),
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
    ):
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), []
            except UnicodeDecodeError as exc:
                raise InterchangeError(
                    f"{what} is not valid {encoding} at byte {exc.start + len(bom)}", path=source
                ) from exc
    if b"\x00" in data[:4096]:
        from qualcode.textio import utf16_without_bom

        wide = utf16_without_bom(data)
        if wide:  # .NET tools (NVivo) write UTF-16; some leave the byte-order mark out
            try:
                return data.decode(wide), [
                    f"{Path(source).name} was read as {wide} text without a byte-order mark"
                ]
            except UnicodeDecodeError:
                pass
        raise InterchangeError(
            f"looks like a binary file, not a {what}",
            path=source,
            hint="save it as CSV (UTF-8) or pass the right --format",
        )
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), [
            f"{Path(source).name} is not UTF-8; it was read as Windows-1252 "
            "(check accented letters)"
        ]


# -- CSV codebooks --------------------------------------------------------------------------------

NAME_COLUMNS = ("name", "tag", "code", "code name", "code_name", "label")
DESCRIPTION_COLUMNS = ("definition", "description", "desc", "memo")
PARENT_COLUMNS = ("parent", "category", "parent code", "parent_code", "group")
TRUE_WORDS = frozenset({"true", "yes", "y", "1"})
FALSE_WORDS = frozenset({"false", "no", "n", "0"})


def _split_hierarchical_names(entries: list[dict[str, Any]]) -> None:
    """`Codes\\Roles\\Contributor` -> name `Contributor`, parent `Roles` (NVivo's code lists).

    A folder on a path with no row of its own (`Roles\\Convener` above `...\\Convener\\Hosts`)
    becomes a group under its own parent, not one at the top.
    """
    paths = []
    for entry in entries:
        parts = [p.strip() for p in entry["name"].split("\\") if p.strip()]
        if len(parts) > 1 and parts[0].casefold() in ("codes", "nodes"):
            parts = parts[1:]  # NVivo's top folder, not a code
        paths.append(parts or [entry["name"]])
    known = {tuple(p.casefold() for p in parts) for parts in paths}
    result: list[dict[str, Any]] = []
    for entry, parts in zip(entries, paths, strict=True):
        for depth in range(1, len(parts)):
            prefix = tuple(p.casefold() for p in parts[:depth])
            if prefix not in known:
                known.add(prefix)
                result.append(
                    {
                        **entry,
                        "name": parts[depth - 1],
                        "id": "",
                        "codable": False,
                        "definition": "",
                        "use_when": "",
                        "do_not_use_when": "",
                        "examples": [],
                        "counterexamples": [],
                        "color": "",
                        "children": [],
                        "parent": parts[depth - 2] if depth > 1 else "",
                    }
                )
        entry["name"], entry["parent"] = parts[-1], parts[-2] if len(parts) > 1 else ""
        result.append(entry)
    entries[:] = result


def _find_column(lowered: list[str], names: Sequence[str]) -> int | None:
    return next((lowered.index(n) for n in names if n in lowered), None)


def csv_to_codebook_yaml(data: bytes, source: str) -> tuple[str, list[str]]:
    """A codebook from a CSV as Taguette, spreadsheets or `qualcode codebook export` write it.

    Columns are found by name, case-insensitively: name/tag/code (required), definition/description,
    parent/category (an id or name of another row, or a new group), id, color/colour, codable,
    use_when, do_not_use_when, examples and counterexamples (` | `-separated). Other columns are
    reported and ignored.
    """
    text, notes = decode_bytes(data, source, "CSV file")
    if not text.strip():
        raise InterchangeError(
            "the CSV file is empty", path=source, hint="export the codebook again"
        )
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InterchangeError(
            f"not a readable CSV file: {exc}",
            path=source,
            line=reader.line_num or None,
            hint="save the sheet again as CSV (UTF-8)",
        ) from None
    header = [h.strip() for h in rows[0]]
    lowered = [h.casefold() for h in header]
    name_col = _find_column(lowered, NAME_COLUMNS)
    if name_col is None:
        raise InterchangeError(
            f"no column with the code names (columns: {', '.join(header) or 'none'})",
            path=source,
            line=1,
            hint="name that column 'name', 'tag' or 'code'",
        )
    columns = {
        "id": _find_column(lowered, ("id", "code id", "code_id")),
        "definition": _find_column(lowered, DESCRIPTION_COLUMNS),
        "parent": _find_column(lowered, PARENT_COLUMNS),
        "color": _find_column(lowered, ("color", "colour")),
        "codable": _find_column(lowered, ("codable", "iscodable")),
        "use_when": _find_column(lowered, ("use_when", "use when", "inclusion")),
        "do_not_use_when": _find_column(
            lowered, ("do_not_use_when", "do not use when", "exclusion")
        ),
        "examples": _find_column(lowered, ("examples", "example")),
        "counterexamples": _find_column(lowered, ("counterexamples", "counterexample")),
    }
    used = {name_col, *(i for i in columns.values() if i is not None)}
    ignored = [h for i, h in enumerate(header) if i not in used and h]
    if ignored:
        notes.append(f"columns not used by qualcode were ignored: {', '.join(ignored)}")

    def cell(row: list[str], key: str) -> str:
        index = columns[key]
        return row[index].strip() if index is not None and index < len(row) else ""

    entries: list[dict[str, Any]] = []
    skipped: list[int] = []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        name = row[name_col].strip() if name_col < len(row) else ""
        if not name:
            skipped.append(line_no)
            continue
        codable_text = cell(row, "codable").casefold()
        entries.append(
            {
                "line": line_no,
                "name": name,
                "id": cell(row, "id"),
                "parent": cell(row, "parent"),
                "codable": codable_text not in FALSE_WORDS,
                "definition": cell(row, "definition"),
                "use_when": cell(row, "use_when"),
                "do_not_use_when": cell(row, "do_not_use_when"),
                "examples": _split_list(cell(row, "examples")),
                "counterexamples": _split_list(cell(row, "counterexamples")),
                "color": cell(row, "color"),
                "children": [],
            }
        )
    if columns["parent"] is None and any("\\" in e["name"] for e in entries):
        _split_hierarchical_names(entries)
        notes.append(
            "names such as 'Roles\\Contributor' (NVivo's hierarchical names) were read as a "
            "parent and its child"
        )
    if skipped:
        notes.append(
            f"rows without a code name were skipped (lines {_listing([str(n) for n in skipped])})"
        )
    if not entries:
        raise InterchangeError(
            "the CSV file has no codes", path=source, hint="add one row per code"
        )

    by_id = {e["id"]: e for e in entries if e["id"]}
    by_name: dict[str, dict[str, Any]] = {}
    for entry in entries:
        by_name.setdefault(entry["name"].casefold(), entry)
    groups: dict[str, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for entry in entries:
        parent_ref = entry["parent"]
        if not parent_ref:
            roots.append(entry)
            continue
        parent = by_id.get(parent_ref) or by_name.get(parent_ref.casefold())
        if parent is None:
            parent = groups.get(parent_ref.casefold())
            if parent is None:
                parent = {
                    "line": 0,
                    "name": parent_ref,
                    "id": "",
                    "parent": "",
                    "codable": False,
                    "definition": "",
                    "group": True,
                    "children": [],
                }
                groups[parent_ref.casefold()] = parent
                roots.append(parent)
        if parent is entry or _is_ancestor(entry, parent, by_id, by_name):
            notes.append(
                f"line {entry['line']}: {entry['name']!r} is its own ancestor; "
                "it was put at the top"
            )
            roots.append(entry)
            continue
        parent["children"].append(entry)
    if groups:
        notes.append(
            "categories that are not codes themselves became grouping codes: "
            + _listing([g["name"] for g in groups.values()])
        )
    for entry in entries:
        color = entry.get("color")
        if color and normalize_color(color) is None:
            notes.append(f"line {entry['line']}: color {color!r} is not a hex color; dropped")

    drafts = [_draft_from_entry(e, 0, source) for e in roots]
    stem = Path(source).stem
    rendered = render_codebook_yaml(
        CodebookHeader(
            slugify(stem, "imported"),
            title=f"Imported from {Path(source).name}",
        ),
        drafts,
        source,
        comment=f"Imported from {Path(source).name} by qualcode. Check it with `qualcode check`.",
    )
    return rendered.text, notes + rendered.notes


def _split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(" | ") if part.strip()) if value else ()


def _is_ancestor(
    entry: dict[str, Any],
    candidate: dict[str, Any],
    by_id: dict[str, dict[str, Any]],
    by_name: dict[str, dict[str, Any]],
) -> bool:
    """Whether `entry` is above `candidate` in the parent chain (would make a cycle)."""
    seen: set[int] = set()
    node: dict[str, Any] | None = candidate
    while node is not None and id(node) not in seen:
        if node is entry:
            return True
        seen.add(id(node))
        ref = node.get("parent", "")
        node = (by_id.get(ref) or by_name.get(ref.casefold())) if ref else None
    return False


def _draft_from_entry(entry: dict[str, Any], depth: int, source: str) -> DraftCode:
    if depth > MAX_DEPTH:
        raise InterchangeError(
            f"codes are nested more than {MAX_DEPTH} levels deep", path=source, line=entry["line"]
        )
    text = entry["definition"]
    if entry.get("group", False):
        description = f"Category {entry['name']!r} in {Path(source).name}."
    else:
        description = "" if entry["codable"] else text
    return DraftCode(
        name=entry["name"],
        key=f"line-{entry['line']}",
        id_hint=entry["id"],
        codable=entry["codable"],
        description=description,
        definition=text if entry["codable"] else "",
        use_when=entry.get("use_when", ""),
        do_not_use_when=entry.get("do_not_use_when", ""),
        examples=entry.get("examples", ()),
        counterexamples=entry.get("counterexamples", ()),
        color=normalize_color(entry.get("color")),
        children=tuple(_draft_from_entry(c, depth + 1, source) for c in entry["children"]),
    )


# -- word dictionaries (quanteda / LIWC style YAML) -----------------------------------------------


def dictionary_to_codebook_yaml(data: bytes, source: str) -> tuple[str, list[str]]:
    """Codes with keyword rules from a YAML dictionary: `category: [word, stem*, ...]`, nestable.

    A category holding a list becomes a codable code with one keyword rule; a category holding
    categories becomes a grouping code. Words qualcode cannot use as keywords (a `*` that is not at
    the end, empty entries) are dropped and listed in the notes.
    """
    from qualcode.engine import keyword_problem
    from qualcode.yamlio import load_yaml

    text, notes = decode_bytes(data, source, "dictionary file")
    try:
        loaded = load_yaml(text, source)
    except YamlError as exc:
        raise InterchangeError(
            exc.message, path=source, line=exc.line, column=exc.column, hint=exc.hint
        ) from exc
    if not isinstance(loaded.data, dict) or not loaded.data:
        raise InterchangeError(
            "a dictionary must be a YAML mapping of category -> list of words",
            path=source,
            hint="e.g. `trust: [trust*, rely on, depend on]`",
        )
    dropped: list[str] = []
    name = Path(source).name

    def build(mapping: dict[str, Any], depth: int) -> tuple[DraftCode, ...]:
        if depth > MAX_DEPTH:
            raise InterchangeError(f"categories nested more than {MAX_DEPTH} levels", path=source)
        drafts = []
        for category, value in mapping.items():
            label = str(category).strip()
            if isinstance(value, dict):
                drafts.append(
                    DraftCode(
                        name=label,
                        codable=False,
                        description=f"Category {label!r} of the {name} dictionary.",
                        children=build(value, depth + 1),
                    )
                )
                continue
            words = value if isinstance(value, list) else [value]
            keywords: list[str] = []
            for word in words:
                if isinstance(word, (dict, list)) or word is None or isinstance(word, bool):
                    dropped.append(f"{label}: {word!r}")
                    continue
                keyword = " ".join(str(word).split())
                if keyword_problem(keyword):
                    dropped.append(f"{label}: {keyword!r}")
                    continue
                if keyword not in keywords:
                    keywords.append(keyword)
            drafts.append(
                DraftCode(
                    name=label,
                    definition=f"Passages using a word of the {label!r} category of the {name} "
                    "dictionary.",
                    keywords=tuple(keywords),
                )
            )
            if not keywords:
                notes.append(f"category {label!r} has no usable words, so its code has no rule")
        return tuple(drafts)

    drafts = build(loaded.data, 0)
    if dropped:
        notes.append(
            "entries that are not usable keywords were dropped (qualcode allows '*' only at the "
            "end of a word): " + _listing(dropped)
        )
    rendered = render_codebook_yaml(
        CodebookHeader(slugify(Path(source).stem, "dictionary"), title=f"Imported from {name}"),
        drafts,
        source,
        comment=f"Imported from the dictionary {name} by qualcode. Check it with `qualcode check`.",
    )
    return rendered.text, notes + rendered.notes


__all__ = [
    "CodebookHeader",
    "DraftCode",
    "RenderedCodebook",
    "csv_to_codebook_yaml",
    "decode_bytes",
    "dictionary_to_codebook_yaml",
    "normalize_color",
    "render_codebook_yaml",
    "slugify",
    "unique_slug",
]
