"""`qualcode export summary`: the bundle of tables for a paper."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.app import export_app
from qualcode.cli.options import CoderOpt, ProjectOpt, QuietOpt


class BundleFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    md = "md"
    latex = "latex"


@export_app.command(
    name="summary",
    epilog="Examples: `qualcode export summary -o results/`; "
    "`qualcode export summary -o results/ --by partnership_type --format xlsx`.",
)
def export_summary_command(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the files into.")],
    by: Annotated[
        list[str] | None,
        typer.Option(
            "--by",
            help="Grouping attribute (repeatable; default: those declared in qualcode.yaml).",
        ),
    ] = None,
    output_format: Annotated[
        BundleFormat,
        typer.Option("--format", "-f", help="csv, xlsx (one workbook), md or latex (booktabs)."),
    ] = BundleFormat.csv,
    per_group: Annotated[int, typer.Option("--per-group", help="Quotes per code and group.")] = 3,
    status: Annotated[str, typer.Option("--status", help="default, reviewed or all.")] = "default",
    coder: CoderOpt = None,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write tallies (wide per grouping and tidy long), quotes, codebook, co-occurrence and a MANIFEST.

    Same inputs give byte-identical files. Cells a spreadsheet would run as formulas are neutralized.
    """

    from qualcode.bundle import export_summary
    from qualcode.cli.output import warnings_to_stderr
    from qualcode.project import load_project, refuse_project_input

    proj = load_project(project or Path.cwd())
    refuse_project_input(proj, output)
    command = _command_without_output(sys.argv[1:]) if "qualcode" in sys.argv[0] else ""
    with warnings_to_stderr():
        written = export_summary(
            proj,
            output,
            by=by or [],
            output_format=output_format.value,
            coder=coder,
            status=status,
            per_group=per_group,
            command=command or "qualcode export summary",
        )
    if not quiet:
        for path in written:
            print(f"wrote {path}", file=sys.stderr)


def _command_without_output(args: list[str]) -> str:
    """The command line for the MANIFEST, minus where the project and output are, and `-q`: the
    same study exported from another folder gives the same MANIFEST."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in ("-o", "--output", "-p", "--project"):
            skip = True
            continue
        if arg.startswith(("--output=", "--project=")) or arg in ("-q", "--quiet"):
            continue
        kept.append(arg)
    return " ".join(["qualcode", *kept])
