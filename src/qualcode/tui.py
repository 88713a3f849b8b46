"""The full-screen coding session behind `qualcode session`, built with Textual.

Why Textual (and not curses, urwid or prompt_toolkit): it is already a project dependency, it lays out
a screen with CSS so the view fits 80x24 without hand-counted cursor moves, it has modal screens for
the code search and memo prompts, and its `App.run_test` Pilot drives the real app headless at a fixed
size, so the key flows are tested without a terminal; it can also save an SVG screenshot.

This module is presentation only: every decision and move goes through
`qualcode.session.SessionState`, which saves each one at once. It imports Textual at module level
because it is the Textual layer; the CLI imports it only when `qualcode session` runs.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from qualcode.errors import QualcodeError
from qualcode.session import CodeRow, SessionState, search_codes

STATUS_MARK = {
    "proposed": ("?", "bold yellow"),
    "accepted": ("✓", "bold green"),
    "rejected": ("✗", "bold red"),
}
HIT_STYLE = "black on yellow"
SELECTED_HIT_STYLE = "bold black on bright_green"

# help and quit first: a narrow terminal cuts the line's end, and `?` lists the rest
KEYS: tuple[tuple[str, str], ...] = (
    ("?", "help"),
    ("q", "quit"),
    ("a", "accept"),
    ("x", "reject"),
    ("c", "add"),
    ("-", "remove"),
    ("m", "memo"),
    ("n/p u t /", ""),
    ("z/y", ""),
)

HELP_TEXT = """\
[b]Keys[/b]
  ↑ ↓ / j k     select a code of this segment
  a or Enter    accept the selected proposal
  x             reject the selected proposal
  + or c        add a code (fuzzy search over names and ids)
  -             remove the selected code (a rule proposal is rejected)
  m             memo on the selected code;  M  memo on the segment
  r             mark this segment reviewed
  n / p         next / previous segment
  u             next unreviewed segment (across transcripts)
  t             next transcript
  T             go to a transcript by (part of) its id
  /             search the text (next segment containing it)
  z / y         undo / redo
  space / b     scroll the segment text down / up (also PgDn / PgUp)
  ?             this help;  q  quit (everything is already saved)

[b]Marks[/b]  ? proposed  ✓ accepted  ✗ rejected  + added by you  ✎ has a memo
A segment is reviewed when you leave it with nothing left to decide.
Highlighted words are the rule hits behind the proposals (green: the selected
code's). ↑ ↓ scroll this help; any other key closes it."""


def keys_line() -> Text:
    """The footer: each key in bold, then what it does (fits 80 columns)."""
    line = Text()
    for key, what in KEYS:
        line.append(key, style="bold")
        line.append(f" {what}  " if what else "  ", style="dim")
    return line


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(0, width - 1)] + "…"


class PromptScreen(ModalScreen[str | None]):
    """A one-line text prompt (memo, search): Enter returns the text, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    PromptScreen { align: center middle; }
    PromptScreen > Vertical {
        width: 72; max-width: 100%; height: auto; border: round $accent; background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, title: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt")
            yield Label("Enter saves, Escape cancels", classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class CodeSearchScreen(ModalScreen[str | None]):
    """Type to fuzzy-search codable codes by name and id; Enter adds the highlighted one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]
    DEFAULT_CSS = """
    CodeSearchScreen { align: center middle; }
    CodeSearchScreen > Vertical {
        width: 72; max-width: 100%; height: auto; max-height: 20; border: round $accent;
        background: $surface; padding: 0 1;
    }
    CodeSearchScreen OptionList { height: auto; max-height: 10; }
    """

    def __init__(self, state: SessionState) -> None:
        super().__init__()
        self.state = state
        self.found: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Add a code: type part of its name or id (↑↓ choose, Enter add)")
            yield Input(placeholder="part of a code's name or id", id="query")
            results = OptionList(id="results")
            results.can_focus = False
            yield results

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, query: str) -> None:
        # every code to browse (the list scrolls), the best matches once something is typed
        codebook = self.state.project.codebook
        codes = search_codes(codebook, query, limit=len(codebook.codable) if not query else 30)
        self.found = [c.id for c in codes]
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(
            [Option(Text(_one_line(f"{c.id}  ·  {c.name}", 66)), id=c.id) for c in codes]
            or [Option("no code matches", disabled=True)]
        )
        results.highlighted = 0 if codes else None

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one(OptionList)
        if results.highlighted is not None and self.found:
            self.dismiss(self.found[results.highlighted])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_move(self, step: int) -> None:
        results = self.query_one(OptionList)
        if self.found:
            current = results.highlighted or 0
            results.highlighted = (current + step) % len(self.found)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """The keys; on a short terminal the arrows scroll it, any other key closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    HelpScreen Static { height: auto; }
    """
    _SCROLL: ClassVar[dict[str, int]] = {"down": 1, "j": 1, "up": -1, "k": -1}

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(HELP_TEXT)

    def on_key(self, event: Any) -> None:
        step = self._SCROLL.get(getattr(event, "key", ""))
        if step is None:
            self.dismiss(None)
            return
        event.stop()
        self.query_one(VerticalScroll).scroll_relative(y=step, animate=False)


class CodingScreen(Screen[None]):
    """The main view: status line, context, the segment, its codes, a message line, the keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "accept", "Accept"),
        Binding("x", "reject", "Reject"),
        Binding("plus,c", "add", "Add code"),
        Binding("minus", "remove", "Remove"),
        Binding("m", "memo", "Memo"),
        Binding("M", "segment_memo", "Segment memo"),
        Binding("r", "reviewed", "Mark reviewed"),
        Binding("n", "next", "Next"),
        Binding("p", "prev", "Previous"),
        Binding("u", "unreviewed", "Next unreviewed"),
        Binding("t", "next_transcript", "Next transcript"),
        Binding("T", "go_to_transcript", "Go to transcript"),
        Binding("slash", "search", "Search"),
        Binding("z", "undo", "Undo"),
        Binding("y", "redo", "Redo"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("space,pagedown", "scroll_text(1)", "Scroll down", show=False, priority=True),
        Binding("b,pageup", "scroll_text(-1)", "Scroll up", show=False, priority=True),
        Binding("j", "cursor(1)", "Down", show=False),
        Binding("k", "cursor(-1)", "Up", show=False),
    ]
    DEFAULT_CSS = """
    CodingScreen { layout: vertical; }
    #status { height: 1; background: $primary; color: $text; padding: 0 1; }
    .context { height: 1; color: $text-muted; padding: 0 1; }
    #segment-box { height: 1fr; border: round $primary; padding: 0 1; }
    #codes { height: 8; border: round $secondary; }
    #message { height: auto; max-height: 2; padding: 0 1; }
    #keys { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    def __init__(self, state: SessionState) -> None:
        super().__init__()
        self.state = state
        self.rows: list[CodeRow] = []
        self.last_search = ""

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield Static(id="before", classes="context")
        box = VerticalScroll(id="segment-box")
        box.can_focus = False  # keys stay with the codes list; space/b and PgUp/PgDn scroll
        with box:
            yield Static(id="segment")
        yield Static(id="after", classes="context")
        yield OptionList(id="codes")
        yield Static(id="message")
        yield Static(keys_line(), id="keys")

    def on_mount(self) -> None:
        self.query_one("#codes", OptionList).focus()
        self.refresh_view()
        notices = self.state.take_notices()
        self.show_message("; ".join(notices) if notices else "? shows every key")

    # -- drawing ----------------------------------------------------------------------------

    def selected(self) -> CodeRow | None:
        codes = self.query_one("#codes", OptionList)
        if codes.highlighted is None or not self.rows or codes.highlighted >= len(self.rows):
            return None
        return self.rows[codes.highlighted]

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.query_one("#message", Static).update(
            Text(_one_line(text, 150), style="bold red" if error else "italic")
        )

    def refresh_view(self, select: str | None = None) -> None:
        """Redraw from the session state, keeping (or moving to) the selected code."""
        state = self.state
        previous = self.selected()
        reviewed, total = state.progress()
        share = f"{reviewed / total:.0%}" if total else "-"
        records = state.records()
        mark = " ✓ reviewed" if records.reviewed else ""
        position = state.transcript_ids.index(state.transcript_id) + 1
        status = (
            f"{state.transcript_id} ({position}/{len(state.transcript_ids)})  ·  "
            f"segment {state.index + 1}/{total}{mark}  ·  {reviewed}/{total} reviewed ({share})"
        )
        width = self._line_width()
        self.query_one("#status", Static).update(Text(_one_line(status, width), style="bold"))
        before, after = state.context()
        for widget_id, seg, arrow in (("#before", before, "↑"), ("#after", after, "↓")):
            if seg is None:
                line = f"{arrow} ({'start' if arrow == '↑' else 'end'} of transcript)"
            else:
                line = f"{arrow} {seg.speaker or '—'}: {state.segment_text(seg)}"
            self.query_one(widget_id, Static).update(Text(_one_line(line, width)))

        self.rows = state.rows()
        codes = self.query_one("#codes", OptionList)
        codes.clear_options()
        if self.rows:
            codes.add_options([Option(self._row_text(row)) for row in self.rows])
        else:
            codes.add_options([Option(Text("no codes here: c adds one", "dim"), disabled=True)])
        keep = select or (previous.code if previous else None)
        index = next((i for i, r in enumerate(self.rows) if r.code == keep), None)
        if index is None and self.rows:
            index = next((i for i, r in enumerate(self.rows) if r.status == "proposed"), 0)
        codes.highlighted = index
        counts = {s: sum(r.status == s for r in self.rows) for s in STATUS_MARK}
        codes.border_title = (
            f"codes: {counts['proposed']} proposed, {counts['accepted']} accepted, "
            f"{counts['rejected']} rejected"
        )
        self._draw_segment()

    def on_resize(self, event: object) -> None:
        """One-line texts are cut to the width: cut them again to the new one."""
        self.refresh_view()

    def _line_width(self) -> int:
        """The screen's width for one-line texts (78 before the first layout, as before)."""
        return max(20, (self.size.width or 80) - 2)

    def _row_text(self, row: CodeRow) -> Text:
        symbol, style = STATUS_MARK.get(row.status, ("·", ""))
        text = Text()
        text.append(f"{symbol}{'+' if row.origin == 'human' else ' '} ", style=style)
        # a long id is not run into its name: it keeps a space after it
        text.append(
            f"{row.code:<26} "[: max(27, len(row.code) + 1)],
            style="bold" if row.known else "bold red",
        )
        detail = row.name if row.known else "(not in the codebook)"
        if row.matched:
            detail += "  ← " + ", ".join(f"“{w}”" for w in row.matched)
        elif row.origin == "human":
            detail += "  (added by you)"
        if row.span:
            detail += f"  [{row.span[0]}-{row.span[1]}]"
        if row.stale:
            detail += "  (stale: its text changed)"
        if row.memo:
            detail += "  ✎ " + row.memo
        text.append(_one_line(detail, max(20, self._line_width() - 6 - len(f"{row.code:<26} "))))
        return text

    def _draw_segment(self) -> None:
        state = self.state
        segment = state.segment
        base = segment.start
        body = Text(state.segment_text())
        selected = self.selected()
        chosen_rules = set(selected.rules) if selected else set()
        for hit in state.hits():
            style = SELECTED_HIT_STYLE if hit.rule_id in chosen_rules else HIT_STYLE
            body.stylize(style, hit.start - base, hit.end - base)
        if selected and selected.span:
            body.stylize("underline", selected.span[0] - base, selected.span[1] - base)
        box = self.query_one("#segment-box", VerticalScroll)
        box.border_title = f"{segment.speaker or 'text'} · {segment.id} · line {segment.line_start}"
        memo = state.records().memo
        box.border_subtitle = _one_line(f"✎ {memo}", 60) if memo else ""
        self.query_one("#segment", Static).update(body)
        first_hit = min((h.start for h in state.hits() if h.rule_id in chosen_rules), default=None)
        if selected and selected.span:
            first_hit = selected.span[0]
        fraction = None if first_hit is None else (first_hit - base) / max(1, len(body))
        self.call_after_refresh(self._scroll_to, fraction)
        codes = self.query_one("#codes", OptionList)
        if selected and selected.rules:
            described = []
            for rule_id in selected.rules:
                rule = state.rule(rule_id)
                described.append(f"{rule_id} {rule.describe()}" if rule else rule_id)
            codes.border_subtitle = _one_line("rule " + "; ".join(described), 70)
        else:
            codes.border_subtitle = ""

    def _scroll_to(self, fraction: float | None) -> None:
        """Bring the selected code's first hit into view (roughly: by its share of the text)."""
        box = self.query_one("#segment-box", VerticalScroll)
        if fraction is None:
            box.scroll_home(animate=False)
            return
        target = int(fraction * box.virtual_size.height) - box.size.height // 2
        box.scroll_to(y=max(0, target), animate=False)

    def action_scroll_text(self, pages: int) -> None:
        box = self.query_one("#segment-box", VerticalScroll)
        box.scroll_to(y=box.scroll_y + pages * max(1, box.size.height - 2), animate=False)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._draw_segment()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_accept()

    # -- doing ------------------------------------------------------------------------------

    def _do(self, operation, *args, select: str | None = None) -> None:  # type: ignore[no-untyped-def]
        """Run one session operation, then redraw and show its outcome and any notices."""
        try:
            outcome = operation(*args)
        except QualcodeError as exc:
            self.refresh_view()
            self.show_message(str(exc), error=True)
            return
        self.refresh_view(select)
        message = [outcome] if isinstance(outcome, str) else []
        self.show_message("; ".join(message + self.state.take_notices()))

    def _needs_selection(self) -> CodeRow | None:
        row = self.selected()
        if row is None:
            self.show_message("no code selected (c adds one)", error=True)
        return row

    def _next_open(self, after: str) -> str | None:
        """The next still-proposed code after `after`, so a/x walk through the proposals."""
        rows = self.state.rows()
        at = next((i for i, r in enumerate(rows) if r.code == after), -1)
        for row in rows[at + 1 :] + rows[: at + 1]:
            if row.status == "proposed":
                return row.code
        return after

    def _decide(self, operation) -> None:  # type: ignore[no-untyped-def]
        row = self._needs_selection()
        if row is None:
            return

        try:
            outcome = operation(row.code)
        except QualcodeError as exc:
            self.show_message(str(exc), error=True)
            return
        self.refresh_view(self._next_open(row.code))
        self.show_message("; ".join([outcome, *self.state.take_notices()]))

    def action_accept(self) -> None:
        self._decide(self.state.accept)

    def action_reject(self) -> None:
        self._decide(self.state.reject)

    def action_remove(self) -> None:
        row = self._needs_selection()
        if row is not None:
            self._do(self.state.remove, row.code)

    def action_add(self) -> None:
        def chosen(code_id: str | None) -> None:
            if code_id:
                self._do(self.state.add, code_id, select=code_id)

        self.app.push_screen(CodeSearchScreen(self.state), chosen)

    def action_memo(self) -> None:
        row = self.selected()
        if row is None:
            self.action_segment_memo()
            return

        def saved(text: str | None) -> None:
            if text is not None:
                self._do(self.state.memo, text, row.code)

        self.app.push_screen(PromptScreen(f"Memo on {row.code} ({row.name})", row.memo), saved)

    def action_segment_memo(self) -> None:
        def saved(text: str | None) -> None:
            if text is not None:
                self._do(self.state.memo, text, None)

        title = f"Memo on segment {self.state.segment.id}"
        self.app.push_screen(PromptScreen(title, self.state.records().memo), saved)

    def action_reviewed(self) -> None:
        self._do(self.state.mark_reviewed)

    def action_next(self) -> None:
        self._do(self.state.next_segment)

    def action_prev(self) -> None:
        self._do(self.state.prev_segment)

    def action_unreviewed(self) -> None:
        self._do(self.state.next_unreviewed)

    def action_next_transcript(self) -> None:
        self._do(self.state.next_transcript)

    def action_go_to_transcript(self) -> None:
        def chosen(query: str | None) -> None:
            if query:
                self._do(self.state.go_to_transcript, query)

        self.app.push_screen(PromptScreen("Go to transcript (its id, or part of it)"), chosen)

    def action_search(self) -> None:
        def found(query: str | None) -> None:
            if query:
                self.last_search = query
                self._do(self.state.search, query)

        self.app.push_screen(
            PromptScreen("Search the text (next segment containing it)", self.last_search), found
        )

    def action_undo(self) -> None:
        self._do(lambda: self.state.undo() or "nothing to undo")

    def action_redo(self) -> None:
        self._do(lambda: self.state.redo() or "nothing to redo")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen())

    def action_cursor(self, step: int) -> None:
        codes = self.query_one("#codes", OptionList)
        if step > 0:
            codes.action_cursor_down()
        else:
            codes.action_cursor_up()

    def action_quit(self) -> None:
        self.app.exit()


class SessionApp(App[None]):
    """`SessionApp(state).run()`; the caller opens and closes the state (and so the lock)."""

    TITLE = "qualcode session"
    # Ctrl-C quits at once, as in every other command: each decision is already saved. The exit
    # code says it was an interrupt (130), as the other commands' does.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+c", "interrupt", "Quit", show=False, priority=True)
    ]

    def action_interrupt(self) -> None:
        self.exit(return_code=130)

    def __init__(self, state: SessionState) -> None:
        super().__init__()
        self.state = state

    def get_default_screen(self) -> Screen[None]:
        return CodingScreen(self.state)
