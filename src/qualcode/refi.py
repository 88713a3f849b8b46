"""REFI-QDA interchange: codebooks (.qdc) and projects (.qdpx) for NVivo, ATLAS.ti, MAXQDA and
QualCoder.

The REFI-QDA standard (https://www.qdasoftware.org, schemas `urn:QDA-XML:codebook:1.0` and
`urn:QDA-XML:project:1.0`) describes a codebook as nested `<Code guid name isCodable color>`
elements with a free-text `<Description>`, and a project as a ZIP holding `project.qde` (users,
codebook, variables, cases, sources with coded selections) plus the source texts under `Sources/`.

What qualcode promises:

- Exports are byte-identical across runs: GUIDs are UUIDv5 of stable keys (`<codebook>/<code>`),
  there are no timestamps, and ZIP members have a fixed order and date. A diff of two exports shows
  real changes only.
- A code's definition, criteria, examples and id travel in its `<Description>` as labelled
  paragraphs that a GUI user can read ("Use when: ..."); importing such a description splits it
  back, so qualcode -> .qdc -> qualcode keeps every code.
- Imports are lenient about what real tools write (missing namespace, attribute case, BOMs, CRLF
  positions, codes without descriptions) and strict about safety: XML is parsed with defusedxml and
  any DTD is refused (no entity expansion, no external entities); ZIP members with absolute paths or
  `..` are refused, and the unpacked size and member count are capped before anything is read.
- Nothing is dropped silently: every importer returns notes saying what could not be carried over.
"""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import uuid
import xml.etree.ElementTree as ET
import zipfile
import zlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode import __version__
from qualcode.codebook.importers import (
    CodebookHeader,
    DraftCode,
    RenderedCodebook,
    decode_bytes,
    normalize_color,
    one_line,
    render_codebook_yaml,
    slugify,
    unique_slug,
    walk_drafts,
)
from qualcode.codebook.model import Code, Codebook
from qualcode.errors import InterchangeError, QualcodeError, UsageError

if TYPE_CHECKING:
    from qualcode.project import Project
    from qualcode.store import Coding
    from qualcode.transcripts import Segment, Transcript

CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
PROJECT_NS = "urn:QDA-XML:project:1.0"
# Fixed forever: every GUID qualcode writes derives from it, so changing it would change them all.
GUID_NAMESPACE = uuid.UUID("c0076787-450a-51b9-b1fc-cbf19d81148c")
MAX_QDPX_BYTES = 500_000_000
MAX_QDPX_MEMBERS = 10_000
# A member this large that shrank more than this when zipped is a zip bomb, not an interview.
BOMB_MIN_BYTES, BOMB_RATIO = 20_000_000, 200
MAX_CODE_DEPTH = 50
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
IMPORTED_CODEBOOK = "codebooks/imported.yaml"

# -- GUIDs, colors, XML text ----------------------------------------------------------------------


def stable_guid(key: str) -> str:
    """Uppercase UUIDv5 of `key`: the same thing always gets the same GUID."""
    return str(uuid.uuid5(GUID_NAMESPACE, key)).upper()


def code_guid(code: Code) -> str:
    return stable_guid(f"{code.codebook_id}/{code.id}")


def _guid_key(value: str | None) -> str:
    """GUIDs compare case- and brace-insensitively (REFI allows `{...}`; tools mix cases)."""
    return (value or "").strip().strip("{}").upper()


def _rgb(color: str) -> str:
    """`#abc` / `#aabbcc` -> `#AABBCC`."""
    digits = color.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return "#" + digits.upper()


_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """Text that XML 1.0 can carry: control characters removed, line ends as LF."""
    return _XML_INVALID.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _serialize(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- a code's Description: labelled paragraphs that split back ------------------------------------

_LABELS = {
    "definition": "Definition",
    "description": "Description",
    "use_when": "Use when",
    "do_not_use_when": "Do not use when",
    "examples": "Examples",
    "counterexamples": "Counterexamples",
    "memo": "Memo",
    "id": "qualcode id",
}
_FIELD_BY_LABEL = {label.casefold(): key for key, label in _LABELS.items()}
_LIST_FIELDS = ("examples", "counterexamples")
_LABEL_LINE = re.compile(
    r"^(" + "|".join(re.escape(label) for label in _LABELS.values()) + r"):(?:[ \t]+(.*))?$",
    re.IGNORECASE,
)


def _list_item(text: str) -> str:
    lines = text.split("\n")
    return "\n".join(["- " + lines[0]] + [f"  {line}" if line else "" for line in lines[1:]])


def describe_code(code: Code) -> str:
    """The `<Description>` of a code: its main text, then criteria and examples, labelled.

    The main text is the definition of a codable code or the description of a grouping code; the
    last line, `qualcode id: ...`, lets an import give the code its id back.
    """
    main_key, other_key = (
        ("definition", "description") if code.codable else ("description", "definition")
    )
    blocks = []
    if getattr(code, main_key):
        blocks.append(getattr(code, main_key))
    if getattr(code, other_key):
        blocks.append(f"{_LABELS[other_key]}: {getattr(code, other_key)}")
    for key in ("use_when", "do_not_use_when"):
        if getattr(code, key):
            blocks.append(f"{_LABELS[key]}: {getattr(code, key)}")
    for key in _LIST_FIELDS:
        values = getattr(code, key)
        if values:
            blocks.append(f"{_LABELS[key]}:\n" + "\n".join(_list_item(v) for v in values))
    if code.memo:
        blocks.append(f"Memo: {code.memo}")
    blocks.append(f"qualcode id: {code.id}")
    return "\n\n".join(blocks)


def split_description(text: str, codable: bool) -> dict[str, Any]:
    """Inverse of `describe_code`; any other tool's description becomes the main text.

    Lines starting with a known label (`Use when:`, `Examples:`, ...) start that field; in list
    fields `- ` starts an item and indented lines continue it. Unlabelled text before the first
    label is the definition (codable code) or description (grouping code).
    """
    main_key = "definition" if codable else "description"
    texts: dict[str, list[str]] = {main_key: []}
    lists: dict[str, list[list[str]]] = {}
    current = main_key
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        match = _LABEL_LINE.match(line)
        if match:
            current = _FIELD_BY_LABEL[match.group(1).casefold()]
            rest = match.group(2) or ""
            if current in _LIST_FIELDS:
                items = lists.setdefault(current, [])
                if rest.strip():
                    items.append([rest.strip()])
            else:
                texts.setdefault(current, [])
                if texts[current]:
                    texts[current].append("")
                texts[current].append(rest)
            continue
        if current in _LIST_FIELDS:
            items = lists[current]
            if line.startswith("- "):
                items.append([line[2:]])
            elif items:
                items[-1].append(line[2:] if line.startswith("  ") else line)
            elif line.strip():
                items.append([line.strip()])
        else:
            texts[current].append(line)
    result: dict[str, Any] = {key: "\n".join(lines).strip() for key, lines in texts.items()}
    for key, items in lists.items():
        result[key] = tuple(
            joined for joined in ("\n".join(item).strip() for item in items) if joined
        )
    return result


# -- codebook export ------------------------------------------------------------------------------


def _code_element(code: Code, codebook: Codebook) -> ET.Element:
    attrs = {
        "guid": code_guid(code),
        "name": _xml_text(code.name),
        "isCodable": "true" if code.codable else "false",
    }
    if code.color:
        attrs["color"] = _rgb(code.color)
    element = ET.Element("Code", attrs)
    ET.SubElement(element, "Description").text = _xml_text(describe_code(code))
    for child in codebook.children(code.id):
        element.append(_code_element(child, codebook))
    return element


def codebook_to_qdc(codebook: Codebook) -> str:
    """The codebook as a REFI-QDA Codebook document (.qdc), identical for identical input."""
    root = ET.Element("CodeBook", {"xmlns": CODEBOOK_NS, "origin": f"qualcode {__version__}"})
    codes = ET.SubElement(root, "Codes")
    for code in codebook.roots():
        codes.append(_code_element(code, codebook))
    return _serialize(root)


# -- safe XML reading -----------------------------------------------------------------------------


def parse_xml(data: bytes, source: str, member: str = "") -> ET.Element:
    """Parse untrusted XML; DTDs (and so entity bombs and external entities) are refused."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    where = f"{member}: " if member else ""
    if not data.strip():
        raise InterchangeError(
            f"{where}the file is empty", path=source, hint="export it again from the QDA program"
        )
    try:
        return fromstring(data, forbid_dtd=True)  # type: ignore[no-any-return]
    except DefusedXmlException as exc:
        raise InterchangeError(
            f"{where}refused: the XML declares a DTD or entities ({type(exc).__name__}); "
            "REFI-QDA files never need one, and it can hide an entity-expansion or "
            "external-entity attack",
            path=source,
            hint="only open files from sources you trust; re-export it from the QDA program",
        ) from None
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (None, None))
        reason = str(exc).split(":")[0]
        if member:
            raise InterchangeError(
                f"{where}not well-formed XML ({reason}, line {line}, column {(column or 0) + 1})",
                path=source,
                hint="is this a REFI-QDA file? re-export it from the QDA program",
            ) from None
        raise InterchangeError(
            f"not well-formed XML ({reason})",
            path=source,
            line=line,
            column=(column + 1) if column is not None else None,
            hint="is this a REFI-QDA file? re-export it from the QDA program",
        ) from None
    except (ValueError, LookupError) as exc:
        raise InterchangeError(f"{where}cannot be read as XML: {exc}", path=source) from None


def _local(tag: Any) -> str:
    """Element name without namespace, casefolded (tools disagree on both)."""
    return tag.rsplit("}", 1)[-1].casefold() if isinstance(tag, str) else ""


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _attrs(element: ET.Element) -> dict[str, str]:
    return {key.rsplit("}", 1)[-1].casefold(): value for key, value in element.attrib.items()}


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((child for child in element if _local(child.tag) == name), None)


def _text_of(element: ET.Element | None) -> str:
    return "".join(element.itertext()) if element is not None else ""


_BOOL_WORDS = ("true", "false", "1", "0", "yes", "no")


def _bool(value: str | None, default: bool = True) -> bool:
    if value is None:
        return default
    return value.strip().casefold() not in ("false", "0", "no")


# -- codebook import ------------------------------------------------------------------------------


@dataclass
class _CodebookRead:
    drafts: tuple[DraftCode, ...]
    origin: str
    notes: list[str] = field(default_factory=list)


def _read_codes(
    parent: ET.Element, source: str, notes: list[str], depth: int
) -> tuple[DraftCode, ...]:
    if depth > MAX_CODE_DEPTH:
        raise InterchangeError(
            f"codes are nested more than {MAX_CODE_DEPTH} levels deep", path=source
        )
    drafts = []
    for element in _children(parent, "code"):
        attrs = _attrs(element)
        name = one_line(attrs.get("name", ""))
        if not name:
            notes.append("a code without a name was called 'Unnamed code'")
            name = "Unnamed code"
        raw_codable = attrs.get("iscodable")
        codable = _bool(raw_codable)
        if raw_codable is not None and raw_codable.strip().casefold() not in _BOOL_WORDS:
            notes.append(
                f"isCodable={raw_codable!r} of code {name!r} is not true or false; read as codable"
            )
        color = normalize_color(attrs.get("color"))
        if attrs.get("color") and color is None:
            notes.append(f"color {attrs['color']!r} of code {name!r} is not #RRGGBB; dropped")
        parts = split_description(_text_of(_child(element, "description")), codable)
        drafts.append(
            DraftCode(
                name=name,
                key=_guid_key(attrs.get("guid")),
                id_hint=parts.get("id", ""),
                codable=codable,
                description=parts.get("description", ""),
                definition=parts.get("definition", ""),
                use_when=parts.get("use_when", ""),
                do_not_use_when=parts.get("do_not_use_when", ""),
                examples=parts.get("examples", ()),
                counterexamples=parts.get("counterexamples", ()),
                color=color,
                memo=parts.get("memo", ""),
                children=_read_codes(element, source, notes, depth + 1),
            )
        )
    return tuple(drafts)


def _read_codebook(root: ET.Element, source: str) -> _CodebookRead:
    """Codes from a <CodeBook> root (.qdc) or a <Project> root's <CodeBook> (.qde)."""
    notes: list[str] = []
    kind = _local(root.tag)
    namespace = _namespace(root.tag)
    if namespace and namespace not in (CODEBOOK_NS, PROJECT_NS):
        notes.append(f"namespace {namespace!r} is not REFI-QDA 1.0's; the file was read as 1.0")
    if kind == "codebook":
        book: ET.Element | None = root
    elif kind == "project":
        book = _child(root, "codebook")
    else:
        raise InterchangeError(
            f"not a REFI-QDA codebook: the document is a <{root.tag.rsplit('}', 1)[-1]}>",
            path=source,
            hint="expected <CodeBook> (a .qdc file) or <Project> (project.qde in a .qdpx)",
        )
    origin = one_line(_attrs(root).get("origin", ""))
    codes = _child(book, "codes") if book is not None else None
    drafts = _read_codes(codes, source, notes, 0) if codes is not None else ()
    if not drafts:
        notes.append("the file contains no codes")
    sets = _child(book, "sets") if book is not None else None
    if sets is not None and len(_children(sets, "set")):
        count = len(_children(sets, "set"))
        notes.append(
            f"{count} code set{'s were' if count != 1 else ' was'} ignored (qualcode has no sets)"
        )
    return _CodebookRead(drafts, origin, notes)


def _render_imported(read: _CodebookRead, source: str, book_id: str) -> RenderedCodebook:
    name = Path(source).name
    written_by = f", written by {read.origin}" if read.origin else ""
    return render_codebook_yaml(
        CodebookHeader(
            book_id,
            title=f"Imported from {name}",
            description=f"Codebook imported from {name} (REFI-QDA{written_by}).",
        ),
        read.drafts,
        source,
        comment=f"Imported from {name} by qualcode. Check it with `qualcode check`.",
    )


def qdc_to_codebook_yaml(data: bytes, source: str) -> tuple[str, list[str]]:
    """qualcode codebook YAML from a REFI-QDA codebook (.qdc, or a project.qde), plus notes."""
    read = _read_codebook(parse_xml(data, source), source)
    rendered = _render_imported(read, source, slugify(Path(source).stem, "imported"))
    return rendered.text, read.notes + rendered.notes


# -- project export -------------------------------------------------------------------------------

_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _is_date(value: str) -> bool:
    if not _ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _variable_type(values: Sequence[str]) -> str:
    """The REFI variable type all values fit (Text when in doubt: nothing is lost)."""
    if values and all(_INTEGER.fullmatch(v) for v in values):
        return "Integer"
    if values and all(_is_date(v) for v in values):
        return "Date"
    if values and all(v in ("true", "false") for v in values):
        return "Boolean"
    return "Text"


_VALUE_ELEMENT = {
    "Text": "TextValue",
    "Integer": "IntegerValue",
    "Date": "DateValue",
    "Boolean": "BooleanValue",
}
_STATUS_LINE = re.compile(r"^qualcode: (proposed|accepted|rejected), (rule|human)(?: \((.*)\))?$")


def _status_line(coding: Coding) -> str:
    line = f"qualcode: {coding.status}, {coding.origin}"
    if coding.rules:
        line += f" ({', '.join(coding.rules)})"
    return line


def _zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A ZIP whose bytes depend only on the members: fixed dates, system and permissions."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=6)
    return buffer.getvalue()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def export_qdpx(project: Project, coders: list[str] | None, path: Path) -> list[str]:
    """Write the project as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA or QualCoder.

    project.qde holds the coders as Users, the codebook, one Variable per metadata attribute, one
    Case per transcript with its values, and one TextSource per transcript whose text is
    `Sources/<GUID>.txt` (UTF-8, the full LF-normalized text qualcode's offsets point into). Every
    accepted or proposed coding of the chosen coders (default: all) is a PlainTextSelection with
    code-point positions, end exclusive; its Description starts with `qualcode: <status>, <origin>`.
    Rejected and stale codings are left out. Returns notes: a summary, then what was not exported.
    """
    from qualcode.store import (
        list_coders,
        read_codings,
        reanchor,
        require_coder,
        validate_coder_name,
    )
    from qualcode.textio import write_output

    codebook = project.codebook
    corpus = project.corpus
    if coders:
        chosen = [require_coder(project, validate_coder_name(c)) for c in dict.fromkeys(coders)]
    else:
        chosen = list_coders(project)
    transcripts = [corpus.load(transcript_id) for transcript_id in corpus.ids]
    user_guid = {coder: stable_guid(f"user/{coder}") for coder in chosen}
    code_by_id = codebook.by_id

    root = ET.Element(
        "Project",
        {
            "xmlns": PROJECT_NS,
            "name": _xml_text(project.config.title or project.root.name or "qualcode project"),
            "origin": f"qualcode {__version__}",
        },
    )
    if chosen:
        users = ET.SubElement(root, "Users")
        for coder in chosen:
            ET.SubElement(users, "User", {"guid": user_guid[coder], "name": coder})
    roots = codebook.roots()
    if roots:
        codes = ET.SubElement(ET.SubElement(root, "CodeBook"), "Codes")
        for code in roots:
            codes.append(_code_element(code, codebook))

    # Variables: every metadata attribute, typed by what all its values fit.
    values_by_name: dict[str, list[str]] = {}
    for transcript in transcripts:
        for name, value in transcript.metadata.items():
            if value.strip():
                values_by_name.setdefault(name, []).append(value.strip())
    variable_types = {name: _variable_type(values) for name, values in values_by_name.items()}
    variable_guid = {name: stable_guid(f"variable/{name}") for name in values_by_name}
    if values_by_name:
        variables = ET.SubElement(root, "Variables")
        for name, kind in variable_types.items():
            ET.SubElement(
                variables,
                "Variable",
                {"guid": variable_guid[name], "name": _xml_text(name), "typeOfVariable": kind},
            )
    source_guid = {t.id: stable_guid(f"source/{t.id}") for t in transcripts}
    with_metadata = [t for t in transcripts if any(v.strip() for v in t.metadata.values())]
    if with_metadata:
        cases = ET.SubElement(root, "Cases")
        for transcript in with_metadata:
            case = ET.SubElement(
                cases,
                "Case",
                {"guid": stable_guid(f"case/{transcript.id}"), "name": _xml_text(transcript.id)},
            )
            for name in values_by_name:
                value = transcript.metadata.get(name, "").strip()
                if not value:
                    continue
                holder = ET.SubElement(case, "VariableValue")
                ET.SubElement(holder, "VariableRef", {"targetGUID": variable_guid[name]})
                ET.SubElement(holder, _VALUE_ELEMENT[variable_types[name]]).text = _xml_text(value)
            ET.SubElement(case, "SourceRef", {"targetGUID": source_guid[transcript.id]})

    members: list[tuple[str, bytes]] = []
    exported = rejected = stale = unknown_code = bad_span = memos = 0
    used_keys: set[str] = set()
    if transcripts:
        sources = ET.SubElement(root, "Sources")
    for transcript in transcripts:
        guid = source_guid[transcript.id]
        source = ET.SubElement(
            sources,
            "TextSource",
            {
                "guid": guid,
                "name": _xml_text(transcript.id),
                "plainTextPath": f"internal://{guid}.txt",
            },
        )
        members.append((f"Sources/{guid}.txt", transcript.text.encode("utf-8")))
        selections: list[tuple[int, int, str, str, Coding]] = []
        for coder in chosen:
            stored = read_codings(project, coder, transcript.id)
            if stored is None:
                continue
            current, _, _ = reanchor(stored, transcript)
            memos += sum(1 for note in current.notes if note.memo.strip())
            for coding in current.codings:
                if coding.status == "rejected":
                    rejected += 1
                elif coding.stale:
                    stale += 1
                elif coding.code not in code_by_id:
                    unknown_code += 1
                elif not 0 <= coding.start < coding.end <= len(transcript.text):
                    bad_span += 1
                else:
                    selections.append((coding.start, coding.end, coding.code, coder, coding))
        for start, end, code_id, coder, coding in sorted(selections, key=lambda s: s[:4]):
            key = unique_slug(f"{coder}/{transcript.id}/{code_id}/{start}/{end}", used_keys)
            selection = ET.SubElement(
                source,
                "PlainTextSelection",
                {
                    "guid": stable_guid(f"selection/{key}"),
                    "startPosition": str(start),
                    "endPosition": str(end),
                    "creatingUser": user_guid[coder],
                },
            )
            description = _status_line(coding)
            if coding.memo.strip():
                description += "\n" + coding.memo.strip()
            ET.SubElement(selection, "Description").text = _xml_text(description)
            tag = ET.SubElement(
                selection,
                "Coding",
                {"guid": stable_guid(f"coding/{key}"), "creatingUser": user_guid[coder]},
            )
            ET.SubElement(tag, "CodeRef", {"targetGUID": code_guid(code_by_id[code_id])})
            exported += 1

    notes = [
        f"exported {_plural(exported, 'coding')} by "
        f"{', '.join(chosen) if chosen else 'no coder'} "
        f"on {_plural(len(transcripts), 'transcript')} "
        f"with {_plural(len(codebook.codes), 'code')}"
    ]
    if rejected:
        notes.append(
            f"{_plural(rejected, 'rejected coding')} left out (only accepted and proposed)"
        )
    if stale:
        notes.append(
            f"{_plural(stale, 'stale coding')} left out: their text changed "
            "(review them, or run `qualcode code` to re-anchor)"
        )
    if unknown_code:
        notes.append(f"{_plural(unknown_code, 'coding')} of codes not in the codebook left out")
    if bad_span:
        notes.append(f"{_plural(bad_span, 'coding')} with positions outside the text left out")
    if memos:
        notes.append(
            f"{_plural(memos, 'segment memo')} not exported "
            "(qualcode does not export segment memos yet)"
        )
    known = set(corpus.ids)
    for coder in chosen:
        orphans = sorted(
            p.stem for p in (project.codings_dir / coder).glob("*.jsonl") if p.stem not in known
        )
        if orphans:
            notes.append(
                f"codings of {coder!r} for missing transcripts left out: {', '.join(orphans)}"
            )
    ET.SubElement(root, "Description").text = _xml_text(settings_description(project))
    qde = _serialize(root).encode("utf-8")
    write_output(path, _zip([("project.qde", qde), *sorted(members)]))
    return notes


SETTINGS_MARKER = "qualcode settings (read back by `qualcode import qdpx`):"


def settings_description(project: Project) -> str:
    """The project settings REFI-QDA has no place for (speaker roles, segmentation, declared
    values), as YAML in the project's Description, so a round trip keeps the same tallies."""
    import yaml

    config = project.config
    settings: dict[str, Any] = {
        "segmentation": config.segmentation,
        "speakers": {
            "interviewer": list(config.interviewer_labels),
            "informant": list(config.informant_labels),
        },
    }
    if config.label_patterns:
        settings["speakers"]["patterns"] = list(config.label_patterns)
    if config.declared_values:
        settings["metadata"] = {k: list(v) for k, v in config.declared_values.items()}
    dumped = yaml.safe_dump(settings, sort_keys=False, allow_unicode=True, width=1000)
    return SETTINGS_MARKER + "\n" + dumped


def imported_settings(root: ET.Element, source: str) -> str:
    """qualcode.yaml lines from a Description written by `settings_description` ('' if none)."""
    import yaml

    from qualcode.project import SEGMENT_KINDS
    from qualcode.yamlio import load_yaml

    text = _text_of(_child(root, "description"))
    if not text.startswith(SETTINGS_MARKER):
        return ""
    try:
        data = load_yaml(text[len(SETTINGS_MARKER) :], source).data
    except QualcodeError:
        return ""
    if not isinstance(data, dict):
        return ""

    def strings(value: Any) -> list[str]:
        return (
            [str(v) for v in value if isinstance(v, (str, int, float))]
            if isinstance(value, list)
            else []
        )

    kept: dict[str, Any] = {}
    if data.get("segmentation") in SEGMENT_KINDS:
        kept["segmentation"] = data["segmentation"]
    speakers = data.get("speakers")
    if isinstance(speakers, dict):
        labels = {k: strings(speakers.get(k)) for k in ("interviewer", "informant", "patterns")}
        kept["speakers"] = {k: v for k, v in labels.items() if v}
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        kept["metadata"] = {str(k): strings(v) for k, v in metadata.items() if strings(v)}
    if not kept:
        return ""
    return "\n# Settings carried over from the qualcode project that wrote the file.\n" + (
        yaml.safe_dump(kept, sort_keys=False, allow_unicode=True, width=1000)
    )


# -- project import -------------------------------------------------------------------------------


def _unsafe_member(name: str) -> bool:
    normalized = name.replace("\\", "/")
    return (
        normalized.startswith("/")
        or re.match(r"^[A-Za-z]:", normalized) is not None
        or ".." in normalized.split("/")
        or "\x00" in normalized
    )


class _Archive:
    """Read-only view of a .qdpx that checks names and sizes before reading anything."""

    def __init__(self, data: bytes, source: str, max_bytes: int, max_members: int) -> None:
        self.source = source
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
            raise InterchangeError(
                "not a REFI-QDA project: a .qdpx file is a ZIP archive, and this is not one",
                path=source,
                hint="export the project again as REFI-QDA (.qdpx)",
            ) from None
        if len(infos) > max_members:
            raise InterchangeError(
                f"refused: the archive has {len(infos):,} members (more than {max_members:,})",
                path=source,
                hint="is this really a .qdpx?",
            )
        total = 0
        self.members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if _unsafe_member(info.filename):
                raise InterchangeError(
                    f"refused: archive member {info.filename!r} has an absolute path or '..'",
                    path=source,
                    hint="a genuine .qdpx never has one; the file may be crafted to write "
                    "outside the target folder",
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > BOMB_MIN_BYTES and ratio > BOMB_RATIO:
                raise InterchangeError(
                    f"refused: archive member {info.filename!r} unpacks to "
                    f"{info.file_size / 1e6:.0f} MB from {info.compress_size / 1e3:.0f} KB "
                    f"({ratio:,.0f} to 1; text compresses about 3 to 10 to 1)",
                    path=source,
                    hint="a zip bomb, or a crafted file; export the project again",
                )
            total += info.file_size
            if total > max_bytes:
                raise InterchangeError(
                    f"refused: the archive unpacks to more than {max_bytes / 1e6:.0f} MB",
                    path=source,
                    hint="a zip bomb, or a project too large to import at once",
                )
            if not info.is_dir():
                self.members[info.filename.replace("\\", "/").casefold()] = info
        # A project folder zipped again by hand (`MyProject/project.qde`, `MyProject/sources/`):
        # read it as if the folder were the archive's root
        tops = {name.split("/", 1)[0] for name in self.members}
        if len(tops) == 1 and "/" in next(iter(self.members), ""):
            prefix = f"{tops.pop()}/"
            if f"{prefix}project.qde" in self.members:
                self.members = {name[len(prefix) :]: info for name, info in self.members.items()}

    def find(self, name: str) -> zipfile.ZipInfo | None:
        return self.members.get(name.replace("\\", "/").lstrip("/").casefold())

    def read(self, info: zipfile.ZipInfo) -> bytes:
        if info.flag_bits & 0x1:
            raise InterchangeError(
                f"archive member {info.filename!r} is encrypted", path=self.source
            )
        try:
            with self.zip.open(info) as handle:
                data = handle.read(info.file_size + 1)
        except (
            zipfile.BadZipFile,
            zlib.error,
            OSError,
            ValueError,
            NotImplementedError,
            EOFError,
            RuntimeError,
        ) as exc:
            raise InterchangeError(
                f"archive member {info.filename!r} cannot be read: {exc}",
                path=self.source,
                hint="the file is corrupt; export it again",
            ) from None
        if len(data) != info.file_size:
            raise InterchangeError(
                f"archive member {info.filename!r} does not match its declared size",
                path=self.source,
                hint="the file is corrupt or crafted",
            )
        return data


@dataclass
class _Selection:
    start: int
    end: int
    code_key: str
    user_key: str
    description: str


@dataclass
class _TextSource:
    key: str
    name: str
    text: str
    selections: list[_Selection] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    cases: list[str] = field(default_factory=list)


_OTHER_SOURCES = {
    "pdfsource": "PDF source{s} (qualcode codes plain-text transcripts)",
    "picturesource": "picture source{s}",
    "audiosource": "audio source{s}",
    "videosource": "video source{s}",
}
_TEXT_SUFFIXES = {".txt", ".md", ".docx", ".doc", ".rtf", ".odt", ".html", ".htm", ".pdf"}
_VALUE_TAGS = (
    "textvalue",
    "booleanvalue",
    "integervalue",
    "floatvalue",
    "datevalue",
    "datetimevalue",
)


def _variable_values(holder: ET.Element, variables: dict[str, str]) -> dict[str, str]:
    values = {}
    for item in _children(holder, "variablevalue"):
        ref = _child(item, "variableref")
        name = variables.get(_guid_key(_attrs(ref).get("targetguid")) if ref is not None else "")
        value = next((_text_of(c) for c in item if _local(c.tag) in _VALUE_TAGS), "")
        if name and value.strip():
            values[name] = one_line(value)
    return values


# A transcript id that is also a safe file name on every system (no separators, no leading dot).
_KEPT_ID = re.compile(r"[^\W_][\w .()+,-]{0,99}(?<![ .])")


def _map_positions(raw: str, origin: str) -> tuple[str, Callable[[int], int], str]:
    """(LF text, raw offset -> LF offset, note): most tools count CRLF as two characters, ATLAS.ti
    as one."""
    from qualcode.textio import normalize_newlines

    text = normalize_newlines(raw)
    if "\r\n" not in raw:
        return text, lambda pos: pos, ""
    if "atlas" in origin.casefold():
        return (
            text,
            lambda pos: pos,
            "Windows line endings, positions counting each as one (ATLAS.ti)",
        )
    crlf = [m.start() for m in re.finditer("\r\n", raw)]
    return (
        text,
        lambda pos: pos - bisect_left(crlf, pos),
        "Windows line endings, positions counting each as two characters",
    )


def _utf16_units(raw: str, source: ET.Element) -> Callable[[int], int] | None:
    """UTF-16 unit -> code point, when the selections of `source` were counted in UTF-16 units.

    The standard counts code points, but a .NET tool counts an emoji (or any character beyond
    U+FFFF) as two. Taken as code points, every selection after one would be shifted, silently,
    unless it runs past the end; so when some selection ends past the text in code points but
    every one fits in UTF-16 units, all of them are read as units.
    """
    if raw.isascii():
        return None
    astral = [i for i, c in enumerate(raw) if ord(c) > 0xFFFF]
    if not astral:
        return None
    ends = [
        end
        for sel in _children(source, "plaintextselection")
        if (end := _position(_attrs(sel).get("endposition", ""))) is not None
    ]
    if not ends or max(ends) <= len(raw) or max(ends) > len(raw) + len(astral):
        return None
    units = [i + k for k, i in enumerate(astral)]  # where each such character starts, in units
    return lambda pos: pos - bisect_right(units, pos - 1) if pos > 0 else pos


def _host_segment(transcript: Transcript, start: int, end: int) -> Segment | None:
    """The segment holding `start`, else (start on a label or blank line) the first overlapping."""
    segments = transcript.segments
    starts = [s.start for s in segments]
    index = bisect_right(starts, start) - 1
    if index >= 0 and segments[index].start <= start < segments[index].end:
        return segments[index]
    following = index + 1
    if following < len(segments) and segments[following].start < end:
        return segments[following]
    return None


def _overlapped_segments(transcript: Transcript, start: int, end: int) -> list[Segment]:
    """The segments whose words `[start, end)` reaches: those it overlaps by more than
    whitespace, in text order."""
    segments = transcript.segments
    text = transcript.text
    index = max(bisect_right([s.start for s in segments], start) - 1, 0)
    found = []
    for segment in segments[index:]:
        if segment.start >= end:
            break
        clipped_start, clipped_end = max(start, segment.start), min(end, segment.end)
        if clipped_start < clipped_end and text[clipped_start:clipped_end].strip():
            found.append(segment)
    return found


def _source_text(
    element: ET.Element, archive: _Archive, source: str, notes: list[str], label: str
) -> str | None:
    """The plain text of a TextSource: inline PlainTextContent or its internal:// file."""
    content = _child(element, "plaintextcontent")
    if content is not None and _text_of(content):
        return _text_of(content)
    path = _attrs(element).get("plaintextpath", "").strip()
    if not path:
        notes.append(f"text source {label!r} has no plain text (only rich text); skipped")
        return None
    if not path.casefold().startswith("internal://"):
        notes.append(
            f"text source {label!r} is an external file ({path}) not inside the archive; skipped"
        )
        return None
    member = path[len("internal://") :].lstrip("/")
    info = archive.find(f"Sources/{member}") or archive.find(member)
    if info is None:
        notes.append(
            f"text source {label!r}: Sources/{member} is missing from the archive; skipped"
        )
        return None
    data = archive.read(info)
    try:
        text, decode_notes = decode_bytes(data, f"{source}: {info.filename}", "text file")
    except InterchangeError as exc:
        notes.append(f"text source {label!r} skipped: {exc.message}")
        return None
    notes += decode_notes
    return text


def _make_coding(
    transcript: Transcript,
    segment: Segment,
    code_id: str,
    selection: _Selection,
    anchor_of: Callable[[str], str],
    *,
    end: int | None = None,
) -> Coding:
    """An imported coding; qualcode's own `qualcode: <status>, <origin>` line is honoured.

    `end` clips the coding to its segment (one piece of a selection spanning several segments);
    by default it ends where the selection does.
    """
    from qualcode.store import Coding

    status, origin, rules = "accepted", "human", ()
    # A selection starting on the speaker label (or blank line) before its segment starts with it.
    start = max(selection.start, segment.start)
    end = selection.end if end is None else end
    lines = selection.description.strip().split("\n")
    match = _STATUS_LINE.match(lines[0].strip())
    if match:
        status, origin = match.group(1), match.group(2)
        rules = tuple(r.strip() for r in (match.group(3) or "").split(",") if r.strip())
        lines = lines[1:]
    quoted = transcript.text[start:end]
    whole = (start, end) == (segment.start, segment.end)
    return Coding(
        code=code_id,
        segment=segment.id,
        start=start,
        end=end,
        origin=origin,
        status=status,
        rules=rules,
        memo="\n".join(lines).strip(),
        anchor=anchor_of(quoted),
        quote="" if whole else quoted,
    )


def _merge(
    first: Coding, second: Coding, transcript: Transcript, anchor_of: Callable[[str], str]
) -> Coding:
    """Two selections with one code in one segment become one coding spanning both."""
    from dataclasses import replace

    start, end = min(first.start, second.start), max(first.end, second.end)
    memos = [memo for memo in dict.fromkeys((first.memo, second.memo)) if memo]
    quoted = transcript.text[start:end]
    whole = not first.quote and (start, end) == (first.start, first.end)
    return replace(
        first,
        start=start,
        end=end,
        status="accepted" if "accepted" in (first.status, second.status) else first.status,
        origin="human" if "human" in (first.origin, second.origin) else first.origin,
        rules=tuple(dict.fromkeys(first.rules + second.rules)),
        memo="\n".join(memos),
        anchor=anchor_of(quoted),
        quote="" if whole else quoted,
    )


def _write_metadata(path: Path, sources: dict[str, _TextSource], variables: dict[str, str]) -> None:
    """transcripts/metadata.csv: one row per transcript, a column per variable (and case)."""
    import csv

    from qualcode.textio import atomic_write_text

    columns = list(dict.fromkeys(variables.values()))
    for item in sources.values():
        columns += [name for name in item.metadata if name not in columns]
    columns = [c for c in columns if any(c in item.metadata for item in sources.values())]
    with_case = any(
        item.cases and item.cases not in ([item.name], [transcript_id])
        for transcript_id, item in sources.items()
    )
    if with_case and "case" not in columns:
        columns.append("case")
    if not columns:
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["id", *columns])
    for transcript_id, item in sources.items():
        row = dict(item.metadata)
        if with_case and "case" not in item.metadata:
            row["case"] = ";".join(item.cases)
        writer.writerow([transcript_id, *(one_line(row.get(c, "")) for c in columns)])
    atomic_write_text(path, buffer.getvalue())


_CONFIG = """\
# qualcode project imported from {name} ({origin}).
# Every path is relative to this file's folder. Run `qualcode check` after editing.
codebooks:
  - codebooks/*.yaml

transcripts:
  folder: transcripts
  metadata: transcripts/metadata.csv
  extensions: [.txt]

# The unit that gets coded: turn (a speaker's whole turn), paragraph or sentence.
segmentation: turn

# Imported codings are in codings/<coder>/; the commands read this coder's unless given --coder.
codings: codings
coder: auto
"""


OUTSIDE = "selection{s} with positions outside {its|their} text"


def _inflect(phrase: str, count: int) -> str:
    """`selection{s} that end{~s} before {it|they} start{~s}` for one thing or several."""
    one = count == 1
    phrase = re.sub(r"\{([^{}|]*)\|([^{}|]*)\}", lambda m: m[1] if one else m[2], phrase)
    return phrase.replace("{s}", "" if one else "s").replace("{~s}", "s" if one else "")


def _position(value: str) -> int | None:
    """An XML integer (ASCII digits: `int()` would also take `１８` or `1_000`)."""
    value = value.strip()
    return int(value) if re.fullmatch(r"[+-]?[0-9]+", value) else None


class _Counter(dict[str, int]):
    def add(self, key: str, amount: int = 1) -> None:
        self[key] = self.get(key, 0) + amount


def import_qdpx(
    path: Path,
    target: Path,
    *,
    max_bytes: int = MAX_QDPX_BYTES,
    max_members: int = MAX_QDPX_MEMBERS,
) -> list[str]:
    """Create a qualcode project in `target` from a REFI-QDA project (.qdpx).

    Writes qualcode.yaml, codebooks/imported.yaml, transcripts/<slug>.txt (one per text source),
    transcripts/metadata.csv (from Cases and Variables) and codings/<coder>/<transcript>.jsonl (one
    coder per REFI user). A coded selection inside one segment keeps its exact span and is filed
    under the segment that contains its start; one spanning several segments (a question and its
    answer, say) becomes one coding per segment it has words in, each clipped to that segment and
    carrying the selection's memo. Codings qualcode itself exported keep their status and origin; all
    others are accepted human codings. Everything is built in a hidden folder first, so a failed
    import leaves `target` as it was. Returns notes: a summary, then what was skipped.
    """
    from qualcode.errors import InputFileError, TranscriptError
    from qualcode.project import load_project
    from qualcode.store import CodingsFile, anchor_of, write_codings
    from qualcode.textio import atomic_write_text, read_bytes

    source = str(path)
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder", hint="choose another -o folder")
    existing = [
        n for n in ("qualcode.yaml", "codebooks", "transcripts", "codings") if (target / n).exists()
    ]
    if existing:
        raise UsageError(
            f"{target / existing[0]} already exists; import never mixes into an existing project",
            hint="import into a new or empty folder",
        )
    data = read_bytes(path, max_bytes=max_bytes, what="REFI-QDA project (.qdpx)")
    archive = _Archive(data, source, max_bytes, max_members)
    qde = archive.find("project.qde") or next(
        (
            info
            for name, info in sorted(archive.members.items())
            if name.endswith(".qde") and "/" not in name
        ),
        None,
    )
    if qde is None:
        raise InterchangeError(
            "no project.qde in the archive, so this is not a REFI-QDA project",
            path=source,
            hint="export the project again as REFI-QDA (.qdpx)",
        )
    root = parse_xml(archive.read(qde), source, member=qde.filename)
    if _local(root.tag) != "project":
        raise InterchangeError(
            f"{qde.filename} is not a REFI-QDA project "
            f"(its root is <{root.tag.rsplit('}', 1)[-1]}>)",
            path=source,
        )
    origin = one_line(_attrs(root).get("origin", "")) or "an unknown program"
    notes: list[str] = []
    skipped = _Counter()

    # Codebook first: selections refer to codes by GUID.
    read = _read_codebook(root, source)
    notes += [n for n in read.notes if n != "the file contains no codes"]
    rendered = _render_imported(read, source, "imported")
    code_ids = rendered.ids_by_key
    notes += rendered.notes
    groups = {
        code_ids[d.key]: d.name
        for d in walk_drafts(read.drafts)
        if not d.codable and d.key in code_ids
    }
    coded_groups: dict[str, int] = {}

    # Coders: one per REFI user, named by the user's name as a slug.
    coder_by_user: dict[str, str] = {}
    taken_coders: set[str] = set()
    users = _child(root, "users")
    for user in _children(users, "user") if users is not None else []:
        attrs = _attrs(user)
        label = attrs.get("name") or attrs.get("id") or "user"
        coder_by_user[_guid_key(attrs.get("guid"))] = unique_slug(
            slugify(label, "user"), taken_coders
        )

    variables_el = _child(root, "variables")
    variables: dict[str, str] = {}
    taken_columns = {"id"}
    for variable in _children(variables_el, "variable") if variables_el is not None else []:
        attrs = _attrs(variable)
        name = one_line(attrs.get("name", "")) or "variable"
        if name.casefold() in ("id", "transcript", "transcript_id", "file"):
            notes.append(f"variable {name!r} was renamed {name}_value (qualcode uses it for ids)")
            name = f"{name}_value"
        if name in taken_columns:
            name = unique_slug(name, taken_columns)
        taken_columns.add(name)
        variables[_guid_key(attrs.get("guid"))] = name

    # Notes (memos) by guid: a selection's NoteRef becomes its coding's memo (MAXQDA, NVivo).
    memo_of: dict[str, str] = {}
    notes_el = _child(root, "notes")
    for note in list(notes_el) if notes_el is not None else []:
        note_text = _text_of(_child(note, "plaintextcontent")).strip()
        if not note_text and _attrs(note).get("plaintextpath"):  # a Note is a TextSource (NVivo)
            label = one_line(_attrs(note).get("name", "")) or "memo"
            note_text = (_source_text(note, archive, source, notes, label) or "").strip()
        if note_text:
            memo_of[_guid_key(_attrs(note).get("guid"))] = note_text
    used_notes: set[str] = set()

    # Sources.
    texts: dict[str, _TextSource] = {}
    position_notes: dict[str, str] = {}
    sources_el = _child(root, "sources")
    for element in list(sources_el) if sources_el is not None else []:
        kind = _local(element.tag)
        attrs = _attrs(element)
        label = one_line(attrs.get("name", "")) or "unnamed source"
        if kind != "textsource":
            if kind in _OTHER_SOURCES:
                skipped.add(_OTHER_SOURCES[kind])
            continue
        raw = _source_text(element, archive, source, notes, label)
        if raw is None:
            continue
        if not raw.strip():
            notes.append(f"text source {label!r} is empty; skipped")
            continue
        text, to_lf, line_note = _map_positions(raw, origin)
        from_units = _utf16_units(raw, element)
        if from_units is not None:
            to_lf = (lambda f, g: lambda pos: f(g(pos)))(to_lf, from_units)
            line_note = "; ".join(
                filter(None, [line_note, "positions counted in UTF-16 units (emoji as two)"])
            )
        if line_note:
            position_notes[label] = line_note
        item = _TextSource(_guid_key(attrs.get("guid")), label, text)
        item.metadata.update(_variable_values(element, variables))
        for selection in _children(element, "plaintextselection"):
            sel_attrs = _attrs(selection)
            raw_start = _position(sel_attrs.get("startposition", ""))
            raw_end = _position(sel_attrs.get("endposition", ""))
            if raw_start is None or raw_end is None:
                skipped.add("selection{s} without valid positions")
                continue
            if raw_start < 0 or raw_end < 0:  # -1 marks a whole-source coding below
                skipped.add("selection{s} with a negative position")
                continue
            start, end = to_lf(raw_start), to_lf(raw_end)
            codings = _children(selection, "coding")
            if not codings:
                skipped.add("annotation{s} (a selection without a code)")
                continue
            description = _text_of(_child(selection, "description"))
            for ref in _children(selection, "noteref"):
                key = _guid_key(_attrs(ref).get("targetguid"))
                if key in memo_of:
                    used_notes.add(key)
                    description = "\n\n".join(t for t in (description, memo_of[key]) if t)
            for coding in codings:
                ref = _child(coding, "coderef")
                user = (
                    _attrs(coding).get("creatinguser")
                    or sel_attrs.get("creatinguser")
                    or sel_attrs.get("modifyinguser")
                )
                item.selections.append(
                    _Selection(
                        start,
                        end,
                        _guid_key(_attrs(ref).get("targetguid")) if ref is not None else "",
                        _guid_key(user),
                        description,
                    )
                )
        for coding in _children(element, "coding"):
            ref = _child(coding, "coderef")
            item.selections.append(
                _Selection(
                    -1,
                    -1,
                    _guid_key(_attrs(ref).get("targetguid")) if ref is not None else "",
                    "",
                    "",
                )
            )
        texts[item.key or f"#{len(texts)}"] = item

    # Cases: values for the sources they reference (and sources coded with the case, NVivo-style).
    cases: dict[str, tuple[str, dict[str, str]]] = {}
    cases_el = _child(root, "cases")
    for case in _children(cases_el, "case") if cases_el is not None else []:
        attrs = _attrs(case)
        name = one_line(attrs.get("name", ""))
        values = _variable_values(case, variables)
        cases[_guid_key(attrs.get("guid"))] = (name, values)
        for ref in _children(case, "sourceref"):
            target_source = texts.get(_guid_key(_attrs(ref).get("targetguid")))
            if target_source is not None:
                target_source.metadata.update(values)
                if name:
                    target_source.cases.append(name)
    if notes_el is not None and len(notes_el) > len(used_notes):
        skipped.add("note{s} or memo{s}", len(notes_el) - len(used_notes))
    for element_name, what in (("links", "link{s}"), ("graphs", "graph{s}")):
        holder = _child(root, element_name)
        if holder is not None and len(holder):
            skipped.add(what, len(holder))
    sets_el = _child(root, "sets")
    if sets_el is not None and len(sets_el):
        skipped.add("set{s}", len(sets_el))

    # Codings that point at a Case instead of a code assign the source to that case (NVivo).
    for item in texts.values():
        kept = []
        for selection in item.selections:
            if selection.code_key in cases:
                name, values = cases[selection.code_key]
                item.metadata.update(values)
                if name and name not in item.cases:
                    item.cases.append(name)
            else:
                kept.append(selection)
        item.selections = kept

    # Transcript ids: slugs of the source names; a qualcode export's names are its ids, kept as
    # they are so that metadata rows, decisions files and scripts still name the same transcripts.
    from_qualcode = origin.casefold().startswith("qualcode")
    taken_ids: set[str] = set()
    by_transcript: dict[str, _TextSource] = {}
    for item in texts.values():
        suffix = Path(item.name).suffix.casefold()
        stem = Path(item.name).stem if suffix in _TEXT_SUFFIXES else item.name
        keep = from_qualcode and _KEPT_ID.fullmatch(item.name) and item.name not in taken_ids
        by_transcript[
            unique_slug(item.name if keep else slugify(stem, "transcript"), taken_ids)
        ] = item
        if item.name in position_notes:
            notes.append(f"{item.name!r}: {position_notes[item.name]}")

    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".qualcode-import-", dir=target))
    try:
        config = _CONFIG.format(
            name=one_line(Path(source).name), origin=f"REFI-QDA, written by {origin}"
        )
        settings = imported_settings(root, source)
        if settings:
            config = config.replace("segmentation: turn\n", "", 1) + settings
        atomic_write_text(staging / "qualcode.yaml", config)
        atomic_write_text(staging / IMPORTED_CODEBOOK, rendered.text)
        (staging / "transcripts").mkdir()
        for transcript_id, item in by_transcript.items():
            atomic_write_text(staging / "transcripts" / f"{transcript_id}.txt", item.text)
        project = load_project(staging)
        loaded: dict[str, Transcript] = {}
        for transcript_id in list(by_transcript):
            try:
                loaded[transcript_id] = project.corpus.load(transcript_id)
            except (TranscriptError, InputFileError) as exc:
                name = by_transcript.pop(transcript_id).name
                notes.append(f"text source {name!r} skipped: {exc.message}")
                (staging / "transcripts" / f"{transcript_id}.txt").unlink()
        _write_metadata(staging / "transcripts" / "metadata.csv", by_transcript, variables)

        files: dict[tuple[str, str], dict[tuple[str, str], Coding]] = {}
        merged = split = pieces_made = 0
        fallback_coder = ""
        outside: list[str] = []  # the first few selections skipped for their positions
        for transcript_id, item in by_transcript.items():
            transcript = loaded[transcript_id]
            for selection in item.selections:
                code_id = code_ids.get(selection.code_key)
                if code_id is None:
                    skipped.add("coding{s} of a code not in the codebook")
                    continue
                if code_id in groups:
                    coded_groups[code_id] = coded_groups.get(code_id, 0) + 1
                if selection.start < 0:
                    skipped.add("coding{s} of a whole source (not a text selection)")
                    continue
                if selection.start >= selection.end:
                    skipped.add(
                        "selection{s} that end{~s} before {it|they} start{~s} or {is|are} empty"
                    )
                    continue
                if not 0 <= selection.start < selection.end <= len(transcript.text):
                    skipped.add(OUTSIDE)
                    if len(outside) < 5:
                        outside.append(
                            f"{item.name!r} {selection.start}-{selection.end} (the text has "
                            f"{len(transcript.text)} characters)"
                        )
                    continue
                pieces = _overlapped_segments(transcript, selection.start, selection.end)
                if len(pieces) < 2:
                    # Within one segment (or only on a label or blank lines): as it always was.
                    segment = _host_segment(transcript, selection.start, selection.end)
                    if segment is None:
                        skipped.add(
                            "selection{s} outside every segment (front matter or trailing space)"
                        )
                        continue
                    # clipped: a selection may run on into the next speaker's label
                    end = min(selection.end, segment.end)
                    codings = [
                        _make_coding(transcript, segment, code_id, selection, anchor_of, end=end)
                    ]
                else:
                    split += 1
                    pieces_made += len(pieces)
                    codings = [
                        _make_coding(
                            transcript,
                            piece,
                            code_id,
                            selection,
                            anchor_of,
                            end=min(selection.end, piece.end),
                        )
                        for piece in pieces
                    ]
                coder = coder_by_user.get(selection.user_key)
                if coder is None:
                    fallback_coder = fallback_coder or unique_slug("imported", taken_coders)
                    coder = fallback_coder
                bucket = files.setdefault((coder, transcript_id), {})
                for coding in codings:
                    previous = bucket.get((code_id, coding.segment))
                    if previous is not None:
                        merged += 1
                        coding = _merge(previous, coding, transcript, anchor_of)
                    bucket[(code_id, coding.segment)] = coding
        if files and "auto" not in {coder for coder, _ in files}:
            # `tally` right after the import should count the imported codings, not ask for
            # codings of `auto`, who has none
            first = min(coder for coder, _ in files)
            config = config.replace("\ncoder: auto\n", f"\ncoder: {first}\n", 1)
            atomic_write_text(staging / "qualcode.yaml", config)
        for (coder, transcript_id), bucket in sorted(files.items()):
            write_codings(
                project,
                CodingsFile(
                    transcript_id, coder, loaded[transcript_id].sha256, list(bucket.values())
                ),
            )
        for name in ("qualcode.yaml", "codebooks", "transcripts", "codings"):
            if (staging / name).exists():
                (staging / name).rename(target / name)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(target, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)

    total = sum(len(bucket) for bucket in files.values())
    coders = sorted({coder for coder, _ in files})
    summary = (
        f"imported {_plural(len(by_transcript), 'transcript')}, "
        f"{_plural(rendered.code_count, 'code')} "
        f"and {_plural(total, 'coding')}"
        + (f" by {', '.join(coders)}" if coders else "")
        + f" from {Path(source).name} ({origin})"
    )
    if split:
        notes.append(
            f"{_plural(split, 'selection')} spanning several segments "
            f"{'was' if split == 1 else 'were'} split into {_plural(pieces_made, 'coding')}, "
            "one per segment, each clipped to its segment (qualcode codes one segment at a time)"
        )
    if merged:
        notes.append(
            f"{_plural(merged, 'selection')} merged into another with the same code in the same "
            "segment (qualcode keeps one coding per code and segment, spanning both)"
        )
    if coded_groups:  # ATLAS.ti codes its groups; qualcode does not apply a codable: false code
        notes.append(
            "kept "
            + ", ".join(f"{n} coding(s) of {groups[c]!r}" for c, n in sorted(coded_groups.items()))
            + ", marked not codable in the source (a group): make it `codable: true` in "
            f"{IMPORTED_CODEBOOK}, or move its codings to one of its children"
        )
    for what, count in sorted(skipped.items()):
        notes.append(f"skipped {count} {_inflect(what, count)}")
    if outside:
        notes.append(
            "positions outside the text (start-end, in characters): "
            + "; ".join(outside)
            + (" ..." if skipped[OUTSIDE] > len(outside) else "")
            + " (positions counted in UTF-16 units, or two per line break, overshoot like this)"
        )
    unreviewed = sum(
        c.origin == "rule" and c.status == "proposed"
        for bucket in files.values()
        for c in bucket.values()
    )
    if unreviewed:
        notes.append(
            f"{_plural(unreviewed, 'rule proposal')} not yet reviewed came without "
            f"{'its rule' if unreviewed == 1 else 'their rules'} (a .qdpx holds no rules): "
            "`qualcode code` would remove them; first copy the original project's codebooks "
            "(with their rules) into codebooks/"
        )
    return [summary, *notes]
