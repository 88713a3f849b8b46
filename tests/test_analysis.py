"""Tests for `qualcode tally`, `quotes`, `cooccur` and their Python API (qualcode.analysis).

Two small projects with hand-computed results:

ANALYSIS (coder alice, `qualcode code` then `qualcode decide`). Segments (turn segmentation) and the
codings that count by default (accepted or human-added, plus rule proposals not rejected):

    a1  CLT, Alpha   t1 Interviewer, t2 Ann  {convener acc, funder, housing}, t3 Interviewer {health
                     human-added}, t4 Ann {health; housing REJECTED}, t5 Bo {health}
    a2  CLT, Beta    t1 Int, t2 Cy {housing acc}, t3 Int, t4 Cy {health, convener}
    r1  ROC, Alpha   t1 Int, t2 Dee {funder}, t3 Int, t4 Dee {health human-added}
    n1  (no metadata) t1 Int, t2 Eve {health, funder, housing}, t3 Int, t4 Eve

17 segments; informants: a1 Ann, Bo; a2 Cy; r1 Dee; n1 Eve. Worker co-op is declared in qualcode.yaml
but has no transcript. `unused` is a code no transcript uses.

QUOTES (coder q): long1 (a >90-word turn, markup and formula-looking turns), h1 (three accepted short
`health` turns), h2 (one long `health` proposal, CRLF line ends).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import qualcode
from conftest import MakeProject, write
from qualcode import analysis
from qualcode.cli import app
from qualcode.errors import UsageError
from qualcode.overview import transcript_rows, transcript_view

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
  partnership_type: [CLT, ROC, Worker co-op]
"""

CODEBOOK = r"""
codebook:
  id: t
  title: Test codebook
  version: "1"
codes:
  - id: topics
    name: Topics
    codable: false
    children:
      - id: housing
        name: Housing
        definition: Homes.
        rules:
          - keywords: [housing]
      - id: health
        name: Health
        definition: Hospitals.
        rules:
          - keywords: [hospital]
      - id: unused
        name: 'Unused | *rare* & 50% #1 _x_ \ path'
        definition: Never applies.
        rules:
          - keywords: [zeppelin]
  - id: roles
    name: Roles
    codable: false
    children:
      - id: convener
        name: Convener
        definition: Brings partners together.
        rules:
          - keywords: [convened]
      - id: funder
        name: Funder
        definition: Pays.
        rules:
          - keywords: [funded]
"""

A1 = """\
---
partnership: Alpha
partnership_type: CLT
informant_roles: director
speakers: [Ann Lee, Bo Chan]
---
Interviewer: Tell me about the work.

Ann Lee: We convened the partners and funded the housing plan.

Interviewer: And the hospital?

Ann Lee: The hospital helped with housing.

Bo Chan: The hospital was slow.
"""

A2 = """\
Interviewer: Hello.

Cy Diaz: Housing is our mission.

Interviewer: Partners?

Cy Diaz: The hospital convened everyone.
"""

R1 = """\
Interviewer: What did you do?

Dee Ek: We funded repairs.

Interviewer: Anything else?

Dee Ek: Nothing else.
"""

N1 = """\
Interviewer: Why?

Eve Fox: The hospital funded housing.

Interviewer: Thanks.

Eve Fox: Bye.
"""

METADATA = "id,partnership,partnership_type\na2,Beta,CLT\nr1,Alpha,ROC\n"

DECISIONS = """\
transcript,segment,code,action
a1,t4,housing,reject
a1,t2,convener,accept
a1,t3,health,add
a2,t2,housing,accept
r1,t4,health,add
"""

GROUPS = ["CLT", "ROC", "Worker co-op", "(missing)", "Total"]
ROWS = ["topics", "housing", "health", "unused", "roles", "convener", "funder", "(any code)"]


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


def build(root: Path, files: dict[str, str | bytes], metadata: str, decisions: str, coder: str):  # type: ignore[no-untyped-def]
    write(root / "qualcode.yaml", CONFIG)
    write(root / "codebooks" / "t.yaml", CODEBOOK)
    for name, text in files.items():
        write(root / "transcripts" / f"{name}.txt", text)
    write(root / "transcripts" / "metadata.csv", metadata)
    coded = invoke("code", "--project", str(root), "--coder", coder)
    assert coded.exit_code == 0, coded.output
    write(root / "decisions.csv", decisions)
    decided = invoke(
        "decide", "--project", str(root), "--coder", coder, str(root / "decisions.csv")
    )
    assert decided.exit_code == 0, decided.output
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("analysis") / "study"
    return build(folder, {"a1": A1, "a2": A2, "r1": R1, "n1": N1}, METADATA, DECISIONS, "alice")


@pytest.fixture(scope="module")
def project(root: Path):  # type: ignore[no-untyped-def]
    return qualcode.load_project(str(root))


def table(frame: Any) -> dict[str, list[Any]]:
    """{code: [count per column, name excluded]} of a tally frame."""
    columns = [c for c in frame.columns if c != "name"]
    return {code: [frame.loc[code, c] for c in columns] for code in frame.index}


def tally_cli(root: Path, *args: str) -> Any:
    return invoke("tally", "--project", str(root), "--coder", "alice", *args)


# -- tally: counts ---------------------------------------------------------------------------------


def test_tally_transcripts_by_group_with_empty_declared_group_and_unused_code(project) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(UserWarning, match=r"1 transcript\(s\) lack partnership_type .*: n1"):
        frame = qualcode.tally(project, ["partnership_type"], coder="alice")
    assert list(frame.columns) == ["name", *GROUPS]
    assert list(frame.index) == ROWS
    assert frame.attrs["n"] == {"CLT": 2, "ROC": 1, "Worker co-op": 0, "(missing)": 1, "Total": 4}
    assert table(frame) == {
        "topics": [2, 1, 0, 1, 4],
        "housing": [2, 0, 0, 1, 3],
        "health": [2, 1, 0, 1, 4],
        "unused": [0, 0, 0, 0, 0],
        "roles": [2, 1, 0, 1, 4],
        "convener": [2, 0, 0, 0, 2],
        "funder": [1, 1, 0, 1, 3],
        "(any code)": [2, 1, 0, 1, 4],
    }
    assert frame.loc["unused", "name"] == "Unused | *rare* & 50% #1 _x_ \\ path"
    assert (
        "accepted and human-added codings plus rule proposals not rejected"
        in (frame.attrs["caption"])
    )
    assert "'alice'" in frame.attrs["caption"]


def test_tally_segments_counts_a_parent_once_when_two_children_apply(project) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(UserWarning):
        frame = analysis.tally(project, ["partnership_type"], count="segments", coder="alice")
    # n counts the informants' turns, not the interviewer's questions (never coded here)
    assert frame.attrs["n"] == {"CLT": 6, "ROC": 2, "Worker co-op": 0, "(missing)": 2, "Total": 10}
    rows = table(frame)
    # a1 t2 has convener and funder: roles counts it once (2 in CLT: a1 t2, a2 t4), not 3.
    assert rows["roles"] == [2, 1, 0, 1, 4]
    assert rows["convener"] == [2, 0, 0, 0, 2]
    assert rows["funder"] == [1, 1, 0, 1, 3]
    # a1 t2 has housing; t3, t4, t5 health; a2 t2 housing, t4 health.
    assert rows["topics"] == [6, 1, 0, 1, 8]
    assert rows["health"] == [4, 1, 0, 1, 6]
    assert rows["(any code)"] == [6, 2, 0, 1, 9]


def test_tally_informants_counts_only_informants(project) -> None:  # type: ignore[no-untyped-def]
    """health was added on the interviewer's turn a1 t3: the interviewer is not an informant."""
    with pytest.warns(UserWarning):
        frame = analysis.tally(project, ["partnership_type"], count="informants", coder="alice")
    assert frame.attrs["n"] == {"CLT": 3, "ROC": 1, "Worker co-op": 0, "(missing)": 1, "Total": 5}
    rows = table(frame)
    assert rows["health"] == [3, 1, 0, 1, 5]  # Ann, Bo, Cy | Dee | Eve
    assert rows["topics"] == [3, 1, 0, 1, 5]
    assert rows["housing"] == [2, 0, 0, 1, 3]  # Ann, Cy | - | Eve
    assert rows["funder"] == [1, 1, 0, 1, 3]
    assert rows["(any code)"] == [3, 1, 0, 1, 5]
    for code, values in rows.items():
        for value, column in zip(values, GROUPS, strict=True):
            assert value <= frame.attrs["n"][column], (code, column)


def test_tally_partnerships_counts_a_partnership_once(project) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(UserWarning, match="1 transcript.s. lack partnership and each counts as a"):
        frame = analysis.tally(project, count="partnerships", coder="alice")
    # Alpha (a1, r1), Beta (a2), and n1 without a partnership counted on its own.
    assert frame.attrs["n"] == {"Total": 3}
    assert list(frame.columns) == ["name", "Total"]
    assert frame.loc["funder", "Total"] == 2  # Alpha (a1 and r1) once, n1 once
    assert frame.loc["convener", "Total"] == 2  # Alpha (a1), Beta (a2)
    assert frame.loc["unused", "Total"] == 0


def test_a_repeated_by_is_one_grouping(project) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(UserWarning):
        twice = analysis.tally(project, ["partnership_type", "partnership_type"], coder="alice")
        once = analysis.tally(project, ["partnership_type"], coder="alice")
    assert twice.equals(once)


def test_tally_status_modes(project) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(UserWarning, match=r"1 transcript\(s\) that 'alice' has not reviewed") as w:
        reviewed = analysis.tally(project, count="segments", coder="alice", status="reviewed")
    assert str(w[0].message).endswith("counts them in their group's n): n1")
    # only a1 t2 convener, a1 t3 health (added), a2 t2 housing, r1 t4 health (added)
    assert reviewed["Total"].to_dict() == {
        "topics": 3, "housing": 1, "health": 2, "unused": 0, "roles": 1, "convener": 1,
        "funder": 0, "(any code)": 4,
    }  # fmt: skip
    assert "accepted and human-added codings only" in reviewed.attrs["caption"]
    everything = analysis.tally(project, count="segments", coder="alice", status="all")
    assert everything.loc["housing", "Total"] == 4  # the rejected a1 t4 housing counts too
    assert "rejected included" in everything.attrs["caption"]
    default = analysis.tally(project, count="segments", coder="alice")
    assert default.loc["housing", "Total"] == 3


def test_tally_percent_and_headers_with_n(root: Path, project) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(UserWarning):
        frame = analysis.tally(project, ["partnership_type"], percent=True, coder="alice")
    # Worker co-op is declared but has no transcript: its share is undefined, not 0%
    assert frame.loc["housing"].isna().tolist() == [False, False, False, True, False, False]
    assert table(frame.fillna(-1))["housing"] == [100.0, 0.0, -1, 100.0, 75.0]
    assert table(frame.fillna(-1))["funder"] == [50.0, 100.0, -1, 100.0, 75.0]
    assert frame.attrs["caption"].startswith("% of transcripts")
    result = tally_cli(root, "--by", "partnership_type", "--percent", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [
        "code", "name", "CLT (n=2)", "ROC (n=1)", "Worker co-op (n=0)", "(missing) (n=1)",
        "Total (n=4)",
    ]  # fmt: skip
    assert rows[2] == ["housing", "Housing", "100.0", "0.0", "", "100.0", "75.0"]
    shown = tally_cli(root, "--by", "partnership_type", "--percent", "--format", "md").stdout
    assert "| housing | Housing | 100.0 | 0.0 | – | 100.0 | 75.0 |" in shown.splitlines()
    as_json = json.loads(
        tally_cli(root, "--by", "partnership_type", "--percent", "-f", "json").stdout
    )
    assert as_json["rows"][1]["Worker co-op"] is None and as_json["n"]["Worker co-op"] == 0


def test_tally_level_codes_and_nonzero(project) -> None:  # type: ignore[no-untyped-def]
    top = analysis.tally(project, level=0, count="segments", coder="alice")
    assert table(top) == {"topics": [8], "roles": [4], "(any code)": [9]}
    chosen = analysis.tally(project, codes=["roles", "housing"], coder="alice")
    assert table(chosen) == {"roles": [4], "housing": [3], "(any code)": [4]}
    only_housing = analysis.tally(project, codes=["housing"], count="segments", coder="alice")
    assert table(only_housing) == {"housing": [3], "(any code)": [3]}
    nonzero = analysis.tally(project, nonzero=True, coder="alice")
    assert list(nonzero.index) == [r for r in ROWS if r != "unused"]
    with pytest.raises(UsageError, match=r"unknown code 'housng' \(did you mean 'housing'\?\)"):
        analysis.tally(project, codes=["housng"], coder="alice")


def test_tally_level_and_codes_from_the_cli(root: Path) -> None:
    result = tally_cli(root, "--level", "0", "--count", "segments", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    assert [(r["code"], r["Total"]) for r in rows] == [
        ("topics", 8),
        ("roles", 4),
        ("(any code)", 9),
    ]
    result = tally_cli(root, "--codes", "roles,housing", "--nonzero", "--format", "csv")
    assert [r[0] for r in csv.reader(io.StringIO(result.stdout))] == [
        "code", "roles", "housing", "(any code)",
    ]  # fmt: skip
    bad = tally_cli(root, "--codes", "housng")
    assert bad.exit_code == 2
    assert "did you mean 'housing'" in bad.stderr


def test_tally_nested_groups_show_empty_combinations(project) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(UserWarning):
        frame = analysis.tally(project, ["partnership_type", "partnership"], coder="alice")
    expected_columns = [
        f"{t} / {p}"
        for t in ("CLT", "ROC", "Worker co-op", "(missing)")
        for p in ("Alpha", "Beta", "(missing)")
    ]
    assert list(frame.columns) == ["name", *expected_columns, "Total"]
    n = frame.attrs["n"]
    assert {k: v for k, v in n.items() if v} == {
        "CLT / Alpha": 1, "CLT / Beta": 1, "ROC / Alpha": 1, "(missing) / (missing)": 1,
        "Total": 4,
    }  # fmt: skip
    funder = frame.loc["funder"]
    assert {c: funder[c] for c in expected_columns if funder[c]} == {
        "CLT / Alpha": 1, "ROC / Alpha": 1, "(missing) / (missing)": 1,
    }  # fmt: skip
    assert frame.loc["housing", "CLT / Beta"] == 1


def test_tally_cli_table_shows_headers_totals_and_warns_about_missing_metadata(root: Path) -> None:
    result = tally_cli(root, "--by", "partnership_type")
    assert result.exit_code == 0, result.output
    for header in (
        "CLT (n=2)",
        "ROC (n=1)",
        "Worker co-op (n=0)",
        "(missing) (n=1)",
        "Total (n=4)",
    ):
        assert header in result.stdout
    assert "(any code)" in result.stdout
    assert "coder 'alice': accepted and human-added codings plus rule proposals" in result.stdout
    assert result.stderr == (
        "warning: 1 transcript(s) lack partnership_type and are counted as '(missing)': n1\n"
    )
    plain = tally_cli(root)
    assert plain.exit_code == 0 and plain.stderr == ""


def test_tally_cli_csv(root: Path) -> None:
    result = tally_cli(root, "--by", "partnership_type", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0][2:] == [
        "CLT (n=2)", "ROC (n=1)", "Worker co-op (n=0)", "(missing) (n=1)", "Total (n=4)",
    ]  # fmt: skip
    assert rows[1:] == [
        ["topics", "Topics", "2", "1", "0", "1", "4"],
        ["housing", "Housing", "2", "0", "0", "1", "3"],
        ["health", "Health", "2", "1", "0", "1", "4"],
        ["unused", "Unused | *rare* & 50% #1 _x_ \\ path", "0", "0", "0", "0", "0"],
        ["roles", "Roles", "2", "1", "0", "1", "4"],
        ["convener", "Convener", "2", "0", "0", "0", "2"],
        ["funder", "Funder", "1", "1", "0", "1", "3"],
        ["(any code)", "(any code)", "2", "1", "0", "1", "4"],
    ]


def test_tally_cli_markdown_escapes_and_carries_the_caption(root: Path) -> None:
    result = tally_cli(root, "--by", "partnership_type", "--format", "md")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "| code | name | CLT (n=2) | ROC (n=1) | Worker co-op (n=0) | (missing) (n=1) | Total (n=4) |"
    )
    assert lines[1] == "|---|---|---:|---:|---:|---:|---:|"
    assert (
        "| unused | Unused \\| \\*rare\\* &amp; 50% \\#1 \\_x\\_ \\\\ path | 0 | 0 | 0 | 0 | 0 |"
        in (lines)
    )
    # every table row still has exactly the header's number of cells (no raw `|` left in a cell)
    for line in lines[:10]:
        assert line.replace("\\|", "").count("|") == 8, line
    assert "coder 'alice'" in result.stdout


def test_tally_cli_latex_is_booktabs_and_escapes(root: Path) -> None:
    result = tally_cli(root, "--by", "partnership_type", "--format", "latex")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "\\begin{longtable}{p{0.18\\linewidth}p{0.2\\linewidth}rrrrr}" in out
    assert out.index("\\toprule") < out.index("\\midrule") < out.index("\\bottomrule")
    assert (
        "unused & \\raggedright\\hspace{0pt}Unused \\textbar{} *rare* \\& 50\\% \\#1 \\_x\\_ "
        "\\textbackslash{} path & 0 & 0 & 0 & 0 & 0 \\tabularnewline" in out
    )
    assert (
        "\\shortstack[r]{CLT\\\\(n=2)} & \\shortstack[r]{ROC\\\\(n=1)} & "
        "\\shortstack[r]{Worker co-op\\\\(n=0)} & \\shortstack[r]{(missing)\\\\(n=1)} & "
        "\\shortstack[r]{Total\\\\(n=4)}"
    ) in out
    assert "\\caption{" in out


@pytest.mark.filterwarnings("ignore:.*has not reviewed at all")
def test_tally_json_equals_the_api(root: Path, project) -> None:  # type: ignore[no-untyped-def]
    options: list[tuple[list[str], dict[str, Any]]] = [
        (["--by", "partnership_type"], {"by": ["partnership_type"]}),
        (["--count", "segments", "--percent"], {"count": "segments", "percent": True}),
        (["--level", "0", "--status", "reviewed"], {"level": 0, "status": "reviewed"}),
        (["--codes", "roles,health", "--nonzero"], {"codes": ["roles", "health"], "nonzero": True}),
    ]
    for args, kwargs in options:
        result = tally_cli(root, *args, "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        kwargs = dict(kwargs)
        by = kwargs.pop("by", [])
        with pytest.warns(UserWarning) if by else _no_warning():
            frame = qualcode.tally(project, by, coder="alice", **kwargs)
        assert data["n"] == frame.attrs["n"]
        assert data["caption"] == frame.attrs["caption"]
        assert data["unit"] == frame.attrs["unit"]
        expected = [{"code": code, **frame.loc[code].to_dict()} for code in frame.index]
        assert data["rows"] == expected, args


class _no_warning:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# -- tally: bad input and edge cases ---------------------------------------------------------------


def test_unknown_attribute_lists_the_known_ones(root: Path, project) -> None:  # type: ignore[no-untyped-def]
    for command in ("tally", "quotes"):
        result = invoke(
            command, "--project", str(root), "--coder", "alice", "--by", "partnershp_type"
        )
        assert result.exit_code == 2, result.output
        assert "unknown attribute 'partnershp_type' (did you mean 'partnership_type'?)" in (
            result.stderr
        )
        assert "known attributes: partnership, partnership_type, informant_roles" in result.stderr
        assert "Traceback" not in result.output
        assert result.stdout == ""
    with pytest.raises(UsageError, match="unknown attribute 'colour'"):
        analysis.tally(project, ["colour"], coder="alice")


def test_unknown_coder_and_bad_count(root: Path) -> None:
    result = invoke("tally", "--project", str(root), "--coder", "alicia")
    assert result.exit_code == 2
    assert "no codings for coder 'alicia' (did you mean 'alice'?)" in result.stderr
    bad = tally_cli(root, "--count", "words")
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output


def test_a_group_value_with_one_transcript(project) -> None:  # type: ignore[no-untyped-def]
    with pytest.warns(UserWarning):
        frame = analysis.tally(project, ["partnership_type"], percent=True, coder="alice")
    assert frame.attrs["n"]["ROC"] == 1
    assert table(frame)["health"][1] == 100.0
    assert table(frame)["housing"][1] == 0.0


def test_empty_project_gives_a_clear_message(make_project: MakeProject) -> None:
    root = make_project(transcripts={}, metadata=None)
    for args in (
        ["code"],
        ["tally"],
        ["tally", "--by", "partnership_type", "--format", "json"],
        ["quotes"],
        ["cooccur"],
        ["summary"],
        ["export", "summary", "-o", str(root / "out")],
    ):
        result = invoke(*args, "--project", str(root), "--coder", "alice")
        assert result.exit_code == 2, (args, result.output)
        assert "the project has no transcripts" in result.stderr, args
        assert "Traceback" not in result.output
        assert result.stdout == ""
    with pytest.raises(UsageError, match="no transcripts"):
        qualcode.tally(qualcode.load_project(str(root)))


@pytest.mark.filterwarnings(r"ignore:1 transcript\(s\) lack partnership_type")
def test_python_api_is_listed_and_takes_a_folder_and_plain_names(root: Path, project) -> None:  # type: ignore[no-untyped-def]
    assert {"code", "transcript_table", "tally", "quotes", "cooccur", "agree"} <= set(dir(qualcode))
    assert set(qualcode.__all__) <= set(dir(qualcode))
    with pytest.raises(AttributeError, match="no attribute 'no_such_function'"):
        qualcode.no_such_function  # noqa: B018
    listed = analysis.tally(
        project, ["partnership_type"], codes=["health", "funder"], coder="alice"
    )
    # one name where a list is expected is that name (not its letters); a folder is a project
    for frame in (
        qualcode.tally(str(root), by="partnership_type", codes="health,funder", coder="alice"),
        qualcode.tally(root, "partnership_type", codes=("health", "funder"), coder="alice"),
        analysis.tally(project, "partnership_type", codes="health, funder", coder="alice"),
    ):
        assert frame.equals(listed)
    assert qualcode.tally(project, by=None, coder="alice").equals(
        analysis.tally(project, [], coder="alice")
    )
    assert qualcode.quotes(root, "health", by="partnership_type", coder="alice").equals(
        analysis.quotes(project, ["health"], ["partnership_type"], coder="alice")
    )
    assert qualcode.cooccur(root, codes="health,funder", coder="alice").shape == (2, 2)
    with pytest.raises(TypeError, match="not int"):
        qualcode.tally(3)  # type: ignore[arg-type]
    # short reprs in a notebook, and lookups that say what went wrong
    assert repr(project) == f"<Project {str(root)!r}>"
    assert repr(project.corpus) == "<Corpus of 4 transcripts>" and len(project.corpus) == 4
    assert repr(project.codebook) == "<Codebook t 1: 7 codes>" and len(project.codebook) == 7
    assert project.codebook["health"].name == "Health"
    with pytest.raises(KeyError, match="no code 'healht' \\(did you mean 'health'\\?\\)"):
        project.codebook.get("healht")


def test_python_transcript_table_and_code(root: Path) -> None:
    table = qualcode.transcript_table(root)
    assert table.index.name == "id" and sorted(table.index) == ["a1", "a2", "n1", "r1"]
    assert table.loc["a1", "speakers"] == "Interviewer; Ann Lee; Bo Chan"
    assert table.loc["a1", "interviewers"] == "Interviewer"
    assert table.loc["a2", "partnership"] == "Beta"
    assert table.loc["r1", "words"] > 0
    coded = qualcode.code(root, "a2, r1", coder="alice")  # already coded: decisions are kept
    assert list(coded.index) == ["a2", "r1"]
    assert coded.loc["a2"].to_dict() == {
        "proposals": 3, "added": 0, "kept": 3, "removed": 0, "reanchored": 0, "stale": 0,
        "warnings": "", "error": "",
    }  # fmt: skip
    with pytest.raises(UsageError, match="no transcript with id 'a3'"):
        qualcode.code(root, ["a3"], coder="alice")
    with pytest.raises(UsageError, match="cannot be used as a folder name"):
        qualcode.code(root, coder="Alice Smith")
    with pytest.raises(UsageError, match="jobs must be 1 or more, not 0"):
        qualcode.code(root, coder="alice", jobs=0)
    with pytest.raises(UsageError, match="at least two coders"):
        qualcode.agree(root, "alice")


# -- cooccur ---------------------------------------------------------------------------------------

CODABLE = ["housing", "health", "unused", "convener", "funder"]


def test_cooccur_counts_within_segments(project) -> None:  # type: ignore[no-untyped-def]
    frame = analysis.cooccur(project, coder="alice")
    assert list(frame.index) == CODABLE and list(frame.columns) == CODABLE
    assert frame.to_numpy().tolist() == [
        # housing: a1t2 a2t2 n1t2; health: a1t3 a1t4 a1t5 a2t4 r1t4 n1t2; convener: a1t2 a2t4;
        # funder: a1t2 r1t2 n1t2
        [3, 1, 0, 1, 2],
        [1, 6, 0, 1, 1],
        [0, 0, 0, 0, 0],
        [1, 1, 0, 2, 1],
        [2, 1, 0, 1, 3],
    ]
    assert "segments where both codes apply" in frame.attrs["caption"]


def test_cooccur_jaccard_and_within_transcript(project) -> None:  # type: ignore[no-untyped-def]
    jaccard = analysis.cooccur(project, measure="jaccard", coder="alice")
    assert jaccard.loc["housing", "funder"] == 0.5  # 2 / 4
    assert jaccard.loc["housing", "health"] == 0.125  # 1 / 8
    assert jaccard.loc["health", "convener"] == 0.143  # 1 / 7
    assert jaccard.loc["unused", "unused"] == 0.0
    assert jaccard.loc["funder", "funder"] == 1.0
    per_transcript = analysis.cooccur(project, within="transcript", coder="alice")
    assert per_transcript.loc["housing", "health"] == 3  # a1, a2, n1
    assert per_transcript.loc["convener", "funder"] == 1  # a1
    assert per_transcript.loc["health", "health"] == 4
    rolled = analysis.cooccur(project, level=0, coder="alice")
    assert rolled.to_numpy().tolist() == [[8, 3], [3, 4]]  # topics, roles: a1t2, a2t4, n1t2


def test_cooccur_cli_formats_and_json_equals_the_api(root: Path, project) -> None:  # type: ignore[no-untyped-def]
    for args, kwargs in (
        ([], {}),
        (["--measure", "jaccard"], {"measure": "jaccard"}),
        (["--within", "transcript", "--level", "0"], {"within": "transcript", "level": 0}),
        (["--codes", "housing,funder"], {"codes": ["housing", "funder"]}),
    ):
        result = invoke("cooccur", "--project", str(root), "-c", "alice", *args, "-f", "json")
        assert result.exit_code == 0, result.output
        frame = qualcode.cooccur(project, coder="alice", **kwargs)
        assert json.loads(result.stdout) == {
            "caption": frame.attrs["caption"],
            "codes": list(frame.index),
            "matrix": frame.to_numpy().tolist(),
        }
    as_csv = invoke("cooccur", "--project", str(root), "-c", "alice", "--format", "csv")
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == ["code", *CODABLE]
    assert rows[1] == ["housing", "3", "1", "0", "1", "2"]
    bad = invoke("cooccur", "--project", str(root), "-c", "alice", "--within", "paragraph")
    assert bad.exit_code == 2
    assert "--within must be segment or transcript" in bad.stderr


# -- other commands with --format json ---------------------------------------------------------------


def test_transcripts_and_show_json_equal_the_api(root: Path, project) -> None:  # type: ignore[no-untyped-def]
    result = invoke("transcripts", "--project", str(root), "--format", "json")
    assert result.exit_code == 0, result.output
    rows, columns = transcript_rows(project)
    assert json.loads(result.stdout) == [{c: row.get(c) for c in columns} for row in rows]
    assert [r["id"] for r in json.loads(result.stdout)] == ["a1", "a2", "n1", "r1"]
    shown = invoke("show", "a1", "--project", str(root), "--coder", "alice", "--format", "json")
    assert shown.exit_code == 0, shown.output
    view = transcript_view(project, "a1", "alice")
    assert json.loads(shown.stdout) == json.loads(json.dumps(view.to_dict()))


def test_check_json_equals_the_api(root: Path) -> None:
    from qualcode.check import check_project
    from qualcode.project import load_project

    result = invoke("check", "--project", str(root), "--format", "json")
    assert result.exit_code == 0, result.output  # a warning only
    expected = [
        {
            "path": d.path, "line": d.line, "column": d.column, "severity": d.severity.value,
            "message": d.message, "rule": d.rule, "hint": d.hint,
        }
        for d in check_project(load_project(root, strict=False)).diagnostics
    ]  # fmt: skip
    data = json.loads(result.stdout)
    assert data == expected
    assert [(Path(d["path"]).name, d["rule"], d["severity"]) for d in data] == [
        ("n1.txt", "missing-metadata", "warning")
    ]


def test_summary_markdown(root: Path) -> None:
    result = invoke(
        "summary", "-p", str(root), "-c", "alice", "--by", "partnership_type", "-f", "md"
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "# Summary by partnership_type"
    assert "| housing | Housing | 2 (100%) | 0 (0%) | 0 | 1 (100%) | 3 (75%) |" in lines
    assert "| funder | Funder | 1 (50%) | 1 (100%) | 0 | 1 (100%) | 3 (75%) |" in lines
    assert "## Quotes" in lines
    assert "> — a2, Beta, Cy Diaz, line 3" in lines
    # the tally and the quotes both group by partnership_type: the warning is given once
    assert result.stderr.count("warning:") == 1


def test_summary_with_no_quotes_is_the_tables_alone(root: Path) -> None:
    tables = invoke("summary", "-p", str(root), "-c", "alice", "--quotes", "0", "-f", "md")
    assert tables.exit_code == 0, tables.output
    assert "| housing | Housing | 3 (75%) |" in tables.stdout
    assert "Quotes" not in tables.stdout
    assert "Quotes" not in invoke("summary", "-p", str(root), "-c", "alice", "--quotes", "0").stdout
    negative = invoke("summary", "-p", str(root), "-c", "alice", "--quotes", "-1")
    assert negative.exit_code == 2
    assert "--quotes must be 0 (tables only) or more" in negative.stderr


# -- quotes ----------------------------------------------------------------------------------------

FILLER = (
    "We met every week with the neighbours and talked for a long time about the plans for the area"
)
LONG_TURN = (
    f"First we listened to everyone in the room. {FILLER}. Then more meetings followed at the "
    f"library. {FILLER}.\nNobody expected much from the city council at all. The housing trust was "
    "the real turning point for us. It changed how the partners worked together on every project.\n"
    f"{FILLER}. {FILLER}. And that is the end of the story."
)
MARKUP = "Housing | costs *rose* 50% & rents_up #1 \\ ok."
LONG1 = f"""\
---
partnership: Alpha
partnership_type: CLT
informant_roles: executive director
---
Interviewer: Tell me the story.

Ann Lee: {LONG_TURN}

Interviewer: And the costs?

Ann Lee: {MARKUP}

Interviewer: Formulas?

Ann Lee: =SUM(A1) is how housing gets counted.

Interviewer: More?

Ann Lee: +1 for housing.

Interviewer: Less?

Ann Lee: -1 on housing then.

Interviewer: Handle?

Ann Lee: @x tweeted about housing.
"""
H1 = """\
---
partnership: Beta
partnership_type: CLT
speakers: [Bo Chan, Cy Diaz]
---
Interviewer: One?

Bo Chan: The hospital paid.

Interviewer: Two?

Cy Diaz: The hospital hired locally.

Interviewer: Three?

Bo Chan: The hospital stayed.
"""
H2_TURN = (
    "The hospital and our team met every month for two years to plan the clinic, the jobs program "
    "and the food pantry, and it slowly became a real partnership."
)
H2 = f"Interviewer: Tell me.\r\n\r\nDee Ek: {H2_TURN}\r\n\r\nInterviewer: Ok.\r\n\r\nDee Ek: Bye.\r\n"
QUOTE_DECISIONS = """\
transcript,segment,code,action
h1,t2,health,accept
h1,t4,health,accept
h1,t6,health,accept
"""


@pytest.fixture(scope="module")
def qroot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("quotes") / "study"
    files: dict[str, str | bytes] = {"long1": LONG1, "h1": H1, "h2": H2.encode("utf-8")}
    return build(folder, files, "id,partnership_type\nh2,ROC\n", QUOTE_DECISIONS, "q")


def quotes_cli(qroot: Path, *args: str) -> Any:
    return invoke("quotes", "--project", str(qroot), "--coder", "q", *args)


def assert_right_lines(qroot: Path, record: dict[str, Any]) -> None:
    """The quote's first words are on its first line of the file and its last words on its last."""
    raw = (qroot / "transcripts" / f"{record['transcript']}.txt").read_bytes().decode("utf-8")
    lines = raw.replace("\r\n", "\n").split("\n")
    first, last = map(int, record["lines"].split("-"))
    body = record["quote"].removeprefix("… ").removesuffix(" …")
    assert body[:12] in lines[first - 1], (record["lines"], body)
    assert body[-12:] in lines[last - 1], (record["lines"], body)


def test_quotes_are_trimmed_to_sentences_with_ellipses_and_cite_the_right_lines(
    qroot: Path,
) -> None:
    frame = qualcode.quotes(qualcode.load_project(str(qroot)), ["housing"], coder="q", per_group=6)
    assert len(frame) == 6
    top = frame.iloc[0].to_dict()
    assert top["segment"] == "t2" and top["rank"] == 1
    assert top["quote"].startswith("… We met every week")
    assert top["quote"].endswith("plans for the area. …")
    assert "The housing trust was the real turning point for us." in top["quote"]
    assert "First we listened" not in top["quote"]
    assert 25 <= top["words"] <= 90
    assert top["lines"] == "8-10"
    assert top["speaker"] == "Ann Lee"
    assert top["citation"] == "long1, Alpha, Ann Lee (executive director), lines 8-10"
    assert (top["partnership"], top["informant_role"]) == ("Alpha", "executive director")
    for record in frame.to_dict(orient="records"):
        assert_right_lines(qroot, record)
    markup = frame[frame["segment"] == "t4"].iloc[0]
    assert markup["quote"] == MARKUP
    assert markup["lines"] == "14-14"
    assert markup["citation"] == "long1, Alpha, Ann Lee (executive director), line 14"


@pytest.mark.filterwarnings("ignore:.*has not reviewed at all")
def test_quotes_put_accepted_first_and_spread_across_interviews(qroot: Path) -> None:
    project = qualcode.load_project(str(qroot))
    frame = analysis.quotes(project, ["health"], coder="q", per_group=3)
    # h1's three accepted turns outrank h2's proposal, but h2 is quoted before h1 a second time,
    # and the third quote is from the h1 speaker not yet quoted.
    assert list(zip(frame["transcript"], frame["segment"], frame["status"], strict=True)) == [
        ("h1", "t4", "accepted"),
        ("h2", "t2", "proposed"),
        ("h1", "t2", "accepted"),
    ]
    assert list(frame["speaker"]) == ["Cy Diaz", "Dee Ek", "Bo Chan"]
    assert list(frame["rank"]) == [1, 2, 3]
    # a proposal of ideal length (29 words) still comes after an accepted 4-word quote
    best = analysis.quotes(project, ["health"], coder="q", per_group=1)
    assert list(best["segment"]) == ["t4"] and best["transcript"].tolist() == ["h1"]
    for record in frame.to_dict(orient="records"):
        assert_right_lines(qroot, record)
    crlf = frame[frame["transcript"] == "h2"].iloc[0]
    assert crlf["lines"] == "3-3"  # lines of the CRLF file, counted as the editor shows them
    assert crlf["quote"] == H2_TURN
    reviewed = analysis.quotes(project, ["health"], coder="q", status="reviewed", per_group=4)
    assert set(reviewed["transcript"]) == {"h1"} and len(reviewed) == 3


def test_quotes_by_group(qroot: Path) -> None:
    project = qualcode.load_project(str(qroot))
    frame = analysis.quotes(project, ["health"], ["partnership_type"], coder="q", per_group=3)
    assert list(zip(frame["group"], frame["transcript"], frame["segment"], strict=True)) == [
        ("CLT", "h1", "t4"),  # only h1 in CLT has health: three quotes from it are allowed
        ("CLT", "h1", "t2"),
        ("CLT", "h1", "t6"),
        ("ROC", "h2", "t2"),
    ]
    assert "per code and group" in frame.attrs["caption"]


def test_quotes_csv_neutralizes_formulas_and_md_escapes_markup(qroot: Path) -> None:
    result = quotes_cli(qroot, "--code", "housing", "--per-group", "6", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    quotes = {r["segment"]: r["quote"] for r in rows}
    assert quotes["t6"] == "'=SUM(A1) is how housing gets counted."
    assert quotes["t8"] == "'+1 for housing."
    assert quotes["t10"] == "'-1 on housing then."
    assert quotes["t12"] == "'@x tweeted about housing."
    assert quotes["t4"] == MARKUP  # CSV quoting keeps markup as is
    assert rows[0]["citation"] == "long1, Alpha, Ann Lee (executive director), lines 8-10"
    assert "highlights" not in rows[0]
    md = quotes_cli(qroot, "--code", "housing", "--per-group", "6", "--format", "md")
    assert md.exit_code == 0, md.output
    lines = md.stdout.splitlines()
    assert "> Housing \\| costs \\*rose\\* 50% &amp; rents_up \\#1 \\\\ ok." in lines
    assert "> =SUM(A1) is how housing gets counted." in lines
    assert "> — long1, Alpha, Ann Lee (executive director), line 14" in lines
    assert "### Housing (`housing`)" in lines


@pytest.mark.filterwarnings("ignore:.*has not reviewed at all")
def test_quotes_json_equals_the_api(qroot: Path) -> None:
    project = qualcode.load_project(str(qroot))
    for args, kwargs in (
        (["--code", "housing", "--per-group", "6"], {"codes": ["housing"], "per_group": 6}),
        (["--code", "health", "--by", "partnership_type"], {"codes": ["health"],
                                                            "by": ["partnership_type"]}),
        (["--status", "reviewed"], {"status": "reviewed"}),
        (["--code", "health", "--code", "housing", "-n", "1"], {"codes": ["health", "housing"],
                                                                "per_group": 1}),
    ):  # fmt: skip
        result = quotes_cli(qroot, *args, "--format", "json")
        assert result.exit_code == 0, result.output
        frame = qualcode.quotes(project, coder="q", **kwargs)
        data = json.loads(result.stdout)
        assert data["caption"] == frame.attrs["caption"]
        assert data["quotes"] == frame.to_dict(orient="records")
        assert data["quotes"], args
    # the JSON keeps the text itself: markup and formulas are data there
    data = json.loads(quotes_cli(qroot, "--code", "housing", "-n", "6", "-f", "json").stdout)
    assert {q["quote"] for q in data["quotes"]} >= {MARKUP, "=SUM(A1) is how housing gets counted."}


def test_quotes_warn_about_missing_metadata(qroot: Path) -> None:
    result = quotes_cli(qroot, "--code", "health", "--by", "partnership", "--format", "csv")
    assert result.exit_code == 0, result.output
    # h2 has no partnership (only partnership_type in the CSV)
    assert result.stderr == (
        "warning: 1 transcript(s) lack partnership and are counted as '(missing)': h2\n"
    )
    groups = [r["group"] for r in csv.DictReader(io.StringIO(result.stdout))]
    assert groups == ["Beta", "Beta", "Beta", "(missing)"]


def test_quotes_table_and_unknown_code(qroot: Path) -> None:
    result = quotes_cli(qroot, "--code", "health", "-n", "1")
    assert result.exit_code == 0, result.output
    assert "The hospital hired locally." in result.stdout
    assert "h1, Beta, Cy Diaz, line 12 [accepted]" in result.stdout
    bad = quotes_cli(qroot, "--code", "helth")
    assert bad.exit_code == 2
    assert "did you mean 'health'" in bad.stderr
    zero = quotes_cli(qroot, "--per-group", "0")
    assert zero.exit_code == 2
    assert "--per-group must be at least 1" in zero.stderr


def test_quotes_for_a_parent_code_collect_its_childrens_passages_once(
    root: Path, project: Any
) -> None:
    """`--code roles` quotes passages coded convener or funder; a passage with both counts once."""
    frame = qualcode.quotes(project, ["roles"], coder="alice", per_group=10)
    children = qualcode.quotes(project, ["convener", "funder"], coder="alice", per_group=10)
    assert set(frame["code"]) == {"roles"}
    passages = set(zip(children["transcript"], children["segment"], strict=True))
    assert set(zip(frame["transcript"], frame["segment"], strict=True)) == passages
    assert len(frame) == len(passages)  # Ann Lee's "convened ... funded" turn appears once


def test_cells_starting_with_tab_or_cr_are_neutralized_even_when_numeric() -> None:
    from qualcode.export import neutralize

    assert neutralize("\t1") == "'\t1"
    assert neutralize("\r2") == "'\r2"
    assert neutralize("-3") == "-3"
    assert neutralize("=1+2") == "'=1+2"


def test_unreadable_uncoded_and_resegmented_transcripts_do_not_block_or_skew_tables(
    tmp_path: Path,
) -> None:
    """An empty file is skipped with a warning; transcripts without codings are not units;
    codings on segments that no longer exist are not counted, and check says why."""
    root = tmp_path / "p"
    assert invoke("init", str(root)).exit_code == 0
    (root / "transcripts" / "b.txt").write_text(
        "Interviewer: How is it?\n\nAnn Lee: We convened the partners. We convened again.\n\n"
        "Interviewer: ok\n\nAnn Lee: yes\n",
        encoding="utf-8",
    )
    assert invoke("code", "--project", str(root), "b", "-q").exit_code == 0
    (root / "transcripts" / "empty.txt").write_text("", encoding="utf-8")
    result = invoke("tally", "--project", str(root), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == {"Total": 1}  # only b was coded
    assert "has no codings for 2 of 3 transcript(s)" in result.stderr
    config = root / "qualcode.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("segmentation: turn", "segmentation: sentence"),
        encoding="utf-8",
    )
    result = invoke("tally", "--project", str(root), "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["code"]: r["Total"] for r in json.loads(result.stdout)["rows"]}
    assert rows["convener"] == 0
    assert "on segments that no longer exist" in result.stderr
    check = invoke("check", "--project", str(root))
    assert "is on segment t2, which no longer exists" in check.output


def test_cited_roles_never_give_one_speaker_another_informants_role() -> None:
    from qualcode.analysis import speaker_role

    meta = {"informant_roles": "stewardship manager;board chair"}
    assert speaker_role(meta, 2, "informant") == ""  # who holds which role is not recorded
    assert (
        speaker_role({"informant_roles": "director;founder"}, 1, "informant") == "director; founder"
    )
    assert speaker_role({"informant_roles": "director"}, 3, "informant") == "director"
    assert speaker_role({"informant_roles": "director"}, 1, "interviewer") == ""


def test_cooccur_table_too_wide_for_the_terminal_lists_pairs(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qualcode.cli.analysis as cli_analysis

    monkeypatch.setattr(cli_analysis, "_matrix_fits", lambda frame: len(frame.columns) < 3)
    result = invoke("cooccur", "--project", str(root), "--coder", "alice")
    assert result.exit_code == 0, result.output
    assert "Co-occurring pairs" in result.stdout
    assert "--format csv" in result.stdout


def test_an_edited_transcript_is_quoted_from_its_new_text_with_a_warning(tmp_path: Path) -> None:
    root = build(tmp_path / "study", {"a2": A2}, METADATA, "transcript,segment,code,action\n", "q")
    path = root / "transcripts" / "a2.txt"
    # a new first question: every turn moves, and the words of the last answer change
    path.write_text(
        "Interviewer: First things first.\n\n"
        + A2.replace("convened everyone", "convened every partner")
    )
    project = qualcode.load_project(str(root))
    with pytest.warns(UserWarning, match=r"1 transcript\(s\) changed since 'q' coded them") as w:
        frame = qualcode.quotes(project, ["housing"], coder="q")
    assert w[0].filename == __file__  # shown at the caller's line, not inside qualcode
    # the changed answer's proposals (convener, health) are proposed again by their rules, as
    # `qualcode code` does, instead of being left out
    assert "could not be placed" not in str(w[0].message)
    assert "qualcode code --coder q" in str(w[0].message)
    assert frame["quote"].tolist() == ["Housing is our mission."]
    assert frame["segment"].tolist() == ["t3"]  # re-anchored, not the old t2
    result = invoke("tally", "--project", str(root), "--coder", "q", "--format", "csv")
    assert result.exit_code == 0
    assert "changed since 'q' coded them" in result.stderr
    assert path.read_text().startswith("Interviewer: First")  # nothing written
    # the numbers are those `qualcode code` stores (it also re-proposes the rules' codings)
    for status in ("default", "all"):
        before = invoke("tally", "-p", str(root), "-c", "q", "-f", "csv", "--status", status)
        assert invoke("code", "-q", "-p", str(root), "-c", "q").exit_code == 0
        after = invoke("tally", "-p", str(root), "-c", "q", "-f", "csv", "--status", status)
        assert before.stdout == after.stdout and after.stderr == ""
        path.write_text(path.read_text() + "\nInterviewer: One more thing.\n")


def test_every_percent_rounds_halves_up_the_same_way() -> None:
    """Found by a helper: the summary said 62% (Python's round) where the report and the heatmap
    said 63% for 5 of 8 transcripts; a paper's table and figure disagreed."""
    from qualcode.analysis import percent_of
    from qualcode.report import percent_text
    from qualcode.summary import _cell

    assert [percent_of(c, 8) for c in (1, 3, 5, 7)] == [13, 38, 63, 88]
    assert [percent_of(1, 16, 1), percent_of(1, 3, 1), percent_of(2, 3, 1)] == [6.3, 33.3, 66.7]
    assert [_cell(c, 8) for c in (1, 5)] == ["1 (13%)", "5 (63%)"]
    assert [percent_text(c, 8) for c in (1, 5)] == ["13%", "63%"]
    assert analysis.percent_half_up(13 / 16) == 81.3  # an agreement's share: round() gave 81.2


def test_tied_quotes_are_not_taken_in_the_alphabet_of_transcript_ids(
    make_project: MakeProject,
) -> None:
    """Found by a helper: with equal scores, 314 of 483 quotes came from the first of 20 sites,
    whose transcript ids sorted first."""
    turn = "A: The hospital and the homes work together in this neighborhood every day.\n"
    transcripts = {f"site-{i:02d}": f"Q: Tell me?\n\n{turn}\nQ: More?\n\n{turn}" for i in range(12)}
    root = make_project(transcripts=transcripts, metadata=None)
    assert runner.invoke(app, ["code", "-p", str(root), "-q"]).exit_code == 0
    project = qualcode.load_project(str(root))
    picked = list(analysis.quotes(project, ["housing"], per_group=3)["transcript"])
    assert len(set(picked)) == 3
    assert picked != ["site-00", "site-01", "site-02"]
    assert picked == list(analysis.quotes(project, ["housing"], per_group=3)["transcript"])
