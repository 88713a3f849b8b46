"""Rendering plain rows and views for the terminal; one renderer per format."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

    from qualcode.overview import CodingView, TranscriptView


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
    if fmt != "table":  # rich makes its own table safe (terminal_safe on every cell)
        out = to_terminal(out)
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
        # the first column holds ids that other commands take: never cut or wrapped
        ids = max((len(export._cell(row.get(columns[0]))) for row in rows if columns), default=0)
        for i, column in enumerate(columns):
            table.add_column(
                column,
                justify="right" if column in numeric else "left",
                no_wrap=i == 0,
                min_width=min(ids, 40) if i == 0 else _number_width(rows, column, numeric),
            )
        for row in rows:
            table.add_row(*(terminal_safe(export._cell(row.get(c))) for c in columns))
        print_table(stdout_console(out), table)


def _number_width(
    rows: Sequence[dict[str, Any]], column: str, numeric: Sequence[str]
) -> int | None:
    """A count's column is never narrower than its widest number: rich cut `4821` to `4…`."""
    from qualcode import export

    if column not in numeric:
        return None
    return max((len(export._cell(row.get(column))) for row in rows), default=0) or None


def print_table(console: Console, table: Any) -> None:
    """A table to a terminal fits its width; to a pipe or a file it is as wide as it needs.

    Piped, a table of 20 groups was drawn 120 columns wide with every count cut to `4…` and
    every header to `S…` (found by a helper), which is no use in a file or `less`.
    """
    if not console.is_terminal:
        natural = console.measure(table, options=console.options.update(max_width=10_000)).maximum
        if natural > console.width:
            console.width = natural
    console.print(table)


_STATUS_MARK = {"accepted": "✓", "rejected": "✗", "proposed": "?"}

# A styled line: its text and (start, end, style) spans.
_Line = tuple[str, tuple[tuple[int, int, str], ...]]

# Control characters become spaces: the same length, so highlights stay on their words, and a
# transcript cannot send escape sequences to the terminal.
_NO_CONTROLS = str.maketrans(dict.fromkeys([*range(9), *range(11, 32), *range(127, 160)], " "))


def terminal_safe(text: str) -> str:
    """Text from a transcript or a metadata file as the terminal may show it: an escape sequence
    in an interview (`ESC]0;...`) would retitle or clear the user's terminal. Same length, so
    highlight offsets still hold."""
    return text.translate(_NO_CONTROLS)


class _TerminalSafe:
    """A text stream that writes `terminal_safe` text to a terminal (CSV, Markdown, LaTeX)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(terminal_safe(text))

    def flush(self) -> None:
        self.stream.flush()


def to_terminal(stream: TextIO) -> TextIO:
    """`stream`, made terminal-safe when it is a terminal: `quotes -f csv` printed an
    interview's escape sequences raw. Redirected to a file or a pipe, the data stays as it is."""
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return _TerminalSafe(stream) if tty else stream  # type: ignore[return-value]


def render_transcript_view(view: TranscriptView, console: Console, *, why: bool = False) -> None:
    """The transcript, segment by segment, with its codings and (with `why`) their hits.

    Styled through rich on a terminal. Piped or redirected, the lines are written as they are:
    for a transcript of 110,000 one-line paragraphs, `show > file` took 36 s through rich
    and takes 3 s so.
    """
    lines = _transcript_lines(view, why=why)
    if console.no_color and console.soft_wrap:
        out = console.file
        for text, _ in lines:
            out.write(terminal_safe(text) + "\n")
        return
    from itertools import islice

    from rich.text import Span, Text

    while batch := list(islice(lines, 2000)):  # a console.print per line was slower still
        console.print(
            Text("\n").join(
                Text(
                    terminal_safe(text),
                    spans=[Span(start, end, style) for start, end, style in spans],
                )
                for text, spans in batch
            )
        )


def _transcript_lines(view: TranscriptView, *, why: bool) -> Iterator[_Line]:
    title = f"{view.id}  ({view.path}, coder {view.coder})"
    yield title, ((0, len(title), "bold"),)
    if view.metadata:
        meta = "  ".join(f"{k}: {v}".replace("\n", " ") for k, v in view.metadata.items())
        yield meta, ((0, len(meta), "dim"),)
    yield "", ()
    for seg in view.segments:
        head = f"[{seg.id} L{seg.line_start}-{seg.line_end}] "
        speaker = seg.speaker or "(no speaker)"
        said = seg.speaker and seg.role and seg.role.casefold() != seg.speaker.casefold()
        role = f" ({seg.role})" if said else ""
        line = head + speaker + role
        bold_end = len(head) + len(speaker)
        yield line, ((0, len(line), "dim"), (len(head), bold_end, "bold"))
        yield (
            seg.text,
            tuple((hit.start - seg.start, hit.end - seg.start, "bold reverse") for hit in seg.hits),
        )
        for coding in seg.codings:
            yield _coding_line(coding)
            if why:
                for hit in seg.hits:
                    if hit.code == coding.code:
                        text = (
                            f"      {hit.rule} ({view.rule_text.get(hit.rule, '')}) "
                            f"matched {hit.text!r}"
                        )
                        yield text, ((0, len(text), "dim"),)
        yield "", ()


def _coding_line(coding: CodingView) -> _Line:
    parts = [
        (f"  {_STATUS_MARK.get(coding.status, '?')} {coding.code}", ""),
        (f"  {coding.status}, {coding.origin}", "dim"),
    ]
    if coding.stale:
        # its segment id is kept from the text it was made on, which may be another passage now
        parts.append(("  STALE (made on an earlier text of this segment id; not counted)", "red"))
    if coding.memo:
        parts.append((f"  memo: {coding.memo}", "italic"))
    line = "".join(text for text, _ in parts)
    spans, start = [(0, len(line), coding.color or "cyan")], 0  # the code's colour, under all
    for text, style in parts:
        if style:
            spans.append((start, start + len(text), style))
        start += len(text)
    return line, tuple(spans)


def render_summary(result: Any, console: Console) -> None:
    """Per code family a table (count and % per group), then the top quotes per code."""
    from rich.table import Table
    from rich.text import Text

    title = " by " + " x ".join(result.by) if result.by else ""
    console.print(Text(f"Summary{title}: {result.n_transcripts} transcripts", style="bold"))
    for family in result.families:
        table = Table(title=family.name, title_justify="left", title_style="bold")
        for column in result.columns[1:]:
            widest = max((len(str(row[column])) for row in family.rows), default=0)
            table.add_column(
                column,
                justify="left" if column == "name" else "right",
                min_width=None if column == "name" else widest or None,
            )
        for i, row in enumerate(family.rows):
            name = row["name"] if i == 0 else "  " + row["name"]
            table.add_row(terminal_safe(name), *(str(row[c]) for c in result.columns[2:]))
        print_table(console, table)
    console.print(Text(result.caption, style="dim"))
    if result.quotes:
        console.print(Text("\nQuotes", style="bold"))
    current = None
    for q in result.quotes:
        if q["code"] != current:
            console.print(Text(f"\n{q['name']} ({q['code']})", style="bold"))
            current = q["code"]
        quote = Text(terminal_safe(q["quote"]))
        for s, e in q["highlights"]:
            quote.stylize("bold reverse", s, e)
        group = f"[{terminal_safe(q['group'])}] " if q["group"] != "Total" else ""
        line = Text(f"  {group}“")
        line.append_text(quote)
        line.append("”")
        console.print(line)
        console.print(Text(f"     — {terminal_safe(q['citation'])}", style="dim"))
