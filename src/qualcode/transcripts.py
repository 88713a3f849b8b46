"""Transcripts: reading files, front matter and metadata, speaker turns, and segments.

Offsets are code points into the decoded text with line endings normalized to LF (the whole file,
front matter included), end exclusive; line numbers are 1-based lines of that same text. A segment's
id (`t12`, `t12.p2`, `t12.p2.s3`) depends only on the text, so it is stable across runs.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import io
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.captions import looks_like_captions
from qualcode.diagnostics import Diagnostic, did_you_mean, error, warning
from qualcode.errors import InputFileError, TranscriptError, YamlError
from qualcode.textio import decode_text, fold, normalize_newlines, read_bytes
from qualcode.yamlio import load_yaml

if TYPE_CHECKING:
    from qualcode.project import Project, ProjectConfig

MAX_TRANSCRIPT_BYTES = 512_000_000
LONG_LINE = 1_000_000
INTERVIEWER, INFORMANT = "interviewer", "informant"
ID_COLUMNS = ("id", "transcript", "transcript_id", "file")

# -- speaker labels -------------------------------------------------------------------------------

# A name: up to six words, the first a word starting with a letter; later ones may be numbers
# (`Speaker 2`, `Respondent 14`).
_NAME = r"[^\W\d_][\w'’.\-]*(?:[ \t]+(?:[^\W\d_][\w'’.\-]*|\d{1,3})){0,5}"
_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# Before a label, skipped: indentation, `>>` (closed captions) or `>` (a Markdown quote), a
# no-break space, and the invisible marks Word puts
# before right-to-left text (U+200E/U+200F and the bidi embeddings). The built-in patterns are
# matched where these end (they need no `^`: they are only ever tried at a line's start).
_LEAD_CHARS = (
    " \t>\u00a0\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
# The colon after a name: ASCII or full-width (Chinese and Japanese typing), then spaces, the end
# of the line, or straight into a word (`Respondent:The`), never `http://`.
_COLON = "[:\uff1a]"
_AFTER = r"(?:[ \t]+|$|(?=[^\W\d_]))"
_DASH = r"(?:[-\u2013\u2014|][ \t]*)?"  # `00:00:05 - Name`, `[00:00:05] – Name`
DEFAULT_LABEL_PATTERNS = (
    # [00:01:23] Name: text      (Descript, many transcription services)
    rf"\[(?P<ts>{_TS})\][ \t]*{_DASH}(?P<name>{_NAME}|[^:\uff1a\n]{{1,40}}?)[ \t]*{_COLON}{_AFTER}",
    # Name (00:01:23): text      (Rev)
    rf"(?P<name>{_NAME})[ \t]*\((?P<ts>{_TS})\)[ \t]*{_COLON}?{_AFTER}",
    # 00:01:23 Name: text
    rf"(?P<ts>{_TS})[ \t]+{_DASH}(?P<name>{_NAME})[ \t]*{_COLON}{_AFTER}",
    # Name  0:03 (alone on a line: Otter.ai; Teams: `Maria Lopez (Guest)   0:12`, `Lopez, Maria`)
    rf"(?P<name>{_NAME}(?:,[ \t]+{_NAME})?)(?:[ \t]*\([^()\n]{{1,40}}\))?"
    rf"[ \t]+{_DASH}(?P<ts>{_TS})[ \t]*$",
    # 00:01:23 Name  (alone on a line, the words below: Zoom, Teams and Rev exports)
    rf"(?P<ts>{_TS})[ \t]+{_DASH}(?P<name>{_NAME})[ \t]*$",
    # [00:01:23] Name  (alone on a line: Trint)
    rf"\[(?P<ts>{_TS})\][ \t]+{_DASH}(?P<name>{_NAME})[ \t]*$",
    # [Name] 14:02:05  (Zoom's saved captions, alone on a line or `[Name] 14:02:05 : words`;
    # `[Jane Doe (she/her)]` too)
    rf"\[(?P<name>{_NAME})(?:[ \t]*\([^()\n]{{1,40}}\))?\][ \t]+(?P<ts>{_TS})"
    rf"[ \t]*(?:$|{_COLON}{_AFTER})",
    # Name [00:01:23] text / Name [00:01:23]: text
    rf"(?P<name>{_NAME})[ \t]+\[(?P<ts>{_TS})\][ \t]*{_COLON}?{_AFTER}",
    # **Name:** text / **Name**: text / *Name:* text  (Markdown transcripts; also a question
    # set in bold or italics whole: `**Interviewer: Who came?**`, `*Q: How?*`)
    rf"\*{{1,2}}(?P<name>{_NAME})[ \t]*(?:{_COLON}(?:\*{{1,2}})?|\*{{1,2}}[ \t]*{_COLON}){_AFTER}",
    # Name: text / INTERVIEWER: text / Q: text / Speaker 2: text / Doe, Jane: text
    # (also `Name: (00:12)` and `Name: [00:00:12] text`, older Rev and Descript exports)
    rf"(?P<name>{_NAME}(?:,[ \t]+{_NAME})?)[ \t]*{_COLON}{_AFTER}(?:[(\[](?P<ts>{_TS})[)\]](?:[ \t]+|$))?",
    # After the most common form, which they cannot match: most labelled lines never try them.
    # (00:01:23) Name: text
    rf"\((?P<ts>{_TS})\)[ \t]*(?P<name>{_NAME})[ \t]*{_COLON}{_AFTER}",
    # Interviewer (Jane Doe): text / Respondent (P3): text: the person is part of the name
    rf"(?P<name>{_NAME})[ \t]*\((?P<qual>[^()\n:\uff1a]{{1,40}})\)[ \t]*{_COLON}{_AFTER}",
    # Name<TAB>text  (a two-column table copied as text)
    rf"(?P<name>{_NAME})[ \t]*\t[ \t]*(?=\S)",
)


@dataclass(frozen=True)
class LabelScanner:
    """Finds speaker labels at line starts; compiled once per project configuration."""

    patterns: tuple[Any, ...]  # re.Pattern for the defaults, RE2 for a project's own
    interviewer_labels: frozenset[str]
    informant_labels: frozenset[str]
    custom: int = 0  # the first `custom` patterns are the project's own: their names are trusted

    @classmethod
    def from_config(cls, config: ProjectConfig | None = None) -> LabelScanner:
        from qualcode.project import DEFAULT_INFORMANT_LABELS, DEFAULT_INTERVIEWER_LABELS

        extra = tuple(config.label_patterns) if config else ()
        interviewer = config.interviewer_labels if config else DEFAULT_INTERVIEWER_LABELS
        informant = config.informant_labels if config else DEFAULT_INFORMANT_LABELS
        return cls(
            (
                *(compile_label_pattern(p) for p in extra),
                *(re.compile(p, re.MULTILINE) for p in DEFAULT_LABEL_PATTERNS),
            ),
            frozenset(fold(s) for s in interviewer),
            frozenset(fold(s) for s in informant),
            len(extra),
        )


def compile_label_pattern(pattern: str) -> Any:
    """A user's label pattern, compiled with RE2 (linear time: a pattern cannot hang the tool)."""
    import re2

    options = re2.Options()
    options.log_errors = False
    return re2.compile("(?m)" + pattern, options)


# Lowercase words inside a name: Maria de la Cruz, Jan van der Berg, Aisha bin Said.
_PARTICLES = frozenset(
    {"al", "bin", "binti", "d", "da", "das", "de", "dei", "del", "della", "der", "des", "di"}
    | {"do", "dos", "du", "e", "el", "ibn", "la", "le", "les", "van", "ver", "von", "y", "zu"}
)

_JOINED_PARTICLES = _PARTICLES | {"l"}  # l'Orange


def _plausible_name(name: str) -> bool:
    """Every word of a label starts with a capital or a digit (Q, Speaker 2, Maria Lopez); a
    particle may be lowercase between capitalized words (Maria de la Cruz) or joined to one
    (Omar al-Hassan). Scripts without capitals (Chinese, Hebrew, Arabic...) pass."""
    words = name.replace(".", " ").split()
    return bool(words) and all(
        w[0].isupper()
        or w[0].isdigit()
        or (w[0].isalpha() and not w[0].islower())  # a letter with no case
        or (0 < i < len(words) - 1 and fold(w) in _PARTICLES)
        or _particle_prefixed(w)
        for i, w in enumerate(words)
    )


def _particle_prefixed(word: str) -> bool:
    """al-Hassan, el-Sayed, d'Arcy, d’Souza: a lowercase particle joined to a capitalized name."""
    head, _, rest = word.replace("’", "'").replace("'", "-", 1).partition("-")
    return bool(rest) and rest[0].isupper() and fold(head) in _JOINED_PARTICLES


@dataclass(frozen=True)
class Turn:
    """One speaker turn: `start` is where the words begin (after the label)."""

    number: int
    speaker: str | None
    role: str | None
    label_start: int
    start: int
    end: int
    timestamp: str | None = None


@dataclass(frozen=True)
class Segment:
    """The unit that gets coded."""

    id: str
    start: int
    end: int
    line_start: int
    line_end: int
    speaker: str | None
    role: str | None
    turn: int


@dataclass(frozen=True)
class Transcript:
    id: str
    path: str
    text: str
    sha256: str
    metadata: Mapping[str, str]
    body_start: int
    turns: tuple[Turn, ...]
    segments: tuple[Segment, ...]
    warnings: tuple[str, ...] = ()

    @property
    def speakers(self) -> list[str]:
        """Speaker labels in order of first turn (the interviewer's too)."""
        seen: dict[str, None] = {}
        for turn in self.turns:
            if turn.speaker:
                seen.setdefault(turn.speaker, None)
        return list(seen)

    @property
    def interviewers(self) -> list[str]:
        """Labels of the speakers whose turns are not coded, in order of first turn.

        Shown beside the speakers because a wrong guess here silently changes every tally.
        """
        seen: dict[str, None] = {}
        for turn in self.turns:
            if turn.speaker and turn.role == INTERVIEWER:
                seen.setdefault(turn.speaker, None)
        return list(seen)

    @property
    def informants(self) -> list[str]:
        """Labels of the speakers whose turns are coded, in order of first turn."""
        seen: dict[str, None] = {}
        for turn in self.turns:
            if turn.speaker and turn.role == INFORMANT:
                seen.setdefault(turn.speaker, None)
        return list(seen)

    @property
    def words(self) -> int:
        """Words after the front matter, every speaker's."""
        return count_words(self.text, self.body_start, len(self.text))

    def segment(self, segment_id: str) -> Segment:
        """The segment with this id (`t3`, `t3.p2`...); KeyError if there is none."""
        for seg in self.segments:
            if seg.id == segment_id:
                return seg
        raise KeyError(segment_id)

    def line_of(self, offset: int) -> int:
        """The 1-based line of a character offset, as in the file (line ends normalized)."""
        return self.text.count("\n", 0, offset) + 1


_WORD = re.compile(r"\w+")
_NEWLINE = re.compile("\n")


def count_words(text: str, start: int = 0, end: int | None = None) -> int:
    return sum(1 for _ in _WORD.finditer(text, start, len(text) if end is None else end))


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- front matter ---------------------------------------------------------------------------------

_FRONT = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)
# `---` and then a lowercase `key: value`, with no closing `---`: front matter someone forgot
# to close (a Markdown rule at the top is followed by text or a capitalized `Name:` label)
_UNCLOSED_FRONT = re.compile(r"\A---[ \t]*\n[a-z_][\w-]{0,40}:(?:[ \t]|\n)")


def _metadata_value(value: Any) -> str:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_metadata_value(v) for v in value)
    return "" if value is None else str(value).strip()


def _value_column(block: str, after_colon: int) -> int:
    """The 1-based column of the value after `name:` (where the wrong role is written)."""
    line_start = block.rfind("\n", 0, after_colon) + 1
    rest = block[after_colon:]
    return after_colon - line_start + 1 + len(rest) - len(rest.lstrip(" \t"))


def split_front_matter(text: str, path: str) -> tuple[dict[str, str], dict[str, str], int]:
    """(metadata, speaker roles, offset where the body starts). Front matter is optional."""
    match = _FRONT.match(text)
    if not match:
        if _UNCLOSED_FRONT.match(text):  # else its keys would be coded and quoted as speech
            raise TranscriptError(
                "front matter opened on line 1 is never closed",
                path=path,
                line=1,
                column=1,
                hint="end it with a line of three dashes (---) before the interview text",
            )
        return {}, {}, 0
    block = match.group(1) or ""
    try:
        loaded = load_yaml(block, path)
    except YamlError as exc:
        raise TranscriptError(
            f"front matter: {exc.message}",
            path=path,
            line=(exc.line + 1) if exc.line else 1,
            column=exc.column,
            hint="front matter is YAML between two '---' lines at the top of the file",
        ) from exc
    if loaded.duplicates:  # YAML keeps the last silently; the README promises an error
        dup = loaded.duplicates[0]
        raise TranscriptError(
            f"front matter: key {dup.key!r} appears twice (first at line {dup.first_pos[0] + 1})",
            path=path,
            line=dup.pos[0] + 1,
            column=dup.pos[1],
            hint="keep one of them",
        )
    data = loaded.data
    if data is None:
        return {}, {}, match.end()
    if not isinstance(data, dict):
        raise TranscriptError(
            "front matter must be a mapping of metadata (key: value lines)", path=path, line=2
        )
    speakers_raw = data.get("speakers")
    roles: dict[str, str] = {}
    if isinstance(speakers_raw, dict):
        roles = {str(k): "" if v is None else fold(str(v).strip()) for k, v in speakers_raw.items()}
        for name, role in roles.items():
            if role not in (INTERVIEWER, INFORMANT):
                # a typo here would silently leave the speaker's answers uncoded
                found = re.search(
                    rf"""(?:^|[{{,\s])["']?{re.escape(name)}["']?[ \t]*:""", block, re.MULTILINE
                )
                raise TranscriptError(
                    f"speaker {name!r} has role {role!r}"
                    f"{did_you_mean(role, (INTERVIEWER, INFORMANT))}"
                    if role
                    else f"speaker {name!r} has no role",
                    path=path,
                    line=block.count("\n", 0, found.start() + 1) + 2 if found else 2,
                    column=_value_column(block, found.end()) if found else 1,
                    hint="a role under `speakers:` is interviewer or informant",
                )
    elif isinstance(speakers_raw, list):
        roles = {str(k): INFORMANT for k in speakers_raw}
    elif speakers_raw is not None:
        raise TranscriptError(
            "`speakers:` in front matter must map names to roles or list informants",
            path=path,
            line=_front_line(block, "speakers") + 1,
            column=1,
            hint="e.g. `speakers: {Q: interviewer, Ana Ruiz: informant}`",
        )
    metadata = {
        str(k): _metadata_value(v)
        for k, v in data.items()
        if k != "speakers" and not isinstance(v, dict)
    }
    return metadata, roles, match.end()


# -- turns and segments ---------------------------------------------------------------------------


# Spaces other than space and tab that people put inside a label: Word a no-break space after
# `Interviewer:` (and French typing one before the colon), typeset and PDF text thin and narrow
# ones. The label patterns see them as spaces; the text itself is left as it is.
_WIDE_SPACES = "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_AS_SPACE = str.maketrans(_WIDE_SPACES, " " * len(_WIDE_SPACES))


def _label_text(text: str) -> str:
    """The text the speaker labels are looked for in: as long as `text`, so every offset holds.

    Translating only when such a space occurs keeps the common case free: a character class
    of them in every label pattern made parsing 7% slower, and a regex search for them 12%.
    """
    if text.isascii() or not any(c in text for c in _WIDE_SPACES):
        return text
    return text.translate(_AS_SPACE)


def find_turns(
    text: str,
    body_start: int,
    scanner: LabelScanner,
    roles: Mapping[str, str],
    ignored: list[tuple[str, int]] | None = None,
    unlike_names: list[str] | None = None,
) -> list[Turn]:
    """Split the body into speaker turns.

    A label counts if it is declared (front matter), a known interviewer label, timestamped, or
    occurs at least twice; once a transcript has speakers, a full name speaking once counts too. A
    single 'Note:' at a line start inside an answer is not a speaker: it goes to `ignored`; a
    recurring `x:` that does not look like a name goes to `unlike_names`.
    """
    declared = {fold(k): v for k, v in roles.items()}
    if table := _table_rows(text, body_start):
        return _build_turns(text, body_start, table[0], declared, scanner, table[1])
    candidates: list[tuple[int, int, str, str | None]] = []
    # Labels only ever start a line: try the patterns at line starts (and only where a colon or
    # timestamp is near), instead of letting every pattern scan the whole text.
    known = declared.keys() | scanner.interviewer_labels | scanner.informant_labels
    patterns, trusted = scanner.patterns, scanner.custom
    if roles:  # a declared label is matched as written, whatever it contains (`Participant #3:`)
        literal = "|".join(re.escape(n) for n in sorted(roles, key=len, reverse=True))
        patterns = (
            re.compile(
                rf"(?:\*\*)?(?P<name>{literal})(?:\*\*)?[ \t]*{_COLON}(?:\*\*)?{_AFTER}",
                re.MULTILINE | re.IGNORECASE,
            ),
            *patterns,
        )
        trusted += 1
    rejected: dict[str, int] = {}
    line_starts = [body_start, *(m.end() for m in _NEWLINE.finditer(text, body_start))]
    own = range(1 if roles else 0, trusted)  # the project's patterns: matched as written
    numbered = [(number, pattern, number in own) for number, pattern in enumerate(patterns)]
    # every built-in label has a colon (after the name or in the timestamp); a project's own
    # pattern may not (`ANA > ...`), so those are tried on every line
    without_colon = numbered[own.start : own.stop]
    weak = _weak_label_pattern(known)
    weak_found: list[tuple[int, int, str, str | None]] = []
    for pos, line_end in zip(line_starts, [*line_starts[1:], len(text)], strict=True):
        head = text[pos : min(pos + 120, line_end)]
        tried = numbered if ":" in head or "\uff1a" in head or "\t" in head else without_colon
        start = pos
        if head and head[0] in _LEAD_CHARS:
            start += len(head) - len(head.lstrip(_LEAD_CHARS))
        for number, pattern, as_written in tried:
            m = pattern.match(text, pos if as_written else start)
            if m is None:
                continue
            name = " ".join(m.group("name").split())
            # a declared or configured label, or one the project's own pattern found, counts as
            # written (`interviewer:`); a guessed one must look like a name
            guessed = number >= trusted and fold(name) not in known
            if guessed and not _plausible_name(name) and not _role_phrase(name):
                rejected[name] = rejected.get(name, 0) + 1
                continue
            if qual := m.groupdict().get("qual"):
                name = f"{name} ({' '.join(qual.split())})"
            candidates.append((pos, m.end(), name, m.groupdict().get("ts")))
            break
        else:
            if (m := weak.match(text, start)) and m.group("name")[0].isupper():
                weak_found.append((pos, m.end(), m.group("name"), None))
    if unlike_names is not None:
        # only names that start a line more than once: one-off `e.g.:` lines are just prose
        unlike_names.extend(sorted(n for n, k in rejected.items() if k >= 2 and " " in n))
    interviewer_labels = scanner.interviewer_labels | {
        k for k, v in declared.items() if v == INTERVIEWER
    }
    if _paired(weak_found, interviewer_labels):
        candidates.extend(weak_found)
    candidates.sort()
    counts: dict[str, int] = {}
    families: dict[str, int] = {}  # `P1`, `P7`, `P12` are one family: `p`
    for _, _, name, _ in candidates:
        key = fold(name)
        counts[key] = counts.get(key, 0) + 1
        if key[-1].isdigit():
            family = _NUMBERED.sub("", key)
            families[family] = families.get(family, 0) + 1

    def numbered_member(key: str) -> bool:
        """`R3`, `Participant 9` or `P7` speaking once in a focus group: its family is a role
        label, or a short code or a generic word (`Speaker`) that labels other lines too."""
        if not key[-1].isdigit():
            return False
        family = _NUMBERED.sub("", key)
        if family in known:
            return True
        return families.get(family, 0) >= 2 and (
            family in _FAMILY_WORDS or _SHORT_CODE.fullmatch(key) is not None
        )

    def opens_a_turn(c: tuple[int, int, str, str | None]) -> bool:
        """What follows starts like speech (`Ana Ruiz: We ...`), not a phrase (`Bottom Line: the`)
        or a quotation (`Hospital CEO: "We will ..."`, someone's words reported in an answer)."""
        rest = text[c[1] : c[1] + 40].lstrip()
        return not rest or not (rest[0].islower() or rest[0] in _QUOTE_MARKS)

    def certain(c: tuple[int, int, str, str | None]) -> bool:
        key = fold(c[2])
        return (
            key in known
            or counts[key] >= 2
            or c[3] is not None  # a timestamped label is a speaker even if they speak once
            or numbered_member(key)
            or (_role_phrase(c[2]) and opens_a_turn(c))  # `Female participant: We ...`
        )

    accepted = [c for c in candidates if certain(c)]
    if not accepted:
        accepted = candidates = _bare_labels(text, line_starts, known)
    else:
        # Once a transcript has speakers, a full name (two or more capitalized words) that speaks
        # once is a speaker too (a focus-group participant); a lone `Note:` still is not.
        accepted = [
            c for c in candidates if certain(c) or (" " in c[2].strip() and opens_a_turn(c))
        ]
    accepted, declared, headers = _header_roles(text, candidates, accepted, declared, scanner)
    kept = set(accepted) | headers  # a set: `in` on the list made long transcripts quadratic
    if ignored is not None:
        # each name once, with the line where it first appears; not the lines above the first
        # turn (`Date:` in a header), which are no turn's words
        first: dict[str, int] = {}
        opening = accepted[0][0] if accepted else len(text)
        for c in candidates:
            if c not in kept and c[0] > opening:
                first.setdefault(c[2], c[0])
        base = text.count("\n", 0, body_start) + 1  # the line number of line_starts[0]
        ignored.extend(
            (name, base + bisect.bisect_right(line_starts, at) - 1)
            for name, at in sorted(first.items())
        )
    return _build_turns(text, body_start, accepted, declared, scanner)


Label = tuple[int, int, str, str | None]  # label start, words start, name, timestamp


def _header_roles(
    text: str,
    candidates: list[Label],
    accepted: list[Label],
    declared: Mapping[str, str],
    scanner: LabelScanner,
) -> tuple[list[Label], Mapping[str, str], set[Label]]:
    """An oral history's header names the people (`Interviewer: Sam Hollis`, `Narrator: Rosa
    Garcia`) whose labels below are their surnames, first names or initials (`HOLLIS:`,
    `SH:`). A header line is not a turn, and the labels it names are speakers (even if they
    speak once) with its role: otherwise the interviewer's questions would be coded as answers.

    A header line is a role label (`Interviewers` too) followed by names (`Sam Hollis and Amy
    Chen`, `Rosa Garcia, founding member`), above the first turn of anyone who speaks twice.
    Its label must not speak again, unless the header has two such lines (`Interviewer: Margaret
    Lee` / `Narrator: Thomas Reed` above `INTERVIEWER:` turns).
    Returns the labels kept, the roles with the header's added, and the header lines.
    """
    counts: dict[str, int] = {}
    for c in candidates:
        counts[fold(c[2])] = counts.get(fold(c[2]), 0) + 1
    was_kept = set(accepted)
    headers: dict[Label, tuple[str, list[str]]] = {}
    seen: set[str] = set()
    for c in candidates:
        key = fold(c[2])
        first, recurs = key not in seen, counts[key] >= 2
        seen.add(key)
        role = _header_role(c[2], scanner) if first and c[3] is None else None
        if role:
            line_end = text.find("\n", c[1])
            if people := _named_people(text[c[1] : len(text) if line_end < 0 else line_end]):
                headers[c] = (role, people)
                continue
        if recurs and c in was_kept:
            break  # the first turn of someone who speaks twice: the header is above it
    if len(headers) < 2:  # a label that speaks again below heads only a header of two lines
        headers = {c: h for c, h in headers.items() if counts[fold(c[2])] == 1}
    roles: dict[str, str] = {}
    for c, (role, people) in list(headers.items()):
        keys = [k for person in people for k in _person_keys(person)]
        # `Interviewer: Hello` is a greeting, not a header: one word must label someone below
        if not any(len(p.split()) >= 2 for p in people) and not any(k in counts for k in keys):
            del headers[c]
            continue
        for key in keys:
            roles.setdefault(key, role)
    if not headers:
        return accepted, declared, set()
    named = {
        fold(c[2])
        for c in candidates
        if c not in headers and fold(c[2]) in roles and fold(c[2]) not in declared
    }
    kept = [c for c in candidates if c not in headers and (c in was_kept or fold(c[2]) in named)]
    return kept, {**{k: roles[k] for k in named}, **declared}, set(headers)


def _header_role(label: str, scanner: LabelScanner) -> str | None:
    keys = _label_keys(label)
    keys += tuple(k[:-1] for k in keys if k.endswith("s"))  # `Interviewers:`
    if any(k in scanner.interviewer_labels for k in keys):
        return INTERVIEWER
    if any(k in scanner.informant_labels for k in keys):
        return INFORMANT
    return None


_PEOPLE_SEPARATOR = re.compile(r"\s*(?:[,;&]|\band\b)\s*")
_TITLES = frozenset({"dr", "prof", "mr", "mrs", "ms", "mx", "rev", "sr", "jr"})


def _named_people(value: str) -> list[str]:
    """`Sam Hollis and Dr. Amy Chen` -> both names; `Rosa Garcia, founding member` -> the name;
    [] unless the value starts with a name and is no question (`Interviewer: Who?`)."""
    value = value.strip()
    if not value or value[-1] in "?!":
        return []
    parts = [p for p in _PEOPLE_SEPARATOR.split(value) if p]
    people = [p for p in parts[:4] if len(p.split()) <= 5 and _plausible_name(p)]
    return people if people and people[0] == parts[0] else []


def _person_keys(person: str) -> set[str]:
    """How a transcript may label a person: `Dr. Amy Chen` is `dr. amy chen`, `amy chen`,
    `chen`, `amy` or `ac`."""
    words = [w for w in fold(person).split() if w.rstrip(".") not in _TITLES]
    if not words:
        return set()
    keys = {fold(person), " ".join(words), words[-1], words[0]}
    if len(words) >= 2:
        keys.add("".join(w[0] for w in words))
    return keys


def _label_keys(name: str) -> tuple[str, ...]:
    """What of a label may be a role's label: `Interviewer (Jane Doe)`, `Interviewer 2` and
    `Int.` are `interviewer`/`int`; `Assistant moderator` and `Female participant` end in one."""
    key = fold(name)
    role = _NUMBERED.sub("", key.split(" (", 1)[0])
    last = role.rsplit(" ", 1)[-1]
    return (key, role, last) if len(last) >= 3 else (key, role)


def _role_of(name: str, declared: Mapping[str, str], scanner: LabelScanner) -> str:
    key = fold(name)
    if key in declared:
        return declared[key]
    keys = _label_keys(name)
    if any(k in scanner.informant_labels for k in keys):
        return INFORMANT
    if any(k in scanner.interviewer_labels for k in keys):
        return INTERVIEWER
    return INFORMANT


def _build_turns(
    text: str,
    body_start: int,
    accepted: Sequence[tuple[int, int, str, str | None]],
    declared: Mapping[str, str],
    scanner: LabelScanner,
    row_ends: Mapping[int, int] | None = None,
) -> list[Turn]:
    """Turns from labels (label start, words start, name, timestamp), in text order; a turn ends
    where the next label starts, or at its row's end in a table (`row_ends`, by label start)."""
    spelling: dict[str, str] = {}  # `RESPONDENT` later in the file is the same `Respondent`
    role_by_name: dict[str, str] = {}
    turns: list[Turn] = []
    first = accepted[0][0] if accepted else len(text)
    if text[body_start:first].strip():
        lead = _lstrip_start(text, body_start, first)
        turns.append(Turn(0, None, None, lead, lead, _rstrip_end(text, lead, first)))
    for i, (label_start, words_start, name, ts) in enumerate(accepted):
        name = spelling.setdefault(fold(name), name)
        end = accepted[i + 1][0] if i + 1 < len(accepted) else len(text)
        if row_ends:
            end = row_ends[label_start]
        # A label alone on its line (Otter's `Name  0:03`): the words start on the next line.
        words_start = _lstrip_start(text, words_start, end)
        if name not in role_by_name:
            role_by_name[name] = _role_of(name, declared, scanner)
        turns.append(
            Turn(
                len(turns) if turns and turns[0].number == 0 else len(turns) + 1,
                name,
                role_by_name[name],
                label_start,
                words_start,
                max(words_start, _content_end(text, words_start, end)),
                ts,
            )
        )
    return turns


# NVivo's transcript table, saved as text: `Timespan<TAB>Content<TAB>Speaker`, a row per turn.
_TABLE_HEADER = re.compile(
    r"[ \t]*(?:(?:timespan|time|start)\t)?content\tspeaker[ \t]*", re.IGNORECASE
)


def _table_rows(
    text: str, body_start: int
) -> tuple[list[tuple[int, int, str, str | None]], dict[int, int]] | None:
    """Labels of a transcript table (see _TABLE_HEADER): the speaker is the row's last cell.

    A line that is not a row (a cell's text went on) belongs to the row above.
    """
    header_start = _lstrip_start(text, body_start, len(text))
    header_end = text.find("\n", header_start)
    if header_end < 0 or not _TABLE_HEADER.fullmatch(text, header_start, header_end):
        return None
    columns = text.count("\t", header_start, header_end) + 1
    labels: list[tuple[int, int, str, str | None]] = []
    row_ends: dict[int, int] = {}
    pos = header_end + 1
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        cells = text[pos:end].split("\t")
        name = " ".join(cells[-1].split())
        if len(cells) == columns and name:
            ts = cells[0].split(" - ")[0].strip() if columns == 3 else None
            words = pos + (len(cells[0]) + 1 if columns == 3 else 0)
            labels.append((pos, words, name, ts or None))
            row_ends[pos] = words + len(cells[-2])
        elif labels and text[pos:end].strip():
            row_ends[labels[-1][0]] = end
        pos = end + 1
    return (labels, row_ends) if labels else None


_QUOTE_MARKS = "\"'“‘«„‚‹「『"

# A family of numbered labels: a short code joined to its number (`P7`, `FG12`), or a word.
_SHORT_CODE = re.compile(r"[^\W\d_]{1,3}\d{1,3}")
_FAMILY_WORDS = frozenset({"speaker", "person", "voice", "informant", "guest", "member"})
# The last word of a description that labels a speaker: `Female participant`, `Co-facilitator`.
_ROLE_WORDS = frozenset(
    {"participant", "respondent", "interviewee", "interviewer", "moderator", "facilitator"}
    | {"speaker", "informant", "participants", "respondents", "speakers"}
)


def _role_phrase(name: str) -> bool:
    """`Female participant`, `Assistant moderator 2`, `Several participants`: capitalized,
    ending in a role's word."""
    words = _NUMBERED.sub("", name).split()
    return (
        2 <= len(words) <= 4
        and words[0][0].isupper()
        and all(w.replace("-", "").isalpha() for w in words)
        and fold(words[-1]).rsplit("-", 1)[-1] in _ROLE_WORDS
    )


def _weak_label_pattern(known: Iterable[str]) -> re.Pattern[str]:
    """`Q. text` / `A - text`: a known label with a full stop or a dash instead of a colon.

    Without a colon, `A.` may start a list item, so these count only in pairs (see _paired).
    """
    labels = "|".join(re.escape(k) for k in sorted(known, key=lambda k: (-len(k), k)))
    return re.compile(
        rf"(?:\*\*)?(?P<name>{labels})(?:\.(?:\*\*)?|(?:\*\*)?[ \t]*[-\u2013\u2014])(?:[ \t]+|$)",
        re.IGNORECASE,
    )


def _paired(found: Sequence[tuple[int, int, str, str | None]], interviewer: Iterable[str]) -> bool:
    """Labels without a colon are speakers only if both sides use them, twice or more each."""
    asking = {fold(k) for k in interviewer}
    questions = sum(1 for c in found if fold(c[2]) in asking)
    return questions >= 2 and len(found) - questions >= 2


_BARE = re.compile(rf"(?:#{{1,6}}[ \t]+)?(?:\*\*)?(?P<name>{_NAME})(?:\*\*)?[ \t]*")


def _bare_labels(
    text: str, line_starts: Sequence[int], known: Iterable[str]
) -> list[tuple[int, int, str, str | None]]:
    """A name alone on its line, then the words (Otter without timestamps, `### Maria`).

    Only tried when no other label was found: a line after a blank one and followed by text (a
    heading may have a blank line between), kept if it is a known label or its name or numbered
    family (`Speaker 1`, `Speaker 2`) recurs, and only if two or more names are kept; one-off
    headings (`Background`) are not speakers.
    """
    known = set(known)
    found: list[tuple[int, int, str, str | None]] = []
    ends = [*line_starts[1:], len(text)]
    for i, (pos, end) in enumerate(zip(line_starts, ends, strict=True)):
        line = text[pos:end].strip()
        if not line or len(line) > 60 or (i and text[line_starts[i - 1] : pos].strip()):
            continue
        heading = line.startswith("#")  # `## Maria`, then a blank line, then her words
        if i + 1 >= len(line_starts) or (
            not heading and not text[line_starts[i + 1] : ends[i + 1]].strip()
        ):
            continue
        m = _BARE.fullmatch(line)
        if m is None:
            continue
        name = " ".join(m.group("name").split())
        if fold(name) in known or _plausible_name(name):
            found.append((pos, _rstrip_end(text, pos, end), name, None))
    counts: dict[str, int] = {}
    for c in found:
        family = _NUMBERED.sub("", fold(c[2]))  # `Speaker 1` and `Speaker 2`: one family
        counts[family] = counts.get(family, 0) + 1
    kept = [c for c in found if fold(c[2]) in known or counts[_NUMBERED.sub("", fold(c[2]))] >= 2]
    return kept if len({fold(c[2]) for c in kept}) >= 2 else []


# A number or a full stop after a role's label: `Interviewer 2`, `Int.`, `R1`.
_NUMBERED = re.compile(r"[\s.]*\d*$")

# Lines that end a turn without being speech: Markdown headings and rules before the next
# speaker, the footer transcription services add, caption cue numbers and timings.
_TRAILER_LINE = re.compile(
    r"#{1,6}(?:[ \t].*)?|(?:-{3,}|\*{3,}|_{3,})[ \t]*|Transcribed by \S*otter\.ai.*"
    r"|.{1,80} (?:started|stopped) transcription"
    r"|\S*[\d:.,]+[ \t]*-->[ \t]*[\d:.,]+.*|\d+"
)


def _asks_the_questions(
    text: str, turns: Sequence[Turn], informant_labels: frozenset[str]
) -> tuple[str, int, int] | None:
    """The speaker who plainly asks the questions, when no label says who the interviewer is.

    Otter, Rev, Teams and diarizing tools name people (`Daniel Okafor`, `Speaker 1`), not
    roles, and coding the questions as answers inflates every tally. The guess needs a clear
    case: most of that speaker's turns hold a question mark, at most half as many of anyone
    else's do, and nobody's label is already an informant's (`A:`, `Respondent:`).
    Returns (speaker, turns with '?', turns).
    """
    if any(t.role == INTERVIEWER for t in turns):
        return None
    asking: dict[str, list[int]] = {}
    for t in turns:
        if t.speaker is not None:
            tally = asking.setdefault(t.speaker, [0, 0])
            tally[0] += "?" in text[t.start : t.end]
            tally[1] += 1
    if len(asking) < 2:
        return None
    if any(k in informant_labels for name in asking for k in _label_keys(name)):
        return None
    share = {name: q / n for name, (q, n) in asking.items()}
    best = max(share, key=lambda name: (share[name], asking[name][1], name))
    questions, spoken = asking[best]
    others = max(v for name, v in share.items() if name != best)
    if questions >= 2 and share[best] >= 0.6 and others <= share[best] / 2:
        return best, questions, spoken
    return None


def _content_end(text: str, start: int, end: int) -> int:
    """End of a turn's words: trailing whitespace and trailer lines (see _TRAILER_LINE) cut."""
    end = _rstrip_end(text, start, end)
    after_timing = False  # a bare number is a cue number only right before a timing line
    while end > start:
        line_start = text.rfind("\n", start, end) + 1
        if line_start <= start:
            break  # never cut the turn's first line
        line = text[line_start:end].strip()
        if not _TRAILER_LINE.fullmatch(line) or (line.isdigit() and not after_timing):
            break
        after_timing = "-->" in line
        end = _rstrip_end(text, start, line_start)
    return end


def _lstrip_start(text: str, start: int, end: int) -> int:
    while start < end and text[start].isspace():
        start += 1
    return start


def _rstrip_end(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


_PARA = re.compile(r"\n[ \t]*\n\s*")
# Abbreviations that end in a period but not a sentence, in the languages interviews are often
# in (English, German, French, Spanish), and any single letter (`z. B.`, `J. Smith`, `κ.`).
_ABBREV = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|Prof|Sr|Sra|Srta|Dra|Jr|St|Inc|Ltd|Co|vs|etc|e\.g|i\.e|No|Nr|approx"
    r"|Mt|ca|bzw|usw|vgl|ggf|evtl|Hr|Fr|Mme|Mlle|Ud|Uds|ej|p\.ex)\.|\b[^\W\d_]\.)$"
)
# `.` `!` `?` `…` and the Arabic `؟` need a space after them; the full-width `。！？` of Chinese
# and Japanese do not (their sentences are not separated by spaces).
_SENTENCE_END = re.compile(r"[.!?…؟]+[\"'”’»)\]]*\s+|[。！？]+[」』”’）)\]]*\s*")


def _paragraphs(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    for m in _PARA.finditer(text, start, end):
        if m.start() > pos:
            spans.append((pos, _rstrip_end(text, pos, m.start())))  # `words  \n\n`
        pos = m.end()
    if end > pos:
        spans.append((pos, _rstrip_end(text, pos, end)))
    return [(s, e) for s, e in spans if e > s]


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        if _ABBREV.search(text, max(start, m.start() - 8), m.start() + 1):
            continue
        nxt = m.end()
        if nxt < end and text[nxt].islower():
            continue
        sentence_end = _rstrip_end(text, pos, m.end())
        if sentence_end > pos:
            spans.append((pos, sentence_end))
        pos = m.end()
    if end > pos:
        spans.append((pos, _rstrip_end(text, pos, end)))
    return [(s, e) for s, e in spans if e > s]


def segment_turns(text: str, turns: Sequence[Turn], kind: str) -> list[Segment]:
    """Segments of the given kind; ids encode turn, paragraph and sentence numbers."""
    newlines = [m.start() for m in re.finditer("\n", text)]

    def line(offset: int) -> int:
        return bisect.bisect_left(newlines, offset) + 1

    segments: list[Segment] = []
    for turn in turns:
        if turn.end <= turn.start:
            continue
        base = f"t{turn.number}"
        if kind == "turn":
            spans = [(base, turn.start, turn.end)]
        else:
            spans = []
            for p_no, (ps, pe) in enumerate(_paragraphs(text, turn.start, turn.end), 1):
                if kind == "paragraph":
                    spans.append((f"{base}.p{p_no}", ps, pe))
                else:
                    for s_no, (ss, se) in enumerate(_sentences(text, ps, pe), 1):
                        spans.append((f"{base}.p{p_no}.s{s_no}", ss, se))
        for seg_id, s, e in spans:
            segments.append(
                Segment(
                    seg_id, s, e, line(s), line(max(s, e - 1)), turn.speaker, turn.role, turn.number
                )
            )
    return segments


# -- reading one transcript -----------------------------------------------------------------------


def parse_transcript(
    text: str,
    transcript_id: str,
    path: str,
    *,
    scanner: LabelScanner | None = None,
    segmentation: str = "turn",
    metadata: Mapping[str, str] | None = None,
) -> Transcript:
    """Parse decoded text. Front matter values win over `metadata` (CSV).

    CRLF and CR become LF first (a notebook may pass a file's raw text): offsets and
    `Transcript.text` are in that normalized text, as for a file qualcode reads itself.
    """
    text = normalize_newlines(text)
    scanner = scanner or LabelScanner.from_config()
    front, roles, body_start = split_front_matter(text, path)
    warnings: list[str] = []
    if not text[body_start:].strip():
        raise TranscriptError(
            "transcript is empty"
            if not text.strip()
            else "transcript has front matter but no text",
            path=path,
            hint="add the interview text, or move the file out of the transcripts folder",
        )
    if looks_like_captions(text[body_start:]):
        warnings.append(
            "this looks like a caption file (WebVTT or SubRip): its cue numbers and timings would "
            "be coded and quoted as words; convert it with `qualcode import captions FILE -o DIR`"
        )
    ignored: list[tuple[str, int]] = []
    unlike_names: list[str] = []
    turns = find_turns(_label_text(text), body_start, scanner, roles, ignored, unlike_names)
    if unlike_names:
        names = ", ".join(f"'{name}:'" for name in unlike_names[:5])
        warnings.append(
            f"{names} starts several lines like a speaker label but does not look like a name, "
            "so those lines were read as part of the previous turn; if it is a speaker, list it "
            "under `speakers:` in the front matter"
        )
    if ignored and turns and any(t.speaker for t in turns):
        names = ", ".join(f"'{name}:' (line {line})" for name, line in ignored[:5])
        warnings.append(
            f"{names} looks like a speaker label but occurs once, so it was read as part of the "
            "previous turn; if it is a speaker, list it under `speakers:` in the front matter"
        )
    spoken = {fold(t.speaker) for t in turns if t.speaker}
    absent = [name for name in roles if fold(name) not in spoken]
    if absent and spoken:
        warnings.append(
            f"front matter declares {', '.join(repr(n) for n in absent)} under `speakers:` but no "
            "turn has that label; check the spelling against the transcript"
        )
    if not roles and (asker := _asks_the_questions(text, turns, scanner.informant_labels)):
        name, asking, spoken_turns = asker
        turns = [replace(t, role=INTERVIEWER) if t.speaker == name else t for t in turns]
        warnings.append(
            f"no label names an interviewer, but '{name}' asks the questions ({asking} of "
            f"{spoken_turns} turns hold a '?'), so that speaker is read as the interviewer and not "
            "coded; if that is wrong, give the roles under `speakers:` in the front matter"
        )
    speakers = {t.speaker: t.role for t in turns if t.speaker}
    if len(speakers) >= 2 and INTERVIEWER not in speakers.values():
        names = ", ".join(list(speakers)[:4])
        warnings.append(
            f"no speaker is an interviewer ({names}), so the questions are coded as answers; "
            "name the interviewer under `speakers.interviewer` in qualcode.yaml or `speakers:` "
            "in the front matter"
        )
    if spoken and INFORMANT not in speakers.values():
        warnings.append(
            f"every turn is an interviewer's ({', '.join(list(speakers)[:4])}), so nothing here is "
            "coded; an answer whose label was not recognized is read as part of the question "
            "before it: name its speaker under `speakers:` in the front matter, or add a label "
            "pattern under `speakers.patterns` in qualcode.yaml"
        )
    if not spoken:
        warnings.append(
            "no speaker labels found: the whole text is coded as one informant turn; if it has "
            "labels in another style, name them under `speakers:` in the front matter, or add a "
            "label pattern under `speakers.patterns` in qualcode.yaml"
        )
        lead = _lstrip_start(text, body_start, len(text))
        turns = [Turn(1, None, INFORMANT, lead, lead, _rstrip_end(text, lead, len(text)))]
    longest, line_no = max(((len(line), -n) for n, line in enumerate(text.split("\n"), 1)))
    if longest > LONG_LINE:
        warnings.append(
            f"line {-line_no} is {longest / 1e6:.1f} million characters long; it is coded, but "
            "turns and paragraphs this long make poor quotes: break it into paragraphs"
        )
    merged = {**(metadata or {}), **front}
    return Transcript(
        id=transcript_id,
        path=path,
        text=text,
        sha256=content_hash(text),
        metadata=merged,
        body_start=body_start,
        turns=tuple(turns),
        segments=tuple(segment_turns(text, turns, segmentation)),
        warnings=tuple(warnings),
    )


def read_transcript(
    path: Path,
    *,
    transcript_id: str | None = None,
    display: str | None = None,
    scanner: LabelScanner | None = None,
    segmentation: str = "turn",
    metadata: Mapping[str, str] | None = None,
    encoding: str | None = None,
) -> Transcript:
    shown = display or str(path)
    try:
        data = read_bytes(path, max_bytes=MAX_TRANSCRIPT_BYTES, what="transcript", regular=True)
        text = decode_text(data, path, encoding=encoding, what="transcript")
    except InputFileError as exc:
        exc.path = shown
        raise
    return parse_transcript(
        text,
        transcript_id or path.stem,
        shown,
        scanner=scanner,
        segmentation=segmentation,
        metadata=metadata,
    )


# -- metadata CSV ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetadataTable:
    path: str
    columns: tuple[str, ...]
    rows: dict[str, dict[str, str]]
    lines: dict[str, int]


def read_metadata_csv(
    path: Path, shown: str, *, declared: Iterable[str] = (), encoding: str | None = None
) -> MetadataTable:
    """One row per transcript id; UTF-8 (BOM ok), comma or semicolon separated.

    A column whose name differs from a declared attribute only in case or spacing (`Site` for
    `site`, as spreadsheets capitalize) takes the declared name. `encoding` is the fallback for a
    file that is not UTF-8 (Excel on Windows writes cp1252).
    """
    try:
        text = decode_text(
            read_bytes(path, max_bytes=100_000_000, what="metadata CSV", regular=True),
            path,
            encoding=encoding,
            what="metadata CSV",
        )
    except InputFileError as exc:  # named as every other message names it
        exc.path = shown
        raise
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if first_line.count("\t") > max(first_line.count(";"), first_line.count(",")):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows_read = _csv_rows(reader, shown)
    try:
        header = [h.strip() for h in next(rows_read)]
    except StopIteration:
        raise TranscriptError(
            "metadata CSV is empty", path=shown, hint="add a header row"
        ) from None
    canonical = {fold(d).replace(" ", "_"): d for d in declared}
    header = [canonical.get(fold(h).replace(" ", "_"), h) for h in header]
    lowered = [fold(h) for h in header]
    for i, name in enumerate(lowered):
        if name and name in lowered[:i]:
            # one value would silently replace the other in every row
            raise TranscriptError(
                f"column {header[i]!r} appears twice in the header "
                f"(columns {lowered.index(name) + 1} and {i + 1})",
                path=shown,
                line=1,
                column=1,
                hint="rename or remove one of them",
            )
    id_index = next((lowered.index(c) for c in ID_COLUMNS if c in lowered), None)
    if id_index is None:
        raise TranscriptError(
            f"metadata CSV has no id column (columns: {', '.join(header)})",
            path=shown,
            line=1,
            hint="name the column holding the transcript ids 'id' (the file name without extension)",
        )
    rows: dict[str, dict[str, str]] = {}
    lines: dict[str, int] = {}
    for row in rows_read:
        line_no = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise TranscriptError(
                f"row has {len(row)} cells but the header has {len(header)}",
                path=shown,
                line=line_no,
                hint="check for a missing or extra separator, or an unclosed quote",
            )
        transcript_id = row[id_index].strip()
        if Path(transcript_id).suffix in (".txt", ".md"):
            transcript_id = Path(transcript_id).stem
        if transcript_id in rows:
            raise TranscriptError(
                f"transcript id {transcript_id!r} has two rows (first at line {lines[transcript_id]})",
                path=shown,
                line=line_no,
            )
        rows[transcript_id] = {
            h: cell.strip()
            for i, (h, cell) in enumerate(zip(header, row, strict=True))
            if i != id_index
        }
        lines[transcript_id] = line_no
    columns = tuple(h for i, h in enumerate(header) if i != id_index)
    return MetadataTable(shown, columns, rows, lines)


def _csv_rows(reader: Any, shown: str) -> Iterator[list[str]]:
    """The reader's rows; the csv module's own errors become a message with the line."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # e.g. a cell over 128 KB: usually a quote that never closes
            raise TranscriptError(
                f"metadata CSV cannot be read: {exc}",
                path=shown,
                line=reader.line_num,
                hint='check for an unclosed quote (") on or before this line',
            ) from None
        yield row


# -- the corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TranscriptFile:
    id: str
    path: Path
    shown: str


def find_transcript_files(folder: Path, extensions: Sequence[str]) -> list[Path]:
    """Transcript files under `folder` in sorted order; symlink loops raise TranscriptError."""
    found: list[Path] = []
    seen_dirs: set[tuple[int, int]] = set()
    wanted = {fold(e) for e in extensions}
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        stat = Path(dirpath).stat()
        key = (stat.st_dev, stat.st_ino)
        if key in seen_dirs:
            raise TranscriptError(
                "symlink loop: this folder was already visited",
                path=_unresolved_display(Path(dirpath)),
                hint="remove the symbolic link that points back up the tree",
            )
        seen_dirs.add(key)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or fold(Path(name).suffix) not in wanted:
                continue
            # a broken or looping link is listed: reading it says so, and the other files
            # are still checked and coded (it stopped everything)
            found.append(Path(dirpath) / name)
    return sorted(found)


def _is_text(name: str) -> bool:
    """False for a name holding bytes that are not UTF-8 (Python keeps them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unresolved_display(path: Path) -> str:
    """Relative to the current folder when inside it, keeping the symlinks' names."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@dataclass
class Corpus:
    """The project's transcripts: files and metadata, read lazily one transcript at a time."""

    files: list[TranscriptFile]
    metadata_table: MetadataTable | None
    scanner: LabelScanner
    segmentation: str
    encoding: str | None
    problems: list[Diagnostic] = field(default_factory=list)
    _by_id: dict[str, TranscriptFile] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        return f"<Corpus of {len(self.files)} transcripts>"

    @property
    def ids(self) -> list[str]:
        """Transcript ids (file names without their extension), sorted by file path."""
        return [f.id for f in self.files]

    def file(self, transcript_id: str) -> TranscriptFile:
        """Where a transcript is; an unknown id is a UsageError that suggests the nearest."""
        if self._by_id is None:  # a scan per lookup made coding every transcript quadratic
            self._by_id = {f.id: f for f in self.files}
        if (found := self._by_id.get(transcript_id)) is not None:
            return found
        from qualcode.errors import UsageError

        raise UsageError(
            f"no transcript with id {transcript_id!r}{did_you_mean(transcript_id, self.ids)}",
            hint="`qualcode transcripts` lists the ids",
        )

    def sha256(self, transcript_id: str) -> str:
        """The hash stored with a transcript's codings, of its text as it is now; read, not
        parsed (agreement needs only to know whether the text changed)."""
        f = self.file(transcript_id)
        try:
            data = read_bytes(
                f.path, max_bytes=MAX_TRANSCRIPT_BYTES, what="transcript", regular=True
            )
            return content_hash(
                normalize_newlines(
                    decode_text(data, f.path, encoding=self.encoding, what="transcript")
                )
            )
        except InputFileError as exc:
            exc.path = f.shown
            raise

    def load(self, transcript_id: str) -> Transcript:
        """Read and parse one transcript, with its metadata (front matter over the CSV)."""
        f = self.file(transcript_id)
        csv_row = self.metadata_table.rows.get(f.id, {}) if self.metadata_table else {}
        return read_transcript(
            f.path,
            transcript_id=f.id,
            display=f.shown,
            scanner=self.scanner,
            segmentation=self.segmentation,
            metadata=csv_row,
            encoding=self.encoding,
        )

    def __iter__(self) -> Iterator[Transcript]:
        for f in self.files:
            yield self.load(f.id)


def load_corpus(
    project: Project, problems: list[TranscriptError | InputFileError] | None = None
) -> Corpus:
    """Find transcript files and read the metadata CSV; duplicate ids raise TranscriptError.

    `check` passes `problems` to collect every duplicate id and a broken metadata CSV
    instead of stopping at the first, so one run lists everything to fix.
    """
    from qualcode.project import display_path

    config = project.config
    folder = project.transcripts_dir
    if not folder.is_dir():
        from qualcode.project import config_position

        line, column = config_position(project, "transcripts", "folder") or (None, None)
        raise TranscriptError(
            f"transcripts folder {display_path(folder)!r} does not exist",
            path=display_path(project.config_path) if project.config_path else None,
            line=line,
            column=column,
            hint="create it, or set transcripts.folder in qualcode.yaml",
        )
    paths = find_transcript_files(folder, config.extensions)
    by_id: dict[str, Path] = {}
    files = []
    for path in paths:
        if not _is_text(path.stem):
            shown = os.fsencode(display_path(path)).decode("utf-8", "backslashreplace")
            bad_name = TranscriptError(
                "file name is not valid UTF-8 (the name is the transcript id, which goes into "
                "codings files and exports)",
                path=shown,
                hint="rename the file (its name was probably written on a system with another "
                "encoding)",
            )
            if problems is None:
                raise bad_name
            problems.append(bad_name)
            continue
        if path.stem in by_id:
            duplicate = TranscriptError(
                f"transcript id {path.stem!r} is used by two files: {display_path(by_id[path.stem])} "
                f"and {display_path(path)}",
                path=display_path(path),
                hint="rename one of them: the file name (without extension) is the transcript id",
            )
            if problems is None:
                raise duplicate
            problems.append(duplicate)
            continue
        by_id[path.stem] = path
        files.append(TranscriptFile(path.stem, path, display_path(path)))
    table = None
    # exists() or is_symlink(): a folder, pipe or dangling link under that name is reported by
    # read_bytes, not taken for "no metadata" (a whole study's metadata silently dropped)
    if project.metadata_path.exists() or project.metadata_path.is_symlink():
        try:
            table = read_metadata_csv(
                project.metadata_path,
                display_path(project.metadata_path),
                declared=project.config.declared_values,
                encoding=project.config.encoding,
            )
        except (TranscriptError, InputFileError) as exc:
            if problems is None:
                raise
            problems.append(exc)
    return Corpus(
        files,
        table,
        LabelScanner.from_config(config),
        config.segmentation,
        config.encoding,
    )


def check_corpus(project: Project, speakers: set[str] | None = None) -> list[Diagnostic]:
    """Everything `qualcode check` says about transcripts and their metadata.

    `speakers` collects every speaker label read, to check the rules' `speakers:`.
    """
    from qualcode.project import display_path

    problems: list[TranscriptError | InputFileError] = []
    try:
        corpus = load_corpus(project, problems)
    except (TranscriptError, InputFileError) as exc:
        return [_load_error(exc, "")]
    found: list[Diagnostic] = [_load_error(exc, "") for exc in problems]
    # its error already says why; "no metadata" on every transcript would bury it
    csv_unreadable = (
        project.metadata_path.exists() or project.metadata_path.is_symlink()
    ) and corpus.metadata_table is None
    declared = project.config.declared_values
    table = corpus.metadata_table
    config_shown = display_path(project.config_path) if project.config_path else "qualcode.yaml"
    ids = set(corpus.ids)
    if table:
        for transcript_id, line in table.lines.items():
            if transcript_id not in ids:
                found.append(
                    error(
                        table.path,
                        (line, 1),
                        f"metadata row for {transcript_id!r}, but there is no such transcript"
                        f"{did_you_mean(transcript_id, ids)}",
                        "metadata-orphan",
                        "fix the id or remove the row",
                    )
                )
    found += _other_files(project)
    missing: list[Diagnostic] = []
    for f in corpus.files:
        try:
            transcript = corpus.load(f.id)
        except (TranscriptError, InputFileError) as exc:
            found.append(_load_error(exc, f.shown))
            continue
        for text in transcript.warnings:
            found.append(warning(f.shown, None, text, "transcript"))
        if speakers is not None:
            speakers.update(t.speaker for t in transcript.turns if t.speaker)
        csv_row = table.rows.get(f.id) if table else None
        front, _, _ = split_front_matter(transcript.text, f.shown)
        if not csv_row and not front and not csv_unreadable:
            missing.append(
                warning(
                    f.shown,
                    None,
                    "transcript has no metadata (no front matter and no metadata.csv row)",
                    "missing-metadata",
                    "add a row to the metadata CSV or front matter at the top of the file",
                )
            )
        if csv_row and front:
            for key, value in front.items():
                if key in csv_row and csv_row[key] and csv_row[key] != value:
                    found.append(
                        error(
                            f.shown,
                            (_front_line(transcript.text, key), 1),
                            f"front matter says {key}: {value!r} but {table.path if table else ''} "
                            f"says {csv_row[key]!r}",
                            "metadata-conflict",
                            "make them agree (front matter wins when both are set)",
                        )
                    )
        for attr, allowed in declared.items():
            value = transcript.metadata.get(attr)
            if value and value not in allowed:
                line = _front_line(transcript.text, attr) if attr in front else None
                where = f.shown if line else (table.path if table else f.shown)
                pos = (
                    (line, 1)
                    if line
                    else ((table.lines[f.id], 1) if table and f.id in table.lines else None)
                )
                found.append(
                    error(
                        where,
                        pos,
                        f"{attr} {value!r} of {f.id!r} is not a declared value"
                        f"{did_you_mean(value, allowed)}",
                        "undeclared-value",
                        f"declared in {config_shown}: {', '.join(allowed)}",
                    )
                )
    if len(missing) > 5:  # one warning, not hundreds, when a project has no metadata yet
        ids = ", ".join(d.path for d in missing[:3])
        missing = [
            warning(
                str(Path(missing[0].path).parent),
                None,
                f"{len(missing)} transcripts have no metadata (no front matter and no "
                f"metadata.csv row): {ids} ...",
                "missing-metadata",
                "add rows to the metadata CSV (one per transcript id) or front matter",
            )
        ]
    return found + missing


# Files people put among their transcripts that are not read as transcripts.
_CAPTIONS = (".vtt", ".srt")
_DOCUMENTS = (".docx", ".doc", ".odt", ".rtf", ".pdf", ".pages")


def _other_files(project: Project) -> list[Diagnostic]:
    """A warning for each caption file or document in the transcripts folder: left out silently,
    a Zoom transcript saved as .vtt made `code` code nothing and `check` pass."""
    from qualcode.project import display_path

    read = {fold(e) for e in project.config.extensions}
    others = [e for e in (*_CAPTIONS, *_DOCUMENTS) if e not in read]
    try:
        paths = find_transcript_files(project.transcripts_dir, others)
    except TranscriptError:  # a symlink loop: reported by load_corpus already
        return []
    return [
        warning(
            display_path(path),
            None,
            "not read: "
            + ("a caption file" if fold(path.suffix) in _CAPTIONS else "not plain text")
            + f" (transcripts are {', '.join(project.config.extensions)} files)",
            "transcript",
            f"convert it: `qualcode import captions {display_path(path)} -o "
            f"{display_path(project.transcripts_dir)}`, then move the caption file out"
            if fold(path.suffix) in _CAPTIONS
            else "save it as plain text (.txt, UTF-8) beside it, or move it out of the folder",
        )
        for path in paths
    ]


def _load_error(exc: TranscriptError | InputFileError, shown: str) -> Diagnostic:
    return error(
        exc.path or shown,
        (exc.line, exc.column or 1) if exc.line else None,
        exc.message,
        "unreadable-file" if isinstance(exc, InputFileError) else "transcript",
        exc.hint or "",
    )


def _front_line(text: str, key: str) -> int:
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1
