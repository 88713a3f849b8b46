"""Findings of `qualcode check`: one problem, one line, a stable rule id.

Shaped like ruff's: `path:line:col: severity: message [rule-id]`, sortable, and renderable as GitHub
workflow annotations or JSON, so CI and editors can consume them.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TextIO


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


# Every rule qualcode check can report, with the one-line explanation shown in the docs.
RULES: dict[str, str] = {
    "unreadable-file": "a file is missing, a directory, binary, not UTF-8/UTF-16, or too large",
    "yaml-syntax": "the YAML cannot be parsed (tabs, bad indentation, unclosed quotes...)",
    "yaml-unsafe": "unsafe or unsupported YAML: python tags, alias bombs, merge keys, deep nesting",
    "duplicate-key": "a mapping repeats a key (YAML would silently keep only the last)",
    "not-a-mapping": "the file's top level is empty, a list or a scalar instead of a mapping",
    "unknown-key": "a key qualcode does not know (typo?); a did-you-mean is offered",
    "missing-field": "a required field is absent",
    "wrong-type": "a field has the wrong type (e.g. a string where a list is expected)",
    "invalid-id": "an id is not a slug (lowercase letters, digits and single hyphens)",
    "duplicate-id": "two codes share an id, in the same or different codebook files",
    "duplicate-name": "two sibling codes share a name",
    "missing-definition": "a codable code has no definition",
    "bad-color": "a color is not #rgb or #rrggbb",
    "invalid-keyword": "a keyword is empty or has '*' anywhere but at its end",
    "invalid-regex": (
        "a regex does not compile, uses a feature the linear-time engine lacks, or matches "
        "empty text"
    ),
    "invalid-rule": "a rule has none or several of keywords/regex/near, or bad near/speakers",
    "example-not-coded": "an example passage is not coded by its own code's rules",
    "counterexample-coded": "a counterexample passage is coded by its own code's rules",
    "shared-keyword": "the same keyword appears in rules of two codes (warning)",
    "self-excluded-rule": "a keyword contains one of its rule's exclude phrases, so never hits (warning)",
    "unknown-speaker": (
        "a rule's `speakers:` value is no role and speaks in no transcript, so the rule codes "
        "nothing (warning)"
    ),
    "no-codebooks": "the project loads no codebook",
    "config": (
        "qualcode.yaml is inconsistent or unusable: a codebook glob matching nothing, a "
        "`transcripts.folder` that does not exist (error) or a `transcripts.metadata` file that "
        "does not exist (warning), a default `coder` that cannot be a folder name, an unknown "
        "`transcripts.encoding`"
    ),
    "undeclared-value": "a metadata value is not among the values declared in qualcode.yaml",
    "metadata-orphan": "a metadata.csv row names a transcript that does not exist",
    "missing-metadata": "a transcript has no metadata (no front matter and no CSV row) (warning)",
    "metadata-conflict": "front matter and metadata.csv disagree on a value",
    "transcript": "a transcript problem: empty, no speaker labels, duplicate id (see message)",
    "stale-coding": "codings were made on an earlier version of the transcript's text",
    "coding-unknown-code": "a codings file uses a code id that no loaded codebook defines",
    "codings-file": "a codings file is corrupt or does not match its transcript",
}


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One finding. Field order is the sort order: by file, then position."""

    path: str
    line: int
    column: int
    severity: Severity
    message: str
    rule: str
    hint: str = ""

    def to_text(self) -> str:
        loc = self.path
        if self.line:
            loc += f":{self.line}:{self.column or 1}"
        text = f"{loc}: {self.severity}: {self.message} [{self.rule}]"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


def error(
    path: str, pos: tuple[int, int] | None, message: str, rule: str, hint: str = ""
) -> Diagnostic:
    line, col = pos or (0, 0)
    return Diagnostic(path, line, col, Severity.ERROR, message, rule, hint)


def warning(
    path: str, pos: tuple[int, int] | None, message: str, rule: str, hint: str = ""
) -> Diagnostic:
    line, col = pos or (0, 0)
    return Diagnostic(path, line, col, Severity.WARNING, message, rule, hint)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close match exists, else ''. Case is ignored: `clt` is
    close to `CLT`, which a plain comparison finds nothing alike."""
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.casefold(), choice)
    matches = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.6)
    return f" (did you mean {by_folded[matches[0]]!r}?)" if matches else ""


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable, deterministic order with exact duplicates removed."""
    return sorted(set(diagnostics))


def summary_line(diagnostics: Sequence[Diagnostic], files_checked: int) -> str:
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = len(diagnostics) - errors
    files = f"{files_checked} file{'s' if files_checked != 1 else ''}"
    if not diagnostics:
        return f"All checks passed ({files})."
    return (
        f"Found {errors} error{'s' if errors != 1 else ''} and "
        f"{warnings} warning{'s' if warnings != 1 else ''} ({files} checked)."
    )


def write_text(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    for diagnostic in diagnostics:
        out.write(diagnostic.to_text() + "\n")


def _github_escape(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def write_github(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    """GitHub Actions workflow commands: annotations on the pull request's diff."""
    for d in diagnostics:
        props = [f"file={d.path}"]
        if d.line:
            props += [f"line={d.line}", f"col={d.column or 1}"]
        props.append(f"title={d.rule}")
        message = d.message + (f" ({d.hint})" if d.hint else "")
        out.write(f"::{d.severity.value} {','.join(props)}::{_github_escape(message)}\n")


def write_json(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    payload = [{**asdict(d), "severity": d.severity.value} for d in diagnostics]
    json.dump(payload, out, indent=2, ensure_ascii=False)
    out.write("\n")
