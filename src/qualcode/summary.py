"""`qualcode summary`: per group, the tally of each code family and the top quotes per code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.project import Project


@dataclass
class Family:
    """A top-level code (e.g. Roles) with its rows: itself first, then its children."""

    code: str
    name: str
    rows: list[dict[str, Any]]


@dataclass
class SummaryResult:
    by: list[str]
    columns: list[str]
    families: list[Family]
    quotes: list[dict[str, Any]]
    caption: str
    n_transcripts: int


def _cell(count: int, n: int) -> str:
    from qualcode.analysis import percent_of

    return f"{count} ({percent_of(count, n):.0f}%)" if n else str(count)


def build_summary(
    project: Project,
    by: Sequence[str],
    *,
    per_code: int = 1,
    coder: str | None = None,
    status: str = "default",
) -> SummaryResult:
    from qualcode.analysis import ANY_CODE, column_label, load_analysis_data, quotes, tally
    from qualcode.errors import UsageError

    if per_code < 0:
        raise UsageError("--quotes must be 0 (tables only) or more")
    data = load_analysis_data(project, coder, status, keep_text=True)
    frame: pd.DataFrame = tally(project, by, level=1, data=data)
    value_columns = [c for c in frame.columns if c != "name"]
    labels = [column_label(frame, c) for c in value_columns]
    n = frame.attrs["n"]
    codebook = project.codebook
    families = []
    for root in codebook.roots():
        rows = []
        for code_id in [root.id, *root.children_ids]:
            if code_id not in frame.index:
                continue
            record = frame.loc[code_id]
            row = {"code": code_id, "name": codebook.get(code_id).name}
            for column, label in zip(value_columns, labels, strict=True):
                row[label] = _cell(int(record[column]), n[column])
            rows.append(row)
        families.append(Family(root.id, root.name, rows))
    del ANY_CODE
    records = (
        quotes(project, None, by, per_group=per_code, data=data).to_dict(orient="records")
        if per_code
        else []
    )
    return SummaryResult(
        list(by),
        ["code", "name", *labels],
        families,
        records,
        frame.attrs["caption"] + " Cells: count (% of the group's transcripts).",
        len(data.transcript_ids),
    )


def write_summary_markdown(result: SummaryResult, out: TextIO) -> None:
    from qualcode.export import _md_escape, write_markdown, write_quotes_markdown

    title = " by " + " x ".join(result.by) if result.by else ""
    out.write(f"# Summary{title}\n\n")
    for family in result.families:
        out.write(f"## {_md_escape(family.name)}\n\n")
        write_markdown(family.rows, result.columns, out, numeric=result.columns[2:])
        out.write("\n")
    out.write(f"_{_md_escape(result.caption)}_\n")
    if result.quotes:
        out.write("\n## Quotes\n")
        write_quotes_markdown(result.quotes, out)
