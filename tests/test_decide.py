"""Tests for `qualcode decide` (qualcode.decisions) and the CLI side of `qualcode session`.

The project is `qualcode init`'s example plus a second transcript; the rules propose
example-interview t2 convener, t4 contributor; second t2 convener, t4 contributor.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qualcode.cli.session  # noqa: F401  (registers session/decide until cli/__init__ does)
from qualcode import decisions
from qualcode.cli import app
from qualcode.decisions import DecisionsError, apply_decisions_file
from qualcode.project import load_project
from qualcode.scaffold import scaffold_project
from qualcode.store import lock_path, parse_codings

SECOND = """\
Interviewer: Who brought everyone to the table?

Ana Diaz: Our director convened the lenders and the city.

Interviewer: Anything else?

Ana Diaz: We donated a parcel. That was the easy part.
"""

runner = CliRunner()


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "study"
    monkeypatch.chdir(tmp_path)  # messages name files relative to the current folder
    scaffold_project(folder)
    (folder / "transcripts" / "second.txt").write_text(SECOND, encoding="utf-8")
    return folder


def decide(root: Path, name: str, content: str, *args: str):  # type: ignore[no-untyped-def]
    path = root / name
    path.write_text(content, encoding="utf-8")
    return runner.invoke(app, ["decide", "--project", str(root), *args, str(path)])


def codings(root: Path, transcript: str = "example-interview", coder: str = "alice"):  # type: ignore[no-untyped-def]
    path = root / "codings" / coder / f"{transcript}.jsonl"
    return parse_codings(path.read_text(encoding="utf-8"), str(path))


def by_key(
    root: Path, transcript: str = "example-interview", coder: str = "alice"
) -> dict[tuple[str, str], object]:
    return {(c.segment, c.code): c for c in codings(root, transcript, coder).codings}


def test_csv_decisions_change_the_files_as_expected(root: Path) -> None:
    text = (root / "transcripts" / "example-interview.txt").read_text(encoding="utf-8")
    start = text.index("convened the land trust")
    end = start + len("convened the land trust")
    content = (
        "transcript,segment,code,action,memo,start,end,text\n"
        "example-interview,t2,convener,accept,the lunch,,,ignored context column\n"
        "example-interview,t4,contributor,reject,,,,\n"
        "example-interview,t4,convener,add,,,,\n"
        f"example-interview,t2,contributor,add,,{start},{end},\n"
        'example-interview,t2,,memo,"a memo, with a comma",,,\n'
        "second,t2,CONVENER,Accept,,,,\n"
    ).replace("CONVENER", "convener")
    result = decide(root, "decisions.csv", content, "--coder", "alice")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "2 accepted, 1 rejected, 2 added, 1 memo;" in result.stderr
    assert "3 segments marked reviewed in 2 transcripts" in result.stderr
    records = by_key(root)
    assert records["t2", "convener"].status == "accepted"  # type: ignore[attr-defined]
    assert records["t2", "convener"].memo == "the lunch"  # type: ignore[attr-defined]
    assert records["t4", "contributor"].status == "rejected"  # type: ignore[attr-defined]
    added = records["t4", "convener"]
    assert (added.origin, added.status) == ("human", "accepted")  # type: ignore[attr-defined]
    span = records["t2", "contributor"]
    assert (span.start, span.end, span.quote) == (start, end, "convened the land trust")  # type: ignore[attr-defined]
    notes = {n.segment: n for n in codings(root).notes}
    assert notes["t2"].memo == "a memo, with a comma"
    assert notes["t2"].reviewed and notes["t4"].reviewed
    assert by_key(root, "second")["t2", "convener"].status == "accepted"  # type: ignore[attr-defined]
    assert "t4" not in {n.segment for n in codings(root, "second").notes}


def test_adding_a_code_the_rules_proposed_there_is_counted_as_accepting_it(root: Path) -> None:
    """Found by a helper: it said '1 added' where the proposal had become accepted."""
    content = "transcript,segment,code,action\nexample-interview,t2,convener,add\n"
    result = decide(root, "add.csv", content, "--coder", "alice")
    assert result.exit_code == 0, result.output
    assert "decided for coder 'alice': 1 accepted;" in result.stderr
    convener = by_key(root)["t2", "convener"]
    assert (convener.origin, convener.status) == ("rule", "accepted")  # type: ignore[attr-defined]


def test_yaml_decisions_and_remove(root: Path) -> None:
    content = """\
- {transcript: example-interview, segment: t2, code: contributor, action: add}
- transcript: example-interview
  segment: t2
  code: contributor
  action: memo
  memo: second thoughts
- {transcript: example-interview, segment: t4, code: contributor, action: remove}
- {transcript: example-interview, segment: t2, code: convener, action: reject}
"""
    result = decide(root, "decisions.yaml", content, "--coder", "bob")
    assert result.exit_code == 0, result.output
    found = by_key(root, coder="bob")
    assert found["t2", "contributor"].memo == "second thoughts"
    assert found["t4", "contributor"].status == "rejected"  # a rule proposal: removing rejects
    assert found["t2", "convener"].status == "rejected"
    # removing what was added deletes it
    again = decide(
        root,
        "undo.yaml",
        "- {transcript: example-interview, segment: t2, code: contributor, action: remove}\n",
        "--coder",
        "bob",
    )
    assert again.exit_code == 0, again.output
    assert "1 removed" in again.stderr
    assert ("t2", "contributor") not in by_key(root, coder="bob")


def test_decide_uses_the_coder_from_qualcode_yaml(root: Path) -> None:
    config = root / "qualcode.yaml"
    config.write_text(config.read_text().replace("coder: auto", "coder: carol"))
    result = decide(root, "d.csv", "transcript,segment,code,action\nsecond,t2,convener,accept\n")
    assert result.exit_code == 0, result.output
    assert by_key(root, "second", "carol")["t2", "convener"].status == "accepted"  # type: ignore[attr-defined]


def test_a_coder_is_required_when_the_project_default_is_auto(root: Path) -> None:
    result = decide(root, "d.csv", "transcript,segment,code,action\nsecond,t2,convener,accept\n")
    assert result.exit_code == 2
    assert "--coder NAME" in result.stderr
    assert not (root / "codings").exists()


ERROR_CASES = [
    pytest.param(
        "example-intervew,t2,convener,accept",
        ["unknown transcript 'example-intervew'", "did you mean 'example-interview'"],
        id="unknown-transcript",
    ),
    pytest.param(
        "example-interview,t2,convenr,accept",
        ["unknown code 'convenr'", "did you mean 'convener'"],
        id="unknown-code",
    ),
    pytest.param(
        "example-interview,t9,convener,accept",
        ["segment 't9' does not exist", "edited", "qualcode show example-interview"],
        id="segment-gone",
    ),
    pytest.param(
        "example-interview,t4,convener,accept",
        ["cannot accept 'convener'", "not on segment t4", "use `add`"],
        id="accept-without-proposal",
    ),
    pytest.param(
        "example-interview,t2,contributor,reject",
        ["cannot reject 'contributor'"],
        id="reject-without-proposal",
    ),
    pytest.param(
        "example-interview,t2,convener,acept",
        ["unknown action 'acept'", "did you mean 'accept'"],
        id="bad-action",
    ),
    pytest.param(
        'example-interview,t2,convener,accept,"unclosed memo',
        ["a quote opened on this row never closes"],
        id="unclosed-quote",
    ),
    pytest.param(
        "example-interview,t2,convener,Approve",
        ["unknown action 'approve'", "did you mean 'accept'"],
        id="action-synonym",
    ),
    pytest.param(
        "example-interview,t2,,accept", ["action 'accept' needs a code"], id="missing-code"
    ),
    pytest.param("example-interview,t2,roles,add", ["'roles' is a category"], id="category"),
    pytest.param(
        "second,t2,convener,reject",
        ["reject contradicts line 2 (accept) for 'convener' on second t2", "keep one"],
        id="contradiction",
    ),
]


@pytest.mark.parametrize(("row", "expected"), ERROR_CASES)
def test_each_problem_is_reported_with_file_and_line_and_nothing_is_written(
    root: Path, row: str, expected: list[str]
) -> None:
    content = "transcript,segment,code,action\nsecond,t2,convener,accept\n" + row + "\n"
    result = decide(root, "decisions.csv", content, "--coder", "alice")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("study/decisions.csv:3: error:")
    for text in expected:
        assert text in result.stderr
    assert "nothing was written" in result.stderr
    assert not (root / "codings").exists()


def test_all_problems_are_listed_at_once(root: Path) -> None:
    before = decide(
        root, "ok.csv", "transcript,segment,code,action\nsecond,t2,convener,accept\n", "-c", "alice"
    )
    assert before.exit_code == 0
    old = (root / "codings" / "alice" / "second.jsonl").read_bytes()
    content = """\
- {transcript: second, segment: t4, code: contributor, action: accept}
- {transcript: nope, segment: t2, code: convener, action: accept}
- {transcript: second, segment: t2, code: convener, action: frobnicate}
- {transcript: second, segment: t4, code: contributr, action: reject}
- {transcript: second, segment: t4, code: contributor, acton: reject}
"""
    result = decide(root, "many.yaml", content, "--coder", "alice")
    assert result.exit_code == 2
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert lines[0] == "error: 5 problems in study/many.yaml, nothing was written:"
    for number in (2, 3, 4, 5):
        assert any(line.startswith(f"study/many.yaml:{number}:") for line in lines)
    assert "unknown column 'acton' (did you mean 'action'?)" in result.stderr
    assert (root / "codings" / "alice" / "second.jsonl").read_bytes() == old
    assert not (root / "codings" / "alice" / "example-interview.jsonl").exists()


def test_structural_problems_in_the_file(root: Path) -> None:
    missing = decide(root, "d.csv", "transcript,segment,code\nsecond,t2,convener\n", "-c", "a")
    assert missing.exit_code == 2
    assert "missing column action" in missing.stderr
    memo_map = decide(
        root,
        "m.yaml",
        "- {transcript: second, segment: t2, code: convener, action: add, memo: {a: 1}}\n",
        "-c",
        "a",
    )
    assert memo_map.exit_code == 2 and "memo must be text" in memo_map.stderr
    not_a_list = decide(root, "d.yaml", "transcript: second\n", "-c", "a")
    assert not_a_list.exit_code == 2
    assert "must be a list of mappings" in not_a_list.stderr
    bad_offsets = decide(
        root,
        "e.csv",
        "transcript,segment,code,action,start,end\nsecond,t2,convener,add,ten,\n",
        "-c",
        "a",
    )
    assert bad_offsets.exit_code == 2
    assert "start must be a whole number" in bad_offsets.stderr
    outside = decide(
        root,
        "f.csv",
        "transcript,segment,code,action,start,end\nsecond,t2,convener,add,0,5\n",
        "-c",
        "a",
    )
    assert outside.exit_code == 2
    assert "not inside segment t2" in outside.stderr
    span_on_accept = decide(
        root,
        "g.csv",
        "transcript,segment,code,action,start,end\nsecond,t2,convener,accept,0,5\n",
        "-c",
        "a",
    )
    assert span_on_accept.exit_code == 2
    assert "start/end are given for 'accept', but only `add` takes a span" in span_on_accept.stderr
    unknown_format = decide(root, "d.json", "[]", "-c", "a")
    assert unknown_format.exit_code == 2
    missing_file = runner.invoke(
        app, ["decide", "--project", str(root), "-c", "a", str(root / "nope.csv")]
    )
    assert missing_file.exit_code == 2
    assert "not found" in missing_file.stderr
    assert not (root / "codings").exists()


def test_decide_refuses_while_the_coder_has_a_session_open(root: Path) -> None:
    lock = lock_path(load_project(root), "alice", "second")
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"pid": os.getpid(), "host": os.uname().nodename, "since": 0}))
    result = decide(root, "d.csv", "transcript,segment,code,action\nsecond,t2,convener,accept\n",
                    "--coder", "alice")  # fmt: skip
    assert result.exit_code == 2
    assert "has a session open" in result.stderr
    assert not (root / "codings" / "alice" / "second.jsonl").exists()
    assert lock.exists()  # not ours to remove


def test_a_crash_between_transcripts_leaves_every_file_whole(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each transcript is written atomically: a crash mid-way leaves old or new files, all valid."""
    project = load_project(root)
    first = root / "first.csv"
    first.write_text(
        "transcript,segment,code,action\nexample-interview,t2,convener,accept\n"
        "second,t2,convener,accept\n"
    )
    apply_decisions_file(project, "alice", first)
    old_second = (root / "codings" / "alice" / "second.jsonl").read_text()
    calls = []
    real_write = decisions.write_codings

    def crash_on_second(project, codings):  # type: ignore[no-untyped-def]
        calls.append(codings.transcript)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_write(project, codings)

    monkeypatch.setattr(decisions, "write_codings", crash_on_second)
    second = root / "second.csv"
    second.write_text(
        "transcript,segment,code,action\nexample-interview,t4,contributor,reject\n"
        "second,t4,contributor,reject\n"
    )
    with pytest.raises(KeyboardInterrupt):
        apply_decisions_file(project, "alice", second)
    assert by_key(root)["t4", "contributor"].status == "rejected"  # type: ignore[attr-defined]
    assert (root / "codings" / "alice" / "second.jsonl").read_text() == old_second
    for path in (root / "codings" / "alice").iterdir():
        assert path.suffix == ".jsonl", f"left behind: {path.name}"  # no lock, no temp file
        parse_codings(path.read_text(), str(path))


def test_decisions_error_lists_problems_in_line_order() -> None:
    error = DecisionsError(
        "d.csv", [decisions.Problem(4, "b"), decisions.Problem(2, "a", "do this")]
    )
    assert str(error).splitlines()[1:3] == ["  d.csv:2: a (do this)", "  d.csv:4: b"]
    single = DecisionsError("d.csv", [decisions.Problem(3, "only")])
    assert single.location() == "d.csv:3"
    assert single.hint == "nothing was written"


# -- qualcode session from the command line -------------------------------------------------------


def test_session_needs_a_terminal(root: Path) -> None:
    result = runner.invoke(app, ["session", "--project", str(root), "--coder", "alice"])
    assert result.exit_code == 2
    assert "needs an interactive terminal" in result.stderr
    assert "qualcode decide" in result.stderr
    assert not (root / "codings").exists()


def test_session_and_decide_have_help_with_an_example() -> None:
    for command in ("session", "decide"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.stdout
