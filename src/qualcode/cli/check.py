"""`qualcode check` and `qualcode schema`."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.app import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, app
from qualcode.cli.options import ProjectOpt


class CheckFormat(StrEnum):
    text = "text"
    github = "github"
    json = "json"


@app.command(
    epilog="Examples: `qualcode check --strict` (in CI); "
    "`qualcode check codebooks/backbone-practices.yaml`; `qualcode check --format github`.",
)
def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Codebook or qualcode.yaml files to check, or a project folder (default: the "
            "whole project).",
            show_default=False,
        ),
    ] = None,
    project: ProjectOpt = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail (exit 1) on warnings too.")
    ] = False,
    output_format: Annotated[
        CheckFormat,
        typer.Option("--format", "-f", help="text, github (workflow annotations) or json."),
    ] = CheckFormat.text,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary line on stderr.")
    ] = False,
) -> None:
    """Check the project (config, codebooks, transcripts, codings) and report every problem.

    One line per problem, `path:line:col: severity: message [rule-id]`, sorted; a summary on stderr.
    Exit 0 when clean (warnings allowed), 1 when errors are found (or warnings with --strict),
    2 when an input cannot be read.
    """
    from qualcode import diagnostics as diag
    from qualcode.check import check_paths, check_project
    from qualcode.project import CONFIG_NAME, load_project

    if paths and len(paths) == 1 and (paths[0] / CONFIG_NAME).is_file():
        project, paths = paths[0], None  # `qualcode check .`: the project in that folder
    report = (
        check_paths(paths)
        if paths
        else check_project(load_project(project or Path.cwd(), strict=False))
    )
    writer = {
        CheckFormat.text: diag.write_text,
        CheckFormat.github: diag.write_github,
        CheckFormat.json: diag.write_json,
    }[output_format]
    writer(report.diagnostics, sys.stdout)
    if not quiet:
        print(diag.summary_line(report.diagnostics, report.files_checked), file=sys.stderr)
    if report.unreadable:
        raise typer.Exit(EXIT_USAGE)
    if report.errors or (strict and report.warnings):
        raise typer.Exit(EXIT_FINDINGS)
    raise typer.Exit(EXIT_OK)


@app.command(epilog="Example: `qualcode schema > schema/codebook.schema.json`.")
def schema() -> None:
    """Print the JSON Schema of the codebook format (for editors and other tools)."""
    import sys

    from qualcode.scaffold import schema_text

    sys.stdout.write(schema_text())
