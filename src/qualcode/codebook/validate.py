"""Consistency checks across all loaded codebooks (what `qualcode check` adds to structure).

Structure (keys, types, slugs) is checked while loading; here we check what needs the whole picture:
ids across files, sibling names, regexes, and whether each code's rules do what its own examples and
counterexamples say they should.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from qualcode.codebook.load import LoadedCodebook
from qualcode.codebook.model import Code, Codebook, Rule
from qualcode.diagnostics import Diagnostic, error, warning
from qualcode.engine import Matcher, compile_regex, normalize_keyword
from qualcode.errors import CodebookError


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validate(
    codebook: Codebook, loaded: Sequence[LoadedCodebook], *, examples: bool = True
) -> list[Diagnostic]:
    """Every cross-cutting problem of the codebook; `examples=False` skips the (slower) rule tests."""
    positions: dict[tuple[str, str], tuple[int, int]] = {}
    for lb in loaded:
        positions.update(lb.field_positions)
    found: list[Diagnostic] = []
    found += _duplicate_ids(codebook)
    found += _duplicate_sibling_names(codebook, positions)
    valid_rules = []
    for rule in codebook.rules:
        owner = codebook.by_id.get(rule.code_id)
        if owner is not None and not owner.codable:
            # a `rules:` block dedented one step lands on the parent group, and stays valid YAML
            found.append(
                error(
                    rule.location.path,
                    _pos(rule),
                    f"code {rule.code_id!r} is a group (codable: false) but has rule {rule.id}: "
                    "it would propose a code nobody may apply",
                    "invalid-rule",
                    "is the `rules:` block indented under the right code? Otherwise move the rule "
                    "to one of the group's children, or make the code codable",
                )
            )
            continue
        terms = [normalize_keyword(t)[0] for t in rule.near_terms]
        if len(set(terms)) < len(terms):
            twice = next(t for t in terms if terms.count(t) > 1)
            found.append(
                error(
                    rule.location.path,
                    _pos(rule),
                    f"near term {twice!r} is given twice (rule {rule.id}): one mention of it "
                    "would meet both",
                    "invalid-rule",
                    "for a word that must occur twice, use a regex; otherwise give it once",
                )
            )
            continue
        if rule.kind == "regex" and rule.regex is not None:
            where = positions.get((rule.id, "regex"), _pos(rule))
            if not rule.regex.strip():
                found.append(
                    error(
                        rule.location.path,
                        where,
                        f"empty regex (rule {rule.id}): it would never match",
                        "invalid-regex",
                        "write a pattern, or remove the rule",
                    )
                )
                continue
            try:
                compiled = compile_regex(rule.regex)
                if _matches_empty(compiled):
                    # An empty match codes nothing, but one is found at every character: `x*`
                    # took 7 s a megabyte, a nested one minutes per transcript.
                    shown = rule.regex if len(rule.regex) <= 80 else rule.regex[:77] + "..."
                    found.append(
                        error(
                            rule.location.path,
                            where,
                            f"regex '{shown}' also matches empty text (rule {rule.id}), so it "
                            "would be tried at every character of every transcript",
                            "invalid-regex",
                            "make it need at least one character: replace * with + (or ? with a "
                            "word it must contain; `\\b` alone is a position, not text)",
                        )
                    )
                    continue
            except CodebookError as exc:
                found.append(
                    error(
                        rule.location.path,
                        positions.get((rule.id, "regex"), _pos(rule)),
                        f"{exc.message} (rule {rule.id})",
                        "invalid-regex",
                        exc.hint or "",
                    )
                )
                continue
        valid_rules.append(rule)
    found += _shared_keywords(codebook, positions)
    found += _self_excluded(codebook, positions)
    if examples:
        found += _example_tests(codebook, valid_rules, positions)
    return found


# Texts on which a pattern that can match nothing shows it: `x*` on "", `\b` or `$` beside a
# word, `\B` between letters, `(?m)^` after a line break.
_EMPTY_PROBES = ("", "a", "ab", " a. ", "é", "1\n2")


def _matches_empty(compiled: Any) -> bool:
    return any(m.start() == m.end() for probe in _EMPTY_PROBES for m in compiled.finditer(probe))


def _pos(rule: Rule) -> tuple[int, int]:
    return (rule.location.line, rule.location.column)


def _code_pos(code: Code) -> tuple[int, int]:
    return (code.location.line, code.location.column)


def _duplicate_ids(codebook: Codebook) -> list[Diagnostic]:
    first: dict[str, Code] = {}
    found = []
    for code in codebook.codes:
        if code.id in first:
            other = first[code.id]
            where = (
                f"line {other.location.line}"
                if other.location.path == code.location.path
                else f"{other.location.path}:{other.location.line}"
            )
            found.append(
                error(
                    code.location.path,
                    _code_pos(code),
                    f"code id {code.id!r} is defined twice (first at {where})",
                    "duplicate-id",
                    "ids must be unique across every codebook the project loads: rename one",
                )
            )
        else:
            first[code.id] = code
    return found


def _duplicate_sibling_names(
    codebook: Codebook, positions: dict[tuple[str, str], tuple[int, int]]
) -> list[Diagnostic]:
    found = []
    siblings: dict[tuple[str, str | None], dict[str, Code]] = defaultdict(dict)
    for code in codebook.codes:
        group = siblings[(code.codebook_id if code.parent_id is None else "", code.parent_id)]
        key = code.name.casefold()
        if key in group and group[key].id != code.id:
            found.append(
                error(
                    code.location.path,
                    positions.get((code.id, "name"), _code_pos(code)),
                    f"name {code.name!r} of code {code.id!r} is also used by sibling "
                    f"{group[key].id!r} (line {group[key].location.line})",
                    "duplicate-name",
                    "give sibling codes distinct names",
                )
            )
        else:
            group.setdefault(key, code)
    return found


def _shared_keywords(
    codebook: Codebook, positions: dict[tuple[str, str], tuple[int, int]]
) -> list[Diagnostic]:
    owners: dict[tuple[str, bool], Rule] = {}
    found = []
    for rule in codebook.rules:
        for i, keyword in enumerate(rule.keywords):
            key = normalize_keyword(keyword)
            other = owners.get(key)
            if other is None:
                owners[key] = rule
            elif other.code_id != rule.code_id:
                found.append(
                    warning(
                        rule.location.path,
                        positions.get((rule.id, f"keywords.{i}"), _pos(rule)),
                        f"keyword {keyword!r} of code {rule.code_id!r} is also a keyword of "
                        f"code {other.code_id!r} ({other.location.path}:{other.location.line})",
                        "shared-keyword",
                        "a shared keyword codes both; keep it in one code or make it more specific",
                    )
                )
    return found


def _self_excluded(
    codebook: Codebook, positions: dict[tuple[str, str], tuple[int, int]]
) -> list[Diagnostic]:
    found = []
    for rule in codebook.rules:
        if not rule.exclude:
            continue
        probe = Matcher(
            [Rule("probe", "probe", "keywords", keywords=rule.exclude, speakers=("*",))]
        )
        for i, keyword in enumerate(rule.keywords):
            text, _ = normalize_keyword(keyword)
            if probe.match_passage(text):
                found.append(
                    warning(
                        rule.location.path,
                        positions.get((rule.id, f"keywords.{i}"), _pos(rule)),
                        f"keyword {keyword!r} of rule {rule.id} contains one of the rule's own "
                        "exclude phrases, so it can never code anything",
                        "self-excluded-rule",
                        "remove the keyword or narrow the exclude phrase",
                    )
                )
    return found


def _example_tests(
    codebook: Codebook, rules: Sequence[Rule], positions: dict[tuple[str, str], tuple[int, int]]
) -> list[Diagnostic]:
    by_code: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        by_code[rule.code_id].append(rule)
    found = []
    for code in codebook.codes:
        code_rules = by_code.get(code.id)
        if not code_rules:
            continue
        # Examples stand for what the rules are meant to catch, so speaker filters do not apply.
        matcher = Matcher([_any_speaker(r) for r in code_rules])
        for i, example in enumerate(code.examples):
            if not matcher.match_passage(example):
                found.append(
                    error(
                        code.location.path,
                        positions.get((code.id, f"examples.{i}"), _code_pos(code)),
                        f"example {i + 1} of code {code.id!r} is not coded by its rules: "
                        f"{_short(example)!r}",
                        "example-not-coded",
                        "add a keyword that this passage contains, or revise the example",
                    )
                )
        for i, counter in enumerate(code.counterexamples):
            hits = matcher.match_passage(counter)
            if hits:
                culprit = counter[hits[0].start : hits[0].end]
                found.append(
                    error(
                        code.location.path,
                        positions.get((code.id, f"counterexamples.{i}"), _code_pos(code)),
                        f"counterexample {i + 1} of code {code.id!r} is coded by rule "
                        f"{hits[0].rule_id} (matched {culprit!r})",
                        "counterexample-coded",
                        "make the keyword more specific or add an exclude phrase",
                    )
                )
    return found


def _any_speaker(rule: Rule) -> Rule:
    from dataclasses import replace

    return replace(rule, speakers=("*",))
