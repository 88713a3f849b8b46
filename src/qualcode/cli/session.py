"""`qualcode session` (full-screen human coding) and `qualcode decide` (the same, from a file)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.app import EXIT_INTERRUPTED, app
from qualcode.cli.options import CoderOpt, ProjectOpt, QuietOpt


def _human_coder(project_obj, coder: str | None) -> str:  # type: ignore[no-untyped-def]
    """--coder, else qualcode.yaml's `coder` unless that is the rules' default 'auto'.

    Decisions are a person's: writing them into the shared 'auto' file by accident would mix them with
    the rules' proposals, so a name is required unless the project sets one.
    """
    from qualcode.errors import UsageError
    from qualcode.store import validate_coder_name

    if coder is None:
        coder = project_obj.config.coder
        if coder == "auto":
            raise UsageError(
                "say who is coding: --coder NAME",
                hint="or set `coder: NAME` in qualcode.yaml; each coder's decisions are kept "
                "in codings/NAME/",
            )
    return validate_coder_name(coder)


@app.command(
    epilog="Examples: `qualcode session --coder alice` (resumes at the first unreviewed segment); "
    "`qualcode session riverbend-health --coder alice`.",
)
def session(
    transcript_ids: Annotated[
        list[str] | None,
        typer.Argument(help="Transcript ids to work on (default: all).", show_default=False),
    ] = None,
    project: ProjectOpt = None,
    coder: CoderOpt = None,
) -> None:
    """Review rule proposals full-screen: accept, reject, add codes the rules missed, write memos.

    Keys: a accept, x reject, + or c add (fuzzy search), - remove, m memo on a coding, M memo on
    the segment, r mark reviewed, n/p next/previous segment, u next unreviewed, t next transcript,
    / search, z/y undo/redo, ? help, q quit. Every decision is saved at once; reopening resumes at
    the first unreviewed segment. Needs a terminal: for scripts use `qualcode decide`.
    """
    from qualcode.errors import UsageError
    from qualcode.project import load_project

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "qualcode session needs an interactive terminal (stdin and stdout are not both a TTY)",
            hint="to apply decisions from a script or a spreadsheet, use "
            "`qualcode decide --coder NAME FILE`",
        )
    proj = load_project(project or Path.cwd())
    coder_name = _human_coder(proj, coder)
    from qualcode.session import SessionState

    state = SessionState.open(proj, coder_name, transcript_ids or None)
    try:
        from qualcode.tui import SessionApp

        session_app = SessionApp(state)
        session_app.run()
    finally:
        state.close()
    for notice in state.take_notices():
        print(notice, file=sys.stderr)
    if state.transcript is not None:
        reviewed, total = state.progress()
        print(
            f"saved; {coder_name} has reviewed {reviewed}/{total} segments of {state.transcript_id}",
            file=sys.stderr,
        )
    if session_app.return_code == EXIT_INTERRUPTED:
        raise typer.Exit(EXIT_INTERRUPTED)


@app.command(
    epilog="Example: `qualcode decide --coder alice decisions.csv` "
    "(columns: transcript, segment, code, action, memo, start, end).",
)
def decide(
    file: Annotated[
        Path,
        typer.Argument(help="CSV or YAML file of decisions, one per row.", show_default=False),
    ],
    project: ProjectOpt = None,
    coder: CoderOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Apply decisions (accept, reject, add, remove, memo) from a CSV or YAML file.

    Everything is checked first and every problem reported with its line; if there is any, nothing is
    written. Otherwise each transcript's codings are written atomically and the segments named are
    marked reviewed. Columns: transcript, segment, code, action, memo (optional), start/end (optional,
    offsets into the transcript for adding a code to part of a segment).
    """
    from qualcode.decisions import apply_decisions_file
    from qualcode.project import load_project

    proj = load_project(project or Path.cwd())
    coder_name = _human_coder(proj, coder)
    summary = apply_decisions_file(proj, coder_name, file)
    if not quiet:
        for notice in summary.notices:
            print(notice, file=sys.stderr)
        print(summary.line(coder_name), file=sys.stderr)
