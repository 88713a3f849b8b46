"""Human coding: what a coder decides about rule proposals, and the state of a coding session.

Two layers, both free of any terminal code so they can be tested (and scripted) without a screen:

- Pure decisions on one segment. `SegmentRecords` holds a segment's codings and its note;
  `accept_code`, `reject_code`, `add_code`, `remove_code`, `set_memo` and `set_reviewed` return a new
  `SegmentRecords` or raise `DecisionError`. `qualcode decide` (qualcode.decisions) and the session
  share them, so a decision means the same thing whether typed or scripted.
- `SessionState`, the model the full-screen UI (qualcode.tui) drives: which transcript and segment is
  shown, the coder's codings per transcript, undo/redo. Every decision is written at once and
  atomically (store.write_codings), so killing the program loses at most the keypress in flight.

What the decisions mean:

- accept / reject set the status of a coding on the segment (a rule proposal, usually); there must be
  one.
- add applies a code the rules missed (origin `human`, accepted). Adding a code the rules proposed
  accepts the proposal. With a span smaller than the segment the coding covers just that text (and
  keeps a `quote` so it can follow its text when the transcript is edited).
- remove deletes a code the coder added; a rule proposal cannot be deleted (`qualcode code` would
  propose it again), so removing one rejects it, which is what sticks.
- A segment is reviewed when the coder explicitly marks it, or leaves it with nothing left to decide
  (no open proposal) after deciding something on it or by moving on with next / next-unreviewed.
  Reopening a session resumes at the first segment not reviewed.

Segments shown: informant turns (the interviewer's questions appear as context lines around them),
plus any other segment that already carries codings or a note, so nothing coded is ever hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.diagnostics import did_you_mean
from qualcode.errors import UsageError
from qualcode.store import (
    Coding,
    CodingsFile,
    SegmentNote,
    acquire_lock,
    anchor_of,
    read_codings,
    release_lock,
    validate_coder_name,
    write_codings,
)
from qualcode.transcripts import INTERVIEWER

if TYPE_CHECKING:
    from qualcode.codebook.model import Code, Codebook, Rule
    from qualcode.engine import Hit, Matcher
    from qualcode.project import Project
    from qualcode.transcripts import Segment, Transcript

ACTIONS: tuple[str, ...] = ("accept", "reject", "add", "remove", "memo")


class DecisionError(UsageError):
    """A decision that does not fit the segment (accepting a code that was never proposed...)."""


# -- one segment's records and the pure decisions on them -----------------------------------------


@dataclass(frozen=True)
class SegmentRecords:
    """Everything one coder recorded about one segment: its codings (by code id) and its note."""

    segment_id: str
    start: int
    end: int
    codings: tuple[Coding, ...] = ()
    note: SegmentNote | None = None

    def find(self, code_id: str) -> Coding | None:
        return next((c for c in self.codings if c.code == code_id), None)

    @property
    def pending(self) -> tuple[Coding, ...]:
        """Proposals nobody has decided on yet."""
        return tuple(c for c in self.codings if c.status == "proposed")

    @property
    def reviewed(self) -> bool:
        return bool(self.note and self.note.reviewed)

    @property
    def memo(self) -> str:
        return self.note.memo if self.note else ""

    def with_coding(self, old: Coding | None, new: Coding | None) -> SegmentRecords:
        """Replace `old` by `new` (either may be None: add or delete), keeping code order."""
        codings = [c for c in self.codings if c is not old]
        if new is not None:
            codings.append(new)
        codings.sort(key=lambda c: (c.code, c.start, c.end))
        return replace(self, codings=tuple(codings))

    def with_note(self, reviewed: bool, memo: str) -> SegmentRecords:
        if not reviewed and not memo:
            return replace(self, note=None)
        return replace(
            self, note=SegmentNote(self.segment_id, self.start, self.end, reviewed, memo)
        )


def records_of(codings: CodingsFile, segment: Segment) -> SegmentRecords:
    """The records of one segment of a codings file (several notes, if any, are merged)."""
    found = sorted(
        (c for c in codings.codings if c.segment == segment.id),
        key=lambda c: (c.code, c.start, c.end),
    )
    notes = [n for n in codings.notes if n.segment == segment.id and not n.stale]
    note = None
    if notes:
        memo = "\n".join(n.memo for n in notes if n.memo)
        note = SegmentNote(
            segment.id, segment.start, segment.end, any(n.reviewed for n in notes), memo
        )
    return SegmentRecords(segment.id, segment.start, segment.end, tuple(found), note)


def with_records(codings: CodingsFile, records: SegmentRecords) -> CodingsFile:
    """A copy of the codings file with one segment's records replaced."""
    kept = [c for c in codings.codings if c.segment != records.segment_id]
    notes = [n for n in codings.notes if n.segment != records.segment_id or n.stale]
    if records.note is not None:
        notes.append(records.note)
    return CodingsFile(
        codings.transcript,
        codings.coder,
        codings.sha256,
        kept + list(records.codings),
        notes,
        codings.merged_from,
    )


def _needs(records: SegmentRecords, code_id: str, verb: str) -> Coding:
    coding = records.find(code_id)
    if coding is None:
        on_segment = ", ".join(c.code for c in records.codings) or "none"
        raise DecisionError(
            f"cannot {verb} {code_id!r}: it is not on segment {records.segment_id} "
            f"(codes there: {on_segment})",
            hint="use `add` to apply a code the rules did not propose",
        )
    return coding


def accept_code(records: SegmentRecords, code_id: str) -> SegmentRecords:
    coding = _needs(records, code_id, "accept")
    return records.with_coding(coding, replace(coding, status="accepted"))


def reject_code(records: SegmentRecords, code_id: str) -> SegmentRecords:
    coding = _needs(records, code_id, "reject")
    return records.with_coding(coding, replace(coding, status="rejected"))


def add_code(
    records: SegmentRecords, code_id: str, text: str, span: tuple[int, int] | None = None
) -> SegmentRecords:
    """Apply a code to the segment (or to `span`, absolute offsets inside it) as accepted.

    `text` is the whole transcript text (offsets index into it).
    """
    start, end = span if span is not None else (records.start, records.end)
    if not (records.start <= start < end <= records.end):
        raise DecisionError(
            f"span {start}-{end} is not inside segment {records.segment_id} "
            f"({records.start}-{records.end})",
            hint="start and end are offsets into the transcript text, end exclusive",
        )
    if span is not None:  # a selection's edges often catch a space or a line break: not quoted
        selected = text[start:end]
        start, end = start + len(selected) - len(selected.lstrip()), start + len(selected.rstrip())
        if start >= end:
            raise DecisionError(
                f"span {span[0]}-{span[1]} in segment {records.segment_id} holds only whitespace",
                hint="start and end are offsets into the transcript text, end exclusive",
            )
    whole = (start, end) == (records.start, records.end)
    coded_text = text[start:end]
    existing = records.find(code_id)
    if existing is not None and span is None:
        return records.with_coding(existing, replace(existing, status="accepted"))
    new = Coding(
        code=code_id,
        segment=records.segment_id,
        start=start,
        end=end,
        origin="human",
        status="accepted",
        rules=existing.rules if existing else (),
        memo=existing.memo if existing else "",
        anchor=anchor_of(coded_text),
        quote="" if whole else coded_text,
    )
    if existing is not None and whole and existing.origin == "rule":
        new = replace(existing, status="accepted")
    return records.with_coding(existing, new)


def remove_code(records: SegmentRecords, code_id: str) -> SegmentRecords:
    """Delete a code the coder added; a rule proposal is rejected instead (see module docs), and
    so is a consensus record `qualcode merge` made: deleted, the next merge would bring it back
    (found by a helper)."""
    from qualcode.intercoder import made_by_merge

    coding = _needs(records, code_id, "remove")
    if coding.origin == "human" and not made_by_merge(coding):
        return records.with_coding(coding, None)
    return records.with_coding(coding, replace(coding, status="rejected"))


def set_memo(records: SegmentRecords, memo: str, code_id: str | None = None) -> SegmentRecords:
    """A memo on one coding of the segment, or (no code) on the segment itself."""
    memo = memo.strip()
    if code_id:
        coding = _needs(records, code_id, "write a memo on")
        return records.with_coding(coding, replace(coding, memo=memo))
    return records.with_note(records.reviewed, memo)


def set_reviewed(records: SegmentRecords, reviewed: bool = True) -> SegmentRecords:
    return records.with_note(reviewed, records.memo)


def reviewed_ids(codings: CodingsFile) -> set[str]:
    return {n.segment for n in codings.notes if n.reviewed and not n.stale}


def session_segments(transcript: Transcript, codings: CodingsFile | None) -> list[Segment]:
    """The segments a session steps through (see module docs); never empty."""
    marked = set()
    if codings is not None:
        marked = {c.segment for c in codings.codings} | {n.segment for n in codings.notes}
    shown = [
        s
        for s in transcript.segments
        if (s.role is not None and s.role != INTERVIEWER) or s.id in marked
    ]
    return shown or list(transcript.segments)


def search_codes(codebook: Codebook, query: str, limit: int = 8) -> list[Code]:
    """Codable codes ranked by fuzzy similarity of `query` to their name or id (best first).

    rapidfuzz's WRatio copes with typos, partial words and word order; an exact prefix of the id or
    name wins ties, so typing the start of a code always brings it up first.
    """
    from rapidfuzz import fuzz, utils

    codes = codebook.codable
    query = query.strip()
    if not query:
        return codes[:limit]
    folded = query.casefold()
    scored = []
    for order, code in enumerate(codes):
        score = max(
            fuzz.WRatio(query, code.name, processor=utils.default_process),
            fuzz.WRatio(query, code.id, processor=utils.default_process),
        )
        prefix = code.id.startswith(folded) or code.name.casefold().startswith(folded)
        if score >= 50 or prefix:
            scored.append((-(score + (10 if prefix else 0)), order, code))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [code for _, _, code in scored[:limit]]


# -- the session ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One undoable decision: a segment's records before and after."""

    transcript: str
    segment: str
    label: str
    before: SegmentRecords
    after: SegmentRecords


@dataclass(frozen=True)
class CodeRow:
    """One code on the shown segment, as the UI lists it."""

    code: str
    name: str
    status: str
    origin: str
    memo: str
    rules: tuple[str, ...]
    matched: tuple[str, ...]
    span: tuple[int, int] | None
    stale: bool
    known: bool


class SessionState:
    """A coder working through transcripts; open with `SessionState.open`, always `close()`.

    While a transcript is shown its lock (store.acquire_lock) is held, so a second session of the same
    coder on it fails with StoreError; other coders are never blocked (they have their own files).
    """

    def __init__(
        self, project: Project, coder: str, transcript_ids: Sequence[str], matcher: Matcher
    ) -> None:
        self.project = project
        self.coder = validate_coder_name(coder)
        self.transcript_ids = list(transcript_ids)
        self.matcher = matcher
        self.files: dict[str, CodingsFile] = {}
        self.undo_stack: list[Change] = []
        self.redo_stack: list[Change] = []
        self.notices: list[str] = []
        self.transcript: Transcript | None = None
        self.segments: list[Segment] = []
        self.index = 0
        self._hits: dict[str, list[Hit]] = {}
        self._rules: dict[str, Rule] = {r.id: r for r in project.codebook.rules}
        self._lock: Path | None = None
        self._touched = False

    # -- opening and closing ----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        project: Project,
        coder: str,
        transcript_ids: Iterable[str] | None = None,
        *,
        matcher: Matcher | None = None,
    ) -> SessionState:
        """Open a session on the given transcripts (default: all), at the first unreviewed segment."""
        from qualcode.engine import compile_rules

        ids = list(dict.fromkeys(transcript_ids or project.corpus.ids))
        if not ids:
            raise UsageError(
                "the project has no transcripts to code",
                hint="put .txt files in the transcripts folder",
            )
        for transcript_id in ids:
            project.corpus.file(transcript_id)  # unknown id -> UsageError with did-you-mean
        state = cls(project, coder, ids, matcher or compile_rules(project.codebook))
        try:
            state._resume()
        except BaseException:
            state.close()
            raise
        return state

    def close(self) -> None:
        """Release the lock of the shown transcript (idempotent)."""
        if self._lock is not None:
            release_lock(self._lock)
            self._lock = None

    def __enter__(self) -> SessionState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def take_notices(self) -> list[str]:
        """Messages for the user (stale lock cleared, rules run...) since the last call."""
        notices, self.notices = self.notices, []
        return notices

    def _resume(self) -> None:
        for transcript_id in self.transcript_ids:
            if self._has_unreviewed(transcript_id):
                self._enter(transcript_id)
                self.index = self._first_unreviewed(0) or 0
                return
        self._enter(self.transcript_ids[0])
        self.index = 0
        self.notices.append("every segment is reviewed; nothing left to do (q quits)")

    def _has_unreviewed(self, transcript_id: str) -> bool:
        codings = read_codings(self.project, self.coder, transcript_id)
        if codings is None:
            return True
        done = reviewed_ids(codings)
        segments = session_segments(self.project.corpus.load(transcript_id), codings)
        return any(s.id not in done for s in segments)

    def _load(self, transcript_id: str) -> tuple[Transcript, CodingsFile]:
        """The transcript and the coder's codings, running the rules first when there are none yet
        (or the transcript changed since: that re-anchors the codings, like `qualcode code`)."""
        from qualcode.autocode import code_one

        transcript = self.project.corpus.load(transcript_id)
        codings = read_codings(self.project, self.coder, transcript_id)
        if codings is None or codings.sha256 != transcript.sha256:
            fresh = codings is None
            result = code_one(self.project, self.matcher, transcript_id, self.coder)
            if result.error is not None:
                raise result.error
            codings = read_codings(self.project, self.coder, transcript_id)
            assert codings is not None
            if fresh:
                self.notices.append(
                    f"ran the rules on {transcript_id}: {result.proposals} proposals to review"
                )
            else:
                report = result.report
                self.notices.append(
                    f"{transcript_id} was edited since it was coded: codings re-anchored "
                    f"({report.reanchored} moved, {report.stale} stale)"
                )
        return transcript, codings

    def _enter(self, transcript_id: str) -> None:
        """Show another transcript: lock it first, then let go of the previous one."""
        if self.transcript is not None and self.transcript.id == transcript_id:
            return
        lock, cleared = acquire_lock(self.project, self.coder, transcript_id)
        try:
            transcript, codings = self._load(transcript_id)
        except BaseException:
            release_lock(lock)
            raise
        if cleared:
            self.notices.append(cleared)
        previous, self._lock = self._lock, lock
        if previous is not None:
            release_lock(previous)
        from qualcode.engine import segment_views

        self.transcript = transcript
        self.files[transcript_id] = codings
        self.segments = session_segments(transcript, codings)
        views = segment_views(transcript.segments)
        hits = self.matcher.match(transcript.text, views)
        self._hits = {s.id: h for s, h in zip(transcript.segments, hits, strict=True)}
        self.index = 0
        self._touched = False

    # -- what is shown --------------------------------------------------------------------------

    @property
    def transcript_id(self) -> str:
        assert self.transcript is not None, "session is not open"
        return self.transcript.id

    @property
    def codings(self) -> CodingsFile:
        return self.files[self.transcript_id]

    @property
    def segment(self) -> Segment:
        return self.segments[self.index]

    def segment_text(self, segment: Segment | None = None) -> str:
        segment = segment or self.segment
        assert self.transcript is not None
        return self.transcript.text[segment.start : segment.end]

    def records(self) -> SegmentRecords:
        return records_of(self.codings, self.segment)

    def context(self) -> tuple[Segment | None, Segment | None]:
        """The transcript's segments just before and after the shown one (any speaker)."""
        assert self.transcript is not None
        all_segments = self.transcript.segments
        at = next(i for i, s in enumerate(all_segments) if s.id == self.segment.id)
        before = all_segments[at - 1] if at > 0 else None
        after = all_segments[at + 1] if at + 1 < len(all_segments) else None
        return before, after

    def hits(self) -> list[Hit]:
        """Rule hits in the shown segment (offsets into the transcript text)."""
        return self._hits.get(self.segment.id, [])

    def rule(self, rule_id: str) -> Rule | None:
        return self._rules.get(rule_id)

    def rows(self) -> list[CodeRow]:
        """The codes on the shown segment, with the rule(s) and words behind each proposal."""
        codebook = self.project.codebook
        text = self.transcript.text if self.transcript else ""
        rows = []
        for coding in self.records().codings:
            code = codebook.by_id.get(coding.code)
            matched = tuple(
                dict.fromkeys(
                    text[h.start : h.end] for h in self.hits() if h.rule_id in coding.rules
                )
            )
            whole = (coding.start, coding.end) == (self.segment.start, self.segment.end)
            rows.append(
                CodeRow(
                    code=coding.code,
                    name=code.name if code else coding.code,
                    status=coding.status,
                    origin=coding.origin,
                    memo=coding.memo,
                    rules=coding.rules,
                    matched=matched,
                    span=None if whole else (coding.start, coding.end),
                    stale=coding.stale,
                    known=code is not None,
                )
            )
        return rows

    def progress(self) -> tuple[int, int]:
        """(reviewed, shown) segments of the current transcript."""
        done = reviewed_ids(self.codings)
        return sum(s.id in done for s in self.segments), len(self.segments)

    # -- decisions ------------------------------------------------------------------------------

    def _write(self, records: SegmentRecords) -> None:
        """Save at once: the whole file is rewritten atomically (temp file, fsync, rename)."""
        updated = with_records(self.codings, records)
        write_codings(self.project, updated)
        self.files[self.transcript_id] = updated

    def _commit(self, after: SegmentRecords, label: str) -> str:
        before = self.records()
        self._touched = True
        if after == before:
            return f"{label} (no change)"
        self._write(after)
        self.undo_stack.append(Change(self.transcript_id, self.segment.id, label, before, after))
        self.redo_stack.clear()
        return label

    def _require_code(self, code_id: str) -> Code:
        codebook = self.project.codebook
        code = codebook.by_id.get(code_id)
        if code is None:
            raise UsageError(f"unknown code {code_id!r}{did_you_mean(code_id, codebook.by_id)}")
        if not code.codable:
            raise UsageError(
                f"code {code_id!r} is a category (codable: false) and cannot be applied",
                hint="pick one of its children",
            )
        return code

    def accept(self, code_id: str) -> str:
        return self._commit(accept_code(self.records(), code_id), f"accepted {code_id}")

    def reject(self, code_id: str) -> str:
        return self._commit(reject_code(self.records(), code_id), f"rejected {code_id}")

    def add(self, code_id: str, span: tuple[int, int] | None = None) -> str:
        self._require_code(code_id)
        assert self.transcript is not None
        after = add_code(self.records(), code_id, self.transcript.text, span)
        return self._commit(after, f"added {code_id}")

    def remove(self, code_id: str) -> str:
        coding = self.records().find(code_id)
        verb = "removed" if coding is not None and coding.origin == "human" else "rejected"
        return self._commit(remove_code(self.records(), code_id), f"{verb} {code_id}")

    def memo(self, text: str, code_id: str | None = None) -> str:
        target = code_id or f"segment {self.segment.id}"
        return self._commit(set_memo(self.records(), text, code_id), f"memo on {target} saved")

    def mark_reviewed(self, reviewed: bool = True) -> str:
        label = f"segment {self.segment.id} marked {'reviewed' if reviewed else 'not reviewed'}"
        return self._commit(set_reviewed(self.records(), reviewed), label)

    # -- moving around --------------------------------------------------------------------------

    def _leave(self, forward: bool) -> None:
        """Mark the shown segment reviewed when the coder moves on with nothing left to decide."""
        records = self.records()
        if records.reviewed or records.pending:
            return
        if forward or self._touched:
            self._write(set_reviewed(records))

    def _goto(self, transcript_id: str, segment_id: str, *, forward: bool = False) -> None:
        self._leave(forward)
        self._enter(transcript_id)
        self.index = next((i for i, s in enumerate(self.segments) if s.id == segment_id), 0)
        self._touched = False

    def next_segment(self) -> bool:
        """Move to the next segment; False (staying put) at the last one."""
        if self.index + 1 >= len(self.segments):
            self._leave(forward=True)
            self._touched = False
            self.notices.append(
                f"last segment of {self.transcript_id}: t opens the next transcript"
            )
            return False
        self._goto(self.transcript_id, self.segments[self.index + 1].id, forward=True)
        return True

    def prev_segment(self) -> bool:
        if self.index == 0:
            self.notices.append(f"first segment of {self.transcript_id}")
            return False
        self._goto(self.transcript_id, self.segments[self.index - 1].id)
        return True

    def _first_unreviewed(self, start: int, stop: int | None = None) -> int | None:
        done = reviewed_ids(self.codings)
        for i in range(start, len(self.segments) if stop is None else stop):
            if self.segments[i].id not in done:
                return i
        return None

    def _others(self) -> list[str]:
        """The other transcripts, in order, starting after the shown one."""
        at = self.transcript_ids.index(self.transcript_id)
        return self.transcript_ids[at + 1 :] + self.transcript_ids[:at]

    def next_unreviewed(self) -> bool:
        """Go to the next unreviewed segment, here or in the following transcripts (wrapping)."""
        self._leave(forward=True)
        self._touched = False
        here = self._first_unreviewed(self.index + 1)
        if here is not None:
            self._goto(self.transcript_id, self.segments[here].id)
            return True
        for transcript_id in self._others():
            if self._has_unreviewed(transcript_id):
                self._enter(transcript_id)
                self.index = self._first_unreviewed(0) or 0
                return True
        earlier = self._first_unreviewed(0, self.index)
        if earlier is not None:
            self._goto(self.transcript_id, self.segments[earlier].id)
            return True
        if self.segment.id not in reviewed_ids(self.codings):
            self.notices.append("this is the last unreviewed segment")
            return False
        self.notices.append("every segment is reviewed")
        return False

    def next_transcript(self) -> bool:
        """Show the next transcript (wrapping), at its first unreviewed segment."""
        if len(self.transcript_ids) == 1:
            self.notices.append("this session has only one transcript")
            return False
        target = self._others()[0]
        self._leave(forward=False)
        self._enter(target)
        self.index = self._first_unreviewed(0) or 0
        return True

    def go_to_transcript(self, query: str) -> bool:
        """Show the transcript whose id is `query`, or the only one whose id contains it."""
        wanted = query.strip()
        found = [t for t in self.transcript_ids if t == wanted] or [
            t for t in self.transcript_ids if wanted.casefold() in t.casefold()
        ]
        if len(found) != 1 or not wanted:
            shown = ", ".join(found[:5]) + (" ..." if len(found) > 5 else "")
            self.notices.append(
                f"{len(found)} transcripts match {wanted!r}" + (f": {shown}" if found else "")
            )
            return False
        if found[0] != self.transcript_id:
            self._leave(forward=False)
            self._enter(found[0])
            self.index = self._first_unreviewed(0) or 0
        return True

    def search(self, query: str) -> bool:
        """Go to the next segment whose text contains `query` (case-insensitive, any spacing)."""
        needle = " ".join(query.split()).casefold()
        if not needle:
            return False
        assert self.transcript is not None

        def contains(transcript: Transcript, segment: Segment) -> bool:
            words = transcript.text[segment.start : segment.end].split()
            return needle in " ".join(words).casefold()

        for segment in self.segments[self.index + 1 :]:
            if contains(self.transcript, segment):
                self._goto(self.transcript_id, segment.id)
                return True
        for transcript_id in self._others():
            transcript = self.project.corpus.load(transcript_id)
            codings = read_codings(self.project, self.coder, transcript_id)
            for segment in session_segments(transcript, codings):
                if contains(transcript, segment):
                    self._goto(transcript_id, segment.id)
                    return True
        for segment in self.segments[: self.index]:
            if contains(self.transcript, segment):
                self._goto(self.transcript_id, segment.id)
                return True
        self.notices.append(f"{query!r} not found")
        return False

    # -- undo / redo ----------------------------------------------------------------------------

    def _restore(self, change: Change, records: SegmentRecords) -> None:
        self._goto(change.transcript, change.segment)
        self._write(records)
        self._touched = True

    def undo(self) -> str | None:
        """Take back the last decision (showing its segment); None when there is nothing to undo."""
        if not self.undo_stack:
            return None
        change = self.undo_stack[-1]
        self._restore(change, change.before)
        self.redo_stack.append(self.undo_stack.pop())
        return f"undid: {change.label}"

    def redo(self) -> str | None:
        if not self.redo_stack:
            return None
        change = self.redo_stack[-1]
        self._restore(change, change.after)
        self.undo_stack.append(self.redo_stack.pop())
        return f"redid: {change.label}"
