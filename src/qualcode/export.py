"""Writing tables in the formats papers and spreadsheets need: CSV, Markdown, LaTeX, JSON.

Renderers take plain rows (lists of dicts with the same keys) and a text stream, so every format is
testable with a StringIO and deterministic: the caller's row and column order is kept, floats are
formatted by the caller, nothing depends on time or locale.
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

Row = Mapping[str, Any]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: Any) -> Any:
    """Prefix a cell a spreadsheet would run as a formula with `'` (OWASP CSV injection advice).

    Plain numbers (including negative ones) are left alone: they are data, not formulas. A cell
    starting with a tab or carriage return is always prefixed: no number is written that way.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        if value[0] in "\t\r":
            return "'" + value
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
        if math.isnan(value):  # pandas' missing value, e.g. the percent of an empty group
            return ""
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


# Characters that are markup inside a Markdown paragraph or table cell, escaped with a backslash
# (CommonMark lets any ASCII punctuation be escaped); &, < and > become entities.
# `~` (strikethrough, pandoc subscript), `^` (pandoc superscript) and `$` (pandoc math) too:
# "~50% ... ~60%" became a subscript in a paper built with pandoc.
_MD_BACKSLASH = frozenset("\\`*_[]|#~^$")
_MD_ENTITY = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# A cell or quote that starts like a list item ("- x", "+ x", "1. x") would turn into a list.
_MD_LIST_START = re.compile(r"^([-+]|\d{1,9}[.)])(?=\s|$)")


def _md_escape(value: str) -> str:
    """Text shown as itself in a Markdown table cell or block quote (no emphasis, links, tables)."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for i, ch in enumerate(text):
        if ch == "_" and 0 < i < len(text) - 1 and text[i - 1].isalnum() and text[i + 1].isalnum():
            out.append(ch)  # inside a word (`n_units`) an underscore never starts emphasis
        elif ch in _MD_BACKSLASH:
            out.append("\\" + ch)
        elif ch in _MD_ENTITY:
            out.append(_MD_ENTITY[ch])
        elif ch == "\n":
            out.append("<br>")
        else:
            out.append(ch)
    escaped = "".join(out)
    list_start = _MD_LIST_START.match(escaped)
    if list_start:
        marker = list_start.group(1)
        escaped = marker[:-1] + "\\" + marker[-1] + escaped[len(marker) :]
    return escaped


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
    # Not special to TeX, but OT1 fonts print them as other glyphs (an em dash, ¡ and ¿).
    "|": r"\textbar{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "\n": " ",  # a blank line inside a cell would end the paragraph: a TeX error in l columns
}


def latex_escape(value: str) -> str:
    """TeX's special characters escaped, and straight quotes as TeX's opening and closing
    quotes (a straight `"` prints as a closing quote mark on both sides of a quotation)."""
    out = []
    previous = " "
    for ch in value:
        if ch in "\"'":
            opening = previous.isspace() or previous in "([{\u2014-/"
            out.append(("``" if opening else "''") if ch == '"' else ("`" if opening else "'"))
        else:
            out.append(_LATEX_SPECIAL.get(ch, ch))
        previous = ch
    return "".join(out)


# About what fits on a page in a float; a longer table is a longtable.
_ROWS_IN_A_FLOAT = 30
# A table of counts: the text columns wrap, so the group columns fit beside them.
_COUNT_TABLE_WIDTHS = {"code": "0.18\\linewidth", "name": "0.2\\linewidth"}


def _latex_header(column: str, numeric: bool) -> str:
    """A group header `Worker co-op (n=4)` as two lines, so count columns stay narrow; a
    nested group (`CLT / housing (n=2)`) one line a level."""
    head, sep, tail = column.rpartition(" (")
    if not (numeric and sep and head):
        return latex_escape(column)
    lines = [latex_escape(part) for part in head.split(" / ")]
    stacked = " /\\\\".join(lines)
    return f"\\shortstack[r]{{{stacked}\\\\({latex_escape(tail)}}}"


def write_latex(
    rows: Sequence[Row],
    columns: Sequence[str],
    out: TextIO,
    *,
    numeric: Sequence[str] = (),
    caption: str = "",
    widths: Mapping[str, str] | None = None,
) -> None:
    """A booktabs table (\\usepackage{booktabs}) ready to \\input into a manuscript.

    Columns given a width (e.g. `0.5\\linewidth`) wrap their prose; a table of counts wraps its
    code and name columns and stacks its group headers (`Worker co-op` over `(n=4)`), so it
    stays within the page. A table with wrapped columns or many rows can run over pages, so it
    becomes a longtable (\\usepackage{longtable}) repeating its header: a float cannot break,
    and rows past the page were lost.
    """
    if widths is None:
        widths = {c: w for c, w in _COUNT_TABLE_WIDTHS.items() if c in columns and numeric}
    spec = "".join(
        f"p{{{widths[c]}}}" if c in widths else "r" if c in numeric else "l" for c in columns
    )
    header = " & ".join(_latex_header(c, c in numeric) for c in columns) + " \\\\\n"
    if widths or len(rows) > _ROWS_IN_A_FLOAT:
        out.write(f"\\begin{{longtable}}{{{spec}}}\n")
        if caption:
            out.write(f"\\caption{{{latex_escape(caption)}}}\\\\\n")
        out.write(f"\\toprule\n{header}\\midrule\n\\endhead\n")
    else:
        out.write("\\begin{table}[htbp]\n\\centering\n")
        if caption:
            out.write(f"\\caption{{{latex_escape(caption)}}}\n")
        out.write(f"\\begin{{tabular}}{{{spec}}}\n\\toprule\n{header}\\midrule\n")
    # wrapped cells ragged right (justified narrow columns stretch their spaces); rows end in
    # \tabularnewline, which \raggedright does not redefine as \\ would be
    ragged = dict.fromkeys(widths, "\\raggedright\\hspace{0pt}")
    for row in rows:
        cells = (ragged.get(c, "") + latex_escape(_cell(row.get(c))) for c in columns)
        out.write(" & ".join(cells) + " \\tabularnewline\n")
    if widths or len(rows) > _ROWS_IN_A_FLOAT:
        out.write("\\bottomrule\n\\end{longtable}\n")
    else:
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
