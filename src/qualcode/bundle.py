"""`qualcode export summary -o DIR`: every table a paper needs, reproducibly.

Same inputs give byte-identical files: rows follow the codebook and declared metadata order, floats
have fixed precision, there are no timestamps (the XLSX workbook's dates and ZIP entry times are
pinned), and a MANIFEST records the command, the qualcode version and the sha256 of every input.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from qualcode import __version__
from qualcode.errors import UsageError
from qualcode.textio import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from qualcode.project import Project

FORMATS = ("csv", "xlsx", "md", "latex")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Table:
    """One table of the bundle: a file stem, a sheet title, rows and columns."""

    name: str
    rows: list[dict[str, Any]]
    columns: list[str]
    numeric: tuple[str, ...] = ()
    caption: str = ""


# Prose tables keep the columns a page can hold, wrapped; the CSV/XLSX bundles carry them all.
_LATEX_LAYOUT: dict[str, tuple[list[str], dict[str, str] | None]] = {
    # widths that add up, with the space between columns, to about the line's width
    "quotes": (
        ["name", "group", "quote", "citation"],
        {
            "name": "0.14\\linewidth",
            "group": "0.1\\linewidth",
            "quote": "0.42\\linewidth",
            "citation": "0.18\\linewidth",
        },
    ),
    "codebook": (
        ["id", "name", "definition"],
        {"id": "0.2\\linewidth", "name": "0.18\\linewidth", "definition": "0.46\\linewidth"},
    ),
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def input_files(project: Project, coder: str) -> list[Path]:
    """Every file the results depend on, in a stable order."""
    files = []
    if project.config_path:
        files.append(project.config_path)
    files += project.codebook_paths()
    files += [f.path for f in project.corpus.files]
    if project.metadata_path.is_file():
        files.append(project.metadata_path)
    coder_dir = project.codings_dir / coder
    if coder_dir.is_dir():
        files += sorted(coder_dir.glob("*.jsonl"))
    return files


def _file_stem(name: str, taken: set[str]) -> str:
    """A file name from an attribute's name, which may come from another tool's project file.

    Nothing but letters, digits, `-`, `_` and `.` survives, so a name such as `x/../../y` cannot
    write outside the output folder, and two names that differ only there stay two files.
    """
    stem = re.sub(r"[^\w.-]+", "_", name).strip("._") or "tally"
    folded = {t.casefold() for t in taken}  # `A` and `a` are one file on macOS and Windows
    unique, n = stem, 1
    while unique.casefold() in folded:
        n += 1
        unique = f"{stem}-{n}"
    return unique


def build_tables(
    project: Project, by: Sequence[str], *, coder: str | None, status: str, per_group: int
) -> tuple[list[Table], str]:
    """The bundle's tables and the coder they were computed for."""
    from qualcode.analysis import (
        column_label,
        cooccur,
        cooccur_pairs,
        load_analysis_data,
        quotes,
        tally,
        tally_long,
    )
    from qualcode.codebook.table import CODEBOOK_COLUMNS, codebook_rows

    data = load_analysis_data(project, coder, status, keep_text=True)
    groupings = (
        list(by) or [a for a in project.config.declared_values if a in data.attributes()] or []
    )
    tables: list[Table] = []
    long_rows: list[dict[str, Any]] = []
    for attr in groupings or [None]:
        frame = tally(project, [attr] if attr else [], data=data)
        value_columns = [c for c in frame.columns if c != "name"]
        labels = {c: column_label(frame, c) for c in value_columns}
        rows = [
            {
                "code": code_id,
                "name": record["name"],
                **{labels[c]: int(record[c]) for c in value_columns},
            }
            for code_id, record in frame.iterrows()
        ]
        stem = _file_stem(f"tally_by_{attr}", {t.name for t in tables}) if attr else "tally"
        tables.append(
            Table(
                stem,
                rows,
                ["code", "name", *labels.values()],
                tuple(labels.values()),
                frame.attrs["caption"],
            )
        )
        long_rows += [{"grouping": attr or "", **row} for row in tally_long(frame)]
    tables.append(
        Table(
            "tally_long",
            long_rows,
            ["grouping", "code", "name", "group", "unit", "count", "n", "percent"],
            ("count", "n", "percent"),
        )
    )
    quote_frame = quotes(project, None, groupings[:1], per_group=per_group, data=data)
    quote_columns = [c for c in quote_frame.columns if c != "highlights"]
    tables.append(
        Table(
            "quotes",
            quote_frame[quote_columns].to_dict(orient="records"),
            quote_columns,
            caption=quote_frame.attrs["caption"],
        )
    )
    tables.append(Table("codebook", codebook_rows(project.codebook), list(CODEBOOK_COLUMNS)))
    counts = cooccur(project, data=data)
    jaccard = cooccur(project, measure="jaccard", data=data)
    tables.append(
        Table(
            "cooccurrence",
            cooccur_pairs(counts, jaccard, project.codebook),
            ["code_a", "code_b", "count", "jaccard"],
            ("count", "jaccard"),
            counts.attrs["caption"] + " A code and its own parent or child are not a pair.",
        )
    )
    return tables, data.coder


def export_summary(
    project: Project,
    target: Path,
    *,
    by: Sequence[str] = (),
    output_format: str = "csv",
    coder: str | None = None,
    status: str = "default",
    per_group: int = 3,
    command: str = "qualcode export summary",
) -> list[Path]:
    """Write the bundle into `target` (created if needed); returns the files written."""
    from qualcode import export
    from qualcode.api import as_names

    target, by = Path(target), as_names(by)
    if output_format not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not {output_format!r}")
    if target.exists() and not target.is_dir():
        raise UsageError(f"{target} exists and is not a folder", hint="choose a folder for -o")
    tables, coder_name = build_tables(project, by, coder=coder, status=status, per_group=per_group)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"cannot create the folder {str(target)!r}: {exc.strerror or exc}",
            hint="choose a folder for -o whose parent exists as a folder and is writable",
        ) from exc
    written: list[Path] = []

    def emit(name: str, render: Callable[[TextIO], None]) -> None:
        buffer = io.StringIO()
        render(buffer)
        atomic_write_text(target / name, buffer.getvalue())
        written.append(target / name)

    for table in tables:
        # quotes (all their columns) and tidy tallies are data for scripts: CSV in every bundle
        as_data = table.name == "quotes" or (
            output_format == "latex" and table.name == "tally_long"
        )
        if output_format == "csv" or (output_format != "xlsx" and as_data):
            emit(f"{table.name}.csv", lambda out, t=table: export.write_csv(t.rows, t.columns, out))
        if output_format == "md":
            emit(
                f"{table.name}.md",
                lambda out, t=table: export.write_markdown(
                    t.rows, t.columns, out, numeric=t.numeric
                ),
            )
        if output_format == "latex" and table.name != "tally_long":
            columns, widths = _LATEX_LAYOUT.get(table.name, (table.columns, None))
            emit(
                f"{table.name}.tex",
                lambda out, t=table, c=columns, w=widths: export.write_latex(
                    t.rows, c, out, numeric=t.numeric, caption=t.caption, widths=w
                ),
            )
    if output_format == "xlsx":
        path = target / "summary.xlsx"
        atomic_write_bytes(path, workbook_bytes(tables))
        written.append(path)
    inputs = input_files(project, coder_name)
    root = project.root.resolve()
    lines = [
        f"command: {command}",
        f"qualcode: {__version__}",
        f"coder: {coder_name}",
        f"status: {status}",
        "inputs (sha256  path relative to the project):",
    ]
    for path in inputs:
        try:
            shown = path.resolve().relative_to(root).as_posix()
        except ValueError:
            shown = str(path)
        lines.append(f"{_sha256(path)}  {shown}")
    lines.append("outputs:")
    lines += [p.name for p in written]
    stale = sorted(_previous_outputs(target) - {p.name for p in written})
    atomic_write_text(target / "MANIFEST", "\n".join(lines) + "\n")
    written.append(target / "MANIFEST")
    for name in stale:  # a table of another grouping or status would pass for this run's
        (target / name).unlink(missing_ok=True)
    if stale:
        from qualcode.errors import warn

        warn(f"removed {len(stale)} file(s) the previous export wrote here: {', '.join(stale)}")
    return written


def _previous_outputs(target: Path) -> set[str]:
    """The files an earlier export listed in its MANIFEST (only plain names in `target`)."""
    try:
        text = (target / "MANIFEST").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    if not text.startswith("command: ") or "\noutputs:\n" not in text:
        return set()  # not ours: touch nothing
    names = text.split("\noutputs:\n", 1)[1].splitlines()
    return {
        n for n in names if n and n == Path(n).name and n != "MANIFEST" and (target / n).is_file()
    }


def workbook_bytes(tables: Sequence[Table]) -> bytes:
    """One XLSX workbook, a sheet per table, byte-identical for the same tables."""
    import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    fixed = datetime.datetime(2000, 1, 1)
    book.properties.created = fixed
    book.properties.modified = fixed
    book.properties.creator = "qualcode"
    titles: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(title=_sheet_title(table.name, titles))
        rows = (table.columns, *([row.get(c) for c in table.columns] for row in table.rows))
        for row_no, values in enumerate(rows, 1):
            # cell by cell: `sheet[sheet.max_row]` after each append scanned the whole sheet,
            # so 20,000 rows took 98 s (found by a helper)
            for col_no, value in enumerate(values, 1):
                cell = sheet.cell(row=row_no, column=col_no, value=value)
                # openpyxl stores any text starting with `=` as a formula; a typed string is
                # never run, so the text stays as written (no `'` as in CSV, where it must be)
                if isinstance(value, str):
                    cell.data_type = "s"
        _lay_out(sheet, table)
    raw = io.BytesIO()
    book.save(raw)
    return _pin_zip(raw.getvalue())


def _lay_out(sheet: Any, table: Table) -> None:
    """Columns as wide as their text (up to a limit, then wrapped), the header row frozen.

    Without widths a spreadsheet shows every column 8 characters wide: headers overlapped and
    code names were cut (found by a helper)."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    wrap = Alignment(wrap_text=True, vertical="top")
    for number, column in enumerate(table.columns, 1):
        texts = [str(column), *(str(row.get(column) or "") for row in table.rows)]
        longest = max(len(line) for text in texts for line in text.split("\n"))
        width = min(max(longest, 6) + 2, _WIDEST_COLUMN)
        letter = get_column_letter(number)
        sheet.column_dimensions[letter].width = width
        if longest > _WIDEST_COLUMN:  # prose (quotes, definitions): wrapped in its column
            for (cell,) in sheet.iter_rows(min_col=number, max_col=number, min_row=2):
                cell.alignment = wrap
    sheet.freeze_panes = "A2"


_WIDEST_COLUMN = 60


def _sheet_title(name: str, taken: set[str]) -> str:
    """A sheet title Excel accepts (31 characters, none of `[]:*?/\\`), unique in the book."""
    base = re.sub(r"[\[\]:*?/\\]", "_", name).strip("'") or "sheet"
    title, n = base[:31], 1
    while title.casefold() in taken:
        n += 1
        title = f"{base[: 31 - len(str(n)) - 1]}~{n}"
    taken.add(title.casefold())
    return title


def _pin_zip(data: bytes) -> bytes:
    """Rewrite a ZIP with fixed entry times and sorted-stable order, so bytes do not vary by clock."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = _strip_modified(content)
            pinned = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o644 << 16
            target.writestr(pinned, content)
    return out.getvalue()


def _strip_modified(xml: bytes) -> bytes:
    # openpyxl stamps dcterms:modified with "now" when saving, whatever the property says.
    import re

    return re.sub(
        rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>",
        rb"<dcterms:modified\1>2000-01-01T00:00:00Z</dcterms:modified>",
        xml,
    )
