"""`qualcode agree` and `qualcode merge`: intercoder agreement and a consensus coder."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.app import EXIT_FINDINGS, app
from qualcode.cli.options import ProjectOpt, QuietOpt


class AgreeFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    md = "md"


class Level(StrEnum):
    nominal = "nominal"
    ordinal = "ordinal"
    interval = "interval"
    ratio = "ratio"


def _coders(value: str | None) -> list[str]:
    return [c.strip() for c in (value or "").split(",") if c.strip()]


@app.command(
    epilog="Examples: `qualcode agree --coders alice,bob`; "
    "`qualcode agree --coders alice,bob --min-alpha 0.8` (CI); "
    "`qualcode agree --coders alice,bob --disagreements --format csv > adjudicate.csv`; "
    "`qualcode agree --reliability-data table.csv --level interval`.",
)
def agree(
    coders: Annotated[
        str | None,
        typer.Option(
            "--coders",
            help="Comma-separated coders to compare (two or more). Default: every coder who "
            "reviewed segments, but not a consensus from `qualcode merge`.",
        ),
    ] = None,
    codes: Annotated[str | None, typer.Option("--codes", help="Comma-separated code ids.")] = None,
    min_alpha: Annotated[
        float | None,
        typer.Option("--min-alpha", help="Exit 1 if any code's alpha is below this value."),
    ] = None,
    show_disagreements: Annotated[
        bool,
        typer.Option("--disagreements", help="List each segment and code where coders differ."),
    ] = False,
    reliability_data: Annotated[
        Path | None,
        typer.Option(
            "--reliability-data",
            help="Units x coders CSV (first column unit id). Missing values: an empty cell or "
            "one of . * - ? NA N/A NaN null None (any letter case).",
        ),
    ] = None,
    level: Annotated[
        Level, typer.Option("--level", help="Level of measurement for --reliability-data.")
    ] = Level.nominal,
    project: ProjectOpt = None,
    output_format: Annotated[
        AgreeFormat, typer.Option("--format", "-f", help="table, csv, json or md.")
    ] = AgreeFormat.table,
) -> None:
    """Intercoder agreement per code: percent agreement, Cohen's kappa and Krippendorff's alpha.

    Units are segments; a segment a coder has not reviewed is missing data, not "absent".
    Undefined statistics are reported as such (never NaN).
    """
    from qualcode.cli.render import render_rows

    if min_alpha is not None and not -1.0 <= min_alpha <= 1.0:  # NaN fails this too
        from qualcode.errors import UsageError

        raise UsageError(
            f"--min-alpha must be a number from -1 to 1, not {min_alpha}",
            hint="alpha is at most 1 (perfect agreement); 0.8 is a common threshold",
        )
    if reliability_data is not None:
        from qualcode.agreement import krippendorff_alpha, percent_agreement, read_reliability_csv

        raw, matrix = read_reliability_csv(reliability_data, level.value)
        if len(raw.coders) > len(raw.unit_ids):
            # Published tables often print coders as rows; read that way alpha is silently wrong.
            print(
                f"warning: {reliability_data} has more coders ({len(raw.coders)}) than units "
                f"({len(raw.unit_ids)}); is it transposed? qualcode reads one row per unit and "
                "one column per coder",
                file=sys.stderr,
            )
        alpha = krippendorff_alpha(matrix, level.value)
        pairable = sum(1 for row in matrix if sum(v is not None for v in row) >= 2)
        row = {
            "file": str(reliability_data),
            "level": level.value,
            "units": len(raw.unit_ids),
            "pairable_units": pairable,
            "coders": len(raw.coders),
            "alpha": None if alpha is None else round(alpha, 3),
            "percent": _pct(percent_agreement(matrix)) if level is Level.nominal else None,
            "note": ""
            if alpha is not None
            else "alpha undefined: no variation or no pairable values",
        }
        render_rows([row], list(row), output_format.value, title="Krippendorff's alpha")
        _gate([alpha], min_alpha)
        return

    from qualcode.intercoder import (
        agreement_rows,
        disagreements,
        project_agreement,
        reviewing_coders,
    )
    from qualcode.project import load_project

    proj = load_project(project or Path.cwd())
    coder_list = _coders(coders)
    if not coder_list and len(picked := reviewing_coders(proj)) >= 2:
        coder_list = picked
        print(
            f"comparing {', '.join(picked)}: the coders who reviewed segments (choose with "
            "--coders)",
            file=sys.stderr,
        )
    code_list = _coders(codes) or None
    if show_disagreements:
        found = disagreements(proj, coder_list, code_list)
        rows = [
            {
                "transcript": d.transcript,
                "segment": d.segment,
                "lines": d.lines,
                "code": d.code,
                "applied_by": ", ".join(d.applied_by),
                "not_applied_by": ", ".join(d.not_applied_by),
                "speaker": d.speaker,
                "text": d.text if output_format is not AgreeFormat.table else _short(d.text),
            }
            for d in found
        ]
        columns = [
            "transcript",
            "segment",
            "lines",
            "code",
            "applied_by",
            "not_applied_by",
            "speaker",
            "text",
        ]
        render_rows(rows, columns, output_format.value, title=f"Disagreements ({len(rows)})")
        print(f"{len(rows)} disagreement(s) between {', '.join(coder_list)}", file=sys.stderr)
        return
    results, _ = project_agreement(proj, coder_list, code_list)
    rows = agreement_rows(results, proj)
    columns = ["code", "name", "n_units", "percent", "kappa", "alpha", "note"]
    if len(coder_list) != 2:
        columns.remove("kappa")
    render_rows(
        rows,
        columns,
        output_format.value,
        title=f"Agreement between {', '.join(coder_list)} (units: segments)",
        caption="percent = pairwise agreement in %; kappa = Cohen's kappa (two coders); "
        "alpha = Krippendorff's alpha (nominal, missing data allowed).",
        numeric=("n_units", "percent", "kappa", "alpha"),
    )
    # Gate on the unrounded alphas: 0.79996 shown as 0.8 is still below --min-alpha 0.8.
    exact = [r.alpha for r in results if r.code is not None]
    _gate(exact, min_alpha, [{**row, "alpha": a} for row, a in zip(rows, exact, strict=False)])


def _pct(value: float | None) -> float | None:
    from qualcode.analysis import percent_half_up

    return None if value is None else percent_half_up(value)


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _gate(
    alphas: list[float | None], min_alpha: float | None, rows: list[dict] | None = None
) -> None:
    if min_alpha is None:
        return
    below = [a for a in alphas if a is not None and a < min_alpha]
    undefined = sum(a is None for a in alphas)
    if undefined and undefined == len(alphas):
        # a CI gate with nothing to measure (no segment both coders reviewed) must not pass
        print(
            "failed: no alpha could be computed, so --min-alpha has nothing to check (do both "
            "coders have reviewed segments in common?)",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_FINDINGS)
    if undefined:
        print(f"note: {undefined} code(s) with undefined alpha are not gated", file=sys.stderr)
    if below:
        names = [
            r["code"]
            for r in rows or []
            if r["code"] != "(overall)" and r["alpha"] is not None and r["alpha"] < min_alpha
        ]
        print(
            f"failed: {len(below)} code(s) below alpha {min_alpha}"
            + (": " + ", ".join(names) if names else ""),
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_FINDINGS)


@app.command(
    epilog="Example: `qualcode merge --coders alice,bob --into consensus`, then "
    "`qualcode session --coder consensus` to resolve, then `qualcode tally --coder consensus`.",
)
def merge(
    coders: Annotated[str, typer.Option("--coders", help="Comma-separated coders to merge.")],
    into: Annotated[str, typer.Option("--into", help="Name of the consensus coder.")] = "consensus",
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Build a consensus coder: agreements accepted, disagreements left open for resolution.

    Only segments every coder reviewed are merged. Re-running keeps what the consensus decided
    (statuses, added codes, memos) and redoes only records still as merged. The
    coders' spans, memos and rules are kept; the report's agreement table leaves the consensus out.
    """
    from qualcode.intercoder import merge_coders
    from qualcode.project import load_project

    proj = load_project(project or Path.cwd())
    summary = merge_coders(proj, _coders(coders), into)
    if quiet:  # a large study lists thousands of disagreements on every run
        return
    print(
        f"merged {summary.transcripts} transcript(s) into coder {into!r}: {summary.agreed} agreed "
        f"coding(s) accepted, {summary.disagreed} disagreement(s), {summary.still_open} still "
        "to resolve"
        + (
            f"; {summary.skipped_segments} segment(s) not reviewed by every coder were skipped"
            if summary.skipped_segments
            else ""
        ),
        file=sys.stderr,
    )
    if summary.still_open:
        from qualcode.intercoder import disagreements, open_in

        still = open_in(proj, into)
        for d in disagreements(proj, _coders(coders)):
            if (d.transcript, d.segment, d.code) not in still:
                continue
            print(
                f"{d.transcript} {d.segment} (lines {d.lines}) {d.code}: applied by "
                f"{', '.join(d.applied_by)}; not by {', '.join(d.not_applied_by)}"
            )
        print(
            f"resolve them with `qualcode session --coder {into}` or `qualcode decide --coder {into} "
            "FILE` (columns transcript,segment,code,action: accept or reject)",
            file=sys.stderr,
        )
