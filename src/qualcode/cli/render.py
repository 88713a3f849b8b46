"""Rendering plain rows and views for the terminal; one renderer per format."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

    from qualcode.overview import TranscriptView


def render_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    output_format: str,
    *,
    title: str = "",
    caption: str = "",
    numeric: Sequence[str] = (),
    out: TextIO | None = None,
) -> None:
    """Rows as a rich table, CSV, JSON (list of objects) or Markdown."""
    from qualcode import export

    out = out or sys.stdout
    fmt = str(output_format)
    if fmt == "csv":
        export.write_csv(rows, columns, out)
    elif fmt == "json":
        export.write_json([{c: row.get(c) for c in columns} for row in rows], out)
    elif fmt == "md":
        export.write_markdown(rows, columns, out, numeric=numeric)
        if caption:
            out.write(f"\n{caption}\n")
    elif fmt == "latex":
        export.write_latex(rows, columns, out, numeric=numeric, caption=caption or title)
    else:
        from rich.table import Table

        from qualcode.cli.output import stdout_console

        table = Table(title=title or None, caption=caption or None, caption_justify="left")
        for column in columns:
            table.add_column(column, justify="right" if column in numeric else "left")
        for row in rows:
            table.add_row(*(export._cell(row.get(c)) for c in columns))
        stdout_console(out).print(table)


_STATUS_MARK = {"accepted": "✓", "rejected": "✗", "proposed": "?"}


def render_transcript_view(view: TranscriptView, console: Console, *, why: bool = False) -> None:
    from rich.text import Text

    console.print(Text(f"{view.id}  ({view.path}, coder {view.coder})", style="bold"))
    if view.metadata:
        console.print(Text("  ".join(f"{k}: {v}" for k, v in view.metadata.items()), style="dim"))
    console.print()
    for seg in view.segments:
        header = Text(f"[{seg.id} L{seg.line_start}-{seg.line_end}] ", style="dim")
        header.append(f"{seg.speaker or '(no speaker)'}", style="bold")
        console.print(header)
        body = Text(seg.text)
        for hit in seg.hits:
            body.stylize("bold reverse", hit.start - seg.start, hit.end - seg.start)
        console.print(body)
        for coding in seg.codings:
            mark = _STATUS_MARK.get(coding.status, "?")
            line = Text(f"  {mark} {coding.code}", style=coding.color or "cyan")
            line.append(f"  {coding.status}, {coding.origin}", style="dim")
            if coding.stale:
                line.append("  STALE (text changed)", style="red")
            if coding.memo:
                line.append(f"  memo: {coding.memo}", style="italic")
            console.print(line)
            if why:
                for hit in seg.hits:
                    if hit.code == coding.code:
                        console.print(
                            Text(
                                f"      {hit.rule} ({view.rule_text.get(hit.rule, '')}) "
                                f"matched {hit.text!r}",
                                style="dim",
                            )
                        )
        console.print()


def render_summary(result: Any, console: Console) -> None:
    """Per code family a table (count and % per group), then the top quotes per code."""
    from rich.table import Table
    from rich.text import Text

    title = " by " + " x ".join(result.by) if result.by else ""
    console.print(Text(f"Summary{title}: {result.n_transcripts} transcripts", style="bold"))
    for family in result.families:
        table = Table(title=family.name, title_justify="left", title_style="bold")
        for column in result.columns[1:]:
            table.add_column(column, justify="left" if column == "name" else "right")
        for i, row in enumerate(family.rows):
            name = row["name"] if i == 0 else "  " + row["name"]
            table.add_row(name, *(str(row[c]) for c in result.columns[2:]))
        console.print(table)
    console.print(Text(result.caption, style="dim"))
    console.print(Text("\nQuotes", style="bold"))
    current = None
    for q in result.quotes:
        if q["code"] != current:
            console.print(Text(f"\n{q['name']} ({q['code']})", style="bold"))
            current = q["code"]
        quote = Text(q["quote"])
        for s, e in q["highlights"]:
            quote.stylize("bold reverse", s, e)
        group = f"[{q['group']}] " if q["group"] != "Total" else ""
        line = Text(f"  {group}“")
        line.append_text(quote)
        line.append("”")
        console.print(line)
        console.print(Text(f"     — {q['citation']}", style="dim"))
