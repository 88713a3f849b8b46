"""Codings on disk: `codings/<coder>/<transcript-id>.jsonl`, one record per line, git-friendly.

Line 1 is a header naming the transcript, the coder and the sha256 of the transcript text the codings
were made on. Every other line is one record, sorted by (start, end, code) so `git diff` shows real
changes only:

    {"code": "convener", "segment": "t12", "start": 1043, "end": 1377, "origin": "rule",
     "rules": ["convener/1"], "status": "proposed", "memo": "", "anchor": "9f2c..."}
    {"segment": "t12", "start": 1043, "end": 1377, "reviewed": true, "memo": "…"}

A coding with `"code"` says a code applies to a span; `status` is proposed (by rules), accepted or
rejected (by the coder); `origin` is `rule` or `human`. A record without `"code"` is about a segment
(reviewed in a session, a memo). `anchor` (hash of the coded text) and, for spans smaller than a
segment, `quote` let codings follow their text when a transcript is edited.

Rule proposals are written into the chosen coder's own file (default coder `auto`): a coder reviews
proposals in their own file, so two coders' decisions never touch each other's files.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import json.scanner
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import MISSING, dataclass, field, replace
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from qualcode.diagnostics import Diagnostic, did_you_mean, error, warning
from qualcode.errors import QualcodeError, StoreError, UsageError
from qualcode.textio import atomic_write_text

if TYPE_CHECKING:
    from qualcode.project import Project
    from qualcode.transcripts import Segment, Transcript

FORMAT_VERSION = 1
# One encoder for every record: json.dumps(..., ensure_ascii=False) builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False)
# The encoder's own string quoting (C-accelerated), for lines formatted without a dict.
_quote_json = json.encoder.encode_basestring
Status = Literal["proposed", "accepted", "rejected"]
STATUSES: tuple[str, ...] = ("proposed", "accepted", "rejected")
ORIGINS: tuple[str, ...] = ("rule", "human")


def anchor_of(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Coding:
    """A code applied to a span of a transcript by one coder."""

    code: str
    segment: str
    start: int
    end: int
    origin: str = "rule"
    status: str = "proposed"
    rules: tuple[str, ...] = ()
    memo: str = ""
    anchor: str = ""
    quote: str = ""
    stale: bool = False


def _coding_from_fields(fields: dict[str, Any]) -> Coding:
    """A Coding with these (complete, checked) fields, without the dataclass's `__init__`.

    A rich codebook makes hundreds of thousands of codings in one run, and a frozen
    dataclass's `__init__` sets every field through `object.__setattr__`, one call each; this is
    2.5x faster.
    """
    coding = object.__new__(Coding)
    object.__setattr__(coding, "__dict__", fields)
    return coding


def proposed_coding(
    code: str, segment: str, start: int, end: int, rules: tuple[str, ...], anchor: str
) -> Coding:
    """`Coding(code, segment, start, end, "rule", "proposed", rules, "", anchor)`, faster."""
    return _coding_from_fields(
        {
            "code": code,
            "segment": segment,
            "start": start,
            "end": end,
            "origin": "rule",
            "status": "proposed",
            "rules": rules,
            "memo": "",
            "anchor": anchor,
            "quote": "",
            "stale": False,
        }
    )


@dataclass(frozen=True)
class SegmentNote:
    """A segment-level record: reviewed in a session and/or a memo on the segment."""

    segment: str
    start: int
    end: int
    reviewed: bool = False
    memo: str = ""
    stale: bool = False


@dataclass
class CodingsFile:
    """Everything one coder recorded about one transcript."""

    transcript: str
    coder: str
    sha256: str
    codings: list[Coding] = field(default_factory=list)
    notes: list[SegmentNote] = field(default_factory=list)
    # The coders `qualcode merge` built this consensus from: it is derived from theirs, so it is
    # never one of the coders whose agreement is measured.
    merged_from: tuple[str, ...] = ()

    def to_text(self) -> str:
        """The file's text: header, then records by span (a segment's note before its codings)."""
        codings = sorted(self.codings, key=_CODING_ORDER)
        lines = _coding_lines(codings)
        if self.notes:
            # a note goes before the codings of its span (after one with an empty code, which
            # a hand edit can make: "" sorts before the note's "~")
            spans = [(c.start, c.end, c.code != "") for c in codings]
            merged: list[str] = []
            done = 0
            for note in sorted(self.notes, key=_NOTE_ORDER):
                at = bisect.bisect_left(spans, (note.start, note.end, True), lo=done)
                merged += lines[done:at]
                merged.append(_note_line(note))
                done = at
            lines = merged + lines[done:]
        return _file_text(self.transcript, self.coder, self.sha256, lines, self.merged_from)

    def decided(self) -> dict[tuple[str, str], Coding]:
        return {(c.code, c.segment): c for c in self.codings}


_CODING_ORDER = attrgetter("start", "end", "code", "origin")
_NOTE_ORDER = attrgetter("start", "end")


# Every field of a coding but its code and rules: shared by all codings of one segment.
_SEGMENT_FIELDS = attrgetter(
    "segment", "start", "end", "origin", "status", "memo", "anchor", "quote", "stale"
)


def _file_text(
    transcript: str, coder: str, sha256: str, lines: list[str], merged_from: Sequence[str] = ()
) -> str:
    header: dict[str, Any] = {
        "qualcode_codings": FORMAT_VERSION,
        "transcript": transcript,
        "coder": coder,
        "sha256": sha256,
    }
    if merged_from:
        header["merged_from"] = list(merged_from)
    return "\n".join([_ENCODER.encode(header), *lines]) + "\n"


_CODE_AND_RULES = attrgetter("code", "rules")


def _coding_lines(codings: Sequence[Coding]) -> list[str]:
    return _record_lines(
        zip(map(_CODE_AND_RULES, codings), map(_SEGMENT_FIELDS, codings), strict=True)
    )


def _record_lines(
    records: Iterable[tuple[tuple[str, tuple[str, ...]], tuple[Any, ...]]],
) -> list[str]:
    """Coding records ((code, rules), every other field) as JSON lines, exactly what
    `_ENCODER.encode` gives for their fields.

    Formatted directly, and with what the codings of one segment share formatted once: a big
    run writes tens of codings per segment and hundreds of thousands per run, and building a
    dict per coding for the encoder was the largest cost of writing them.
    """
    q = _quote_json
    shared_parts: dict[tuple[Any, ...], tuple[str, str]] = {}
    lines = []
    last: tuple[Any, ...] | None = None
    parts = ("", "")
    for (code, rules), shared in records:
        if shared is not last:
            last = shared
            found = shared_parts.get(shared)
            if found is None:
                segment, start, end, origin, status, memo, anchor, quote, stale = shared
                tail = f'], "memo": {q(memo)}, "anchor": {q(anchor)}'
                if quote:
                    tail += f', "quote": {q(quote)}'
                if stale:
                    tail += ', "stale": true'
                found = shared_parts[shared] = (
                    f', "segment": {q(segment)}, "start": {start:d}, "end": {end:d}, '
                    f'"origin": {q(origin)}, "status": {q(status)}, "rules": [',
                    tail + "}",
                )
            parts = found
        cited = q(rules[0]) if len(rules) == 1 else ", ".join(map(q, rules))
        lines.append(f'{{"code": {q(code)}{parts[0]}{cited}{parts[1]}')
    return lines


def first_codings_text(
    transcript: Transcript, coder: str, found: Sequence[tuple[int, str, tuple[str, ...]]]
) -> str:
    """The codings file of a transcript coded for the first time, from `Matcher.coded_segments`.

    Byte for byte what `merge_proposals(None, ...)` and `CodingsFile.to_text` give (a property
    test checks), without a Coding per proposal: with nothing to merge, building hundreds of
    thousands of objects only to format them was a third of a rich codebook's run.
    """
    segments, text = transcript.segments, transcript.text
    records = []
    last_seg, shared = -1, ()  # shared: every field of the segment's codings but code and rules
    in_order = True
    for seg_no, code, rules in found:
        if seg_no != last_seg:
            segment = segments[seg_no]
            in_order = in_order and (not shared or segment.start > shared[1])
            last_seg = seg_no
            shared = (
                segment.id,
                segment.start,
                segment.end,
                "rule",
                "proposed",
                "",
                anchor_of(text[segment.start : segment.end]),
                "",
                False,
            )
        records.append(((code, rules), shared))
    if not in_order:  # segments are made in text order; this is only a safety net
        records.sort(key=lambda r: (r[1][1], r[1][2], r[0][0]))
    return _file_text(transcript.id, coder, transcript.sha256, _record_lines(records))


def _note_line(note: SegmentNote) -> str:
    data: dict[str, Any] = {
        "segment": note.segment,
        "start": note.start,
        "end": note.end,
        "reviewed": note.reviewed,
        "memo": note.memo,
    }
    if note.stale:
        data["stale"] = True
    return _ENCODER.encode(data)


def codings_path(project: Project, coder: str, transcript_id: str) -> Path:
    return project.codings_dir / coder / f"{transcript_id}.jsonl"


# A coder's name is a folder name and an item of `--coders a,b`: letters (any script), digits,
# '-', '_' and inner dots; no spaces, commas or path separators.
_CODER_NAME = re.compile(r"[^\W_][\w.\-]*")


def validate_coder_name(coder: str) -> str:
    if not _CODER_NAME.fullmatch(coder):
        raise UsageError(
            f"coder name {coder!r} cannot be used as a folder name",
            hint="use letters, digits, '-' or '_', e.g. --coder alice",
        )
    return coder


# json.loads in three Python layers costs more than the C scanner's work on a short line, and
# a codings file can hold a hundred thousand lines.
_scan_json = json.scanner.make_scanner(json.JSONDecoder())


def _json_record(line: str) -> Any:
    """`json.loads(line)`: the C scanner alone when it reads the whole line, else json.loads."""
    try:
        value, end = _scan_json(line, 0)
    except (StopIteration, json.JSONDecodeError):
        end = -1
    return value if end == len(line) else json.loads(line)  # json.loads raises with its message


_CODING_FIELDS = frozenset(Coding.__dataclass_fields__)
_CODING_REQUIRED = frozenset(
    name for name, f in Coding.__dataclass_fields__.items() if f.default is MISSING
)
_CODING_DEFAULTS = {
    name: f.default for name, f in Coding.__dataclass_fields__.items() if f.default is not MISSING
}


def _coding_record(data: dict[str, Any]) -> Coding:
    """A Coding from one JSON record, checked."""
    keys = data.keys()
    unknown = keys - _CODING_FIELDS
    if unknown:
        raise TypeError(f"unknown field(s) {', '.join(sorted(unknown))}")
    missing = _CODING_REQUIRED - keys
    if missing:
        raise TypeError(f"missing field(s) {', '.join(sorted(missing))}")
    fields = {**_CODING_DEFAULTS, **data}
    if not isinstance(fields["rules"], list | tuple):  # a string would become its characters
        raise TypeError("rules must be a list of rule ids (strings)")
    fields["rules"] = tuple(fields["rules"])
    if fields["status"] not in STATUSES:
        raise TypeError(f"status must be one of {', '.join(STATUSES)}")
    if fields["origin"] not in ORIGINS:
        raise TypeError(f"origin must be one of {', '.join(ORIGINS)}")
    _check_types(fields)
    if not all(isinstance(rule, str) for rule in fields["rules"]):
        raise TypeError("rules must be a list of rule ids (strings)")
    return _coding_from_fields(fields)


_STRING_FIELDS = ("code", "segment", "memo", "anchor", "quote")


def _check_types(fields: dict[str, Any]) -> None:
    """A record's values have the types the rest of qualcode relies on (a hand edit may not)."""
    start, end = fields["start"], fields["end"]
    if not (type(start) is int and type(end) is int):  # true and false are not offsets
        raise TypeError("start and end must be integers")
    if not 0 <= start <= end:
        raise ValueError(f"span {start}-{end} is impossible: 0 <= start <= end")
    for name in _STRING_FIELDS:
        value = fields.get(name, "")
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError(
                    f"{name} holds a lone surrogate escape (such as \\ud800), which is not a "
                    "character"
                ) from None
    for name in ("stale", "reviewed"):
        if not isinstance(fields.get(name, False), bool | int | float):
            raise TypeError(f"{name} must be true or false")


_CONFLICT_MARKERS = ("<<<<<<<", "=======", ">>>>>>>", "|||||||")  # a record starts with {
_CONFLICT_HINT = (
    "take one side whole (`git checkout --ours FILE` or `--theirs FILE`, then `git add FILE`) "
    "and run `qualcode code --coder CODER` to re-anchor it; to keep decisions from both sides, "
    "apply the other side's with `qualcode decide`. Do not delete the file: it holds the "
    "coder's decisions"
)


def parse_codings(text: str, path: str, bad_lines: list[StoreError] | None = None) -> CodingsFile:
    """Parse a codings file; a corrupt line raises StoreError naming the line and column.

    With `bad_lines`, corrupt records are collected there and skipped instead, so that `check`
    can list every one at once.
    """
    lines = text.split("\n")
    conflicts = (
        [n for n, line in enumerate(lines, 1) if line.startswith(_CONFLICT_MARKERS)]
        if any(marker in text for marker in _CONFLICT_MARKERS)  # a scan in C; lines only then
        else []
    )
    if conflicts:
        raise StoreError(
            f"git merge conflict markers on line(s) {', '.join(map(str, conflicts[:10]))}"
            + (" ..." if len(conflicts) > 10 else ""),
            path=path,
            line=conflicts[0],
            hint=_CONFLICT_HINT,
        )
    try:
        header = json.loads(lines[0])
    except (json.JSONDecodeError, IndexError, RecursionError) as exc:
        raise StoreError(
            "codings file has no valid header line",
            path=path,
            line=1,
            hint="restore it from git (`git checkout -- FILE`); deleting it would lose the "
            "coder's decisions",
        ) from exc
    if not isinstance(header, dict) or "qualcode_codings" not in header:
        raise StoreError("not a qualcode codings file (no header)", path=path, line=1)
    if header["qualcode_codings"] != FORMAT_VERSION:
        raise StoreError(
            f"codings format {header['qualcode_codings']} is not supported by this qualcode",
            path=path,
            line=1,
            hint="upgrade qualcode",
        )
    merged_from = header.get("merged_from", [])
    result = CodingsFile(
        str(header.get("transcript", "")),
        str(header.get("coder", "")),
        str(header.get("sha256", "")),
        merged_from=tuple(str(c) for c in merged_from) if isinstance(merged_from, list) else (),
    )
    note_fields = set(SegmentNote.__dataclass_fields__)
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        try:
            data = _json_record(line)
            if not isinstance(data, dict):
                raise TypeError("a record must be a JSON object")
            if "code" in data:
                result.codings.append(_coding_record(data))
            else:
                unknown = set(data) - note_fields
                if unknown:
                    raise TypeError(f"unknown field(s) {', '.join(sorted(unknown))}")
                note = SegmentNote(**data)
                _check_types(note.__dict__)
                result.notes.append(note)
        except (json.JSONDecodeError, TypeError, ValueError, RecursionError) as exc:
            column = None
            if isinstance(exc, RecursionError):
                reason: object = "JSON nested too deeply"
            elif isinstance(exc, json.JSONDecodeError):  # its "line 1 column 107" is this line's
                reason, column = f"invalid JSON: {exc.msg}", exc.colno
            else:
                reason = exc
            problem = StoreError(
                f"corrupt codings record: {reason}",
                path=path,
                line=number,
                column=column,
                hint="fix the line (one JSON object per line) or restore the file from git",
            )
            if bad_lines is None:
                raise problem from exc
            bad_lines.append(problem)
    return result


def read_codings(project: Project, coder: str, transcript_id: str) -> CodingsFile | None:
    stored = read_codings_bytes(project, coder, transcript_id)
    return None if stored is None else parse_codings_bytes(project, coder, transcript_id, stored)


def read_codings_bytes(project: Project, coder: str, transcript_id: str) -> bytes | None:
    """The codings file as it is on disk, or None if there is none yet."""
    path = codings_path(project, coder, transcript_id)
    if not path.exists():
        return None
    from qualcode.textio import read_bytes

    return read_bytes(path, what="codings file", regular=True)


def parse_codings_bytes(
    project: Project, coder: str, transcript_id: str, data: bytes
) -> CodingsFile:
    from qualcode.project import display_path
    from qualcode.textio import decode_text

    path = codings_path(project, coder, transcript_id)
    codings = parse_codings(decode_text(data, path, what="codings file"), display_path(path))
    if mismatch := _owner_mismatch(codings, coder, transcript_id):
        raise StoreError(mismatch, path=display_path(path), line=1, hint=_OWNER_HINT)
    return codings if codings.coder == coder else replace(codings, coder=coder)


def _owner_mismatch(codings: CodingsFile, coder: str, transcript_id: str) -> str | None:
    """Readers trust the header's transcript: a copied file (`cp a.jsonl b.jsonl`) would move one
    transcript's decisions onto another, re-anchored there by `qualcode code`.

    The folder, not the header, says whose the file is (`cp -r codings/auto codings/alice` starts
    alice from the rule proposals); the caller takes the folder's coder.
    """
    if codings.transcript == transcript_id:
        return None
    return (
        f"the header says transcript {codings.transcript!r}, but the file is "
        f"{coder}/{transcript_id}.jsonl"
    )


_OWNER_HINT = (
    "a codings file belongs to the transcript it is named after: restore it from git, or fix its "
    "header if the file was renamed on purpose"
)


def write_codings(project: Project, codings: CodingsFile) -> Path:
    return write_codings_text(project, codings.coder, codings.transcript, codings.to_text())


def write_codings_text(project: Project, coder: str, transcript_id: str, text: str) -> Path:
    """Write a codings file's text (from `CodingsFile.to_text` or `first_codings_text`)."""
    path = codings_path(project, validate_coder_name(coder), transcript_id)
    try:
        atomic_write_text(path, text)
    except UnicodeEncodeError as exc:  # a hand-edited "\ud800" escape in a memo or quote
        from qualcode.project import display_path

        raise StoreError(
            f"cannot write codings file: {exc.object[exc.start : exc.end]!r} is not a character",
            path=display_path(path),
            hint="a memo or quote holds a lone surrogate escape (such as \\ud800); remove it",
        ) from exc
    except OSError as exc:  # disk full, read-only folder...: the old file is left as it was
        from qualcode.project import display_path

        raise StoreError(
            f"cannot write codings file: {exc.strerror or exc}",
            path=display_path(path),
            hint="the previous version of the file is unchanged; free space or fix permissions "
            "and run the command again",
        ) from exc
    return path


def list_coders(project: Project) -> list[str]:
    if not project.codings_dir.is_dir():
        return []
    return sorted(
        p.name for p in project.codings_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
    )


def is_consensus(project: Project, coder: str) -> bool:
    """Whether `qualcode merge` built this coder (its files' header says whom from)."""
    folder = project.codings_dir / coder
    first = next(iter(sorted(folder.glob("*.jsonl"))), None) if folder.is_dir() else None
    if first is None:
        return False
    try:
        with first.open(encoding="utf-8") as handle:
            header = json.loads(handle.readline())
    except (OSError, ValueError, RecursionError):
        return False  # `qualcode check` reports a broken file
    return isinstance(header, dict) and bool(header.get("merged_from"))


def require_coder(project: Project, coder: str) -> str:
    coders = list_coders(project)
    if coder not in coders:
        raise UsageError(
            f"no codings for coder {coder!r}{did_you_mean(coder, coders)}",
            hint=("coders with codings: " + ", ".join(coders))
            if coders
            else "run `qualcode code` first to create codings",
        )
    return coder


# -- merging rule proposals with what a coder already decided -------------------------------------


@dataclass(frozen=True)
class MergeReport:
    added: int = 0
    kept: int = 0
    removed: int = 0
    reanchored: int = 0
    stale: int = 0
    removed_rules: tuple[str, ...] = ()


def offsets_agree(
    codings: CodingsFile, bounds: Mapping[str, tuple[int, int]], text: str | None = None
) -> bool:
    """Whether every live record sits on its segment as the transcript is segmented now.

    A file whose header matches the transcript can still hold records made on another text:
    a git merge that took one side's header and the other side's records (found by a helper:
    quotes then began mid-turn, and check said nothing).
    """
    for c in codings.codings:
        if c.stale:
            continue
        if c.quote and text is not None:
            if text[c.start : c.end] != c.quote:
                return False
            continue
        if c.segment not in bounds:  # `segmentation:` changed: check reports it, not this
            continue
        start, end = bounds[c.segment]
        if not start <= c.start <= c.end <= end:
            return False
    return all(
        n.stale or bounds.get(n.segment, (n.start, n.end)) == (n.start, n.end)
        for n in codings.notes
    )


def reanchor(old: CodingsFile, transcript: Transcript) -> tuple[CodingsFile, int, int]:
    """Move codings made on an earlier text onto the current segments; flag what cannot move.

    A coding keeps its segment if that segment's text is unchanged; else it moves to the segment whose
    text hashes the same (or, for a sub-span, to the occurrence of its quote); else it is kept and
    flagged stale. When the same text occurs several times, the occurrence nearest the old offset wins.
    A segment note (reviewed, memo) follows the whole-segment codings of its segment; without one it
    stays if its segment still has the same offsets, or moves with the codings around it when they
    all moved by one distance onto a segment of exactly those bounds; else it is flagged stale: it
    is never moved onto another passage's text.
    """
    bounds = {s.id: (s.start, s.end) for s in transcript.segments}
    if old.sha256 == transcript.sha256 and offsets_agree(old, bounds, transcript.text):
        return old, 0, 0
    text = transcript.text
    by_id = {s.id: s for s in transcript.segments}
    by_anchor: dict[str, list[Segment]] = {}
    for seg in transcript.segments:
        by_anchor.setdefault(anchor_of(text[seg.start : seg.end]), []).append(seg)
    moved = stale = 0
    codings = []
    # old segment id -> current segment id, learned from whole-segment codings (their anchor is the
    # hash of the segment's text); None when that text is gone
    followed: dict[str, str | None] = {}
    for c in old.codings:
        seg = by_id.get(c.segment)
        if c.quote:
            at = _nearest_occurrence(text, c.quote, c.start)
            host = (
                next((s for s in transcript.segments if s.start <= at < s.end), None)
                if at >= 0
                else None
            )
            if host is not None:
                codings.append(
                    replace(c, segment=host.id, start=at, end=at + len(c.quote), stale=False)
                )
                moved += (host.id, at) != (c.segment, c.start)
            else:
                codings.append(replace(c, stale=True))
                stale += 1
            continue
        if seg is not None and anchor_of(text[seg.start : seg.end]) == c.anchor:
            codings.append(replace(c, start=seg.start, end=seg.end, stale=False))
            if not c.stale:
                followed.setdefault(c.segment, seg.id)
            continue
        candidates = by_anchor.get(c.anchor, [])
        if candidates:
            target = min(candidates, key=lambda s: abs(s.start - c.start))
            codings.append(
                replace(c, segment=target.id, start=target.start, end=target.end, stale=False)
            )
            if not c.stale:
                followed.setdefault(c.segment, target.id)
            moved += 1
        else:
            codings.append(replace(c, stale=True))
            if not c.stale:  # a coding already stale says nothing about its segment now
                followed.setdefault(c.segment, None)
            stale += 1
    moved_by = sorted(
        (was.start, now.start - was.start)
        for was, now in zip(old.codings, codings, strict=True)
        if not now.stale and not was.stale
    )
    shift_at, shifts = [at for at, _ in moved_by], [by for _, by in moved_by]
    by_bounds = {(s.start, s.end): s for s in transcript.segments}
    notes = []
    for n in old.notes:
        if n.stale:
            notes.append(n)
            continue
        if n.segment in followed:
            target_id = followed[n.segment]
            target = by_id.get(target_id) if target_id is not None else None
        else:
            target = by_id.get(n.segment)
            if target is not None and (target.start, target.end) != (n.start, n.end):
                target = None  # cannot tell whether it is still the same passage
            if target is None:
                target = _shifted_with_neighbours(n, shift_at, shifts, by_bounds)
        if target is None:
            notes.append(replace(n, stale=True))
            stale += 1
        else:
            notes.append(replace(n, segment=target.id, start=target.start, end=target.end))
            moved += target.id != n.segment
    moved_file = replace(old, sha256=transcript.sha256, codings=codings, notes=notes)
    return moved_file, moved, stale


@dataclass
class EditedTranscripts:
    """Codings read for a table or agreement, whose transcript was edited since they were
    written: their offsets point into the old text. They are re-anchored in memory, as
    `qualcode code` would store them, and the edits are reported once (`warn`)."""

    coder: str
    # What `qualcode code` does to a file (autocode.recoder): re-anchor, then merge the rules'
    # proposals on the new text. Without it, only re-anchored, which can place fewer codings.
    recode: Callable[[CodingsFile, Transcript], CodingsFile] | None = None
    changed: list[str] = field(default_factory=list)
    unplaced: int = 0

    def current(
        self, codings: CodingsFile, sha256: str, load: Callable[[], Transcript]
    ) -> CodingsFile:
        """The codings on the transcript whose text hashes to `sha256` (`load` reads it)."""
        if codings.sha256 == sha256:
            return codings
        before = _stale_records(codings)
        if self.recode is not None:
            codings = self.recode(codings, load())
        else:
            codings, _, _ = reanchor(codings, load())
        self.changed.append(codings.transcript)
        self.unplaced += _stale_records(codings) - before
        return codings

    def warn(self) -> None:
        if not self.changed:
            return
        from qualcode.errors import warn

        ids = ", ".join(self.changed[:5]) + (" ..." if len(self.changed) > 5 else "")
        lost = (
            f" ({self.unplaced} codings or review marks could not be placed on the new text "
            "and are left out)"
            if self.unplaced
            else ""
        )
        warn(
            f"{len(self.changed)} transcript(s) changed since {self.coder!r} coded them: {ids}; "
            f"their codings were re-anchored (as `qualcode code` would) for this run "
            f"only{lost}; run `qualcode code "
            f"--coder {self.coder}` to store that"
        )


def _stale_records(codings: CodingsFile) -> int:
    return sum(c.stale for c in codings.codings) + sum(n.stale for n in codings.notes)


def _nearest_occurrence(text: str, quote: str, near: int) -> int:
    """Offset of the occurrence of `quote` in `text` nearest to `near`, or -1."""
    best = -1
    at = text.find(quote)
    while at >= 0:
        if best < 0 or abs(at - near) < abs(best - near):
            best = at
        at = text.find(quote, at + 1)
    return best


def _shifted_with_neighbours(
    note: SegmentNote,
    shift_at: Sequence[int],
    shifts: Sequence[int],
    by_bounds: dict[tuple[int, int], Segment],
) -> Segment | None:
    """The segment a note's passage moved to, when the codings found by their text on both
    sides of it moved by the same distance and a segment has exactly the shifted bounds.

    Review marks of segments with no coding have no text to follow; without this, one question
    added at the top of an interview made every such mark stale. `shift_at` holds the old
    starts of the codings that moved with their text, sorted, and `shifts` how far each moved.
    """
    left = bisect.bisect_left(shift_at, note.start)  # codings before the note: [:left]
    right = bisect.bisect_left(shift_at, note.end)  # codings from its end on: [right:]
    sides = ([shifts[left - 1]] if left else []) + ([shifts[right]] if right < len(shifts) else [])
    if not sides or len(set(sides)) != 1:
        return None
    return by_bounds.get((note.start + sides[0], note.end + sides[0]))


# What a new proposal renews in a rule coding the coder already has (its decision and memo stay).
_renewed = attrgetter("rules", "start", "end", "anchor")


def merge_proposals(
    old: CodingsFile | None,
    proposals: Sequence[Coding],
    transcript: Transcript,
    coder: str,
    known_rules: AbstractSet[str],
) -> tuple[CodingsFile, MergeReport]:
    """New rule proposals merged into a coder's file, keeping every human decision.

    - a proposal the coder accepted or rejected keeps its status and memo;
    - human-added codings are never touched (even several of one code in one segment);
    - a still-open proposal that the rules no longer make is removed (and counted);
    - a proposal whose rules no longer exist is removed and its rule ids reported.
    """
    if old is None:
        old = CodingsFile(transcript.id, coder, transcript.sha256)
    current, moved, _ = reanchor(old, transcript)
    existing: dict[tuple[str, str], list[Coding]] = {}
    # A stale coding's segment id names a passage of the old text. The rules' proposal on the
    # segment with that id now may take it over (a typo fixed in that turn), but not when that
    # segment is another old passage, found by its text: after a turn inserted above, t4 is the
    # old t2, and a decision on the old t4 must not land there.
    claimed = {
        new.segment
        for was, new in zip(old.codings, current.codings, strict=True)
        if not new.stale and new.segment != was.segment
    }
    live = {(c.code, c.segment) for c in current.codings if not c.stale}
    for c in current.codings:
        renewable = not c.stale or (c.segment not in claimed and (c.code, c.segment) not in live)
        key = (c.code, c.segment if renewable else "\0" + c.segment)  # "\0": no proposal's key
        bucket = existing.setdefault(key, [])
        if c not in bucket:  # the same line twice (both sides of a git conflict kept): once
            bucket.append(c)
    result: list[Coding] = []
    added = kept = removed = 0
    gone_rules: set[str] = set()
    if not existing:  # a first run: nothing to keep
        result = list(proposals)
        added = len(result)
        proposals = ()
    matched: set[tuple[str, str]] = set()
    renewed_segments: set[str] = set()  # where the rules took back a stale decision
    for proposal in proposals:
        key = (proposal.code, proposal.segment)
        previous_codings = existing.get(key)
        if not previous_codings:
            result.append(proposal)
            added += 1
            continue
        matched.add(key)
        for previous in previous_codings:
            if previous.stale:
                renewed_segments.add(proposal.segment)
            if previous.origin == "rule" and (
                previous.stale is not False or _renewed(previous) != _renewed(proposal)
            ):
                previous = replace(
                    previous,
                    rules=proposal.rules,
                    start=proposal.start,
                    end=proposal.end,
                    anchor=proposal.anchor,
                    stale=False,
                )
            result.append(previous)
            kept += 1
    for key, previous_codings in existing.items():
        if key in matched:
            continue
        for previous in previous_codings:
            if previous.origin == "human" or previous.status != "proposed":
                result.append(previous)
                kept += 1
                continue
            missing = [r for r in previous.rules if r not in known_rules]
            gone_rules.update(missing)
            removed += 1
    # A segment's note (reviewed, memo) follows the decisions the rules took back there: a typo
    # fixed in a reviewed turn left its mark stale, which no command could clear.
    by_id = {s.id: s for s in transcript.segments}
    noted = {n.segment for n in current.notes if not n.stale}
    renew = renewed_segments.intersection(by_id).difference(noted)
    notes = [
        replace(n, start=by_id[n.segment].start, end=by_id[n.segment].end, stale=False)
        if n.stale and n.segment in renew
        else n
        for n in current.notes
    ]
    # What the file now holds stale, counted as `qualcode check` reports it.
    stale = (sum(c.stale for c in result) if existing else 0) + sum(
        n.stale and bool(n.memo or n.reviewed) for n in notes
    )
    merged = CodingsFile(
        transcript.id, coder, transcript.sha256, result, notes, current.merged_from
    )
    return merged, MergeReport(added, kept, removed, moved, stale, tuple(sorted(gone_rules)))


# -- loading many files (analysis, agreement) -----------------------------------------------------


def iter_codings(project: Project, coder: str) -> Iterable[CodingsFile]:
    folder = project.codings_dir / coder
    if not folder.is_dir():
        return
    for path in sorted(folder.glob("*.jsonl")):
        from qualcode.project import display_path
        from qualcode.textio import read_text

        shown = display_path(path)
        codings = parse_codings(read_text(path, what="codings file", regular=True), shown)
        if mismatch := _owner_mismatch(codings, coder, path.stem):
            raise StoreError(mismatch, path=shown, line=1, hint=_OWNER_HINT)
        yield codings if codings.coder == coder else replace(codings, coder=coder)


def _line_numbers(text: str) -> dict[tuple[Any, ...], list[int]]:
    """Line numbers of a codings file's records, for check's messages (a record has no line
    once parsed): ("c", code, segment, start, end) for a coding, ("n", segment, start, end)
    for a segment note."""
    found: dict[tuple[Any, ...], list[int]] = {}
    for number, line in enumerate(text.split("\n")[1:], start=2):
        try:
            data = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(data, dict):
            continue
        key = (data.get("segment"), data.get("start"), data.get("end"))
        found.setdefault(("c", data["code"], *key) if "code" in data else ("n", *key), []).append(
            number
        )
    return found


def _line_at(
    lines: dict[tuple[Any, ...], list[int]], text: str, key: tuple[Any, ...], last: bool = False
) -> tuple[int, int] | None:
    """(line, 1) of a record in a codings file's `text`; `lines` is filled on first use only:
    parsing every line again for numbers no message needed made `check` a third slower."""
    if not lines:
        lines.update(_line_numbers(text))
    numbers = lines.get(key)
    return (numbers[-1 if last else 0], 1) if numbers else None


def check_codings(project: Project) -> list[Diagnostic]:
    """Corrupt files, unknown code ids, codings for missing transcripts, stale codings."""
    from qualcode.project import display_path

    found: list[Diagnostic] = []
    try:
        codebook = project.codebook
        corpus = project.corpus
    except Exception:  # reported by the codebook/transcript checks
        return found
    code_ids = set(codebook.by_id)
    hashes: dict[str, str] = {}
    lengths: dict[str, int] = {}
    segment_ids: dict[str, set[str]] = {}
    bounds: dict[str, dict[str, tuple[int, int]]] = {}
    for coder in list_coders(project):
        for leftover in sorted((project.codings_dir / coder).glob(".*.jsonl.*.tmp")):
            found.append(
                warning(
                    display_path(leftover),
                    None,
                    "temporary file left by an interrupted write (the codings file beside it "
                    "is complete: old or new, never partial)",
                    "codings-file",
                    "delete it, and do not commit it (`qualcode init` writes a .gitignore "
                    "for such files)",
                )
            )
        for path in sorted((project.codings_dir / coder).glob("*.jsonl")):
            shown = display_path(path)
            try:
                from qualcode.textio import read_text

                bad_lines: list[StoreError] = []
                text = read_text(path, what="codings file", regular=True)
                cf = parse_codings(text, shown, bad_lines)
                if bad_lines:
                    raise ExceptionGroup("corrupt records", bad_lines)
            except (StoreError, Exception) as exc:
                for problem in exc.exceptions if isinstance(exc, ExceptionGroup) else [exc]:
                    line = getattr(problem, "line", None)
                    found.append(
                        error(
                            shown,
                            (line, getattr(problem, "column", None) or 1) if line else None,
                            getattr(problem, "message", str(problem)),
                            "codings-file",
                            getattr(problem, "hint", "") or "",
                        )
                    )
                continue
            if mismatch := _owner_mismatch(cf, coder, path.stem):
                found.append(error(shown, (1, 1), mismatch, "codings-file", _OWNER_HINT))
                continue
            if path.stem not in corpus.ids:
                found.append(
                    error(
                        shown,
                        (1, 1),
                        f"codings for transcript {path.stem!r}, which does not exist",
                        "codings-file",
                        "restore the transcript or delete the codings file",
                    )
                )
                continue
            if path.stem not in hashes:
                try:
                    loaded = corpus.load(path.stem)
                except QualcodeError:
                    continue  # the transcript check reports it
                hashes[path.stem] = loaded.sha256
                lengths[path.stem] = len(loaded.text)
                segment_ids[path.stem] = {seg.id for seg in loaded.segments}
                bounds[path.stem] = {seg.id: (seg.start, seg.end) for seg in loaded.segments}
            if cf.sha256 == hashes[path.stem] and not offsets_agree(cf, bounds[path.stem]):
                found.append(
                    warning(
                        shown,
                        (1, 1),
                        "its records do not sit on the segments of the text its header names "
                        "(a git merge that took the header of one side and records of the other?)",
                        "stale-coding",
                        f"run `qualcode code --coder {path.parent.name}` to re-anchor them by "
                        "their text",
                    )
                )
            if cf.sha256 != hashes[path.stem]:
                found.append(
                    warning(
                        shown,
                        (1, 1),
                        "transcript text changed since these codings were made",
                        "stale-coding",
                        f"run `qualcode code --coder {path.parent.name}` to re-anchor them",
                    )
                )
            lines: dict[tuple[Any, ...], list[int]] = {}  # filled by _line_at when needed

            seen: set[tuple[str, str]] = set()
            for coding in sorted(cf.codings, key=_CODING_ORDER):
                where = ("c", coding.code, coding.segment, coding.start, coding.end)
                key = (coding.code, coding.segment)
                if not coding.stale and key in seen:  # which decision counts is undefined
                    found.append(
                        error(
                            shown,
                            _line_at(lines, text, where, last=True),
                            f"code {coding.code!r} is recorded twice on segment {coding.segment}",
                            "codings-file",
                            "keep one of the two lines (a hand edit or a merge conflict?)",
                        )
                    )
                if not coding.stale:  # a stale coding keeps its old segment id beside a new one
                    seen.add(key)
                if coding.code not in code_ids:
                    found.append(
                        error(
                            shown,
                            _line_at(lines, text, where),
                            f"coding uses unknown code {coding.code!r}"
                            f"{did_you_mean(coding.code, code_ids)} (segment {coding.segment})",
                            "coding-unknown-code",
                            "rename it or add the code to a codebook",
                        )
                    )
                if coding.end > lengths[path.stem] and cf.sha256 == hashes[path.stem]:
                    found.append(  # a hand edit: the text is the one the codings were made on
                        error(
                            shown,
                            _line_at(lines, text, where),
                            f"coding {coding.code!r} spans {coding.start}-{coding.end}, past the "
                            f"end of the transcript ({lengths[path.stem]} characters)",
                            "codings-file",
                            "fix its start and end, or remove it",
                        )
                    )
                if coding.stale:
                    found.append(
                        warning(
                            shown,
                            _line_at(lines, text, where),
                            f"coding {coding.code!r} on segment {coding.segment} "
                            "lost its text when the transcript was edited",
                            "stale-coding",
                            "review it in a session or remove it",
                        )
                    )
                elif coding.segment not in segment_ids[path.stem]:
                    found.append(
                        warning(
                            shown,
                            _line_at(lines, text, where),
                            f"coding {coding.code!r} is on segment {coding.segment}, which no "
                            "longer exists (was `segmentation:` changed?); it is not counted",
                            "stale-coding",
                            "restore the segmentation, or redo the decision on the new segments",
                        )
                    )
            for note in cf.notes:
                if note.stale and (note.memo or note.reviewed):
                    found.append(
                        warning(
                            shown,
                            _line_at(lines, text, ("n", note.segment, note.start, note.end)),
                            f"{'memo' if note.memo else 'review mark'} on segment {note.segment} "
                            "lost its text when the transcript was edited",
                            "stale-coding",
                            "review the segment in a session or remove the note",
                        )
                    )
    return found


# -- locking (sessions) ---------------------------------------------------------------------------


def lock_path(project: Project, coder: str, transcript_id: str) -> Path:
    return project.codings_dir / coder / f".{transcript_id}.lock"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _live_holder(path: Path) -> int | None:
    """The pid of the live process on this machine that holds a lock file, if any."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        pid = int(info.get("pid", 0))
        host = info.get("host", "")
    except (OSError, ValueError, AttributeError, RecursionError):  # gone, or not our lock file
        return None
    return pid if pid and host == os.uname().nodename and _pid_alive(pid) else None


def refuse_if_in_session(project: Project, coder: str, transcript_id: str) -> None:
    """For writers that do not take the lock (`qualcode code`): a session holds the whole file
    in memory and would write its copy over theirs at the next key."""
    path = lock_path(project, coder, transcript_id)
    if path.exists() and (pid := _live_holder(path)) and pid != os.getpid():
        from qualcode.project import display_path

        raise StoreError(
            f"coder {coder!r} has a session open on {transcript_id!r} (pid {pid}); it would "
            "overwrite these codings",
            path=display_path(path),
            hint="close the session (q), then run the command again",
        )


def acquire_lock(project: Project, coder: str, transcript_id: str) -> tuple[Path, str | None]:
    """Create the lock file; returns (path, message about a cleared stale lock or None)."""
    path = lock_path(project, coder, transcript_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    cleared = None
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            if pid := _live_holder(path):
                from qualcode.project import display_path

                raise StoreError(
                    f"coder {coder!r} has a session open on {transcript_id!r} (pid {pid})",
                    path=display_path(path),
                    hint="close that session first (q); other coders can work at the same time",
                ) from None
            path.unlink(missing_ok=True)
            cleared = (
                f"cleared a stale lock on {transcript_id!r} left by a session that ended abnormally"
            )
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(
                {"pid": os.getpid(), "host": os.uname().nodename, "since": int(time.time())}, handle
            )
        return path, cleared
    raise StoreError("could not acquire the session lock", path=path)


def release_lock(path: Path) -> None:
    path.unlink(missing_ok=True)
