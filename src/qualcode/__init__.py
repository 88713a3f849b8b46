"""qualcode: code qualitative interviews from the command line, reproducibly.

The library is the product; the CLI is a thin layer over it. In a notebook:

    import qualcode
    project = qualcode.load_project(".")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from qualcode.project import Project

__all__ = ["__version__", "load_project"]


def load_project(path: str = ".") -> Project:
    """Load the qualcode project at (or above) `path`."""
    from qualcode.project import load_project as _load

    return _load(path)


def __getattr__(name: str) -> Any:
    # Analysis functions pull in pandas; import them only when a notebook asks for them.
    if name in {"tally", "quotes", "cooccur"}:
        from qualcode import analysis

        return getattr(analysis, name)
    raise AttributeError(name)
