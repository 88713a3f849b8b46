"""`qualcode plot`: matplotlib figures for a paper (heatmap, frequencies, co-occurrence).

Figures are built on `matplotlib.figure.Figure` directly, never through pyplot: no GUI backend is
touched, no global figure state leaks into a notebook that imports qualcode, and rendering goes
through Agg (PNG) or the vector backends (SVG, PDF). Output is byte-for-byte reproducible: SVG ids
come from a fixed `svg.hashsalt`, and the date and software-version metadata are left out, so a
figure only changes when the data does (friendly to git and to make-style pipelines).

The numbers come from the same helpers as the HTML report (`qualcode.report`), so a figure and the
report never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from qualcode.api import Names
    from qualcode.project import Project

PLOT_KINDS = ("heatmap", "frequencies", "cooccur")
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
DPI = 200
RC = {
    "svg.hashsalt": "qualcode",
    "svg.fonttype": "path",  # glyphs as paths: the SVG looks the same without the font installed
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs on every machine
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# Metadata that would change between runs or installs (dates, versions), dropped per format.
_NO_METADATA: dict[str, dict[str, Any]] = {
    "svg": {"Date": None, "Creator": None},
    "png": {"Software": None},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
}


def plot_format(path: Path) -> str:
    """The file format named by the output's suffix; anything else is a usage error (exit 2)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        shown = path.suffix or "no suffix"
        raise UsageError(
            f"cannot tell the figure format from {str(path)!r} ({shown})",
            hint="end the file name with " + ", ".join(FORMATS) + ", e.g. -o heatmap.svg",
        )
    return fmt


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """Render to bytes with the reproducibility settings in force at save time."""
    import io

    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buffer, format=fmt, dpi=DPI, metadata=_NO_METADATA[fmt], bbox_inches="tight")
    return buffer.getvalue()


def write_figure(fig: Figure, path: Path) -> None:
    """Render then write atomically (a half-written figure never replaces a good one)."""
    from qualcode.textio import write_output

    write_output(path, figure_bytes(fig, plot_format(path)))


# -- figures --------------------------------------------------------------------------------------


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


# Longer code names are shortened on a figure's axis (in full in the tables): a 100-character
# name took the whole width and squeezed the cells to nothing.
LABEL_CHARS = 45


def _label(name: str) -> str:
    """`name`, or its first words within LABEL_CHARS and `…` (cut mid-word if it has to be)."""
    if len(name) <= LABEL_CHARS:
        return name
    cut = name[: LABEL_CHARS - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + "…"


def _bold_families(labels: Sequence[Any], codes: Sequence[str], depth: Mapping[str, int]) -> None:
    """Top-level codes (families) in bold, so the tree shows without indentation."""
    for label, code in zip(labels, codes, strict=True):
        if depth.get(code, 0) == 0:
            label.set_fontweight("bold")


def heatmap_figure(counts: pd.DataFrame, depth: Mapping[str, int]) -> Figure:
    """Code x group shares (% of the group's transcripts), annotated, headers with n."""
    import numpy as np

    from qualcode.analysis import ANY_CODE, column_label
    from qualcode.report import percent_text, share, value_columns

    n = counts.attrs.get("n", {})
    columns = value_columns(counts)
    codes = [str(c) for c in counts.index if c != ANY_CODE]
    values = np.array(
        [[100.0 * share(counts.loc[c, col], n.get(col, 0)) for col in columns] for c in codes]
    ).reshape(len(codes), len(columns))
    with _rc():
        fig = _new_figure(3.2 + 0.85 * len(columns), 1.0 + 0.2 * len(codes))
        ax = fig.add_subplot()
        image = _cells(ax, values, cmap="Blues", vmin=0, vmax=100)
        for i, code in enumerate(codes):
            for j, col in enumerate(columns):
                count, total = int(counts.loc[code, col]), int(n.get(col, 0))
                ax.text(
                    j,
                    i,
                    percent_text(count, total),
                    ha="center",
                    va="center",
                    fontsize=6.5,
                    color="white" if values[i, j] > 55 else "#1b1f24",
                )
        # "Worker co-op\n(n=4)": two short lines fit a column; long names are slanted instead.
        labels = [column_label(counts, c).replace(" (n=", "\n(n=") for c in columns]
        slanted = len(columns) > 6 or any(len(c) > 14 for c in columns)
        ax.set_xticks(range(len(columns)), labels)
        ax.xaxis.tick_top()
        ax.tick_params(axis="x", length=0, rotation=35 if slanted else 0)
        if slanted:
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("left")
        ax.set_yticks(range(len(codes)), [_label(str(counts.loc[c, "name"])) for c in codes])
        ax.tick_params(axis="y", length=0)
        _bold_families(ax.get_yticklabels(), codes, depth)
        for spine in ax.spines.values():
            spine.set_visible(False)
        fig.colorbar(
            image,
            ax=ax,
            shrink=min(1.0, 6 / max(len(codes), 1)) if codes else 1.0,
            label="% of the group's transcripts",
        )
    return fig


def frequencies_figure(
    segments: pd.DataFrame, counts: pd.DataFrame, codable: Sequence[str]
) -> Figure:
    """Horizontal bars: coded segments per codable code, most first, stacked by group."""
    from qualcode.analysis import TOTAL
    from qualcode.report import GROUP_COLORS, frequency_rows, group_color, value_columns

    wanted = set(codable)
    rows = [r for r in frequency_rows(segments, counts) if r["code"] in wanted]
    groups = [c for c in value_columns(segments) if c != TOTAL]
    n_total = int(counts.attrs.get("n", {}).get(TOTAL, 0))
    with _rc():
        fig = _new_figure(6.5, 1.0 + 0.2 * max(len(rows), 1))
        ax = fig.add_subplot()
        y = list(range(len(rows)))
        if groups and len(groups) <= len(GROUP_COLORS):
            left = [0] * len(rows)
            for i, group in enumerate(groups):
                widths = [r["groups"][group] for r in rows]
                ax.barh(
                    y, widths, left=left, color=group_color(i, len(groups)), label=group, height=0.7
                )
                left = [a + b for a, b in zip(left, widths, strict=True)]
            ax.legend(frameon=False, loc="lower right", fontsize=7)
        else:
            ax.barh(y, [r["segments"] for r in rows], color=GROUP_COLORS[0], height=0.7)
        top = max((r["segments"] for r in rows), default=0)
        for i, r in enumerate(rows):
            ax.text(
                r["segments"] + top * 0.01,
                i,
                f"{r['segments']}  ({r['transcripts']}/{n_total})",
                va="center",
                fontsize=6.5,
                color="#3c434b",
            )
        ax.set_yticks(y, [_label(r["name"]) for r in rows])
        ax.set_ylim(len(rows) - 0.5, -0.5)  # most-coded on top, no empty band above or below
        ax.set_xlim(0, top * 1.18 if top else 1)
        ax.set_xlabel("Coded segments (transcripts with the code / all transcripts)")
        ax.tick_params(axis="y", length=0)
    return fig


def cooccur_figure(frame: pd.DataFrame, names: Mapping[str, str]) -> Figure:
    """Code x code segment counts; the diagonal (a code with itself) greyed, zeros left blank."""
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    from qualcode.report import cooccur_codes

    codes = cooccur_codes(frame)
    size = len(codes)
    matrix = np.array(
        [[float(frame.loc[a, b]) for b in codes] for a in codes], dtype=float
    ).reshape(size, size)
    off = matrix.copy()
    np.fill_diagonal(off, np.nan)
    top = np.nanmax(off) if size > 1 and np.isfinite(off).any() else 1.0
    shown = np.where(off > 0, off, np.nan)
    labels = [_label(names.get(c, c)) for c in codes]
    side = 2.6 + 0.22 * size
    with _rc():
        fig = _new_figure(side + 0.8, side)
        ax = fig.add_subplot()
        _cells(ax, np.where(np.eye(size) > 0, 1.0, np.nan), cmap="Greys", vmin=0, vmax=7)
        image = _cells(ax, shown, cmap="Blues", vmin=0, vmax=max(top, 1.0))
        ax.set_aspect("equal")
        for i in range(size):
            for j in range(size):
                value = int(matrix[i, j])
                if value == 0 and i != j:
                    continue
                dark = i != j and value / max(top, 1.0) > 0.55
                ax.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=5.5 if size > 20 else 7,
                    color="white" if dark else "#1b1f24",
                    fontweight="bold" if i == j else "normal",
                )
        ax.set_xticks(range(size), labels, rotation=90)
        ax.set_yticks(range(size), labels)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(image, ax=ax, shrink=0.5, label="Segments where both codes apply")
        bar.locator = MaxNLocator(integer=True)  # counts: no 17.5 ticks
        bar.update_ticks()
    return fig


def _cells(ax: Any, values: Any, **style: Any) -> Any:
    """A matrix as vector rectangles (pcolormesh), cell (i, j) centred on (j, i), row 0 on top.

    imshow would embed a bitmap in SVG and PDF output; rectangles stay sharp at any zoom and keep
    the file small. NaN cells are left empty.
    """
    import numpy as np

    rows, cols = values.shape
    mesh = ax.pcolormesh(
        np.arange(cols + 1) - 0.5,
        np.arange(rows + 1) - 0.5,
        np.ma.masked_invalid(values),
        edgecolors="white",
        linewidth=0.6,
        **style,
    )
    ax.set_xlim(-0.5, cols - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    return mesh


def _rc() -> Any:
    import matplotlib

    return matplotlib.rc_context(RC)


# -- from a project -------------------------------------------------------------------------------


def make_plot(
    project: Project,
    kind: str,
    by: Sequence[str] | None = None,
    *,
    coder: str | None = None,
    status: str = "default",
    codes: Names = None,
    level: int | None = None,
) -> Figure:
    """The figure `qualcode plot KIND` draws (`by` is used by heatmap and frequencies).

    `codes` and `level` choose the codes as `tally` does: a study of 160 codes drew a
    co-occurrence figure 39 inches wide that nothing could narrow (found by a helper).
    """
    from qualcode.analysis import check_attributes, cooccur, load_analysis_data, tally
    from qualcode.api import as_names
    from qualcode.report import default_by

    by = as_names(by) or None
    chosen = {"codes": as_names(codes) or None, "level": level}

    if kind not in PLOT_KINDS:
        raise UsageError(f"unknown plot {kind!r}", hint="choose one of " + ", ".join(PLOT_KINDS))
    data = load_analysis_data(project, coder, status)
    groups = default_by(by, data.attributes(), list(project.config.declared_values))
    codebook = project.codebook
    if kind == "cooccur":
        check_attributes(data, groups)  # ignored, but a typo is still a typo
        matrix = cooccur(project, data=data, **chosen)  # type: ignore[arg-type]
        return cooccur_figure(matrix, {c.id: c.name for c in codebook.codes})
    counts = tally(project, groups, data=data, **chosen)  # type: ignore[arg-type]
    if kind == "heatmap":
        return heatmap_figure(counts, {c.id: c.depth for c in codebook.codes})
    segments = tally(project, groups, count="segments", data=data, **chosen)  # type: ignore[arg-type]
    # every chosen code (a group rolled up at --level too); by default the codes one applies
    shown = [c.id for c in codebook.codes if c.codable or codes or level is not None]
    return frequencies_figure(segments, counts, shown)
