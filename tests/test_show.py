"""`qualcode show`: a transcript with its codings, in plain text when piped, styled on a terminal."""

from __future__ import annotations

import io
import re
from dataclasses import replace

import pytest
from rich.console import Console
from typer.testing import CliRunner

from conftest import MakeProject
from qualcode.cli import app
from qualcode.cli.output import stdout_console
from qualcode.cli.render import render_transcript_view
from qualcode.overview import CodingView, HitView, SegmentViewData, TranscriptView

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_show_why_prints_segments_codings_and_the_words_behind_them(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(make_project())
    assert runner.invoke(app, ["code", "-q"]).exit_code == 0
    result = runner.invoke(app, ["show", "alpha-clt", "--why"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "alpha-clt  (transcripts/alpha-clt.txt, coder auto)\npartnership_type: CLT\n\n"
        "[t1 L4-4] Interviewer\nTell me about housing in your town.\n\n"
    )
    assert (
        "[t2 L6-6] Maria Lopez (informant)\n"
        "We run a land trust. Housing is what we do, affordable homes for families.\n"
        "  ? housing  proposed, rule\n"
        "      housing/1 (keywords: housing, homes, land trust* (exclude: nursing homes)) "
        "matched 'land trust'\n"
    ) in result.output
    assert "      anchor/1 (near(5): hospital, anchor) matched 'hospital is an anchor'\n" in (
        result.output
    )
    assert "matched" not in runner.invoke(app, ["show", "alpha-clt"]).output
    ghost = runner.invoke(app, ["show", "alpha-clt", "--coder", "ghost"])
    assert ghost.exit_code == 2
    assert "no codings for coder 'ghost'" in ghost.output


def _view(text: str, hit_word: str) -> TranscriptView:
    start = text.index(hit_word)
    coding = CodingView(
        "housing", "Housing", "green", "accepted", "human", (), "a memo", 0, len(text), stale=True
    )
    hit = HitView(start, start + len(hit_word), "housing/1", "housing", hit_word)
    segment = SegmentViewData("t1", "Ana", "informant", 3, 3, 0, len(text), text, (coding,), (hit,))
    metadata = {"partnership_type": "CLT", "notes": "Met at her office.\nBy email later."}
    return TranscriptView(
        "x", "transcripts/x.txt", "alice", metadata, (segment,), {"housing/1": "k"}
    )


def _styled(view: TranscriptView) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="truecolor", width=200)
    render_transcript_view(view, console, why=True)
    return out.getvalue()


def test_a_terminal_gets_the_same_text_as_a_pipe_with_the_hit_highlighted() -> None:
    view = _view("We build homes here.", "homes")
    plain = io.StringIO()
    render_transcript_view(view, stdout_console(plain), why=True)
    styled = _styled(view)
    assert ANSI.sub("", styled) == plain.getvalue()
    assert (
        "  ✓ housing  accepted, human  STALE (made on an earlier text of this segment id; not "
        "counted)  memo: a memo\n"
    ) in plain.getvalue()
    # a metadata value from a multi-line spreadsheet cell stays on the metadata line
    assert "\npartnership_type: CLT  notes: Met at her office. By email later.\n" in (
        plain.getvalue()
    )
    assert "\x1b[1;7mhomes\x1b[0m" in styled  # bold reverse on the matched word


def test_control_characters_in_a_transcript_cannot_reach_the_terminal() -> None:
    # An escape sequence that clears the screen, and a form feed before the matched word: each
    # becomes one space, so the highlight stays on the word.
    view = _view("Clear\x1b[2J it.\x0cWe build homes.", "homes")
    plain = io.StringIO()
    render_transcript_view(view, stdout_console(plain), why=True)
    assert "Clear [2J it. We build homes.\n" in plain.getvalue()
    styled = _styled(view)
    assert "\x1b[2J" not in styled and "\x0c" not in styled
    assert "\x1b[1;7mhomes\x1b[0m" in styled


def test_a_long_transcript_is_printed_in_batches_with_nothing_lost_or_doubled() -> None:
    """One print per line made a transcript of 330,000 short paragraphs take 88 s to show."""
    one = _view("We build homes here.", "homes").segments[0]
    segments = tuple(replace(one, id=f"t{i}", line_start=i, line_end=i) for i in range(1500))
    view = replace(_view("We build homes here.", "homes"), segments=segments)
    plain = io.StringIO()
    render_transcript_view(view, stdout_console(plain), why=True)
    lines = plain.getvalue().split("\n")
    assert len(lines) == 3 + 1500 * 5 + 1  # title, metadata, blank; 5 lines a segment; the end
    assert [line for line in lines if line.startswith("[t")] == [
        f"[t{i} L{i}-{i}] Ana (informant)" for i in range(1500)
    ]
    assert ANSI.sub("", _styled(view)) == plain.getvalue()


def test_escape_sequences_in_a_transcript_never_reach_the_terminal(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interview holding `ESC]0;...BEL` retitled the terminal through `qualcode quotes`."""
    hostile = "Interviewer: Hello?\n\nMaria Lopez: homes \x1b]0;PWNED\x07 \x1b[2J housing\n"
    monkeypatch.chdir(make_project(transcripts={"esc": hostile}, metadata=None))
    assert runner.invoke(app, ["code", "-q"]).exit_code == 0
    for args in (["quotes", "--code", "housing"], ["summary"], ["show", "esc"], ["tally"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout, args


def test_csv_and_markdown_to_a_terminal_are_made_safe_but_not_to_a_file() -> None:
    from qualcode.cli.render import render_rows

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    rows = [{"quote": "homes \x1b]0;PWNED\x07 \x1b[2J"}]
    for fmt in ("csv", "md"):
        shown, saved = Terminal(), io.StringIO()
        render_rows(rows, ["quote"], fmt, out=shown)
        render_rows(rows, ["quote"], fmt, out=saved)
        assert "\x1b" not in shown.getvalue() and "\x07" not in shown.getvalue()
        assert "\x1b]0;PWNED" in saved.getvalue().replace("\\]", "]")  # data kept in a file
