"""The project's own exception hierarchy.

Every error a user can cause is one of these. Each carries where the problem is (file, line, column,
1-based) and a hint saying what to do, so the CLI can turn it into a one-line message and an exit code
in exactly one place, without a traceback.
"""

from __future__ import annotations

from pathlib import Path


class QualcodeError(Exception):
    """Base class: a problem in the user's input or environment, not a bug in qualcode."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.hint = hint

    def location(self) -> str:
        """`path:line:col` as far as known (empty when there is no file)."""
        if self.path is None:
            return ""
        parts = [self.path]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class UsageError(QualcodeError):
    """The command line asked for something that does not exist (unknown attribute, coder, code)."""


class ConfigError(QualcodeError):
    """qualcode.yaml is missing, unreadable or inconsistent."""


class InputFileError(QualcodeError):
    """A file could not be read as text: missing, a directory, binary, bad encoding, too large."""


class YamlError(QualcodeError):
    """A YAML file is malformed or unsafe (syntax error, alias bomb, python tags, too deep)."""


class CodebookError(QualcodeError):
    """A codebook is structurally invalid (wrong types, missing ids) so it cannot be used at all."""


class TranscriptError(QualcodeError):
    """A transcript or its metadata cannot be used."""


class StoreError(QualcodeError):
    """A codings file is corrupt, locked or cannot be written."""


class AgreementError(QualcodeError):
    """Agreement statistics cannot be computed from the given data."""


class InterchangeError(QualcodeError):
    """A file from another QDA tool (REFI-QDA, CSV codebook) cannot be imported."""


class FindingsError(QualcodeError):
    """Not a crash: the command ran and found problems (check errors, agreement below threshold)."""

    exit_code = 1


def warn(message: str) -> None:
    """A UserWarning shown at the caller's own line (a notebook cell's), not at the line of
    qualcode that noticed: Python shows a warning's file and line, and pytest.warns and
    `warnings.filterwarnings` work on it as on any other."""
    import sys
    import warnings

    level, frame = 2, sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("qualcode"):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)
