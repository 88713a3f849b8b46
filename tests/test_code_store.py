"""`qualcode code` and the codings store: file format, idempotence, human decisions, re-anchoring,
keyword semantics as stored, encodings, bad input, atomic writes and a round-trip property."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from conftest import (
    SMALL_CODEBOOK,
    SMALL_CONFIG,
    SMALL_TRANSCRIPTS,
    MakeProject,
    copy_bundled,
    write,
)
from qualcode.autocode import propose_codings
from qualcode.cli import app
from qualcode.codebook.model import Rule
from qualcode.engine import Matcher, compile_rules, segment_views
from qualcode.errors import StoreError, UsageError
from qualcode.project import load_project
from qualcode.store import (
    Coding,
    CodingsFile,
    SegmentNote,
    anchor_of,
    first_codings_text,
    merge_proposals,
    parse_codings,
    read_codings,
    validate_coder_name,
    write_codings,
)
from qualcode.textio import normalize_newlines
from qualcode.transcripts import parse_transcript

# -- helpers ---------------------------------------------------------------------------------------

ALPHA_T2 = "We run a land trust. Housing is what we do, affordable homes for families."
ALPHA_T4 = "The hospital is an anchor for us. Health care and homes go together."
BETA_T4 = "The hospital helped with housing repairs, not nursing homes."


@pytest.fixture
def small(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The conftest's small project, as the current folder (so messages show short paths)."""
    root = make_project()
    monkeypatch.chdir(root)
    return root


def code(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(app, ["code", *args])


def jsonl(root: Path, transcript_id: str, coder: str = "auto") -> Path:
    return root / "codings" / coder / f"{transcript_id}.jsonl"


def edit_first_record(
    root: Path, edit: Callable[[str], str], transcript_id: str = "alpha-clt"
) -> None:
    """A hand edit: the first record of a codings file replaced by `edit(record line)`."""
    path = jsonl(root, transcript_id)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] = edit(lines[1])
    path.write_text("\n".join(lines), encoding="utf-8")


def records(root: Path, transcript_id: str, coder: str = "auto") -> list[dict[str, object]]:
    lines = jsonl(root, transcript_id, coder).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines[1:]]


def load(root: Path, transcript_id: str, coder: str = "auto") -> CodingsFile:
    cf = read_codings(load_project(root), coder, transcript_id)
    assert cf is not None
    return cf


def edit(
    root: Path, transcript_id: str, change: Callable[[CodingsFile], None], coder: str = "auto"
) -> None:
    """Change a coder's file the way a session would (read, modify, write)."""
    cf = load(root, transcript_id, coder)
    change(cf)
    write_codings(load_project(root), cf)


def decide(cf: CodingsFile, code_id: str, segment: str, **changes: object) -> None:
    for i, coding in enumerate(cf.codings):
        if (coding.code, coding.segment) == (code_id, segment):
            cf.codings[i] = replace(coding, **changes)  # type: ignore[arg-type]
            return
    raise AssertionError(f"no coding {code_id} on {segment}")


def file_bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def text_of(root: Path, transcript_id: str) -> str:
    return load_project(root).corpus.load(transcript_id).text


def coded(root: Path, transcript_id: str, coder: str = "auto") -> list[tuple[str, str, str]]:
    """(code, segment id, coded text) of every coding, in file order."""
    text = text_of(root, transcript_id)
    return [
        (str(r["code"]), str(r["segment"]), text[int(r["start"]) : int(r["end"])])  # type: ignore[call-overload]
        for r in records(root, transcript_id, coder)
        if "code" in r
    ]


# -- the file format ---------------------------------------------------------------------------------


def test_code_writes_one_file_per_transcript_in_a_stable_order(
    small: Path, runner: CliRunner
) -> None:
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    assert "coded 2 transcripts" in result.stderr
    assert "5 new proposals, 0 kept, 0 removed" in result.stderr
    assert sorted(p.name for p in (small / "codings" / "auto").iterdir()) == [
        "alpha-clt.jsonl",
        "beta-roc.jsonl",
    ]
    lines = jsonl(small, "alpha-clt").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""  # ends with one newline
    header = json.loads(lines[0])
    text = text_of(small, "alpha-clt")
    assert header == {
        "qualcode_codings": 1,
        "transcript": "alpha-clt",
        "coder": "auto",
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
    }
    rows = [json.loads(line) for line in lines[1:-1]]
    for row in rows:
        # field order: code, segment, offsets, origin, status, ... memo
        assert list(row)[:6] == ["code", "segment", "start", "end", "origin", "status"]
        assert "memo" in row
        assert row["origin"] == "rule"
        assert row["status"] == "proposed"
        assert row["memo"] == ""
    assert [(r["code"], r["segment"], r["rules"]) for r in rows] == [
        ("housing", "t2", ["housing/1"]),
        ("anchor", "t4", ["anchor/1"]),
        ("health", "t4", ["health/1"]),
        ("housing", "t4", ["housing/1"]),
    ]
    assert [text[r["start"] : r["end"]] for r in rows] == [ALPHA_T2, ALPHA_T4, ALPHA_T4, ALPHA_T4]
    # beta-roc: "housing" is excluded by "nursing homes"; interviewer turns are never coded
    assert coded(small, "beta-roc") == [("health", "t4", BETA_T4)]


def test_coder_option_and_config_coder_choose_the_folder(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project()
    monkeypatch.chdir(root)
    assert code(runner, "--coder", "alice").exit_code == 0
    assert sorted(p.name for p in (root / "codings").iterdir()) == ["alice"]
    assert json.loads(jsonl(root, "beta-roc", "alice").read_text().split("\n")[0])["coder"] == (
        "alice"
    )
    other = make_project(config=SMALL_CONFIG + "coder: bob\n")
    monkeypatch.chdir(other)
    assert code(runner).exit_code == 0
    assert sorted(p.name for p in (other / "codings").iterdir()) == ["bob"]


def test_code_only_the_given_transcripts(small: Path, runner: CliRunner) -> None:
    result = code(runner, "beta-roc")
    assert result.exit_code == 0, result.stderr
    assert "coded 1 transcript " in result.stderr
    assert sorted(p.name for p in (small / "codings" / "auto").iterdir()) == ["beta-roc.jsonl"]


def test_offsets_are_code_points_into_the_decoded_text(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = "🏠🏠 Ça coûte cher, l’équipe du hôpital parle de housing."
    root = make_project(
        transcripts={"uni": f"Interviewer: Bonjour 🙂?\n\nAna Ruiz: {words}\n\nAna Ruiz: Fin.\n"},
        metadata=None,
    )
    monkeypatch.chdir(root)
    assert code(runner).exit_code == 0
    text = text_of(root, "uni")
    [row] = records(root, "uni")
    assert row["code"] == "housing"
    assert row["start"] == text.index(words) == len("Interviewer: Bonjour 🙂?\n\nAna Ruiz: ")
    assert row["end"] == row["start"] + len(words)  # code points, end exclusive


# -- re-running ----------------------------------------------------------------------------------------


def test_rerun_is_byte_identical(small: Path, runner: CliRunner) -> None:
    assert code(runner).exit_code == 0
    first = file_bytes(small / "codings")
    again = code(runner)
    assert again.exit_code == 0
    assert "0 new proposals, 5 kept, 0 removed" in again.stderr
    assert file_bytes(small / "codings") == first


def test_rerun_keeps_decisions_human_codings_and_memos(small: Path, runner: CliRunner) -> None:
    assert code(runner).exit_code == 0
    text = text_of(small, "beta-roc")
    quote = "resident-owned community"
    at = text.index(quote)

    def review_alpha(cf: CodingsFile) -> None:
        decide(cf, "housing", "t2", status="rejected", memo="only a land trust mention")
        decide(cf, "health", "t4", status="accepted", memo='she says "health care"\nsee p. 2 ✓')
        seg = load_project(small).corpus.load("alpha-clt").segment("t2")
        cf.notes.append(SegmentNote("t2", seg.start, seg.end, reviewed=True, memo="key passage"))

    def review_beta(cf: CodingsFile) -> None:
        cf.codings.append(
            Coding("housing", "t2", at, at + len(quote), "human", "accepted", (), "ROC", "", quote)
        )

    edit(small, "alpha-clt", review_alpha)
    edit(small, "beta-roc", review_beta)
    before = file_bytes(small / "codings")
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    assert "0 new proposals, 6 kept, 0 removed" in result.stderr
    assert file_bytes(small / "codings") == before  # nothing to change, nothing changed
    alpha = {(c.code, c.segment): c for c in load(small, "alpha-clt").codings}
    assert (alpha["housing", "t2"].status, alpha["housing", "t2"].memo) == (
        "rejected",
        "only a land trust mention",
    )
    assert (alpha["health", "t4"].status, alpha["health", "t4"].memo) == (
        "accepted",
        'she says "health care"\nsee p. 2 ✓',
    )
    assert alpha["anchor", "t4"].status == "proposed"
    assert [(n.segment, n.reviewed, n.memo) for n in load(small, "alpha-clt").notes] == [
        ("t2", True, "key passage")
    ]
    human = [c for c in load(small, "beta-roc").codings if c.origin == "human"]
    assert [(c.code, c.segment, text[c.start : c.end], c.memo) for c in human] == [
        ("housing", "t2", quote, "ROC")
    ]


def test_decisions_survive_when_rules_stop_hitting(small: Path, runner: CliRunner) -> None:
    assert code(runner).exit_code == 0
    edit(small, "alpha-clt", lambda cf: decide(cf, "housing", "t2", status="rejected"))
    edit(small, "alpha-clt", lambda cf: decide(cf, "housing", "t4", status="accepted", memo="m"))
    # "housing" now only hits "repairs": nowhere in alpha, and excluded in beta ("nursing homes")
    narrower = SMALL_CODEBOOK.replace('["housing", "homes", "land trust*"]', '["repairs"]')
    write(small / "codebooks" / "small.yaml", narrower)
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    # the rule still exists: nothing is reported as coming from a deleted rule
    assert "no longer exist" not in result.stderr
    assert [(c.code, c.segment, c.status, c.memo) for c in load(small, "alpha-clt").codings] == [
        ("housing", "t2", "rejected", ""),
        ("anchor", "t4", "proposed", ""),
        ("health", "t4", "proposed", ""),
        ("housing", "t4", "accepted", "m"),
    ]


def test_two_human_codings_of_one_code_in_one_segment_both_stay(
    small: Path, runner: CliRunner
) -> None:
    assert code(runner).exit_code == 0
    text = text_of(small, "alpha-clt")
    seg = load_project(small).corpus.load("alpha-clt").segment("t2")
    first = text.index("land trust", seg.start)
    second = text.index("affordable homes", seg.start)

    def add(cf: CodingsFile) -> None:
        for start, words, memo in (
            (first, "land trust", "one"),
            (second, "affordable homes", "two"),
        ):
            cf.codings.append(
                Coding(
                    "health",
                    "t2",
                    start,
                    start + len(words),
                    "human",
                    "accepted",
                    (),
                    memo,
                    anchor_of(words),
                    words,
                )
            )

    edit(small, "alpha-clt", add)
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    human = sorted(
        (c.memo, text[c.start : c.end])
        for c in load(small, "alpha-clt").codings
        if c.origin == "human"
    )
    assert human == [("one", "land trust"), ("two", "affordable homes")]


@pytest.mark.parametrize("quiet", [False, True], ids=["default", "quiet"])
def test_proposals_of_deleted_rules_are_removed_and_reported(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, quiet: bool
) -> None:
    transcripts = {
        **SMALL_TRANSCRIPTS,
        "gamma": "Interviewer: Hi.\n\nAna Ruiz: The hospital is our anchor.\n\nAna Ruiz: Bye.\n",
    }
    root = make_project(transcripts=transcripts)
    monkeypatch.chdir(root)
    assert code(runner).exit_code == 0
    edit(root, "gamma", lambda cf: decide(cf, "anchor", "t2", status="accepted"))
    without_near = SMALL_CODEBOOK.replace(
        "        rules:\n          - near: {terms: [hospital, anchor], within: 5}\n", ""
    )
    assert without_near != SMALL_CODEBOOK
    write(root / "codebooks" / "small.yaml", without_near)
    result = code(runner, *(["--quiet"] if quiet else []))
    assert result.exit_code == 0, result.stderr
    if quiet:  # no summary, but removing data is always said
        assert result.stderr == "removed proposals from rules that no longer exist: anchor/1\n"
    else:
        assert "1 removed" in result.stderr
        assert "removed proposals from rules that no longer exist: anchor/1" in result.stderr
    assert "anchor" not in {c.code for c in load(root, "alpha-clt").codings}
    # a decision is never removed, even when the rule behind it is gone
    assert [(c.code, c.status, c.rules) for c in load(root, "gamma").codings] == [
        ("anchor", "accepted", ("anchor/1",)),
        ("health", "proposed", ("health/1",)),
    ]


# -- edited transcripts ------------------------------------------------------------------------------

INSERTED = "Interviewer: First, your name?\n\nMaria Lopez: Maria.\n\n"


def _insert_turns_at_start(root: Path, transcript_id: str, extra: str = INSERTED) -> None:
    path = root / "transcripts" / f"{transcript_id}.txt"
    text = path.read_text(encoding="utf-8")
    body = text.index("Interviewer:")
    path.write_text(text[:body] + extra + text[body:], encoding="utf-8", newline="")


def test_codings_follow_their_text_when_the_transcript_is_edited(
    small: Path, runner: CliRunner
) -> None:
    assert code(runner).exit_code == 0
    edit(small, "alpha-clt", lambda cf: decide(cf, "housing", "t2", status="accepted", memo="A"))
    edit(small, "alpha-clt", lambda cf: decide(cf, "anchor", "t4", status="rejected", memo="R"))
    _insert_turns_at_start(small, "alpha-clt")  # t2 becomes t4, t4 becomes t6
    check = runner.invoke(app, ["check"])
    assert "codings/auto/alpha-clt.jsonl:1:1: warning: transcript text changed" in check.stdout
    assert "[stale-coding]" in check.stdout
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    assert "4 re-anchored, 0 stale" in result.stderr
    cf = load(small, "alpha-clt")
    assert cf.sha256 == hashlib.sha256(text_of(small, "alpha-clt").encode()).hexdigest()
    assert [(c.code, c.segment, c.status, c.memo, c.stale) for c in cf.codings] == [
        ("housing", "t4", "accepted", "A", False),
        ("anchor", "t6", "rejected", "R", False),
        ("health", "t6", "proposed", "", False),
        ("housing", "t6", "proposed", "", False),
    ]
    assert [t for _, _, t in coded(small, "alpha-clt")] == [ALPHA_T2] + [ALPHA_T4] * 3
    after = runner.invoke(app, ["check"])
    assert after.exit_code == 0
    assert "stale-coding" not in after.stdout
    again = file_bytes(small / "codings")
    assert code(runner).exit_code == 0
    assert file_bytes(small / "codings") == again


def test_a_decision_on_an_edited_turn_stays_stale_when_ids_shift(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by a helper: with a turn inserted above and the coded turn edited, the acceptance
    on the old t4 landed on the new t4 (another passage, whose own decision had moved there),
    which then held the code twice and `check` called qualcode's own file an error."""
    turns = [
        "Interviewer: How did it start?",
        "Maria Lopez: The hospital gave a parcel for homes in 2019.",
        "Interviewer: And then?",
        "Maria Lopez: Later the hospital gave staff time to the homes project.",
    ]
    root = make_project(transcripts={"r1": "\n\n".join(turns) + "\n"}, metadata=None)
    monkeypatch.chdir(root)
    assert code(runner).exit_code == 0
    edit(root, "r1", lambda cf: decide(cf, "housing", "t2", status="rejected", memo="land"))
    edit(root, "r1", lambda cf: decide(cf, "housing", "t4", status="accepted", memo="staff"))
    turns[3] = turns[3].replace("staff time", "staff hours")
    edited = ["Interviewer: Is the recorder on?", "Maria Lopez: Yes.", *turns]
    (root / "transcripts" / "r1.txt").write_text("\n\n".join(edited) + "\n", encoding="utf-8")
    assert code(runner).exit_code == 0
    housing = [
        (c.segment, c.status, c.memo, c.stale)
        for c in load(root, "r1").codings
        if c.code == "housing"
    ]
    assert sorted(housing) == [
        ("t4", "accepted", "staff", True),  # its text is gone: flagged, not moved
        ("t4", "rejected", "land", False),  # followed its text from t2
        ("t6", "proposed", "", False),  # the edited turn: a new proposal to review
    ]
    check = runner.invoke(app, ["check"])
    assert check.exit_code == 0, check.stdout
    assert "recorded twice" not in check.stdout


def test_review_marks_without_codings_follow_an_insertion_above(
    small: Path, runner: CliRunner
) -> None:
    """Found by a helper: one question added at the top made every review mark of a segment with
    no coding stale, and agreement lost those units."""
    assert code(runner).exit_code == 0
    project = load_project(small)
    segments = {s.id: s for s in project.corpus.load("beta-roc").segments}
    t2 = segments["t2"]  # no code in it: nothing but the mark says it was reviewed

    def mark(cf: CodingsFile) -> None:
        cf.notes.append(SegmentNote("t2", t2.start, t2.end, reviewed=True, memo="nothing here"))

    edit(small, "beta-roc", mark)
    path = small / "transcripts" / "beta-roc.txt"
    path.write_text("Q: Is it on?\n\nA: Yes.\n\n" + path.read_text(), encoding="utf-8")
    assert code(runner).exit_code == 0
    notes = [(n.segment, n.reviewed, n.memo, n.stale) for n in load(small, "beta-roc").notes]
    assert notes == [("t4", True, "nothing here", False)]


def test_a_coding_whose_text_is_gone_is_flagged_stale_not_dropped(
    small: Path, runner: CliRunner
) -> None:
    assert code(runner).exit_code == 0
    edit(small, "alpha-clt", lambda cf: decide(cf, "housing", "t2", status="accepted", memo="A"))
    path = small / "transcripts" / "alpha-clt.txt"
    path.write_text(
        path.read_text().replace(ALPHA_T2, "We run a cooperative bakery."), encoding="utf-8"
    )
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    assert "0 re-anchored, 1 stale" in result.stderr
    kept = [c for c in load(small, "alpha-clt").codings if c.segment == "t2"]
    assert [(c.code, c.status, c.memo, c.stale) for c in kept] == [
        ("housing", "accepted", "A", True)
    ]
    stored = load(small, "alpha-clt")
    in_file = sum(c.stale for c in stored.codings) + sum(
        n.stale and bool(n.memo or n.reviewed) for n in stored.notes
    )
    assert f"0 re-anchored, {in_file} stale" in result.stderr  # the summary counts what is stored
    check = runner.invoke(app, ["check"])
    assert check.exit_code == 0  # a warning
    assert (
        "codings/auto/alpha-clt.jsonl:2:1: warning: coding 'housing' on segment t2 lost its text "
        "when the transcript was edited [stale-coding]"
    ) in check.stdout
    assert runner.invoke(app, ["check", "--strict"]).exit_code == 1
    # and it stays flagged on later runs
    assert code(runner).exit_code == 0
    assert [c.stale for c in load(small, "alpha-clt").codings if c.segment == "t2"] == [True]


def test_an_open_proposal_whose_text_is_gone_is_removed_not_reported_stale(
    small: Path, runner: CliRunner
) -> None:
    assert code(runner).exit_code == 0
    path = small / "transcripts" / "alpha-clt.txt"
    path.write_text(path.read_text().replace(ALPHA_T2, "We bake bread."), encoding="utf-8")
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    assert "0 new proposals, 4 kept, 1 removed" in result.stderr
    assert "stale" not in result.stderr
    cf = load(small, "alpha-clt")
    assert [(c.code, c.segment, c.stale) for c in cf.codings] == [
        ("anchor", "t4", False),
        ("health", "t4", False),
        ("housing", "t4", False),
    ]
    assert runner.invoke(app, ["check", "--strict"]).exit_code == 0


def test_a_quoted_span_follows_its_own_occurrence_not_the_first_one(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = (
        "Interviewer: Hi.\n\nAna Ruiz: The clinic is good.\n\n"
        "Interviewer: And then?\n\nAna Ruiz: Yes, the clinic is good.\n"
    )
    root = make_project(transcripts={"t": original}, metadata=None)
    monkeypatch.chdir(root)
    assert code(runner).exit_code == 0
    seg = load_project(root).corpus.load("t").segment("t4")
    at = original.index("clinic", seg.start)

    def add(cf: CodingsFile) -> None:
        cf.codings.append(
            Coding(
                "health",
                "t4",
                at,
                at + 6,
                "human",
                "accepted",
                (),
                "2nd",
                anchor_of("clinic"),
                "clinic",
            )
        )

    edit(root, "t", add)
    write(root / "transcripts" / "t.txt", original.replace("Hi.", "Hello there."))
    assert code(runner).exit_code == 0
    text = text_of(root, "t")
    [coding] = load(root, "t").codings
    assert coding.segment == "t4"
    assert coding.start == text.index("clinic", text.index("Yes,"))
    assert text[coding.start : coding.end] == "clinic"


@pytest.mark.parametrize("coded_too", [False, True], ids=["memo-only", "memo-and-coding"])
def test_a_segment_memo_never_moves_onto_other_text(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch, coded_too: bool
) -> None:
    original = (
        "Interviewer: A?\n\nAna Ruiz: Housing first.\n\nInterviewer: B?\n\nAna Ruiz: Other stuff.\n"
    )
    root = make_project(transcripts={"t": original}, metadata=None)
    monkeypatch.chdir(root)
    assert code(runner).exit_code == 0
    seg = load_project(root).corpus.load("t").segment("t4")
    assert original[seg.start : seg.end] == "Other stuff."

    def review(cf: CodingsFile) -> None:
        cf.notes.append(SegmentNote("t4", seg.start, seg.end, reviewed=True, memo="M"))
        if coded_too:  # a whole-segment coding: its anchor tells where the segment went
            anchor = anchor_of("Other stuff.")
            cf.codings.append(
                Coding("health", "t4", seg.start, seg.end, "human", "accepted", (), "", anchor)
            )

    edit(root, "t", review)
    # two turns before it: "Housing first." is now t4 and "Other stuff." t6
    _insert_turns_at_start(root, "t", "Interviewer: Intro.\n\nAna Ruiz: Hello.\n\n")
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    text = text_of(root, "t")
    [note] = load(root, "t").notes
    assert (note.memo, note.reviewed) == ("M", True)
    if coded_too:
        assert (note.segment, text[note.start : note.end], note.stale) == (
            "t6",
            "Other stuff.",
            False,
        )
        assert [(c.segment, c.stale) for c in load(root, "t").codings if c.code == "health"] == [
            ("t6", False)
        ]
    else:
        # re-anchored to its own text, or kept and flagged: never on "Housing first."
        assert note.stale or text[note.start : note.end] == "Other stuff."
    if note.stale:
        check = runner.invoke(app, ["check"])
        assert "codings/auto/t.jsonl: warning: memo on segment t4 lost its text" in check.stdout
        assert "[stale-coding]" in check.stdout


# -- what rules code, as stored ---------------------------------------------------------------------

SEMANTICS_CODEBOOK = """\
codebook:
  id: sem
  title: Semantics
codes:
  - {id: housing, name: Housing, definition: d, rules: [{keywords: [housing]}]}
  - {id: cafe, name: Cafe, definition: d, rules: [{keywords: ["café"]}]}
  - {id: dont-know, name: Dont know, definition: d, rules: [{keywords: ["don't know"]}]}
  - {id: coop, name: Coop, definition: d, rules: [{keywords: [co-op]}]}
  - {id: organize, name: Organize, definition: d, rules: [{keywords: ["organi*"]}]}
  - {id: anchor, name: Anchor, definition: d,
     rules: [{near: {terms: [hospital, anchor], within: 3}}]}
  - {id: repairs, name: Repairs, definition: d,
     rules: [{keywords: [repairs], exclude: [nursing homes]}]}
  - {id: question, name: Question, definition: d,
     rules: [{keywords: [question], speakers: [interviewer]}]}
  - {id: budget, name: Budget, definition: d, rules: [{keywords: [budget], speakers: ["*"]}]}
"""

# (speaker, words, codes expected on that turn)
SEMANTICS_TURNS: list[tuple[str, str, set[str]]] = [
    ("Interviewer", "A question about housing and the budget.", {"question", "budget"}),
    ("Ana Ruiz", "HOUSING matters, and the Budget.", {"housing", "budget"}),
    ("Ana Ruiz", "Rehousing, housings and a question.", set()),
    ("Ana Ruiz", "Le Café était plein.", {"cafe"}),
    ("Ana Ruiz", "Pas les cafés ni le xcafé.", set()),
    ("Ana Ruiz", "I don’t know.", {"dont-know"}),
    ("Ana Ruiz", "The co‐op grew, the co–op too.", {"coop"}),
    ("Ana Ruiz", "Coop and co op are not the keyword.", set()),
    ("Ana Ruiz", "We are Organizing.", {"organize"}),
    ("Ana Ruiz", "They reorganized it.", set()),
    ("Ana Ruiz", "The hospital is an anchor.", {"anchor"}),
    ("Ana Ruiz", "An anchor, said the hospital.", {"anchor"}),
    ("Ana Ruiz", "The hospital, old and large and loved, is an anchor.", set()),
    ("Ana Ruiz", "Repairs at nursing homes.", set()),
    ("Ana Ruiz", "Repairs at homes.", {"repairs"}),
]


def test_keyword_semantics_as_stored(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    transcript = "\n\n".join(f"{who}: {words}" for who, words, _ in SEMANTICS_TURNS) + "\n"
    root = make_project(
        codebooks={"sem.yaml": SEMANTICS_CODEBOOK}, transcripts={"sem": transcript}, metadata=None
    )
    monkeypatch.chdir(root)
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    got: dict[str, set[str]] = {words: set() for _, words, _ in SEMANTICS_TURNS}
    for code_id, _, coded_text in coded(root, "sem"):
        got[coded_text].add(code_id)  # the whole segment holding the hit is coded
    assert got == {words: codes for _, words, codes in SEMANTICS_TURNS}


def test_stored_proposals_agree_with_the_hit_level_matcher_on_the_bundled_study(
    bundled_project: Path,
) -> None:
    """`code` uses a faster path (`match_codes`, vectorized over many hits) than `match`."""
    project = load_project(bundled_project)
    matcher = compile_rules(project.codebook)
    total = 0
    for transcript in project.corpus:
        views = segment_views(transcript.segments)
        expected: dict[tuple[str, str], set[str]] = {}
        for seg, hits in zip(
            transcript.segments, matcher.match(transcript.text, views), strict=True
        ):
            for hit in hits:
                expected.setdefault((hit.code_id, seg.id), set()).add(hit.rule_id)
        for threshold in (0, 10**9):  # vectorized and plain loop
            matcher.vector_threshold = threshold
            got = {(c.code, c.segment): set(c.rules) for c in propose_codings(transcript, matcher)}
            assert got == expected, (transcript.id, threshold)
        total += len(expected)
    assert total > 400


# -- encodings and line endings ------------------------------------------------------------------------

ENCODED_TEXT = (
    "Interviewer: Café? 🙂\n\nAna Ruiz: À l’hôpital 🏠 we talk about housing.\n"
    "Second line of the turn, health care.\n\nInterviewer: Merci.\n\nAna Ruiz: Homes, yes.\n"
)


@pytest.mark.parametrize(
    "encode",
    [
        lambda t: t.encode("utf-8-sig"),
        lambda t: t.encode("utf-16"),  # with BOM
        lambda t: t.replace("\n", "\r\n").encode("utf-8"),
        lambda t: t.replace("\n", "\r").encode("utf-8"),
        lambda t: t.replace("\n", "\r\n").encode("utf-16"),
        lambda t: t.replace("\n", "\r\n").encode("utf-8-sig"),
    ],
    ids=["utf8-bom", "utf16-bom", "crlf", "cr", "utf16-crlf", "utf8-bom-crlf"],
)
def test_encodings_and_line_endings_give_identical_codings(
    make_project: MakeProject,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    encode: Callable[[str], bytes],
) -> None:
    plain = make_project(transcripts={"t": ENCODED_TEXT}, metadata=None)
    other = make_project(transcripts={"t": encode(ENCODED_TEXT)}, metadata=None)
    for root in (plain, other):
        monkeypatch.chdir(root)
        result = code(runner)
        assert result.exit_code == 0, result.stderr
    assert coded(plain, "t") == [
        ("health", "t2", ENCODED_TEXT.split("Ana Ruiz: ")[1].split("\n\n")[0]),
        ("housing", "t2", ENCODED_TEXT.split("Ana Ruiz: ")[1].split("\n\n")[0]),
        ("housing", "t4", "Homes, yes."),
    ]
    assert jsonl(other, "t").read_bytes() == jsonl(plain, "t").read_bytes()


def test_encoding_option_reads_legacy_transcripts(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "Interviewer: Café?\n\nAna Ruiz: L’hôpital: housing.\n\nAna Ruiz: Homes.\n"
    plain = make_project(transcripts={"t": text}, metadata=None)
    legacy = make_project(transcripts={"t": text.encode("cp1252")}, metadata=None)
    monkeypatch.chdir(plain)
    assert code(runner).exit_code == 0
    monkeypatch.chdir(legacy)
    refused = code(runner)
    assert refused.exit_code == 2
    assert "transcripts/t.txt:1:17: error: not valid utf-8 at byte offset 16" in refused.stderr
    assert "--encoding" in refused.stderr
    assert not (legacy / "codings" / "auto" / "t.jsonl").exists()
    result = code(runner, "--encoding", "cp1252")
    assert result.exit_code == 0, result.stderr
    assert jsonl(legacy, "t").read_bytes() == jsonl(plain, "t").read_bytes()
    unknown = code(runner, "--encoding", "klingon")
    assert unknown.exit_code == 2
    assert "unknown encoding 'klingon'" in unknown.stderr


# -- bad input -------------------------------------------------------------------------------------------


def test_unknown_transcript_id(small: Path, runner: CliRunner) -> None:
    result = code(runner, "alpha-clx")
    assert result.exit_code == 2
    assert "no transcript with id 'alpha-clx' (did you mean 'alpha-clt'?)" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (small / "codings").exists()


@pytest.mark.parametrize("name", ["../x", "a/b", "a\\b", ".hidden", " bob", "c:d", ".."])
def test_invalid_coder_names(small: Path, runner: CliRunner, name: str) -> None:
    result = code(runner, "--coder", name)
    assert result.exit_code == 2
    assert "cannot be used as a folder name" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (small / "codings").exists()
    assert not (small / "x").exists()
    with pytest.raises(UsageError):
        validate_coder_name(name)


def test_invalid_coder_in_config(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(config=SMALL_CONFIG + "coder: ../elsewhere\n")
    monkeypatch.chdir(root)
    result = code(runner)
    assert result.exit_code == 2
    assert "coder name '../elsewhere' cannot be used as a folder name" in result.stderr
    assert not (root.parent / "elsewhere").exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"code": "housing", "segment": "t2", "start": 1',
            ":3:48: error: corrupt codings record: invalid JSON: Expecting ',' delimiter",
        ),
        ("[1, 2]", "a record must be a JSON object"),
        (
            '{"code": "housing", "segment": "t2", "start": 1, "end": 2, "status": "maybe"}',
            "status must be one of proposed, accepted, rejected",
        ),
        (
            '{"code": "housing", "segment": "t2", "start": 1, "end": 2, "colour": "red"}',
            "unknown field(s) colour",
        ),
        ('{"code": "housing", "segment": "t2", "start": "1", "end": 2}', "must be integers"),
        ('{"segment": "t2", "start": 1, "end": 2, "reviewd": true}', "unknown field(s) reviewd"),
    ],
    ids=["bad-json", "not-object", "bad-status", "unknown-field", "string-offset", "note-typo"],
)
def test_corrupt_codings_file_names_file_and_line(
    small: Path, runner: CliRunner, line: str, message: str
) -> None:
    assert code(runner).exit_code == 0
    path = jsonl(small, "alpha-clt")
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2] = line  # line 3 of the file
    path.write_text("\n".join(lines), encoding="utf-8")
    corrupt = path.read_bytes()
    beta = jsonl(small, "beta-roc").read_bytes()

    result = code(runner)
    assert result.exit_code == 2
    assert "codings/auto/alpha-clt.jsonl:3:" in result.stderr
    assert "error: corrupt codings record" in result.stderr
    assert message in result.stderr
    assert "line 1 column" not in result.stderr  # json's own words contradicted the line
    assert "Traceback" not in result.stderr
    assert "1 transcript could not be coded (see above); the others were." in result.stderr
    assert path.read_bytes() == corrupt  # never overwritten
    alone = code(runner, "alpha-clt")
    assert alone.stderr.endswith("1 transcript could not be coded (see above).\n")  # no others
    for args in (["alpha-clt", "-q"], ["-q"]):  # --quiet says only that, and no internal error
        quiet = code(runner, *args)
        assert quiet.exit_code == 2, quiet.stderr
        assert quiet.stderr.endswith(
            "could not be coded (see above)" + (".\n" if len(args) == 2 else "; the others were.\n")
        )
    assert jsonl(small, "beta-roc").read_bytes() == beta

    for command in (["tally"], ["summary"]):
        other = runner.invoke(app, command)
        assert other.exit_code == 2, command
        assert "codings/auto/alpha-clt.jsonl:3:" in other.stderr
        assert "error: corrupt codings record" in other.stderr
        assert "Traceback" not in other.stderr

    # check lists every corrupt line at once, not only the first
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[3] = '{"code": "health", "segment": "t4", "status": accepted}'
    path.write_text("\n".join(lines), encoding="utf-8")
    check = runner.invoke(app, ["check"])
    assert check.exit_code == 1
    assert "codings/auto/alpha-clt.jsonl:3:" in check.stdout
    assert (
        "codings/auto/alpha-clt.jsonl:4:47: error: corrupt codings record: invalid JSON: "
        "Expecting value [codings-file]"
    ) in check.stdout


def test_codings_file_without_a_header(small: Path, runner: CliRunner) -> None:
    write(small / "codings" / "auto" / "alpha-clt.jsonl", '{"code": "housing"}\n')
    result = code(runner)
    assert result.exit_code == 2
    assert "codings/auto/alpha-clt.jsonl:1: error: not a qualcode codings file" in result.stderr
    with pytest.raises(StoreError) as caught:
        parse_codings("", "x.jsonl")
    assert (caught.value.path, caught.value.line) == ("x.jsonl", 1)


def test_check_reports_codings_of_a_missing_transcript_and_unknown_codes(
    small: Path, runner: CliRunner
) -> None:
    assert code(runner).exit_code == 0
    (small / "transcripts" / "beta-roc.txt").unlink()
    (small / "transcripts" / "metadata.csv").unlink()
    edit(small, "alpha-clt", lambda cf: decide(cf, "anchor", "t4", code="ancor"))
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1
    assert (
        "codings/auto/beta-roc.jsonl:1:1: error: codings for transcript 'beta-roc', "
        "which does not exist [codings-file]"
    ) in result.stdout
    assert (
        "codings/auto/alpha-clt.jsonl:3:1: error: coding uses unknown code 'ancor' "
        "(did you mean 'anchor'?) (segment t4) [coding-unknown-code]"
    ) in result.stdout


def test_jobs_2_writes_the_same_files_as_jobs_1(tmp_path: Path, runner: CliRunner) -> None:
    one = copy_bundled(tmp_path / "one")
    two = copy_bundled(tmp_path / "two")
    r1 = runner.invoke(app, ["code", "--jobs", "1", "--project", str(one)])
    r2 = runner.invoke(app, ["code", "--jobs", "2", "--project", str(two)])
    assert r1.exit_code == 0, r1.stderr
    assert r2.exit_code == 0, r2.stderr
    assert len(file_bytes(one / "codings")) == 14
    assert file_bytes(one / "codings") == file_bytes(two / "codings")
    assert r1.stderr == r2.stderr

    # errors found in worker processes keep their file and line
    path = two / "codings" / "auto" / "riverbend-clt.jsonl"
    path.write_text(path.read_text().replace('"end"', '"end" 1', 1), encoding="utf-8")
    bad = runner.invoke(app, ["code", "--jobs", "2", "--project", str(two)])
    assert bad.exit_code == 2
    assert "riverbend-clt.jsonl:2:71: error: corrupt codings record" in bad.stderr
    assert "coded 13 transcripts" in bad.stderr


# -- atomic writes -------------------------------------------------------------------------------------


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(
    small: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert code(runner).exit_code == 0
    edit(small, "alpha-clt", lambda cf: decide(cf, "housing", "t2", status="accepted"))
    before = file_bytes(small / "codings")
    without_near = SMALL_CODEBOOK.replace(
        "          - near: {terms: [hospital, anchor], within: 5}\n", ""
    )
    write(small / "codebooks" / "small.yaml", without_near)  # the new files would differ

    import qualcode.textio

    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:  # the data is written, then the disk fills up
        calls["n"] += 1
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(qualcode.textio.os, "fsync", failing_fsync)
        result = code(runner)
    assert calls["n"] >= 1
    assert result.exit_code == 2, result.stderr
    assert "No space left on device" in result.stderr
    assert "codings/auto/alpha-clt.jsonl" in result.stderr
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    assert file_bytes(small / "codings") == before  # old files intact, no temp files


def test_write_codings_is_atomic_when_the_rename_fails(
    small: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert code(runner).exit_code == 0
    project = load_project(small)
    cf = load(small, "beta-roc")
    old = jsonl(small, "beta-roc").read_bytes()
    cf.codings.clear()

    def failing_replace(self: Path, target: object) -> Path:
        raise OSError(5, "Input/output error")

    with monkeypatch.context() as patched, pytest.raises((OSError, StoreError)):
        patched.setattr(Path, "replace", failing_replace)
        write_codings(project, cf)
    assert jsonl(small, "beta-roc").read_bytes() == old
    assert sorted(p.name for p in (small / "codings" / "auto").iterdir()) == [
        "alpha-clt.jsonl",
        "beta-roc.jsonl",
    ]


# -- round trip --------------------------------------------------------------------------------------

texts = st.text(max_size=30)
memos = st.one_of(
    texts,
    st.sampled_from(["line one\nline two", 'she said "yes"', "back\\slash", "🏠 café ’", "\r\n\t"]),
)
offsets = st.integers(0, 10**9)

codings_strategy = st.builds(
    lambda span, **fields: Coding(start=min(span), end=max(span), **fields),
    span=st.tuples(offsets, offsets),  # a span that can exist: 0 <= start <= end
    code=texts,
    segment=texts,
    origin=st.sampled_from(["rule", "human"]),
    status=st.sampled_from(["proposed", "accepted", "rejected"]),
    rules=st.lists(texts, max_size=3).map(tuple),
    memo=memos,
    anchor=texts,
    quote=memos,
    stale=st.booleans(),
)
notes_strategy = st.builds(
    lambda span, **fields: SegmentNote(start=min(span), end=max(span), **fields),
    span=st.tuples(offsets, offsets),
    segment=texts,
    reviewed=st.booleans(),
    memo=memos,
    stale=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    transcript=texts,
    coder=texts,
    sha=texts,
    codings=st.lists(codings_strategy, max_size=8),
    notes=st.lists(notes_strategy, max_size=4),
)
def test_codings_file_round_trips(
    transcript: str,
    coder: str,
    sha: str,
    codings: list[Coding],
    notes: list[SegmentNote],
) -> None:
    original = CodingsFile(transcript, coder, sha, codings, notes)
    text = original.to_text()
    assert text.endswith("\n")
    assert text.count("\n") == 1 + len(codings) + len(notes)  # one record per line
    # what a reader of the file sees after line-ending normalization is the same file
    parsed = parse_codings(normalize_newlines(text), "x.jsonl")
    assert (parsed.transcript, parsed.coder, parsed.sha256) == (transcript, coder, sha)
    assert Counter(parsed.codings) == Counter(codings)
    assert Counter(parsed.notes) == Counter(notes)
    assert parsed.to_text() == text
    shuffled = CodingsFile(transcript, coder, sha, codings[::-1], notes[::-1])
    assert Counter(shuffled.to_text().split("\n")) == Counter(text.split("\n"))


def test_nasty_memo_round_trips_through_the_disk(small: Path, runner: CliRunner) -> None:
    assert code(runner).exit_code == 0
    memo = 'line 1\r\nline 2\n"quoted" \\ back\u2028sep 🏠 café ’ \x00 end'
    edit(small, "alpha-clt", lambda cf: decide(cf, "housing", "t2", memo=memo))
    assert code(runner).exit_code == 0
    assert {c.memo for c in load(small, "alpha-clt").codings} == {"", memo}
    assert len(jsonl(small, "alpha-clt").read_text(encoding="utf-8").split("\n")) == 6


@given(
    records=st.lists(
        st.tuples(
            st.sampled_from(["", "memo", 'a "quoted"\nmemo ’ 🏠']),  # memo
            st.sampled_from(["", "quoted text"]),  # quote
            st.lists(st.text(min_size=1), max_size=3),  # rules
            st.booleans(),  # stale
            st.sampled_from(["t3.p1", "t4"]),  # segment
            st.text(min_size=1),  # code
        ),
        min_size=1,
        max_size=8,
    ),
    start=st.integers(0, 10**9),
)
@settings(max_examples=200, deadline=None)
def test_formatted_coding_lines_equal_the_json_encoder(
    records: list[tuple[str, str, list[str], bool, str, str]], start: int
) -> None:
    """Hand-formatted JSON lines are byte-identical to json's for the same fields, also when
    codings share their segment's fields (formatted once) and differ in memo, quote or stale."""
    from qualcode.store import _ENCODER, _coding_lines

    codings = [
        Coding(code, segment, start, start + 7, "human", "accepted", tuple(rules), memo,
               "ab12cd", quote=quote, stale=stale)
        for memo, quote, rules, stale, segment, code in records
    ]  # fmt: skip
    expected = []
    for coding in codings:
        fields: dict[str, object] = {
            "code": coding.code, "segment": coding.segment, "start": coding.start,
            "end": coding.end, "origin": coding.origin, "status": coding.status,
            "rules": list(coding.rules), "memo": coding.memo, "anchor": coding.anchor,
        }  # fmt: skip
        if coding.quote:
            fields["quote"] = coding.quote
        if coding.stale:
            fields["stale"] = True
        expected.append(_ENCODER.encode(fields))
    assert _coding_lines(codings) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(
    line=st.one_of(
        st.text(max_size=30),
        st.tuples(
            st.sampled_from(["", " ", "\t", "\r"]),
            json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
            st.sampled_from(["", " ", "\r", "x", "}", ", 1", "]"]),
        ).map("".join),
    )
)
@settings(max_examples=300, deadline=None)
def test_record_lines_are_read_exactly_as_json_loads_reads_them(line: str) -> None:
    """The codings reader's fast JSON path accepts and rejects exactly what json.loads does."""
    from qualcode.store import _json_record

    try:
        expected = json.loads(line)
    except json.JSONDecodeError:
        with pytest.raises(json.JSONDecodeError):
            _json_record(line)
    else:
        assert json.dumps(_json_record(line)) == json.dumps(expected)  # NaN != NaN


def test_a_coding_record_missing_a_field_names_it(small: Path, runner: CliRunner) -> None:
    assert code(runner).exit_code == 0
    path = jsonl(small, "alpha-clt")
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] = '{"code": "housing", "segment": "t2", "start": 5}'
    path.write_text("\n".join(lines), encoding="utf-8")
    result = code(runner)
    assert result.exit_code == 2
    assert "alpha-clt.jsonl:2: error: corrupt codings record: missing field(s) end" in result.stderr


def test_a_codings_file_that_cannot_be_written_fails_alone_and_keeps_its_old_version(
    small: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files are written by a background thread; its errors still reach their transcript."""
    import errno

    import qualcode.store

    assert code(runner).exit_code == 0
    # a re-run rewrites only files that change: make every one change
    before = jsonl(small, "alpha-clt").read_bytes().replace(b'", "', b'",  "', 1)
    jsonl(small, "alpha-clt").write_bytes(before)
    others = {p.name for p in (small / "codings" / "auto").iterdir()}
    for name in others - {"alpha-clt.jsonl"}:
        (small / "codings" / "auto" / name).unlink()
    write = qualcode.store.atomic_write_text

    def full_disk(path: Path, text: str) -> None:
        if path.name == "alpha-clt.jsonl":
            raise OSError(errno.ENOSPC, "No space left on device")
        write(path, text + "\n")  # a visible change in the files that are written

    monkeypatch.setattr(qualcode.store, "atomic_write_text", full_disk)
    result = code(runner)
    assert result.exit_code == 2
    assert "alpha-clt.jsonl: error: cannot write codings file: No space left on device" in (
        result.stderr
    )
    assert "1 transcript could not be coded" in result.stderr
    assert jsonl(small, "alpha-clt").read_bytes() == before
    assert {p.name for p in (small / "codings" / "auto").iterdir()} == others  # no temp files
    assert all(
        (small / "codings" / "auto" / name).read_text(encoding="utf-8").endswith("\n\n")
        for name in others
        if name != "alpha-clt.jsonl"
    )
    assert len(others) > 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("code", "5", "code must be a string"),
        ("memo", "null", "memo must be a string"),
        ("rules", "[1]", "rules must be a list of rule ids"),
        ("start", '"5"', "start and end must be integers"),
        ("memo", "[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),  # was RecursionError
        # found by fuzzing: each was an internal error, or passed `check` and broke a command
        ("stale", '"no"', "stale must be true or false"),
        ("start", "true", "start and end must be integers"),
        ("start", "-5", "is impossible"),
        ("memo", '"\\ud800"', "memo holds a lone surrogate escape"),
        ("code", '"\\udfff"', "code holds a lone surrogate escape"),
        ("rules", '"care/9"', "rules must be a list of rule ids"),
    ],
)
def test_a_hand_edited_record_of_the_wrong_type_is_reported_not_a_crash(
    small: Path, runner: CliRunner, field: str, value: str, message: str
) -> None:
    assert code(runner).exit_code == 0
    path = jsonl(small, "alpha-clt")
    lines = path.read_text(encoding="utf-8").split("\n")
    record = json.loads(lines[1])
    record["status"] = "accepted"  # a decision: kept whatever the rules say
    record.setdefault(field, False)  # "stale" is only written when true
    lines[1] = json.dumps(record).replace(
        f'"{field}": {json.dumps(record[field])}', f'"{field}": {value}'
    )
    path.write_text("\n".join(lines), encoding="utf-8")
    for args, exit_code in ((["code"], 2), (["check"], 1)):
        result = runner.invoke(app, args)
        assert result.exit_code == exit_code, result.output
        assert "alpha-clt.jsonl:2" in result.output + result.stderr
        assert message in result.output + result.stderr


def test_a_note_sorts_after_a_coding_with_an_empty_code_on_its_span() -> None:
    """A hand edit can leave a coding without a code; the file order stays what it always was."""
    cf = CodingsFile(
        "t", "c", "x", [Coding("", "s1", 0, 5), Coding("a", "s1", 0, 5)], [SegmentNote("s1", 0, 5)]
    )
    lines = cf.to_text().splitlines()[1:]
    assert [json.loads(line).get("code", "note") for line in lines] == ["", "note", "a"]


def test_a_kept_coding_with_a_falsy_stale_value_is_renewed(small: Path, runner: CliRunner) -> None:
    """`"stale": 0.0` (a hand edit) is rewritten as not stale, and the summary counts stay whole."""
    assert code(runner).exit_code == 0
    path = jsonl(small, "alpha-clt")
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1][:-1] + ', "stale": 0.0}'
    stale_note = (
        '{"segment": "t9", "start": 1, "end": 2, "reviewed": false, "memo": "x", "stale": true}'
    )
    lines.insert(1, stale_note)
    path.write_text("\n".join(lines), encoding="utf-8")
    result = code(runner, "alpha-clt")
    assert result.exit_code == 0, result.stderr
    assert "0 new proposals, 4 kept, 0 removed, 0 re-anchored, 1 stale\n" in result.stderr
    assert path.read_text(encoding="utf-8").count('"stale"') == 1  # the note's


def test_an_id_given_twice_is_coded_once(small: Path, runner: CliRunner) -> None:
    result = code(runner, "alpha-clt", "alpha-clt")
    assert result.exit_code == 0, result.stderr
    assert "coded 1 transcript " in result.stderr
    assert "4 new proposals, 0 kept" in result.stderr


def test_a_lone_surrogate_in_a_memo_is_an_error_on_its_file_not_a_crash(
    small: Path, runner: CliRunner
) -> None:
    assert code(runner).exit_code == 0
    edit_first_record(small, lambda line: line.replace('"memo": ""', '"memo": "\\ud800"'))
    for args, exit_code in ((["code"], 2), (["check"], 1), (["show", "alpha-clt"], 2)):
        result = runner.invoke(app, args)  # check passed it, show crashed on it (fuzzing)
        assert result.exit_code == exit_code, result.output
        assert "alpha-clt.jsonl:2" in result.output + result.stderr
        assert "lone surrogate" in result.output + result.stderr
    assert jsonl(small, "beta-roc").is_file()


FIRST_RUN_WORDS = ["care", "health care", "co-op", "homes", "Café", "trust", "Land", "x"]


@given(
    turns=st.lists(
        st.tuples(
            st.sampled_from(["Interviewer", "Ana Ruiz", "Bo", ""]),
            st.lists(
                st.tuples(
                    st.sampled_from([*FIRST_RUN_WORDS, "we", "the"]),
                    st.sampled_from([" ", ", ", ". ", "\n", "\n\n", "! "]),
                ),
                min_size=1,
                max_size=12,
            ).map(lambda parts: "".join(w + sep for w, sep in parts)),
        ),
        min_size=1,
        max_size=8,
    ),
    keywords=st.lists(
        st.lists(st.sampled_from([*FIRST_RUN_WORDS, "hom*", "tru*"]), min_size=1, max_size=3),
        min_size=1,
        max_size=5,
    ),
    segmentation=st.sampled_from(["turn", "paragraph", "sentence"]),
    vectorized=st.booleans(),
)
@settings(max_examples=200, deadline=None)
def test_a_first_run_file_is_what_merging_into_nothing_gives(
    turns: list[tuple[str, str]],
    keywords: list[list[str]],
    segmentation: str,
    vectorized: bool,
) -> None:
    """`code` writes a transcript's first codings file without building a Coding per proposal."""
    text = "".join(f"{who}: {words}\n\n" if who else f"{words}\n\n" for who, words in turns)
    if not text.strip(" ,.!\n"):
        return
    transcript = parse_transcript(text, "t", "t.txt", segmentation=segmentation)
    rules = [
        Rule(f"c{i % 3}/{i}", f"c{i % 3}", "keywords", keywords=tuple(k), speakers=("*",))
        for i, k in enumerate(keywords)
    ]
    matcher = Matcher(rules)
    matcher.vector_threshold = 0 if vectorized else 10**9
    found = matcher.coded_segments(transcript.text, segment_views(transcript.segments))
    merged, _ = merge_proposals(
        None, propose_codings(transcript, matcher), transcript, "ana", matcher.rule_ids
    )
    assert first_codings_text(transcript, "ana", found) == merged.to_text()


def test_a_re_run_leaves_unchanged_codings_files_alone(small: Path, runner: CliRunner) -> None:
    """Same text, same rules: no file is rewritten (git and file watchers see no change)."""
    assert code(runner).exit_code == 0
    files = sorted((small / "codings" / "auto").iterdir())
    stamps = {p.name: (p.stat().st_mtime_ns, p.stat().st_ino) for p in files}
    edited = files[0]
    edited.write_bytes(edited.read_bytes().replace(b'", "', b'",  "', 1))  # still valid
    result = code(runner)
    assert result.exit_code == 0, result.stderr
    assert "kept" in result.stdout + result.stderr
    changed = {p.name for p in files if (p.stat().st_mtime_ns, p.stat().st_ino) != stamps[p.name]}
    assert changed == {edited.name}  # rewritten in canonical form; the others untouched
    assert b'",  "' not in edited.read_bytes()


def test_a_header_nested_too_deeply_is_reported_not_a_crash(small: Path, runner: CliRunner) -> None:
    assert code(runner).exit_code == 0
    path = jsonl(small, "alpha-clt")
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join(["[" * 100_000 + "]" * 100_000, *lines[1:]]), encoding="utf-8")
    for args, exit_code in ((["code"], 2), (["check"], 1)):
        result = runner.invoke(app, args)
        assert result.exit_code == exit_code, result.output
        assert "alpha-clt.jsonl:1" in result.output + result.stderr
        assert "no valid header line" in result.output + result.stderr


def test_check_reports_a_span_past_the_end_of_the_transcript(
    small: Path, runner: CliRunner
) -> None:
    """Found by fuzzing: `check` passed a hand-edited span that the text cannot hold."""
    assert code(runner).exit_code == 0

    def past_the_end(line: str) -> str:
        record = json.loads(line)
        record.update(origin="human", status="accepted", rules=[], end=99_999)
        return json.dumps(record, ensure_ascii=False)

    edit_first_record(small, past_the_end)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 1, result.output
    assert "past the end of the transcript" in result.output


def test_a_codings_file_copied_under_another_name_is_refused_not_moved(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers trusted the header: a copy made one transcript's decisions another's, which
    `qualcode code` then re-anchored onto the wrong interview, with `check` saying nothing."""
    root = make_project()
    monkeypatch.chdir(root)
    assert code(runner, "-q").exit_code == 0
    ids = sorted(SMALL_TRANSCRIPTS)
    first, second = jsonl(root, ids[0]), jsonl(root, ids[1])
    second.write_bytes(first.read_bytes())
    check = runner.invoke(app, ["check"])
    assert check.exit_code == 1
    assert f"the header says transcript {ids[0]!r}, but the file is auto/{ids[1]}.jsonl" in (
        check.output
    )
    for args in (["code", "-q"], ["tally"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert f"auto/{ids[1]}.jsonl" in result.stderr
    assert second.read_bytes() == first.read_bytes()  # left as it was, for the user to fix


def test_a_decision_recorded_twice_is_an_error(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project()
    monkeypatch.chdir(root)
    assert code(runner, "-q").exit_code == 0
    path = jsonl(root, sorted(SMALL_TRANSCRIPTS)[0])
    lines = path.read_text().splitlines()
    twin = json.loads(lines[1]) | {"status": "rejected", "memo": "no"}
    path.write_text("\n".join([*lines, json.dumps(twin)]) + "\n")
    check = runner.invoke(app, ["check"])
    assert check.exit_code == 1
    assert f"code {twin['code']!r} is recorded twice on segment {twin['segment']}" in check.output


def test_git_conflict_markers_are_named_with_what_to_do(small: Path, runner: CliRunner) -> None:
    """Found by a helper: markers were 'invalid JSON' or 'no valid header line', whose hint was
    to delete the file (losing the decisions) or a checkout git refuses during a merge."""
    assert code(runner).exit_code == 0
    path = jsonl(small, "alpha-clt")
    lines = path.read_text(encoding="utf-8").split("\n")
    conflicted = ["<<<<<<< HEAD", lines[0], "=======", lines[0], ">>>>>>> theirs", *lines[1:]]
    path.write_text("\n".join(conflicted), encoding="utf-8")
    for args in (["check"], ["code"], ["tally"]):
        result = runner.invoke(app, args)
        output = result.stdout + result.stderr
        assert "codings/auto/alpha-clt.jsonl:1" in output, args
        assert "git merge conflict markers on line(s) 1, 3, 5" in output, args
        assert "git checkout --ours FILE" in output and "Do not delete the file" in output


def test_a_codings_file_checked_out_with_crlf_is_not_rewritten(
    small: Path, runner: CliRunner
) -> None:
    """Found by a helper: with git's core.autocrlf every codings file was rewritten (with LF) by
    a run that changed nothing, so git showed all of them modified."""
    assert code(runner).exit_code == 0
    path = jsonl(small, "alpha-clt")
    crlf = path.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    again = code(runner)
    assert again.exit_code == 0, again.stderr
    assert path.read_bytes() == crlf
    assert runner.invoke(app, ["check"]).exit_code == 0


def test_records_made_on_another_text_under_a_current_header_are_found_and_re_anchored(
    small: Path, runner: CliRunner
) -> None:
    """Found by a helper: a git merge took the header of the side that re-coded an edited
    transcript and the records of the other; check passed and quotes began mid-turn."""
    assert code(runner).exit_code == 0
    edit(small, "alpha-clt", lambda cf: decide(cf, "anchor", "t4", status="accepted", memo="A"))
    path = jsonl(small, "alpha-clt")
    old_records = path.read_text(encoding="utf-8").split("\n")[1:]
    _insert_turns_at_start(small, "alpha-clt", "Interviewer: Hi?\n\nMaria Lopez: Hello.\n\n")
    assert code(runner).exit_code == 0
    fixed = path.read_text(encoding="utf-8")
    mixed = "\n".join([fixed.split("\n")[0], *old_records])
    path.write_text(mixed, encoding="utf-8")
    check = runner.invoke(app, ["check"])
    assert (
        "codings/auto/alpha-clt.jsonl:1:1: warning: its records do not sit on the segments of "
        "the text its header names"
    ) in check.stdout
    repaired = code(runner)
    assert repaired.exit_code == 0, repaired.stderr
    assert path.read_text(encoding="utf-8") == fixed  # every record back on its text
    assert "do not sit" not in runner.invoke(app, ["check"]).stdout


def test_a_typo_fixed_in_a_reviewed_turn_keeps_its_review_mark_and_memo(
    small: Path, runner: CliRunner
) -> None:
    """Found by a helper: the turn's codings followed the fix, its mark and memo went stale, and
    no command could clear them, so `check --strict` failed in CI."""
    assert code(runner).exit_code == 0
    project = load_project(small)
    t2 = {s.id: s for s in project.corpus.load("alpha-clt").segments}["t2"]

    def review(cf: CodingsFile) -> None:
        decide(cf, "housing", "t2", status="accepted")
        cf.notes.append(SegmentNote("t2", t2.start, t2.end, reviewed=True, memo="origin story"))

    edit(small, "alpha-clt", review)
    path = small / "transcripts" / "alpha-clt.txt"
    path.write_text(path.read_text().replace("we do,", "we do ,"), encoding="utf-8")
    assert code(runner).exit_code == 0
    notes = [(n.segment, n.reviewed, n.memo, n.stale) for n in load(small, "alpha-clt").notes]
    assert notes == [("t2", True, "origin story", False)]
    assert runner.invoke(app, ["check", "--strict"]).exit_code == 0


def test_a_record_kept_twice_by_a_merge_is_written_once(small: Path, runner: CliRunner) -> None:
    """Found by a helper: keeping both sides of a git conflict left identical lines that `code`
    kept and analysis counted."""
    assert code(runner).exit_code == 0
    path = jsonl(small, "alpha-clt")
    clean = path.read_text(encoding="utf-8")
    lines = clean.split("\n")
    path.write_text("\n".join([*lines[:3], lines[2], *lines[3:]]), encoding="utf-8")
    assert "recorded twice" in runner.invoke(app, ["check"]).stdout
    assert code(runner).exit_code == 0
    assert path.read_text(encoding="utf-8") == clean


def test_analysis_warns_about_codings_it_cannot_count(small: Path, runner: CliRunner) -> None:
    """Found by a helper: after a code was renamed in the codebook, and with two decisions on one
    segment from a git conflict, tally and agree counted without a word."""
    assert code(runner).exit_code == 0
    edit(small, "alpha-clt", lambda cf: decide(cf, "health", "t4", status="accepted"))
    path = jsonl(small, "alpha-clt")
    lines = path.read_text(encoding="utf-8").split("\n")
    health = next(line for line in lines if '"code": "health"' in line)
    path.write_text("\n".join([*lines, health.replace("accepted", "rejected")]), encoding="utf-8")
    book = small / "codebooks" / "small.yaml"
    book.write_text(book.read_text().replace("id: anchor", "id: anchor-institution"), "utf-8")
    tally = runner.invoke(app, ["tally"])
    assert tally.exit_code == 0, tally.output
    assert "coding(s) of 'auto' use codes that are not in the codebook" in tally.stderr
    assert "'anchor' (" in tally.stderr and "was a code renamed?" in tally.stderr
    assert "1 code(s) of 'auto' have two different decisions on one segment" in tally.stderr
    assert "alpha-clt t4 health" in tally.stderr


def test_a_changed_segmentation_is_not_taken_for_a_git_merge(
    small: Path, runner: CliRunner
) -> None:
    """Found by a reviewer: check gave both 'a git merge?' and 'was segmentation changed?', and
    code then marked the decisions stale though their text had not changed."""
    assert code(runner).exit_code == 0
    config = small / "qualcode.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("segmentation: turn", "segmentation: sentence"), "utf-8")
    check = runner.invoke(app, ["check"])
    assert "do not sit on the segments" not in check.stdout
    assert "was `segmentation:` changed?" in check.stdout
