"""Caption files (WebVTT, SubRip) converted into transcripts: `qualcode import captions`.

Oracles: the cue syntax of the W3C WebVTT spec (header block, optional cue identifiers, NOTE/STYLE
blocks, `<v Name>` voice spans, `<c>`/`<i>` and timestamp tags, HTML character references, hours
optional in timings) and of SubRip (number, `hh:mm:ss,mmm --> ...`, text); the examples follow
what Zoom (`Name: words` in the cue text) and Microsoft Teams (`<v Name>` with GUID identifiers)
write. The converted file must read back, through the transcript parser, as the same speakers
and words.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import qualcode.cli.interchange  # noqa: F401  (registers `qualcode import`)
from conftest import write
from qualcode.captions import (
    captions_to_transcript,
    convert_caption_files,
    looks_like_captions,
    parse_captions,
)
from qualcode.cli import app
from qualcode.errors import InterchangeError
from qualcode.transcripts import parse_transcript

TEAMS = """\
WEBVTT
Kind: captions

NOTE exported by Microsoft Teams

STYLE
::cue { color: yellow }

6f1c0d1e-3a2b/12-0
00:00:03.120 --> 00:00:05.000 align:start
<v Dana Ruiz>So tell me how it started.</v>

6f1c0d1e-3a2b/13-0
00:00:05.500 --> 00:00:09.000
<v.loud Marcus Bell>The hospital convened everyone &amp; the banks.</v>

6f1c0d1e-3a2b/13-1
00:00:09.000 --> 00:00:12.000
<v Marcus Bell>They were the <i>first</i> money<00:00:11.000> in.</v>
"""

ZOOM = """\
WEBVTT

1
00:00:00.000 --> 00:00:04.000
Dana Ruiz: So tell me how it started.

2
00:04.500 --> 00:09.000
Marcus Bell: The hospital convened everyone.

3
00:00:09.000 --> 00:00:12.000
Marcus Bell: They were the first money in.
"""

SRT = """\
1
00:00:01,000 --> 00:00:03,000
We started small.

2
00:00:03,100 --> 00:00:05,000
A pilot of ten homes,
then twenty.

3
00:00:09,000 --> 00:00:11,000
Then the board came around.
"""


def test_teams_voice_tags_blocks_and_entities() -> None:
    cues = parse_captions(TEAMS, "t.vtt")
    assert [(c.line, c.speaker, c.text) for c in cues] == [
        (10, "Dana Ruiz", "So tell me how it started."),
        (14, "Marcus Bell", "The hospital convened everyone & the banks."),
        (18, "Marcus Bell", "They were the first money in."),
    ]
    assert (cues[0].start, cues[0].end) == (3.12, 5.0)


def test_consecutive_cues_of_a_speaker_become_one_turn() -> None:
    text = captions_to_transcript(parse_captions(ZOOM, "z.vtt"))
    assert text == (
        "[00:00:00] Dana Ruiz: So tell me how it started.\n\n"
        "[00:00:04] Marcus Bell: The hospital convened everyone. They were the first money in.\n"
    )
    transcript = parse_transcript(text, "z", "z.txt")
    assert [(t.speaker, t.timestamp) for t in transcript.turns] == [
        ("Dana Ruiz", "00:00:00"),
        ("Marcus Bell", "00:00:04"),
    ]
    # without --interviewer nobody is known to ask the questions, and check says so
    assert [w.split(" (")[0] for w in transcript.warnings] == ["no speaker is an interviewer"]


def test_subrip_without_names_gives_paragraphs_at_pauses() -> None:
    text = captions_to_transcript(parse_captions(SRT, "s.srt"))
    assert text == (
        "We started small. A pilot of ten homes, then twenty.\n\nThen the board came around.\n"
    )


def test_interviewers_declare_every_role_in_front_matter() -> None:
    text = captions_to_transcript(parse_captions(TEAMS, "t.vtt"), ["dana ruiz"])
    assert text.startswith(
        "---\nspeakers:\n  Dana Ruiz: interviewer\n  Marcus Bell: informant\n---\n[00:00:03] Dana"
    )
    transcript = parse_transcript(text, "t", "t.txt")
    assert [t.role for t in transcript.turns] == ["interviewer", "informant"]


def test_lowercase_names_are_capitalized_so_they_read_as_labels() -> None:
    vtt = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v jane doe>Hello.\n\n00:03.000 --> 00:04.000\n"
    vtt += "<v sam>Hi: there.\n"
    text = captions_to_transcript(parse_captions(vtt, "x.vtt"))
    transcript = parse_transcript(text, "x", "x.txt")
    assert [t.speaker for t in transcript.turns] == ["Jane Doe", "Sam"]


@pytest.mark.parametrize(
    ("content", "line", "message"),
    [
        ("root:x:0:0:root:/root:/bin/bash\n", 1, "expected a cue timing line"),
        ("WEBVTT\n\n1\n00:00:01 --> 00:00:02\nHi.\n", 4, "cannot read the cue timing"),
        ("WEBVTT\n\n1\n00:00:01.000 -> 00:00:02.000\nHi.\n", 4, "cannot read the cue timing"),
        ("WEBVTT\n\nNOTE nothing here\n", None, "no cues with words"),
        ("", None, "no cues with words"),
    ],
    ids=["not-captions", "bad-timing", "single-arrow", "only-a-note", "empty"],
)
def test_bad_caption_files_name_the_line(content: str, line: int | None, message: str) -> None:
    with pytest.raises(InterchangeError) as info:
        parse_captions(content, "bad.vtt")
    assert message in info.value.message
    assert info.value.line == line
    assert info.value.path == "bad.vtt"


def test_caption_detection() -> None:
    assert looks_like_captions(ZOOM)
    assert looks_like_captions("\ufeff" + SRT)
    assert not looks_like_captions("Q: How did it start?\nA: 00:00:01 --> hmm.\n")


# Cue text as the converter sees it: words without markup characters or colons.
words = st.lists(
    st.text(alphabet="abcdefghij ,.'é", min_size=1, max_size=12).filter(lambda w: w.strip(".' ,")),
    min_size=1,
    max_size=4,
).map(lambda parts: " ".join(" ".join(p.split()) for p in parts))
cues = st.lists(
    st.tuples(st.sampled_from(["Dana Ruiz", "Marcus Bell", "Ann"]), words), min_size=1, max_size=8
)


@settings(max_examples=60, deadline=None)
@given(cues=cues)
def test_converted_captions_read_back_as_the_same_turns(cues: list[tuple[str, str]]) -> None:
    blocks = ["WEBVTT", ""]
    for i, (speaker, text) in enumerate(cues):
        blocks += [
            str(i + 1),
            f"00:00:{i:02d}.000 --> 00:00:{i:02d}.900",
            f"<v {speaker}>{text}",
            "",
        ]
    transcript = parse_transcript(
        captions_to_transcript(parse_captions("\n".join(blocks), "p.vtt")), "p", "p.txt"
    )
    expected: list[tuple[str, str]] = []
    for speaker, text in cues:
        if expected and expected[-1][0] == speaker:
            expected[-1] = (speaker, f"{expected[-1][1]} {text}")
        else:
            expected.append((speaker, text))
    got = [(t.speaker, transcript.text[t.start : t.end]) for t in transcript.turns]
    assert got == expected


# -- the command ------------------------------------------------------------------------------------


def test_import_captions_command(tmp_path: Path, runner: CliRunner) -> None:
    write(tmp_path / "teams.vtt", TEAMS.replace("\n", "\r\n").encode("utf-16"))
    write(tmp_path / "class.srt", SRT)
    out = tmp_path / "transcripts"
    args = ["import", "captions", str(tmp_path / "teams.vtt"), str(tmp_path / "class.srt")]
    # a file of the batch that the interviewer is not in (a class recording) does not stop the
    # others: it gets no roles, with a warning naming it
    result = runner.invoke(app, [*args, "-o", str(out), "--interviewer", "Dana Ruiz"])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr and "class.srt: none of the interviewers (Dana Ruiz)" in (
        result.stderr
    )
    assert (out / "teams.txt").read_text().startswith("---\nspeakers:\n  Dana Ruiz: interviewer")
    assert not (out / "class.txt").read_text().startswith("---")
    for converted in out.iterdir():
        converted.unlink()

    result = runner.invoke(app, [*args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["class.txt", "teams.txt"]
    assert (out / "teams.txt").read_text().startswith("[00:00:03] Dana Ruiz: So tell me")

    again = runner.invoke(app, [*args, "-o", str(out)])
    assert again.exit_code == 2
    assert "teams.txt already exists" in again.stderr
    assert "--force" in again.stderr
    assert runner.invoke(app, [*args, "-o", str(out), "--force"]).exit_code == 0


def test_two_files_with_one_stem_are_refused(tmp_path: Path) -> None:
    write(tmp_path / "a" / "x.vtt", ZOOM)
    write(tmp_path / "b" / "x.srt", SRT)
    with pytest.raises(InterchangeError, match="would both become"):
        convert_caption_files([tmp_path / "a" / "x.vtt", tmp_path / "b" / "x.srt"], tmp_path)
    assert not (tmp_path / "x.txt").exists()


def test_a_caption_file_among_transcripts_is_flagged() -> None:
    transcript = parse_transcript(ZOOM, "zoom", "zoom.txt")
    assert any("qualcode import captions" in w for w in transcript.warnings)
