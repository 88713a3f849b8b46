"""The Python API a notebook uses: each function takes a project or its folder, and returns a
pandas DataFrame.

These are the commands' own functions with a notebook's habits allowed: a folder for the
project, and one name where a list is expected (`by="partnership_type"`, `coders="alice,bob"`,
read by `as_names` in the functions these call). Problems raise qualcode's own exceptions
(`qualcode.errors`) with the messages the commands print.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qualcode.errors import warn

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.project import Project

Names = str | Sequence[str] | None


def as_project(project: Project | str | os.PathLike[str]) -> Project:
    """A loaded project as it is; a folder (or a path inside one) is loaded."""
    from qualcode.project import Project, load_project

    if isinstance(project, Project):
        return project
    if isinstance(project, str | os.PathLike):
        return load_project(os.fspath(project))
    raise TypeError(
        f"expected a project (qualcode.load_project) or its folder, not {type(project).__name__}"
    )


def as_names(value: Names) -> list[str]:
    """A list of names from a list, one name, or names separated by commas as on the command
    line (`"alice,bob"`); a string is never taken letter by letter."""
    if value is None:
        return []
    if isinstance(value, str):
        return [name.strip() for name in value.split(",") if name.strip()]
    return [str(name) for name in value]


def tally(
    project: Project | str | os.PathLike[str], by: Names = (), **options: Any
) -> pd.DataFrame:
    """Codes x groups, as `qualcode tally`: see `qualcode.analysis.tally` for the options
    (count, percent, level, codes, coder, status, nonzero)."""
    from qualcode import analysis

    return analysis.tally(as_project(project), by, **options)


def quotes(
    project: Project | str | os.PathLike[str],
    codes: Names = None,
    by: Names = (),
    **options: Any,
) -> pd.DataFrame:
    """Exemplar quotes per code and group, as `qualcode quotes`: see `qualcode.analysis.quotes`
    for the options (per_group, coder, status)."""
    from qualcode import analysis

    return analysis.quotes(as_project(project), codes, by, **options)


def cooccur(project: Project | str | os.PathLike[str], **options: Any) -> pd.DataFrame:
    """Code x code co-occurrence, as `qualcode cooccur`: see `qualcode.analysis.cooccur` for the
    options (within, measure, level, codes, coder, status)."""
    from qualcode import analysis

    return analysis.cooccur(as_project(project), **options)


def transcript_table(project: Project | str | os.PathLike[str]) -> pd.DataFrame:
    """One row per transcript, indexed by id: its metadata, speakers, turns and words, as
    `qualcode transcripts`. A transcript that cannot be read raises (`qualcode check` lists
    every such file at once)."""
    import pandas as pd

    from qualcode.overview import transcript_rows

    rows, columns = transcript_rows(as_project(project))
    return pd.DataFrame(rows, columns=columns).set_index("id")


def code(
    project: Project | str | os.PathLike[str],
    ids: Names = None,
    *,
    coder: str | None = None,
    jobs: int = 1,
) -> pd.DataFrame:
    """Apply the codebook's rules, as `qualcode code`, and store the codings; one row per
    transcript: proposals made, codings added, kept, removed, re-anchored and flagged stale,
    its warnings, and the error that kept it from being coded ('' if none).

    An unknown id or a coder name that cannot be a folder raises before anything is coded; a
    transcript that cannot be read is reported in its row (and in one warning), the others are
    coded. With `jobs` > 1, a script needs the `if __name__ == "__main__":` guard that Python's
    worker processes require (a notebook does not).
    """
    import pandas as pd

    from qualcode.autocode import code_corpus

    loaded = as_project(project)
    results = code_corpus(loaded, ids, coder, jobs=jobs)
    failed = [r.transcript_id for r in results if r.error is not None]
    if failed:
        warn(
            f"{len(failed)} transcript(s) could not be coded (see the `error` column): "
            + ", ".join(failed[:5])
            + (" ..." if len(failed) > 5 else "")
        )
    return pd.DataFrame(
        [
            {
                "id": r.transcript_id,
                "proposals": r.proposals,
                "added": r.report.added,
                "kept": r.report.kept,
                "removed": r.report.removed,
                "reanchored": r.report.reanchored,
                "stale": r.report.stale,
                "warnings": "; ".join(r.warnings),
                "error": "" if r.error is None else str(r.error),
            }
            for r in results
        ]
    ).set_index("id")


def agree(
    project: Project | str | os.PathLike[str], coders: Names, codes: Names = None
) -> pd.DataFrame:
    """Intercoder agreement per code and pooled, as `qualcode agree`, indexed by code id (the
    pooled row is `(overall)`): units reviewed by two or more coders, percent agreement (0-100),
    Cohen's kappa (two coders), Krippendorff's alpha, and a note where a figure is undefined."""
    import pandas as pd

    from qualcode.intercoder import agreement_rows, project_agreement

    loaded = as_project(project)
    results, _ = project_agreement(loaded, coders, codes)
    return pd.DataFrame(agreement_rows(results, loaded)).set_index("code")
