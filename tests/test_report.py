"""`qualcode report` (self-contained HTML) and `qualcode plot` (matplotlib figures).

The report is checked as a reader and an attacker would: user text is escaped, nothing is loaded
from the network, the same inputs give the same bytes, sections appear only when they have data.
One test renders the bundled study in headless Chromium (skipped when Chromium or playwright is
absent) and saves a screenshot.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import MakeProject, copy_bundled
from qualcode.cli import app
from qualcode.project import load_project
from qualcode.report import (
    build_report,
    esc,
    heat_color,
    highlighted,
    percent_text,
)

runner = CliRunner()

EVIL = "<script>alert(1)</script>"
QUOTES = "\"&'"

EVIL_CODEBOOK = """\
codebook:
  id: small
  title: Small <b>codebook</b>
  version: "1.0"
codes:
  - id: topics
    name: Topics
    codable: false
    children:
      - id: housing
        name: 'Housing <script>alert(1)</script> "&'''
        definition: Talk about homes & housing <i>here</i>.
        rules:
          - keywords: ["housing", "homes"]
      - id: health
        name: Health
        definition: Talk about health care.
        rules:
          - keywords: ["health care", "hospital*"]
      - id: unused
        name: Never used
        definition: Nobody says zebra.
        rules:
          - keywords: ["zebra"]
"""

EVIL_TRANSCRIPTS = {
    "alpha-clt": f"""\
        ---
        partnership_type: CLT
        ---
        Interviewer: Tell me about housing in your town.

        Maria Lopez: We run a land trust. Housing {EVIL} matters {QUOTES} to us, homes for families.

        Interviewer: And the hospital?

        Maria Lopez: The hospital is an anchor for us. Health care and homes go together.
        """,
    "beta-roc": """\
        Q: What do you do?

        A: I manage the resident-owned community. Nothing about the topics here.

        Q: Any partners?

        A: The hospital helped with housing repairs.
        """,
}


def code_project(root: Path) -> Path:
    """Run the rules (coder `auto`), as a user would before `qualcode report`."""
    result = runner.invoke(app, ["code", "--project", str(root)])
    assert result.exit_code == 0, result.stderr
    return root


@pytest.fixture
def evil_project(make_project: MakeProject) -> Path:
    """Two transcripts, a code name and a passage full of HTML metacharacters, coded by the rules."""
    return code_project(
        make_project(codebooks={"small.yaml": EVIL_CODEBOOK}, transcripts=EVIL_TRANSCRIPTS)
    )


@pytest.fixture
def evil_html(evil_project: Path) -> str:
    return build_report(load_project(evil_project))


def decide(root: Path, coder: str, rows: list[str]) -> None:
    path = root / f"{coder}-decisions.csv"
    path.write_text("transcript,segment,code,action\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["decide", "--project", str(root), "--coder", coder, str(path)])
    assert result.exit_code == 0, result.stderr


# -- escaping and self-containment ------------------------------------------------------------------


def test_user_text_is_escaped_everywhere(evil_html: str) -> None:
    assert EVIL not in evil_html
    assert "<script" not in evil_html.lower()  # no script at all: the page needs no JavaScript
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    # once in the transcript's quote, and the code name in heatmap, frequencies, co-occurrence...
    assert evil_html.count(escaped) >= 4
    assert "&quot;&amp;&#x27;" in evil_html  # the transcript's "&' and the code name's
    assert "<b>codebook</b>" not in evil_html
    assert "Small &lt;b&gt;codebook&lt;/b&gt;" in evil_html
    assert "homes &amp; housing &lt;i&gt;here&lt;/i&gt;" in evil_html


def test_report_is_self_contained(evil_html: str) -> None:
    assert evil_html.startswith("<!DOCTYPE html>\n")
    assert evil_html.endswith("</html>\n")
    for needle in ("http://", "https://", "<link", "src=", "@import", "url("):
        assert needle not in evil_html, needle
    assert "<style>" in evil_html
    assert "@media print" in evil_html
    assert "page-break-inside: avoid" in evil_html
    assert "position: sticky" in evil_html


def test_html_tags_balance(evil_html: str) -> None:
    """A crude well-formedness check: every element the renderer opens is closed."""
    for tag in ("section", "table", "thead", "tbody", "tr", "figure", "blockquote", "mark", "dl"):
        opened = len(re.findall(rf"<{tag}[\s>]", evil_html))
        assert opened == evil_html.count(f"</{tag}>"), tag


def test_highlighted_escapes_each_piece_and_ignores_bad_spans() -> None:
    quote = 'a <b> "x" & y'
    assert highlighted(quote, [[2, 5]]) == "a <mark>&lt;b&gt;</mark> &quot;x&quot; &amp; y"
    # overlapping and out-of-range spans leave text plain rather than garbled
    assert highlighted(quote, [[0, 1], [0, 3], [10, 99]]) == "<mark>a</mark>" + esc(quote[1:])


# -- content -----------------------------------------------------------------------------------------


def test_sections_headers_and_quotes(evil_html: str) -> None:
    for section in ("heatmap", "frequencies", "cooccurrence", "quotes"):
        assert f'<section id="{section}">' in evil_html
    assert 'id="agreement"' not in evil_html  # one coder only
    assert "CLT (n=1)" in evil_html and "ROC (n=1)" in evil_html and "Total (n=2)" in evil_html
    # declared but unused value keeps its column, with n=0 and no division by zero
    assert "Worker co-op (n=0)" in evil_html
    assert "100%" in evil_html and "–" in evil_html
    # quotes carry citations and link from the heatmap
    assert "alpha-clt, Maria Lopez, line" in evil_html
    assert 'href="#q-housing"' in evil_html and 'id="q-housing"' in evil_html
    assert "<mark>Housing</mark>" in evil_html
    assert "No coded passages for: Never used." in evil_html
    assert "1 code(s) never applied are left out" in evil_html


def test_percent_and_colour_helpers() -> None:
    assert percent_text(5, 8) == "63%"  # halves round up, as readers expect
    assert percent_text(1, 3) == "33%"
    assert percent_text(0, 0) == "–"
    assert heat_color(0) == "#eff6fc"
    assert heat_color(1) == "#08306b"
    assert heat_color(2) == heat_color(1) and heat_color(-1) == heat_color(0)


def test_default_grouping_falls_back_to_total(make_project: MakeProject) -> None:
    root = code_project(
        make_project(
            config="codebooks: [codebooks/*.yaml]\ntranscripts: {folder: transcripts}\n",
            metadata=None,
            transcripts={"one": "Q: Housing?\n\nA: Housing and homes.\n"},
        )
    )
    html = build_report(load_project(root))
    assert "Total (n=1)" in html
    assert "no grouping" in html


def test_default_grouping_is_the_first_declared_attribute(make_project: MakeProject) -> None:
    """A study without partnership_type got an ungrouped report, whatever it declared."""
    root = code_project(
        make_project(
            config="codebooks: [codebooks/*.yaml]\ntranscripts: {folder: transcripts}\n"
            "metadata:\n  ward: [ICU, ER]\n  shift: [day, night]\n",
            metadata="id,shift,ward\none,night,ICU\n",
            transcripts={"one": "Q: Housing?\n\nA: Housing and homes.\n"},
        )
    )
    html = build_report(load_project(root))
    assert "ICU (n=1)" in html and "ER (n=0)" in html
    assert "night (n=1)" not in html


def test_report_by_other_attribute_and_status(
    evil_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.html"
    result = runner.invoke(
        app,
        ["report", "-o", str(out), "--project", str(evil_project), "--by", "organization_type"],
    )
    assert result.exit_code == 0, result.stderr
    html = out.read_text(encoding="utf-8")
    assert "community wealth building (n=1)" in html
    assert "(missing) (n=1)" in html
    assert "warning:" in result.stderr  # alpha-clt has no organization_type
    reviewed = runner.invoke(
        app, ["report", "--project", str(evil_project), "--status", "reviewed"]
    )
    assert reviewed.exit_code == 0, reviewed.stderr
    assert "reviewed: accepted and human-added codings only" in reviewed.stdout
    assert 'id="q-housing"' not in reviewed.stdout  # nothing reviewed yet: no quotes


def test_unknown_attribute_is_a_usage_error(evil_project: Path) -> None:
    result = runner.invoke(
        app, ["report", "--project", str(evil_project), "--by", "partnership_typ"]
    )
    assert result.exit_code == 2
    assert "unknown attribute 'partnership_typ'" in result.stderr
    assert "Traceback" not in result.stderr
    plot = ["plot", "cooccur", "-o", str(evil_project / "c.svg"), "--by", "partnership_typ"]
    result = runner.invoke(app, [*plot, "--project", str(evil_project)])
    assert result.exit_code == 2  # cooccur has no groups, but a typo is still named
    assert "unknown attribute 'partnership_typ'" in result.stderr
    assert not (evil_project / "c.svg").exists()


# -- agreement ---------------------------------------------------------------------------------------


def test_agreement_section_with_two_reviewing_coders(evil_project: Path) -> None:
    decide(evil_project, "alice", ["alpha-clt,t2,housing,add", "alpha-clt,t4,health,add"])
    decide(evil_project, "bob", ["alpha-clt,t2,housing,add", "alpha-clt,t4,housing,add"])
    html = build_report(load_project(evil_project))
    assert '<section id="agreement">' in html
    assert "Coders compared: alice, bob." in html  # auto reviewed nothing: left out
    table = html[html.index('<section id="agreement">') : html.index('<section id="quotes">')]
    assert "(overall)" in table and "Kappa" in table and "Alpha" in table
    assert "<td" in table


def test_agreement_note_when_no_coder_reviewed(evil_project: Path) -> None:
    shutil.copytree(evil_project / "codings" / "auto", evil_project / "codings" / "bob")
    html = build_report(load_project(evil_project))
    assert '<section id="agreement">' in html
    assert "Coders with codings: auto, bob; reviewed segments: none of them." in html


# -- determinism and the CLI -------------------------------------------------------------------------


def test_report_is_byte_identical_across_runs(evil_project: Path, tmp_path: Path) -> None:
    outputs = []
    for name in ("a.html", "b.html"):
        result = runner.invoke(
            app, ["report", "-o", str(tmp_path / name), "--project", str(evil_project)]
        )
        assert result.exit_code == 0, result.stderr
        assert f"wrote {tmp_path / name}" in result.stderr
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert b"\r\n" not in outputs[0]
    quiet = runner.invoke(
        app, ["report", "-q", "-o", str(tmp_path / "c.html"), "--project", str(evil_project)]
    )
    assert quiet.exit_code == 0
    assert "wrote" not in quiet.stderr
    assert (tmp_path / "c.html").read_bytes() == outputs[0]


def test_report_to_stdout_and_to_a_folder(evil_project: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", "--project", str(evil_project)])
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>")
    folder = runner.invoke(app, ["report", "-o", str(tmp_path), "--project", str(evil_project)])
    assert folder.exit_code == 2
    assert "is a folder" in folder.stderr
    assert "Traceback" not in folder.stderr


def test_bad_per_group_is_a_usage_error(evil_project: Path) -> None:
    result = runner.invoke(app, ["report", "--project", str(evil_project), "--per-group", "0"])
    assert result.exit_code == 2
    assert "--per-group must be at least 1" in result.stderr


@pytest.mark.parametrize("command", ["report", "plot"])
def test_help_has_examples(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert f"qualcode {command} " in result.stdout


def test_help_does_not_import_pandas_or_matplotlib() -> None:
    code = (
        "import sys\n"
        "from qualcode.cli import app\n"
        "for args in (['--help'], ['report', '--help'], ['plot', '--help']):\n"
        "    try:\n"
        "        app(args, prog_name='qualcode')\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in ('pandas', 'matplotlib', 'numpy') if m in sys.modules),"
        " file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stderr.strip().splitlines()[-1] == "[]"


# -- plots -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["heatmap", "frequencies", "cooccur"])
def test_svg_plots_are_deterministic(kind: str, evil_project: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    outputs = []
    for name in ("a.svg", "b.svg"):
        path = tmp_path / name
        result = runner.invoke(app, ["plot", kind, "-o", str(path), "--project", str(evil_project)])
        assert result.exit_code == 0, result.stderr
        outputs.append(path.read_bytes())
    assert outputs[0] == outputs[1]
    assert outputs[0].startswith(b"<?xml")
    assert b"<dc:date>" not in outputs[0]  # no timestamp
    assert b"Matplotlib v" not in outputs[0]  # no version that changes with an upgrade


def test_png_and_pdf_plots(evil_project: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    png, pdf = tmp_path / "f.png", tmp_path / "f.PDF"
    for path in (png, pdf):
        result = runner.invoke(
            app, ["plot", "heatmap", "-o", str(path), "--project", str(evil_project)]
        )
        assert result.exit_code == 0, result.stderr
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert b"Software" not in png.read_bytes()[:4096]
    assert pdf.read_bytes().startswith(b"%PDF")
    assert b"CreationDate" not in pdf.read_bytes()


@pytest.mark.parametrize("name", ["fig.jpg", "fig", "fig.svg.txt"])
def test_plot_with_unknown_suffix_is_a_usage_error(
    name: str, evil_project: Path, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["plot", "heatmap", "-o", str(tmp_path / name), "--project", str(evil_project)]
    )
    assert result.exit_code == 2
    assert "cannot tell the figure format" in result.stderr
    assert "hint: end the file name with .svg, .png, .pdf" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / name).exists()


def test_plot_unknown_kind_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["plot", "piechart", "-o", str(tmp_path / "x.svg")])
    assert result.exit_code == 2
    assert "piechart" in result.stderr
    assert "heatmap" in result.stderr
    assert "Traceback" not in result.stderr


def test_plot_without_output_is_a_usage_error() -> None:
    result = runner.invoke(app, ["plot", "heatmap"])
    assert result.exit_code == 2
    assert "--output" in result.stderr


# -- in a real browser -------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.mark.browser
def test_bundled_report_renders_in_chromium(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).is_file() else None)
    if chromium is None:
        pytest.skip("no Chromium on this machine")
    study = code_project(copy_bundled(tmp_path / "study"))
    report = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "-o", str(report), "--project", str(study)])
    assert result.exit_code == 0, result.stderr
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(report.as_uri())
            heatmap = page.locator("table.heatmap")
            assert heatmap.is_visible()
            assert page.locator("table.heatmap thead th", has_text="CLT (n=8)").is_visible()
            # shares are coloured cells, wide enough to read
            cell = page.locator("table.heatmap td.cell").first
            assert cell.bounding_box()["width"] > 40  # type: ignore[index]
            quote = page.locator("figure.quote").first
            quote.scroll_into_view_if_needed()
            assert quote.is_visible()
            assert "lines" in quote.locator("figcaption").inner_text() or "line" in (
                quote.locator("figcaption").inner_text()
            )
            # the layout keeps to the window: no page-wide horizontal scrolling
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1280
            assert [u for u in requests if not u.startswith("file:")] == []
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        finally:
            browser.close()
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_long_code_names_are_shortened_on_a_figure_axis() -> None:
    """Found by a helper: a 100-character name took the heatmap's width and collapsed its cells."""
    from qualcode.plots import LABEL_CHARS, _label

    long = "Tensions and conflicts between health-care anchors and community groups"
    assert _label(long) == "Tensions and conflicts between health-care…"
    assert len(_label("x" * 100)) == LABEL_CHARS
    assert _label("Physical assets and on-the-ground services") == (
        "Physical assets and on-the-ground services"  # the bundled names are whole
    )


def test_agreement_statistics_have_fixed_decimals() -> None:
    """Found by a helper: kappa 1.0 and 0.0 stood beside 0.629 in the report."""
    from qualcode.report import _stat

    assert [_stat(1.0), _stat(0.0), _stat(0.629), _stat(None)] == ["1.000", "0.000", "0.629", "–"]
    assert _stat(92.3, "%", 1) == "92.3%"


def test_the_title_in_qualcode_yaml_names_the_report_in_any_clone(
    make_project: MakeProject, tmp_path: Path
) -> None:
    """Found by a helper: the report took the folder's name, so two clones of one study (one
    named after a teammate) gave different files and a misleading title."""
    from conftest import SMALL_CONFIG

    pages = []
    for folder in ("alice", "bob"):
        root = make_project(config=SMALL_CONFIG + "title: Nurses & burnout\n", name=folder)
        assert runner.invoke(app, ["code", "-p", str(root), "-q"]).exit_code == 0
        out = tmp_path / f"{folder}.html"
        result = runner.invoke(app, ["report", "-p", str(root), "-o", str(out), "-q"])
        assert result.exit_code == 0, result.output
        pages.append(out.read_bytes())
    assert b"<title>Coding report: Nurses &amp; burnout" in pages[0]
    assert pages[0] == pages[1]


def test_plots_take_codes_and_level_as_tally_does(evil_project: Path, tmp_path: Path) -> None:
    """Found by a helper: a 161-code co-occurrence figure was 39 inches wide, and `--level` was
    'No such option'."""
    pytest.importorskip("matplotlib")
    sizes = {}
    for args in ([], ["--level", "0"]):
        out = tmp_path / f"c{len(args)}.svg"
        result = runner.invoke(
            app, ["plot", "cooccur", "-o", str(out), "-p", str(evil_project), *args]
        )
        assert result.exit_code == 0, result.output
        sizes[len(args)] = len(out.read_bytes())
    assert sizes[2] < sizes[0]  # fewer codes, a smaller figure
    unknown = runner.invoke(
        app, ["plot", "heatmap", "-o", str(tmp_path / "h.svg"), "-p", str(evil_project),
              "--codes", "nosuchcode"],
    )  # fmt: skip
    assert unknown.exit_code == 2
    assert "unknown code 'nosuchcode'" in unknown.stderr
