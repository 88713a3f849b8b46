"""`qualcode tally`, `quotes`, `cooccur` and `summary`: the numbers and quotes a paper reports."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from qualcode.cli.app import app
from qualcode.cli.options import CoderOpt, CodesOpt, LevelOpt, ProjectOpt
from qualcode.cli.output import warnings_to_stderr

ByOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--by",
        help="Metadata attribute to group by (repeatable for nested groups).",
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


class TallyFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"
    latex = "latex"


class Count(StrEnum):
    transcripts = "transcripts"
    segments = "segments"
    informants = "informants"
    partnerships = "partnerships"


def _project(project):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from qualcode.project import load_project

    return load_project(project or Path.cwd())


def _split(codes: str | None) -> list[str] | None:
    return [c.strip() for c in codes.split(",") if c.strip()] if codes else None


@app.command(
    epilog="Examples: `qualcode tally --by partnership_type`; "
    "`qualcode tally --by partnership_type --by organization_type --percent --level 1`; "
    "`qualcode tally --by model --count informants --format csv > tally.csv`.",
)
def tally(
    by: ByOpt = None,
    count: Annotated[Count, typer.Option("--count", help="What one unit is.")] = Count.transcripts,
    percent: Annotated[bool, typer.Option("--percent", help="Share of the group's units.")] = False,
    level: LevelOpt = None,
    codes: CodesOpt = None,
    nonzero: Annotated[bool, typer.Option("--nonzero", help="Hide codes with no units.")] = False,
    status: StatusOpt = "default",
    coder: CoderOpt = None,
    project: ProjectOpt = None,
    output_format: Annotated[
        TallyFormat, typer.Option("--format", "-f", help="table, csv, json, md or latex.")
    ] = TallyFormat.table,
) -> None:
    """Count units (transcripts, segments, informants, partnerships) per code and group.

    Headers carry each group's n; a totals column and an `(any code)` row are included; groups with
    no units are shown. A parent code counts a unit once if any of its children applies.
    """
    from qualcode.analysis import column_label, tally_records
    from qualcode.analysis import tally as tally_codes
    from qualcode.cli.render import render_rows

    proj = _project(project)
    with warnings_to_stderr():
        frame = tally_codes(
            proj,
            by or [],
            count=count.value,
            percent=percent,
            level=level,
            codes=_split(codes),
            coder=coder,
            status=status,
            nonzero=nonzero,
        )
    if output_format is TallyFormat.json:
        from qualcode.export import write_json

        write_json(tally_records(frame), sys.stdout)
        return
    rows, columns = tally_table_rows(
        frame,
        indent=output_format is TallyFormat.table,
        codebook=proj.codebook,
        no_share="" if output_format is TallyFormat.csv else "–",
    )
    numeric = [c for c in columns if c not in ("code", "name")]
    render_rows(
        rows,
        columns,
        output_format.value,
        title=f"Tally of {frame.attrs['unit']}" + (f" by {' x '.join(by)}" if by else ""),
        caption=frame.attrs["caption"],
        numeric=numeric,
    )
    del column_label


def tally_table_rows(frame, *, indent: bool, codebook, no_share: str = "–"):  # type: ignore[no-untyped-def]
    """Rows with `CLT (n=6)` headers; in the terminal, names indented by depth.

    `no_share` stands for the percent of an empty group, which is undefined rather than 0.
    """
    import math

    from qualcode.analysis import column_label

    value_columns = [c for c in frame.columns if c != "name"]
    labels = {c: column_label(frame, c) for c in value_columns}
    rows = []
    for code_id, record in frame.iterrows():
        name = record["name"]
        if indent and code_id in codebook:
            name = "  " * codebook.get(code_id).depth + name
        row = {"code": code_id, "name": name}
        for c in value_columns:
            value = record[c]
            if not frame.attrs.get("percent"):
                row[labels[c]] = int(value)
            else:
                row[labels[c]] = no_share if math.isnan(value) else f"{value:.1f}"
        rows.append(row)
    return rows, ["code", "name", *labels.values()]


class QuoteFormat(StrEnum):
    table = "table"
    md = "md"
    csv = "csv"
    json = "json"


QUOTE_COLUMNS = ("code", "group", "rank", "quote", "citation", "status")


@app.command(
    epilog="Examples: `qualcode quotes --code convener --by partnership_type`; "
    "`qualcode quotes --per-group 2 --format md > quotes.md`.",
)
def quotes(
    code_ids: Annotated[
        list[str] | None,
        typer.Option(
            "--code", help="Code id (repeatable; default: every codable code).", show_default=False
        ),
    ] = None,
    by: ByOpt = None,
    per_group: Annotated[
        int, typer.Option("--per-group", "-n", help="Quotes per code and group.")
    ] = 3,
    status: StatusOpt = "default",
    coder: CoderOpt = None,
    project: ProjectOpt = None,
    output_format: Annotated[
        QuoteFormat, typer.Option("--format", "-f", help="table (highlighted), md, csv or json.")
    ] = QuoteFormat.table,
) -> None:
    """Exemplar quotes per code (and group), ranked and spread across interviews, with citations.

    Accepted codings come before open proposals, then passages of readable length, then more rule
    hits; no interview is quoted twice for a code while others have candidates.
    """
    from qualcode.analysis import quotes as select_quotes
    from qualcode.cli.render import to_terminal

    proj = _project(project)
    with warnings_to_stderr():
        frame = select_quotes(
            proj, code_ids or None, by or [], per_group=per_group, coder=coder, status=status
        )
    records = frame.to_dict(orient="records")
    if output_format is QuoteFormat.json:
        from qualcode.export import write_json

        write_json({"caption": frame.attrs["caption"], "quotes": records}, sys.stdout)
    elif output_format is QuoteFormat.csv:
        from qualcode.export import write_csv

        columns = [c for c in frame.columns if c != "highlights"]
        write_csv(records, columns, to_terminal(sys.stdout))
    elif output_format is QuoteFormat.md:
        from qualcode.export import write_quotes_markdown

        write_quotes_markdown(records, to_terminal(sys.stdout), caption=frame.attrs["caption"])
    else:
        render_quotes_terminal(records, frame.attrs["caption"])


def render_quotes_terminal(records, caption: str) -> None:  # type: ignore[no-untyped-def]
    from rich.text import Text

    from qualcode.cli.output import stdout_console
    from qualcode.cli.render import terminal_safe

    console = stdout_console()
    current = None
    for r in records:
        key = (r["code"], r["group"])
        if key != current:
            group = f"  [{terminal_safe(r['group'])}]" if r["group"] != "Total" else ""
            console.print(Text(f"\n{r['name']} ({r['code']}){group}", style="bold"))
            current = key
        body = Text(f"  {r['rank']}. “")
        quote = Text(terminal_safe(r["quote"]))
        for s, e in r["highlights"]:
            quote.stylize("bold reverse", s, e)
        body.append_text(quote)
        body.append("”")
        console.print(body)
        console.print(Text(f"     — {terminal_safe(r['citation'])} [{r['status']}]", style="dim"))
    console.print(Text(f"\n{caption}", style="dim"))


class CooccurFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


@app.command(
    epilog="Examples: `qualcode cooccur`; `qualcode cooccur --within transcript --measure jaccard "
    "--level 1 --format csv`.",
)
def cooccur(
    within: Annotated[
        str, typer.Option("--within", help="segment or transcript.", metavar="[segment|transcript]")
    ] = "segment",
    measure: Annotated[
        str, typer.Option("--measure", help="count or jaccard.", metavar="[count|jaccard]")
    ] = "count",
    level: LevelOpt = None,
    codes: CodesOpt = None,
    status: StatusOpt = "default",
    coder: CoderOpt = None,
    project: ProjectOpt = None,
    output_format: Annotated[
        CooccurFormat, typer.Option("--format", "-f", help="table, csv, json or md.")
    ] = CooccurFormat.table,
) -> None:
    """Code x code co-occurrence within segments (or transcripts): counts or Jaccard index."""
    from qualcode.analysis import cooccur as cooccur_matrix
    from qualcode.analysis import load_analysis_data
    from qualcode.cli.render import render_rows

    proj = _project(project)
    # read once: the list of pairs below needs two more matrices of the same codings
    data = load_analysis_data(proj, coder, status)
    frame = cooccur_matrix(
        proj,
        within=within,
        measure=measure,
        level=level,
        codes=_split(codes),
        coder=coder,
        status=status,
        data=data,
    )
    if output_format is CooccurFormat.json:
        from qualcode.analysis import _plain
        from qualcode.export import write_json

        write_json(
            {
                "caption": frame.attrs["caption"],
                "codes": list(frame.index),
                "matrix": [[_plain(v) for v in row] for row in frame.to_numpy().tolist()],
            },
            sys.stdout,
        )
        return
    if output_format is CooccurFormat.table and not _matrix_fits(frame):
        _show_cooccur_pairs(proj, frame, within, level, codes, data)
        return
    rows = [
        {"code": code_id, **{c: frame.loc[code_id, c] for c in frame.columns}}
        for code_id in frame.index
    ]
    render_rows(
        rows,
        ["code", *frame.columns],
        output_format.value,
        title=f"Co-occurrence ({measure}, within {within})",
        caption=frame.attrs["caption"],
        numeric=list(frame.columns),
    )


def _matrix_fits(frame) -> bool:  # type: ignore[no-untyped-def]
    """Whether a code x code matrix is readable at the terminal's width."""
    from qualcode.cli.output import stdout_console

    widest = max((len(str(c)) for c in frame.columns), default=0)
    return len(frame.columns) * (min(widest, 12) + 3) + 30 <= stdout_console().width


def _show_cooccur_pairs(proj, frame, within, level, codes, data) -> None:  # type: ignore[no-untyped-def]
    """Too many codes for a matrix on screen: the co-occurring pairs, most frequent first."""
    from qualcode.analysis import cooccur as cooccur_matrix
    from qualcode.analysis import cooccur_pairs
    from qualcode.cli.render import render_rows

    options = {"within": within, "level": level, "codes": _split(codes), "data": data}
    counts = cooccur_matrix(proj, measure="count", **options)
    jaccard = cooccur_matrix(proj, measure="jaccard", **options)
    pairs = sorted(
        cooccur_pairs(counts, jaccard, proj.codebook), key=lambda r: (-r["count"], r["code_a"])
    )
    for row in pairs:
        row["jaccard"] = round(row["jaccard"], 3)
    render_rows(
        pairs,
        ["code_a", "code_b", "count", "jaccard"],
        "table",
        title=f"Co-occurring pairs (within {within}), most frequent first",
        caption=frame.attrs["caption"]
        + " A code and its own parent or child are not listed as a pair."
        + f" The {len(frame.columns)}-code matrix is too wide for this terminal: "
        "`--format csv` gives it, or `--codes`/`--level` narrows it.",
        numeric=["count", "jaccard"],
    )


class SummaryFormat(StrEnum):
    text = "text"
    md = "md"


@app.command(
    epilog="Example (the bundled study): `qualcode code && qualcode summary --by partnership_type`.",
)
def summary(
    by: ByOpt = None,
    per_code: Annotated[
        int, typer.Option("--quotes", help="Top quotes per code (0: tables only).")
    ] = 1,
    status: StatusOpt = "default",
    coder: CoderOpt = None,
    project: ProjectOpt = None,
    output_format: Annotated[
        SummaryFormat, typer.Option("--format", "-f", help="text or md.")
    ] = SummaryFormat.text,
) -> None:
    """The main job in one command: per group, the tally of every code family and top quotes per code."""
    from qualcode.summary import build_summary

    proj = _project(project)
    with warnings_to_stderr():
        result = build_summary(proj, by or [], per_code=per_code, coder=coder, status=status)
    if output_format is SummaryFormat.md:
        from qualcode.summary import write_summary_markdown

        write_summary_markdown(result, sys.stdout)
        return
    from qualcode.cli.output import stdout_console
    from qualcode.cli.render import render_summary

    render_summary(result, stdout_console())
