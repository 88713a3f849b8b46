"""Compiling a codebook's rules once and matching them against text.

Semantics (documented in the README and checked against a naive reference by a property test):

- Text and keywords are compared after `normalize`, which keeps every offset: lowercase, curly
  apostrophes to `'`, Unicode hyphens to `-`, any whitespace character to a space.
- Keywords (and phrases, `near` terms and `exclude` phrases) match case-insensitively on whole words,
  Unicode-aware: a hit must not be preceded or followed by a word character (letters, digits, marks,
  `_`, in any script). A trailing `*` drops the check at the end and the hit extends to the word's end.
- Every overlapping hit is reported ("care" and "health care" both hit in "health care").
- All keyword-like patterns of all rules go into ONE Aho-Corasick automaton (ahocorasick-rs), so the
  scan costs the same for 50 or 5,000 keywords. The automaton looks for each pattern between spaces
  in a copy of the text whose non-word characters are spaces (`bounded_text`), so it reports
  whole-word hits only; the real text then confirms each one. Regexes run on RE2 (linear time, so
  a user's regex cannot hang the tool), on `regex_view` (normalized, but line breaks and tabs
  kept). RE2's `\\b`, `\\w` and `\\d` know only ASCII, so `unicode_regex` turns `\\w` and `\\d`
  into Unicode classes, and a `\\b` that opens or closes the pattern into the Unicode boundary
  check.
- A hit codes the segment that contains its start. `speakers` (default: informant turns), `exclude`
  (drop hits in a segment containing an exclude phrase) and `near` (all terms within N words, any order)
  are applied per segment.
"""

from __future__ import annotations

import bisect
import codecs
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from operator import itemgetter
from typing import Any

from qualcode.codebook.model import ANY_SPEAKER, Codebook, Rule
from qualcode.errors import CodebookError
from qualcode.textio import fold

_APOSTROPHES = "\u2019\u2018\u02bc\u2032\u00b4`"
_HYPHENS = "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"
_SPACE_LIKE = "\t\n\r\x0b\x0c\x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000" + "".join(
    chr(c) for c in range(0x2000, 0x200B)
)
# str.replace runs in C and skips characters that are absent, which makes it much faster than
# str.translate with a dict table on long texts.
# Turkish dotless ı as i: `I` lowers to `i`, so `ışık` would never match `Işık` or `IŞIK`.
_FOLDS = tuple(
    [("\u0131", "i")]
    + [(ch, "'") for ch in _APOSTROPHES]
    + [(ch, "-") for ch in _HYPHENS]
    + [(ch, " ") for ch in _SPACE_LIKE]
)


# Full-width Latin letters, digits and punctuation (ＬＩＮＥ, ２０２０) as their ASCII forms: the
# same word to a reader of a Chinese or Japanese transcript.
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")
_FROM_FULL_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def normalize(text: str) -> str:
    """Lowercase and fold look-alike characters, keeping the length (offsets stay valid)."""
    return normalize_scripts(text)[0]


# High bytes of the UTF-16 code units of the spaceless scripts (`_SPACELESS`), full-width
# forms and astral characters: a text with none of them has none of those characters. Checking
# them costs about 2 ms a MB; a regex search for the characters themselves took 10, and ran on
# every text, which slowed the whole matcher by half.
_WIDE_HIGH_BYTES = bytes(
    1
    if b in {0x0E, 0x10, 0x17, 0x30, 0x31, 0xF9, 0xFA, 0xFF}
    or 0x34 <= b <= 0x9F
    or 0xD8 <= b <= 0xDB
    else 0
    for b in range(256)
)


# CPython stores a string whose characters are all below U+0100 one byte each; its size then
# tells (in constant time) that it has no character of those scripts. Any other size (wider
# characters, a cached UTF-8 copy, another Python) only means the bytes are looked at.
_ONE_BYTE_HEADER = sys.getsizeof("\xe9") - 2


def _may_have_wide_scripts(lowered: str) -> bool:
    """False when the text surely has no character of a spaceless script or a full-width form."""
    if lowered.isascii() or sys.getsizeof(lowered) - _ONE_BYTE_HEADER == len(lowered) + 1:
        return False
    high = lowered.encode("utf-16-be", "surrogatepass")[0::2]
    return b"\x01" in high.translate(_WIDE_HIGH_BYTES)


def regex_view(text: str) -> str:
    """What regexes run on: `normalize` but for line breaks and tabs, which stay (`\\n`,
    `(?m)^` and `\\t` in a user's regex mean them). Same length as the text."""
    return _folded(text, _REGEX_FOLDS)[0]


def normalize_scripts(text: str) -> tuple[str, bool]:
    """`normalize`, and whether the text may hold a spaceless script (see `_edges`)."""
    return _folded(text, _FOLDS)


def _folded(text: str, folds: Sequence[tuple[str, str]]) -> tuple[str, bool]:
    """Lower case with `folds` applied and full-width Latin as ASCII; and `_may_have_wide_scripts`."""
    if "\u0130" in text:
        # 'İ' is the one character that lowers to two code points ('i' + combining dot); as
        # plain 'i' it keeps the length and matches the way a reader would (İstanbul, istanbul).
        text = text.replace("\u0130", "i")
    lowered = text.lower()
    for old, new in folds:
        if old in lowered:
            lowered = lowered.replace(old, new)
    wide = _may_have_wide_scripts(lowered)
    if wide and _FULL_WIDTH.search(lowered):
        lowered = lowered.translate(_FROM_FULL_WIDTH)  # already lower case: ｌｉｎｅ -> line
    return lowered, wide


@lru_cache(maxsize=4096)
def is_word_char(ch: str) -> bool:
    """Letters, digits, combining marks and connector punctuation, in any script."""
    if ch.isalnum() or ch == "_":
        return True
    return unicodedata.category(ch)[0] in "MN"


# Scripts written without spaces between words (Chinese, Japanese kana, Thai, Lao, Khmer,
# Myanmar): a keyword cannot ask for a word boundary where the text has none, so its edges in
# these scripts match anywhere (捐赠 in 医院捐赠了土地).
_SPACELESS = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005-\u3007\u303b\u3040-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]"
)


def needs_boundary(ch: str) -> bool:
    """Whether a keyword that begins or ends with `ch` must meet a word boundary there."""
    return is_word_char(ch) and _SPACELESS.match(ch) is None


def _edges(norm: str, wide: bool = True) -> str:
    """`norm` with the scripts written without spaces as spaces, for word-boundary checks: a
    Latin word or a number touching Han or kana (下载了APP以后, 2020年) is a whole word. The
    same object when there is no such character (`wide` False: known to have none)."""
    if not wide or norm.isascii() or _SPACELESS.search(norm) is None:
        return norm
    return _SPACELESS.sub(" ", norm)


def _within_word(before: str, after: str) -> bool:
    """Whether the place between two characters is inside a word (no boundary there)."""
    return needs_boundary(before) and needs_boundary(after)


_SPACES = re.compile(r"\s+")


def normalize_keyword(keyword: str) -> tuple[str, bool]:
    """(pattern, is_stem): normalized keyword with single spaces, trailing `*` removed."""
    text = _SPACES.sub(" ", normalize(keyword.strip()))
    stem = text.endswith("*")
    if stem:
        text = text[:-1].rstrip()
    return text, stem


def keyword_problem(keyword: str) -> str | None:
    """Why a keyword cannot be used, or None."""
    if not isinstance(keyword, str) or not keyword.strip():
        return "keyword is empty"
    text, _ = normalize_keyword(keyword)
    if not text:
        return f"keyword {keyword!r} has nothing before '*'"
    if "*" in text:
        return f"keyword {keyword!r}: '*' is only allowed at the end"
    return None


# RE2's \C matches one byte, so a match can end inside a character and its offsets stop being
# character offsets (google-re2 then reports spans past the end of the text).
_ANY_BYTE = re.compile(r"(?<!\\)(?:\\\\)*\\C")


# RE2's \w, \d and \b know only ASCII: `\bmamá\b` and `ırkçı\w*` coded nothing. Outside a
# character class and inside one, they become Unicode classes; a \b that opens or closes the
# pattern (every branch of it) becomes the matcher's own Unicode boundary check.
_UNICODE_CLASSES = {"w": r"[\pL\pN\pM_]", "W": r"[^\pL\pN\pM_]", "d": r"\p{Nd}", "D": r"\P{Nd}"}
_UNICODE_IN_CLASS = {"w": r"\pL\pN\pM_", "d": r"\p{Nd}", "D": r"\P{Nd}"}
# as `regex_view` folds the text: line breaks and tabs stay, so `\n` and `(?m)^` still work
_REGEX_FOLDS = tuple(f for f in _FOLDS if f[0] not in "\t\n\r\x0b\x0c")
_PATTERN_FOLDS = (
    dict(_REGEX_FOLDS) | {"\u0130": "i"} | {chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)}
)


def _fold_literal(ch: str) -> str:
    folded = _PATTERN_FOLDS.get(ch, ch)
    if folded == ch or folded.isalnum() or folded == " ":
        return folded
    return "\\" + folded  # `(` from `（`, `-` from a Unicode hyphen inside a class


def _folded_escape(escape: str) -> str:
    """`\\x{2019}` as the folded character it names (an apostrophe), else as written."""
    try:
        ch = chr(int(escape[3:-1], 16))
    except (ValueError, OverflowError):
        return escape  # RE2 reports it
    folded = _fold_literal(ch)
    return escape if folded == ch else folded


_BOUNDARY = object()  # a \b token, until it is known whether it is at an edge
_BRANCH = object()  # a top-level |


def unicode_regex(pattern: str) -> tuple[str, bool, bool]:
    """(RE2 pattern, check the left edge, check the right edge) for a user's regex.

    The pattern runs on `regex_view` of the text (curly apostrophes as ', Unicode spaces as a
    space, lower case; line breaks and tabs kept), so its literal characters are folded the same
    way; a folded character that is punctuation is escaped (a full-width `（` is a literal `(`).
    """
    tokens: list[object] = []
    depth, i, n = 0, 0, len(pattern)
    class_from = -1  # inside a class: where it began (a `]` there is a literal, not its end)
    class_token, class_extras = 0, list[str]()
    while i < n:
        ch = pattern[i]
        in_class = class_from >= 0
        if pattern.startswith("\\Q", i):  # literal text up to \E, copied with its folds only
            stop = pattern.find("\\E", i + 2)
            stop = n if stop < 0 else stop
            tokens.append("\\Q" + "".join(_PATTERN_FOLDS.get(c, c) for c in pattern[i + 2 : stop]))
            tokens.append(pattern[stop : stop + 2])
            i = stop + 2
            continue
        if ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            end = i + 2
            if nxt in "pPx" and end < n and pattern[end] == "{":
                end = pattern.find("}", end) + 1 or n
            if nxt == "b" and not in_class:
                tokens.append(_BOUNDARY)
            elif nxt in _UNICODE_IN_CLASS and in_class:
                tokens.append(_UNICODE_IN_CLASS[nxt])
            elif nxt in _UNICODE_CLASSES and not in_class:
                tokens.append(_UNICODE_CLASSES[nxt])
            elif nxt == "x" and pattern[i + 2 : i + 3] == "{" and not in_class:
                tokens.append(_folded_escape(pattern[i:end]))
            else:
                tokens.append(pattern[i:end])
            i = end
            continue
        if in_class:
            if pattern.startswith("[:", i) and ":]" in pattern[i + 2 :]:  # [[:alpha:]]
                stop = pattern.index(":]", i + 2) + 2
                tokens.append(pattern[i:stop])
                i = stop
                continue
            if ch == "]" and i > class_from:
                # the folded forms of its characters join the class, first (a `-` last would
                # make a range), while its own characters and ranges stay as written: `[‐-―]`
                # folded would be `[--―]`, nearly everything
                at = class_token + (pattern[class_from : class_from + 1] == "]")
                tokens[at:at] = list(dict.fromkeys(class_extras))
                class_from = -1
            elif _fold_literal(ch) != ch:
                class_extras.append(_fold_literal(ch))
            tokens.append(ch)
            i += 1
            continue
        if ch == "[":
            class_from = i + 1 + (pattern[i + 1 : i + 2] == "^")
            class_extras = []
            tokens.append(pattern[i:class_from])
            class_token = len(tokens)
            i = class_from
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "|" and depth == 0:
            tokens.append(_BRANCH)
        else:
            tokens.append(_fold_literal(ch))
        i += 1
    branches: list[list[object]] = [[]]
    for token in tokens:
        if token is _BRANCH:
            branches.append([])
        else:
            branches[-1].append(token)
    left = all(b and b[0] is _BOUNDARY for b in branches)
    right = all(b and b[-1] is _BOUNDARY for b in branches)
    parts = []
    for branch in branches:
        if left:
            branch = branch[1:]
        if right and branch:
            branch = branch[:-1]
        parts.append("".join("\\b" if t is _BOUNDARY else str(t) for t in branch))
    return "|".join(parts), left, right


def compile_regex(pattern: str) -> Any:
    """Compile with RE2 (case-insensitive); raise CodebookError with RE2's reason when it cannot.

    The pattern is translated by `unicode_regex` first; errors quote it as the user wrote it.
    """
    import re2  # imported here: only codebooks with regex rules pay for it

    if _ANY_BYTE.search(pattern):
        raise CodebookError(
            f"invalid regex {pattern!r}: \\C (any byte) is not supported",
            hint="it can match half a character; use . for any character",
        )

    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = False
    try:
        return re2.compile(unicode_regex(pattern)[0], options)
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        hint = (
            "RE2 has no lookaround or backreferences; use keywords, near or exclude instead"
            if any(tok in pattern for tok in ("(?=", "(?!", "(?<", "\\1", "\\2"))
            else "see https://github.com/google/re2/wiki/Syntax"
        )
        if "too big" in reason or "too large" in reason:
            hint = "a list of words is a keywords rule: it has no size limit and is faster"
        shown = pattern if len(pattern) <= 80 else pattern[:77] + "..."
        reason = reason if len(reason) <= 200 else reason[:197] + "..."  # RE2 quotes the pattern
        raise CodebookError(f"invalid regex {shown!r}: {reason}", hint=hint) from exc


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule hit: offsets are code points into the transcript text, end exclusive."""

    start: int
    end: int
    rule_id: str
    code_id: str


@dataclass(frozen=True, slots=True)
class SegmentView:
    """What the matcher needs to know of a segment: its span and who speaks."""

    start: int
    end: int
    speaker: str | None = None
    role: str | None = None


def segment_views(segments: Iterable[Any]) -> list[SegmentView]:
    """What the matcher needs of a transcript's segments (anything with start, end, speaker, role)."""
    return [SegmentView(s.start, s.end, s.speaker, s.role) for s in segments]


# What a pattern in the automaton is used for.
_KEYWORD, _NEAR, _EXCLUDE = 0, 1, 2


@dataclass(frozen=True)
class _Pattern:
    text: str
    stem: bool
    check_left: bool
    check_right: bool

    @property
    def exact(self) -> bool:
        """Whether a hit in the bounded text is this text: true when it is all word characters."""
        return _NOT_W.search(self.text) is None

    @property
    def bounded(self) -> str:
        """The pattern as the automaton looks for it in `bounded_text`: between spaces."""
        return (
            (" " if self.check_left else "")
            + _NON_WORD.sub(" ", self.text)
            + (" " if self.check_right else "")
        )


# What the automaton sees of a text: every character `\w` does not know as a space. `\w` misses
# a few word characters (combining marks, some numerals), so this maps slightly more than the
# non-word characters; the boundary check on the real text decides those cases.
_NON_WORD = re.compile(r"[^\w ]")
_NOT_W = re.compile(r"\W")
_ASCII_BOUNDED = bytes(32 if _NON_WORD.match(chr(c)) else c for c in range(128)) + bytes(
    range(128, 256)
)


def bounded_text(norm: str) -> str:
    """` norm ` with its non-word characters as spaces: same offsets plus one.

    Patterns go into the automaton between spaces (` care `), so it reports only hits that start
    and end at word boundaries. Scanning for bare patterns reported three times as many hits,
    two thirds of them inside longer words, each a tuple to build and a hit to filter out.
    """
    head = norm[:4096]
    if len(head.encode("utf-8", "surrogatepass")) - len(head) > 256:  # mostly non-ASCII
        return " " + _NON_WORD.sub(" ", norm) + " "
    # ASCII goes through a byte table (20x faster than the regex), each run of other
    # characters through the regex
    data = norm.encode("ascii", _BOUND_NON_ASCII).translate(_ASCII_BOUNDED)
    return " " + data.decode("utf-8", "surrogatepass") + " "


def _bound_non_ascii(exc: UnicodeError) -> tuple[bytes, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    run = exc.object[exc.start : exc.end]
    return _NON_WORD.sub(" ", run).encode("utf-8", "surrogatepass"), exc.end


_BOUND_NON_ASCII = "qualcode.bounded-text"
codecs.register_error(_BOUND_NON_ASCII, _bound_non_ascii)


@dataclass(frozen=True)
class _MatchTables:
    """A matcher's rules as numpy lookup tables, for `Matcher.coded_segments`."""

    keyword_ptr: Any  # rules using pattern p as a keyword: keyword_rule[keyword_ptr[p]:...[p + 1]]
    keyword_rule: Any
    exclude_ptr: Any
    exclude_rule: Any
    is_near: Any  # pattern -> used as a near term
    speaker_group: Any  # rule -> index into speaker_sets, -1 for any speaker
    speaker_sets: list[frozenset[str]]
    code_rank: Any  # rule -> rank of its code id in code_ids
    code_ids: list[str]
    rule_rank: Any  # rule -> rank of its id among all rule ids
    rule_ids: list[str]
    rule_alone: list[tuple[str]]

    @classmethod
    def build(cls, matcher: Matcher) -> _MatchTables:
        import numpy as np

        def csr(use: int) -> tuple[Any, Any]:
            counts = [sum(u == use for _, u, _ in uses) for uses in matcher._uses]
            ptr = np.zeros(len(counts) + 1, dtype=np.int64)
            np.cumsum(counts, out=ptr[1:])
            values = [r for uses in matcher._uses for r, u, _ in uses if u == use]
            return ptr, np.array(values, dtype=np.int64)

        keyword_ptr, keyword_rule = csr(_KEYWORD)
        exclude_ptr, exclude_rule = csr(_EXCLUDE)
        speaker_sets: list[frozenset[str]] = []
        groups = []
        for allowed in matcher._speakers:
            if allowed is None:
                groups.append(-1)
            else:
                if allowed not in speaker_sets:
                    speaker_sets.append(allowed)
                groups.append(speaker_sets.index(allowed))
        rules = matcher.rules
        code_ids = sorted({r.code_id for r in rules})
        code_index = {c: i for i, c in enumerate(code_ids)}
        rule_rank = np.empty(len(rules), dtype=np.int64)
        rule_rank[sorted(range(len(rules)), key=lambda i: rules[i].id)] = np.arange(len(rules))
        return cls(
            keyword_ptr,
            keyword_rule,
            exclude_ptr,
            exclude_rule,
            np.array([p in matcher._near_patterns for p in range(len(matcher._uses))], dtype=bool),
            np.array(groups, dtype=np.int64),
            speaker_sets,
            np.array([code_index[r.code_id] for r in rules], dtype=np.int64),
            code_ids,
            rule_rank,
            [r.id for r in rules],
            [(r.id,) for r in rules],
        )


def _expand(ptr: Any, values: Any, pair_pat: Any, pair_seg: Any) -> tuple[Any, Any]:
    """(values, segment) for every (pattern, segment) pair and every value the pattern maps to."""
    import numpy as np

    counts = ptr[pair_pat + 1] - ptr[pair_pat]
    total = int(counts.sum())
    if not total:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    ends = np.cumsum(counts)
    index = np.repeat(ptr[pair_pat] - (ends - counts), counts) + np.arange(total)
    return values[index], np.repeat(pair_seg, counts)


class Matcher:
    """All rules of a codebook compiled once. Build with `compile_rules`; use `match`."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        import ahocorasick_rs  # heavy-ish native module: only loaded when matching

        self.rules = list(rules)
        self.rule_ids = frozenset(rule.id for rule in self.rules)
        self.vector_threshold = 256  # below this many raw hits a plain loop is faster than numpy
        self._pattern_arrays: tuple[Any, Any, Any, Any] | None = None
        self._match_tables: _MatchTables | None = None
        self._patterns: list[_Pattern] = []
        pattern_index: dict[tuple[str, bool], int] = {}
        # pattern index -> [(rule index, use, term index)]
        self._uses: list[list[tuple[int, int, int]]] = []
        self._regexes: list[tuple[int, Any, bool, bool]] = []

        def add(keyword: str, rule_no: int, use: int, term: int) -> None:
            text, stem = normalize_keyword(keyword)
            key = (text, stem)
            if key not in pattern_index:
                pattern_index[key] = len(self._patterns)
                self._patterns.append(
                    _Pattern(
                        text,
                        stem,
                        check_left=needs_boundary(text[0]),
                        check_right=not stem and needs_boundary(text[-1]),
                    )
                )
                self._uses.append([])
            self._uses[pattern_index[key]].append((rule_no, use, term))

        for rule_no, rule in enumerate(self.rules):
            for keyword in rule.keywords:
                add(keyword, rule_no, _KEYWORD, 0)
            for term_no, term in enumerate(rule.near_terms):
                add(term, rule_no, _NEAR, term_no)
            for phrase in rule.exclude:
                add(phrase, rule_no, _EXCLUDE, 0)
            if rule.kind == "regex" and rule.regex is not None:
                try:
                    compiled = compile_regex(rule.regex)
                except CodebookError as exc:
                    exc.path, exc.line, exc.column = (
                        rule.location.path,
                        rule.location.line or None,
                        rule.location.column or None,
                    )
                    raise
                _, left, right = unicode_regex(rule.regex)
                self._regexes.append((rule_no, compiled, left, right))
        self._exact = [p.exact for p in self._patterns]
        self._pattern_texts = [p.text for p in self._patterns]
        self._automaton = (
            ahocorasick_rs.AhoCorasick(
                [p.bounded for p in self._patterns],
                matchkind=ahocorasick_rs.MatchKind.Standard,
            )
            if self._patterns
            else None
        )
        self._near_patterns = {
            p for p, uses in enumerate(self._uses) if any(u == _NEAR for _, u, _ in uses)
        }
        self._speakers = [
            None if ANY_SPEAKER in r.speakers else frozenset(fold(s) for s in r.speakers)
            for r in self.rules
        ]

    # -- raw scanning -------------------------------------------------------------------------

    def _raw_hits(self, bounded: str) -> list[tuple[int, int, int]]:
        """(pattern index, start, end) in `bounded`, the automaton's view of a text."""
        if self._automaton is None:
            return []
        return self._automaton.find_matches_as_indexes(bounded, overlapping=True)

    def _raw(self, norm: str, wide: bool) -> tuple[str, list[tuple[int, int, int]], str]:
        """(bounded text, raw hits, edges), with the hits of words that touch Han or kana.

        In `bounded_text` a Han character is a word character, so `app` in 下载了APP以后 is not
        between spaces; a second scan of the text with those scripts as spaces (`_edges`, also
        what the boundary checks look at) finds it.
        """
        bounded = bounded_text(norm)
        raw = self._raw_hits(bounded)
        edges = _edges(norm, wide)
        if edges is not norm:
            raw = sorted(set(raw).union(self._raw_hits(bounded_text(edges))), key=itemgetter(1))
        return bounded, raw, edges

    def _scan(self, norm: str, wide: bool) -> list[tuple[int, int, int]]:
        """Whole-word pattern hits (pattern index, start, end) in normalized text."""
        bounded, raw, edges = self._raw(norm, wide)
        if len(raw) >= self.vector_threshold:
            pat, start, end = self._filter_vectorized(norm, bounded, raw, edges)
            return list(zip(pat.tolist(), start.tolist(), end.tolist(), strict=True))
        return self._filter_loop(norm, raw, edges)

    def _filter_loop(
        self, norm: str, raw: list[tuple[int, int, int]], edges: str
    ) -> list[tuple[int, int, int]]:
        """Raw hits as offsets into norm, checked and with stems extended, hit by hit.

        For few hits: no numpy needed.
        """
        found = []
        patterns = self._patterns
        n = len(norm)
        for pat_no, start, end in raw:
            pat = patterns[pat_no]
            start += pat.check_left - 1
            end -= pat.check_right + 1
            if not self._exact[pat_no] and norm[start:end] != pat.text:
                continue
            if pat.check_left and start > 0 and is_word_char(edges[start - 1]):
                continue
            if pat.check_right and end < n and is_word_char(edges[end]):
                continue
            if pat.stem:
                while end < n and is_word_char(edges[end]):
                    end += 1
            found.append((pat_no, start, end))
        return found

    def _filter_vectorized(
        self, norm: str, bounded: str, raw: list[tuple[int, int, int]], edges: str
    ) -> tuple[Any, Any, Any]:
        """The same filtering as the loop in `_scan`, done with numpy over all hits at once.

        Per-hit work in a Python loop dominates when rules hit often; here the word-boundary test,
        the stem extension and (in `match_codes`) the segment lookup are array operations.
        """
        import numpy as np

        if self._pattern_arrays is None:
            self._pattern_arrays = (
                np.array([p.check_left for p in self._patterns], dtype=bool),
                np.array([p.check_right for p in self._patterns], dtype=bool),
                np.array([p.stem for p in self._patterns], dtype=bool),
                np.array(self._exact, dtype=bool),
            )
        check_left, check_right, stem, exact = self._pattern_arrays
        # fromiter over the flattened tuples is ~4x faster than np.array on a list of tuples
        hits = np.fromiter(chain.from_iterable(raw), dtype=np.int64, count=3 * len(raw))
        hits = hits.reshape(-1, 3)
        pat = hits[:, 0]
        start = hits[:, 1] + check_left[pat] - 1
        end = hits[:, 2] - check_right[pat] - 1
        inexact = np.flatnonzero(~exact[pat])
        if len(inexact):  # phrases and patterns with punctuation: compare the real text
            texts = self._pattern_texts
            wrong = [
                i
                for i, p, s, e in zip(
                    inexact.tolist(),
                    pat[inexact].tolist(),
                    start[inexact].tolist(),
                    end[inexact].tolist(),
                    strict=True,
                )
                if norm[s:e] != texts[p]
            ]
            if wrong:
                pat, start, end = (np.delete(a, wrong) for a in (pat, start, end))
        # padded: word[i + 1] tells whether norm[i] is a word character
        if norm.isascii():  # then the bounded text has a space exactly where norm has no word
            word = np.frombuffer(bounded.encode("ascii"), dtype=np.uint8) != 32
        else:
            word = word_mask(edges)
        keep = (~check_left[pat] | ~word[start]) & (~check_right[pat] | ~word[end + 1])
        pat, start, end = pat[keep], start[keep], end[keep]
        stems = stem[pat]
        if stems.any():
            non_word = np.flatnonzero(~word[1:-1])
            at = np.searchsorted(non_word, end[stems])
            if len(non_word):
                word_end = np.where(
                    at < len(non_word), non_word[np.minimum(at, len(non_word) - 1)], len(norm)
                )
            else:  # one long word: every stem runs to the end of the text
                word_end = np.full(len(at), len(norm), dtype=np.int64)
            end = end.copy()
            end[stems] = word_end
        return pat, start, end

    def _regex_hits(self, text: str, norm: str) -> list[tuple[int, int, int]]:
        """(rule index, start, end) for regex rules, run on `regex_view` (same offsets)."""
        found: list[tuple[int, int, int]] = []
        if not self._regexes:
            return found
        n = len(norm)
        view = regex_view(text)
        for rule_no, compiled, left, right in self._regexes:
            for m in compiled.finditer(view):
                start, end = m.span()
                if start == end:
                    continue
                # a \\b edge inside a word fails; next to Han or kana there is no word to be in
                if left and start > 0 and _within_word(norm[start - 1], norm[start]):
                    continue
                if right and end < n and _within_word(norm[end - 1], norm[end]):
                    continue
                found.append((rule_no, start, end))
        return found

    # -- the public matching API ----------------------------------------------------------------

    def allows(self, rule_no: int, segment: SegmentView) -> bool:
        allowed = self._speakers[rule_no]
        if allowed is None:
            return True
        return fold(segment.role or "") in allowed or fold(segment.speaker or "") in allowed

    def match(self, text: str, segments: Sequence[SegmentView]) -> list[list[Hit]]:
        """Hits per segment (same order as `segments`), each list sorted by (start, end, rule)."""
        norm, wide = normalize_scripts(text)
        starts = [s.start for s in segments]
        per_segment: list[list[Hit]] = [[] for _ in segments]
        if not segments:
            return per_segment

        def segment_of(offset: int) -> int:
            i = bisect.bisect_right(starts, offset) - 1
            if i < 0 or offset >= segments[i].end:
                return -1
            return i

        # rule index -> segment index -> ...
        keyword_hits: dict[int, dict[int, list[tuple[int, int]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        near_hits: dict[int, dict[int, list[tuple[int, int, int]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        excluded: set[tuple[int, int]] = set()
        for pat_no, start, end in self._scan(norm, wide):
            seg = segment_of(start)
            if seg < 0:
                continue
            for rule_no, use, term in self._uses[pat_no]:
                if use == _KEYWORD:
                    keyword_hits[rule_no][seg].append((start, end))
                elif use == _NEAR:
                    near_hits[rule_no][seg].append((term, start, end))
                else:
                    excluded.add((rule_no, seg))
        for rule_no, start, end in self._regex_hits(text, norm):
            seg = segment_of(start)
            if seg >= 0:
                keyword_hits[rule_no][seg].append((start, end))

        for rule_no, by_seg in keyword_hits.items():
            rule = self.rules[rule_no]
            for seg, spans in by_seg.items():
                if (rule_no, seg) in excluded or not self.allows(rule_no, segments[seg]):
                    continue
                per_segment[seg].extend(Hit(s, e, rule.id, rule.code_id) for s, e in spans)
        words: dict[tuple[int, int], list[int]] = {}
        for rule_no, by_seg in near_hits.items():
            rule = self.rules[rule_no]
            for seg, terms in by_seg.items():
                if (rule_no, seg) in excluded or not self.allows(rule_no, segments[seg]):
                    continue
                segment = segments[seg]
                for s, e in near_windows(
                    norm,
                    segment.start,
                    segment.end,
                    terms,
                    len(rule.near_terms),
                    rule.near_within,
                    words,
                ):
                    per_segment[seg].append(Hit(s, e, rule.id, rule.code_id))
        for hits in per_segment:
            hits.sort(key=lambda h: (h.start, h.end, h.rule_id))
        return per_segment

    def match_codes(self, text: str, segments: Sequence[SegmentView]) -> list[dict[str, set[str]]]:
        """Per segment, code id -> ids of the rules that hit (see `coded_segments`)."""
        out: list[dict[str, set[str]]] = [{} for _ in segments]
        for seg_no, code_id, rule_ids in self.coded_segments(text, segments):
            out[seg_no][code_id] = set(rule_ids)
        return out

    def coded_segments(
        self, text: str, segments: Sequence[SegmentView]
    ) -> list[tuple[int, str, tuple[str, ...]]]:
        """(segment index, code id, sorted rule ids) for every coded segment, sorted: what `code` stores.

        Same semantics as `match`, without a Hit per hit: a rich codebook makes tens of coded
        segments per KB of text, so with many hits everything up to the final list (word
        boundaries, segment lookup, pattern -> rule expansion, exclude, speakers, sorting) is
        done with numpy arrays and the Python work is one tuple per coded segment.
        """
        if not segments:
            return []
        norm, wide = normalize_scripts(text)
        bounded, raw, edges = self._raw(norm, wide)
        if len(raw) < self.vector_threshold:
            return self._coded_few(text, norm, raw, segments, edges)
        return self._coded_many(text, norm, bounded, raw, segments, edges)

    def _coded_few(
        self,
        text: str,
        norm: str,
        raw: list[tuple[int, int, int]],
        segments: Sequence[SegmentView],
        edges: str,
    ) -> list[tuple[int, str, tuple[str, ...]]]:
        """`coded_segments` for few hits, in plain Python (importing numpy costs more)."""
        starts = [s.start for s in segments]
        pairs: set[tuple[int, int]] = set()
        near_hits = []
        for pat_no, s, e in self._filter_loop(norm, raw, edges):
            i = bisect.bisect_right(starts, s) - 1
            if i < 0 or s >= segments[i].end:
                continue
            pairs.add((pat_no, i))
            if pat_no in self._near_patterns:
                near_hits.append((pat_no, s, e, i))
        candidates: set[tuple[int, int]] = set()
        excluded: set[tuple[int, int]] = set()
        for pat_no, seg_no in pairs:
            for rule_no, use, _ in self._uses[pat_no]:
                if use == _KEYWORD:
                    candidates.add((rule_no, seg_no))
                elif use == _EXCLUDE:
                    excluded.add((rule_no, seg_no))
        candidates.update(self._regex_and_near(text, norm, segments, starts, near_hits))
        found: dict[tuple[int, str], set[str]] = defaultdict(set)
        for rule_no, seg_no in candidates - excluded:
            if self.allows(rule_no, segments[seg_no]):
                rule = self.rules[rule_no]
                found[(seg_no, rule.code_id)].add(rule.id)
        return [(seg, code, tuple(sorted(ids))) for (seg, code), ids in sorted(found.items())]

    def _regex_and_near(
        self,
        text: str,
        norm: str,
        segments: Sequence[SegmentView],
        starts: list[int],
        near_hits: Iterable[tuple[int, int, int, int]],
    ) -> list[tuple[int, int]]:
        """(rule, segment) coded by regex rules and by `near` rules, given the near terms' hits."""
        found = []
        for rule_no, s, _e in self._regex_hits(text, norm):
            i = bisect.bisect_right(starts, s) - 1
            if i >= 0 and s < segments[i].end:
                found.append((rule_no, i))
        terms: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
        for pat_no, s, e, seg_no in near_hits:
            for rule_no, use, term in self._uses[pat_no]:
                if use == _NEAR:
                    terms[(rule_no, seg_no)].append((term, s, e))
        words: dict[tuple[int, int], list[int]] = {}
        for (rule_no, seg_no), term_hits in terms.items():
            rule = self.rules[rule_no]
            segment = segments[seg_no]
            if near_windows(
                norm,
                segment.start,
                segment.end,
                term_hits,
                len(rule.near_terms),
                rule.near_within,
                words,
            ):
                found.append((rule_no, seg_no))
        return found

    def _coded_many(
        self,
        text: str,
        norm: str,
        bounded: str,
        raw: list[tuple[int, int, int]],
        segments: Sequence[SegmentView],
        edges: str,
    ) -> list[tuple[int, str, tuple[str, ...]]]:
        """`coded_segments` with numpy, for many hits."""
        import numpy as np

        tables = self._tables()
        n_seg = len(segments)
        starts = [s.start for s in segments]
        seg_starts = np.array(starts, dtype=np.int64)
        seg_ends = np.fromiter((s.end for s in segments), dtype=np.int64, count=n_seg)
        pat, start, end = self._filter_vectorized(norm, bounded, raw, edges)
        seg = np.searchsorted(seg_starts, start, side="right") - 1
        inside = seg >= 0
        inside[inside] = start[inside] < seg_ends[seg[inside]]
        pat, start, end, seg = pat[inside], start[inside], end[inside], seg[inside]
        pairs = np.unique(pat * n_seg + seg)
        pair_pat, pair_seg = pairs // n_seg, pairs % n_seg
        rule_no, rule_seg = _expand(tables.keyword_ptr, tables.keyword_rule, pair_pat, pair_seg)
        candidates = [rule_no * n_seg + rule_seg]
        near_hits: Iterable[tuple[int, int, int, int]] = ()
        if self._near_patterns:
            near = tables.is_near[pat]
            near_hits = zip(
                pat[near].tolist(),
                start[near].tolist(),
                end[near].tolist(),
                seg[near].tolist(),
                strict=True,
            )
        extra = [
            rule * n_seg + seg_no
            for rule, seg_no in self._regex_and_near(text, norm, segments, starts, near_hits)
        ]
        if extra:
            candidates.append(np.array(extra, dtype=np.int64))
        keys = np.unique(np.concatenate(candidates))
        ex_rule, ex_seg = _expand(tables.exclude_ptr, tables.exclude_rule, pair_pat, pair_seg)
        if len(ex_rule):
            keys = keys[~np.isin(keys, ex_rule * n_seg + ex_seg)]
        rule_no, seg = keys // n_seg, keys % n_seg
        group = tables.speaker_group[rule_no]
        restricted = group >= 0
        if restricted.any():
            # rules share a few speaker sets: decide each (set, segment) once
            allowed = np.ones((len(tables.speaker_sets), n_seg), dtype=bool)
            for g in np.unique(group[restricted]).tolist():
                speakers = tables.speaker_sets[g]
                allowed[g] = [
                    fold(s.role or "") in speakers or fold(s.speaker or "") in speakers
                    for s in segments
                ]
            keep = ~restricted
            keep[restricted] = allowed[group[restricted], seg[restricted]]
            rule_no, seg = rule_no[keep], seg[keep]
        if not len(rule_no):
            return []
        code_rank = tables.code_rank[rule_no]
        order = np.lexsort((tables.rule_rank[rule_no], code_rank, seg))
        rule_no, seg, code_rank = rule_no[order], seg[order], code_rank[order]
        firsts = np.flatnonzero(
            np.concatenate(([True], (seg[1:] != seg[:-1]) | (code_rank[1:] != code_rank[:-1])))
        )
        sizes = np.diff(np.append(firsts, len(seg)))
        code_ids, rule_ids, alone = tables.code_ids, tables.rule_ids, tables.rule_alone
        rules_list = rule_no.tolist()
        found = []
        for first, size, seg_no, code in zip(
            firsts.tolist(),
            sizes.tolist(),
            seg[firsts].tolist(),
            code_rank[firsts].tolist(),
            strict=True,
        ):
            if size == 1:
                cited = alone[rules_list[first]]
            else:  # two rules may share an id across codebooks: cite it once
                cited = tuple(dict.fromkeys(rule_ids[r] for r in rules_list[first : first + size]))
            found.append((seg_no, code_ids[code], cited))
        return found

    def _tables(self) -> _MatchTables:
        if self._match_tables is None:
            self._match_tables = _MatchTables.build(self)
        return self._match_tables

    def match_passage(self, passage: str, role: str = "informant") -> list[Hit]:
        """Hits in one free-standing passage spoken by `role` (used for codebook examples)."""
        return self.match(passage, [SegmentView(0, len(passage), None, role)])[0]


def word_mask(norm: str) -> Any:
    """Boolean array, padded with False at both ends: mask[i + 1] is is_word_char(norm[i])."""
    import numpy as np

    codes = np.frombuffer(norm.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    mask = np.zeros(len(codes) + 2, dtype=bool)
    mask[1:-1] = _ASCII_WORD[np.minimum(codes, 128)]
    wide = np.flatnonzero(codes >= 128)
    if len(wide):
        values, inverse = np.unique(codes[wide], return_inverse=True)
        is_word = np.array([is_word_char(chr(v)) for v in values.tolist()], dtype=bool)
        mask[wide + 1] = is_word[inverse]
    return mask


def _ascii_word_table() -> Any:
    import numpy as np

    return np.array([is_word_char(chr(c)) for c in range(128)] + [False], dtype=bool)


class _LazyTable:
    """The ASCII word-character table, built on first use so importing the engine stays cheap."""

    table: Any = None

    def __getitem__(self, index: Any) -> Any:
        if self.table is None:
            self.table = _ascii_word_table()
        return self.table[index]


_ASCII_WORD = _LazyTable()
_WORD = re.compile(r"\w+")


def word_starts(norm: str, start: int, end: int) -> list[int]:
    """Offsets where words begin in norm[start:end]; a word is a run of `\\w` characters."""
    return [m.start() for m in _WORD.finditer(norm, start, end)]


def near_windows(
    norm: str,
    seg_start: int,
    seg_end: int,
    term_hits: Iterable[tuple[int, int, int]],
    n_terms: int,
    within: int,
    words: dict[tuple[int, int], list[int]] | None = None,
) -> list[tuple[int, int]]:
    """Spans where every term (0..n_terms-1) occurs within `within` words of each other.

    Greedy minimal windows over the term hits sorted by word position: each reported window ends at a
    term hit and is the shortest window ending there containing all terms. Either order counts.
    `words` keeps each segment's word starts across the rules of one text: found anew for every
    near rule, they were most of a run with 48 near rules (found by a helper, 11x slower).
    """
    hits = sorted(set(term_hits), key=lambda h: (h[1], h[0]))
    if len({t for t, _, _ in hits}) < n_terms:
        return []
    if words is None:
        starts = word_starts(norm, seg_start, seg_end)
    elif (seg_start, seg_end) in words:
        starts = words[seg_start, seg_end]
    else:
        starts = words[seg_start, seg_end] = word_starts(norm, seg_start, seg_end)
    positioned = [(bisect.bisect_right(starts, s) - 1, t, s, e) for t, s, e in hits]
    windows: list[tuple[int, int]] = []
    last_seen: dict[int, tuple[int, int, int]] = {}
    for word_no, term, s, e in positioned:
        last_seen[term] = (word_no, s, e)
        if len(last_seen) < n_terms:
            continue
        first_word = min(w for w, _, _ in last_seen.values())
        if word_no - first_word <= within:
            span_start = min(v[1] for v in last_seen.values())
            span_end = max(v[2] for v in last_seen.values())
            if not windows or windows[-1] != (span_start, span_end):
                windows.append((span_start, span_end))
    return windows


def compile_rules(codebook: Codebook) -> Matcher:
    """Compile every rule of every loaded codebook into one matcher."""
    return Matcher(codebook.rules)
