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

    existed = (directory / ".gitignore").exists()
    for path in scaffold_project(directory):
        verb = "added qualcode's lines to" if path.name == ".gitignore" and existed else "created"
        print(f"{verb} {path}", file=sys.stderr)
    print(f"next: cd {directory} && qualcode check", file=sys.stderr)
