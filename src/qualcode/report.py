"""`qualcode report`: one self-contained HTML file with the tallies, co-occurrence and quotes.

Why HTML tables and not images: a table with inline background colours is crisp at any zoom, prints,
can be searched and copied, and needs no plotting library at report time. The file loads nothing
from the network (inline CSS, no scripts, no fonts), so it can be mailed to a co-author or archived
with the data. Same inputs give byte-identical output: there is no timestamp, and every ordering
follows the codebook, the declared metadata values or an explicit sort.

Everything that came from a user (transcript text, code names, metadata values, coder names,
codebook titles) passes through :func:`esc` before it reaches the page.

The work is split in two: :func:`gather_report_data` reads the project (I/O, the analysis API) and
:func:`render_report` turns that into a string (pure), so tests can render hand-made data.
"""

from __future__ import annotations

import html
import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from qualcode.project import Project

DEFAULT_BY = "partnership_type"
DEFAULT_PER_GROUP = 2

# Colour-blind-safe qualitative palette (Okabe & Ito) for groups in stacked bars.
GROUP_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
# Sequential blues (light to dark) for shares; interpolated linearly between the stops.
HEAT_STOPS = ((0.0, (239, 246, 252)), (0.5, (107, 174, 214)), (1.0, (8, 48, 107)))


def esc(value: object) -> str:
    """HTML-escape anything shown on the page, quotes included (safe in text and attributes)."""
    return html.escape(str(value), quote=True)


# -- data -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementSection:
    """Intercoder agreement as the report shows it: a table, or a note saying why there is none."""

    coders: list[str]
    rows: list[dict[str, Any]]
    note: str = ""


@dataclass
class ReportData:
    """What the report shows, already computed; rendering it needs no project."""

    title: str
    coder: str
    status: str
    by: list[str]
    n_transcripts: int
    codebooks: list[str]
    names: dict[str, str]
    depth: dict[str, int]
    parents: dict[str, list[str]]
    definitions: dict[str, str]
    tally: pd.DataFrame
    segments: pd.DataFrame
    cooccur: pd.DataFrame
    quotes: list[dict[str, Any]]
    quotes_caption: str
    agreement: AgreementSection | None
    warnings: list[str] = field(default_factory=list)
    version: str = ""


def default_by(
    by: Sequence[str] | None, attributes: Sequence[str], declared: Sequence[str] = ()
) -> list[str]:
    """`--by` given: as given. Not given: partnership_type when the project has it, else the first
    attribute declared in qualcode.yaml that transcripts have, else no groups.

    So any project gets a report grouped by what it declared (one Total column without), while a
    misspelt explicit --by is still reported by the analysis API.
    """
    if by:
        return list(by)
    if DEFAULT_BY in attributes:
        return [DEFAULT_BY]
    return next(([a] for a in declared if a in attributes), [])


def gather_report_data(
    project: Project,
    by: Sequence[str] | None = None,
    *,
    coder: str | None = None,
    status: str = "default",
    per_group: int = DEFAULT_PER_GROUP,
) -> ReportData:
    """Run the analyses once on one read of the project (the report's only I/O besides writing)."""
    from qualcode import __version__
    from qualcode.analysis import cooccur, load_analysis_data, quotes, tally
    from qualcode.errors import warn

    data = load_analysis_data(project, coder, status, keep_text=True)
    groups = default_by(by, data.attributes(), list(project.config.declared_values))
    codebook = project.codebook
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        counts = tally(project, groups, data=data)
        segments = tally(project, groups, count="segments", data=data)
        quote_frame = quotes(project, None, groups, per_group=per_group, data=data)
    notes = list(dict.fromkeys(str(w.message) for w in caught))
    for note in notes:  # shown in the report, and passed on to the caller (the CLI prints them)
        warn(note)
    co = cooccur(project, data=data)
    titles = [
        f"{book.title or book.id}" + (f" (version {book.version})" if book.version else "")
        for book in codebook.books
    ]
    return ReportData(
        title=f"Coding report: {project.config.title or project.root.name}",
        coder=data.coder,
        status=data.status,
        by=groups,
        n_transcripts=len(data.transcript_ids),
        codebooks=titles,
        names={c.id: c.name for c in codebook.codes},
        depth={c.id: c.depth for c in codebook.codes},
        parents={
            c.id: [a.name for a in reversed(codebook.ancestors(c.id))] for c in codebook.codes
        },
        definitions={c.id: c.definition or c.description for c in codebook.codes},
        tally=counts,
        segments=segments,
        cooccur=co,
        quotes=quote_frame.to_dict(orient="records"),
        quotes_caption=str(quote_frame.attrs.get("caption", "")),
        agreement=agreement_section(project),
        warnings=notes,
        version=__version__,
    )


def agreement_section(project: Project) -> AgreementSection | None:
    """None with fewer than two coders; else agreement between the coders who reviewed anything.

    Rule-only coders (such as `auto`) have reviewed nothing, so they would contribute only missing
    data; leaving them out is what lets Cohen's kappa appear when exactly two people reviewed. A
    consensus built by `qualcode merge` is left out too: it agrees with its coders by construction.
    """
    from qualcode.errors import QualcodeError
    from qualcode.intercoder import agreement_rows, project_agreement, reviewing_coders
    from qualcode.store import is_consensus, list_coders

    coders = [c for c in list_coders(project) if not is_consensus(project, c)]
    if len(coders) < 2:
        return None
    reviewing = reviewing_coders(project)
    if len(reviewing) < 2:
        who = ", ".join(reviewing) if reviewing else "none of them"
        return AgreementSection(
            coders,
            [],
            f"Coders with codings: {', '.join(coders)}; reviewed segments: {who}. Agreement needs "
            "two or more coders who reviewed segments (`qualcode session --coder NAME`).",
        )
    try:
        results, _ = project_agreement(project, reviewing)
    except QualcodeError as exc:
        return AgreementSection(reviewing, [], f"Agreement could not be computed: {exc.message}")
    return AgreementSection(reviewing, agreement_rows(results, project))


# -- numbers shared with the figures --------------------------------------------------------------


def share(count: float, n: float) -> float:
    """count / n in [0, 1]; 0 for an empty group (no division by zero, no NaN)."""
    return float(count) / float(n) if n else 0.0


def percent_text(count: float, n: float) -> str:
    """`63%` with halves rounded up (5 of 8), as a reader expects; `–` for an empty group."""
    from qualcode.analysis import percent_of

    if not n:
        return "–"
    return f"{percent_of(int(count), int(n)):.0f}%"


def value_columns(frame: pd.DataFrame) -> list[str]:
    """A tally's group columns then Total (everything but `name`)."""
    return [c for c in frame.columns if c != "name"]


def frequency_rows(segments: pd.DataFrame, counts: pd.DataFrame) -> list[dict[str, Any]]:
    """Codable codes by number of coded segments (most first, ties in codebook order).

    Each row: code, name, segments (Total), per-group segments, transcripts (Total). Codes never
    applied are kept at the end (a zero is a finding too). The `(any code)` row is left out.
    """
    from qualcode.analysis import ANY_CODE, TOTAL

    groups = [c for c in value_columns(segments) if c != TOTAL]
    rows = []
    for order, (code_id, record) in enumerate(segments.iterrows()):
        if code_id == ANY_CODE:
            continue
        rows.append(
            {
                "code": code_id,
                "name": record["name"],
                "segments": int(record[TOTAL]),
                "groups": {g: int(record[g]) for g in groups},
                "transcripts": int(counts.loc[code_id, TOTAL]),
                "order": order,
            }
        )
    rows.sort(key=lambda r: (-r["segments"], r["order"]))
    return rows


def cooccur_codes(frame: pd.DataFrame) -> list[str]:
    """Codes that occur at all (non-zero diagonal): empty rows and columns only add noise."""
    return [c for c in frame.index if int(frame.loc[c, c]) > 0]


def heat_color(value: float) -> str:
    """Background for a share in [0, 1] on a light-to-dark blue scale (`#rrggbb`)."""
    value = min(1.0, max(0.0, value))
    for (x0, c0), (x1, c1) in itertools.pairwise(HEAT_STOPS):
        if value <= x1:
            t = (value - x0) / (x1 - x0) if x1 > x0 else 0.0
            rgb = [round(a + (b - a) * t) for a, b in zip(c0, c1, strict=True)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#{:02x}{:02x}{:02x}".format(*HEAT_STOPS[-1][1])


def ink_for(value: float) -> str:
    """White text on dark cells, near-black on light ones (contrast in both)."""
    return "#ffffff" if value > 0.55 else "#1b1f24"


def group_color(index: int, n_groups: int) -> str:
    """A group's colour; one neutral colour when there are more groups than the palette holds."""
    if n_groups > len(GROUP_COLORS):
        return GROUP_COLORS[0]
    return GROUP_COLORS[index]


def sentence(text: str) -> str:
    """Captions from the analysis API start lower-case; as a sentence of their own they need a capital."""
    return text[:1].upper() + text[1:]


# -- rendering ------------------------------------------------------------------------------------


CSS = """\
:root { --ink: #1b1f24; --muted: #5b6470; --rule: #d9dee4; --accent: #0b5cad; --paper: #ffffff; }
* { box-sizing: border-box; }
html { background: #f4f6f8; }
body { margin: 0 auto; max-width: 72rem; padding: 1.5rem 2rem 4rem; background: var(--paper);
  color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue",
  Arial, sans-serif; }
h1 { font-size: 1.7rem; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.3rem; margin: 2.5rem 0 0.5rem; padding-top: 0.5rem; border-top: 2px solid var(--ink); }
h3 { font-size: 1.05rem; margin: 1.6rem 0 0.3rem; }
h4 { font-size: 0.9rem; margin: 0.9rem 0 0.3rem; color: var(--muted); }
a { color: var(--accent); }
.meta { color: var(--muted); margin: 0 0 0.5rem; }
.meta dt { float: left; clear: left; width: 9rem; font-weight: 600; color: var(--ink); }
.meta dd { margin: 0 0 0.1rem 9rem; }
nav.toc ol { display: flex; flex-wrap: wrap; gap: 0.2rem 1.4rem; padding-left: 1.2rem; margin: 0.5rem 0; }
.caption, .note { color: var(--muted); font-size: 0.85rem; max-width: 52rem; }
.note { border-left: 3px solid var(--rule); padding-left: 0.7rem; }
.warning { border-left-color: #d55e00; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: 0.88rem; }
th, td { padding: 0.25rem 0.55rem; }
thead th { position: sticky; top: 0; z-index: 2; background: var(--paper); vertical-align: bottom;
  border-bottom: 2px solid var(--ink); }
tbody tr + tr th, tbody tr + tr td { border-top: 1px solid #eef1f4; }
th { text-align: left; font-weight: 600; }
td.num, th.num { text-align: right; }
.heatmap td.cell { text-align: center; min-width: 6.5rem; border: 1px solid #fff; }
.heatmap td.zero { color: #9aa3ad; }
tbody th { font-weight: 400; }
.heatmap tr.family th.code, .heatmap tr.family td { font-weight: 700; }
.heatmap tr.anycode th, .heatmap tr.anycode td { border-top: 2px solid var(--ink); font-weight: 700; }
.heatmap th.code a { color: inherit; text-decoration: none; }
.heatmap th.code a:hover { text-decoration: underline; }
.id { color: var(--muted); font-weight: 400; font-size: 0.8em; font-family: ui-monospace,
  "SFMono-Regular", Menlo, Consolas, monospace; }
.legend { display: flex; align-items: center; gap: 0.5rem; font-size: 0.8rem; color: var(--muted);
  margin: 0.4rem 0; flex-wrap: wrap; }
.legend .ramp { display: inline-flex; }
.legend .ramp span { width: 2.2rem; height: 0.9rem; display: inline-block; }
.legend .swatch { width: 0.9rem; height: 0.9rem; display: inline-block; border-radius: 2px;
  vertical-align: -0.1rem; margin-right: 0.25rem; }
.freq { width: 100%; }
.freq th { white-space: nowrap; }
.freq td.barcell { width: 100%; min-width: 12rem; }
.freq td.num { white-space: nowrap; }
.bar { display: flex; height: 1rem; background: #eef1f4; border-radius: 2px; overflow: hidden; }
.bar span { display: block; height: 100%; }
.scroll { overflow-x: auto; max-width: 100%; }
.cooc th.row { position: sticky; left: 0; z-index: 1; background: var(--paper); white-space: nowrap;
  max-width: 13rem; overflow: hidden; text-overflow: ellipsis; font-size: 0.82rem; }
.cooc thead th.row { z-index: 3; }
.cooc thead th.vert { padding: 0.3rem 0; width: 1.6rem; min-width: 1.6rem; }
.cooc thead th.vert span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap;
  display: inline-block; max-height: 15rem; overflow: hidden; text-overflow: ellipsis;
  font-weight: 400; font-size: 0.78rem; }
.cooc td { text-align: center; width: 1.6rem; min-width: 1.6rem; padding: 0.2rem 0;
  border: 1px solid #fff; font-size: 0.74rem; }
.cooc td.diag { background: #e3e6ea; font-weight: 700; }
.agreement td.why { color: var(--muted); font-size: 0.8rem; }
.agreement tr.overall th, .agreement tr.overall td { font-weight: 700; border-top: 2px solid var(--ink); }
.code-quotes { margin-top: 1.2rem; }
.code-quotes .path { color: var(--muted); font-size: 0.8rem; margin: 0; }
.code-quotes .definition { font-size: 0.85rem; color: var(--muted); margin: 0.2rem 0 0.4rem;
  max-width: 52rem; }
figure.quote { margin: 0.45rem 0 0.8rem; padding: 0.5rem 0.9rem; border-left: 4px solid var(--accent);
  background: #f7f9fb; max-width: 52rem; }
figure.quote blockquote { margin: 0; font-size: 0.95rem; }
figure.quote mark { background: #fde68a; color: inherit; padding: 0 0.1em; }
figure.quote figcaption { color: var(--muted); font-size: 0.8rem; margin-top: 0.3rem; }
.badge { display: inline-block; font-size: 0.7rem; padding: 0 0.4rem; border-radius: 0.6rem;
  border: 1px solid currentColor; margin-left: 0.4rem; text-transform: uppercase; letter-spacing: 0.03em; }
.badge.accepted { color: #1b7f3b; }
.badge.proposed { color: #8a5a00; }
.badge.rejected { color: #b42318; }
footer { margin-top: 3rem; color: var(--muted); font-size: 0.8rem; border-top: 1px solid var(--rule);
  padding-top: 0.5rem; }
@media (max-width: 48rem) { body { padding: 1rem; } .meta dt { float: none; } .meta dd { margin-left: 0; } }
@media print {
  html { background: none; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  thead th, .cooc th.row { position: static; }
  nav.toc { display: none; }
  a { color: inherit; text-decoration: none; }
  .scroll { overflow: visible; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3, h4 { break-after: avoid; page-break-after: avoid; }
  .cooc td, .cooc thead th.vert { width: 1.3rem; min-width: 1.3rem; font-size: 6.5pt; }
  figure.quote, tr { break-inside: avoid; page-break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def render_report(data: ReportData) -> str:
    """The whole page as one string (pure: same data, same bytes)."""
    sections = [
        ("heatmap", "Codes by group", render_heatmap(data)),
        ("frequencies", "Code frequencies", render_frequencies(data)),
        ("cooccurrence", "Co-occurrence", render_cooccur(data)),
    ]
    if data.agreement is not None:
        sections.append(("agreement", "Intercoder agreement", render_agreement(data.agreement)))
    sections.append(("quotes", "Exemplar quotes", render_quotes(data)))
    toc = "".join(f'<li><a href="#{key}">{esc(title)}</a></li>' for key, title, _ in sections)
    body = "\n".join(
        f'<section id="{key}">\n<h2>{esc(title)}</h2>\n{content}\n</section>'
        for key, title, content in sections
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="qualcode {esc(data.version)}">\n'
        f"<title>{esc(data.title)}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n"
        f"<header>\n<h1>{esc(data.title)}</h1>\n{render_meta(data)}\n"
        f'<nav class="toc" aria-label="Contents"><ol>{toc}</ol></nav>\n</header>\n'
        f"<main>\n{body}\n</main>\n"
        f"<footer>Made with qualcode {esc(data.version)}. Same project, codings and options give "
        "the same file.</footer>\n</body>\n</html>\n"
    )


def render_meta(data: ReportData) -> str:
    """Who coded, which codings count, grouping and corpus size: what a reader must know first."""
    from qualcode.analysis import _STATUS_TEXT

    items = [
        ("Coder", esc(data.coder)),
        ("Codings counted", f"{esc(data.status)}: {esc(_STATUS_TEXT.get(data.status, ''))}"),
        ("Grouped by", esc(" × ".join(data.by)) if data.by else "no grouping"),
        ("Transcripts", str(data.n_transcripts)),
        ("Codebooks", "; ".join(esc(t) for t in data.codebooks) or "–"),
    ]
    meta = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in items)
    notes = "".join(f'<p class="note warning">{esc(w)}</p>' for w in data.warnings)
    return f'<dl class="meta">{meta}</dl>{notes}'


def _label(frame: pd.DataFrame, column: str) -> str:
    from qualcode.analysis import column_label

    return column_label(frame, column)


def render_heatmap(data: ReportData) -> str:
    """Code x group table of shares: each cell is the % of the group's transcripts with the code."""
    from qualcode.analysis import ANY_CODE

    frame = data.tally
    columns = value_columns(frame)
    n = frame.attrs.get("n", {})
    head = "".join(f'<th scope="col" class="num">{esc(_label(frame, c))}</th>' for c in columns)
    quoted = {str(q["code"]) for q in data.quotes}
    rows = []
    for code_id, record in frame.iterrows():
        code = str(code_id)
        depth = data.depth.get(code, 0)
        classes = ["anycode"] if code == ANY_CODE else (["family"] if depth == 0 else [])
        name = esc(record["name"])
        if code in quoted:
            name = f'<a href="#q-{esc(code)}">{name}</a>'
        cells = []
        for column in columns:
            count, total = int(record[column]), int(n.get(column, 0))
            value = share(count, total)
            unit = str(frame.attrs.get("unit", "transcripts"))
            title = f"{count} of {total} {unit if total != 1 else unit.removesuffix('s')}"
            if count == 0:  # "0%" of an empty group would claim a finding; "–" says "no data"
                cells.append(
                    f'<td class="cell zero" title="{esc(title)}">{percent_text(0, total)}</td>'
                )
                continue
            style = f"background:{heat_color(value)};color:{ink_for(value)}"
            cells.append(
                f'<td class="cell" style="{style}" title="{esc(title)}">'
                f"{percent_text(count, total)}</td>"
            )
        indent = f' style="padding-left:{0.55 + 1.1 * depth:.2f}rem"' if depth else ""
        class_attr = f' class="{" ".join(classes)}"' if classes else ""
        rows.append(
            f'<tr{class_attr}><th scope="row" class="code"{indent}>{name} '
            f'<span class="id">{esc(code)}</span></th>{"".join(cells)}</tr>'
        )
    ramp = "".join(f'<span style="background:{heat_color(v / 4)}"></span>' for v in range(5))
    legend = f'<div class="legend">0%<span class="ramp">{ramp}</span>100% of the group</div>'
    return (
        f"{legend}\n"
        f'<table class="heatmap">\n<thead><tr><th scope="col">Code</th>{head}</tr></thead>\n'
        f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>\n"
        f'<p class="caption">Cells: share of the group\'s transcripts coded with the code (hover '
        f"for counts). {esc(sentence(frame.attrs.get('caption', '')))}</p>"
    )


def render_frequencies(data: ReportData) -> str:
    """Bar per codable code: coded segments, split by group, with the number of transcripts."""
    from qualcode.analysis import TOTAL

    codable = _codable(data)
    rows = [r for r in frequency_rows(data.segments, data.tally) if r["code"] in codable]
    n_total = int(data.tally.attrs.get("n", {}).get(TOTAL, data.n_transcripts))
    top = max((r["segments"] for r in rows), default=0)
    groups = [c for c in value_columns(data.segments) if c != TOTAL]
    lines = []
    for r in rows:
        if r["segments"] and groups:
            parts = "".join(
                f'<span style="width:{100.0 * r["groups"][g] / top:.2f}%;'
                f'background:{group_color(i, len(groups))}" title="{esc(g)}: {r["groups"][g]}">'
                "</span>"
                for i, g in enumerate(groups)
                if r["groups"][g]
            )
        elif r["segments"]:
            parts = (
                f'<span style="width:{100.0 * r["segments"] / top:.2f}%;'
                f'background:{GROUP_COLORS[0]}"></span>'
            )
        else:
            parts = ""
        lines.append(
            f'<tr><th scope="row">{esc(r["name"])} <span class="id">{esc(r["code"])}</span></th>'
            f'<td class="barcell"><div class="bar">{parts}</div></td>'
            f'<td class="num">{r["segments"]}</td>'
            f'<td class="num">{r["transcripts"]} of {n_total}</td></tr>'
        )
    legend = ""
    if groups and len(groups) <= len(GROUP_COLORS):
        legend = (
            '<div class="legend">'
            + "".join(
                f'<span><span class="swatch" style="background:{group_color(i, len(groups))}">'
                f"</span>{esc(g)}</span>"
                for i, g in enumerate(groups)
            )
            + "</div>"
        )
    return (
        f"{legend}\n"
        '<table class="freq">\n<thead><tr><th scope="col">Code</th>'
        '<th scope="col">Coded segments</th><th scope="col" class="num">Segments</th>'
        '<th scope="col" class="num">Transcripts</th></tr></thead>\n'
        f"<tbody>\n{chr(10).join(lines)}\n</tbody>\n</table>\n"
        '<p class="caption">Codable codes, most-coded first. A segment is one speaker turn; bars '
        "are split by group.</p>"
    )


def _codable(data: ReportData) -> set[str]:
    """Codable codes are the co-occurrence matrix's rows (analysis.cooccur picks them)."""
    return {str(c) for c in data.cooccur.index}


def render_cooccur(data: ReportData) -> str:
    """Code x code counts of segments where both apply; the diagonal is each code's own count."""
    frame = data.cooccur
    codes = cooccur_codes(frame)
    if not codes:
        return '<p class="note">No code was applied, so nothing co-occurs.</p>'
    off = [int(frame.loc[a, b]) for a in codes for b in codes if a != b]
    top = max(off, default=0)
    head = "".join(
        f'<th scope="col" class="vert" title="{esc(data.names.get(c, c))}">'
        f"<span>{esc(data.names.get(c, c))}</span></th>"
        for c in codes
    )
    rows = []
    for a in codes:
        cells = []
        for b in codes:
            value = int(frame.loc[a, b])
            tip = f"{data.names.get(a, a)} & {data.names.get(b, b)}: {value}"
            if a == b:
                cells.append(f'<td class="diag" title="{esc(tip)}">{value}</td>')
            elif value == 0:
                cells.append(f'<td title="{esc(tip)}"></td>')
            else:
                v = share(value, top)
                cells.append(
                    f'<td style="background:{heat_color(v)};color:{ink_for(v)}" '
                    f'title="{esc(tip)}">{value}</td>'
                )
        rows.append(
            f'<tr><th scope="row" class="row" title="{esc(a)}">{esc(data.names.get(a, a))}</th>'
            f"{''.join(cells)}</tr>"
        )
    hidden = len(frame.index) - len(codes)
    note = f" {hidden} code(s) never applied are left out." if hidden else ""
    return (
        '<div class="scroll">\n<table class="cooc">\n'
        f'<thead><tr><th scope="col" class="row">Code</th>{head}</tr></thead>\n'
        f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>\n</div>\n"
        f'<p class="caption">{esc(sentence(frame.attrs.get("caption", "")))} Darker cells: more '
        f"segments, relative to the most frequent pair; grey diagonal: the code's own segments.{note}"
        "</p>"
    )


def _stat(value: Any, suffix: str = "", decimals: int = 3) -> str:
    """A statistic with a fixed number of decimals (1.000 beside 0.629, not 1.0), `–` if none."""
    return "–" if value is None else f"{value:.{decimals}f}{suffix}"


def render_agreement(section: AgreementSection) -> str:
    """Per code: units both coders reviewed, percent agreement, Cohen's kappa, Krippendorff's alpha."""
    coders = esc(", ".join(section.coders))
    if not section.rows:
        return f'<p class="note">{esc(section.note)}</p>'
    lines = []
    for r in section.rows:
        overall = ' class="overall"' if r["code"] == "(overall)" else ""
        lines.append(
            f'<tr{overall}><th scope="row">{esc(r["name"])} <span class="id">{esc(r["code"])}'
            f'</span></th><td class="num">{r["n_units"]}</td>'
            f'<td class="num">{_stat(r["percent"], "%", 1)}</td>'
            f'<td class="num">{_stat(r["kappa"])}</td><td class="num">{_stat(r["alpha"])}</td>'
            f'<td class="why">{esc(r["note"])}</td></tr>'
        )
    return (
        f'<p class="caption">Coders compared: {coders}. Units are segments; a segment a coder has '
        "not reviewed is missing data, not absence.</p>\n"
        '<table class="agreement">\n<thead><tr><th scope="col">Code</th>'
        '<th scope="col" class="num">Units</th><th scope="col" class="num">Agreement</th>'
        '<th scope="col" class="num">Kappa</th><th scope="col" class="num">Alpha</th>'
        '<th scope="col">Note</th></tr></thead>\n'
        f"<tbody>\n{chr(10).join(lines)}\n</tbody>\n</table>"
    )


def highlighted(quote: str, spans: Sequence[Sequence[int]]) -> str:
    """Escape the quote, wrapping rule hits in <mark> (spans are offsets into the plain quote)."""
    out, pos = [], 0
    for start, end in sorted((int(s), int(e)) for s, e in spans):
        if start < pos or end <= start or end > len(quote):
            continue  # overlapping or out of range: leave the text plain rather than garble it
        out.append(esc(quote[pos:start]))
        out.append(f"<mark>{esc(quote[start:end])}</mark>")
        pos = end
    out.append(esc(quote[pos:]))
    return "".join(out)


def render_quotes(data: ReportData) -> str:
    """Per codable code: its place in the tree, definition, then quotes per group with citations."""
    by_code: dict[str, list[dict[str, Any]]] = {}
    for q in data.quotes:
        by_code.setdefault(str(q["code"]), []).append(q)
    blocks = []
    unquoted = []
    for code in [str(c) for c in data.cooccur.index] or list(by_code):
        found = by_code.get(code)
        if not found:
            unquoted.append(code)
            continue
        path = " › ".join(data.parents.get(code, []))
        parts = [
            f'<section class="code-quotes" id="q-{esc(code)}">',
            f'<h3>{esc(data.names.get(code, code))} <span class="id">{esc(code)}</span></h3>',
        ]
        if path:
            parts.append(f'<p class="path">{esc(path)}</p>')
        if data.definitions.get(code):
            parts.append(f'<p class="definition">{esc(data.definitions[code])}</p>')
        current_group = None
        for q in found:
            if data.by and q["group"] != current_group:
                current_group = q["group"]
                parts.append(f"<h4>{esc(current_group)}</h4>")
            status = esc(q["status"])
            parts.append(
                f'<figure class="quote"><blockquote>“{highlighted(q["quote"], q["highlights"])}”'
                f"</blockquote><figcaption>— {esc(q['citation'])}"
                f'<span class="badge {status}">{status}</span></figcaption></figure>'
            )
        parts.append("</section>")
        blocks.append("\n".join(parts))
    if unquoted:
        names = ", ".join(esc(data.names.get(c, c)) for c in unquoted)
        blocks.append(f'<p class="note">No coded passages for: {names}.</p>')
    caption = (
        f'<p class="caption">{esc(data.quotes_caption)} Highlighted: the words the rules matched. '
        "Citations: transcript, partnership (where the metadata has one), speaker, lines.</p>"
    )
    return caption + "\n" + "\n".join(blocks)


# -- entry points ---------------------------------------------------------------------------------


def build_report(
    project: Project,
    by: Sequence[str] | None = None,
    *,
    coder: str | None = None,
    status: str = "default",
    per_group: int = DEFAULT_PER_GROUP,
) -> str:
    """The report for a project as an HTML string."""
    return render_report(
        gather_report_data(project, by, coder=coder, status=status, per_group=per_group)
    )


def write_report(path: Path, text: str) -> None:
    """Write atomically: a reader (or a browser auto-reloading) never sees half a report."""
    from qualcode.textio import write_output

    write_output(path, text)
