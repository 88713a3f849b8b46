"""`qualcode report` (one self-contained HTML file) and `qualcode plot` (figures for a paper)."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.app import app
from qualcode.cli.options import CoderOpt, CodesOpt, LevelOpt, OutputOpt, ProjectOpt, QuietOpt
from qualcode.cli.output import warnings_to_stderr

ReportByOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        help="Metadata attribute to group by (repeatable; default: partnership_type when the "
        "project has it, else the first attribute declared in qualcode.yaml, else no grouping).",
        show_default=False,
    ),
]
StatusOpt = Annotated[
    str,
    typer.Option(
        "--status",
        help="Which codings count: default (not rejected), reviewed (accepted only) or all.",
    ),
]


class PlotKind(StrEnum):
    heatmap = "heatmap"
    frequencies = "frequencies"
    cooccur = "cooccur"


def _project(project: Path | None):  # type: ignore[no-untyped-def]
    from qualcode.project import load_project

    return load_project(project or Path.cwd())


@app.command(
    epilog="Examples: `qualcode code && qualcode report -o report.html`; "
    "`qualcode report -o report.html --by model --per-group 1 --status reviewed`; "
    "`qualcode report --coder alice > alice.html`.",
)
def report(
    output: OutputOpt = None,
    by: ReportByOpt = None,
    per_group: Annotated[
        int, typer.Option("--per-group", "-n", help="Quotes per code and group.")
    ] = 2,
    status: StatusOpt = "default",
    coder: CoderOpt = None,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write one self-contained HTML report: code x group heatmap, frequencies, co-occurrence,
    intercoder agreement (with two or more coders) and exemplar quotes with citations.

    The file needs no network and no JavaScript (mail it, archive it, print it); the same project
    and options give a byte-identical file.
    """
    from qualcode.project import refuse_project_input
    from qualcode.report import build_report, write_report

    proj = _project(project)
    if output is not None:
        refuse_project_input(proj, output)
    with warnings_to_stderr():
        text = build_report(proj, by or None, coder=coder, status=status, per_group=per_group)
    if output is None:
        sys.stdout.write(text)
        return
    write_report(output, text)
    if not quiet:
        print(f"wrote {output} ({len(text.encode('utf-8')) // 1024 + 1} KB)", file=sys.stderr)


@app.command(
    epilog="Examples: `qualcode plot heatmap -o heatmap.svg`; "
    "`qualcode plot frequencies -o freq.png --by model`; "
    "`qualcode plot cooccur -o cooccur.pdf --status reviewed`; "
    "`qualcode plot cooccur -o families.svg --level 0`.",
)
def plot(
    kind: Annotated[
        PlotKind,
        typer.Argument(
            help="heatmap (code x group shares), frequencies (coded segments per code) or "
            "cooccur (code x code).",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Figure file; the suffix picks the format: .svg, .png or .pdf."
        ),
    ],
    by: ReportByOpt = None,
    status: StatusOpt = "default",
    coder: CoderOpt = None,
    level: LevelOpt = None,
    codes: CodesOpt = None,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Draw a figure for a paper with matplotlib (reproducible: same data, same bytes).

    --by groups the heatmap's columns and splits the frequency bars; cooccur ignores it.
    """
    from qualcode.plots import make_plot, plot_format, write_figure
    from qualcode.project import refuse_project_input

    plot_format(output)  # fail on a bad suffix before reading the project
    proj = _project(project)
    refuse_project_input(proj, output)
    with warnings_to_stderr():
        figure = make_plot(
            proj, kind.value, by or None, coder=coder, status=status, codes=codes, level=level
        )
    write_figure(figure, output)
    if not quiet:
        print(f"wrote {output}", file=sys.stderr)
