"""`qualcode code`, `qualcode transcripts` and `qualcode show`."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from qualcode.cli.app import EXIT_USAGE, app
from qualcode.cli.options import CoderOpt, ProjectOpt, QuietOpt, TableFormat


def _project(project):  # type: ignore[no-untyped-def]
    from pathlib import Path

    from qualcode.project import load_project

    return load_project(project or Path.cwd())


def _coder(project_obj, coder: str | None) -> str:  # type: ignore[no-untyped-def]
    from qualcode.store import validate_coder_name

    return validate_coder_name(coder or project_obj.config.coder)


def _use_encoding(project_obj, encoding: str) -> None:  # type: ignore[no-untyped-def]
    """Override the transcripts' encoding for this run (workers inherit it through the config)."""
    from dataclasses import replace

    from qualcode.errors import UsageError
    from qualcode.project import check_encoding

    problem = check_encoding(encoding, "--encoding", None)
    if problem is not None:
        raise UsageError(problem.message, hint=problem.hint)
    project_obj.config = replace(project_obj.config, encoding=encoding)


@app.command(
    epilog="Examples: `qualcode code` (all transcripts, coder from qualcode.yaml); "
    "`qualcode code riverbend-health --coder alice`; `qualcode code --jobs 2`.",
)
def code(
    transcript_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Transcript ids to code (default: all).", show_default=False),
    ] = None,
    project: ProjectOpt = None,
    coder: CoderOpt = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="Encoding of transcripts without a BOM, e.g. cp1252, for this run only (default:"
            " transcripts.encoding in qualcode.yaml, else UTF-8; set it there for every command).",
            show_default=False,
        ),
    ] = None,
    quiet: QuietOpt = False,
) -> None:
    """Apply the codebook's rules to transcripts and store the proposals in the coder's files.

    Re-running is safe: accepted and rejected proposals keep their decision, human codings are kept,
    proposals the rules no longer make are removed (and reported), and codings of edited transcripts
    are re-anchored to their text or flagged stale.
    """
    from qualcode.autocode import iter_code_corpus, run_plan
    from qualcode.cli.output import stderr_console

    proj = _project(project)
    if encoding:
        _use_encoding(proj, encoding)
    ids, coder_name = run_plan(proj, transcript_ids, coder)  # fails before any progress bar
    console = stderr_console()
    results = []
    show_progress = not quiet and console.is_terminal and len(ids) > 1
    if show_progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("coding", total=len(ids))
            for result in iter_code_corpus(proj, ids, coder_name, jobs=jobs):
                results.append(result)
                progress.advance(task)
    else:
        results = list(iter_code_corpus(proj, ids, coder_name, jobs=jobs))
    failed = [r for r in results if r.error is not None]
    ok = [r for r in results if r.error is None]
    for r in results:
        for text in r.warnings:
            print(f"{proj.corpus.file(r.transcript_id).shown}: warning: {text}", file=sys.stderr)
        if r.error is not None:
            from qualcode.cli.app import report_error

            report_error(r.error)
    gone = sorted({rule for r in results for rule in r.report.removed_rules})
    if not quiet:
        added = sum(r.report.added for r in ok)
        kept = sum(r.report.kept for r in ok)
        removed = sum(r.report.removed for r in ok)
        moved = sum(r.report.reanchored for r in ok)
        stale = sum(r.report.stale for r in ok)
        megabytes = sum(r.size for r in ok) / 1e6
        line = (
            f"coded {len(ok)} transcript{'s' if len(ok) != 1 else ''} ({megabytes:.1f} MB) "
            f"for coder {coder_name!r}: {added} new proposal{'s' if added != 1 else ''}, "
            f"{kept} kept, {removed} removed"
        )
        if moved or stale:
            line += f", {moved} re-anchored, {stale} stale"
        print(line, file=sys.stderr)
        from qualcode.store import is_consensus

        if is_consensus(proj, coder_name):
            print(
                f"note: {coder_name!r} was built by `qualcode merge`: its codings were only "
                "re-anchored; rule proposals go to the coders, and `merge` brings their decisions",
                file=sys.stderr,
            )
    if gone:  # data was removed: said even with --quiet
        print(
            "removed proposals from rules that no longer exist: " + ", ".join(gone),
            file=sys.stderr,
        )
    if failed:
        print(
            f"{len(failed)} transcript{'s' if len(failed) != 1 else ''} could not be coded "
            f"(see above){'; the others were.' if ok else '.'}",
            file=sys.stderr,
        )
        raise typer.Exit(EXIT_USAGE)


@app.command(
    epilog="Examples: `qualcode transcripts`; `qualcode transcripts --format csv > transcripts.csv`.",
)
def transcripts(
    project: ProjectOpt = None,
    output_format: Annotated[
        TableFormat, typer.Option("--format", "-f", help="table, csv, json or md.")
    ] = TableFormat.table,
) -> None:
    """List transcripts with their metadata, speakers, interviewers, turns and words.

    Interviewers are the speakers whose turns are not coded. The table shows the metadata attributes
    declared in qualcode.yaml; csv/json/md show all of them.
    """
    from qualcode.cli.render import render_rows
    from qualcode.errors import QualcodeError
    from qualcode.overview import transcript_rows

    proj = _project(project)
    errors: list[QualcodeError] = []
    rows, columns = transcript_rows(proj, compact=output_format is TableFormat.table, errors=errors)
    if errors:
        from qualcode.cli.app import report_error

        for exc in errors:
            report_error(exc)
    render_rows(rows, columns, output_format, title="Transcripts", numeric=("turns", "words"))
    if errors:
        many = "s" if len(errors) != 1 else ""
        print(f"{len(errors)} transcript{many} could not be read (see above).", file=sys.stderr)
        raise typer.Exit(EXIT_USAGE)


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


@app.command(
    epilog="Examples: `qualcode show riverbend-health`; "
    "`qualcode show riverbend-health --code convener --why`.",
)
def show(
    transcript_id: Annotated[
        str, typer.Argument(help="Transcript id (file name without extension).")
    ],
    project: ProjectOpt = None,
    coder: CoderOpt = None,
    code_ids: Annotated[
        list[str] | None,
        typer.Option("--code", help="Only show this code (repeatable).", show_default=False),
    ] = None,
    why: Annotated[
        bool, typer.Option("--why", help="Show the rule and matched words behind each proposal.")
    ] = False,
    output_format: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="text, or json (segments, codings, why).")
    ] = ShowFormat.text,
) -> None:
    """Print a transcript with its coded segments marked and the matched words highlighted."""
    from qualcode.cli.output import stdout_console
    from qualcode.overview import transcript_view

    proj = _project(project)
    if coder is not None:  # a coder named on purpose must exist; the default may have none yet
        from qualcode.store import require_coder

        require_coder(proj, coder)
    view = transcript_view(proj, transcript_id, _coder(proj, coder), code_ids or None)
    if output_format is ShowFormat.json:
        from qualcode.export import write_json

        write_json(view.to_dict(), sys.stdout)
        return
    from qualcode.cli.render import render_transcript_view

    render_transcript_view(view, stdout_console(), why=why)
