"""`qualcode init`: a new project laid out like the bundled study."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from qualcode.errors import UsageError
from qualcode.textio import atomic_write_bytes, atomic_write_text

TEMPLATE_FILES = (
    "qualcode.yaml",
    "codebooks/example.yaml",
    "transcripts/example-interview.txt",
)
SCHEMA_FILE = "schema/codebook.schema.json"  # generated, so editors validate offline


def scaffold_project(target: Path) -> list[Path]:
    """Create the project files in `target`; refuse (and write nothing) if any already exists."""
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder", hint="choose another path")
    existing = [
        target / name for name in (*TEMPLATE_FILES, SCHEMA_FILE) if (target / name).exists()
    ]
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
    atomic_write_text(target / SCHEMA_FILE, schema_text())
    written.append(target / SCHEMA_FILE)
    ignore = target / ".gitignore"
    if not ignore.exists():
        atomic_write_text(ignore, GITIGNORE)
        written.append(ignore)
    else:  # a folder already in git keeps its file; the two lines are added if missing
        have = ignore.read_bytes()  # as bytes: a file in another encoding stays as it is
        lines = GITIGNORE.splitlines()
        missing = [p for p in lines[1:] if p.encode() not in have.splitlines()]
        if missing:
            lead = b"" if not have or have.endswith(b"\n") else b"\n"
            added = "\n".join([lines[0], *missing]) + "\n"
            atomic_write_bytes(ignore, have + lead + added.encode())
            written.append(ignore)
    return written


# Everything else in a project is data to commit, codings included.
GITIGNORE = """\
# qualcode: a session's lock file and an interrupted write's temporary file are not data
codings/*/.*.lock
codings/*/.*.tmp
"""


def schema_text() -> str:
    """The codebook JSON Schema exactly as `qualcode schema` prints it."""
    import json

    from qualcode.codebook.schema import json_schema

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
