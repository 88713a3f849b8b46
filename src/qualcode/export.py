"""Writing tables in the formats papers and spreadsheets need: CSV, Markdown, LaTeX, JSON.

Renderers take plain rows (lists of dicts with the same keys) and a text stream, so every format is
testable with a StringIO and deterministic: the caller's row and column order is kept, floats are
formatted by the caller, nothing depends on time or locale.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

Row = Mapping[str, Any]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """Prefix a cell a spreadsheet would run as a formula with `'` (OWASP CSV injection advice).

    Plain numbers (including negative ones) are left alone: they are data, not formulas.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            f"{value:.4g}"
            if abs(value) < 1e-3 and value
            else f"{value:.3f}".rstrip("0").rstrip(".")
        )
    return str(value)


def write_csv(rows: Sequence[Row], columns: Sequence[str], out: TextIO) -> None:
    """RFC 4180 CSV with a header, LF line ends, formula-looking cells neutralized."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([neutralize(c) for c in columns])
    for row in rows:
        writer.writerow([neutralize(_cell(row.get(c))) for c in columns])


def _md_escape(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace("|", "\\|")
        .replace("\n", "<br>")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("&lt;br&gt;", "<br>")
    )


def write_markdown(
    rows: Sequence[Row], columns: Sequence[str], out: TextIO, *, numeric: Sequence[str] = ()
) -> None:
    """A GitHub/pandoc pipe table; numeric columns right-aligned."""
    out.write("| " + " | ".join(_md_escape(c) for c in columns) + " |\n")
    out.write("|" + "|".join("---:" if c in numeric else "---" for c in columns) + "|\n")
    for row in rows:
        out.write("| " + " | ".join(_md_escape(_cell(row.get(c))) for c in columns) + " |\n")


_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(value: str) -> str:
    return "".join(_LATEX_SPECIAL.get(ch, ch) for ch in value)


def write_latex(
    rows: Sequence[Row],
    columns: Sequence[str],
    out: TextIO,
    *,
    numeric: Sequence[str] = (),
    caption: str = "",
) -> None:
    """A booktabs table (\\usepackage{booktabs}) ready to \\input into a manuscript."""
    spec = "".join("r" if c in numeric else "l" for c in columns)
    out.write("\\begin{table}[htbp]\n\\centering\n")
    if caption:
        out.write(f"\\caption{{{latex_escape(caption)}}}\n")
    out.write(f"\\begin{{tabular}}{{{spec}}}\n\\toprule\n")
    out.write(" & ".join(latex_escape(c) for c in columns) + " \\\\\n\\midrule\n")
    for row in rows:
        out.write(" & ".join(latex_escape(_cell(row.get(c))) for c in columns) + " \\\\\n")
    out.write("\\bottomrule\n\\end{tabular}\n\\end{table}\n")


def write_json(payload: Any, out: TextIO) -> None:
    json.dump(payload, out, indent=2, ensure_ascii=False, sort_keys=False)
    out.write("\n")


def write_quotes_markdown(records: Sequence[Row], out: TextIO, *, caption: str = "") -> None:
    """Block quotes under a heading per code and group, each with its citation."""
    current = None
    for r in records:
        key = (r["code"], r["group"])
        if key != current:
            group = f" — {r['group']}" if r["group"] != "Total" else ""
            out.write(f"\n### {_md_escape(r['name'])} (`{r['code']}`){_md_escape(group)}\n\n")
            current = key
        out.write(f"> {_md_escape(r['quote'])}\n>\n> — {_md_escape(r['citation'])}\n\n")
    if caption:
        out.write(f"_{_md_escape(caption)}_\n")
