"""The matcher: documented semantics by example, and a property test against a naive reference.

The reference below is written from the semantics stated in `qualcode.engine`'s docstring and the
codebook format (issue 4), not from the engine's code: it scans every position of the text for every
keyword with plain string comparison, so it is slow but obviously right.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qualcode.codebook.model import Rule
from qualcode.engine import (
    Matcher,
    SegmentView,
    bounded_text,
    compile_regex,
    keyword_problem,
    normalize,
    normalize_keyword,
)
from qualcode.errors import CodebookError

FAST = settings(max_examples=150, deadline=None, database=None)

# -- the naive reference --------------------------------------------------------------------------

APOSTROPHES = "\u2019\u2018\u02bc\u2032\u00b4`"
HYPHENS = "\u2010\u2011\u2012\u2013\u2212\ufe63\uff0d"


def ref_fold(ch: str) -> str:
    """One character as the matcher compares it (length-preserving)."""
    if "\uff01" <= ch <= "\uff5e":  # full-width Latin: ＬＩＮＥ is LINE
        ch = chr(ord(ch) - 0xFEE0)
    low = ch.lower()
    if len(low) != 1:
        low = low[0]  # only 'İ' -> 'i' + combining dot: compared as plain 'i'
    if low == "\u0131":  # Turkish dotless ı: `I` lowers to `i`
        return "i"
    if low in APOSTROPHES:
        return "'"
    if low in HYPHENS:
        return "-"
    if low.isspace():
        return " "
    return low


def ref_normalize(text: str) -> str:
    return "".join(ref_fold(ch) for ch in text)


def ref_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] in "MN"


def ref_edge(ch: str) -> bool:
    """A keyword's edge needs a word boundary unless its script is written without spaces."""
    spaceless = (
        any(
            unicodedata.name(ch, "").startswith(script)
            for script in ("CJK ", "HIRAGANA", "KATAKANA", "THAI", "LAO", "KHMER", "MYANMAR")
        )
        or ch in "\u3005\u3006\u3007\u303b"
    )  # 々 〆 〇 〻: Japanese iteration and ideographic marks
    return ref_word_char(ch) and not spaceless


def ref_keyword(keyword: str) -> tuple[str, bool]:
    text = " ".join(ref_normalize(keyword.strip()).split(" "))
    text = re.sub(" +", " ", text)
    stem = text.endswith("*")
    if stem:
        text = text[:-1].rstrip(" ")
    return text, stem


def ref_find(norm: str, keyword: str) -> list[tuple[int, int]]:
    """Every whole-word occurrence of one keyword: each `str.find` hit, then the boundary tests."""
    pattern, stem = ref_keyword(keyword)
    found = []
    n = len(norm)
    i = norm.find(pattern)
    while i >= 0:
        at, i = i, norm.find(pattern, i + 1)
        # next to Han or kana there is no word to be inside: APP in 下载了APP以后 is a word
        if ref_edge(pattern[0]) and at > 0 and ref_edge(norm[at - 1]):
            continue
        end = at + len(pattern)
        if stem:
            while end < n and ref_edge(norm[end]):
                end += 1
        elif ref_edge(pattern[-1]) and end < n and ref_edge(norm[end]):
            continue
        found.append((at, end))
    return found


@dataclass(frozen=True)
class Seg:
    start: int
    end: int
    speaker: str | None
    role: str | None


def ref_segment_of(segments: Sequence[Seg], offset: int) -> int:
    for index, seg in enumerate(segments):
        if seg.start <= offset < seg.end:
            return index
    return -1


def ref_allows(rule: Rule, seg: Seg) -> bool:
    if "*" in rule.speakers:
        return True
    wanted = {s.casefold() for s in rule.speakers}
    return (seg.role or "").casefold() in wanted or (seg.speaker or "").casefold() in wanted


def ref_word_index(norm: str, seg: Seg, offset: int) -> int:
    """Index (in the segment) of the word an offset belongs to: words are runs of `\\w`."""
    starts = [m.start() for m in re.finditer(r"\w+", norm[: seg.end]) if m.start() >= seg.start]
    return sum(1 for s in starts if s <= offset) - 1


def reference(
    text: str, segments: Sequence[Seg], rules: Sequence[Rule]
) -> tuple[set[tuple[str, int]], set[tuple[str, int, int, int]]]:
    """(code, segment) pairs coded, and keyword hit spans (rule, segment, start, end)."""
    norm = ref_normalize(text)
    pairs: set[tuple[str, int]] = set()
    spans: set[tuple[str, int, int, int]] = set()
    for rule in rules:
        excluded = {
            ref_segment_of(segments, s)
            for phrase in rule.exclude
            for s, _ in ref_find(norm, phrase)
        }
        if rule.kind == "keywords":
            for keyword in rule.keywords:
                for s, e in ref_find(norm, keyword):
                    seg = ref_segment_of(segments, s)
                    if seg < 0 or seg in excluded or not ref_allows(rule, segments[seg]):
                        continue
                    pairs.add((rule.code_id, seg))
                    spans.add((rule.id, seg, s, e))
        else:
            for seg_no, seg in enumerate(segments):
                if seg_no in excluded or not ref_allows(rule, seg):
                    continue
                positions = []
                for term in rule.near_terms:
                    positions.append(
                        [
                            ref_word_index(norm, seg, s)
                            for s, _ in ref_find(norm, term)
                            if ref_segment_of(segments, s) == seg_no
                        ]
                    )
                if any(not p for p in positions):
                    continue
                # Coded when one occurrence of every term fits in a window of `within` words.
                every = sorted({w for p in positions for w in p})
                for low in every:
                    if all(any(low <= w <= low + rule.near_within for w in p) for p in positions):
                        pairs.add((rule.code_id, seg_no))
                        break
    return pairs, spans


def stored_result(
    text: str, segments: Sequence[Seg], rules: Sequence[Rule]
) -> set[tuple[str, int]]:
    """(code, segment) pairs from the path `qualcode code` stores (both variants), rules checked too."""
    matcher = Matcher(rules)
    views = [SegmentView(s.start, s.end, s.speaker, s.role) for s in segments]
    found = matcher.coded_segments(text, views)  # few hits: plain Python
    matcher.vector_threshold = 0
    assert matcher.coded_segments(text, views) == found  # numpy
    assert found == sorted(found, key=lambda f: (f[0], f[1]))  # the order the file is sorted in
    expected_rules: dict[tuple[str, int], set[str]] = {}
    for i, hits in enumerate(matcher.match(text, views)):
        for h in hits:
            expected_rules.setdefault((h.code_id, i), set()).add(h.rule_id)
    assert {(c, i): set(r) for i, c, r in found} == expected_rules
    assert all(list(r) == sorted(set(r)) for _, _, r in found)
    return {(c, i) for i, c, _ in found}


def engine_result(
    text: str, segments: Sequence[Seg], rules: Sequence[Rule]
) -> tuple[set[tuple[str, int]], set[tuple[str, int, int, int]]]:
    matcher = Matcher(rules)
    views = [SegmentView(s.start, s.end, s.speaker, s.role) for s in segments]
    per_segment = matcher.match(text, views)
    kinds = {r.id: r.kind for r in rules}
    pairs = {(h.code_id, i) for i, hits in enumerate(per_segment) for h in hits}
    spans = {
        (h.rule_id, i, h.start, h.end)
        for i, hits in enumerate(per_segment)
        for h in hits
        if kinds[h.rule_id] == "keywords"
    }
    return pairs, spans


# -- strategies -----------------------------------------------------------------------------------

WORDS = [
    "care",
    "Care",
    "CARE",
    "caring",
    "health",
    "Health",
    "healthcare",
    "café",
    "Café",
    "CAFÉ",
    "cafe",
    "cafe\u0301",
    "naïve",
    "don't",
    "don’t",
    "DON’T",
    "co-op",
    "co‐op",
    "co–op",
    "coop",
    "über",
    "Über",
    "trust",
    "land",
    "é",
    "a",
    "İ",
    "x_y",
    "42",
    "医院care",
    "IŞIK",
    "ışık",
    "ＣＡＲＥ",
    "様々",
    "医院捐赠了",
    "捐赠",
    "ไทย",
]
SEPARATORS = [
    " ",
    " ",
    " ",
    "  ",
    "\n",
    "\n\n",
    ", ",
    ". ",
    "-",
    "’",
    "'",
    "\t",
    "\u00a0",
    "(",
    ")",
]
ALPHABET = "aceéÉhlrtıI ’'-‐\n.,İ\u0301医院捐々Ａｃ"

KEYWORDS = [
    "care",
    "CARE",
    "car*",
    "care*",
    "health care",
    "health  care",
    "health*",
    "healthcare",
    "café",
    "CAFÉ",
    "caf*",
    "cafe",
    "naïve",
    "don't",
    "don’t",
    "co-op",
    "co‐op",
    "co*",
    "über",
    "land trust",
    "land trust*",
    "trust",
    "é",
    "a",
    "x_y",
    "42",
    "care, health",
    "-op",
    "’t",
    "捐赠",
    "医院",
    "care医",
    "ıc",
    "Ｃare",
]


def _variants(keyword: str) -> list[str]:
    """Ways a keyword can appear in text: cased, stemmed, with its spaces as other whitespace."""
    base = keyword.rstrip("*").strip()
    return [base, base.upper(), base.title(), base + "s", base + "é", base.replace(" ", "\n")]


@st.composite
def texts(draw: st.DrawFn, vocabulary: Sequence[str] = ()) -> str:
    """Word salad over WORDS (plus the rules' own keywords), or raw text over a small alphabet."""
    if draw(st.integers(0, 3)) > 0:
        words = st.sampled_from(WORDS)
        if vocabulary:
            words = st.one_of(st.sampled_from(list(vocabulary)), words)
        parts = draw(
            st.lists(st.tuples(words, st.sampled_from(SEPARATORS)), min_size=1, max_size=25)
        )
        return "".join(w + s for w, s in parts)
    return draw(st.text(alphabet=ALPHABET, max_size=60))


keywords = st.one_of(
    st.sampled_from(KEYWORDS),
    st.text(alphabet="aceéhlrt ’'-‐医院ไท", min_size=1, max_size=6)
    .map(lambda s: s + ("*" if len(s) % 3 == 0 else ""))
    .filter(lambda k: keyword_problem(k) is None),
)
SPEAKERS = st.sampled_from(
    [("informant",), ("informant",), ("*",), ("*",), ("interviewer",), ("Ana",), ("ana", "x")]
)


@st.composite
def rules(draw: st.DrawFn) -> list[Rule]:
    found = []
    for number in range(draw(st.integers(1, 4))):
        code = draw(st.sampled_from(["c1", "c2", "c3"]))
        exclude = tuple(draw(st.lists(keywords, max_size=2))) if draw(st.booleans()) else ()
        speakers = draw(SPEAKERS)
        if draw(st.integers(0, 3)) == 0:
            terms = tuple(draw(st.lists(keywords, min_size=2, max_size=3)))
            within = draw(st.integers(1, 8))
            found.append(
                Rule(
                    f"{code}/{number}",
                    code,
                    "near",
                    near_terms=terms,
                    near_within=within,
                    exclude=exclude,
                    speakers=speakers,
                )
            )
        else:
            found.append(
                Rule(
                    f"{code}/{number}",
                    code,
                    "keywords",
                    keywords=tuple(draw(st.lists(keywords, min_size=1, max_size=4))),
                    exclude=exclude,
                    speakers=speakers,
                )
            )
    return found


@st.composite
def segmentations(draw: st.DrawFn, length: int) -> list[Seg]:
    cuts = sorted(set(draw(st.lists(st.integers(0, length), max_size=6))) | {0, length})
    segments = []
    for start, end in itertools.pairwise(cuts):
        if draw(st.integers(0, 7)) == 0:
            continue  # text outside any segment (a label, front matter): never coded
        role = draw(st.sampled_from(["informant", "informant", "interviewer", None]))
        speaker = draw(st.sampled_from(["Ana", "Interviewer", None]))
        segments.append(Seg(start, end, speaker, role))
    return segments


@FAST
@given(data=st.data())
def test_matcher_agrees_with_naive_reference(data: st.DataObject) -> None:
    rule_list = data.draw(rules())
    vocabulary = [
        v
        for rule in rule_list
        for k in (*rule.keywords, *rule.near_terms, *rule.exclude)
        for v in _variants(k)
    ]
    text = data.draw(texts(vocabulary))
    segs = data.draw(segmentations(len(text)))
    expected = reference(text, segs, rule_list)
    assert engine_result(text, segs, rule_list) == expected
    assert stored_result(text, segs, rule_list) == expected[0]


@FAST
@given(text=texts(), keyword=keywords)
def test_every_overlapping_keyword_hit_is_reported(text: str, keyword: str) -> None:
    rule = Rule("c/1", "c", "keywords", keywords=(keyword,), speakers=("*",))
    hits = Matcher([rule]).match_passage(text)
    assert sorted({(h.start, h.end) for h in hits}) == ref_find(ref_normalize(text), keyword)


@FAST
@given(text=texts())
def test_normalize_keeps_every_offset(text: str) -> None:
    norm = normalize(text)
    assert len(norm) == len(text)
    assert norm == ref_normalize(text)


@FAST
@given(text=st.one_of(texts(), st.text(), st.text(alphabet="αβγ δ,.é—a", max_size=5000)))
def test_bounded_text_is_the_text_with_spaces_for_non_word_characters(text: str) -> None:
    """The automaton's view of a text: one space either side, `\\W` characters as spaces."""
    norm = normalize(text)
    expected = " " + "".join(ch if re.match(r"\w", ch) else " " for ch in norm) + " "
    assert bounded_text(norm) == expected


# -- documented semantics by example --------------------------------------------------------------


def hits_of(keyword_list: Sequence[str], text: str, **kwargs: object) -> list[str]:
    rule = Rule("c/1", "c", "keywords", keywords=tuple(keyword_list), speakers=("*",), **kwargs)  # type: ignore[arg-type]
    return [text[h.start : h.end] for h in Matcher([rule]).match_passage(text)]


def test_case_insensitive_whole_words() -> None:
    assert hits_of(["care"], "Care, CARE and care.") == ["Care", "CARE", "care"]
    assert hits_of(["care"], "careful scare caring daycare") == []


def test_unicode_letters_are_word_characters() -> None:
    # 'café' must not hit inside 'cafés', and 'caf' must not hit inside 'café' (ASCII \\b would).
    assert hits_of(["café"], "Café! cafés CAFÉ") == ["Café", "CAFÉ"]
    assert hits_of(["caf"], "café caf") == ["caf"]
    assert hits_of(["über"], "Über-uns über") == ["Über", "über"]


def test_keywords_in_scripts_without_spaces_match_inside_a_run_of_characters() -> None:
    # Chinese, Japanese and Thai have no spaces between words, so no word boundaries to meet
    assert hits_of(["捐赠"], "医院捐赠了诊所后面的土地。") == ["捐赠"]
    assert hits_of(["ボランティア"], "地域のボランティア活動") == ["ボランティア"]
    assert hits_of(["โรงพยาบาล"], "โรงพยาบาลบริจาคที่ดิน") == ["โรงพยาบาล"]
    # an edge in a spaced script still needs its boundary; a Korean keyword too
    assert hits_of(["care医"], "healthcare医院 care医院") == ["care医"]
    assert hits_of(["병원"], "병원이 기부했다 병원 기부") == ["병원"]


def test_curly_apostrophes_and_unicode_hyphens_fold() -> None:
    assert hits_of(["don't"], "I don’t know, I don't") == ["don’t", "don't"]
    assert hits_of(["co-op"], "a co‐op, a co–op, a co-op, a coop") == ["co‐op", "co–op", "co-op"]


def test_stem_extends_to_end_of_word() -> None:
    assert hits_of(["convene*"], "we convened, convenes, reconvene and convene") == [
        "convened",
        "convenes",
        "convene",
    ]
    assert hits_of(["land trust*"], "land trusts and a land truster") == [
        "land trusts",
        "land truster",
    ]


def test_phrases_cross_line_breaks_and_tabs() -> None:
    assert hits_of(["health care"], "health\ncare, Health\tCare, health  care") == [
        "health\ncare",
        "Health\tCare",
    ]


def test_overlapping_hits_all_reported() -> None:
    assert hits_of(["care", "health care"], "health care") == ["health care", "care"]


def test_offsets_survive_characters_that_lowercase_to_two() -> None:
    text = "İstanbul care"
    assert len(normalize(text)) == len(text)
    assert hits_of(["care"], text) == ["care"]
    assert hits_of(["istanbul", "İzmir"], "İSTANBUL and izmir") == ["İSTANBUL", "izmir"]


def test_keyword_problems() -> None:
    assert keyword_problem("   ") == "keyword is empty"
    assert keyword_problem("*") is not None
    assert "only allowed at the end" in (keyword_problem("a*b") or "")
    assert keyword_problem("convene*") is None
    assert normalize_keyword("  Health   CARE*") == ("health care", True)


def test_exclude_drops_the_rules_hits_in_that_segment_only() -> None:
    rule = Rule("c/1", "c", "keywords", keywords=("table",), exclude=("table of contents",))
    text = "See the table of contents. || We sat at the table."
    cut = text.index("||")
    segs = [SegmentView(0, cut, "A", "informant"), SegmentView(cut, len(text), "A", "informant")]
    per_segment = Matcher([rule]).match(text, segs)
    assert per_segment[0] == []
    assert [(text[h.start : h.end], h.rule_id) for h in per_segment[1]] == [("table", "c/1")]


def test_near_either_order_within_n_words() -> None:
    rule = Rule(
        "a/1", "anchor", "near", near_terms=("hospital", "anchor"), near_within=3, speakers=("*",)
    )
    matcher = Matcher([rule])
    assert matcher.match_passage("an anchor is the hospital")  # 3 words apart
    assert not matcher.match_passage("the hospital acts as an anchor")  # 4 apart: too far
    assert not matcher.match_passage("the hospital, which is big, acts as an anchor")
    hits = matcher.match_passage("Anchor: our hospital")
    assert [(h.start, h.end) for h in hits] == [(0, 20)]


def test_speakers_default_to_informant_turns() -> None:
    rule = Rule("c/1", "c", "keywords", keywords=("care",))
    text = "care care care"
    segs = [
        SegmentView(0, 4, "Interviewer", "interviewer"),
        SegmentView(5, 9, "Ana", "informant"),
        SegmentView(10, 14, None, None),
    ]
    assert [len(h) for h in Matcher([rule]).match(text, segs)] == [0, 1, 0]
    by_name = Rule("c/1", "c", "keywords", keywords=("care",), speakers=("ana",))
    assert [len(h) for h in Matcher([by_name]).match(text, segs)] == [0, 1, 0]
    everyone = Rule("c/1", "c", "keywords", keywords=("care",), speakers=("*",))
    assert [len(h) for h in Matcher([everyone]).match(text, segs)] == [1, 1, 1]


def test_hit_codes_the_segment_holding_its_start() -> None:
    rule = Rule("c/1", "c", "keywords", keywords=("health care",), speakers=("*",))
    text = "good health care"
    segs = [SegmentView(0, 12, None, "informant"), SegmentView(12, 16, None, "informant")]
    per_segment = Matcher([rule]).match(text, segs)
    assert [(h.start, h.end) for h in per_segment[0]] == [(5, 16)]
    assert per_segment[1] == []


def test_regex_rules_use_unicode_word_boundaries() -> None:
    rule = Rule("r/1", "r", "regex", regex=r"\bcaf\b", speakers=("*",))
    matcher = Matcher([rule])
    assert matcher.match_passage("un café") == []  # RE2 alone would match 'caf' in 'café'
    assert [(h.start, h.end) for h in matcher.match_passage("caf au lait")] == [(0, 3)]
    case = Matcher([Rule("r/2", "r", "regex", regex=r"\bat the (same )?table\b", speakers=("*",))])
    assert [h.end - h.start for h in case.match_passage("AT THE SAME TABLE")] == [17]


@pytest.mark.parametrize(
    ("kind", "rule", "text", "coded"),
    [
        # RE2's \b, \w and \d know only ASCII: each of these coded nothing (found by a helper)
        ("regex", r"\bmamá\b", "ayudando a mi mamá.", ["mamá"]),
        ("regex", r"\bmamá\b", "mis mamás", []),
        ("regex", r"\bκρίση\b", "η κρίση του 2010", ["κρίση"]),
        ("regex", r"\bécolo\w*", "une approche écologique", ["écologique"]),
        ("regex", r"ırkçı\w*", "Irkçılık da arttı.", ["Irkçılık"]),
        ("regex", r"\d{4}", "عام ٢٠٢٠", ["٢٠٢٠"]),
        ("regex", r"\bfoo\b|\bbar\b", "foobar bar", ["bar"]),
        # on the normalized text, as keywords: curly apostrophe, no-break space
        ("regex", r"l'économie", "L’économie viticole", ["L’économie"]),
        ("regex", r"prix du\s+vin", "le prix du\u00a0vin", ["prix du\u00a0vin"]),
        ("regex", r"\bapp\b", "下载了APP，", ["APP"]),
        # found by a reviewer: classes, \Q...\E, line breaks and escapes kept their meaning
        ("regex", r"[+^]\w+", "a +word b", ["+word"]),
        ("regex", r"[[:alpha:]\w]+", "word_1", ["word_1"]),
        ("regex", r"\Q\w\E", r"a \w b", [r"\w"]),
        ("regex", r"first\nsecond", "first\nsecond", ["first\nsecond"]),
        ("regex", r"(?m)^yes", "no\nyes", ["yes"]),
        ("regex", r"don\x{2019}t", "I don't", ["don't"]),
        ("regex", "ＡＰＰ", "the app", ["app"]),
        ("regex", r"[‐-―]", "a-b", ["-"]),  # folding `‐` would make the range `[--―]`
        ("regex", "co[‑-]op", "co‑op co-op", ["co‑op", "co-op"]),
        ("regex", "[]’]x", "]x ’x 'x", ["]x", "’x", "'x"]),
        # Turkish dotless ı, Latin words and numbers inside Chinese and Japanese, full width, 々
        ("keywords", "ışık", "Işık yoktu, IŞIK da, ışık.", ["Işık", "IŞIK", "ışık"]),
        ("keywords", "app", "疫情期间我们下载了APP，还有", ["APP"]),
        ("keywords", "app", "happy apps", []),
        ("keywords", "line", "事業所とはＬＩＮＥで連絡", ["ＬＩＮＥ"]),
        ("keywords", "2020", "2020年以后", ["2020"]),
        ("keywords", "様々", "利用者さんは様々で", ["様々"]),
        ("keywords", "app*", "下载了APPs以后", ["APPs"]),
    ],
)
def test_words_in_other_scripts_and_regex_classes_are_unicode(
    kind: str, rule: str, text: str, coded: list[str]
) -> None:
    made = (
        Rule("r/1", "r", "regex", regex=rule, speakers=("*",))
        if kind == "regex"
        else Rule("r/1", "r", "keywords", keywords=(rule,), speakers=("*",))
    )
    assert [text[h.start : h.end] for h in Matcher([made]).match_passage(text)] == coded


def test_regex_lookaround_is_rejected_with_hint() -> None:
    with pytest.raises(CodebookError) as info:
        compile_regex(r"(?<=x)y")
    assert "invalid regex" in info.value.message
    assert "lookaround" in (info.value.hint or "")
    with pytest.raises(CodebookError):
        compile_regex("[unclosed")


def test_pathological_regex_runs_in_linear_time() -> None:
    import time

    rule = Rule("r/1", "r", "regex", regex=r"(a+)+$", speakers=("*",))
    matcher = Matcher([rule])
    started = time.perf_counter()
    assert matcher.match_passage("a" * 50_000 + "!") == []
    assert time.perf_counter() - started < 30  # a hang guard: backtracking takes hours


def test_match_with_no_segments_or_no_rules() -> None:
    assert Matcher([]).match("anything", [SegmentView(0, 8)]) == [[]]
    rule = Rule("c/1", "c", "keywords", keywords=("x",))
    assert Matcher([rule]).match("x", []) == []


@pytest.mark.parametrize("transcript_id", ["riverbend-clt", "prairie-health", "eastgate-cwb"])
def test_matcher_agrees_with_reference_on_the_bundled_study(
    bundled_project: Path, transcript_id: str
) -> None:
    from qualcode.project import load_project

    project = load_project(bundled_project)
    rule_list = [r for r in project.codebook.rules if r.kind != "regex"]
    transcript = project.corpus.load(transcript_id)
    segs = [Seg(s.start, s.end, s.speaker, s.role) for s in transcript.segments]
    engine_pairs, engine_spans = engine_result(transcript.text, segs, rule_list)
    assert len(engine_pairs) > 10  # the study's rules do code these interviews
    assert (engine_pairs, engine_spans) == reference(transcript.text, segs, rule_list)


def test_a_stem_in_a_text_that_is_one_long_word() -> None:
    """No non-word character at all: a stem runs to the end of the text (numpy and plain paths)."""
    rule = Rule("c/1", "c", "keywords", keywords=("a*",), speakers=("*",))
    text = "a" * 300
    for threshold in (0, 10**9):
        matcher = Matcher([rule])
        matcher.vector_threshold = threshold
        assert matcher.coded_segments(text, [SegmentView(0, 300)]) == [(0, "c", ("c/1",))]


def stored_codes(keyword: str, text: str) -> list[list[tuple[int, str, tuple[str, ...]]]]:
    """What `coded_segments` gives with the plain loop and with numpy (should be the same)."""
    rule = Rule("c/1", "c", "keywords", keywords=(keyword,), speakers=("*",))
    results = []
    for threshold in (10**9, 0):
        matcher = Matcher([rule])
        matcher.vector_threshold = threshold
        results.append(matcher.coded_segments(text, [SegmentView(0, len(text))]))
    return results


def test_a_combining_mark_after_a_keyword_belongs_to_the_word() -> None:
    """The automaton sees marks as spaces (`\\w` lacks them); the boundary check must not."""
    decomposed = "cafe\u0301 a\u0301"
    assert stored_codes("a", decomposed) == [[], []]
    assert stored_codes("cafe", decomposed) == [[], []]
    assert stored_codes("cafe\u0301", decomposed) == [[(0, "c", ("c/1",))]] * 2


def test_punctuation_in_a_keyword_must_match_itself() -> None:
    """The automaton sees `co-op` and `co op` alike; the hit is checked against the real text."""
    assert stored_codes("co-op", "a co op, a co.op") == [[], []]
    assert stored_codes("co-op", "a co-op") == [[(0, "c", ("c/1",))]] * 2
    assert stored_codes("land trust", "land-trust") == [[], []]
    assert stored_codes("?", "why? because") == [[(0, "c", ("c/1",))]] * 2
    assert stored_codes("?", "no question here") == [[], []]
    hits = Matcher(
        [Rule("c/1", "c", "keywords", keywords=("-op",), speakers=("*",))]
    ).match_passage("co-op, op and -op")
    assert [(h.start, h.end) for h in hits] == [(2, 5), (14, 17)]


def test_re2_any_byte_escape_is_refused() -> None:
    """Found by fuzzing: after \\C, google-re2's spans are no longer character offsets."""
    for pattern in (r"\b\C", r"x\\\Cy"):
        with pytest.raises(CodebookError, match="any byte"):
            compile_regex(pattern)
    compile_regex(r"x\\Cy")  # an escaped backslash, then a plain C
