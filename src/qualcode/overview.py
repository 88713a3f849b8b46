"""What `qualcode transcripts` and `qualcode show` display, as plain data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from qualcode.diagnostics import did_you_mean
from qualcode.errors import QualcodeError, UsageError

if TYPE_CHECKING:
    from qualcode.project import Project

COUNT_COLUMNS = ("speakers", "interviewers", "turns", "words")


def transcript_rows(
    project: Project, *, compact: bool = False, errors: list[QualcodeError] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per transcript: id, metadata columns (first-seen order), speakers, interviewers, turns,
    words.

    `compact` keeps only the metadata attributes declared in qualcode.yaml (for an 80-column table).
    With `errors`, a transcript that cannot be read is added there and left out, so one bad file
    does not hide the others; without it, the error is raised.
    """
    rows = []
    meta_columns: dict[str, None] = {}
    for transcript_id in project.corpus.ids:
        try:
            transcript = project.corpus.load(transcript_id)
        except QualcodeError as exc:
            if errors is None:
                raise
            errors.append(exc)
            continue
        for key in transcript.metadata:
            meta_columns.setdefault(key, None)
        rows.append(
            {
                **transcript.metadata,
                "id": transcript.id,  # after: a front matter `id:` must not rename the row
                "speakers": "; ".join(transcript.speakers),
                "interviewers": "; ".join(transcript.interviewers),
                "turns": sum(1 for t in transcript.turns if t.speaker),
                "words": transcript.words,
            }
        )
    if compact and project.config.declared_values:
        meta_columns = {k: None for k in meta_columns if k in project.config.declared_values}
    columns = ["id", *meta_columns, *COUNT_COLUMNS]
    return rows, columns


@dataclass(frozen=True)
class HitView:
    start: int
    end: int
    rule: str
    code: str
    text: str


@dataclass(frozen=True)
class CodingView:
    code: str
    name: str
    color: str | None
    status: str
    origin: str
    rules: tuple[str, ...]
    memo: str
    start: int
    end: int
    stale: bool = False


@dataclass(frozen=True)
class SegmentViewData:
    id: str
    speaker: str | None
    role: str | None
    line_start: int
    line_end: int
    start: int
    end: int
    text: str
    codings: tuple[CodingView, ...] = ()
    hits: tuple[HitView, ...] = ()


@dataclass(frozen=True)
class TranscriptView:
    id: str
    path: str
    coder: str
    metadata: dict[str, str]
    segments: tuple[SegmentViewData, ...]
    rule_text: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def transcript_view(
    project: Project, transcript_id: str, coder: str, code_ids: Sequence[str] | None = None
) -> TranscriptView:
    """Segments of one transcript with the coder's codings and the rule hits behind them."""
    from qualcode.engine import compile_rules, segment_views
    from qualcode.store import read_codings

    codebook = project.codebook
    for code_id in code_ids or ():
        if code_id not in codebook:
            raise UsageError(
                f"unknown code {code_id!r}{did_you_mean(code_id, codebook.by_id)}",
                hint="`qualcode codebook tree` lists the codes",
            )
    wanted = set(code_ids) if code_ids else None
    if wanted is not None:
        for code_id in list(wanted):
            wanted.update(c.id for c in codebook.descendants(code_id))
    transcript = project.corpus.load(transcript_id)
    codings = read_codings(project, coder, transcript_id)
    by_segment: dict[str, list[CodingView]] = {}
    for c in codings.codings if codings else []:
        if wanted is not None and c.code not in wanted:
            continue
        code = codebook.by_id.get(c.code)
        by_segment.setdefault(c.segment, []).append(
            CodingView(
                c.code,
                code.name if code else c.code,
                code.color if code else None,
                c.status,
                c.origin,
                c.rules,
                c.memo,
                c.start,
                c.end,
                c.stale,
            )
        )
    matcher = compile_rules(codebook)
    views = segment_views(transcript.segments)
    hits = matcher.match(transcript.text, views)
    segments = []
    for seg, seg_hits in zip(transcript.segments, hits, strict=True):
        shown_hits = tuple(
            HitView(h.start, h.end, h.rule_id, h.code_id, transcript.text[h.start : h.end])
            for h in seg_hits
            if wanted is None or h.code_id in wanted
        )
        segments.append(
            SegmentViewData(
                seg.id,
                seg.speaker,
                seg.role,
                seg.line_start,
                seg.line_end,
                seg.start,
                seg.end,
                transcript.text[seg.start : seg.end],
                tuple(by_segment.get(seg.id, ())),
                shown_hits,
            )
        )
    rule_text = {rule.id: rule.describe() for rule in codebook.rules}
    return TranscriptView(
        transcript.id, transcript.path, coder, dict(transcript.metadata), tuple(segments), rule_text
    )
