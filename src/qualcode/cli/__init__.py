"""qualcode's command-line interface: a thin layer over the library.

Only typer (and what it needs) is imported at start-up; each command imports the parts of the core it
uses when it runs, so `qualcode --help` stays fast.
"""

from __future__ import annotations

from qualcode.cli import (  # noqa: F401  (each module registers its commands)
    agree,
    analysis,
    check,
    codebook,
    coding,
    exports,
    init,
    interchange,
    report,
    session,
)
from qualcode.cli.app import app


def main() -> None:
    app(prog_name="qualcode")


__all__ = ["app", "main"]
