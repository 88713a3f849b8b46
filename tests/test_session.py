"""Tests for qualcode.session: the pure decisions and the session state (no terminal involved).

The project is `qualcode init`'s example plus a second transcript, so the rules propose:
example-interview t2 convener, t4 contributor; second t2 convener, t4 contributor, t6 nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.errors import StoreError, UsageError
from qualcode.project import load_project
from qualcode.scaffold import scaffold_project
from qualcode.session import (
    DecisionError,
    SegmentRecords,
    SessionState,
    add_code,
    remove_code,
    search_codes,
    session_segments,
)
from qualcode.store import Coding, lock_path, parse_codings, read_codings

SECOND = """\
Interviewer: Who brought everyone to the table?

Ana Diaz: Our director convened the lenders and the city.

Interviewer: Anything else?

Ana Diaz: We donated a parcel. That was the easy part.

Interviewer: Thanks.

Ana Diaz: You are welcome, it was a good talk.
"""


def make_project(root: Path) -> Path:
    scaffold_project(root)
    (root / "transcripts" / "second.txt").write_text(SECOND, encoding="utf-8")
    return root


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_project(make_project(tmp_path / "study"))


@pytest.fixture
def state(project):  # type: ignore[no-untyped-def]
    opened = SessionState.open(project, "alice")
    yield opened
    opened.close()


def on_disk(project, transcript: str = "example-interview", coder: str = "alice"):  # type: ignore[no-untyped-def]
    """The coder's file as a fresh reader sees it (every decision must already be there)."""
    path = project.codings_dir / coder / f"{transcript}.jsonl"
    return parse_codings(path.read_text(encoding="utf-8"), str(path))


def status_of(project, segment: str, code: str, transcript: str = "example-interview") -> str:  # type: ignore[no-untyped-def]
    found = [
        c for c in on_disk(project, transcript).codings if (c.segment, c.code) == (segment, code)
    ]
    return found[0].status if found else "absent"


def reviewed(project, transcript: str = "example-interview") -> set[str]:  # type: ignore[no-untyped-def]
    return {n.segment for n in on_disk(project, transcript).notes if n.reviewed}


# -- pure decisions -------------------------------------------------------------------------------


def test_add_with_a_span_keeps_a_quote_and_checks_the_bounds() -> None:
    text = "0123456789abcdefghij"
    records = SegmentRecords("t1", 5, 15)
    added = add_code(records, "convener", text, (7, 10))
    (coding,) = added.codings
    assert (coding.start, coding.end, coding.quote, coding.origin) == (7, 10, "789", "human")
    assert coding.status == "accepted"
    with pytest.raises(DecisionError, match="not inside segment"):
        add_code(records, "convener", text, (3, 10))


def test_add_with_a_span_leaves_out_whitespace_at_its_edges() -> None:
    text = "We built\n homes  here."
    records = SegmentRecords("t1", 0, len(text))
    (coding,) = add_code(records, "housing", text, (8, 17)).codings
    assert (coding.start, coding.end, coding.quote) == (10, 15, "homes")
    whole = add_code(records, "housing", text, (0, len(text))).codings[0]
    assert (whole.start, whole.end, whole.quote) == (0, len(text), "")  # still the whole segment
    with pytest.raises(DecisionError, match="8-10 in segment t1 holds only whitespace"):
        add_code(records, "housing", text, (8, 10))


def test_add_on_a_proposal_accepts_it_and_remove_rejects_rule_codings() -> None:
    proposal = Coding("convener", "t1", 0, 5, rules=("convener/1",))
    records = SegmentRecords("t1", 0, 5, (proposal,))
    accepted = add_code(records, "convener", "hello")
    assert accepted.codings[0].status == "accepted"
    assert accepted.codings[0].origin == "rule"
    assert remove_code(accepted, "convener").codings[0].status == "rejected"
    human = add_code(SegmentRecords("t1", 0, 5), "contributor", "hello")
    assert remove_code(human, "contributor").codings == ()


def test_search_codes_ranks_by_name_and_id() -> None:
    from qualcode.codebook.model import Code, Codebook

    codebook = Codebook(
        (),
        (
            Code("roles", "Roles", "b", codable=False),
            Code("convener", "Convener", "b"),
            Code("contributor", "Contributor", "b"),
            Code("capacity-builder", "Capacity building", "b"),
        ),
    )
    assert search_codes(codebook, "conv")[0].id == "convener"
    assert search_codes(codebook, "contrib")[0].id == "contributor"
    assert search_codes(codebook, "capacity build")[0].id == "capacity-builder"
    assert search_codes(codebook, "cnvener")[0].id == "convener"  # a typo still finds it
    assert [c.id for c in search_codes(codebook, "")] == [
        "convener",
        "contributor",
        "capacity-builder",
    ]
    assert all(c.id != "roles" for c in search_codes(codebook, "roles"))  # not codable
    assert len(search_codes(codebook, "", limit=2)) == 2


def test_session_segments_are_the_informant_turns(project) -> None:  # type: ignore[no-untyped-def]
    transcript = project.corpus.load("example-interview")
    assert [s.id for s in session_segments(transcript, None)] == ["t2", "t4"]


# -- the session ----------------------------------------------------------------------------------


def test_open_runs_the_rules_and_starts_at_the_first_segment(project, state) -> None:  # type: ignore[no-untyped-def]
    assert state.transcript_id == "example-interview"
    assert state.segment.id == "t2"
    assert "ran the rules on example-interview" in " ".join(state.take_notices())
    assert read_codings(project, "alice", "example-interview") is not None
    (row,) = state.rows()
    assert (row.code, row.status, row.rules) == ("convener", "proposed", ("convener/1",))
    assert row.matched == ("convened",)
    assert [state.segment_text()[h.start - state.segment.start :][:8] for h in state.hits()] == [
        "convened"
    ]
    before, after = state.context()
    assert before is not None and before.speaker == "Interviewer"
    assert after is not None and after.id == "t3"
    assert state.progress() == (0, 2)


def test_every_decision_is_on_disk_at_once(project, state) -> None:  # type: ignore[no-untyped-def]
    state.accept("convener")
    assert status_of(project, "t2", "convener") == "accepted"
    state.reject("convener")
    assert status_of(project, "t2", "convener") == "rejected"
    state.add("contributor")
    assert status_of(project, "t2", "contributor") == "accepted"
    state.memo("lunch as the origin story", "contributor")
    (added,) = [
        c for c in on_disk(project).codings if c.code == "contributor" and c.segment == "t2"
    ]
    assert (added.origin, added.memo) == ("human", "lunch as the origin story")
    state.memo("a good quote")
    (note,) = on_disk(project).notes
    assert (note.segment, note.memo, note.reviewed) == ("t2", "a good quote", False)
    state.remove("contributor")
    assert status_of(project, "t2", "contributor") == "absent"
    state.mark_reviewed()
    assert reviewed(project) == {"t2"}


def test_bad_decisions_raise_and_change_nothing(project, state) -> None:  # type: ignore[no-untyped-def]
    before = on_disk(project).to_text()
    with pytest.raises(DecisionError, match="not on segment t2"):
        state.accept("contributor")
    with pytest.raises(UsageError, match="did you mean 'convener'"):
        state.add("convenr")
    with pytest.raises(UsageError, match="category"):
        state.add("roles")
    with pytest.raises(DecisionError):
        state.memo("x", "contributor")
    assert on_disk(project).to_text() == before
    assert state.undo_stack == []


def test_a_segment_is_reviewed_when_left_with_nothing_to_decide(project, state) -> None:  # type: ignore[no-untyped-def]
    assert state.next_segment()  # t2 still has an open proposal: not reviewed
    assert state.segment.id == "t4"
    assert reviewed(project) == set()
    assert state.prev_segment()
    state.accept("convener")
    assert state.next_segment()
    assert reviewed(project) == {"t2"}
    state.reject("contributor")
    assert state.prev_segment()  # leaving after deciding counts, in any direction
    assert reviewed(project) == {"t2", "t4"}
    assert state.progress() == (2, 2)


def test_next_segment_past_a_segment_without_proposals_marks_it(project, state) -> None:  # type: ignore[no-untyped-def]
    state.next_transcript()
    assert (state.transcript_id, state.segment.id) == ("second", "t2")
    state.search("welcome")
    assert state.segment.id == "t6" and state.rows() == []
    assert not state.next_segment()  # last segment: stays, but it was looked at
    assert "last segment" in " ".join(state.take_notices())
    assert reviewed(project, "second") == {"t6"}


def test_next_unreviewed_goes_across_transcripts(project, state) -> None:  # type: ignore[no-untyped-def]
    state.accept("convener")
    assert state.next_unreviewed()
    assert state.segment.id == "t4"
    state.accept("contributor")
    assert state.next_unreviewed()
    assert (state.transcript_id, state.segment.id) == ("second", "t2")
    assert reviewed(project) == {"t2", "t4"}
    # the lock moved with the transcript
    assert not lock_path(project, "alice", "example-interview").exists()
    assert lock_path(project, "alice", "second").exists()


def test_next_transcript_wraps_around(state) -> None:  # type: ignore[no-untyped-def]
    assert state.next_transcript()
    assert state.transcript_id == "second"
    assert state.next_transcript()
    assert state.transcript_id == "example-interview"


def test_go_to_a_transcript_by_its_id_or_part_of_it(state, project) -> None:  # type: ignore[no-untyped-def]
    """A helper needed ten presses of `t` to reach the eleventh transcript."""
    assert state.go_to_transcript("SEC")
    assert state.transcript_id == "second"
    assert not lock_path(project, "alice", "example-interview").exists()  # left, lock released
    state.take_notices()
    assert not state.go_to_transcript("e")  # in both ids: which one is meant?
    assert state.take_notices() == ["2 transcripts match 'e': example-interview, second"]
    assert not state.go_to_transcript("nowhere")
    assert state.take_notices() == ["0 transcripts match 'nowhere'"]
    assert state.go_to_transcript("example-interview")
    assert state.transcript_id == "example-interview"


def test_search_is_case_insensitive_and_crosses_transcripts(state) -> None:  # type: ignore[no-untyped-def]
    assert state.search("DONATED the")
    assert (state.transcript_id, state.segment.id) == ("example-interview", "t4")
    assert state.search("donated a parcel")
    assert (state.transcript_id, state.segment.id) == ("second", "t4")
    assert state.search("donated the land")  # wraps back to the first transcript
    assert state.transcript_id == "example-interview"
    assert not state.search("no such words")
    assert "not found" in " ".join(state.take_notices())


def test_undo_and_redo_restore_the_file_and_show_the_segment(project, state) -> None:  # type: ignore[no-untyped-def]
    state.accept("convener")
    state.next_segment()
    state.add("convener")
    state.next_transcript()
    assert state.undo() == "undid: added convener"
    assert (state.transcript_id, state.segment.id) == ("example-interview", "t4")
    assert status_of(project, "t4", "convener") == "absent"
    assert state.undo() == "undid: accepted convener"
    assert state.segment.id == "t2"
    assert status_of(project, "t2", "convener") == "proposed"
    assert "t2" not in reviewed(project)  # the decision that made it reviewed is gone
    assert state.undo() is None
    assert state.redo() == "redid: accepted convener"
    assert status_of(project, "t2", "convener") == "accepted"
    state.reject("convener")  # a new decision forgets what could be redone
    assert state.redo() is None
    assert status_of(project, "t2", "convener") == "rejected"


def test_reopening_resumes_at_the_first_unreviewed_segment(project) -> None:  # type: ignore[no-untyped-def]
    with SessionState.open(project, "alice") as first:
        first.accept("convener")
        first.next_segment()
        first.reject("contributor")
        first.next_segment()  # last one: marks t4 reviewed
    with SessionState.open(project, "alice") as again:
        assert (again.transcript_id, again.segment.id) == ("second", "t2")
    with SessionState.open(project, "alice", ["example-interview"]) as only:
        assert only.segment.id == "t2"
        assert "every segment is reviewed" in " ".join(only.take_notices())


def test_other_coders_files_are_untouched(project, state) -> None:  # type: ignore[no-untyped-def]
    with SessionState.open(project, "bob") as bob:
        bob.reject("convener")
    state.accept("convener")
    assert status_of(project, "t2", "convener") == "accepted"
    bob_file = on_disk(project, coder="bob")
    assert [c.status for c in bob_file.codings if c.segment == "t2"] == ["rejected"]


def test_unknown_transcript_is_a_usage_error(project) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UsageError, match="did you mean 'second'"):
        SessionState.open(project, "alice", ["secnd"])


# -- locks ----------------------------------------------------------------------------------------


def test_a_live_session_locks_out_a_second_one_of_the_same_coder(project, state) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(StoreError, match="has a session open") as caught:
        SessionState.open(project, "alice", ["example-interview"])
    assert caught.value.exit_code == 2
    assert lock_path(project, "alice", "example-interview").exists()  # still ours
    state.close()
    assert not lock_path(project, "alice", "example-interview").exists()
    SessionState.open(project, "alice", ["example-interview"]).close()


def test_a_stale_lock_of_a_dead_session_is_cleared_with_a_message(project) -> None:  # type: ignore[no-untyped-def]
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    path = lock_path(project, "alice", "example-interview")
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "since": 0}))
    with SessionState.open(project, "alice") as state:
        assert "cleared a stale lock" in " ".join(state.take_notices())
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert not path.exists()


def test_an_edited_transcript_is_reanchored_on_open(project) -> None:  # type: ignore[no-untyped-def]
    with SessionState.open(project, "alice") as state:
        state.accept("convener")
    path = project.transcripts_dir / "example-interview.txt"
    path.write_text(path.read_text(encoding="utf-8").replace("lunch", "long lunch"), "utf-8")
    project = load_project(project.root)
    with SessionState.open(project, "alice") as state:
        assert "was edited since it was coded" in " ".join(state.take_notices())
        assert state.segment.id == "t2"
        assert state.rows()[0].status == "accepted"
        assert state.segment_text().startswith("Honestly, it started with a long lunch")
