"""qualcode: code qualitative interviews from the command line, reproducibly.

The library is the product; the CLI is a thin layer over it. In a notebook, each function takes
a project (or its folder) and returns a pandas DataFrame:

    import qualcode
    project = qualcode.load_project(".")
    qualcode.code(project)                          # apply the codebook's rules (auto coder)
    qualcode.transcript_table(project)              # id, metadata, speakers, turns, words
    qualcode.tally(project, by="partnership_type")  # codes x groups
    qualcode.quotes(project, "convener", by="partnership_type")
    qualcode.cooccur(project, measure="jaccard")
    qualcode.agree(project, coders="alice,bob")

A loaded project reads its codebook and transcripts once; after editing them, load it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from os import PathLike

    from qualcode.api import agree, code, cooccur, quotes, tally, transcript_table
    from qualcode.project import Project

# The DataFrame functions import pandas; they are loaded only when a notebook asks for them.
# (`transcripts` and `agreement` are modules of the package, so the functions are named apart)
_API = ("code", "transcript_table", "tally", "quotes", "cooccur", "agree")

__all__ = [
    "__version__",
    "agree",
    "code",
    "cooccur",
    "load_project",
    "quotes",
    "tally",
    "transcript_table",
]


def load_project(path: str | PathLike[str] = ".") -> Project:
    """Load the qualcode project at (or above) `path` (`~` is the home folder)."""
    from pathlib import Path

    from qualcode.project import load_project as _load

    return _load(Path(path).expanduser())


def __getattr__(name: str) -> Any:
    if name in _API:
        from qualcode import api

        return getattr(api, name)
    raise AttributeError(f"module 'qualcode' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
