"""Caption files (WebVTT from Zoom and Teams, SubRip .srt) turned into plain-text transcripts.

A caption file is not a transcript: cue numbers and timings sit between the words, and one speaker's
answer is cut into dozens of two-second cues. Coding it as it is would match and quote those
timings. Rather than teach every reader of transcripts to skip them (offsets must stay code points
into the file), a caption file is converted once into a transcript a person can read and diff:
consecutive cues of one speaker become one turn, labelled `[hh:mm:ss] Name:` with the time the turn
starts, which the default label patterns recognize.

webvtt-py (0.6.0) was tried first and not used: it silently drops a cue whose timing it cannot
read, leaves character references such as `&amp;` in the text and names no line in its errors,
while the little of the two formats a transcript needs is read here in a few dozen lines.
"""

from __future__ import annotations

import html
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from qualcode.errors import InterchangeError, warn

MAX_CAPTION_BYTES = 100_000_000
# A silence this long (seconds) between cues of an unlabelled file starts a new paragraph.
PARAGRAPH_GAP = 2.0

_TIME = r"(?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3}"
_TIMING = re.compile(rf"^\s*(?P<start>{_TIME})\s*-->\s*(?P<end>{_TIME})(?:\s.*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?[ \t]+(?P<name>[^>]+?)\s*>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>|<\d[\d:.]*>")
# `Jane Doe: words` (Zoom), `>> JANE DOE: words` (broadcast captions), `- Jane: words` (SubRip)
_NAME_PREFIX = re.compile(
    r"^(?:>>\s*|-\s*)?(?P<name>[^\W\d_][\w'’.\-]*(?:[ \t]+[\w'’.\-]+){0,3})[ \t]*:[ \t]+"
)
_LOOKS_LIKE = re.compile(r"\A\ufeff?(?:WEBVTT\b|\s*\d+\s*\n\s*" + _TIME + r"\s*-->)")


@dataclass(frozen=True)
class Cue:
    line: int  # where the timing line is, 1-based
    start: float  # seconds
    end: float
    speaker: str | None
    text: str


def looks_like_captions(text: str) -> bool:
    """True for WebVTT or SubRip text (used to warn when one sits among the transcripts)."""
    return bool(_LOOKS_LIKE.match(text[:500]))


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    seconds = float(parts[-1])
    minutes = int(parts[-2])
    hours = int(parts[-3]) if len(parts) == 3 else 0
    return hours * 3600 + minutes * 60 + seconds


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _payload(lines: Sequence[str]) -> tuple[str | None, str]:
    """The speaker (voice tag or `Name:` prefix) and the plain words of a cue."""
    raw = " ".join(line.strip() for line in lines if line.strip())
    voice = _VOICE.search(raw)
    speaker = " ".join(voice.group("name").split()) if voice else None
    words = " ".join(html.unescape(_TAG.sub("", raw)).replace("\u00a0", " ").split())
    if speaker is None:
        prefix = _NAME_PREFIX.match(words)
        if prefix and all(w[0].isupper() or w[0].isdigit() for w in prefix.group("name").split()):
            speaker = " ".join(prefix.group("name").split())
            words = words[prefix.end() :]
    elif words.startswith((">>", "- ")):
        words = words[2:].lstrip()
    return speaker, words


def parse_captions(text: str, path: str) -> list[Cue]:
    """The cues of a WebVTT or SubRip file, in file order; NOTE, STYLE and REGION blocks skipped."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    is_vtt = bool(lines) and lines[0].startswith("WEBVTT")
    cues: list[Cue] = []
    i = 1 if is_vtt else 0
    if is_vtt:  # the header block runs to the first blank line
        while i < len(lines) and lines[i].strip():
            i += 1
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        block_start = i
        while i < len(lines) and lines[i].strip():
            i += 1
        block = lines[block_start:i]
        if is_vtt and block[0].split(maxsplit=1)[0] in ("NOTE", "STYLE", "REGION"):
            continue
        timing_at = next((k for k, line in enumerate(block[:2]) if "-->" in line), None)
        if timing_at is None and len(block) > 1 and block[0].strip().isdigit():
            timing_at = 1  # a cue number, so the next line is a timing, however garbled
        if timing_at is None:
            raise InterchangeError(
                "expected a cue timing line such as `00:00:01.000 --> 00:00:04.000`",
                path=path,
                line=block_start + 1,
                column=1,
                hint="is this a WebVTT (.vtt) or SubRip (.srt) caption file?",
            )
        timing = _TIMING.match(block[timing_at])
        if timing is None:
            raise InterchangeError(
                f"cannot read the cue timing {block[timing_at].strip()!r}",
                path=path,
                line=block_start + timing_at + 1,
                column=1,
                hint="timings look like `00:00:01.000 --> 00:00:04.000`",
            )
        speaker, words = _payload(block[timing_at + 1 :])
        if words:
            cues.append(
                Cue(
                    block_start + timing_at + 1,
                    _seconds(timing.group("start")),
                    _seconds(timing.group("end")),
                    speaker,
                    words,
                )
            )
    if not cues:
        raise InterchangeError(
            "no cues with words in this caption file",
            path=path,
            hint="WebVTT files start with `WEBVTT`; SubRip cues are a number, a timing and text",
        )
    return cues


def _label_name(name: str) -> str:
    """A speaker name the transcript reader will take as a label (capitalized, no colon)."""
    words = name.replace(":", " ").split()
    return " ".join(w[0].upper() + w[1:] if w[0].islower() else w for w in words)


def captions_to_transcript(cues: Sequence[Cue], interviewers: Sequence[str] = ()) -> str:
    """One turn per run of cues by the same speaker; unlabelled cues continue the current turn.

    With `interviewers`, front matter declares every speaker's role, so no `qualcode.yaml`
    setting is needed for the names of this one interview.
    """
    out: list[str] = []
    speaker: str | None = None
    previous_end = 0.0
    names: dict[str, None] = {}
    for cue in cues:
        name = _label_name(cue.speaker) if cue.speaker else None
        if name is not None and name != speaker:
            speaker = name
            names[name] = None
            out.append(f"[{_clock(cue.start)}] {name}: {cue.text}")
        elif not out or (speaker is None and cue.start - previous_end >= PARAGRAPH_GAP):
            out.append(cue.text)
        else:
            out[-1] += f" {cue.text}"
        previous_end = cue.end
    front = ""
    wanted = {_label_name(n).casefold() for n in interviewers}
    if interviewers and not any(_label_name(n).casefold() in wanted for n in names):
        # One file of a batch (another interviewer's, or captions without names) must not stop
        # the others: its roles are left to the labels, as for any transcript.
        from qualcode.diagnostics import did_you_mean

        warn(
            f"none of the interviewers ({', '.join(interviewers)}) speaks in these captions"
            f"{did_you_mean(interviewers[0], names)}, so no roles were written: the speakers "
            f"are {', '.join(names) or 'not named'}; roles come from the labels (INTERVIEWER:, "
            "or the speaker who asks the questions)"
        )
    elif interviewers:
        roles = {
            n: "interviewer" if _label_name(n).casefold() in wanted else "informant" for n in names
        }
        import yaml

        front = "---\n" + yaml.safe_dump({"speakers": roles}, sort_keys=False, allow_unicode=True)
        front += "---\n"
    return front + "\n\n".join(out).strip() + "\n"


def convert_caption_files(
    sources: Sequence[Path],
    target_dir: Path,
    *,
    interviewers: Sequence[str] = (),
    force: bool = False,
) -> list[Path]:
    """Write `<target_dir>/<stem>.txt` per caption file; all are read before any is written.

    Refuses to overwrite an existing transcript unless forced, and to write two files with one
    name (the stem is the transcript id).
    """
    from qualcode.project import display_path
    from qualcode.textio import atomic_write_text, read_text

    converted: dict[Path, str] = {}
    for source in sources:
        shown = display_path(source)
        target = target_dir / f"{source.stem}.txt"
        if target in converted:
            raise InterchangeError(
                f"two caption files would both become {display_path(target)}",
                path=shown,
                hint="rename one: the file name (without extension) is the transcript id",
            )
        if target.exists() and not force:
            raise InterchangeError(
                f"{display_path(target)} already exists",
                path=shown,
                hint="pass --force to replace it, or choose another folder with -o",
            )
        text = read_text(source, max_bytes=MAX_CAPTION_BYTES, what="caption file")
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                converted[target] = captions_to_transcript(
                    parse_captions(text, shown), interviewers
                )
        except InterchangeError as exc:
            exc.path = exc.path or shown
            raise
        for caught_warning in caught:  # said of this file, among many
            warn(f"{shown}: {caught_warning.message}")
    target_dir.mkdir(parents=True, exist_ok=True)
    for target, transcript in converted.items():
        atomic_write_text(target, transcript)
    return list(converted)
