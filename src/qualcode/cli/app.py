"""The Typer application and the one place where errors become messages and exit codes.

Exit codes (documented in the README):
  0  success
  1  findings: `check` found errors (or warnings with --strict), agreement below --min-alpha
  2  usage or input error: bad option, unreadable or malformed input, unknown attribute/coder/code
  3  internal error (a bug in qualcode: rerun with --debug and report the traceback)
  130 interrupted (Ctrl-C)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.exceptions import Abort, Exit, TyperException

from qualcode import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def debug_enabled(ctx: typer.Context | None) -> bool:
    if os.environ.get("QUALCODE_DEBUG"):
        return True
    root = ctx.find_root() if ctx else None
    return bool(root and isinstance(root.obj, dict) and root.obj.get("debug"))


def report_error(exc: BaseException) -> None:
    from qualcode.errors import QualcodeError

    if isinstance(exc, QualcodeError):
        where = exc.location()
        kind = "error" if exc.exit_code != EXIT_FINDINGS else "failed"
        text = f"{where}: {kind}: {exc.message}" if where else f"{kind}: {exc.message}"
        print(text, file=sys.stderr)
        if exc.hint:
            print(f"  hint: {exc.hint}", file=sys.stderr)
    else:
        print(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "  hint: this is a bug in qualcode; rerun with --debug and report the traceback",
            file=sys.stderr,
        )


class QualcodeGroup(TyperGroup):
    """Runs subcommands, turning qualcode's own exceptions into a message and exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        from qualcode.cli.output import warnings_to_stderr
        from qualcode.errors import QualcodeError

        try:
            with warnings_to_stderr():  # every command: the library's warnings as `warning:`
                return super().invoke(ctx)
        except (Exit, Abort, TyperException):
            raise
        except QualcodeError as exc:
            if debug_enabled(ctx):
                raise
            report_error(exc)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            # `qualcode tally | head`: the reader went away; that is not an error.
            sys.stderr.close()
            raise typer.Exit(EXIT_OK) from None
        except Exception as exc:
            if debug_enabled(ctx):
                raise
            report_error(exc)
            raise typer.Exit(EXIT_INTERNAL) from None


app = typer.Typer(
    name="qualcode",
    cls=QualcodeGroup,
    help="Code qualitative interviews from the command line: YAML codebooks, automatic and human "
    "coding, tallies, quotes and agreement, all plain text and reproducible.",
    epilog="Example: `qualcode code && qualcode summary --by partnership_type` in the bundled "
    "study; a new project: `qualcode init DIR`. Docs: README.md.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,  # plain help: reflows docstrings, and skips rich at start-up
)

codebook_app = typer.Typer(
    cls=QualcodeGroup,
    help="Inspect, export and import codebooks.",
    epilog="Example: `qualcode codebook tree`; "
    "`qualcode codebook export --format qdc -o study.qdc`.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(codebook_app, name="codebook")

export_app = typer.Typer(
    cls=QualcodeGroup,
    help="Export results for papers and other tools.",
    epilog="Example: `qualcode export summary -o paper/ --by partnership_type`; "
    "`qualcode export qdpx -o study.qdpx`.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(export_app, name="export")


def _project_defaults(group: Any, project: str) -> dict[str, Any]:
    """A click `default_map` giving `project` to every command under `group` that takes it."""
    defaults: dict[str, Any] = {}
    for name, command in getattr(group, "commands", {}).items():
        if hasattr(command, "commands"):  # a group: `qualcode codebook ...`
            defaults[name] = _project_defaults(command, project)
        elif any(param.name == "project" for param in command.params):
            defaults[name] = {"project": project}
    return defaults


def _version(value: bool) -> None:
    if value:
        print(f"qualcode {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show full tracebacks (for bug reports).")
    ] = False,
    no_color: Annotated[bool, typer.Option("--no-color", help="Plain output, no colors.")] = False,
    project: Annotated[
        Path | None,
        typer.Option(
            "--project",
            "-p",
            help="Project folder for the command that follows (as its own --project).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Code qualitative interviews from the command line."""
    ctx.obj = {"debug": debug}
    if project is not None:
        # `qualcode --project DIR tally`: the project becomes the default of every command's
        # own --project, which still wins when given too
        ctx.default_map = _project_defaults(ctx.command, str(project))
    if no_color:
        os.environ["QUALCODE_NO_COLOR"] = "1"
