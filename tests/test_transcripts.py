"""Reading transcripts: label styles, turns, segments, offsets, encodings, metadata and bad input."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import SMALL_METADATA, MakeProject, write
from qualcode.cli import app
from qualcode.errors import ConfigError, InputFileError, QualcodeError, TranscriptError
from qualcode.project import load_project
from qualcode.transcripts import (
    LabelScanner,
    parse_transcript,
    read_metadata_csv,
    read_transcript,
)


def turns_of(text: str, **kwargs: object) -> list[tuple[str | None, str | None, str]]:
    transcript = parse_transcript(text, "t", "t.txt", **kwargs)  # type: ignore[arg-type]
    return [(t.speaker, t.role, text[t.start : t.end]) for t in transcript.turns]


def speakers_of(text: str) -> list[tuple[str | None, str | None]]:
    """(speaker, role) of each turn."""
    return [(name, role) for name, role, _ in turns_of(text)]


# -- speaker labels --------------------------------------------------------------------------------

EXPECTED = [
    ("interviewer", "Hello there."),
    ("informant", "I work at the clinic."),
    ("interviewer", "Thanks."),
    ("informant", "Sure."),
]


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        (
            "Interviewer: Hello there.\nMaria Lopez: I work at the clinic.\n"
            "Interviewer: Thanks.\nMaria Lopez: Sure.\n",
            ("Interviewer", "Maria Lopez"),
        ),
        (
            "INTERVIEWER: Hello there.\nNADIA FERNANDES: I work at the clinic.\n"
            "INTERVIEWER: Thanks.\nNADIA FERNANDES: Sure.\n",
            ("INTERVIEWER", "NADIA FERNANDES"),
        ),
        ("Q: Hello there.\nA: I work at the clinic.\nQ: Thanks.\nA: Sure.\n", ("Q", "A")),
        ("I: Hello there.\nR: I work at the clinic.\nI: Thanks.\nR: Sure.\n", ("I", "R")),
        (
            "[00:01:23] Interviewer: Hello there.\n[00:01:30] Dana Okafor: I work at the clinic.\n"
            "[00:02:00] Interviewer: Thanks.\n[00:02:05] Dana Okafor: Sure.\n",
            ("Interviewer", "Dana Okafor"),
        ),
        (
            "Interviewer (00:01:23): Hello there.\nDana Okafor (00:01:30): I work at the clinic.\n"
            "Interviewer (00:02:00): Thanks.\nDana Okafor (00:02:05): Sure.\n",
            ("Interviewer", "Dana Okafor"),
        ),
        (
            "Interviewer  0:03\nHello there.\n\nDana Okafor  0:10\nI work at the clinic.\n\n"
            "Interviewer  1:03\nThanks.\n\nDana Okafor  1:10\nSure.\n",
            ("Interviewer", "Dana Okafor"),
        ),
        (
            "00:00:03 Interviewer: Hello there.\n00:00:10 Anaïs Moreau: I work at the clinic.\n"
            "00:01:03 Interviewer: Thanks.\n00:01:10 Anaïs Moreau: Sure.\n",
            ("Interviewer", "Anaïs Moreau"),
        ),
        (
            "Interviewer: Hello there.\nSpeaker 2: I work at the clinic.\n"
            "Interviewer: Thanks.\nSpeaker 2: Sure.\n",
            ("Interviewer", "Speaker 2"),
        ),
        (
            "**Interviewer:** Hello there.\n\n**Dana Okafor**: I work at the clinic.\n\n"
            "**Interviewer:** Thanks.\n\n**Dana Okafor**: Sure.\n",
            ("Interviewer", "Dana Okafor"),
        ),
        (
            "00:00:03 Interviewer\nHello there.\n\n00:00:10 Dana Okafor\nI work at the clinic.\n\n"
            "00:01:03 Interviewer\nThanks.\n\n00:01:10 Dana Okafor\nSure.\n",
            ("Interviewer", "Dana Okafor"),
        ),
        (
            "[00:00:03] Interviewer\nHello there.\n\n[00:00:10] Dana Okafor\nI work at the clinic."
            "\n\n[00:01:03] Interviewer\nThanks.\n\n[00:01:10] Dana Okafor\nSure.\n",
            ("Interviewer", "Dana Okafor"),
        ),
        (
            "[Interviewer] 14:00:03\nHello there.\n[Dana Okafor] 14:00:10\nI work at the clinic.\n"
            "[Interviewer] 14:01:03\nThanks.\n[Dana Okafor] 14:01:10\nSure.\n",
            ("Interviewer", "Dana Okafor"),
        ),
        (
            "Interviewer [00:00:03] Hello there.\nDana Okafor [00:00:10]: I work at the clinic.\n"
            "Interviewer [00:01:03] Thanks.\nDana Okafor [00:01:10]: Sure.\n",
            ("Interviewer", "Dana Okafor"),
        ),
        (
            "Interviewer: Hello there.\nMaria de la Cruz: I work at the clinic.\n"
            "Interviewer: Thanks.\nMaria de la Cruz: Sure.\n",
            ("Interviewer", "Maria de la Cruz"),
        ),
        (
            "(00:00:03) Interviewer: Hello there.\n(00:00:10) Dana Okafor: I work at the clinic.\n"
            "(00:01:03) Interviewer: Thanks.\n(00:01:10) Dana Okafor: Sure.\n",
            ("Interviewer", "Dana Okafor"),
        ),
        (
            "Interviewer (JD): Hello there.\nRespondent (P3): I work at the clinic.\n"
            "Interviewer (JD): Thanks.\nRespondent (P3): Sure.\n",
            ("Interviewer (JD)", "Respondent (P3)"),
        ),
    ],
    ids=[
        "name",
        "caps",
        "q-a",
        "i-r",
        "bracket-ts",
        "rev-ts",
        "otter",
        "leading-ts",
        "numbered",
        "markdown-bold",
        "ts-line",
        "trint",
        "zoom-captions",
        "name-then-ts",
        "particles",
        "paren-ts",
        "role-with-person",
    ],
)
def test_label_styles(text: str, speakers: tuple[str, str]) -> None:
    got = turns_of(text)
    assert [(role, words) for _, role, words in got] == EXPECTED
    assert [name for name, _, _ in got] == [speakers[0], speakers[1]] * 2


def test_a_role_with_a_person_keeps_people_apart_and_takes_the_roles_label() -> None:
    text = (
        "Interviewer (Jane Doe): Hello.\nRespondent (P3): Hi.\nRespondent (P4): Hello.\n"
        "Interviewer (Jane Doe): Thanks.\nRespondent (P3): Sure.\nDana Okafor (she/her): Yes.\n"
        "Respondent (P4): The board (and its staff): they agreed.\n"
    )
    assert speakers_of(text) == [
        ("Interviewer (Jane Doe)", "interviewer"),
        ("Respondent (P3)", "informant"),
        ("Respondent (P4)", "informant"),
        ("Interviewer (Jane Doe)", "interviewer"),
        ("Respondent (P3)", "informant"),
        ("Dana Okafor (she/her)", "informant"),
        ("Respondent (P4)", "informant"),  # a parenthesis inside the answer is not a label
    ]


IR = [("Interviewer", "interviewer"), ("Respondent", "informant")] * 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Interviewer: Who?\nRespondent:The hospital.\nInterviewer: And?\nRespondent:Land.\n", IR),
        ("Interviewer: Who?\n  Respondent: It.\nInterviewer: And?\n\tRespondent: Land.\n", IR),
        (
            "Interviewer: Who?\n\u00a0Respondent: It.\nInterviewer: And?\n\u00a0Respondent: Land.\n",
            IR,
        ),
        ("Interviewer: Who?\nRespondent: It.\nINTERVIEWER: And?\nRESPONDENT: Land.\n", IR),
        (
            "Interviewer   0:03\nWho?\n\nRespondent (Guest)   0:12\nIt.\n\n"
            "Interviewer   0:20\nAnd?\n\nRespondent (Guest)   0:25\nLand.\n",
            IR,
        ),
        (
            "Ruiz, Dana   0:03\nWho?\n\nLopez, Maria (Riverside Health)   0:12\nIt.\n",
            [("Ruiz, Dana", "informant"), ("Lopez, Maria", "informant")],
        ),
        (
            "---\nspeakers:\n  מראיין: interviewer\n---\n"
            "\u200fמראיין: מי?\n\u200fמשתתפת: בית החולים.\n\u200fמראיין: ו?\n\u200fמשתתפת: כן.\n",
            [("מראיין", "interviewer"), ("משתתפת", "informant")] * 2,
        ),
        (
            "采访者：谁召集的？\n\n受访者：医院。\n采访者：好。\n\n受访者：是的。\n",
            [("采访者", "informant"), ("受访者", "informant")] * 2,
        ),
        (  # Word: a no-break space after the colon; French typing: one before it
            "Interviewer:\u00a0Who?\nMaria\u00a0Lopez:\u00a0It.\n"
            "Interviewer\u00a0: And?\nMaria Lopez\u202f:\u2009Land.\n",
            [("Interviewer", "interviewer"), ("Maria Lopez", "informant")] * 2,
        ),
        (
            "Interviewer 1: Who?\nP01: It.\nInt.: And?\nP01: Land.\nInt.: Thanks.\n",
            [
                ("Interviewer 1", "interviewer"),
                ("P01", "informant"),
                ("Int.", "interviewer"),
                ("P01", "informant"),
                ("Int.", "interviewer"),
            ],
        ),
    ],
    ids=[
        "no-space-after-colon",
        "indented",
        "no-break-space",
        "case",
        "teams-guest",
        "teams-last-first",
        "right-to-left-mark",
        "full-width-colon",
        "no-break-space-around-colon",
        "numbered-role",
    ],
)
def test_labels_as_exports_and_hands_write_them(text: str, expected: list[tuple[str, str]]) -> None:
    got = turns_of(text)
    assert [(name, role) for name, role, _ in got] == expected
    assert all(not name or name not in words for name, _, words in got)  # labels are not words


def test_a_timestamp_after_the_label_is_not_part_of_the_words() -> None:
    text = "Dana Ruiz: (00:03)\nWho convened?\n\nMaria Lopez: [00:00:12] The hospital.\n"
    transcript = parse_transcript(text, "t", "t.txt")
    assert [(t.timestamp, text[t.start : t.end]) for t in transcript.turns] == [
        ("00:03", "Who convened?"),
        ("00:00:12", "The hospital."),
    ]


def test_a_transcript_of_interviewer_turns_only_is_warned_about() -> None:
    text = "Interviewer: Who convened it?\nAnswer - the hospital did.\nInterviewer: And?\n"
    transcript = parse_transcript(text, "t", "t.txt")
    assert transcript.warnings[0].startswith(
        "every turn is an interviewer's (Interviewer), so nothing here is coded"
    )


def test_timestamps_are_kept() -> None:
    text = (
        "[00:01:23] Interviewer: Hi.\n[00:01:30] Dana Okafor: Yes.\n[00:02:00] Dana Okafor: No.\n"
    )
    transcript = parse_transcript(text, "t", "t.txt")
    assert [t.timestamp for t in transcript.turns] == ["00:01:23", "00:01:30", "00:02:00"]


def test_continuation_lines_and_note_inside_an_answer() -> None:
    text = (
        "Interviewer: Hello.\n"
        "Dana: Hi.\n"
        "Note: this line is part of Dana's answer.\n"
        "still Dana, on a line without a label.\n"
        "\n"
        "And a new paragraph, still Dana.\n"
        "Interviewer: Next.\n"
        "Dana: Yes.\n"
    )
    got = turns_of(text)
    assert [name for name, _, _ in got] == ["Interviewer", "Dana", "Interviewer", "Dana"]
    assert got[1][2] == (
        "Hi.\nNote: this line is part of Dana's answer.\nstill Dana, on a line without a label.\n"
        "\nAnd a new paragraph, still Dana."
    )


def test_a_lowercase_or_sentence_like_prefix_is_not_a_label() -> None:
    text = (
        "Interviewer: Hi.\nDana: so what I said was: yes.\nthe answer: no.\n"
        "Interviewer: Ok.\nDana: Right.\n"
    )
    got = turns_of(text)
    assert [name for name, _, _ in got] == ["Interviewer", "Dana", "Interviewer", "Dana"]
    assert got[1][2] == "so what I said was: yes.\nthe answer: no."


def test_front_matter_roles_and_several_informants() -> None:
    text = (
        "---\nspeakers:\n  Moderator Jones: interviewer\n  Ana: informant\n  Ben: informant\n---\n"
        "Moderator Jones: Welcome.\nAna: Thanks.\nBen: Hello.\n"
    )
    transcript = parse_transcript(text, "t", "t.txt")
    assert [(t.speaker, t.role) for t in transcript.turns] == [
        ("Moderator Jones", "interviewer"),
        ("Ana", "informant"),
        ("Ben", "informant"),
    ]
    assert transcript.informants == ["Ana", "Ben"]
    assert transcript.speakers == ["Moderator Jones", "Ana", "Ben"]
    assert transcript.body_start == text.index("Moderator Jones: Welcome")


def speakers_in_project(
    make_project: MakeProject, config: str, text: str
) -> list[tuple[str | None, str | None]]:
    """(speaker, role) of each turn of `text`, read in a project with this qualcode.yaml."""
    root = make_project(config=config, transcripts={"t": text}, metadata=None)
    return [(t.speaker, t.role) for t in load_project(root).corpus.load("t").turns]


def test_configured_labels_and_patterns(make_project: MakeProject) -> None:
    config = (
        "speakers:\n  interviewer: [Host]\n  informant: [Guest]\n"
        "  patterns: ['^(?P<name>[A-Z][a-z]+) said:[ \\t]*']\n"
    )
    text = "Host: Welcome.\nGuest: Thanks.\nMaria said: Hello all.\nMaria said: Bye.\n"
    assert speakers_in_project(make_project, config, text) == [
        ("Host", "interviewer"),
        ("Guest", "informant"),
        ("Maria", "informant"),
        ("Maria", "informant"),
    ]


def test_preamble_before_the_first_label_is_its_own_turn() -> None:
    text = "[Fictional interview.]\n\nQ: Hi.\nA: Hello.\nQ: Bye.\nA: Bye.\n"
    transcript = parse_transcript(text, "t", "t.txt")
    first = transcript.turns[0]
    assert (first.number, first.speaker, first.role) == (0, None, None)
    assert text[first.start : first.end] == "[Fictional interview.]"
    assert [t.number for t in transcript.turns] == [0, 1, 2, 3, 4]
    # the preamble has no role, so default rules never code it
    assert transcript.segments[0].id == "t0" and transcript.segments[0].role is None


def test_no_labels_is_one_informant_turn_with_a_warning() -> None:
    text = "just some text\nwithout any labels at all.\n"
    transcript = parse_transcript(text, "t", "t.txt")
    assert transcript.warnings == (
        "no speaker labels found: the whole text is coded as one informant turn; if it has "
        "labels in another style, name them under `speakers:` in the front matter, or add a "
        "label pattern under `speakers.patterns` in qualcode.yaml",
    )
    [turn] = transcript.turns
    assert (turn.speaker, turn.role) == (None, "informant")
    assert text[turn.start : turn.end] == text.strip()


# -- segments and offsets --------------------------------------------------------------------------

SEGMENT_TEXT = (
    "Interviewer: Hi there. How are you?\n"
    "\n"
    "Ana María: Fine 😀 thanks. Dr. Smith came.\n"
    "We talked about café co‐ops.\n"
    "\n"
    "Another paragraph here! And more? Yes.\n"
    "\n"
    "Interviewer: Bye.\n"
    "Ana María: Bye 👋🏽, naïve Zoë.\n"
)


def test_turn_segments() -> None:
    transcript = parse_transcript(SEGMENT_TEXT, "t", "t.txt", segmentation="turn")
    got = [(s.id, s.line_start, s.line_end, s.speaker, s.role) for s in transcript.segments]
    assert got == [
        ("t1", 1, 1, "Interviewer", "interviewer"),
        ("t2", 3, 6, "Ana María", "informant"),
        ("t3", 8, 8, "Interviewer", "interviewer"),
        ("t4", 9, 9, "Ana María", "informant"),
    ]


def test_paragraph_segments() -> None:
    transcript = parse_transcript(SEGMENT_TEXT, "t", "t.txt", segmentation="paragraph")
    got = [(s.id, s.line_start, SEGMENT_TEXT[s.start : s.end]) for s in transcript.segments]
    assert got == [
        ("t1.p1", 1, "Hi there. How are you?"),
        ("t2.p1", 3, "Fine 😀 thanks. Dr. Smith came.\nWe talked about café co‐ops."),
        ("t2.p2", 6, "Another paragraph here! And more? Yes."),
        ("t3.p1", 8, "Bye."),
        ("t4.p1", 9, "Bye 👋🏽, naïve Zoë."),
    ]


def test_sentence_segments() -> None:
    transcript = parse_transcript(SEGMENT_TEXT, "t", "t.txt", segmentation="sentence")
    got = [(s.id, SEGMENT_TEXT[s.start : s.end]) for s in transcript.segments]
    assert got == [
        ("t1.p1.s1", "Hi there."),
        ("t1.p1.s2", "How are you?"),
        ("t2.p1.s1", "Fine 😀 thanks."),
        ("t2.p1.s2", "Dr. Smith came."),  # 'Dr.' does not end a sentence
        ("t2.p1.s3", "We talked about café co‐ops."),
        ("t2.p2.s1", "Another paragraph here!"),
        ("t2.p2.s2", "And more?"),
        ("t2.p2.s3", "Yes."),
        ("t3.p1.s1", "Bye."),
        ("t4.p1.s1", "Bye 👋🏽, naïve Zoë."),
    ]


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        # found by a helper: `z. B.` and `ca.` ended German sentences; 。！？ and ؟ ended none
        (
            "Neue Fenster, z. B. im Wohnzimmer. Ca. zwölf Monate gesucht.",
            ["Neue Fenster, z. B. im Wohnzimmer.", "Ca. zwölf Monate gesucht."],
        ),
        (
            "我们成立了合作社。大家都很高兴！你觉得呢？好的",
            ["我们成立了合作社。", "大家都很高兴！", "你觉得呢？", "好的"],
        ),
        ("هل هذا هو الحل؟ لا أعرف.", ["هل هذا هو الحل؟", "لا أعرف."]),
        (
            "La Sra. García me ayudó. Ο κ. Παπαδόπουλος ήρθε.",
            ["La Sra. García me ayudó.", "Ο κ. Παπαδόπουλος ήρθε."],
        ),
    ],
)
def test_sentences_in_other_languages(text: str, sentences: list[str]) -> None:
    source = f"Q: Tell me?\n\nA: {text}\n\nQ: Thanks.\n\nA: Bye.\n"
    transcript = parse_transcript(source, "t", "t.txt", segmentation="sentence")
    answer = [s for s in transcript.segments if s.id.startswith("t2.")]
    assert [transcript.text[s.start : s.end] for s in answer] == sentences


@pytest.mark.parametrize("kind", ["turn", "paragraph", "sentence"])
def test_segment_ids_are_stable_across_parses(kind: str) -> None:
    first = parse_transcript(SEGMENT_TEXT, "t", "t.txt", segmentation=kind)
    second = parse_transcript(SEGMENT_TEXT, "t", "t.txt", segmentation=kind)
    assert first.segments == second.segments
    assert len({s.id for s in first.segments}) == len(first.segments)
    # editing a later turn leaves earlier ids and offsets alone
    edited = SEGMENT_TEXT.replace("Bye 👋🏽", "Goodbye 👋🏽")
    third = parse_transcript(edited, "t", "t.txt", segmentation=kind)
    assert third.segments[:-1] == first.segments[:-1]


def test_offsets_are_code_points_into_the_text() -> None:
    transcript = parse_transcript(SEGMENT_TEXT, "t", "t.txt")
    last = transcript.segments[-1]
    assert SEGMENT_TEXT[last.start : last.end] == "Bye 👋🏽, naïve Zoë."
    # code points, not UTF-16 units or bytes: the emoji with a skin tone is two code points
    assert last.start == SEGMENT_TEXT.index("Bye 👋🏽")
    assert last.end - last.start == len("Bye 👋🏽, naïve Zoë.") == 18
    for seg in transcript.segments:
        assert transcript.line_of(seg.start) == seg.line_start


def test_coded_offsets_select_the_matched_words(make_project: MakeProject) -> None:
    root = make_project(
        transcripts={
            "emoji": "Interviewer: Hi 😀.\n\nAna María: 👋🏽 Our café runs a land trusts 😀 for "
            "housing, naïve Zoë said.\nInterviewer: Bye.\nAna María: Bye.\n"
        },
        metadata=None,
    )
    from qualcode.engine import compile_rules, segment_views

    project = load_project(root)
    transcript = project.corpus.load("emoji")
    matcher = compile_rules(project.codebook)
    views = segment_views(transcript.segments)
    words = [
        transcript.text[h.start : h.end]
        for hits in matcher.match(transcript.text, views)
        for h in hits
    ]
    assert words == ["land trusts", "housing"]


# -- encodings and line endings --------------------------------------------------------------------

LF_TEXT = "Interviewer: Hello there.\nMaria: Café, naïve.\n\nSecond paragraph.\nInterviewer: Bye.\n"


@pytest.mark.parametrize(
    "data",
    [
        LF_TEXT.encode("utf-8"),
        LF_TEXT.replace("\n", "\r\n").encode("utf-8"),
        LF_TEXT.replace("\n", "\r").encode("utf-8"),
        b"\xef\xbb\xbf" + LF_TEXT.encode("utf-8"),
        LF_TEXT.replace("\n", "\r\n").encode("utf-16"),  # with BOM
        b"\xfe\xff" + LF_TEXT.encode("utf-16-be"),
    ],
    ids=["lf", "crlf", "cr", "utf8-bom", "utf16-le-bom-crlf", "utf16-be-bom"],
)
def test_encodings_and_line_endings_give_the_same_transcript(tmp_path: Path, data: bytes) -> None:
    reference = parse_transcript(LF_TEXT, "t", "t.txt", segmentation="paragraph")
    path = write(tmp_path / "t.txt", data)
    transcript = read_transcript(path, display="t.txt", segmentation="paragraph")
    assert transcript.text == LF_TEXT
    assert transcript.segments == reference.segments
    assert transcript.sha256 == reference.sha256


def test_invalid_utf8_names_byte_offset_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "bad.txt", b"Interviewer: Hi.\nMaria: caf\xe9 talk\n")
    with pytest.raises(InputFileError) as info:
        read_transcript(path, display="transcripts/bad.txt")
    err = info.value
    assert err.message == "not valid utf-8 at byte offset 27 (byte 0xe9)"
    assert (err.path, err.line, err.column) == ("transcripts/bad.txt", 2, 11)
    assert "--encoding" in (err.hint or "")
    fixed = read_transcript(path, encoding="cp1252")
    assert "café" in fixed.text
    # a codebook has no encoding setting: its hint must not point at one
    from qualcode.textio import read_text

    codebook = write(tmp_path / "cb.yaml", b"codebook: {id: x, title: caf\xe9}\n")
    with pytest.raises(InputFileError) as info:
        read_text(codebook, what="codebook")
    assert info.value.hint == "save the file as UTF-8 (in most editors: Save As, encoding UTF-8)"


def test_binary_file(tmp_path: Path) -> None:
    path = write(tmp_path / "x.txt", b"%PDF-1.4\n\x00\x01\x02\x03binary")
    with pytest.raises(InputFileError) as info:
        read_transcript(path)
    assert "binary file" in info.value.message


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_bom_is_named_and_read_with_that_encoding(
    tmp_path: Path, encoding: str
) -> None:
    path = write(tmp_path / "t.txt", LF_TEXT.encode(encoding))
    with pytest.raises(InputFileError) as info:
        read_transcript(path, display="t.txt")
    assert info.value.message == f"looks like {encoding} text saved without a byte-order mark"
    assert f"--encoding {encoding}`" in (info.value.hint or "")
    assert read_transcript(path, encoding=encoding).text == LF_TEXT


def test_stray_nul_bytes_in_text_are_located_not_called_binary(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt", b"Interviewer: Hi.\nMaria: We\x00 talk \xc3\xa9\x00\x00.\n")
    with pytest.raises(InputFileError) as info:
        read_transcript(path, display="t.txt")
    err = info.value
    assert (
        err.message == "NUL byte at byte offset 26 (2 more after it): text files do not hold NULs"
    )
    assert (err.line, err.column) == (2, 10)
    assert "tr -d" in (err.hint or "")


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_a_bad_byte_is_located_by_line_whatever_the_line_endings(
    tmp_path: Path, newline: bytes
) -> None:
    for bad, message in ((b"\xe9", "not valid utf-8"), (b"\x00", "NUL byte")):
        data = newline.join([b"Q: Hi.", b"A: caf" + bad + b" talk", b""])
        with pytest.raises(InputFileError) as info:
            read_transcript(write(tmp_path / "t.txt", data))
        assert info.value.message.startswith(message)
        assert (info.value.line, info.value.column) == (2, 7)


def test_mostly_nul_or_control_bytes_is_a_binary_file(tmp_path: Path) -> None:
    for data in (b"Hi.\n" + b"\x00" * 20, b"Hi. \x00\x07\x08 there\n", b"\x00caf\xe9\n"):
        with pytest.raises(InputFileError) as info:
            read_transcript(write(tmp_path / "x.txt", data))
        assert info.value.message == "looks like a binary file, not a text transcript"


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"---\ntitle: x\n---\n\n"])
def test_empty_transcript(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path / "e.txt", content)
    with pytest.raises(TranscriptError) as info:
        read_transcript(path, display="e.txt")
    assert "transcript is empty" in info.value.message or "no text" in info.value.message
    assert info.value.path == "e.txt"


def test_front_matter_that_is_never_closed_is_an_error_not_speech(tmp_path: Path) -> None:
    text = "---\npartnership: Riverbend\npartnership_type: CLT\n\nQ: Hi.\nA: Homes.\n"
    with pytest.raises(TranscriptError) as info:
        read_transcript(write(tmp_path / "f.txt", text), display="f.txt")
    assert info.value.message == "front matter opened on line 1 is never closed"
    assert (info.value.line, info.value.column) == (1, 1)
    # a Markdown rule at the top, then text, is not front matter
    rule = parse_transcript("---\nQ: Hi.\nA: Homes.\n", "t", "t.txt")
    assert [t.speaker for t in rule.turns] == [None, "Q", "A"]


def test_bad_front_matter_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path / "f.txt", "---\npartnership: [unclosed\n---\nQ: Hi.\nA: Yes.\n")
    with pytest.raises(TranscriptError) as info:
        read_transcript(path, display="f.txt")
    assert info.value.message.startswith("front matter: invalid YAML")
    assert info.value.line == 3  # the unclosed list is noticed where the block ends


def test_long_single_line_warns() -> None:
    text = "word " * 250_000  # 1.25 million characters, one line, no labels
    transcript = parse_transcript(text, "t", "t.txt")
    assert any(w.startswith("line 1 is 1.2 million characters long;") for w in transcript.warnings)


# -- metadata --------------------------------------------------------------------------------------


def test_front_matter_and_csv_merge_front_matter_wins(make_project: MakeProject) -> None:
    metadata = (
        "id,partnership_type,organization_type\n"
        "alpha-clt,CLT,health care\n"
        "beta-roc,ROC,community wealth building\n"
    )
    project = load_project(make_project(metadata=metadata))
    alpha = project.corpus.load("alpha-clt")
    assert dict(alpha.metadata) == {"partnership_type": "CLT", "organization_type": "health care"}
    beta = project.corpus.load("beta-roc")
    assert beta.metadata["organization_type"] == "community wealth building"


def test_semicolon_csv_with_bom_and_file_names_as_ids(tmp_path: Path) -> None:
    path = write(
        tmp_path / "m.csv",
        "\ufeffID;Partnership;Date\nalpha-clt.txt;Harbor Hills;2025-03-04\n\nbeta;Eastgate;\n".encode(),
    )
    table = read_metadata_csv(path, "m.csv")
    assert table.columns == ("Partnership", "Date")
    assert table.rows == {
        "alpha-clt": {"Partnership": "Harbor Hills", "Date": "2025-03-04"},
        "beta": {"Partnership": "Eastgate", "Date": ""},
    }
    assert table.lines == {"alpha-clt": 2, "beta": 4}


def test_csv_without_id_column(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "name,partnership\nalpha,CLT\n")
    with pytest.raises(TranscriptError) as info:
        read_metadata_csv(path, "m.csv")
    assert info.value.message == "metadata CSV has no id column (columns: name, partnership)"
    assert (info.value.path, info.value.line) == ("m.csv", 1)


def test_csv_ragged_row_and_duplicate_id(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "id,a\nx,1\ny,2,3\n")
    with pytest.raises(TranscriptError) as info:
        read_metadata_csv(path, "m.csv")
    assert (info.value.line, info.value.message) == (3, "row has 3 cells but the header has 2")
    path = write(tmp_path / "d.csv", "id,a\nx,1\nx,2\n")
    with pytest.raises(TranscriptError) as info:
        read_metadata_csv(path, "d.csv")
    assert info.value.line == 3
    assert "first at line 2" in info.value.message


def check_lines(
    runner: CliRunner, root: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[str]]:
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["check"])
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("    hint:")]
    return result.exit_code, lines


def test_small_project_is_clean(
    runner: CliRunner, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert check_lines(runner, make_project(), monkeypatch) == (0, [])


def test_metadata_problems_reported_by_check(
    runner: CliRunner, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    metadata = (
        "id,partnership_type\n"
        "alpha-clt,ROC\n"  # front matter says CLT
        "beta-roc,RCO\n"  # undeclared (typo)
        "gamma-clt,CLT\n"  # no such transcript
    )
    transcripts = {
        "alpha-clt": "---\npartnership_type: CLT\n---\nQ: Hi.\nA: Housing.\n",
        "beta-roc": "Q: Hi.\nA: Homes.\n",
        "delta": "Q: Hi.\nA: Nothing.\n",  # no metadata at all
        "epsilon": "---\npartnership_type: Worker coop\n---\nQ: Hi.\nA: Hi.\n",
    }
    root = make_project(transcripts=transcripts, metadata=metadata)
    code, lines = check_lines(runner, root, monkeypatch)
    assert code == 1
    assert lines == [
        "transcripts/alpha-clt.txt:2:1: error: front matter says partnership_type: 'CLT' but "
        "transcripts/metadata.csv says 'ROC' [metadata-conflict]",
        "transcripts/delta.txt: warning: transcript has no metadata (no front matter and no "
        "metadata.csv row) [missing-metadata]",
        "transcripts/epsilon.txt:2:1: error: partnership_type 'Worker coop' of 'epsilon' is not a "
        "declared value (did you mean 'Worker co-op'?) [undeclared-value]",
        "transcripts/metadata.csv:3:1: error: partnership_type 'RCO' of 'beta-roc' is not a "
        "declared value (did you mean 'ROC'?) [undeclared-value]",
        "transcripts/metadata.csv:4:1: error: metadata row for 'gamma-clt', but there is no such "
        "transcript (did you mean 'alpha-clt'?) [metadata-orphan]",
    ]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"empty": b""},
            "transcripts/empty.txt: error: transcript is empty [transcript]",
        ),
        (
            {"bin": b"\x00\x01\x02\x03"},
            "transcripts/bin.txt: error: looks like a binary file, not a text transcript "
            "[unreadable-file]",
        ),
        (
            {"latin": b"Q: Hi.\nA: caf\xe9.\n"},
            "transcripts/latin.txt:2:7: error: not valid utf-8 at byte offset 13 (byte 0xe9) "
            "[unreadable-file]",
        ),
        (
            {"nolabels": "Just a text without labels.\n"},
            "transcripts/nolabels.txt: warning: no speaker labels found: the whole text is coded "
            "as one informant turn; if it has labels in another style, name them under "
            "`speakers:` in the front matter, or add a label pattern under `speakers.patterns` "
            "in qualcode.yaml [transcript]",
        ),
    ],
    ids=["empty", "binary", "latin1", "no-labels"],
)
def test_bad_transcripts_reported_by_check(
    runner: CliRunner,
    make_project: MakeProject,
    monkeypatch: pytest.MonkeyPatch,
    files: dict[str, bytes | str],
    expected: str,
) -> None:
    metadata = SMALL_METADATA + "".join(f"{name},ROC,health care\n" for name in files)
    root = make_project(metadata=metadata)
    for name, content in files.items():
        write(root / "transcripts" / f"{name}.txt", content)
    code, lines = check_lines(runner, root, monkeypatch)
    assert lines == [expected]
    assert code == (0 if ": warning: " in expected else 2 if "unreadable" in expected else 1)


def test_duplicate_ids_in_two_subfolders(
    runner: CliRunner, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project()
    write(root / "transcripts" / "a" / "dup.txt", "Q: Hi.\nA: Hi.\n")
    write(root / "transcripts" / "b" / "dup.md", "Q: Hi.\nA: Hi.\n")
    write(root / "transcripts" / "b" / "beta-roc.md", "Q: Hi.\nA: Hi.\n")
    write(root / "transcripts" / "empty.txt", "")
    code, lines = check_lines(runner, root, monkeypatch)
    assert code == 1
    # one run lists every duplicate and goes on to check the other transcripts
    assert lines == [
        "transcripts/a/dup.txt: warning: transcript has no metadata (no front matter and no "
        "metadata.csv row) [missing-metadata]",
        "transcripts/b/dup.md: error: transcript id 'dup' is used by two files: "
        "transcripts/a/dup.txt and transcripts/b/dup.md [transcript]",
        "transcripts/beta-roc.txt: error: transcript id 'beta-roc' is used by two files: "
        "transcripts/b/beta-roc.md and transcripts/beta-roc.txt [transcript]",
        "transcripts/empty.txt: error: transcript is empty [transcript]",
    ]
    result = CliRunner().invoke(app, ["code"])
    assert result.exit_code == 2
    assert "transcript id 'dup' is used by two files" in result.stderr


def test_a_file_name_that_is_not_utf8_is_an_error_naming_its_bytes(
    runner: CliRunner, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(metadata=None)
    try:  # a Latin-1 name, as a zip made on an old Windows machine unpacks
        transcripts = root / "transcripts"
        (transcripts / "beta-roc.txt").rename(transcripts / os.fsdecode(b"caf\xe9.txt"))
    except OSError:
        pytest.skip("this file system accepts only UTF-8 names")
    code, lines = check_lines(runner, root, monkeypatch)
    assert code == 1
    assert lines == [
        "transcripts/caf\\xe9.txt: error: file name is not valid UTF-8 (the name is the "
        "transcript id, which goes into codings files and exports) [transcript]",
    ]
    result = CliRunner().invoke(app, ["code"])
    assert result.exit_code == 2
    assert "transcripts/caf\\xe9.txt: error: file name is not valid UTF-8" in result.stderr
    assert not (root / "codings").exists()


def test_captions_and_documents_in_the_transcripts_folder_are_named_not_skipped_silently(
    runner: CliRunner, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(transcripts={}, metadata=None)
    write(root / "transcripts" / "zoom.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nHi\n")
    write(root / "transcripts" / "sub" / "interview.DOCX", b"PK\x03\x04")
    code, lines = check_lines(runner, root, monkeypatch)
    assert code == 0
    assert lines == [
        "transcripts/sub/interview.DOCX: warning: not read: not plain text (transcripts are .txt, "
        ".md files) [transcript]",
        "transcripts/zoom.vtt: warning: not read: a caption file (transcripts are .txt, .md "
        "files) [transcript]",
    ]
    result = CliRunner().invoke(app, ["code"])  # nothing to code is an error, not "coded 0"
    assert result.exit_code == 2
    assert "error: the project has no transcripts (none in transcripts)" in result.stderr


def test_transcripts_lists_the_readable_ones_and_names_each_bad_file_once(
    runner: CliRunner, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project()
    write(root / "transcripts" / "latin1.txt", b"Q: Hi.\nA: caf\xe9.\n")
    write(root / "transcripts" / "roles.txt", "---\nspeakers:\n  Ana: moderator\n---\nAna: Hi.\n")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["transcripts", "--format", "csv"])
    assert result.exit_code == 2
    assert [line.split(",")[0] for line in result.stdout.splitlines()] == [
        "id",
        "alpha-clt",
        "beta-roc",
    ]
    assert result.stderr.count("transcripts/latin1.txt:2:7: error: not valid utf-8") == 1
    assert result.stderr.count("transcripts/roles.txt:3:8: error: speaker 'Ana' has role") == 1
    assert result.stderr.endswith("2 transcripts could not be read (see above).\n")


def test_an_undecodable_metadata_csv_is_named_like_every_other_file(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(metadata=b"id;partnership_type;name\nbeta-roc;ROC;Jos\xe9\n")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["check", "--project", str(root)])  # an absolute path
    assert result.exit_code == 2
    assert "\ntranscripts/metadata.csv:2:17: error: not valid utf-8" in "\n" + result.stdout


def test_teams_transcription_notices_are_not_words_of_the_last_turn() -> None:
    text = (
        "Dana Ruiz started transcription\n\nInterviewer   0:03\nWho convened it?\n\n"
        "Maria Lopez   0:12\nThe hospital.\n\nDana Ruiz stopped transcription\n"
    )
    transcript = parse_transcript(text, "t", "t.txt")
    assert text[transcript.turns[-1].start : transcript.turns[-1].end] == "The hospital."


def test_metadata_csv_without_id_column_in_project(
    runner: CliRunner, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(metadata="name;partnership_type\nbeta-roc;ROC\n")
    code, lines = check_lines(runner, root, monkeypatch)
    assert code == 1
    assert lines == [
        "transcripts/metadata.csv:1:1: error: metadata CSV has no id column (columns: name, "
        "partnership_type) [transcript]"
    ]
    result = CliRunner().invoke(app, ["code"])
    assert result.exit_code == 2
    assert "transcripts/metadata.csv:1: error: metadata CSV has no id column" in result.stderr


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loop(
    runner: CliRunner, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project()
    (root / "transcripts" / "sub").mkdir()
    (root / "transcripts" / "sub" / "loop").symlink_to(root / "transcripts")
    code, lines = check_lines(runner, root, monkeypatch)
    assert code == 1
    assert lines == [
        "transcripts/sub/loop: error: symlink loop: this folder was already visited [transcript]"
    ]
    result = CliRunner().invoke(app, ["code"])
    assert result.exit_code == 2
    assert "symlink loop" in result.stderr
    assert "Traceback" not in result.stderr


# -- qualcode transcripts --------------------------------------------------------------------------


def test_transcripts_csv_and_json(runner: CliRunner, make_project: MakeProject) -> None:
    root = make_project()
    result = runner.invoke(app, ["transcripts", "--format", "csv", "--project", str(root)])
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == ["alpha-clt", "beta-roc"]
    assert rows[0]["partnership_type"] == "CLT"
    assert rows[1]["organization_type"] == "community wealth building"
    assert rows[0]["speakers"] == "Interviewer; Maria Lopez"
    assert (rows[0]["turns"], rows[1]["turns"]) == ("4", "4")
    assert int(rows[0]["words"]) > 30
    as_json = json.loads(
        runner.invoke(app, ["transcripts", "-f", "json", "--project", str(root)]).stdout
    )
    assert [r["id"] for r in as_json] == ["alpha-clt", "beta-roc"]
    assert as_json[1]["speakers"] == "Q; A"
    table = runner.invoke(app, ["transcripts", "--project", str(root)])
    assert table.exit_code == 0
    assert "alpha-clt" in table.stdout


def test_bundled_corpus(bundled_project: Path) -> None:
    project = load_project(bundled_project)
    corpus = project.corpus
    assert len(corpus.ids) >= 12
    styles = set()
    for transcript in corpus:
        assert transcript.text.lstrip().startswith(("---", "[Fictional"))
        assert "fictional" in transcript.text[:2000].lower()
        assert 1500 <= transcript.words <= 4500, transcript.id
        assert not transcript.warnings, transcript.id
        assert len(transcript.informants) >= 1
        assert transcript.metadata.get("partnership_type") in ("CLT", "ROC", "Worker co-op")
        assert any(t.role == "interviewer" for t in transcript.turns)
        first = next(t for t in transcript.turns if t.speaker)
        styles.add("ts" if first.timestamp else first.speaker)
    assert len(styles) >= 3


def test_label_scanner_defaults_without_config() -> None:
    scanner = LabelScanner.from_config()
    assert "interviewer" in scanner.interviewer_labels
    assert "q" in scanner.interviewer_labels and "i" in scanner.interviewer_labels


def test_fallback_encoding_only_applies_to_files_that_are_not_utf8(tmp_path: Path) -> None:
    """`encoding: cp1252` must not garble UTF-8 or UTF-16 files in the same folder."""
    from qualcode.textio import decode_text

    path = tmp_path / "t.txt"
    utf8 = "I’m at the café".encode()
    assert decode_text(utf8, path, encoding="cp1252") == "I’m at the café"
    assert decode_text("\ufeffcafé".encode("utf-16-le"), path, encoding="cp1252") == "café"
    assert decode_text(b"\xef\xbb\xbfcaf\xc3\xa9", path, encoding="cp1252") == "café"
    assert decode_text(b"I\x92m caf\xe9", path, encoding="cp1252") == "I’m café"
    assert decode_text("café".encode("utf-16-le"), path, encoding="utf-16-le") == "café"
    # a UTF-16 fallback must not garble the UTF-8 files beside the BOM-less UTF-16 ones
    assert (
        decode_text(b"Q: Hi?\nA: caf\xc3\xa9.\n", path, encoding="utf-16") == "Q: Hi?\nA: café.\n"
    )


def test_speakers_who_speak_once_are_still_speakers() -> None:
    """Focus groups: a timestamped label, or a full name, counts even if it occurs once."""
    text = (
        "Moderator (00:00:01): How is it?\nDana Kim (00:00:05): It is lonely.\n"
        "Moderator (00:00:09): And you?\nLee Park (00:00:12): Slack all day.\n"
        "Moderator (00:00:15): Thanks.\n"
    )
    assert speakers_of(text) == [
        ("Moderator", "interviewer"), ("Dana Kim", "informant"), ("Moderator", "interviewer"),
        ("Lee Park", "informant"), ("Moderator", "interviewer"),
    ]  # fmt: skip
    plain = "Interviewer: Hi.\nDana Kim: Lonely.\nInterviewer: And?\nA: Slack.\n"
    assert [t.speaker for t in parse_transcript(plain, "t", "t.txt").turns] == [
        "Interviewer", "Dana Kim", "Interviewer", "A",
    ]  # fmt: skip


def test_a_one_word_label_used_once_stays_in_the_turn_with_a_warning() -> None:
    text = "Interviewer: Hi.\nDana: Yes.\nNote: the rest is Dana's.\nInterviewer: Ok.\nDana: Bye.\n"
    transcript = parse_transcript(text, "t", "t.txt")
    assert [t.speaker for t in transcript.turns] == ["Interviewer", "Dana", "Interviewer", "Dana"]
    assert any("'Note:' (line 3) looks like a speaker label" in w for w in transcript.warnings)


def test_many_transcripts_without_metadata_give_one_warning(
    runner: CliRunner, make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    transcripts = {f"t{i}": "Q: Hi.\nA: Housing.\n" for i in range(7)}
    root = make_project(transcripts=transcripts, metadata=None)
    code, lines = check_lines(runner, root, monkeypatch)
    assert code == 0  # warnings only
    missing = [line for line in lines if "[missing-metadata]" in line]
    assert missing == [
        "transcripts: warning: 7 transcripts have no metadata (no front matter and no "
        "metadata.csv row): transcripts/t0.txt, transcripts/t1.txt, transcripts/t2.txt ... "
        "[missing-metadata]"
    ]


def test_metadata_csv_columns_take_the_declared_names_and_the_fallback_encoding(
    tmp_path: Path,
) -> None:
    path = tmp_path / "metadata.csv"
    path.write_bytes("ID;Site;Partnership Type\nt1;Leeds;CLT\nt2;Orléans;ROC\n".encode("cp1252"))
    table = read_metadata_csv(
        path, "metadata.csv", declared=["site", "partnership_type"], encoding="cp1252"
    )
    assert table.columns == ("site", "partnership_type")
    assert table.rows["t2"] == {"site": "Orléans", "partnership_type": "ROC"}


def test_a_pathological_label_pattern_cannot_hang_the_tool(make_project: MakeProject) -> None:
    """Project label patterns run on RE2: `(a+)+b` on a long line of a's is linear, not 2^n."""
    import time

    config = "speakers:\n  patterns: ['^(?P<name>(a+)+)b:']\n"
    root = make_project(
        config=config, transcripts={"x": "a" * 40 + ":\nQ: Hi.\nA: Yes.\n"}, metadata=None
    )
    started = time.perf_counter()
    transcript = load_project(root).corpus.load("x")
    assert time.perf_counter() - started < 30  # a hang guard: Python's re would take hours
    assert [t.speaker for t in transcript.turns] == [None, "Q", "A"]


def test_a_label_pattern_re2_cannot_run_is_reported(make_project: MakeProject) -> None:
    config = "speakers:\n  patterns: ['^(?P<name>\\\\w+)(?<!x):']\n"
    root = make_project(config=config, metadata=None)
    with pytest.raises(ConfigError, match="invalid speaker pattern: invalid perl operator"):
        load_project(root)


def test_declared_and_configured_labels_count_as_written() -> None:
    lowercase = "interviewer: how did it start?\nrespondent: the hospital convened us.\n"
    assert turns_of(lowercase) == [
        ("interviewer", "interviewer", "how did it start?"),
        ("respondent", "informant", "the hospital convened us."),
    ]
    declared = (
        "---\nspeakers:\n  Q: interviewer\n  ana ruiz: informant\n---\nQ: Hi?\nana ruiz: yes.\n"
    )
    assert turns_of(declared)[1] == ("ana ruiz", "informant", "yes.")


def test_reported_speech_inside_an_answer_is_not_a_new_speaker() -> None:
    text = (
        "Interviewer: What did the CEO say?\n\nRespondent: She told the board:\n"
        'Hospital CEO: "We will donate the land."\nAnd they did.\n'
    )
    transcript = parse_transcript(text, "t", "t.txt")
    assert [t.speaker for t in transcript.turns] == ["Interviewer", "Respondent"]
    assert "'Hospital CEO:' (line 4) looks like a speaker label" in transcript.warnings[0]


def test_a_phrase_before_a_colon_inside_an_answer_is_not_a_speaker() -> None:
    text = (
        "Interviewer: What were the lessons?\n"
        "Ana Ruiz: Three, really.\nBottom Line: the hospital has to show up.\n"
        "Interviewer: Anything else?\nAna Ruiz: No.\n"
    )
    transcript = parse_transcript(text, "t", "t.txt")
    assert [t.speaker for t in transcript.turns] == ["Interviewer", "Ana Ruiz"] * 2
    assert "'Bottom Line:' (line 3) looks like a speaker label" in transcript.warnings[0]


def test_a_role_typo_in_front_matter_is_an_error_on_its_line() -> None:
    text = (
        "---\nspeakers:\n  Interviewer: interviewer\n  Ana Ruiz: informat\n---\nInterviewer: Hi\n"
    )
    with pytest.raises(TranscriptError) as info:
        parse_transcript(text, "t", "t.txt")
    assert (info.value.line, info.value.column) == (4, 13)  # at the wrong role
    assert "role 'informat' (did you mean 'informant'?)" in info.value.message
    for front, line, message in [
        ('  "Dr. Sam Rivera": informat\n', 4, "role 'informat'"),
        ("  Bo:\n", 4, "speaker 'Bo' has no role"),
    ]:
        quoted = f"---\nspeakers:\n  Interviewer: interviewer\n{front}---\nInterviewer: Hi\n"
        with pytest.raises(TranscriptError, match=message) as info:
            parse_transcript(quoted, "t", "t.txt")
        assert info.value.line == line
    flow = "---\nsite: x\nspeakers: {Interviewer: interviewer, Sam: informat}\n---\nSam: Hi\n"
    with pytest.raises(TranscriptError) as info:
        parse_transcript(flow, "t", "t.txt")
    assert info.value.line == 3
    with pytest.raises(TranscriptError, match="must map names to roles"):
        parse_transcript("---\nspeakers: Ana\n---\nAna: Hi\n", "t", "t.txt")


def test_speakers_without_an_interviewer_and_absent_declared_speakers_warn() -> None:
    otter = "Jane Doe  0:03\nHow did it start?\n\nMarcus Bell  0:10\nThe hospital convened us.\n"
    warnings = parse_transcript(otter, "t", "t.txt").warnings
    assert len(warnings) == 1
    assert warnings[0].startswith("no speaker is an interviewer (Jane Doe, Marcus Bell)")
    declared = "---\nspeakers:\n  Jane Doe: interviewer\n  Marcus Bel: informant\n---\n" + otter
    warnings = parse_transcript(declared, "t", "t.txt").warnings
    assert warnings == (
        "front matter declares 'Marcus Bel' under `speakers:` but no turn has that label; check "
        "the spelling against the transcript",
    )


def test_turkish_capitals_name_the_same_speaker() -> None:
    """Found by a helper: `GÖRÜŞMECİ`.casefold() keeps a combining dot and `KATILIMCI` has no ı,
    so the interviewer named in front matter was not found and their questions were coded."""
    text = (
        "---\nspeakers:\n  Görüşmeci: interviewer\n  Katılımcı: informant\n---\n"
        "GÖRÜŞMECİ: Kira ne kadar?\n\nKATILIMCI: Kira çok yüksek.\n\n"
        "GÖRÜŞMECİ: Peki ya ışık?\n\nKATILIMCI: Işık yoktu.\n"
    )
    transcript = parse_transcript(text, "t", "t.txt")
    assert speakers_of(text) == [("GÖRÜŞMECİ", "interviewer"), ("KATILIMCI", "informant")] * 2
    assert transcript.warnings == ()


def test_headings_footers_and_cue_lines_do_not_end_up_in_the_previous_turn() -> None:
    text = (
        "# Interview 7\n\n**Interviewer:** How did it start?\n\n## Resources\n\n---\n\n"
        "**Ana Ruiz:** We had 42 homes.\n\n42\n\n**Interviewer:** And?\n\n"
        "**Ana Ruiz:** Done.\n\n7\n00:00:01.000 --> 00:00:02.000\n\nTranscribed by https://otter.ai\n"
    )
    got = turns_of(text)
    assert [words for _, _, words in got] == [
        "# Interview 7",
        "How did it start?",
        "We had 42 homes.\n\n42",  # a number alone is speech unless a cue timing follows
        "And?",
        "Done.",
    ]


def test_a_metadata_column_named_twice_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "m.csv", "id,Site,partnership,site\na,x,P,y\n")
    with pytest.raises(TranscriptError, match="column 'site' appears twice in the header"):
        read_metadata_csv(path, "m.csv")


@pytest.mark.parametrize(
    ("label", "speaker"),
    [
        ("Omar al-Hassan:", "Omar al-Hassan"),
        ("Rahul d’Souza:", "Rahul d’Souza"),
        ("Juan Carlos de la Cruz:", "Juan Carlos de la Cruz"),
        ("[Jane Doe (she/her)] 14:02:05\n", "Jane Doe"),
    ],
)
def test_names_real_transcripts_use(label: str, speaker: str) -> None:
    text = f"Interviewer: How did it start?\n{label} With a lunch.\nInterviewer: Then?\n{label} Land.\n"
    assert turns_of(text)[1][:2] == (speaker, "informant")


def test_a_declared_label_is_matched_as_written() -> None:
    text = (
        "---\nspeakers:\n  Dr. Ana Ruiz (Host): interviewer\n  'Participant #3': informant\n---\n"
        "Dr. Ana Ruiz (Host): How did it start?\nParticipant #3: With a lunch.\n"
    )
    assert turns_of(text) == [
        ("Dr. Ana Ruiz (Host)", "interviewer", "How did it start?"),
        ("Participant #3", "informant", "With a lunch."),
    ]


def test_a_recurring_label_that_is_not_name_like_is_reported() -> None:
    text = "Interviewer: Hi?\nana ruiz: Yes.\nInterviewer: And?\nana ruiz: No.\n"
    transcript = parse_transcript(text, "t", "t.txt")
    assert [t.speaker for t in transcript.turns] == ["Interviewer", "Interviewer"]
    assert transcript.warnings[0].startswith(
        "'ana ruiz:' starts several lines like a speaker label but does not look like a name"
    )


# -- properties of the parser ------------------------------------------------------------------------

LABEL_PIECES = st.sampled_from(
    [
        "Ana Ruiz",
        "Q",
        "INTERVIEWER",
        "Speaker 2",
        "Maria de la Cruz",
        "bottom line",
        "Note",
        "[00:01:23]",
        "00:01:23",
        "(00:01)",
        "[1:02]",
        "**",
        ":",
        ": ",
        " ",
        "\t",
        "[Jane Doe (she/her)]",
        "e.g.",
        "words",
        "0:03",
        "-->",
        "\n",
    ]
)
TRANSCRIPT_PIECES = st.one_of(
    LABEL_PIECES,
    st.sampled_from(["We run a land trust.", "Yes.", "\n\n", "---\n", "# Heading\n", "\r"]),
    st.text(max_size=12),
)


@given(
    pieces=st.lists(TRANSCRIPT_PIECES, max_size=30),
    kind=st.sampled_from(["turn", "paragraph", "sentence"]),
)
@settings(max_examples=300, deadline=None)
def test_segments_are_ordered_disjoint_spans_of_the_text(pieces: list[str], kind: str) -> None:
    """Whatever the text: segments lie in order inside it, do not overlap and carry no padding;
    bad input is a TranscriptError (a message), never a crash."""
    text = "".join(pieces).replace("\r", "\n")
    try:
        transcript = parse_transcript(text, "t", "t.txt", segmentation=kind)
    except QualcodeError:
        return
    previous_end = 0
    ids = set()
    for seg in transcript.segments:
        assert previous_end <= seg.start < seg.end <= len(text)
        body = text[seg.start : seg.end]
        assert not body[0].isspace() and not body[-1].isspace()
        assert 1 <= seg.line_start <= seg.line_end
        assert seg.line_start == text.count("\n", 0, seg.start) + 1
        assert seg.id not in ids
        ids.add(seg.id)
        previous_end = seg.end


def test_blank_lines_before_unlabelled_text_are_not_part_of_its_segment() -> None:
    """Found by the property test above: the segment began on the blank line, one line early."""
    for text in (
        "\n\n  We run a land trust.\n",
        "\n\nWe run a land trust.\n\nAna: Yes.\n\nAna: No.\n",
    ):
        segment = parse_transcript(text, "t", "t.txt").segments[0]
        assert text[segment.start : segment.end].startswith("We run")
        assert segment.line_start == 3


def test_a_paragraph_ends_at_its_last_word_not_at_trailing_spaces() -> None:
    text = "Ana: First paragraph.  \n\nSecond one.\n\nAna: Yes.\n"
    segments = parse_transcript(text, "t", "t.txt", segmentation="paragraph").segments
    assert [text[s.start : s.end] for s in segments] == ["First paragraph.", "Second one.", "Yes."]


def test_a_projects_own_label_pattern_needs_no_colon(
    make_project: MakeProject, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the built-in labels all have a colon; a line is no longer skipped for lacking one."""
    config = "speakers:\n  patterns: ['^(?P<name>[A-Z][a-z]+) > ']\n  interviewer: [Bo]\n"
    text = "Bo > How did it start?\nAna > With a land trust.\nBo > And?\nAna > Yes.\n"
    assert speakers_in_project(make_project, config, text) == [
        ("Bo", "interviewer"),
        ("Ana", "informant"),
        ("Bo", "interviewer"),
        ("Ana", "informant"),
    ]


def test_a_metadata_cell_over_the_csv_limit_is_an_error_on_its_line(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by fuzzing: an unclosed quote in a big file was an internal error (csv.Error)."""
    root = make_project(metadata='id,partnership\nalpha-clt,"' + "x" * 140_000 + "\n")
    monkeypatch.chdir(root)
    for args, exit_code in ((["code"], 2), (["check"], 1)):
        result = runner.invoke(app, args)
        assert result.exit_code == exit_code, result.output
        assert "metadata.csv:2" in result.output + result.stderr
        assert "unclosed quote" in result.output + result.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_in_the_transcripts_folder_is_an_error_not_a_hang(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by fuzzing: reading a FIFO waited forever (and /dev/zero never ended)."""
    root = make_project()
    os.mkfifo(root / "transcripts" / "pipe.txt")
    monkeypatch.chdir(root)
    for args, exit_code in ((["code"], 2), (["check"], 2), (["transcripts"], 2)):
        result = runner.invoke(app, args)
        assert result.exit_code == exit_code, result.output
        output = result.output + result.stderr
        assert "transcripts/pipe.txt: error: is not a regular file" in output, output
    # a file that links to itself: named as it lies in the folder, not by its absolute path
    (root / "transcripts" / "pipe.txt").unlink()
    (root / "transcripts" / "self.txt").symlink_to("self.txt")
    looped = runner.invoke(app, ["check"])
    assert looped.exit_code == 2
    assert (
        "transcripts/self.txt: error: is a symbolic link to nothing (a broken link or a loop)"
    ) in looped.output
    assert "(8 files checked)" in looped.stderr  # the others are checked too
    assert "[unreadable-file]" in looped.output
    assert str(root) not in looped.output + looped.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_device_or_link_loop_among_the_codebooks_is_an_error_not_a_hang(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO named x.yaml in codebooks/ hung every command, /dev/zero ate the memory, and a
    link loop ended in an internal error (exit 3)."""
    root = make_project()
    books = root / "codebooks"
    os.mkfifo(books / "pipe.yaml")
    (books / "zero.yaml").symlink_to("/dev/zero")
    (books / "a.yaml").symlink_to("b.yaml")
    (books / "b.yaml").symlink_to("a.yaml")
    monkeypatch.chdir(root)
    for args in (["check"], ["code"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2, result.output
        output = result.output + result.stderr
        assert "internal error" not in output
        assert "pipe.yaml" in output or "zero.yaml" in output or "a.yaml" in output
    lines = runner.invoke(app, ["check"]).output
    assert "codebooks/pipe.yaml: error: is not a regular file" in lines
    assert "codebooks/zero.yaml: error: is not a regular file" in lines
    assert (
        "codebooks/a.yaml: error: is a symbolic link to nothing (a broken link or a loop)" in lines
    )


def test_a_metadata_csv_that_is_a_folder_is_an_error_not_no_metadata(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(metadata=None)
    (root / "transcripts" / "metadata.csv").mkdir()
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2, result.output
    assert "metadata.csv: error: is a directory, expected a metadata CSV" in result.output
    assert "have no metadata" not in result.output


def test_a_device_named_on_the_command_line_is_read_no_further_than_the_size_cap(
    tmp_path: Path,
) -> None:
    from qualcode.errors import InputFileError
    from qualcode.textio import read_bytes

    with pytest.raises(InputFileError, match="more than the 0 MB allowed"):
        read_bytes(Path("/dev/zero"), max_bytes=1000, what="table")


def test_a_decoding_error_names_the_files_own_byte_offset_and_the_real_line(
    tmp_path: Path,
) -> None:
    """Found by fuzzing: a BOM was left out of the offset; UTF-16 counted 0x0A bytes as lines."""
    from qualcode.textio import decode_text

    cases = [
        (b"\xef\xbb\xbfQ: hi\nA: ok \xff x", "byte offset 15", (2, 7)),
        (
            "\ufeffQ: \u0a0a\u0a0a\nA: hi".encode("utf-16-le") + b"\x00\xd8",
            "byte offset 24",
            (2, 6),
        ),
        ("Q: café \xff".encode("latin-1").replace(b"\xe9", "é".encode()), "byte offset 9", (1, 9)),
    ]
    for data, offset, (line, column) in cases:
        with pytest.raises(InputFileError, match=offset) as info:
            decode_text(data, tmp_path / "t.txt", what="transcript")
        assert (info.value.line, info.value.column) == (line, column)


# -- labels from focus groups, legal transcripts and services without a colon -----------------

Q_AND_A = [("Q", "interviewer"), ("A", "informant")] * 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Moderator: What brought you here?\nP1: The housing.\nP7: Same for me.\n"
            "P12: I disagree.\nModerator: Why?\n",
            [
                ("Moderator", "interviewer"),
                ("P1", "informant"),
                ("P7", "informant"),
                ("P12", "informant"),
                ("Moderator", "interviewer"),
            ],
            id="focus-group codes each speaking once",
        ),
        pytest.param(
            "IV: How did it start?\nR1: The hospital called.\nIV: And?\nR2: We met.\n",
            [
                ("IV", "interviewer"),
                ("R1", "informant"),
                ("IV", "interviewer"),
                ("R2", "informant"),
            ],
            id="numbered respondents",
        ),
        pytest.param(
            "Facilitator: Tell me more.\nFemale participant: We organized.\n"
            "Male participant 2: We raised money.\nAssistant moderator: Thanks.\n",
            [
                ("Facilitator", "interviewer"),
                ("Female participant", "informant"),
                ("Male participant 2", "informant"),
                ("Assistant moderator", "interviewer"),
            ],
            id="described participants",
        ),
        pytest.param(
            "Q. How did it start?\nA. The hospital called.\nQ. And then?\nA. We met.\n",
            Q_AND_A,
            id="Q. and A.",
        ),
        pytest.param(
            "Q - How did it start?\nA – The hospital called.\nQ — And then?\nA - We met.\n",
            Q_AND_A,
            id="Q - and A -",
        ),
        pytest.param(
            "**Q.** How did it start?\n**A.** The hospital called.\n**Q.** And?\n**A.** Met.\n",
            Q_AND_A,
            id="bold Q. and A.",
        ),
        pytest.param(
            "Smith, John: How did it start?\nDoe, Jane: The hospital called.\n"
            "Smith, John: Ok.\nDoe, Jane: Yes.\n",
            [("Smith, John", "informant"), ("Doe, Jane", "informant")] * 2,
            id="Last, First:",
        ),
        pytest.param(
            ">> INTERVIEWER: How did it start?\n>> MARIA: The hospital called.\n"
            ">> INTERVIEWER: And?\n>> MARIA: We met.\n",
            [("INTERVIEWER", "interviewer"), ("MARIA", "informant")] * 2,
            id="closed captions >>",
        ),
        pytest.param(
            "00:00:05 - Interviewer: Hi\n00:00:09 - Maria: Hello there\n",
            [("Interviewer", "interviewer"), ("Maria", "informant")],
            id="timestamp - name:",
        ),
        pytest.param(
            "[00:00:05.12] - Interviewer\nHi\n\n[00:00:09.00] - Maria\nHello there\n",
            [("Interviewer", "interviewer"), ("Maria", "informant")],
            id="[timestamp] - name alone",
        ),
        pytest.param(
            "Interviewer - 00:00:05\nHi\n\nMaria – 00:00:09\nHello there\n",
            [("Interviewer", "interviewer"), ("Maria", "informant")],
            id="name - timestamp alone",
        ),
        pytest.param(
            "Interviewer\tHow did it start?\nMaria\tThe hospital called.\n"
            "Interviewer\tAnd?\nMaria\tWe met.\n",
            [("Interviewer", "interviewer"), ("Maria", "informant")] * 2,
            id="a table copied as text",
        ),
        pytest.param(
            "Speaker 1\nHow did it start?\n\nSpeaker 2\nThe hospital called us.\n\n"
            "Speaker 1\nOk.\n\nSpeaker 3\nI was there too.\n",
            [
                ("Speaker 1", "informant"),
                ("Speaker 2", "informant"),
                ("Speaker 1", "informant"),
                ("Speaker 3", "informant"),
            ],
            id="Otter without timestamps",
        ),
        pytest.param(
            "### Interviewer\nHow did it start?\n\n### Maria Lopez\nThe hospital called.\n\n"
            "### Interviewer\nAnd?\n\n### Maria Lopez\nWe met.\n",
            [("Interviewer", "interviewer"), ("Maria Lopez", "informant")] * 2,
            id="Markdown headings",
        ),
    ],
)
def test_labels_of_focus_groups_legal_transcripts_and_colonless_exports(
    text: str, expected: list[tuple[str, str]]
) -> None:
    assert speakers_of(text) == expected


def test_words_after_a_label_without_a_colon_do_not_keep_its_mark() -> None:
    turns = turns_of("Q. How did it start?\nA. It began.\nQ. Then?\nA - We met.\n")
    assert [words for _, _, words in turns] == [
        "How did it start?",
        "It began.",
        "Then?",
        "We met.",
    ]
    bare = turns_of("Speaker 1\nHi there.\n\nSpeaker 2\nHello.\n\nSpeaker 1\nBye.\n")
    assert [words for _, _, words in bare] == ["Hi there.", "Hello.", "Bye."]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "Interviewer: How?\nMaria: Well.\nStep 1: we called.\nStep 2: we met.\n"
            "Interviewer: And?\nMaria: Done.\nDay 1: a visit.\nDay 2: a vote.\n",
            id="numbered steps inside an answer",
        ),
        pytest.param(
            "Interviewer: What options?\nMaria: Two.\nA. The first one is cheap.\n"
            "B. The second costs more.\nInterviewer: Ok\nMaria: Yes\nA. Again a list.\n",
            id="a lettered list inside an answer",
        ),
        pytest.param(
            "Interviewer: How?\nMaria: Short answer: no.\nInterviewer: Why?\n"
            "Maria: Our participant: the hospital.\n",
            id="a phrase ending in a role's word",
        ),
    ],
)
def test_lines_that_only_resemble_these_labels_stay_in_the_answer(text: str) -> None:
    assert speakers_of(text) == [("Interviewer", "interviewer"), ("Maria", "informant")] * 2


def test_headings_of_a_document_without_labels_are_not_speakers() -> None:
    text = "Background\nThe trust began in 1990.\n\nMethods\nWe interviewed.\n\nResults\nMany.\n"
    assert speakers_of(text) == [(None, "informant")]
    one_pair = "Q. How did it start?\nA. The hospital called.\n"  # once each: could be a list
    assert speakers_of(one_pair) == [(None, "informant")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "**Interviewer: Who came to the first meetings?**\nRespondent: Mostly tenants.\n"
            "*Interviewer: And then?*\nRespondent: The hospital.\n",
            [("Interviewer", "interviewer"), ("Respondent", "informant")] * 2,
            id="a question in bold or italics whole",
        ),
        pytest.param(
            "[Daniel Okafor] 10:00:02 : How long have you lived here?\n"
            "[Luis Ortega] 10:00:10 : Since 2019.\n",
            [("Daniel Okafor", "informant"), ("Luis Ortega", "informant")],
            id="Zoom captions with the words on the label's line",
        ),
        pytest.param(
            "Moderator: Anything else?\nP3: Yes.\nSeveral participants: [crosstalk]\n"
            "Moderator: One at a time.\nP3: Sorry.\n",
            [
                ("Moderator", "interviewer"),
                ("P3", "informant"),
                ("Several participants", "informant"),
                ("Moderator", "interviewer"),
                ("P3", "informant"),
            ],
            id="a group speaking once",
        ),
        pytest.param(
            "# Interview 7: Riverside\n\n## Interviewer\n\nHow did it start?\n\n## Ana Flores\n\n"
            "The district called.\n\n## Interviewer\n\nThen?\n\n## Ana Flores\n\nWe met.\n",
            [
                (None, None),
                ("Interviewer", "interviewer"),
                ("Ana Flores", "informant"),
                ("Interviewer", "interviewer"),
                ("Ana Flores", "informant"),
            ],
            id="Markdown headings with a blank line before the words",
        ),
        pytest.param(
            "Interviewer: How did it start?\r\nMaria Lopez  0:03\r\nThe hospital called.\r\n",
            [("Interviewer", "interviewer"), ("Maria Lopez", "informant")],
            id="CRLF text given straight to the parser",
        ),
    ],
)
def test_more_label_layouts(text: str, expected: list[tuple[str | None, str | None]]) -> None:
    assert speakers_of(text) == expected


def test_a_transcript_table_from_nvivo_has_the_speaker_in_its_last_column() -> None:
    text = (
        "Timespan\tContent\tSpeaker\n"
        "00:02.0 - 00:11.5\tHow did the partnership start?\tInterviewer\n"
        "00:11.0 - 00:20.5\tThe district called us.\tAna Flores\n"
        "and a cell that went on\n"
        "00:23.0 - 00:32.5\tWho pays?\tInterviewer\n"
    )
    transcript = parse_transcript(text, "t", "t.txt")
    turns = [(t.speaker, t.role, t.timestamp, text[t.start : t.end]) for t in transcript.turns]
    assert turns == [
        (None, None, None, "Timespan\tContent\tSpeaker"),
        ("Interviewer", "interviewer", "00:02.0", "How did the partnership start?"),
        (
            "Ana Flores",
            "informant",
            "00:11.0",
            "The district called us.\tAna Flores\nand a cell that went on",
        ),
        ("Interviewer", "interviewer", "00:23.0", "Who pays?"),
    ]


def test_the_speaker_who_asks_the_questions_is_the_interviewer_when_no_label_says() -> None:
    text = (
        "Speaker 1  0:02\nHow did the partnership start?\n\n"
        "Speaker 2  0:10\nThe hospital called us. Why? They needed housing.\n\n"
        "Speaker 1  0:22\nWho made the decisions?\n\n"
        "Speaker 2  0:30\nA joint committee.\n\n"
        "Speaker 1  0:41\nI see. And the money?\n\n"
        "Speaker 2  0:50\nThe hospital had it.\n"
    )
    transcript = parse_transcript(text, "t", "t.txt")
    assert [(t.speaker, t.role) for t in transcript.turns] == [
        ("Speaker 1", "interviewer"),
        ("Speaker 2", "informant"),
    ] * 3
    assert "'Speaker 1' asks the questions (3 of 3 turns hold a '?')" in transcript.warnings[0]
    # not when it is unclear, when a label is an informant's, or when front matter gives roles
    both_ask = text.replace("A joint committee.", "Who knows?").replace("had it.", "had it?")
    assert {t.role for t in parse_transcript(both_ask, "t", "t.txt").turns} == {"informant"}
    labelled = text.replace("Speaker 2", "Respondent")
    assert {t.role for t in parse_transcript(labelled, "t", "t.txt").turns} == {"informant"}
    declared = "---\nspeakers:\n  Speaker 1: informant\n  Speaker 2: informant\n---\n" + text
    assert {t.role for t in parse_transcript(declared, "t", "t.txt").turns} == {"informant"}


def test_an_oral_history_header_gives_its_roles_to_the_surnames_below() -> None:
    text = (
        "RIVERSIDE ORAL HISTORY PROJECT\n\n"
        "Narrator: Rosa García\nInterviewer: Sam Hollis\nDate: May 3, 2022\n\n"
        "HOLLIS: How long have you been a member?\n\n"
        "GARCÍA: Eleven years. I was on the founding board.\n"
        "Note: the credit union gave us the first loan.\n\n"
        "HOLLIS: Were there tensions?\n\n"
        "GARCÍA: Some, around the second expansion.\n"
    )
    transcript = parse_transcript(text, "t", "t.txt")
    assert [(t.speaker, t.role) for t in transcript.turns] == [
        (None, None),  # the header: no one's words, not coded
        ("HOLLIS", "interviewer"),
        ("GARCÍA", "informant"),
        ("HOLLIS", "interviewer"),
        ("GARCÍA", "informant"),
    ]
    assert transcript.text[transcript.turns[0].start :].startswith("RIVERSIDE")
    # `Date:` above the first turn is not reported as words read into a turn; `Note:` is
    assert len(transcript.warnings) == 1
    assert transcript.warnings[0].startswith("'Note:' (line 10) looks like a speaker label")
    # a header naming nobody who speaks below is still no turn (the questions tell who asks
    # them); front matter roles win
    other = parse_transcript(text.replace("Sam Hollis", "Ana Ruiz"), "t", "t.txt")
    assert [(t.speaker, t.role) for t in other.turns[:2]] == [
        (None, None),
        ("HOLLIS", "interviewer"),
    ]
    assert "'HOLLIS' asks the questions" in other.warnings[-1]
    declared = "---\nspeakers: {HOLLIS: informant, GARCÍA: informant}\n---\n" + text
    turns = parse_transcript(declared, "t", "t.txt").turns
    assert {t.role for t in turns if t.speaker in ("HOLLIS", "GARCÍA")} == {"informant"}


@pytest.mark.parametrize(
    ("header", "turns", "expected"),
    [
        # initials, and a narrator who speaks once: the header says who they are
        (
            "Interviewer: Sam Hollis\nNarrator: Mae Thompson\nDate: 2001\n",
            "SH: Did the hospital give a grant?\n\nMT: Yes.\n\nSH: Why?\n",
            [("SH", "interviewer"), ("MT", "informant"), ("SH", "interviewer")],
        ),
        # two interviewers who each ask once, and a description after the narrator's name
        (
            "Interviewers: Sam Hollis and Dr. Amy Chen\nNarrator: Rosa Garcia, founding member\n",
            "HOLLIS: Where?\n\nGARCIA: Here.\n\nCHEN: And then?\n\nGARCIA: There.\n",
            [
                ("HOLLIS", "interviewer"),
                ("GARCIA", "informant"),
                ("CHEN", "interviewer"),
                ("GARCIA", "informant"),
            ],
        ),
        # a header above Q:/A:, and one whose own label asks the questions below
        (
            "Interviewer: Sam Hollis\nNarrator: Rosa Garcia\n",
            "Q: Where?\n\nA: Here.\n\nQ: Why?\n",
            [("Q", "interviewer"), ("A", "informant"), ("Q", "interviewer")],
        ),
        (
            "Interviewer: Margaret Lee\nNarrator: Thomas Reed\nTape 1, Side A\n",
            "INTERVIEWER: Where?\n\nREED: Here.\n\nINTERVIEWER: Why?\n",
            [("INTERVIEWER", "interviewer"), ("REED", "informant"), ("INTERVIEWER", "interviewer")],
        ),
    ],
)
def test_oral_history_headers_as_archives_write_them(
    header: str, turns: str, expected: list[tuple[str, str]]
) -> None:
    transcript = parse_transcript(header + "\n" + turns, "t", "t.txt")
    assert transcript.turns[0].speaker is None and transcript.turns[0].start == 0  # the header
    assert [(t.speaker, t.role) for t in transcript.turns[1:]] == expected
    assert not [w for w in transcript.warnings if "occurs once" in w]


def test_a_greeting_or_a_name_in_the_first_turn_is_not_a_header() -> None:
    for text in (
        "Interviewer: Hello\n\nRespondent: Hi.\n\nInterviewer: Tell me.\n\nRespondent: Well.\n",
        "Interviewer: Ana Ruiz?\n\nAna: Yes.\n\nInterviewer: Tell me.\n\nAna: Well.\n",
    ):
        transcript = parse_transcript(text, "t", "t.txt")
        assert transcript.turns[0].speaker == "Interviewer" and transcript.turns[0].number == 1


def test_front_matter_with_a_key_twice_is_an_error_and_id_cannot_rename_a_row(
    make_project: MakeProject, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_project(
        transcripts={
            "twice": "---\nmodel: housing\nmodel: worker\n---\nQ: Hello?\nA: Land.\n",
            "named": "---\nid: twice\n---\nQ: Hello?\nA: Land.\nQ: And?\nA: Homes.\n",
        },
        metadata=None,
    )
    monkeypatch.chdir(root)
    result = runner.invoke(app, ["check"])
    assert (
        "transcripts/twice.txt:3:1: error: front matter: key 'model' appears twice "
        "(first at line 2)" in result.output
    )
    listed = runner.invoke(app, ["transcripts", "--format", "csv"])
    assert [line.split(",")[0] for line in listed.stdout.splitlines()[1:]] == ["named"]
