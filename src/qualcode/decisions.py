"""`qualcode decide`: apply a coder's decisions from a CSV or YAML file, all or nothing.

The scripted twin of `qualcode session`, for coders who review in a spreadsheet, for scripts and for
tests. Each row says what to do with one code on one segment:

    transcript,segment,code,action,memo,start,end
    riverbend-health,t2,community-needs,accept,,,
    riverbend-health,t2,grants,reject,only mentions past grants,,
    riverbend-health,t4,convener,add,,1500,1620
    riverbend-health,t4,,memo,a good quote for the paper,,

action is accept, reject, add, remove or memo (see qualcode.session for what each means). `memo` is
optional text; with action memo and no code it is a memo on the segment, and an empty memo clears
the memo. `start`/`end` (offsets into the transcript text, as in the codings files) make an `add`
cover part of the segment; other actions refuse them. A YAML file is a list of mappings with the
same keys. Other CSV columns (the segment text, say) are ignored; a column whose name is close to a
known one is reported.

Everything is checked before anything is written, and every problem is reported with its line: an
unknown transcript or code, a segment that no longer exists, accepting a code nobody proposed, a bad
action. Only then are the files written, each atomically. The session lock is taken on every
transcript touched, so a decide cannot overwrite what an open session of the same coder is doing.
Segments named in the file are marked reviewed.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.diagnostics import did_you_mean
from qualcode.errors import InterchangeError, QualcodeError, UsageError
from qualcode.session import (
    ACTIONS,
    DecisionError,
    SegmentRecords,
    accept_code,
    add_code,
    records_of,
    reject_code,
    remove_code,
    set_memo,
    set_reviewed,
    with_records,
)
from qualcode.store import CodingsFile, read_codings, validate_coder_name, write_codings

if TYPE_CHECKING:
    from qualcode.engine import Matcher
    from qualcode.project import Project
    from qualcode.transcripts import Transcript

COLUMNS: tuple[str, ...] = ("transcript", "segment", "code", "action", "memo", "start", "end")
REQUIRED: tuple[str, ...] = ("transcript", "segment", "code", "action")
PAST: dict[str, str] = {
    "accept": "accepted",
    "reject": "rejected",
    "add": "added",
    "remove": "removed",
    "memo": "memo",
}


# Words people write for an action, suggested (not accepted: a typo must not decide anything).
_SYNONYMS = {
    "accepted": "accept", "approve": "accept", "approved": "accept", "keep": "accept",
    "yes": "accept", "y": "accept", "ok": "accept", "confirm": "accept",
    "rejected": "reject", "deny": "reject", "decline": "reject", "no": "reject", "n": "reject",
    "added": "add", "new": "add", "insert": "add", "code": "add",
    "removed": "remove", "delete": "remove", "drop": "remove", "uncode": "remove",
    "note": "memo", "comment": "memo", "annotate": "memo",
}  # fmt: skip


# Which way an action decides a code on a segment; two rows deciding both ways contradict.
_VERDICT = {"accept": True, "add": True, "reject": False, "remove": False}


@dataclass(frozen=True)
class Decision:
    """One row of a decisions file (line is 1-based, where the row starts)."""

    line: int
    transcript: str
    segment: str
    code: str
    action: str
    memo: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True, order=True)
class Problem:
    line: int
    message: str
    hint: str = ""

    def text(self, path: str) -> str:
        where = f"{path}:{self.line}" if self.line else path
        return f"{where}: {self.message}" + (f" ({self.hint})" if self.hint else "")


class DecisionsError(InterchangeError):
    """Every problem found in a decisions file; nothing was written."""

    def __init__(self, path: str, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems)
        if len(self.problems) == 1:
            only = self.problems[0]
            super().__init__(
                only.message,
                path=path,
                line=only.line or None,
                hint=(only.hint + "; " if only.hint else "") + "nothing was written",
            )
            return
        listed = "\n".join("  " + p.text(path) for p in self.problems)
        super().__init__(f"{len(self.problems)} problems in {path}, nothing was written:\n{listed}")


@dataclass(frozen=True)
class DecideSummary:
    """What `decide` did, for the one-line summary on stderr."""

    counts: Mapping[str, int]
    transcripts: tuple[str, ...]
    reviewed: int
    notices: tuple[str, ...] = field(default=())

    def line(self, coder: str) -> str:
        parts = []
        for action in ACTIONS:
            n = self.counts.get(action, 0)
            if n:
                parts.append(
                    f"{n} {PAST[action]}" if action != "memo" else f"{n} memo{'s' * (n != 1)}"
                )
        n = len(self.transcripts)
        return (
            f"decided for coder {coder!r}: {', '.join(parts) or 'nothing to do'}; "
            f"{self.reviewed} segment{'s' if self.reviewed != 1 else ''} marked reviewed "
            f"in {n} transcript{'s' if n != 1 else ''}"
        )


# -- reading --------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _offset(value: Any, name: str, line: int, problems: list[Problem]) -> int | None:
    text = _cell(value)
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        problems.append(Problem(line, f"{name} must be a whole number, not {text!r}"))
        return None
    if number < 0:
        problems.append(Problem(line, f"{name} must not be negative"))
        return None
    return number


def _decision(values: Mapping[str, Any], line: int, problems: list[Problem]) -> Decision | None:
    """A Decision from one row's values, or None (with the problems recorded)."""
    found: list[Problem] = []
    transcript, segment = _cell(values.get("transcript")), _cell(values.get("segment"))
    code, action = _cell(values.get("code")), _cell(values.get("action")).casefold()
    memo_value = values.get("memo")
    memo = None if memo_value is None or _cell(memo_value) == "" else str(memo_value).strip()
    if action == "memo" and memo_value is not None:
        memo = "" if memo is None else memo
    if isinstance(memo_value, (dict, list)):  # YAML: `memo: {a: 1}` became the text "{'a': 1}"
        found.append(Problem(line, "memo must be text", 'quote it: memo: "..."'))
    if not transcript:
        found.append(Problem(line, "no transcript given"))
    if not segment:
        found.append(Problem(line, "no segment given", "segment ids look like t12"))
    if not action:
        found.append(Problem(line, "no action given", "action is one of " + ", ".join(ACTIONS)))
    elif action not in ACTIONS:
        found.append(
            Problem(
                line,
                f"unknown action {action!r}"
                + (
                    f" (did you mean {_SYNONYMS[action]!r}?)"
                    if action in _SYNONYMS
                    else did_you_mean(action, ACTIONS)
                ),
                "action is one of " + ", ".join(ACTIONS),
            )
        )
    elif not code and action != "memo":
        found.append(Problem(line, f"action {action!r} needs a code"))
    start = _offset(values.get("start"), "start", line, found)
    end = _offset(values.get("end"), "end", line, found)
    if (start is None) != (end is None) and not any("start" in p.message for p in found):
        found.append(Problem(line, "give both start and end (or neither)"))
    if found:
        problems.extend(found)
        return None
    return Decision(line, transcript, segment, code, action, memo, start, end)


def _unknown_keys(keys: Sequence[str], line: int) -> list[Problem]:
    """Typos of known column names (an unrelated extra column is fine: it is ignored)."""
    found = []
    for key in keys:
        if key and key not in COLUMNS:
            suggestion = did_you_mean(key, COLUMNS)
            if suggestion:
                found.append(Problem(line, f"unknown column {key!r}{suggestion}"))
    return found


def _csv_problem(line: int, exc: csv.Error) -> Problem:
    unclosed = "end of data" in str(exc)
    return Problem(
        line,
        "a quote opened on this row never closes" if unclosed else f"cannot read this row: {exc}",
        'close the quote; a quote inside a quoted memo is doubled: "like ""this"""',
    )


def parse_decisions_csv(text: str) -> tuple[list[Decision], list[Problem]]:
    """Rows of a decisions CSV (comma, semicolon or tab separated, header row first)."""
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    # strict: an unclosed quote is an error, not the rest of the file swallowed into one memo
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    try:
        header = [h.strip().casefold() for h in next(reader)]
    except StopIteration:
        return [], [Problem(1, "the decisions file is empty", "the first row names the columns")]
    except csv.Error as exc:
        return [], [_csv_problem(reader.line_num, exc)]
    missing = [c for c in REQUIRED if c not in header]
    problems += _unknown_keys(header, 1)
    if missing:
        problems.append(
            Problem(
                1,
                f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
                "columns: " + ", ".join(COLUMNS) + " (memo, start and end are optional)",
            )
        )
        return [], problems
    decisions = []
    previous_end = reader.line_num
    rows = iter(reader)
    while True:
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(_csv_problem(previous_end + 1, exc))
            break
        line, previous_end = previous_end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :]):
            problems.append(
                Problem(
                    line,
                    f"row has {len(row)} cells but the header has {len(header)}",
                    "check for an unquoted separator inside a memo",
                )
            )
            continue
        values = dict(zip(header, row, strict=False))
        decision = _decision(values, line, problems)
        if decision is not None:
            decisions.append(decision)
    return decisions, problems


def parse_decisions_yaml(text: str, path: str) -> tuple[list[Decision], list[Problem]]:
    """A YAML list of mappings with the CSV's keys."""
    from qualcode.yamlio import load_yaml

    loaded = load_yaml(text, path)
    data = loaded.data
    if not isinstance(data, list):
        return [], [
            Problem(
                1,
                "a decisions YAML file must be a list of mappings",
                "e.g. `- {transcript: t1, segment: t2, code: grants, action: accept}`",
            )
        ]
    problems: list[Problem] = []
    decisions = []
    positions = getattr(data, "item_pos", [])
    for i, item in enumerate(data):
        line = positions[i][0] if i < len(positions) else 0
        if not isinstance(item, dict):
            problems.append(Problem(line, "each decision must be a mapping (key: value)"))
            continue
        keys = [str(k).casefold() for k in item]
        problems += _unknown_keys(keys, line)
        decision = _decision({str(k).casefold(): v for k, v in item.items()}, line, problems)
        if decision is not None:
            decisions.append(decision)
    return decisions, problems


def read_decisions(path: Path) -> tuple[list[Decision], list[Problem]]:
    """Decisions and the problems found while reading them (by file extension: CSV or YAML)."""
    from qualcode.project import display_path
    from qualcode.textio import read_text

    suffix = path.suffix.casefold()
    if suffix not in (".csv", ".tsv", ".txt", ".yaml", ".yml"):
        raise UsageError(
            f"cannot tell the format of {display_path(path)}",
            hint="name the file .csv (or .tsv) or .yaml",
        )
    text = read_text(path, max_bytes=200_000_000, what="decisions file")
    if suffix in (".yaml", ".yml"):
        return parse_decisions_yaml(text, display_path(path))
    return parse_decisions_csv(text)


# -- checking and applying ------------------------------------------------------------------------


@dataclass
class _Open:
    transcript: Transcript
    codings: CodingsFile
    note: str | None = None


def _open_codings(project: Project, coder: str, transcript_id: str, matcher: Matcher) -> _Open:
    """The coder's codings as `qualcode code` would leave them, in memory (nothing is written).

    No file yet: the rules' proposals. A file made on an earlier text: re-anchored like `code` does.
    """
    from qualcode.autocode import propose_codings
    from qualcode.store import merge_proposals

    transcript = project.corpus.load(transcript_id)
    codings = read_codings(project, coder, transcript_id)
    if codings is not None and codings.sha256 == transcript.sha256:
        return _Open(transcript, codings)
    merged, report = merge_proposals(
        codings, propose_codings(transcript, matcher), transcript, coder, matcher.rule_ids
    )
    note = (
        f"{transcript_id}: no codings yet for {coder!r}, ran the rules first"
        if codings is None
        else f"{transcript_id}: edited since it was coded, codings re-anchored "
        f"({report.reanchored} moved, {report.stale} stale)"
    )
    return _Open(transcript, merged, note)


def _apply(records: SegmentRecords, decision: Decision, text: str) -> SegmentRecords:
    span = (decision.start, decision.end) if decision.start is not None else None
    action, code = decision.action, decision.code
    if action == "accept":
        records = accept_code(records, code)
    elif action == "reject":
        records = reject_code(records, code)
    elif action == "add":
        records = add_code(records, code, text, span)  # type: ignore[arg-type]
    elif action == "remove":
        records = remove_code(records, code)
    if action == "memo" or (decision.memo is not None and action != "remove"):
        records = set_memo(records, decision.memo or "", code or None)
    return records


def plan_decisions(
    project: Project,
    coder: str,
    decisions: Sequence[Decision],
    *,
    matcher: Matcher | None = None,
) -> tuple[dict[str, CodingsFile], Counter[str], int, list[Problem], list[str]]:
    """Apply decisions in memory, in file order: (new files, counts, reviewed, problems, notes).

    Nothing is written here; the caller writes the files only when there is no problem.
    """
    from qualcode.engine import compile_rules

    codebook = project.codebook
    corpus = project.corpus
    problems: list[Problem] = []
    opened: dict[str, _Open] = {}
    counts: Counter[str] = Counter()
    touched: dict[str, set[str]] = {}
    verdicts: dict[tuple[str, str, str, int | None, int | None], Decision] = {}
    for decision in decisions:
        tid = decision.transcript
        if decision.action in _VERDICT:
            key = (tid, decision.segment, decision.code, decision.start, decision.end)
            earlier = verdicts.setdefault(key, decision)
            if _VERDICT[earlier.action] != _VERDICT[decision.action]:
                problems.append(
                    Problem(
                        decision.line,
                        f"{decision.action} contradicts line {earlier.line} ({earlier.action}) "
                        f"for {decision.code!r} on {tid} {decision.segment}",
                        "keep one of the two rows",
                    )
                )
                continue
        if tid not in corpus.ids:
            problems.append(
                Problem(
                    decision.line,
                    f"unknown transcript {tid!r}{did_you_mean(tid, corpus.ids)}",
                    "`qualcode transcripts` lists the ids",
                )
            )
            continue
        if tid not in opened:
            try:
                matcher = matcher or compile_rules(codebook)
                opened[tid] = _open_codings(project, coder, tid, matcher)
            except QualcodeError as exc:
                problems.append(Problem(decision.line, f"cannot open {tid!r}: {exc}"))
                continue
        current = opened[tid]
        segment = next((s for s in current.transcript.segments if s.id == decision.segment), None)
        if segment is None:
            ids = [s.id for s in current.transcript.segments]
            problems.append(
                Problem(
                    decision.line,
                    f"segment {decision.segment!r} does not exist in {tid!r} "
                    f"(it has {ids[0]}..{ids[-1]}); was the transcript edited since the decisions "
                    "were exported?",
                    f"`qualcode show {tid}` lists its segments now; fix the row's segment id (ids "
                    "follow the turns, so they change when turns are added or removed)",
                )
            )
            continue
        if decision.code and decision.code not in codebook.by_id:
            problems.append(
                Problem(
                    decision.line,
                    f"unknown code {decision.code!r}{did_you_mean(decision.code, codebook.by_id)}",
                    "`qualcode codebook tree` lists the codes",
                )
            )
            continue
        if decision.action == "add" and not codebook.by_id[decision.code].codable:
            problems.append(
                Problem(
                    decision.line,
                    f"code {decision.code!r} is a category (codable: false) and cannot be applied",
                    "use one of its children",
                )
            )
            continue
        if decision.action != "add" and (decision.start, decision.end) != (None, None):
            problems.append(
                Problem(
                    decision.line,
                    f"start/end are given for {decision.action!r}, but only `add` takes a span",
                    "leave start and end empty (a proposal keeps the span its rule found); to "
                    "code part of the segment instead, `remove` the code and `add` it with the span",
                )
            )
            continue
        records = records_of(current.codings, segment)
        before = records.find(decision.code) if decision.code else None
        try:
            records = _apply(records, decision, current.transcript.text)
        except DecisionError as exc:
            problems.append(Problem(decision.line, f"{tid}: {exc.message}", exc.hint or ""))
            continue
        current.codings = with_records(current.codings, records)
        # `add` of a code the rules proposed there accepts that proposal: say so
        proposal = before is not None and before.status == "proposed" and before.origin == "rule"
        proposal = proposal and decision.start is None  # with a span it adds a coding of its own
        counts["accept" if decision.action == "add" and proposal else decision.action] += 1
        touched.setdefault(tid, set()).add(segment.id)
    reviewed = 0
    for tid, segment_ids in touched.items():
        current = opened[tid]
        for segment in current.transcript.segments:
            if segment.id in segment_ids:
                records = records_of(current.codings, segment)
                reviewed += not records.reviewed
                current.codings = with_records(current.codings, set_reviewed(records))
    files = {tid: opened[tid].codings for tid in touched}
    notes = [o.note for tid, o in opened.items() if o.note and tid in touched]
    return files, counts, reviewed, problems, notes


def apply_decisions_file(project: Project, coder: str, path: Path) -> DecideSummary:
    """Read, check and apply a decisions file; raise DecisionsError (nothing written) on problems."""
    from qualcode.project import display_path
    from qualcode.store import acquire_lock, release_lock

    coder, path = validate_coder_name(coder), Path(path)
    shown = display_path(path)
    decisions, problems = read_decisions(path)
    known = set(project.corpus.ids)
    # folders the locks may create; removed again if nothing ends up in them
    made = [d for d in (project.codings_dir, project.codings_dir / coder) if not d.exists()]
    locks: list[Path] = []
    notices: list[str] = []
    try:
        for tid in dict.fromkeys(d.transcript for d in decisions if d.transcript in known):
            lock, cleared = acquire_lock(project, coder, tid)
            locks.append(lock)
            if cleared:
                notices.append(cleared)
        files, counts, reviewed, found, notes = plan_decisions(project, coder, decisions)
        problems += found
        if problems:
            raise DecisionsError(shown, problems)
        for codings in files.values():
            write_codings(project, codings)
    finally:
        for lock in locks:
            release_lock(lock)
        for folder in reversed(made):  # an empty coder folder would look like a coder
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    return DecideSummary(dict(counts), tuple(files), reviewed, tuple(notices + notes))
