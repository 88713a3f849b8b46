"""Intercoder agreement on a project's codings, disagreement lists, and a consensus coder.

Units are segments. A coder has *reviewed* a segment when their file marks it reviewed (a session
moved past it, or `decide` touched it) or when they decided something on it (accepted, rejected or
added a code) and left no rule proposal open there. For a reviewed segment, a code is present when
the coder's coding of it is accepted, human-added, or still proposed (not rejected); absent
otherwise. Segments a coder has not reviewed are missing data for that coder (Krippendorff's alpha
handles them; they never count as "absent").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from qualcode.agreement import AgreementResult, code_agreement
from qualcode.diagnostics import did_you_mean
from qualcode.errors import QualcodeError, UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from qualcode.project import Project
    from qualcode.store import Coding, CodingsFile

Decisions = dict[str, dict[str, dict[str, bool]]]


def unit_id(transcript: str, segment: str) -> str:
    return f"{transcript}#{segment}"


def reviewed_segments(codings: CodingsFile) -> set[str]:
    """Segments marked reviewed, and those with a decision and no rule proposal left open.

    The second part is what a session's `q` leaves (see `qualcode.session`); a segment where
    one proposal was accepted and another is still open is not reviewed: the open one was
    never looked at, so counting it as applied would inflate agreement.
    """
    reviewed = {n.segment for n in codings.notes if n.reviewed and not n.stale}
    decided, still_open = set(), set()
    for c in codings.codings:
        if c.stale:
            continue
        if c.status != "proposed" or c.origin == "human":
            decided.add(c.segment)
        else:
            still_open.add(c.segment)
    return reviewed | (decided - still_open)


def coder_decisions(project: Project, coder: str) -> Decisions:
    """decisions[coder][unit][code] for the coder's reviewed segments (see module docstring)."""
    from qualcode.autocode import recoder
    from qualcode.store import EditedTranscripts, iter_codings

    units: dict[str, dict[str, bool]] = {}
    edited = EditedTranscripts(coder, recoder(project))
    known = set(project.corpus.ids)
    for codings in iter_codings(project, coder):
        if codings.transcript in known:
            tid = codings.transcript
            try:
                sha256 = project.corpus.sha256(tid)
                codings = edited.current(codings, sha256, partial(project.corpus.load, tid))
            except QualcodeError:  # unreadable now: `qualcode check` says so; the codings count
                pass
        reviewed = reviewed_segments(codings)
        for segment in reviewed:
            units[unit_id(codings.transcript, segment)] = {}
        for c in codings.codings:
            if c.segment in reviewed and c.status != "rejected" and not c.stale:
                units[unit_id(codings.transcript, c.segment)][c.code] = True
    edited.warn()
    return {coder: units}


def reviewing_coders(project: Project) -> list[str]:
    """The coders whose agreement means something: those who reviewed at least one segment.

    A rule-only coder (such as `auto`) would add only missing data, and a consensus built by
    `qualcode merge` agrees with its coders by construction, so both are left out.
    """
    from qualcode.store import is_consensus, iter_codings, list_coders

    return [
        coder
        for coder in list_coders(project)
        if not is_consensus(project, coder)
        and any(reviewed_segments(codings) for codings in iter_codings(project, coder))
    ]


def check_coders(project: Project, coders: Sequence[str], purpose: str = "agreement") -> list[str]:
    from qualcode.store import list_coders

    known = list_coders(project)
    coders = [c.strip() for c in coders if c.strip()]
    if len(coders) < 2:
        raise UsageError(
            f"{purpose} needs at least two coders",
            hint="pass --coders alice,bob"
            + (f" (coders here: {', '.join(known)})" if known else ""),
        )
    for coder in coders:
        if coder not in known:
            raise UsageError(
                f"no codings for coder {coder!r}{did_you_mean(coder, known)}",
                hint="coders with codings: " + (", ".join(known) or "(none)"),
            )
    if len(set(coders)) != len(coders):
        raise UsageError("a coder is listed twice in --coders")
    return coders


def project_agreement(
    project: Project, coders: Sequence[str], codes: Sequence[str] | None = None
) -> tuple[list[AgreementResult], list[str]]:
    """Per code (codebook order) and overall agreement; returns (results, codes reported)."""
    from qualcode.api import as_names

    coders, codes = check_coders(project, as_names(coders)), as_names(codes)
    decisions: Decisions = {}
    for coder in coders:
        decisions.update(coder_decisions(project, coder))
    codebook = project.codebook
    if codes:
        for code in codes:
            if code not in codebook:
                raise UsageError(f"unknown code {code!r}{did_you_mean(code, codebook.by_id)}")
            if not codebook.get(code).codable:  # nobody applies it: its alpha would say nothing
                inside = [c.id for c in codebook.descendants(code) if c.codable]
                raise UsageError(
                    f"{code!r} is a group (codable: false) that no coder applies; agreement is "
                    "per code applied",
                    hint="its codes: " + (", ".join(inside) or "(none)"),
                )
        reported = list(codes)
    else:
        reported = [c.id for c in codebook.codes if c.codable]
    return code_agreement(decisions, reported, coders), reported


def agreement_rows(results: Sequence[AgreementResult], project: Project) -> list[dict[str, Any]]:
    """Rows for tables: undefined statistics are None, and `note` says why (never NaN)."""
    from qualcode.analysis import percent_half_up

    rows = []
    for r in results:
        note = ""
        if r.n_units == 0:
            note = "no segment reviewed by two or more coders"
        elif r.alpha is None:
            note = "alpha undefined: no variation (e.g. nobody used the code)"
        rows.append(
            {
                "code": r.code or "(overall)",
                "name": project.codebook.get(r.code).name if r.code else "all codes pooled",
                "n_units": r.n_units,
                "percent": None if r.percent is None else percent_half_up(r.percent),
                "kappa": None if r.kappa is None else round(r.kappa, 3),
                "alpha": None if r.alpha is None else round(r.alpha, 3),
                "note": note,
            }
        )
    return rows


@dataclass(frozen=True)
class Disagreement:
    transcript: str
    segment: str
    code: str
    applied_by: tuple[str, ...]
    not_applied_by: tuple[str, ...]
    speaker: str
    lines: str
    text: str


def disagreements(
    project: Project, coders: Sequence[str], codes: Sequence[str] | None = None
) -> list[Disagreement]:
    """Each (segment, code) where coders who all reviewed the segment differ."""
    coders = check_coders(project, coders)
    for code in codes or ():
        if code not in project.codebook:
            raise UsageError(f"unknown code {code!r}{did_you_mean(code, project.codebook.by_id)}")
    decisions: Decisions = {}
    for coder in coders:
        decisions.update(coder_decisions(project, coder))
    wanted = set(codes) if codes else None
    common = set.intersection(*(set(decisions[c]) for c in coders))
    found = []
    transcripts: dict[str, Any] = {}
    for unit in sorted(common, key=_unit_sort_key):
        applied = {code for coder in coders for code in decisions[coder][unit]}
        for code in sorted(applied, key=_code_order(project)):
            if wanted is not None and code not in wanted:
                continue
            yes = tuple(c for c in coders if decisions[c][unit].get(code))
            if len(yes) == len(coders):
                continue
            transcript_id, segment_id = unit.split("#", 1)
            if transcript_id not in transcripts:
                transcripts[transcript_id] = project.corpus.load(transcript_id)
            t = transcripts[transcript_id]
            try:
                seg = t.segment(segment_id)
                text = " ".join(t.text[seg.start : seg.end].split())
                speaker, lines = seg.speaker or "", f"{seg.line_start}-{seg.line_end}"
            except KeyError:
                text, speaker, lines = "(segment no longer exists)", "", ""
            found.append(
                Disagreement(
                    transcript_id,
                    segment_id,
                    code,
                    yes,
                    tuple(c for c in coders if c not in yes),
                    speaker,
                    lines,
                    text,
                )
            )
    return found


def open_in(project: Project, coder: str) -> set[tuple[str, str, str]]:
    """(transcript, segment, code) of the coder's codings still proposed: for a consensus, the
    disagreements not yet resolved."""
    from qualcode.store import iter_codings

    return {
        (cf.transcript, c.segment, c.code)
        for cf in iter_codings(project, coder)
        for c in cf.codings
        if c.status == "proposed" and not c.stale
    }


def _unit_sort_key(unit: str) -> tuple[str, list[int]]:
    transcript, segment = unit.split("#", 1)
    return transcript, [int(part[1:]) for part in segment.split(".") if part[1:].isdigit()]


def _code_order(project: Project) -> Any:
    order = {c.id: i for i, c in enumerate(project.codebook.codes)}
    return lambda code: (order.get(code, len(order)), code)


@dataclass(frozen=True)
class MergeSummary:
    transcripts: int
    agreed: int
    disagreed: int
    still_open: int  # disagreements the consensus has not decided yet
    skipped_segments: int


_AGREED = "agreed: "
_DISAGREED = "disagreement: applied by "


def made_by_merge(coding: Coding) -> bool:
    """Whether `qualcode merge` wrote this record (whatever the consensus did with it since)."""
    return coding.origin == "human" and coding.memo.startswith((_AGREED, _DISAGREED))


def _coders_memos(memo: str, coders: Sequence[str]) -> bool:
    """Whether a segment memo is only what merge writes: `alice: ...; bob: ...`."""
    return bool(memo) and all(
        part.startswith(tuple(f"{c}: " for c in coders)) for part in memo.split("; ")
    )


def _as_merged(coding: Coding) -> bool:
    """Whether a consensus record is as `merge` wrote it: accepted as agreed, or an open
    disagreement, with merge's memo. Anything else was decided in the consensus."""
    if coding.origin != "human" or coding.quote:  # merge writes no quote: a narrowed span
        return False
    if coding.status == "accepted":
        return coding.memo.startswith(_AGREED)
    return coding.status == "proposed" and coding.memo.startswith(_DISAGREED)


def _decided_in_consensus(old: Coding, new: Coding) -> bool:
    """Keep `old` over what merge computes now? Yes when the consensus changed it: another
    status, its own memo, or text added after merge's memo. A record still as merged is redone,
    so a coder's change of mind or memo reaches the consensus."""
    if not _as_merged(old):
        return True
    return old.status == new.status and old.memo != new.memo and old.memo.startswith(new.memo)


def merge_coders(project: Project, coders: Sequence[str], into: str) -> MergeSummary:
    """Build coder `into` from `coders`: agreements accepted, disagreements left open to resolve.

    Only segments every coder reviewed are merged. A code all coders applied becomes an accepted
    human coding; a code some applied becomes a proposal whose memo says who applied it, to resolve
    in `qualcode session --coder <into>` or with `qualcode decide`. Running merge again keeps every
    decision already made in the consensus file.
    """
    from qualcode.store import acquire_lock, codings_path, release_lock, validate_coder_name

    coders = check_coders(project, coders, "merging")
    validate_coder_name(into)
    if into in coders:
        raise UsageError(
            f"--into {into!r} is one of the merged coders", hint="use e.g. --into consensus"
        )
    ids = [
        tid
        for tid in project.corpus.ids
        if all(codings_path(project, c, tid).exists() for c in coders)
    ]
    made = [d for d in (project.codings_dir / into,) if not d.exists()]
    locks: list[Path] = []
    try:  # a session of the consensus holds its file in memory and would write over the merge
        for tid in ids:
            locks.append(acquire_lock(project, into, tid)[0])
        return _merge(project, coders, into, ids)
    finally:
        for lock in locks:
            release_lock(lock)
        for folder in made:  # an empty coder folder would look like a coder
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def _merge(project: Project, coders: list[str], into: str, ids: list[str]) -> MergeSummary:
    from qualcode.store import (
        Coding,
        CodingsFile,
        SegmentNote,
        anchor_of,
        read_codings,
        write_codings,
    )

    agreed = disagreed = still_open = skipped = 0
    files = 0
    for transcript_id in ids:
        per_coder = {c: read_codings(project, c, transcript_id) for c in coders}
        if any(cf is None for cf in per_coder.values()):
            continue
        transcript = project.corpus.load(transcript_id)
        reviewed = set.intersection(*(reviewed_segments(cf) for cf in per_coder.values() if cf))
        all_reviewed = set.union(*(reviewed_segments(cf) for cf in per_coder.values() if cf))
        skipped += len(all_reviewed - reviewed)
        existing = read_codings(project, into, transcript_id)
        previous: dict[tuple[str, str], list[Coding]] = {}
        for c in existing.codings if existing else []:  # every record: none is lost
            previous.setdefault((c.code, c.segment), []).append(c)
        codings: list[Coding] = []
        notes: list[SegmentNote] = []
        for seg in transcript.segments:
            if seg.id not in reviewed:
                continue
            applied: dict[str, list[tuple[str, Coding]]] = {}
            for coder, cf in per_coder.items():
                for c in cf.codings if cf else []:
                    if c.segment == seg.id and c.status != "rejected" and not c.stale:
                        applied.setdefault(c.code, []).append((coder, c))
            open_here = False
            for code, found in sorted(applied.items()):
                by = sorted({coder for coder, _ in found})
                # the coders' own span (a selection within the segment), memos and rules are kept
                start = min(c.start for _, c in found)
                end = max(c.end for _, c in found)
                memos = "".join(f"; {coder}: {c.memo}" for coder, c in found if c.memo)
                if len(by) == len(coders):
                    status, memo = "accepted", f"{_AGREED}{', '.join(by)}{memos}"
                    agreed += 1
                else:
                    others = [c for c in coders if c not in by]
                    status = "proposed"
                    memo = f"{_DISAGREED}{', '.join(by)}; not by {', '.join(others)}{memos}"
                    disagreed += 1
                coding = Coding(
                    code,
                    seg.id,
                    start,
                    end,
                    origin="human",
                    status=status,
                    rules=tuple(sorted({r for _, c in found for r in c.rules})),
                    memo=memo,
                    anchor=anchor_of(transcript.text[start:end]),
                )
                olds = previous.pop((code, seg.id), [])
                decided = next(
                    (o for o in olds if not o.stale and _decided_in_consensus(o, coding)), None
                )
                if decided is not None:
                    coding = decided  # a re-run never undoes what the consensus decided
                # the consensus's other records stay: a stale decision (its text was edited),
                # a span it narrowed, a copy a git merge kept; only merge's own are redone
                codings += [o for o in olds if o is not decided and (o.stale or not _as_merged(o))]
                if coding.status == "proposed":
                    open_here = True
                    still_open += 1
                codings.append(coding)
            seg_memos = [
                f"{coder}: {n.memo}"
                for coder, cf in per_coder.items()
                for n in (cf.notes if cf else [])
                if n.segment == seg.id and n.memo and not n.stale
            ]
            # the consensus's own segment memo is kept; one an earlier merge wrote from the
            # coders' memos is written anew, so a coder's revised memo reaches it
            kept = [
                n.memo
                for n in (existing.notes if existing else [])
                if n.segment == seg.id and not _coders_memos(n.memo, coders)
            ]
            memo = next((m for m in kept if m), "; ".join(seg_memos))
            notes.append(SegmentNote(seg.id, seg.start, seg.end, not open_here, memo))
        # What the consensus added or decided that this merge does not produce is kept, and so
        # is everything outside the segments merged now; only merge's own records are redone.
        codings += [
            c
            for olds in previous.values()
            for c in olds
            if c.segment not in reviewed or c.stale or not _as_merged(c)
        ]
        merged_here = {n.segment for n in notes}
        notes += [n for n in (existing.notes if existing else []) if n.segment not in merged_here]
        if not reviewed and existing is None:
            continue
        merged = CodingsFile(
            transcript_id, into, transcript.sha256, codings, notes, merged_from=tuple(coders)
        )
        write_codings(project, merged)
        files += 1
    return MergeSummary(files, agreed, disagreed, still_open, skipped)
