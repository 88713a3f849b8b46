"""`qualcode check` as a library function: every problem in a project (or in given files), at once.

Each part of a project contributes its own checks: configuration, codebooks (structure, consistency,
rule tests), and, when present, transcripts, metadata and codings.
"""

from __future__ import annotations

import contextlib
import difflib
import glob
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.codebook.load import LoadedCodebook, merge_codebooks, read_codebook
from qualcode.codebook.validate import validate
from qualcode.diagnostics import (
    Diagnostic,
    Severity,
    did_you_mean,
    error,
    sort_diagnostics,
    warning,
)
from qualcode.errors import QualcodeError
from qualcode.project import (
    CONFIG_NAME,
    Project,
    ProjectConfig,
    config_position,
    display_path,
    parse_config,
)
from qualcode.textio import read_text


@dataclass
class CheckReport:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0

    @property
    def unreadable(self) -> bool:
        """A file could not be read at all: that is a usage problem (exit 2), not a finding."""
        return any(d.rule == "unreadable-file" for d in self.diagnostics)

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)


def check_codebooks(loaded: Sequence[LoadedCodebook]) -> list[Diagnostic]:
    found = [d for lb in loaded for d in lb.diagnostics]
    readable = [lb for lb in loaded if lb.readable]
    found += validate(merge_codebooks(readable), readable)
    return found


def check_project(project: Project) -> CheckReport:
    """Config, every codebook and (where they exist) transcripts, metadata and codings."""
    report = CheckReport(list(project.config_diagnostics), files_checked=1)
    paths = project.codebook_paths()
    config_shown = display_path(project.config_path) if project.config_path else CONFIG_NAME
    if not paths:
        report.diagnostics.append(
            error(
                config_shown,
                None,
                "the project loads no codebook",
                "no-codebooks",
                "add YAML files to codebooks/ or list them under `codebooks:` in qualcode.yaml",
            )
        )
    report.diagnostics += _unmatched_codebook_globs(project, config_shown)
    report.diagnostics += _missing_config_paths(project, config_shown)
    loaded = [read_codebook(p, display_path(p)) for p in paths]
    report.files_checked += len(loaded)
    report.diagnostics += check_codebooks(loaded)
    if not any(d.severity is Severity.ERROR for d in report.diagnostics):
        speakers: set[str] = set()
        report.diagnostics += _check_corpus_and_codings(project, speakers)
        report.diagnostics += _unknown_rule_speakers(loaded, speakers)
        report.files_checked += _data_files(project)
    report.diagnostics = sort_diagnostics(report.diagnostics)
    return report


def _data_files(project: Project) -> int:
    """Transcripts, the metadata CSV and codings files, for the summary line's file count."""
    try:
        count = len(project.corpus.ids)
    except QualcodeError:
        return 0
    if project.metadata_path.is_file():
        count += 1
    return count + sum(1 for _ in project.codings_dir.glob("*/*.jsonl"))


def _unmatched_codebook_globs(project: Project, config_shown: str) -> list[Diagnostic]:
    """A `codebooks:` glob written in qualcode.yaml that matches no file (a typo, a moved folder)."""
    if project.config.codebooks == ProjectConfig().codebooks or project.config_path is None:
        return []  # the defaults (*.yaml and *.yml) need not both match
    try:
        lines = read_text(project.config_path, max_bytes=1_000_000).split("\n")
    except QualcodeError:
        lines = []
    found = []
    for pattern in project.config.codebooks:
        # glob.glob, not Path.glob: a pattern may be absolute
        if not glob.has_magic(pattern) or glob.glob(str(project.root / pattern), recursive=True):  # noqa: PTH207
            continue  # a plain missing file is reported as unreadable
        pos = next(
            ((i, line.index(pattern) + 1) for i, line in enumerate(lines, 1) if pattern in line),
            None,
        )
        found.append(
            warning(
                config_shown,
                pos,
                f"codebook pattern {pattern!r} matches no file",
                "config",
                "fix the pattern under `codebooks:` or remove it",
            )
        )
    return found


def _missing_config_paths(project: Project, config_shown: str) -> list[Diagnostic]:
    """A transcripts folder or metadata CSV set in qualcode.yaml that does not exist.

    Only paths that differ from the defaults: a codebook-only project (no transcripts/ folder, as
    `qualcode init` writes the default paths out) still checks clean.
    """
    defaults = ProjectConfig()
    config = project.config
    found = []
    folder = config.transcripts_folder
    if _explicit(folder, defaults.transcripts_folder) and not project.transcripts_dir.is_dir():
        found.append(
            error(
                config_shown,
                config_position(project, "transcripts", "folder"),
                _missing_message("transcripts folder", folder, project.transcripts_dir, "folder"),
                "config",
                "create the folder, or fix `transcripts.folder` in qualcode.yaml "
                "(relative to the folder holding qualcode.yaml)",
            )
        )
    metadata = config.metadata_csv
    if _explicit(metadata, defaults.metadata_csv) and not project.metadata_path.is_file():
        found.append(
            warning(
                config_shown,
                config_position(project, "transcripts", "metadata"),
                _missing_message("metadata file", metadata, project.metadata_path, "file"),
                "config",
                "create the CSV (columns: id, ...), fix `transcripts.metadata` in qualcode.yaml, "
                "or remove the line",
            )
        )
    return found


def _explicit(value: str, default: str) -> bool:
    return os.path.normpath(value) != os.path.normpath(default)


def _missing_message(what: str, written: str, path: Path, kind: str) -> str:
    """'... does not exist', with a did-you-mean among its siblings (e.g. a case difference)."""
    if path.exists():
        return f"{what} {written!r} is not a {kind}"
    siblings: list[str] = []
    with contextlib.suppress(OSError):
        siblings = [
            p.name
            for p in path.parent.iterdir()
            if (p.is_dir() if kind == "folder" else p.is_file()) and not p.name.startswith(".")
        ]
    same_but_case = [name for name in siblings if name.casefold() == path.name.casefold()]
    suggestion = ""
    if same_but_case:
        suggestion = same_but_case[0]
    elif match := difflib.get_close_matches(path.name, siblings, n=1, cutoff=0.6):
        suggestion = match[0]
    message = f"{what} {written!r} does not exist"
    if suggestion:
        head, _, _ = written.replace("\\", "/").rstrip("/").rpartition("/")
        message += f" (did you mean {(head + '/' if head else '') + suggestion!r}?)"
    return message


def _unknown_rule_speakers(
    loaded: Sequence[LoadedCodebook], speakers: set[str]
) -> list[Diagnostic]:
    """A rule's `speakers:` value that is no role and nobody's label: the rule never codes.

    `speakers: [interviwer]` was accepted silently, and its code was never applied. Only said
    when there are transcripts to know the speakers from.
    """
    from qualcode.codebook.model import ANY_SPEAKER
    from qualcode.textio import fold
    from qualcode.transcripts import INFORMANT, INTERVIEWER

    if not speakers:
        return []
    # each label once whatever its case, as a transcript writes it; the roles as roles
    by_key = {INTERVIEWER: INTERVIEWER, INFORMANT: INFORMANT}
    for label in sorted(speakers):
        by_key.setdefault(fold(label), label)
    labels = [by_key[k] for k in sorted(by_key)]
    known = {ANY_SPEAKER, *by_key}
    found = []
    for book in loaded:
        for code in book.codes:
            for rule in code.rules:
                for i, value in enumerate(rule.speakers):
                    if fold(value) in known:
                        continue
                    pos = book.field_positions.get((rule.id, f"speakers.{i}"))
                    found.append(
                        warning(
                            book.path,
                            pos,
                            f"rule {rule.id!r}: speaker {value!r} is not a role and speaks in no "
                            f"transcript{did_you_mean(value, labels)}, "
                            "so it selects no turn",
                            "unknown-speaker",
                            "use interviewer, informant, * (everyone) or a speaker's label as "
                            "`qualcode transcripts` lists it",
                        )
                    )
    return found


def _check_corpus_and_codings(project: Project, speakers: set[str]) -> list[Diagnostic]:
    """Transcripts, metadata and codings; hook for the modules that own them."""
    if not project.transcripts_dir.is_dir():
        return []
    from qualcode.transcripts import check_corpus

    found = check_corpus(project, speakers)
    if project.codings_dir.is_dir():
        from qualcode.store import check_codings

        found += check_codings(project)
    return found


def check_paths(paths: Sequence[Path]) -> CheckReport:
    """Check the given files: qualcode.yaml files as config, anything else as a codebook."""
    report = CheckReport()
    books = []
    for path in paths:
        shown = display_path(path)
        if path.name == CONFIG_NAME and path.is_file():
            report.files_checked += 1
            try:
                text = read_text(path, max_bytes=1_000_000, what="qualcode.yaml")
            except Exception as exc:  # InputFileError: reported like any unreadable file
                report.diagnostics.append(error(shown, None, str(exc), "unreadable-file"))
                continue
            config, found = parse_config(text, shown)
            report.diagnostics += found
            config_file = Project(root=path.parent, config=config, config_path=path)
            report.diagnostics += _missing_config_paths(config_file, shown)
            continue
        if path.is_dir():
            found = sorted(  # not a tool's own dotfile (`.pre-commit-hooks.yaml`)
                p for p in [*path.glob("*.yaml"), *path.glob("*.yml")] if not p.name.startswith(".")
            )
            if not found:
                report.diagnostics.append(
                    error(
                        shown,
                        None,
                        "is a directory with no .yaml files",
                        "unreadable-file",
                        "pass codebook files, or a folder containing them",
                    )
                )
            books += [read_codebook(p, display_path(p)) for p in found]
            continue
        if path.suffix.lower() not in (".yaml", ".yml") and path.is_file():
            # a transcript or an exported file read as YAML gave a baffling syntax error
            report.files_checked += 1
            report.diagnostics.append(
                error(
                    shown,
                    None,
                    "is not a codebook (.yaml) or qualcode.yaml",
                    "unreadable-file",
                    "`qualcode check` with no file checks the whole project, transcripts too; "
                    "a codebook from another tool is read by `qualcode codebook import`",
                )
            )
            continue
        books.append(read_codebook(path, shown))
    report.files_checked += len(books)
    report.diagnostics += check_codebooks(books)
    report.diagnostics = sort_diagnostics(report.diagnostics)
    return report
