"""`qualcode codebook ...`: look at a codebook, export it for a paper or another tool, import one."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.app import codebook_app
from qualcode.cli.options import CodebookOpt, OutputOpt, ProjectOpt, load_codebook


@codebook_app.command(
    epilog="Example: `qualcode codebook tree` or "
    "`qualcode codebook tree -b codebooks/backbone-practices.yaml`."
)
def tree(project: ProjectOpt = None, codebook: CodebookOpt = None) -> None:
    """Show the code hierarchy with the number of rules and examples of each code."""
    from rich.tree import Tree

    from qualcode.cli.output import stdout_console

    book = load_codebook(project, codebook)
    console = stdout_console()
    for info in book.books:
        title = f"[bold]{info.title or info.id}[/bold] ({info.id} {info.version})".rstrip()
        root = Tree(title)
        nodes = {}
        for code in book.codes:
            if code.codebook_id != info.id:
                continue
            if code.codable:
                label = (
                    f"[bold]{code.name}[/bold] [dim]{code.id}[/dim]  "
                    f"{len(code.rules)} rule{'s' if len(code.rules) != 1 else ''}, "
                    f"{len(code.examples)} example{'s' if len(code.examples) != 1 else ''}"
                )
            else:
                label = f"[bold]{code.name}[/bold] [dim]{code.id} (group)[/dim]"
            parent = nodes.get(code.parent_id, root)
            nodes[code.id] = parent.add(label)
        console.print(root)


class CodebookFormat(StrEnum):
    csv = "csv"
    md = "md"
    qdc = "qdc"


@codebook_app.command(
    name="export",
    epilog="Examples: `qualcode codebook export --format md > appendix.md`; "
    "`qualcode codebook export --format qdc -o study.qdc` (REFI-QDA, for NVivo/ATLAS.ti/MAXQDA).",
)
def export_codebook(
    output_format: Annotated[
        CodebookFormat,
        typer.Option("--format", "-f", help="csv, md (appendix table) or qdc (REFI-QDA)."),
    ] = CodebookFormat.csv,
    output: OutputOpt = None,
    project: ProjectOpt = None,
    codebook: CodebookOpt = None,
) -> None:
    """Export the codebook as a table for a paper's appendix, or as REFI-QDA for other QDA tools."""
    from qualcode.cli.output import output_stream
    from qualcode.codebook.table import CODEBOOK_COLUMNS, codebook_rows
    from qualcode.export import write_csv, write_markdown

    book = load_codebook(project, codebook)
    if output is not None:
        _refuse_codebook_input(output, project, codebook)
    if output_format is CodebookFormat.qdc:
        from qualcode.refi import codebook_to_qdc

        with output_stream(output) as out:
            out.write(codebook_to_qdc(book))
    else:
        rows = codebook_rows(book)
        with output_stream(output) as out:
            if output_format is CodebookFormat.csv:
                write_csv(rows, CODEBOOK_COLUMNS, out)
            else:
                write_markdown(rows, CODEBOOK_COLUMNS, out)
    if output is not None:
        print(f"wrote {output}", file=sys.stderr)


def _refuse_codebook_input(output: Path, project: Path | None, codebook: list[Path] | None) -> None:
    """`codebook export -o codebooks/x.yaml` replaced the codebook with its own table."""
    from qualcode.errors import QualcodeError, UsageError
    from qualcode.project import load_project, refuse_project_input

    if any(output.resolve() == c.resolve() for c in codebook or ()):
        raise UsageError(
            f"-o {str(output)!r} is the codebook being exported",
            hint="write the export to another file",
        )
    try:
        proj = load_project(project or Path.cwd())
    except QualcodeError:
        return  # no project here: nothing of one to overwrite
    refuse_project_input(proj, output)
