"""`qualcode init`: a new project laid out like the bundled study."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from qualcode.errors import UsageError
from qualcode.textio import atomic_write_text

TEMPLATE_FILES = (
    "qualcode.yaml",
    "codebooks/example.yaml",
    "transcripts/example-interview.txt",
)


def scaffold_project(target: Path) -> list[Path]:
    """Create the project files in `target`; refuse (and write nothing) if any already exists."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder", hint="choose another path")
    existing = [target / name for name in TEMPLATE_FILES if (target / name).exists()]
    if existing:
        raise UsageError(
            f"{existing[0]} already exists; qualcode init never overwrites files",
            hint="choose an empty folder, or remove the file first",
        )
    root = resources.files("qualcode") / "templates"
    written = []
    for name in TEMPLATE_FILES:
        text = (root / name).read_text(encoding="utf-8")
        atomic_write_text(target / name, text)
        written.append(target / name)
    return written
