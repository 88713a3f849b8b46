"""Where output goes: data to stdout (or -o FILE), messages to stderr; color only on a terminal."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console


def color_enabled(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("QUALCODE_NO_COLOR"):
        return False
    return hasattr(stream, "isatty") and stream.isatty()


def stderr_console() -> Console:
    from rich.console import Console

    return Console(
        file=sys.stderr,
        highlight=False,
        no_color=not color_enabled(sys.stderr),
        soft_wrap=True,
    )


def stdout_console(stream: TextIO | None = None) -> Console:
    from rich.console import Console

    class PipedConsole(Console):
        def on_broken_pipe(self) -> None:
            """`qualcode summary | head`: the reader went away, which is not an error. rich
            exits 1 here, the code `check` uses for findings."""
            self.quiet = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0)

    stream = stream or sys.stdout
    tty = color_enabled(stream)
    return PipedConsole(
        file=stream,
        highlight=False,
        no_color=not tty,
        color_system="auto" if tty else None,
        width=None if tty else 120,
        soft_wrap=not tty,
    )


def say(message: str) -> None:
    """A message for the user (stderr), never mixed into data."""
    print(message, file=sys.stderr)


@contextlib.contextmanager
def warnings_to_stderr() -> Iterator[None]:
    """The library's warnings (missing metadata, uncoded transcripts...) as `warning:` lines.

    Each message once: `summary` runs a tally and quotes on the same data. Nothing is shown when
    the block fails (its error says what matters), but an exit code the command chose
    (`agree --min-alpha`) still shows them.
    """
    import warnings

    from typer.exceptions import Exit

    shown = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (Exit, SystemExit):
            raise
        except BaseException:
            shown = False
            raise
        finally:
            if shown:
                for message in dict.fromkeys(str(w.message) for w in caught):
                    say(f"warning: {message}")


@contextlib.contextmanager
def output_stream(path: Path | None) -> Iterator[TextIO]:
    """stdout, or a file written atomically when the command succeeds."""
    if path is None:
        from qualcode.cli.render import to_terminal

        yield to_terminal(sys.stdout)
        sys.stdout.flush()
        return
    from qualcode.textio import write_output

    buffer = io.StringIO()
    yield buffer
    write_output(path, buffer.getvalue())
