"""`qualcode init`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.app import app


@app.command(epilog="Example: `qualcode init my-study && cd my-study && qualcode check`.")
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the new project (created if needed).")
    ] = Path(),
) -> None:
    """Create a new project: a commented qualcode.yaml, an example codebook and transcript.

    Refuses to overwrite any existing file.
    """
    from qualcode.scaffold import scaffold_project

    for path in scaffold_project(directory):
        print(f"created {path}", file=sys.stderr)
    print(f"next: cd {directory} && qualcode check", file=sys.stderr)
