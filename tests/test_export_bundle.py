"""Tests for `qualcode export summary -o DIR` (qualcode.bundle): the tables a paper needs.

The project (coder alice, `qualcode code` then `qualcode decide`), with the codings that count:

    b1  CLT, housing, Alpha   t2 Ann "=SUM(A1) ..." {housing accepted}; t4 {health, convener accepted}
    b2  ROC, worker, Beta     t2 Dee "@x ..." {housing}; t4 Dee "-1 ..." {health}
    b3  CLT, worker, Gamma    t2 Cy (markup characters) {health, housing}
    b4  (no metadata)         t2 Eve "+1 ..." {health}

partnership_type and model are declared in qualcode.yaml, so the bundle has a tally for each.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import SMALL_TRANSCRIPTS, MakeProject, write
from qualcode import __version__
from qualcode.cli import app

runner = CliRunner()

CONFIG = """\
codebooks:
  - codebooks/*.yaml
transcripts:
  folder: transcripts
  metadata: transcripts/metadata.csv
segmentation: turn
speakers:
  interviewer: [Interviewer]
metadata:
  partnership_type: [CLT, ROC]
  model: [housing, worker]
"""

CODEBOOK = """\
codebook:
  id: b
  title: Bundle codebook
  version: "1"
codes:
  - id: topics
    name: Topics
    codable: false
    children:
      - id: housing
        name: Housing
        definition: 'Homes & land: 100% #1'
        rules:
          - keywords: [housing]
      - id: health
        name: Health
        definition: Hospitals.
        rules:
          - keywords: [hospital]
  - id: roles
    name: Roles
    codable: false
    children:
      - id: convener
        name: Convener
        definition: Brings partners together.
        rules:
          - keywords: [convened]
"""

B3_TURN = "The hospital builds housing | fast & *well* for 100% of us #1."
TRANSCRIPTS = {
    "b1": """\
---
partnership: Alpha
partnership_type: CLT
model: housing
informant_roles: director
speakers: [Ann Lee]
---
Interviewer: First?

Ann Lee: =SUM(A1) is how housing gets counted.

Interviewer: Second?

Ann Lee: The hospital convened us.
""",
    "b2": """\
Interviewer: First?

Dee Ek: @x said housing matters.

Interviewer: Second?

Dee Ek: -1 for the hospital budget.
""",
    "b3": f"""\
Interviewer: First?

Cy Diaz: {B3_TURN}

Interviewer: Second?

Cy Diaz: Nothing.
""",
    "b4": """\
Interviewer: First?

Eve Fox: +1 for the hospital.

Interviewer: Second?

Eve Fox: Done.
""",
}
METADATA = "id,partnership,partnership_type,model\nb2,Beta,ROC,worker\nb3,Gamma,CLT,worker\n"
DECISIONS = "transcript,segment,code,action\nb1,t2,housing,accept\nb1,t4,convener,accept\n"

CSV_FILES = [
    "tally_by_partnership_type.csv",
    "tally_by_model.csv",
    "tally_long.csv",
    "quotes.csv",
    "codebook.csv",
    "cooccurrence.csv",
]
WARNING = "warning: 1 transcript(s) lack {} and are counted as '(missing)': b4\n"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle") / "study"
    write(folder / "qualcode.yaml", CONFIG)
    write(folder / "codebooks" / "b.yaml", CODEBOOK)
    for name, text in TRANSCRIPTS.items():
        write(folder / "transcripts" / f"{name}.txt", text)
    write(folder / "transcripts" / "metadata.csv", METADATA)
    coded = invoke("code", "--project", str(folder), "--coder", "alice")
    assert coded.exit_code == 0, coded.output
    write(folder / "decisions.csv", DECISIONS)
    decided = invoke("decide", "-p", str(folder), "-c", "alice", str(folder / "decisions.csv"))
    assert decided.exit_code == 0, decided.output
    return folder


def export(root: Path, out: Path, *args: str, monkeypatch: pytest.MonkeyPatch | None = None) -> Any:
    argv = ["export", "summary", "-o", str(out), "--project", str(root), "--coder", "alice", *args]
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "argv", ["qualcode", *argv])
    result = invoke(*argv)
    assert result.exit_code == 0, result.output
    return result


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def csv_bundle(root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    out = tmp_path_factory.mktemp("out") / "results"
    with pytest.MonkeyPatch.context() as mp:
        result = export(root, out, monkeypatch=mp)
    return out, result


# -- the CSV bundle --------------------------------------------------------------------------------


def test_csv_bundle_files_and_messages(csv_bundle: tuple[Path, Any]) -> None:
    out, result = csv_bundle
    assert sorted(p.name for p in out.iterdir()) == sorted([*CSV_FILES, "MANIFEST"])
    assert result.stdout == ""
    # each missing-metadata warning once, as a message (not a Python warning with a source line)
    assert result.stderr.startswith(WARNING.format("partnership_type") + WARNING.format("model"))
    assert "UserWarning" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("wrote ")] == [
        f"wrote {out / name}" for name in [*CSV_FILES, "MANIFEST"]
    ]


def test_wide_tallies_one_per_declared_grouping(csv_bundle: tuple[Path, Any]) -> None:
    out, _ = csv_bundle
    assert read_csv(out / "tally_by_partnership_type.csv") == [
        ["code", "name", "CLT (n=2)", "ROC (n=1)", "(missing) (n=1)", "Total (n=4)"],
        ["topics", "Topics", "2", "1", "1", "4"],
        ["housing", "Housing", "2", "1", "0", "3"],
        ["health", "Health", "2", "1", "1", "4"],
        ["roles", "Roles", "1", "0", "0", "1"],
        ["convener", "Convener", "1", "0", "0", "1"],
        ["(any code)", "(any code)", "2", "1", "1", "4"],
    ]
    assert read_csv(out / "tally_by_model.csv") == [
        ["code", "name", "housing (n=1)", "worker (n=2)", "(missing) (n=1)", "Total (n=4)"],
        ["topics", "Topics", "1", "2", "1", "4"],
        ["housing", "Housing", "1", "2", "0", "3"],
        ["health", "Health", "1", "2", "1", "4"],
        ["roles", "Roles", "1", "0", "0", "1"],
        ["convener", "Convener", "1", "0", "0", "1"],
        ["(any code)", "(any code)", "1", "2", "1", "4"],
    ]


def test_tidy_long_tally(csv_bundle: tuple[Path, Any]) -> None:
    out, _ = csv_bundle
    rows = read_csv(out / "tally_long.csv")
    assert rows[0] == ["grouping", "code", "name", "group", "unit", "count", "n", "percent"]
    assert len(rows) == 1 + 2 * 6 * 4  # two groupings x six rows x (three groups + Total)
    assert ["partnership_type", "housing", "Housing", "ROC", "transcripts", "1", "1", "100"] in rows
    assert [
        "partnership_type",
        "housing",
        "Housing",
        "Total",
        "transcripts",
        "3",
        "4",
        "75",
    ] in rows
    assert ["partnership_type", "roles", "Roles", "CLT", "transcripts", "1", "2", "50"] in rows
    assert ["model", "health", "Health", "worker", "transcripts", "2", "2", "100"] in rows
    assert ["model", "convener", "Convener", "(missing)", "transcripts", "0", "1", "0"] in rows
    assert {r[0] for r in rows[1:]} == {"partnership_type", "model"}


def test_quotes_with_citations_and_neutralized_formulas(csv_bundle: tuple[Path, Any]) -> None:
    out, _ = csv_bundle
    rows = list(csv.DictReader(io.StringIO((out / "quotes.csv").read_text(encoding="utf-8"))))
    assert [(r["code"], r["group"], r["rank"], r["transcript"], r["segment"]) for r in rows] == [
        ("housing", "CLT", "1", "b1", "t2"),  # accepted first
        ("housing", "CLT", "2", "b3", "t2"),
        ("housing", "ROC", "1", "b2", "t2"),
        ("health", "CLT", "1", "b3", "t2"),  # readable length before a 4-word proposal
        ("health", "CLT", "2", "b1", "t4"),
        ("health", "ROC", "1", "b2", "t4"),
        ("health", "(missing)", "1", "b4", "t2"),
        ("convener", "CLT", "1", "b1", "t4"),
    ]
    first = rows[0]
    assert first["quote"] == "'=SUM(A1) is how housing gets counted."
    assert first["citation"] == "b1, Alpha, Ann Lee (director), line 10"
    assert (first["speaker"], first["lines"], first["status"]) == ("Ann Lee", "10-10", "accepted")
    by_segment = {(r["transcript"], r["segment"]): r["quote"] for r in rows}
    assert by_segment["b2", "t2"] == "'@x said housing matters."
    assert by_segment["b2", "t4"] == "'-1 for the hospital budget."
    assert by_segment["b4", "t2"] == "'+1 for the hospital."
    assert by_segment["b3", "t2"] == B3_TURN
    assert rows[-2]["citation"] == "b4, Eve Fox, line 3"


def test_codebook_and_cooccurrence(csv_bundle: tuple[Path, Any]) -> None:
    out, _ = csv_bundle
    codebook = read_csv(out / "codebook.csv")
    assert codebook[0][:5] == ["id", "name", "parent", "codebook", "codable"]
    assert [(r[0], r[2], r[4]) for r in codebook[1:]] == [
        ("topics", "", "false"),
        ("housing", "topics", "true"),
        ("health", "topics", "true"),
        ("roles", "", "false"),
        ("convener", "roles", "true"),
    ]
    assert codebook[2][5] == "Homes & land: 100% #1"
    # housing: b1t2 b2t2 b3t2; health: b1t4 b2t4 b3t2 b4t2; convener: b1t4
    assert read_csv(out / "cooccurrence.csv") == [
        ["code_a", "code_b", "count", "jaccard"],
        ["housing", "health", "1", "0.167"],
        ["health", "convener", "1", "0.25"],
    ]


def test_no_csv_cell_can_run_as_a_formula(csv_bundle: tuple[Path, Any]) -> None:
    out, _ = csv_bundle
    neutralized = 0
    for name in CSV_FILES:
        for row in read_csv(out / name):
            for cell in row:
                if cell.startswith("'"):
                    neutralized += 1
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
    assert neutralized == 4


def test_manifest_records_command_version_and_input_hashes(
    root: Path, csv_bundle: tuple[Path, Any]
) -> None:
    out, _ = csv_bundle
    lines = (out / "MANIFEST").read_text(encoding="utf-8").splitlines()
    assert lines[:5] == [
        "command: qualcode export summary --coder alice",  # no paths: same study, same MANIFEST
        f"qualcode: {__version__}",
        "coder: alice",
        "status: default",
        "inputs (sha256  path relative to the project):",
    ]
    end = lines.index("outputs:")
    inputs = [line.split("  ", 1) for line in lines[5:end]]
    expected = [
        "qualcode.yaml",
        "codebooks/b.yaml",
        *[f"transcripts/{t}.txt" for t in TRANSCRIPTS],
        "transcripts/metadata.csv",
        *[f"codings/alice/{t}.jsonl" for t in TRANSCRIPTS],
    ]
    assert [path for _, path in inputs] == expected
    for digest, path in inputs:
        assert digest == hashlib.sha256((root / path).read_bytes()).hexdigest(), path
    assert lines[end + 1 :] == CSV_FILES


def test_manifest_hash_changes_when_a_transcript_changes(root: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(root, tmp_path / "copy")
    export(copy, tmp_path / "before")
    before = (tmp_path / "before" / "MANIFEST").read_text().splitlines()
    transcript = copy / "transcripts" / "b3.txt"
    transcript.write_text(transcript.read_text() + "\nInterviewer: Anything else?\n")
    export(copy, tmp_path / "after")
    after = (tmp_path / "after" / "MANIFEST").read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1
    old, new = changed[0]
    assert old.endswith("  transcripts/b3.txt") and new.endswith("  transcripts/b3.txt")
    assert new.split()[0] == hashlib.sha256(transcript.read_bytes()).hexdigest()


# -- same inputs, same bytes -----------------------------------------------------------------------


@pytest.mark.parametrize("output_format", ["csv", "xlsx", "md", "latex"])
def test_same_inputs_give_byte_identical_files(
    root: Path, tmp_path: Path, output_format: str
) -> None:
    export(root, tmp_path / "one", "--format", output_format)
    export(root, tmp_path / "two", "--format", output_format)
    one, two = files_of(tmp_path / "one"), files_of(tmp_path / "two")
    assert list(one) == list(two)
    for name in one:
        assert one[name] == two[name], name


# -- other formats ---------------------------------------------------------------------------------


def test_xlsx_workbook_has_a_sheet_per_table_and_neutralized_cells(
    root: Path, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "xlsx"
    export(root, out, "--format", "xlsx")
    assert sorted(p.name for p in out.iterdir()) == ["MANIFEST", "summary.xlsx"]
    assert (out / "MANIFEST").read_text().splitlines()[-1] == "summary.xlsx"
    book = load_workbook(out / "summary.xlsx")
    assert book.sheetnames == [name.removesuffix(".csv") for name in CSV_FILES]
    tally = [list(r) for r in book["tally_by_partnership_type"].iter_rows(values_only=True)]
    assert tally[0] == ["code", "name", "CLT (n=2)", "ROC (n=1)", "(missing) (n=1)", "Total (n=4)"]
    assert tally[2] == ["housing", "Housing", 2, 1, 0, 3]  # numbers stay numbers
    sheet = book["quotes"]
    header = [c.value for c in sheet[1]]
    quotes = [row[header.index("quote")] for row in sheet.iter_rows(min_row=2, values_only=True)]
    # typed strings are never run as formulas, so the quotes stay as spoken (no `'` as in CSV)
    assert "=SUM(A1) is how housing gets counted." in quotes
    assert "@x said housing matters." in quotes
    assert "-1 for the hospital budget." in quotes
    assert "+1 for the hospital." in quotes
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (ws.title, cell.value)
    with zipfile.ZipFile(out / "summary.xlsx") as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in archive.read(n) for n in sheets)
    # laid out to be read: columns as wide as their text (at most 60, prose wrapped), header
    # frozen (found by a helper: every column was 8 characters wide)
    tally_sheet = book["tally_by_partnership_type"]
    assert tally_sheet.freeze_panes == "A2"
    assert tally_sheet.column_dimensions["F"].width == len("Total (n=4)") + 2
    quote_column = sheet.cell(1, header.index("quote") + 1).column_letter
    assert sheet.column_dimensions[quote_column].width == 60
    assert sheet.cell(2, header.index("quote") + 1).alignment.wrap_text


def test_attribute_names_from_other_tools_stay_inside_the_output_folder(
    make_project: MakeProject, tmp_path: Path
) -> None:
    """A .qdpx can name a variable `x/../../y`; it became a path that climbed out of `-o`."""
    from openpyxl import load_workbook

    ids = sorted(SMALL_TRANSCRIPTS)
    root = make_project(
        metadata="id,x/../../escaped,=HYPERLINK(1),x/y\n"
        + "".join(f"{i},a,=cmd(),b\n" for i in ids)
    )
    assert invoke("code", "-q", "-p", str(root)).exit_code == 0
    bys = ["--by", "x/../../escaped", "--by", "=HYPERLINK(1)", "--by", "x/y"]
    out = tmp_path / "deep" / "out"
    result = invoke("export", "summary", "-p", str(root), "-o", str(out), *bys)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if p.name.startswith("tally_by")) == [
        "tally_by__HYPERLINK_1.csv", "tally_by_x_.._.._escaped.csv", "tally_by_x_y.csv",
    ]  # fmt: skip
    assert [p.parent for p in tmp_path.rglob("*escaped*")] == [out]
    assert "'=cmd() (n=" in (out / "tally_by__HYPERLINK_1.csv").read_text(encoding="utf-8")
    xlsx = tmp_path / "xlsx"
    result = invoke("export", "summary", "-p", str(root), "-o", str(xlsx), "-f", "xlsx", *bys)
    assert result.exit_code == 0, result.output
    book = load_workbook(xlsx / "summary.xlsx")
    assert book.sheetnames[:3] == [
        "tally_by_x_.._.._escaped", "tally_by__HYPERLINK_1", "tally_by_x_y",
    ]  # fmt: skip
    header = list(book["tally_by__HYPERLINK_1"][1])
    assert header[2].value.startswith("=cmd() (n=") and header[2].data_type == "s"


def test_markdown_bundle_escapes_markup(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "md"
    export(root, out, "--format", "md")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["MANIFEST", "quotes.csv", *[n.replace(".csv", ".md") for n in CSV_FILES]]
    )
    tally = (out / "tally_by_model.md").read_text().splitlines()
    assert (
        tally[0] == "| code | name | housing (n=1) | worker (n=2) | (missing) (n=1) | Total (n=4) |"
    )
    assert tally[1] == "|---|---|---:|---:|---:|---:|"
    assert tally[3] == "| housing | Housing | 1 | 2 | 0 | 3 |"
    quotes = (out / "quotes.md").read_text()
    assert "The hospital builds housing \\| fast &amp; \\*well\\* for 100% of us \\#1." in quotes
    header_cells = quotes.splitlines()[0].count("|")
    assert all(line.replace("\\|", "").count("|") == header_cells for line in quotes.splitlines())
    assert "Homes &amp; land: 100% \\#1" in (out / "codebook.md").read_text()


def test_latex_bundle_is_booktabs_and_escapes(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "tex"
    export(root, out, "--format", "latex")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [
            "MANIFEST",
            "quotes.csv",
            "quotes.tex",
            "tally_long.csv",
            "tally_by_partnership_type.tex",
            "tally_by_model.tex",
            "codebook.tex",
            "cooccurrence.tex",
        ]
    )
    tex = (out / "tally_by_partnership_type.tex").read_text()
    # code and name wrap and the group headers stack, so the counts fit on the page (found by
    # a helper: with the bundled study two group columns were off the page)
    assert tex.startswith(
        "\\begin{longtable}{p{0.18\\linewidth}p{0.2\\linewidth}rrrr}\n"
        "\\caption{transcripts with each code"
    )
    assert (
        "code & name & \\shortstack[r]{CLT\\\\(n=2)} & \\shortstack[r]{ROC\\\\(n=1)} & "
        "\\shortstack[r]{(missing)\\\\(n=1)} & \\shortstack[r]{Total\\\\(n=4)} \\\\\n\\midrule"
    ) in tex
    ragged = "\\raggedright\\hspace{0pt}"
    assert f"{ragged}housing & {ragged}Housing & 2 & 1 & 0 & 3 \\tabularnewline" in tex
    assert tex.endswith("\\bottomrule\n\\end{longtable}\n")
    codebook = (out / "codebook.tex").read_text()
    assert "Homes \\& land: 100\\% \\#1" in codebook
    # prose wraps in a longtable of the columns a page can hold
    assert codebook.startswith(
        "\\begin{longtable}{p{0.2\\linewidth}p{0.18\\linewidth}p{0.46\\linewidth}}\n"
    )
    assert "id & name & definition \\\\\n\\midrule\n\\endhead\n" in codebook
    quotes = (out / "quotes.tex").read_text()
    assert "name & group & quote & citation" in quotes
    assert "\\textbar{} fast \\& *well* for 100\\% of us \\#1." in quotes
    assert quotes.endswith("\\bottomrule\n\\end{longtable}\n")
    export(root, tmp_path / "csv")
    assert (out / "tally_long.csv").read_bytes() == (
        tmp_path / "csv" / "tally_long.csv"
    ).read_bytes()
    assert "\\toprule" in (out / "cooccurrence.tex").read_text()


def test_by_option_and_bad_input(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "by"
    result = export(root, out, "--by", "partnership")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["MANIFEST", "tally_by_partnership.csv", *CSV_FILES[2:]]
    )
    assert read_csv(out / "tally_by_partnership.csv")[0] == [
        "code", "name", "Alpha (n=1)", "Beta (n=1)", "Gamma (n=1)", "(missing) (n=1)",
        "Total (n=4)",
    ]  # fmt: skip
    assert result.stderr.count("warning:") == 1
    bad = invoke("export", "summary", "-o", str(tmp_path / "bad"), "-p", str(root), "-c", "alice",
                 "--by", "colour")  # fmt: skip
    assert bad.exit_code == 2
    assert "unknown attribute 'colour'" in bad.stderr
    assert "known attributes: partnership, partnership_type, model, informant_roles" in bad.stderr
    assert not (tmp_path / "bad").exists()
    file_target = tmp_path / "file.txt"
    file_target.write_text("x")
    clash = invoke("export", "summary", "-o", str(file_target), "-p", str(root), "-c", "alice")
    assert clash.exit_code == 2
    assert "is not a folder" in clash.stderr


def test_an_output_path_that_is_a_link_a_pipe_or_a_folder(tmp_path: Path) -> None:
    """`-o` writes through a link and into a pipe; renaming over them replaced /dev/stdout."""
    import os
    import threading

    from qualcode.errors import UsageError
    from qualcode.textio import write_output

    target = tmp_path / "target.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target.name)
    write_output(link, "new\n")
    assert link.is_symlink() and target.read_text() == "new\n"

    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write_output(fifo, "piped\n")
    reader.join(timeout=10)
    assert received == [b"piped\n"] and not fifo.is_file()

    with pytest.raises(UsageError, match="is a folder"):
        write_output(tmp_path, "x")
    with pytest.raises(UsageError, match=r"cannot write '.*target\.csv/x\.csv'"):
        write_output(target / "x.csv", "x")  # a file where its folder should be


def test_markdown_escapes_what_pandoc_reads_as_sub_and_superscript_or_math() -> None:
    from qualcode.export import _md_escape

    assert _md_escape("~50% paid $5, ~60% paid 2^3") == "\\~50% paid \\$5, \\~60% paid 2\\^3"


def test_outputs_never_overwrite_the_projects_own_files(
    make_project: MakeProject, tmp_path: Path
) -> None:
    """`report -o transcripts/x.txt` replaced an interview, `export qdpx -o codings/...` a coder's
    decisions: every -o inside the project's inputs is refused, and nothing is written."""
    root = make_project()
    assert invoke("code", "-q", "-p", str(root)).exit_code == 0
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    [codings] = sorted((root / "codings" / "auto").glob("*.jsonl"))[:1]
    attempts = [
        ["export", "qdpx", "-o", str(codings)],
        ["report", "-o", str(root / "transcripts" / "alpha-clt.txt")],
        ["plot", "heatmap", "-o", str(root / "transcripts" / "fig.svg")],
        ["codebook", "export", "-f", "md", "-o", str(root / "codebooks" / "small.yaml")],
        ["export", "summary", "-o", str(root / "codings")],
        ["report", "-o", str(root / "qualcode.yaml")],
    ]
    for args in attempts:
        result = invoke(*args, "-p", str(root))
        assert result.exit_code == 2, (args, result.output)
        assert "would overwrite the project's own" in result.stderr, args
    new_codebook = invoke(
        "codebook", "export", "-p", str(root), "-o", str(root / "codebooks" / "c.yaml")
    )
    assert new_codebook.exit_code == 2
    assert "would be read as one of the project's codebooks" in new_codebook.stderr
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    (tmp_path / "afile").write_text("x")
    blocked = invoke("export", "summary", "-p", str(root), "-o", str(tmp_path / "afile" / "sub"))
    assert blocked.exit_code == 2 and "cannot create the folder" in blocked.stderr


def test_a_long_latex_table_breaks_across_pages_and_quotes_are_tex_quotes() -> None:
    """Found by a helper: cooccurrence.tex (223 rows) sat in a float, so 169 rows fell off the
    page; straight quotes printed as closing marks on both sides."""
    from qualcode.export import latex_escape, write_latex

    rows = [{"a": f"x{i}", "n": i} for i in range(31)]
    out = io.StringIO()
    write_latex(rows, ["a", "n"], out, numeric=["n"])
    assert out.getvalue().startswith("\\begin{longtable}{lr}\n")
    assert out.getvalue().endswith("\\bottomrule\n\\end{longtable}\n")
    short = io.StringIO()
    write_latex(rows[:30], ["a", "n"], short, numeric=["n"])
    assert short.getvalue().startswith("\\begin{table}[htbp]\n")
    nested = io.StringIO()
    column = "CLT / housing (n=2)"
    write_latex([{"code": "a", column: 1}], ["code", column], nested, numeric=[column])
    assert "\\shortstack[r]{CLT /\\\\housing\\\\(n=2)}" in nested.getvalue()  # a level a line
    assert latex_escape("she said \"no\" (and 'why'), don't") == (
        "she said ``no'' (and `why'), don't"
    )


def test_a_second_export_into_the_folder_removes_the_first_ones_tables(
    root: Path, tmp_path: Path
) -> None:
    """Found by a helper: tables of the first run's groupings stayed beside the second run's,
    and nothing said they came from another status."""
    out = tmp_path / "bundle"
    export(root, out, "--by", "partnership_type")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    second = export(root, out, "--by", "model")
    assert "removed 1 file(s) the previous export wrote here: tally_by_partnership_type.csv" in (
        second.stderr
    )
    assert not (out / "tally_by_partnership_type.csv").exists()
    assert (out / "tally_by_model.csv").is_file()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"  # not an export's: kept


PARENT_CHILD = """\
codebook: {id: pc, title: PC}
codes:
  - id: housing
    name: Housing
    definition: Homes.
    rules:
      - keywords: [homes]
    children:
      - id: rent
        name: Rent
        definition: Rent.
        rules:
          - keywords: [rent]
  - id: health
    name: Health
    definition: Health.
    rules:
      - keywords: [clinic]
"""


def test_cooccurrence_pairs_leave_out_a_code_and_its_own_parent(
    make_project: MakeProject, tmp_path: Path
) -> None:
    """Found by a helper: 12 of the top 20 pairs were a parent and its child (Jaccard 0.99)."""
    from qualcode.analysis import cooccur, cooccur_pairs
    from qualcode.project import load_project

    text = "Q: Tell me.\n\nA: The homes, the rent and the clinic.\n\nQ: And?\n\nA: Rent.\n"
    root = make_project(codebooks={"pc.yaml": PARENT_CHILD}, transcripts={"t": text}, metadata=None)
    assert invoke("code", "-p", str(root), "-q").exit_code == 0
    project = load_project(root)
    counts, jaccard = cooccur(project), cooccur(project, measure="jaccard")
    every = {(r["code_a"], r["code_b"]) for r in cooccur_pairs(counts, jaccard)}
    assert ("housing", "rent") in every  # the parent counts its child's segment
    pairs = {(r["code_a"], r["code_b"]) for r in cooccur_pairs(counts, jaccard, project.codebook)}
    assert pairs == every - {("housing", "rent")}
    out = tmp_path / "bundle"
    assert invoke("export", "summary", "-p", str(root), "-o", str(out), "-q").exit_code == 0
    assert "housing,rent" not in (out / "cooccurrence.csv").read_text(encoding="utf-8")
