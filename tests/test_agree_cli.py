"""Tests for `qualcode agree` and `qualcode merge` (qualcode.intercoder and the CLI on top).

The statistics themselves are checked against published examples in test_agreement.py; here the
project layer is checked: which segments count as units, missing data, output formats, exit codes.

Rule proposals (informant turns): a1 t2 {convener, funder, housing}, a1 t4 {health, housing},
a1 t5 {health}, a2 t2 {housing}, a2 t4 {health, convener}, r1 t2 {funder}, n1 t2 {...}.
alice reviews a1 t2, t4, t5 and a2 t2, t4; bob reviews a1 t2, t4, a2 t2, t4 and r1 t2; so the units
both reviewed are a1 t2, a1 t4, a2 t2, a2 t4 (a1 t5 and r1 t2 are missing for one coder, not absent):

    unit    housing  health  convener  funder      (alice/bob, 1 = applied)
    a1 t2   1/0      0/0     1/1       0/1
    a1 t4   0/1      1/1     0/0       0/0
    a2 t2   1/1      0/0     0/0       0/0
    a2 t4   0/0      1/0     0/0       0/0

housing: 50 %, kappa 0, alpha = 1 - (4/8)/(32/56) = 0.125; health: 75 %, kappa 0.5, alpha 8/15;
convener: 100 %, kappa 1, alpha 1; funder: 75 %, kappa 0, alpha 0; unused: nobody used it, so alpha
is undefined. Pooled over the 20 (unit, code) pairs: 80 %, kappa 0.467, alpha 0.48.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

import qualcode
from conftest import write
from qualcode.agreement import (
    MISSING_MARKERS,
    krippendorff_alpha,
    percent_agreement,
    read_reliability_csv,
)
from qualcode.cli import app
from qualcode.intercoder import (
    agreement_rows,
    coder_decisions,
    disagreements,
    merge_coders,
    project_agreement,
    reviewed_segments,
)
from qualcode.project import load_project
from qualcode.store import Coding, CodingsFile, SegmentNote, read_codings
from test_agreement import K2011_ALPHA, K2011_UNITS, k2011_csv

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
"""

CODEBOOK = """\
codebook:
  id: t
  title: Agreement codebook
  version: "1"
codes:
  - id: topics
    name: Topics
    codable: false
    children:
      - id: housing
        name: Housing
        definition: Housing talk.
        rules:
          - keywords: [housing]
      - id: health
        name: Health
        definition: Health talk.
        rules:
          - keywords: [hospital]
      - id: unused
        name: Unused
        definition: Unused talk.
        rules:
          - keywords: [zeppelin]
  - id: roles
    name: Roles
    codable: false
    children:
      - id: convener
        name: Convener
        definition: Convener talk.
        rules:
          - keywords: [convened]
      - id: funder
        name: Funder
        definition: Funder talk.
        rules:
          - keywords: [funded]
"""

TRANSCRIPTS = {
    "a1": """\
---
partnership_type: CLT
speakers: [Ann Lee, Bo Chan]
---
Interviewer: Tell me about the work.

Ann Lee: We convened the partners and funded the housing plan.

Interviewer: And the hospital?

Ann Lee: The hospital helped with housing.

Bo Chan: The hospital was slow.
""",
    "a2": """\
Interviewer: Hello.

Cy Diaz: Housing is our mission.

Interviewer: Partners?

Cy Diaz: The hospital convened everyone.
""",
    "r1": """\
Interviewer: What did you do?

Dee Ek: We funded repairs.

Interviewer: Anything else?

Dee Ek: Nothing else.
""",
    "n1": """\
Interviewer: Why?

Eve Fox: The hospital funded housing.

Interviewer: Thanks.

Eve Fox: Bye.
""",
}
METADATA = "id,partnership_type\na2,CLT\nr1,ROC\n"

DECISIONS = {
    "alice": """\
transcript,segment,code,action
a1,t2,convener,accept
a1,t2,funder,reject
a1,t2,housing,accept
a1,t4,health,accept
a1,t4,housing,reject
a1,t5,health,accept
a2,t2,housing,accept
a2,t4,health,accept
a2,t4,convener,reject
""",
    "bob": """\
transcript,segment,code,action
a1,t2,convener,accept
a1,t2,funder,accept
a1,t2,housing,reject
a1,t4,health,accept
a1,t4,housing,accept
a2,t2,housing,accept
a2,t4,health,reject
a2,t4,convener,reject
r1,t2,funder,accept
""",
    "carol": """\
transcript,segment,code,action
a1,t2,convener,accept
a1,t2,funder,accept
a1,t2,housing,accept
a2,t4,health,accept
""",
}

COLUMNS = ["code", "name", "n_units", "percent", "kappa", "alpha", "note"]
UNDEFINED = "alpha undefined: no variation (e.g. nobody used the code)"


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args))


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("agree") / "study"
    write(folder / "qualcode.yaml", CONFIG)
    write(folder / "codebooks" / "t.yaml", CODEBOOK)
    for name, text in TRANSCRIPTS.items():
        write(folder / "transcripts" / f"{name}.txt", text)
    write(folder / "transcripts" / "metadata.csv", METADATA)
    for coder, decisions in DECISIONS.items():
        coded = invoke("code", "--project", str(folder), "--coder", coder, "--quiet")
        assert coded.exit_code == 0, coded.output
        path = write(folder / f"{coder}.csv", decisions)
        decided = invoke("decide", "--project", str(folder), "--coder", coder, str(path))
        assert decided.exit_code == 0, decided.output
    return folder


def agree(root: Path, *args: str) -> Any:
    return invoke("agree", "--project", str(root), *args)


def no_nan(text: str) -> None:
    assert not re.search(r"\bnan\b", text, re.IGNORECASE), text


# -- units and missing data ------------------------------------------------------------------------


def test_only_reviewed_segments_are_units(root: Path) -> None:
    project = load_project(root)
    alice = coder_decisions(project, "alice")["alice"]
    assert sorted(alice) == ["a1#t2", "a1#t4", "a1#t5", "a2#t2", "a2#t4"]
    assert alice["a1#t2"] == {"convener": True, "housing": True}  # funder was rejected
    assert alice["a1#t5"] == {"health": True}
    bob = coder_decisions(project, "bob")["bob"]
    assert sorted(bob) == ["a1#t2", "a1#t4", "a2#t2", "a2#t4", "r1#t2"]
    results, codes = project_agreement(project, ["alice", "bob"])
    assert codes == ["housing", "health", "unused", "convener", "funder"]
    # a1 t5 (alice only) and r1 t2 (bob only) are missing data: 4 units, not 6
    assert [r.n_units for r in results] == [4, 4, 4, 4, 4, 20]


def test_a_segment_with_a_proposal_left_open_is_not_reviewed() -> None:
    """Found by a helper: accepting one proposal and quitting counted the other, never looked at,
    as applied by both coders (and merge recorded it as agreed)."""
    both = [Coding("a", "t1", 0, 5, status="accepted"), Coding("b", "t1", 0, 5)]
    assert reviewed_segments(CodingsFile("x", "alice", "", both)) == set()
    marked = CodingsFile("x", "alice", "", both, [SegmentNote("t1", 0, 5, reviewed=True)])
    assert reviewed_segments(marked) == {"t1"}  # moved past: the open one counts as applied
    decided = [
        Coding("a", "t1", 0, 5, status="accepted"),
        Coding("b", "t1", 0, 5, status="rejected"),
    ]
    decided += [Coding("c", "t2", 0, 5, origin="human", status="accepted"), Coding("d", "t3", 0, 5)]
    assert reviewed_segments(CodingsFile("x", "alice", "", decided)) == {"t1", "t2"}


def test_agreement_values_per_code_and_overall(root: Path) -> None:
    project = load_project(root)
    results, _ = project_agreement(project, ["alice", "bob"])
    rows = agreement_rows(results, project)
    assert [[r[c] for c in COLUMNS] for r in rows] == [
        ["housing", "Housing", 4, 50.0, 0.0, 0.125, ""],
        ["health", "Health", 4, 75.0, 0.5, 0.533, ""],
        ["unused", "Unused", 4, 100.0, None, None, UNDEFINED],
        ["convener", "Convener", 4, 100.0, 1.0, 1.0, ""],
        ["funder", "Funder", 4, 75.0, 0.0, 0.0, ""],
        ["(overall)", "all codes pooled", 20, 80.0, 0.467, 0.48, ""],
    ]
    assert results[1].alpha == pytest.approx(8 / 15)
    frame = qualcode.agree(str(root), "alice,bob")  # the notebook's table: the same rows
    assert frame.index.name == "code"
    assert list(frame.index) == [r["code"] for r in rows]
    assert frame.loc["health"].to_dict() == {k: v for k, v in rows[1].items() if k != "code"}
    assert frame.loc["unused", ["kappa", "alpha"]].isna().all()  # undefined: NaN in pandas


def test_three_coders_match_the_reference_implementation(root: Path) -> None:
    result = agree(root, "--coders", "alice,bob,carol", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {r["code"]: r for r in json.loads(result.stdout)}
    assert list(rows["housing"]) == ["code", "name", "n_units", "percent", "alpha", "note"]
    nan = np.nan
    # units a1t2, a1t4, a1t5, a2t2, a2t4, r1t2; carol reviewed a1t2 and a2t4 only
    housing = [[1, 0, 0, 1, 0, nan], [0, 1, nan, 1, 0, 0], [1, nan, nan, nan, 0, nan]]
    health = [[0, 1, 1, 0, 1, nan], [0, 1, nan, 0, 0, 0], [0, nan, nan, nan, 1, nan]]
    for code, data in (("housing", housing), ("health", health)):
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert rows[code]["alpha"] == round(expected, 3), code
        assert rows[code]["n_units"] == 4


# -- formats ---------------------------------------------------------------------------------------


def test_agree_formats(root: Path) -> None:
    table = agree(root, "--coders", "alice,bob")
    assert table.exit_code == 0, table.output
    assert "alpha undefined" in table.stdout
    assert "0.125" in table.stdout and "0.533" in table.stdout
    assert "Agreement between alice, bob" in table.stdout
    as_csv = agree(root, "--coders", "alice,bob", "--format", "csv")
    rows = list(csv.reader(io.StringIO(as_csv.stdout)))
    assert rows[0] == COLUMNS
    assert rows[1] == ["housing", "Housing", "4", "50", "0", "0.125", ""]
    assert rows[3] == ["unused", "Unused", "4", "100", "", "", UNDEFINED]
    assert rows[6] == ["(overall)", "all codes pooled", "20", "80", "0.467", "0.48", ""]
    md = agree(root, "--coders", "alice,bob", "--format", "md")
    lines = md.stdout.splitlines()
    assert lines[0] == "| code | name | n_units | percent | kappa | alpha | note |"
    assert "| health | Health | 4 | 75 | 0.5 | 0.533 |  |" in lines
    assert "Krippendorff's alpha" in md.stdout
    for result in (table, as_csv, md):
        no_nan(result.stdout)


def test_agree_json_equals_the_api(root: Path) -> None:
    project = load_project(root)
    for args, kwargs in (
        (["--coders", "alice,bob"], {}),
        (["--coders", "alice,bob", "--codes", "unused,health"], {"codes": ["unused", "health"]}),
    ):
        result = agree(root, *args, "--format", "json")
        assert result.exit_code == 0, result.output
        no_nan(result.stdout)
        expected = agreement_rows(
            project_agreement(project, ["alice", "bob"], **kwargs)[0], project
        )
        assert json.loads(result.stdout) == expected
    three = agree(root, "--coders", "alice,bob,carol", "-f", "json")
    expected = agreement_rows(project_agreement(project, ["alice", "bob", "carol"])[0], project)
    assert json.loads(three.stdout) == [
        {k: v for k, v in row.items() if k != "kappa"} for row in expected
    ]


def test_a_code_nobody_used_says_alpha_is_undefined(root: Path) -> None:
    for output_format in ("table", "csv", "json", "md"):
        result = agree(root, "--coders", "alice,bob", "--codes", "unused", "-f", output_format)
        assert result.exit_code == 0, result.output
        assert "alpha undefined" in result.stdout
        no_nan(result.stdout)
    # a gate with nothing to measure fails: a CI check must not pass on no data
    gated = agree(root, "--coders", "alice,bob", "--codes", "unused", "--min-alpha", "0.8")
    assert gated.exit_code == 1
    assert "failed: no alpha could be computed, so --min-alpha has nothing to check" in (
        gated.stderr
    )
    some = agree(root, "--coders", "alice,bob", "--codes", "unused,convener", "--min-alpha", "0")
    assert some.exit_code == 0, some.output
    assert "note: 1 code(s) with undefined alpha are not gated" in some.stderr
    for bad in ("nan", "5", "-2"):
        refused = agree(root, "--coders", "alice,bob", "--min-alpha", bad)
        assert refused.exit_code == 2, bad
        assert "--min-alpha must be a number from -1 to 1" in refused.stderr


# -- --min-alpha -----------------------------------------------------------------------------------


def test_min_alpha_exit_codes(root: Path) -> None:
    below = agree(root, "--coders", "alice,bob", "--min-alpha", "0.1", "--format", "csv")
    assert below.exit_code == 1
    assert "failed: 1 code(s) below alpha 0.1: funder" in below.stderr
    assert below.stdout.startswith("code,name")  # the table is still printed
    two_below = agree(root, "--coders", "alice,bob", "--min-alpha", "0.2")
    assert two_below.exit_code == 1
    assert "failed: 2 code(s) below alpha 0.2: housing, funder" in two_below.stderr
    above = agree(root, "--coders", "alice,bob", "--codes", "convener,health", "--min-alpha", "0.5")
    assert above.exit_code == 0, above.output
    assert "failed" not in above.stderr
    boundary = agree(root, "--coders", "alice,bob", "--min-alpha", "0")
    assert boundary.exit_code == 0  # funder's alpha is exactly 0: not below 0


def test_min_alpha_compares_the_exact_alpha_not_the_rounded_one(root: Path) -> None:
    # health's alpha is 8/15 = 0.53333..., shown as 0.533
    passes = agree(root, "--coders", "alice,bob", "--codes", "health", "--min-alpha", "0.5331")
    assert passes.exit_code == 0, passes.stderr
    fails = agree(root, "--coders", "alice,bob", "--codes", "health", "--min-alpha", "0.5334")
    assert fails.exit_code == 1
    assert "below alpha 0.5334: health" in fails.stderr


# -- --disagreements -------------------------------------------------------------------------------

DISAGREEMENTS = [
    ["a1", "t2", "7-7", "housing", "alice", "bob", "Ann Lee",
     "We convened the partners and funded the housing plan."],
    ["a1", "t2", "7-7", "funder", "bob", "alice", "Ann Lee",
     "We convened the partners and funded the housing plan."],
    ["a1", "t4", "11-11", "housing", "bob", "alice", "Ann Lee", "The hospital helped with housing."],
    ["a2", "t4", "7-7", "health", "alice", "bob", "Cy Diaz", "The hospital convened everyone."],
]  # fmt: skip


def test_disagreements_list_segment_code_who_and_text(root: Path) -> None:
    result = agree(root, "--coders", "alice,bob", "--disagreements", "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [
        "transcript", "segment", "lines", "code", "applied_by", "not_applied_by", "speaker", "text",
    ]  # fmt: skip
    assert rows[1:] == DISAGREEMENTS
    assert result.stderr == "4 disagreement(s) between alice, bob\n"
    table = agree(root, "--coders", "alice,bob", "--disagreements")
    assert table.exit_code == 0
    assert "Disagreements (4)" in table.stdout
    only = agree(root, "--coders", "alice,bob", "--disagreements", "--codes", "health", "-f", "csv")
    assert list(csv.reader(io.StringIO(only.stdout)))[1:] == DISAGREEMENTS[3:]


def test_disagreements_json_equals_the_api(root: Path) -> None:
    result = agree(root, "--coders", "alice,bob", "--disagreements", "--format", "json")
    assert result.exit_code == 0, result.output
    found = disagreements(load_project(root), ["alice", "bob"])
    assert json.loads(result.stdout) == [
        {
            "transcript": d.transcript,
            "segment": d.segment,
            "lines": d.lines,
            "code": d.code,
            "applied_by": ", ".join(d.applied_by),
            "not_applied_by": ", ".join(d.not_applied_by),
            "speaker": d.speaker,
            "text": d.text,
        }
        for d in found
    ]
    assert [[d.transcript, d.segment, d.code] for d in found] == [
        r[:2] + r[3:4] for r in DISAGREEMENTS
    ]


def test_without_coders_the_reviewing_coders_are_compared(root: Path, tmp_path: Path) -> None:
    chosen = agree(root, "-f", "json")
    assert chosen.exit_code == 0, chosen.output
    assert "comparing alice, bob, carol: the coders who reviewed segments" in chosen.stderr
    assert chosen.stdout == agree(root, "--coders", "alice,bob,carol", "-f", "json").stdout
    # a rule-only coder and a consensus are not picked; one reviewer is too few
    copy = tmp_path / "study"
    shutil.copytree(root, copy)
    for coder in ("bob", "carol"):
        shutil.rmtree(copy / "codings" / coder)
    assert invoke("code", "--project", str(copy), "--coder", "auto", "--quiet").exit_code == 0
    alone = agree(copy)
    assert alone.exit_code == 2
    assert "agreement needs at least two coders" in alone.stderr
    assert "coders here: alice, auto" in alone.stderr


# -- bad input -------------------------------------------------------------------------------------


def test_unknown_coder_one_coder_and_unknown_code(root: Path) -> None:
    unknown = agree(root, "--coders", "alice,bobb")
    assert unknown.exit_code == 2
    assert "no codings for coder 'bobb' (did you mean 'bob'?)" in unknown.stderr
    assert "coders with codings: alice, bob, carol" in unknown.stderr
    one = agree(root, "--coders", "alice")
    assert one.exit_code == 2
    assert "agreement needs at least two coders" in one.stderr
    assert "coders here: alice, bob, carol" in one.stderr
    twice = agree(root, "--coders", "alice,alice")
    assert twice.exit_code == 2
    code = agree(root, "--coders", "alice,bob", "--codes", "housng")
    assert code.exit_code == 2
    assert "unknown code 'housng' (did you mean 'housing'?)" in code.stderr
    listed = agree(root, "--coders", "alice,bobb", "--disagreements")
    assert listed.exit_code == 2
    listed_code = agree(root, "--coders", "alice,bob", "--disagreements", "--codes", "helth")
    assert listed_code.exit_code == 2
    assert "unknown code 'helth' (did you mean 'health'?)" in listed_code.stderr
    for result in (unknown, one, twice, code, listed, listed_code):
        assert "Traceback" not in result.output
        assert result.stdout == ""


# -- --reliability-data ----------------------------------------------------------------------------


def reliability(tmp_path: Path, text: str, *args: str) -> tuple[Path, Any]:
    path = tmp_path / "table.csv"
    path.write_text(text, encoding="utf-8")
    return path, invoke("agree", "--reliability-data", str(path), *args)


def test_reliability_data_nominal_and_interval(tmp_path: Path) -> None:
    text = "unit,a,b\nu1,1,2\nu2,3,3\nu3,5,4\n"
    # interval: D_o = 4/6, D_e = 2*6*10/30 = 4, alpha = 1 - (2/3)/4 = 0.833
    path, interval = reliability(tmp_path, text, "--level", "interval", "--format", "json")
    assert interval.exit_code == 0, interval.output
    assert json.loads(interval.stdout) == [
        {"file": str(path), "level": "interval", "units": 3, "pairable_units": 3, "coders": 2,
         "alpha": 0.833, "percent": None, "note": ""},
    ]  # fmt: skip
    # nominal: D_o = 4/6, D_e = 28/30, alpha = 1 - 120/168 = 0.286; 1 of 3 units agree
    _, nominal = reliability(tmp_path, text, "--format", "csv")
    assert nominal.exit_code == 0, nominal.output
    rows = list(csv.DictReader(io.StringIO(nominal.stdout)))
    assert (rows[0]["alpha"], rows[0]["percent"], rows[0]["level"]) == ("0.286", "33.3", "nominal")


def test_reliability_json_equals_the_api_and_missing_cells(tmp_path: Path) -> None:
    text = "unit,a,b,c\nu1,1,1,\nu2,2,2,2\nu3,1,2,\nu4,,1,\n"
    path, result = reliability(tmp_path, text, "--format", "json")
    assert result.exit_code == 0, result.output
    raw, matrix = read_reliability_csv(path, "nominal")
    alpha = krippendorff_alpha(matrix, "nominal")
    assert json.loads(result.stdout) == [
        {
            "file": str(path),
            "level": "nominal",
            "units": len(raw.unit_ids),
            "pairable_units": 3,
            "coders": 3,
            "alpha": round(alpha, 3),
            "percent": round(100 * percent_agreement(matrix), 1),
            "note": "",
        }
    ]
    assert json.loads(result.stdout)[0]["units"] == 4


def test_reliability_min_alpha(tmp_path: Path) -> None:
    text = "unit,a,b\nu1,1,2\nu2,3,3\nu3,5,4\n"
    _, fails = reliability(tmp_path, text, "--level", "interval", "--min-alpha", "0.9")
    assert fails.exit_code == 1
    assert "failed: 1 code(s) below alpha 0.9" in fails.stderr
    _, passes = reliability(tmp_path, text, "--level", "interval", "--min-alpha", "0.8")
    assert passes.exit_code == 0, passes.output


def test_a_table_with_coders_as_rows_gets_a_warning(tmp_path: Path) -> None:
    _, result = reliability(tmp_path, "coder,u1,u2,u3\nA,1,2,1\nB,1,2,2\n")
    assert result.exit_code == 0
    assert "more coders (3) than units (2); is it transposed?" in result.stderr
    _, fine = reliability(tmp_path, "unit,a,b\nu1,1,2\nu2,3,3\nu3,5,4\n")
    assert "transposed" not in fine.stderr


def test_reliability_data_errors_name_file_and_line(tmp_path: Path) -> None:
    path, ragged = reliability(tmp_path, "unit,a,b\nu1,1,1\nu2,1\nu3,2,2\n")
    assert ragged.exit_code == 2
    assert ragged.stderr.startswith(f"{path}:3: error: row has 2 cells but the header has 3\n")
    assert ragged.stdout == ""
    path, word = reliability(tmp_path, "unit,a,b\nu1,1,1\nu2,2,high\n", "--level", "interval")
    assert word.exit_code == 2
    assert word.stderr.startswith(f"{path}:3:3: error: 'high' (coder 'b') is not a number\n")
    path, negative = reliability(tmp_path, "unit,a,b\nu1,1,-2\n", "--level", "ratio")
    assert negative.exit_code == 2
    assert negative.stderr.startswith(f"{path}:2:3: error: '-2' (coder 'b') is negative\n")
    _, ordinal_words = reliability(tmp_path, "unit,a,b\nu1,low,low\nu2,high,low\n", "--level",
                                   "ordinal")  # fmt: skip
    assert ordinal_words.exit_code == 0, ordinal_words.output
    _, constant = reliability(tmp_path, "unit,a,b\nu1,1,1\nu2,1,1\n", "--format", "json")
    assert constant.exit_code == 0
    row = json.loads(constant.stdout)[0]
    assert row["alpha"] is None
    assert row["note"] == "alpha undefined: no variation or no pairable values"
    no_nan(constant.stdout)
    for result in (ragged, word, negative):
        assert "Traceback" not in result.output


@pytest.mark.parametrize("marker", ["", ".", "NA", "*", "-", "?", "N/A", "NaN", "null", "None"])
def test_reliability_k2011_with_missing_markers(tmp_path: Path, marker: str) -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 coders x 12
    # units, nominal alpha 0.743 (the data is K2011_UNITS in test_agreement.py). The paper writes
    # a missing value as "."; QA found that "." (and NA, *, ...) were read as categories: 0.577.
    path, result = reliability(tmp_path, k2011_csv(marker), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [
        {"file": str(path), "level": "nominal", "units": 12, "pairable_units": 11, "coders": 4,
         "alpha": 0.743, "percent": round(100 * percent_agreement(K2011_UNITS), 1), "note": ""},
    ]  # fmt: skip


@pytest.mark.parametrize("level", ["interval", "ratio", "ordinal"])
def test_reliability_k2011_dot_markers_other_levels(tmp_path: Path, level: str) -> None:
    _, result = reliability(tmp_path, k2011_csv("."), "--level", level, "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["alpha"] == K2011_ALPHA[level]


def test_reliability_header_only_is_an_error(tmp_path: Path) -> None:
    path, result = reliability(tmp_path, "unit,a,b\n", "--format", "json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}: error: no units: the file has a header row but no ")
    assert "one row per unit" in result.stderr  # the hint
    assert "Traceback" not in result.output
    _, interval = reliability(tmp_path, "unit;a;b\n\n", "--level", "interval", "--min-alpha", "0.8")
    assert interval.exit_code == 2
    assert "no units" in interval.stderr
    assert "Traceback" not in interval.output


def test_reliability_help_lists_the_missing_markers() -> None:
    command = typer.main.get_command(app).commands["agree"]  # type: ignore[attr-defined]
    help_text = next(p.help for p in command.params if p.name == "reliability_data")
    listed = help_text.split("one of ", 1)[1].split(" (", 1)[0].split()
    assert {m.casefold() for m in listed} | {""} == MISSING_MARKERS
    assert "empty cell" in help_text


# -- merge -----------------------------------------------------------------------------------------


@pytest.fixture
def copy(root: Path, tmp_path: Path) -> Path:
    return shutil.copytree(root, tmp_path / "study")


def consensus(root: Path, transcript: str) -> dict[tuple[str, str], tuple[str, str, str]]:
    codings = read_codings(load_project(root), "consensus", transcript)
    assert codings is not None
    return {(c.segment, c.code): (c.status, c.origin, c.memo) for c in codings.codings}


def test_merge_takes_agreements_and_lists_disagreements(copy: Path) -> None:
    result = invoke("merge", "--project", str(copy), "--coders", "alice,bob", "--into", "consensus")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "merged 2 transcript(s) into coder 'consensus': 3 agreed coding(s) accepted, "
        "4 disagreement(s), 4 still to resolve; 2 segment(s) not reviewed by every coder were "
        "skipped"
    )
    assert "qualcode decide --coder consensus" in result.stderr
    listed = result.stdout.splitlines()
    assert len(listed) == 4
    assert any(
        line.startswith("a1 t2 ") and line.endswith("funder: applied by bob; not by alice")
        for line in listed
    )
    assert consensus(copy, "a1") == {
        ("t2", "convener"): ("accepted", "human", "agreed: alice, bob"),
        ("t2", "funder"): ("proposed", "human", "disagreement: applied by bob; not by alice"),
        ("t2", "housing"): ("proposed", "human", "disagreement: applied by alice; not by bob"),
        ("t4", "health"): ("accepted", "human", "agreed: alice, bob"),
        ("t4", "housing"): ("proposed", "human", "disagreement: applied by bob; not by alice"),
    }
    assert consensus(copy, "a2") == {
        ("t2", "housing"): ("accepted", "human", "agreed: alice, bob"),
        ("t4", "health"): ("proposed", "human", "disagreement: applied by alice; not by bob"),
    }
    assert not (copy / "codings" / "consensus" / "r1.jsonl").exists()  # nothing both reviewed
    # then the consensus coder can be tallied: the agreements count; open disagreements are not
    # rule proposals, so they count only with --status all
    agreed = {
        "topics": 2, "housing": 1, "health": 1, "unused": 0, "roles": 1, "convener": 1,
        "funder": 0, "(any code)": 3,
    }  # fmt: skip
    everything = {
        "topics": 4, "housing": 3, "health": 2, "unused": 0, "roles": 1, "convener": 1,
        "funder": 1, "(any code)": 4,
    }  # fmt: skip
    for status, expected in (("reviewed", agreed), ("default", agreed), ("all", everything)):
        tally = invoke("tally", "--project", str(copy), "--coder", "consensus", "--status",
                       status, "--count", "segments", "--format", "json")  # fmt: skip
        assert tally.exit_code == 0, tally.output
        totals = {r["code"]: r["Total"] for r in json.loads(tally.stdout)["rows"]}
        assert totals == expected, status


def test_resolved_disagreements_survive_a_second_merge(copy: Path) -> None:
    project = load_project(copy)
    first = merge_coders(project, ["alice", "bob"], "consensus")
    assert (first.transcripts, first.agreed, first.disagreed, first.still_open) == (2, 3, 4, 4)
    assert first.skipped_segments == 2
    # the consensus resolves two disagreements, rejects an agreement, adds a code of its own and
    # writes memos, one after merge's: a second merge undoes none of it (found by a helper:
    # the added code vanished, the rejection and the memos were reset)
    path = write(copy / "resolve.csv", "transcript,segment,code,action,memo\n"
                 "a1,t2,funder,accept,\na1,t2,housing,reject,\n"
                 "a1,t2,convener,reject,not a convener here\n"
                 "a1,t2,unused,add,the consensus sees it\n"
                 "a1,t4,health,memo,\"agreed: alice, bob; quote this in the paper\"\n"
                 "a2,t2,housing,memo,our own memo\n")  # fmt: skip
    decided = invoke("decide", "--project", str(copy), "--coder", "consensus", str(path))
    assert decided.exit_code == 0, decided.output
    before = consensus(copy, "a1"), consensus(copy, "a2")
    again = invoke("merge", "--project", str(copy), "--coders", "alice,bob", "--into", "consensus")
    assert again.exit_code == 0, again.output
    assert (consensus(copy, "a1"), consensus(copy, "a2")) == before
    merged = consensus(copy, "a1")
    assert merged["t2", "funder"][0] == "accepted"
    assert merged["t2", "housing"][0] == "rejected"
    assert merged["t2", "unused"] == ("accepted", "human", "the consensus sees it")
    # only the one disagreement left open is listed and counted as still to resolve
    assert "4 disagreement(s), 2 still to resolve" in again.stderr
    assert len(again.stdout.splitlines()) == 2
    quiet = invoke("merge", "-p", str(copy), "--coders", "alice,bob", "--into", "consensus", "-q")
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")
    tally = invoke("tally", "-p", str(copy), "-c", "consensus", "--status", "reviewed",
                   "--count", "segments", "--codes", "funder,housing", "-f", "csv")  # fmt: skip
    assert tally.exit_code == 0, tally.output
    assert list(csv.reader(io.StringIO(tally.stdout)))[1:] == [
        ["funder", "Funder", "1"],
        ["housing", "Housing", "1"],
        ["(any code)", "(any code)", "2"],
    ]


def test_a_removed_merge_record_stays_out_and_revised_coder_memos_come_in(copy: Path) -> None:
    """Found by a helper: a code the consensus removed came back with the next merge, and a
    coder's revised segment memo never reached the consensus."""
    assert merge_coders(load_project(copy), ["alice", "bob"], "consensus").agreed == 3
    removal = write(copy / "rm.csv", "transcript,segment,code,action\na1,t2,convener,remove\n")
    assert invoke("decide", "-p", str(copy), "--coder", "consensus", str(removal)).exit_code == 0
    memo = write(copy / "memo.csv", "transcript,segment,code,action,memo\na1,t2,,memo,first\n")
    assert invoke("decide", "-p", str(copy), "--coder", "alice", str(memo)).exit_code == 0
    merge_coders(load_project(copy), ["alice", "bob"], "consensus")
    revised = write(copy / "m2.csv", "transcript,segment,code,action,memo\na1,t2,,memo,second\n")
    assert invoke("decide", "-p", str(copy), "--coder", "alice", str(revised)).exit_code == 0
    merge_coders(load_project(copy), ["alice", "bob"], "consensus")
    assert consensus(copy, "a1")["t2", "convener"][0] == "rejected"  # not accepted again
    codings = read_codings(load_project(copy), "consensus", "a1")
    assert codings is not None
    assert [n.memo for n in codings.notes if n.segment == "t2"] == ["alice: second"]


def test_a_re_merge_keeps_a_stale_or_narrowed_consensus_record(copy: Path) -> None:
    """Found by a reviewer: a re-merge replaced a consensus decision that had gone stale (its
    turn edited) and widened a span the consensus had narrowed back to the whole segment."""
    from dataclasses import replace

    from qualcode.store import write_codings

    project = load_project(copy)
    merge_coders(project, ["alice", "bob"], "consensus")
    cf = read_codings(project, "consensus", "a1")
    assert cf is not None
    changed = []
    for c in cf.codings:
        if (c.segment, c.code) == ("t2", "convener"):  # agreed: narrowed by the consensus
            c = replace(c, start=c.start + 1, end=c.start + 6, quote="x" * 5, memo=c.memo)
        elif (c.segment, c.code) == ("t2", "funder"):  # open: decided, then its text edited
            c = replace(c, status="rejected", memo="not a funder", stale=True)
        changed.append(c)
    write_codings(project, replace(cf, codings=changed))
    merge_coders(load_project(copy), ["alice", "bob"], "consensus")
    after = read_codings(load_project(copy), "consensus", "a1")
    assert after is not None
    records = [(c.segment, c.code, c.status, c.memo, c.stale, c.quote) for c in after.codings]
    assert ("t2", "funder", "rejected", "not a funder", True, "") in records  # never dropped
    assert [r for r in records if r[1] == "convener"] == [
        ("t2", "convener", "accepted", "agreed: alice, bob", False, "xxxxx")
    ]


def test_code_only_re_anchors_a_consensus(copy: Path) -> None:
    """Found by a helper: `check` says to run `code --coder consensus` after an edit, which added
    the rules' proposals (codes the coders had rejected) as open records of the consensus, and
    files without merge's header for transcripts merge had skipped."""
    merged = invoke("merge", "-p", str(copy), "--coders", "alice,bob", "--into", "consensus")
    assert merged.exit_code == 0, merged.output
    before = consensus(copy, "a1")
    path = copy / "transcripts" / "a1.txt"
    path.write_text("Q: Is it on?\n\nA: Yes.\n\n" + path.read_text(encoding="utf-8"), "utf-8")
    coded = invoke("code", "-p", str(copy), "--coder", "consensus")
    assert coded.exit_code == 0, coded.output
    assert "0 new proposals" in coded.stderr
    assert "'consensus' was built by `qualcode merge`: its codings were only re-anchored" in (
        coded.stderr
    )
    after = consensus(copy, "a1")
    assert sorted(after.values()) == sorted(before.values())  # moved with their text, no more
    assert sorted(p.name for p in (copy / "codings" / "consensus").glob("*.jsonl")) == [
        "a1.jsonl",
        "a2.jsonl",
    ]
    assert "consensus" not in agree(copy).stderr  # still a consensus, not a coder to compare


def test_merge_and_code_wait_for_an_open_session(copy: Path) -> None:
    """Found by a helper: a session of the consensus held its file in memory and wrote it over
    the merge (and over `qualcode code`) at the next key, silently."""
    import os
    import subprocess
    import sys

    first = invoke("merge", "-p", str(copy), "--coders", "alice,bob", "--into", "consensus")
    assert first.exit_code == 0, first.output
    path = copy / "codings" / "consensus" / "a1.jsonl"
    before = path.read_bytes()
    session = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock = copy / "codings" / "consensus" / ".a1.lock"
        lock.write_text(json.dumps({"pid": session.pid, "host": os.uname().nodename}))
        merged = invoke("merge", "-p", str(copy), "--coders", "alice,bob", "--into", "consensus")
        assert merged.exit_code == 2
        assert "coder 'consensus' has a session open on 'a1'" in merged.stderr
        coded = invoke("code", "-p", str(copy), "--coder", "consensus", "a1")
        assert coded.exit_code == 2
        assert "coder 'consensus' has a session open on 'a1'" in coded.stderr
        assert path.read_bytes() == before
        assert lock.exists()  # the session's, not theirs to remove
    finally:
        session.kill()
        session.wait()
    assert not list((copy / "codings" / "consensus").glob(".a2.lock"))


def test_merge_bad_input(copy: Path) -> None:
    into_coder = invoke("merge", "-p", str(copy), "--coders", "alice,bob", "--into", "alice")
    assert into_coder.exit_code == 2
    assert "--into 'alice' is one of the merged coders" in into_coder.stderr
    unknown = invoke("merge", "-p", str(copy), "--coders", "alice,bobb")
    assert unknown.exit_code == 2
    assert "did you mean 'bob'" in unknown.stderr
    one = invoke("merge", "-p", str(copy), "--coders", "alice")
    assert one.exit_code == 2
    assert "merging needs at least two coders" in one.stderr
    assert not (copy / "codings" / "consensus").exists()


def test_an_edited_transcript_recoded_for_one_coder_keeps_the_agreement(
    root: Path, tmp_path: Path
) -> None:
    study = tmp_path / "study"
    shutil.copytree(root, study)
    before = agree(study, "--coders", "alice,bob", "--format", "json")
    path = study / "transcripts" / "a2.txt"
    # a new exchange at the top: every turn of a2 moves down two, and only alice re-runs code
    path.write_text("Interviewer: Can you hear me?\n\nCy Diaz: Yes.\n\n" + path.read_text())
    assert invoke("code", "--project", str(study), "--coder", "alice", "a2", "-q").exit_code == 0
    after = agree(study, "--coders", "alice,bob", "--format", "json")
    assert after.exit_code == 0, after.output
    assert after.stdout == before.stdout
    assert "1 transcript(s) changed since 'bob' coded them: a2" in after.stderr
    assert "qualcode code --coder bob" in after.stderr
    assert "alice" not in after.stderr


def test_a_group_code_is_not_an_agreement_row(root: Path) -> None:
    result = agree(root, "--coders", "alice,bob", "--codes", "roles")
    assert result.exit_code == 2
    assert "'roles' is a group (codable: false)" in result.stderr
    assert "hint: its codes: convener, funder" in result.stderr


def test_merge_keeps_the_coders_memos_and_is_no_coder_of_the_report(copy: Path) -> None:
    """A merge dropped every memo; the report then counted the consensus as a third coder."""
    from qualcode.report import agreement_section

    memos = write(copy / "memos.csv", "transcript,segment,code,action,memo\n"
                  "a1,t2,convener,memo,names the mayor\na1,t2,,memo,a quote for the paper\n")  # fmt: skip
    decided = invoke("decide", "-p", str(copy), "-c", "alice", str(memos))
    assert decided.exit_code == 0, decided.output
    merged = invoke("merge", "-p", str(copy), "--coders", "alice,bob", "--into", "consensus")
    assert merged.exit_code == 0, merged.output
    assert consensus(copy, "a1")["t2", "convener"] == (
        "accepted", "human", "agreed: alice, bob; alice: names the mayor",
    )  # fmt: skip
    codings = read_codings(load_project(copy), "consensus", "a1")
    assert codings is not None and codings.merged_from == ("alice", "bob")
    assert [n.memo for n in codings.notes if n.segment == "t2"] == ["alice: a quote for the paper"]
    # `qualcode code` for the consensus keeps the mark
    assert invoke("code", "-q", "-p", str(copy), "-c", "consensus").exit_code == 0
    again = read_codings(load_project(copy), "consensus", "a1")
    assert again is not None and again.merged_from == ("alice", "bob")
    section = agreement_section(load_project(copy))
    assert section is not None and section.coders == ["alice", "bob", "carol"]  # no consensus
