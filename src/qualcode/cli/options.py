"""Options shared by many commands, declared once (habit: consistent flags everywhere)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

ProjectOpt = Annotated[
    Path | None,
    typer.Option(
        "--project",
        "-p",
        help="Project folder (default: the nearest folder with qualcode.yaml, walking up).",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write to this file instead of stdout.", show_default=False
    ),
]
CoderOpt = Annotated[
    str | None,
    typer.Option(
        "--coder", "-c", help="Coder whose codings to use (default from qualcode.yaml, else auto)."
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary on stderr.")]


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


CodebookOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--codebook",
        "-b",
        help="Codebook file to use instead of the project's (repeatable).",
        show_default=False,
    ),
]

LevelOpt = Annotated[
    int | None,
    typer.Option("--level", help="Show codes down to this depth (0 = top), rolling children up."),
]
CodesOpt = Annotated[
    str | None,
    typer.Option("--codes", help="Comma-separated code ids to show (each counts its children)."),
]


def load_codebook(project: Path | None, codebook_files: list[Path] | None):  # type: ignore[no-untyped-def]
    """The codebook named by --codebook files, else the project's."""
    if codebook_files:
        from qualcode.codebook.load import load_codebook_files
        from qualcode.project import display_path

        return load_codebook_files(codebook_files, display=display_path)
    from qualcode.project import load_project

    return load_project(project or Path.cwd()).codebook
