"""Tallies, exemplar quotes and co-occurrence: what a paper reports, as pandas DataFrames.

Which codings count (`status`):
- ``default``: everything the coder did not reject: accepted and human-added codings plus rule
  proposals still open. The usual choice while review is under way. A disagreement that
  `qualcode merge` left open in a consensus coder (a proposal of origin `human`) is not a rule
  proposal, so it counts only once resolved (or with ``all``).
- ``reviewed``: only codings the coder accepted or added by hand.
- ``all``: every coding, rejected ones included (for auditing the rules).

A code's row counts a unit when the code *or any of its descendants* applies, so grouping nodes
("roles") show how many units touch any of their children, and `level` / `codes` roll children up.
Units (`count`): transcripts, segments, informants (a speaker with the informant role in a transcript)
or partnerships (distinct values of the `partnership` attribute). Group sizes (n) count every unit in
the group, coded or not, so percentages are shares of the group; for segments, the units that can be
coded: the informants' turns, and any other segment that was coded.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from qualcode.api import as_names
from qualcode.diagnostics import did_you_mean
from qualcode.errors import QualcodeError, UsageError, warn

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.codebook.model import Codebook
    from qualcode.project import Project

StatusMode = Literal["default", "reviewed", "all"]
Unit = Literal["transcripts", "segments", "informants", "partnerships"]
UNITS: tuple[str, ...] = ("transcripts", "segments", "informants", "partnerships")
STATUS_MODES: tuple[str, ...] = ("default", "reviewed", "all")
MISSING = "(missing)"
TOTAL = "Total"
ANY_CODE = "(any code)"
PARTNERSHIP_ATTR = "partnership"

_COUNTED = {
    "default": {"accepted", "proposed"},
    "reviewed": {"accepted"},
    "all": {"accepted", "proposed", "rejected"},
}
_STATUS_TEXT = {
    "default": "accepted and human-added codings plus rule proposals not rejected",
    "reviewed": "accepted and human-added codings only",
    "all": "all codings, rejected included",
}


def percent_half_up(share: float, digits: int = 1) -> float:
    """100 * share rounded as `percent_of` rounds, for shares that are not a count over n (an
    agreement's): 13/16 is 81.3, not round()'s 81.2."""
    scale = 10**digits
    return math.floor(100 * share * scale + 0.5 + 1e-9) / scale


def percent_of(count: int, n: int, digits: int = 0) -> float:
    """100 * count / n with halves rounded up (5 of 8 is 63%, 1 of 16 is 6.3%), in exact integer
    arithmetic: Python's round() takes 62.5 to 62 and float noise moves other halves, so a paper's
    table and its figure disagreed. Every percent qualcode prints is rounded so (shares that
    are not a count over n go through `percent_half_up`)."""
    scale = 10**digits
    return ((200 * scale * count + n) // (2 * n)) / scale


@dataclass(frozen=True)
class SegmentInfo:
    transcript: str
    segment: str
    start: int
    end: int
    line_start: int
    line_end: int
    speaker: str | None
    role: str | None


@dataclass(frozen=True)
class CodedUnit:
    """One coding that counts, joined with what analysis needs to know about its segment."""

    transcript: str
    segment: str
    code: str
    start: int
    end: int
    status: str
    origin: str
    rules: tuple[str, ...]
    speaker: str | None
    role: str | None


@dataclass
class AnalysisData:
    """Everything the analyses need, read once: metadata, segments, and the codings that count."""

    coder: str
    status: str
    metadata: dict[str, dict[str, str]]
    segments: dict[tuple[str, str], SegmentInfo]
    informants: dict[str, list[str]]
    coded: list[CodedUnit]
    texts: dict[str, str]

    @property
    def transcript_ids(self) -> list[str]:
        return list(self.metadata)

    @cached_property
    def segments_by_transcript(self) -> dict[str, list[tuple[str, str]]]:
        """Segment keys per transcript, indexed once (not one scan of all segments per transcript)."""
        index: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for key in self.segments:
            index[key[0]].append(key)
        return dict(index)

    @cached_property
    def codable_segments(self) -> dict[str, set[tuple[str, str]]]:
        """The segments a tally of segments counts in n: the informants' turns, and any other
        segment that was coded (an interviewer's, by a rule for interviewers or by hand).

        The interviewer's questions are never coded by default, so counting them in n made every
        share of segments smaller by about half.
        """
        coded = {(c.transcript, c.segment) for c in self.coded}
        index: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for key, info in self.segments.items():
            if info.role == "informant" or key in coded:
                index[key[0]].add(key)
        return dict(index)

    def attributes(self) -> list[str]:
        seen: dict[str, None] = {}
        for meta in self.metadata.values():
            for key in meta:
                seen.setdefault(key, None)
        return list(seen)


def resolve_coder(project: Project, coder: str | None) -> str:
    from qualcode.store import require_coder, validate_coder_name

    return require_coder(project, validate_coder_name(coder or project.config.coder))


def load_analysis_data(
    project: Project, coder: str | None = None, status: str = "default", *, keep_text: bool = False
) -> AnalysisData:
    """Read transcripts (one at a time) and the coder's codings that count under `status`."""
    from qualcode.autocode import recoder
    from qualcode.intercoder import reviewed_segments
    from qualcode.store import EditedTranscripts, iter_codings

    if status not in STATUS_MODES:
        raise UsageError(f"status must be one of {', '.join(STATUS_MODES)}, not {status!r}")
    project.require_transcripts()
    coder_name = resolve_coder(project, coder)
    counted = _COUNTED[status]
    metadata: dict[str, dict[str, str]] = {}
    segments: dict[tuple[str, str], SegmentInfo] = {}
    informants: dict[str, list[str]] = {}
    texts: dict[str, str] = {}
    hashes: dict[str, str] = {}
    coded_ids = {p.stem for p in (project.codings_dir / coder_name).glob("*.jsonl")}
    uncoded = [tid for tid in project.corpus.ids if tid not in coded_ids]
    if uncoded:
        warn(
            f"coder {coder_name!r} has no codings for {len(uncoded)} of {len(project.corpus.ids)} "
            "transcript(s), which are left out of every count: " + _some(uncoded)
        )
    for transcript_id in project.corpus.ids:
        if transcript_id not in coded_ids:
            continue
        try:
            transcript = project.corpus.load(transcript_id)
        except QualcodeError as exc:  # one unreadable interview must not block every table
            warn(f"skipped: {exc}")
            continue
        metadata[transcript.id] = dict(transcript.metadata)
        hashes[transcript.id] = transcript.sha256
        informants[transcript.id] = transcript.informants or (
            ["(informant)"] if any(s.role == "informant" for s in transcript.segments) else []
        )
        for seg in transcript.segments:
            segments[(transcript.id, seg.id)] = SegmentInfo(
                transcript.id,
                seg.id,
                seg.start,
                seg.end,
                seg.line_start,
                seg.line_end,
                seg.speaker,
                seg.role,
            )
        if keep_text:
            texts[transcript.id] = transcript.text
    coded = []
    orphans = 0
    unknown: dict[str, int] = {}
    twice: set[tuple[str, str, str]] = set()
    known_codes = project.codebook.by_id
    edited = EditedTranscripts(coder_name, recoder(project))
    unreviewed: list[str] = []
    for codings in iter_codings(project, coder_name):
        if codings.transcript not in metadata:
            continue
        tid = codings.transcript
        codings = edited.current(codings, hashes[tid], partial(project.corpus.load, tid))
        if status == "reviewed" and not reviewed_segments(codings):
            unreviewed.append(codings.transcript)
        decided: dict[tuple[str, str, int, int], str] = {}
        for c in codings.codings:
            if c.stale:
                continue
            if c.code not in known_codes:  # a code renamed or removed in the codebook
                unknown[c.code] = unknown.get(c.code, 0) + 1
                continue
            # one passage, two verdicts (a rejected proposal beside a narrower span is fine)
            if decided.setdefault((c.code, c.segment, c.start, c.end), c.status) != c.status:
                twice.add((codings.transcript, c.segment, c.code))
            if c.status not in counted:
                continue
            if (codings.transcript, c.segment) not in segments:
                orphans += 1  # e.g. `segmentation:` changed since the coding was made
                continue
            if status == "default" and c.status == "proposed" and c.origin == "human":
                continue  # an unresolved merge disagreement: one coder's view, not a rule's
            info = segments.get((codings.transcript, c.segment))
            coded.append(
                CodedUnit(
                    codings.transcript,
                    c.segment,
                    c.code,
                    c.start,
                    c.end,
                    c.status,
                    c.origin,
                    c.rules,
                    info.speaker if info else None,
                    info.role if info else None,
                )
            )
    if unreviewed:
        warn(
            f"{len(unreviewed)} transcript(s) that {coder_name!r} has not reviewed at all have "
            "no codings that count as reviewed (a tally still counts them in their group's n): "
            + _some(unreviewed)
        )
    edited.warn()
    if unknown:
        names = ", ".join(f"{code!r} ({n})" for code, n in sorted(unknown.items())[:5])
        warn(
            f"{sum(unknown.values())} coding(s) of {coder_name!r} use codes that are not in the "
            f"codebook and are not counted: {names}; was a code renamed? `qualcode check` "
            "lists them"
        )
    if twice:
        where = ", ".join(f"{t} {s} {c}" for t, s, c in sorted(twice)[:5])
        warn(
            f"{len(twice)} code(s) of {coder_name!r} have two different decisions on one segment "
            f"(both sides of a git conflict kept?): {where}; which one counts is undefined, "
            "`qualcode check` lists them"
        )
    if orphans:
        warn(
            f"{orphans} coding(s) of {coder_name!r} are on segments that no longer exist (was "
            "`segmentation:` changed?) and are not counted; `qualcode check` lists them"
        )
    return AnalysisData(coder_name, status, metadata, segments, informants, coded, texts)


# -- which codes are rows -------------------------------------------------------------------------


def select_codes(
    codebook: Codebook, *, level: int | None = None, codes: Sequence[str] | None = None
) -> list[str]:
    """Row codes in codebook order: all codes, those at depth <= level, or the listed ones."""
    codes = as_names(codes)
    if codes:
        unknown = [c for c in codes if c not in codebook]
        if unknown:
            raise UsageError(
                f"unknown code {unknown[0]!r}{did_you_mean(unknown[0], codebook.by_id)}",
                hint="`qualcode codebook tree` lists the codes",
            )
        return list(dict.fromkeys(codes))
    if level is not None:
        if level < 0:
            raise UsageError("--level must be 0 (top level) or more")
        return [c.id for c in codebook.codes if c.depth <= level]
    return [c.id for c in codebook.codes]


def _rollup(codebook: Codebook, rows: Sequence[str]) -> dict[str, set[str]]:
    """For each applied code id, the row codes it counts towards (itself and/or ancestors)."""
    row_set = set(rows)
    mapping: dict[str, set[str]] = {}
    for code in codebook.codes:
        targets = {code.id} & row_set
        targets |= {a.id for a in codebook.ancestors(code.id)} & row_set
        mapping[code.id] = targets
    return mapping


# -- grouping -------------------------------------------------------------------------------------


def check_attributes(data: AnalysisData, by: Sequence[str]) -> None:
    """Every attribute in `by` is in the metadata; else a UsageError with a did-you-mean."""
    known = data.attributes()
    for attr in by:
        if attr not in known:
            raise UsageError(
                f"unknown attribute {attr!r}{did_you_mean(attr, known)}",
                hint="known attributes: " + (", ".join(known) if known else "(no metadata)"),
            )


def _some(ids: Sequence[str], shown: int = 5) -> str:
    """The first few ids for a warning, with '...' when there are more."""
    return ", ".join(ids[:shown]) + (" ..." if len(ids) > shown else "")


def _warn_missing(data: AnalysisData, by: Sequence[str]) -> None:
    """Warn (once per call) about transcripts grouped as `(missing)` for lack of an attribute."""
    missing = [
        t for t in data.transcript_ids if by and any(not data.metadata[t].get(a) for a in by)
    ]
    if missing:
        warn(
            f"{len(missing)} transcript(s) lack {'/'.join(by)} and are counted as {MISSING!r}: "
            + _some(missing),
        )


def group_of(data: AnalysisData, transcript_id: str, by: Sequence[str]) -> str:
    values = [data.metadata[transcript_id].get(attr) or MISSING for attr in by]
    return " / ".join(values)


def _group_order(
    data: AnalysisData, by: Sequence[str], declared: dict[str, tuple[str, ...]]
) -> list[str]:
    """Declared values first (in declared order, even with zero units), then others sorted."""
    if not by:
        return []
    per_attr = []
    for attr in by:
        present = {data.metadata[t].get(attr) or MISSING for t in data.transcript_ids}
        ordered = list(declared.get(attr, ()))
        ordered += sorted(v for v in present if v not in ordered and v != MISSING)
        if MISSING in present:
            ordered.append(MISSING)
        per_attr.append(ordered)
    groups = [""]
    for values in per_attr:
        groups = [f"{g} / {v}" if g else v for g in groups for v in values]
    return groups


def _units_of_transcript(data: AnalysisData, transcript_id: str, unit: str) -> set[Any]:
    if unit == "transcripts":
        return {transcript_id}
    if unit == "segments":
        return data.codable_segments.get(transcript_id, set())
    if unit == "informants":
        return {(transcript_id, name) for name in data.informants.get(transcript_id, [])}
    value = data.metadata[transcript_id].get(PARTNERSHIP_ATTR) or f"{MISSING}:{transcript_id}"
    return {value}


def _unit_of_coding(c: CodedUnit, data: AnalysisData, unit: str) -> Any:
    if unit == "transcripts":
        return c.transcript
    if unit == "segments":
        return (c.transcript, c.segment)
    if unit == "informants":
        return (c.transcript, c.speaker or "(informant)")
    return data.metadata[c.transcript].get(PARTNERSHIP_ATTR) or f"{MISSING}:{c.transcript}"


# -- tally ----------------------------------------------------------------------------------------


def tally(
    project: Project,
    by: Sequence[str] = (),
    *,
    count: str = "transcripts",
    percent: bool = False,
    level: int | None = None,
    codes: Sequence[str] | None = None,
    coder: str | None = None,
    status: str = "default",
    nonzero: bool = False,
    data: AnalysisData | None = None,
) -> pd.DataFrame:
    """Code x group matrix of unit counts (or percentages of the group's units).

    Index: code id. Columns: `name`, one per group (nested `by` joined with " / "), `Total`.
    The last row, `(any code)`, counts units with at least one of the row codes.
    `df.attrs` holds `n` (units per column), `unit`, `percent`, `caption` and `by`.
    """
    import pandas as pd

    if count not in UNITS:
        raise UsageError(f"--count must be one of {', '.join(UNITS)}, not {count!r}")
    data = data or load_analysis_data(project, coder, status)
    # `--by x --by x` is one grouping, not x crossed with itself; `by="x"` is not x's letters
    by = list(dict.fromkeys(as_names(by)))
    check_attributes(data, by)
    if count == "partnerships" and PARTNERSHIP_ATTR not in data.attributes():
        raise UsageError(
            "--count partnerships needs a 'partnership' metadata attribute",
            hint="add a partnership column to the metadata CSV or front matter",
        )
    codebook = project.codebook
    rows = select_codes(codebook, level=level, codes=codes)
    rollup = _rollup(codebook, rows)
    groups = _group_order(data, by, project.config.declared_values)
    columns = [*groups, TOTAL]
    _warn_missing(data, by)
    if count == "partnerships":
        alone = [t for t in data.transcript_ids if not data.metadata[t].get(PARTNERSHIP_ATTR)]
        if alone:
            warn(
                f"{len(alone)} transcript(s) lack {PARTNERSHIP_ATTR} and each counts as a "
                "partnership of its own: " + _some(alone)
            )
    units_in: dict[str, set[Any]] = {col: set() for col in columns}
    group_by_transcript = {t: group_of(data, t, by) if by else TOTAL for t in data.transcript_ids}
    for t in data.transcript_ids:
        units = _units_of_transcript(data, t, count)
        units_in[TOTAL] |= units
        if by:
            units_in[group_by_transcript[t]] |= units
    hits: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for c in data.coded:
        targets = rollup.get(c.code, set())
        if not targets:
            continue
        unit = _unit_of_coding(c, data, count)
        if unit not in units_in[TOTAL]:
            # Not a unit of the corpus: with --count informants, a code on an interviewer's turn
            # (the interviewer is not an informant); with segments, a segment that no longer exists.
            continue
        group = group_by_transcript[c.transcript]
        for target in (*targets, ANY_CODE):
            hits[(target, TOTAL)].add(unit)
            if by:
                hits[(target, group)].add(unit)
    n = {col: len(units_in[col]) for col in columns}
    records = []
    for code_id in [*rows, ANY_CODE]:
        name = codebook.get(code_id).name if code_id in codebook else ANY_CODE
        record: dict[str, Any] = {"code": code_id, "name": name}
        for col in columns:
            value = len(hits.get((code_id, col), ()))
            if not percent:
                record[col] = value
            else:  # a share of an empty group is undefined, not 0%: a paper prints a dash
                record[col] = percent_of(value, n[col], 1) if n[col] else math.nan
        records.append(record)
    frame = pd.DataFrame.from_records(records, columns=["code", "name", *columns]).set_index("code")
    if nonzero:
        frame = frame[(frame[TOTAL] > 0) | (frame.index == ANY_CODE)]
    what = "% of " if percent else ""
    frame.attrs.update(
        {
            "n": n,
            "unit": count,
            "percent": percent,
            "by": by,
            "coder": data.coder,
            "status": data.status,
            "caption": (
                f"{what}{count} with each code (a parent counts a unit once if any child applies); "
                f"coder {data.coder!r}: {_STATUS_TEXT[data.status]}."
            ),
        }
    )
    return frame


def column_label(frame: pd.DataFrame, column: str) -> str:
    """`CLT (n=6)`: the header a paper's table needs."""
    n = frame.attrs.get("n", {})
    return f"{column} (n={n[column]})" if column in n else column


def tally_long(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Tidy rows (code, group, unit, count, n, percent) from a count tally (percent=False)."""
    n = frame.attrs["n"]
    rows = []
    for code_id, record in frame.iterrows():
        for column in n:
            count = int(record[column])
            total = n[column]
            rows.append(
                {
                    "code": code_id,
                    "name": record["name"],
                    "group": column,
                    "unit": frame.attrs["unit"],
                    "count": count,
                    "n": total,
                    "percent": percent_of(count, total, 1) if total else None,
                }
            )
    return rows


def tally_records(frame: pd.DataFrame) -> dict[str, Any]:
    """The JSON form of a tally (what `qualcode tally --format json` prints)."""
    columns = [c for c in frame.columns if c != "name"]
    return {
        "caption": frame.attrs.get("caption", ""),
        "unit": frame.attrs.get("unit"),
        "percent": frame.attrs.get("percent"),
        "by": frame.attrs.get("by", []),
        "n": frame.attrs.get("n", {}),
        "rows": [
            {"code": code_id, "name": record["name"], **{c: _plain(record[c]) for c in columns}}
            for code_id, record in frame.iterrows()
        ],
    }


def _plain(value: Any) -> Any:
    """numpy scalars to Python numbers (JSON, equality in parity tests); NaN to null."""
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


# -- co-occurrence --------------------------------------------------------------------------------


def cooccur(
    project: Project,
    *,
    within: str = "segment",
    measure: str = "count",
    level: int | None = None,
    codes: Sequence[str] | None = None,
    coder: str | None = None,
    status: str = "default",
    data: AnalysisData | None = None,
) -> pd.DataFrame:
    """Code x code matrix: units (segments or transcripts) where both codes apply, or Jaccard.

    Jaccard = both / either, in [0, 1]; the diagonal holds each code's own unit count (1.0 for Jaccard
    where the code occurs, else 0). Rows and columns follow codebook order; codes roll up as in tally.
    """
    import pandas as pd

    if within not in ("segment", "transcript"):
        raise UsageError(f"--within must be segment or transcript, not {within!r}")
    if measure not in ("count", "jaccard"):
        raise UsageError(f"--measure must be count or jaccard, not {measure!r}")
    data = data or load_analysis_data(project, coder, status)
    codebook = project.codebook
    if codes is None and level is None:
        rows = [c.id for c in codebook.codes if c.codable]
    else:
        rows = select_codes(codebook, level=level, codes=codes)
    rollup = _rollup(codebook, rows)
    units_of: dict[str, set[Any]] = defaultdict(set)
    for c in data.coded:
        unit = (c.transcript, c.segment) if within == "segment" else c.transcript
        for target in rollup.get(c.code, ()):
            units_of[target].add(unit)
    matrix = []
    for a in rows:
        line = []
        for b in rows:
            both = len(units_of[a] & units_of[b])
            if measure == "count":
                line.append(both)
            else:
                either = len(units_of[a] | units_of[b])
                line.append(round(both / either, 3) if either else 0.0)
        matrix.append(line)
    frame = pd.DataFrame(matrix, index=pd.Index(rows, name="code"), columns=rows)
    frame.attrs.update(
        {
            "within": within,
            "measure": measure,
            "caption": (
                f"{'Jaccard index of ' if measure == 'jaccard' else ''}{within}s where both codes "
                f"apply; coder {data.coder!r}: {_STATUS_TEXT[data.status]}."
            ),
        }
    )
    return frame


def cooccur_pairs(
    frame_count: pd.DataFrame, frame_jaccard: pd.DataFrame, codebook: Codebook | None = None
) -> list[dict[str, Any]]:
    """Long form (code_a, code_b, count, jaccard) for each pair a < b in codebook order, count > 0.

    With `codebook`, a code and its own ancestor are not a pair: a parent counts its children's
    units, so such pairs topped every list and said nothing (found by a helper).
    """
    rows = []
    codes = list(frame_count.index)
    lineage: dict[str, set[str]] = {}
    if codebook is not None:
        lineage = {c: {a.id for a in codebook.ancestors(c)} for c in codes if c in codebook}
    for i, a in enumerate(codes):
        for b in codes[i + 1 :]:
            if a in lineage.get(b, ()) or b in lineage.get(a, ()):
                continue
            count = int(frame_count.loc[a, b])
            if count:
                rows.append(
                    {
                        "code_a": a,
                        "code_b": b,
                        "count": count,
                        "jaccard": float(frame_jaccard.loc[a, b]),
                    }
                )
    return rows


# -- quotes ---------------------------------------------------------------------------------------

IDEAL_WORDS = (25, 90)
MAX_QUOTE_WORDS = 90
_SENTENCE = re.compile(r"[^.!?…]+(?:[.!?…]+[\"'”’)]*|$)\s*")
_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class QuoteCandidate:
    code: str
    group: str
    transcript: str
    segment: str
    speaker: str | None
    role: str | None
    status: str
    origin: str
    line_start: int
    line_end: int
    quote: str
    highlights: tuple[tuple[int, int], ...]
    rule_hits: int
    words: int
    score: float


def trim_quote(
    text: str,
    start: int,
    end: int,
    focus: Sequence[tuple[int, int]],
    max_words: int = MAX_QUOTE_WORDS,
) -> tuple[str, int, int]:
    """Trim text[start:end] to whole sentences around the first focus span, adding ellipses.

    Returns (quote, quote_start, quote_end) where the offsets are into `text` (ellipses excluded).
    """
    segment = text[start:end]
    if len(_WORDS.findall(segment)) <= max_words:
        return " ".join(segment.split()), start, end
    sentences = [
        (m.start() + start, m.end() + start)
        for m in _SENTENCE.finditer(segment)
        if m.group().strip()
    ]
    if not sentences:
        return " ".join(segment.split()), start, end
    anchor = focus[0][0] if focus else start
    index = next((i for i, (s, e) in enumerate(sentences) if s <= anchor < e), 0)
    lo = hi = index

    def words(a: int, b: int) -> int:
        return len(_WORDS.findall(text, sentences[a][0], sentences[b][1]))

    while True:
        grown = False
        if hi + 1 < len(sentences) and words(lo, hi + 1) <= max_words:
            hi += 1
            grown = True
        if lo > 0 and words(lo - 1, hi) <= max_words:
            lo -= 1
            grown = True
        if not grown:
            break
    q_start, q_end = sentences[lo][0], sentences[hi][1]
    while q_end > q_start and text[q_end - 1].isspace():
        q_end -= 1
    body = " ".join(text[q_start:q_end].split())
    if words(lo, hi) > max_words:  # one very long sentence: cut at a word boundary
        cut = [m.end() for m in _WORDS.finditer(text, q_start, q_end)][max_words - 1]
        body = " ".join(text[q_start:cut].split()) + " …"
        q_end = cut
    prefix = "… " if lo > 0 else ""
    suffix = " …" if hi < len(sentences) - 1 and not body.endswith("…") else ""
    return prefix + body + suffix, q_start, q_end


def _highlights_in_quote(
    text: str, quote: str, q_start: int, q_end: int, spans: Sequence[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    """Map hit spans (offsets in text) to spans in the whitespace-normalized quote string."""
    found = []
    for s, e in spans:
        if s < q_start or e > q_end:
            continue
        needle = " ".join(text[s:e].split())
        prefix_words = " ".join(text[q_start:s].split())
        guess = (
            len(prefix_words) + (1 if prefix_words else 0) + (2 if quote.startswith("… ") else 0)
        )
        at = quote.find(needle, max(0, guess - 2))
        if at >= 0:
            found.append((at, at + len(needle)))
    return tuple(sorted(set(found)))


def _score(status: str, origin: str, words: int, rule_hits: int) -> float:
    """Human-accepted first, then readable length, then more distinct rule hits (see README)."""
    lo, hi = IDEAL_WORDS
    length = 1.0 if lo <= words <= hi else max(0.0, 1.0 - (lo - words) / lo if words < lo else 0.6)
    human = 2.0 if status == "accepted" or origin == "human" else 0.0
    return round(human + length + min(rule_hits, 5) * 0.1, 4)


class _Ranked(NamedTuple):
    """A coding ranked on cheap features, before any text is trimmed or matched.

    The first four fields are the selection order (best score first, then a stable tie-break); a
    tuple, not a dataclass, because 100,000 of them are built and sorted.
    """

    neg_score: float
    # equal scores: transcripts in an order that is the same every run but not the ids'
    # alphabet, which gave 314 of 483 quotes to the first of 20 sites (found by a helper);
    # within a transcript, the earlier passage first
    tie: int
    transcript: str
    line_start: int
    segment: str
    speaker: str | None
    unit: CodedUnit

    @property
    def score(self) -> float:
        return -self.neg_score


_SELECTION_ORDER = itemgetter(0, 1, 2, 3)


def _rank_candidates(
    data: AnalysisData, rows: Mapping[str, set[str]], by: Sequence[str]
) -> dict[tuple[str, str], list[_Ranked]]:
    """Score every coding that could be quoted, per (code, group), without touching its text twice.

    The length feature is the segment's word count capped at MAX_QUOTE_WORDS, because a longer
    segment is trimmed to about that many words; it is counted once per segment (spaces + 1),
    which is what keeps ranking 100,000 codings well under a second. `rows` maps an applied code
    to the requested codes it counts towards (a parent collects its children's codings), and a
    passage is a candidate for a row once even when several of its children apply.
    """
    seg_words: dict[tuple[str, str], int] = {}
    groups: dict[str, str] = {}
    ranked: dict[tuple[str, str], list[_Ranked]] = defaultdict(list)
    seen: set[tuple[str, str, str, int, int]] = set()
    scores: dict[tuple[str, str, int, int], float] = {}
    for c in data.coded:
        targets = rows.get(c.code)
        if not targets:
            continue
        key = (c.transcript, c.segment)
        words = seg_words.get(key)
        if words is None:
            text = data.texts[c.transcript]
            words = len(text[c.start : c.end].split())
            seg_words[key] = words
        group = groups.get(c.transcript)
        if group is None:
            group = groups[c.transcript] = group_of(data, c.transcript, by) if by else TOTAL
        info = data.segments.get(key)
        features = (c.status, c.origin, min(words, MAX_QUOTE_WORDS), len(set(c.rules)))
        score = scores.get(features)
        if score is None:
            score = scores[features] = _score(*features)
        pick = _Ranked(
            -score,
            zlib.crc32(c.transcript.encode("utf-8", "surrogatepass")),
            c.transcript,
            info.line_start if info else 0,
            c.segment,
            c.speaker,
            c,
        )
        for row in targets:
            if row != c.code:
                passage = (row, c.transcript, c.segment, c.start, c.end)
                if passage in seen:
                    continue
                seen.add(passage)
            ranked[(row, group)].append(pick)
    return ranked


def _segment_hits(
    data: AnalysisData, codebook: Codebook, chosen: Sequence[CodedUnit]
) -> dict[tuple[str, str], list[tuple[int, int, str, str]]]:
    """Rule hits (start, end, rule, code) in the chosen segments only: one scan per transcript."""
    from qualcode.engine import SegmentView, compile_rules

    matcher = compile_rules(codebook)
    per_transcript: dict[str, dict[str, CodedUnit]] = defaultdict(dict)
    for c in chosen:
        per_transcript[c.transcript].setdefault(c.segment, c)
    hits: dict[tuple[str, str], list[tuple[int, int, str, str]]] = {}
    for transcript_id, units in sorted(per_transcript.items()):
        segs = sorted(units.values(), key=lambda c: (c.start, c.end, c.segment))
        views = [SegmentView(c.start, c.end, c.speaker, c.role) for c in segs]
        for c, seg_hits in zip(segs, matcher.match(data.texts[transcript_id], views), strict=True):
            hits[(transcript_id, c.segment)] = [
                (h.start, h.end, h.rule_id, h.code_id) for h in seg_hits
            ]
    return hits


def _candidate(
    data: AnalysisData,
    picked: _Ranked,
    group: str,
    hits: dict[tuple[str, str], list[tuple[int, int, str, str]]],
) -> QuoteCandidate:
    """Trim a chosen coding to its quote and find the matched words in it."""
    c = picked.unit
    text = data.texts[c.transcript]
    seg_hits = [h for h in hits.get((c.transcript, c.segment), []) if h[3] == c.code]
    spans = [(s, e) for s, e, _, _ in seg_hits]
    quote, q_start, q_end = trim_quote(text, c.start, c.end, spans or [(c.start, c.start)])
    line_start = text.count("\n", 0, q_start) + 1
    return QuoteCandidate(
        c.code,
        group,
        c.transcript,
        c.segment,
        c.speaker,
        c.role,
        c.status,
        c.origin,
        line_start,
        line_start + text.count("\n", q_start, q_end),
        quote,
        _highlights_in_quote(text, quote, q_start, q_end, spans),
        len({rule for _, _, rule, _ in seg_hits}) or len(set(c.rules)),
        len(_WORDS.findall(quote)),
        picked.score,
    )


def quotes(
    project: Project,
    codes: Sequence[str] | None = None,
    by: Sequence[str] = (),
    *,
    per_group: int = 3,
    coder: str | None = None,
    status: str = "default",
    data: AnalysisData | None = None,
) -> pd.DataFrame:
    """Exemplar quotes per code (and group), ranked and spread across interviews.

    Ranking: accepted/human codings before open proposals; then passages of readable length
    (25-90 words, longer ones trimmed to sentences around the hit); then more distinct rule hits.
    Selection then spreads: a transcript (and then an informant) already quoted for this code and
    group is used again only when no other interview has a candidate. Only the chosen quotes are
    trimmed and matched for highlights, so the cost is one pass over the codings.
    """
    import pandas as pd

    if per_group < 1:
        raise UsageError("--per-group must be at least 1")
    data = data or load_analysis_data(project, coder, status, keep_text=True)
    if not data.texts and data.coded:
        data = load_analysis_data(project, data.coder, data.status, keep_text=True)
    by, codes = list(dict.fromkeys(as_names(by))), as_names(codes)
    check_attributes(data, by)
    _warn_missing(data, by)
    codebook = project.codebook
    wanted = (
        select_codes(codebook, codes=codes)
        if codes
        else [c.id for c in codebook.codes if c.codable]
    )
    ranked = _rank_candidates(data, _rollup(codebook, wanted), by)
    groups = _group_order(data, by, project.config.declared_values) if by else [TOTAL]
    selection = [
        (code_id, group, _spread_select(ranked.get((code_id, group), []), per_group))
        for code_id in wanted
        for group in groups
    ]
    hits = _segment_hits(data, codebook, [p.unit for _, _, chosen in selection for p in chosen])
    records = []
    for code_id, group, chosen in selection:
        for rank, picked in enumerate(chosen, 1):
            cand = _candidate(data, picked, group, hits)
            meta = data.metadata.get(cand.transcript, {})
            informant_count = len(data.informants.get(cand.transcript, []))
            records.append(
                {
                    "code": code_id,
                    "name": codebook.get(code_id).name,
                    "group": group,
                    "rank": rank,
                    "quote": cand.quote,
                    "speaker": cand.speaker or "",
                    "role": cand.role or "",
                    "transcript": cand.transcript,
                    "segment": cand.segment,
                    "lines": f"{cand.line_start}-{cand.line_end}",
                    "partnership": meta.get(PARTNERSHIP_ATTR, ""),
                    "informant_role": speaker_role(meta, informant_count, cand.role),
                    "citation": citation(cand, meta, informant_count),
                    "status": cand.status,
                    "origin": cand.origin,
                    "rule_hits": cand.rule_hits,
                    "words": cand.words,
                    "score": cand.score,
                    "highlights": [list(span) for span in cand.highlights],
                }
            )
    columns = [
        "code", "name", "group", "rank", "quote", "speaker", "role", "transcript", "segment",
        "lines", "partnership", "informant_role", "citation", "status", "origin", "rule_hits",
        "words", "score", "highlights",
    ]  # fmt: skip
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame.attrs["caption"] = (
        f"Up to {per_group} quote(s) per code{' and group' if by else ''}; coder {data.coder!r}: "
        f"{_STATUS_TEXT[data.status]}."
    )
    return frame


def speaker_role(meta: Mapping[str, str], informant_count: int, role: str | None) -> str:
    """The informant role to cite: the transcript's `informant_roles` when it names one role, or
    when the interview has a single informant; empty when several informants share a list of
    roles, because which role belongs to whom is not recorded and a wrong one would be cited."""
    if role != "informant":
        return ""
    roles = [r.strip() for r in meta.get("informant_roles", "").split(";") if r.strip()]
    if len(roles) == 1 or (roles and informant_count <= 1):
        return "; ".join(roles)
    return ""


def citation(cand: QuoteCandidate, meta: Mapping[str, str], informant_count: int = 1) -> str:
    """`riverbend-health, Riverbend, Dana Okafor (director of community benefit), lines 12-14`."""
    parts = [cand.transcript]
    if meta.get(PARTNERSHIP_ATTR):
        parts.append(meta[PARTNERSHIP_ATTR])
    who = cand.speaker or cand.role or "informant"
    role = speaker_role(meta, informant_count, cand.role)
    if role:
        who += f" ({role})"
    parts.append(who)
    if cand.line_start == cand.line_end:
        parts.append(f"line {cand.line_start}")
    else:
        parts.append(f"lines {cand.line_start}-{cand.line_end}")
    return ", ".join(parts)


def _spread_select(cands: list[_Ranked], k: int) -> list[_Ranked]:
    """Best first, but prefer transcripts (then informants) not yet quoted."""
    pool = sorted(cands, key=_SELECTION_ORDER)
    chosen: list[_Ranked] = []
    used_transcripts: set[str] = set()
    used_speakers: set[tuple[str, str | None]] = set()
    while pool and len(chosen) < k:
        pick = next((c for c in pool if c.transcript not in used_transcripts), None)
        if pick is None:
            pick = next(
                (c for c in pool if (c.transcript, c.speaker) not in used_speakers), pool[0]
            )
        chosen.append(pick)
        used_transcripts.add(pick.transcript)
        used_speakers.add((pick.transcript, pick.speaker))
        pool.remove(pick)
    return chosen
