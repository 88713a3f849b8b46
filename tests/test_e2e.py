"""End to end: the installed `qualcode` run as a subprocess on a copy of the bundled study.

Both entry points are exercised: `python -m qualcode` and the console script installed next to the
interpreter. Nothing here imports qualcode's internals except to read the codebook's ids.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / ("qualcode.exe" if os.name == "nt" else "qualcode")
GROUPS = ("CLT", "ROC", "Worker co-op")


def study_copy(target: Path) -> Path:
    """qualcode.yaml, codebooks/ and transcripts/ of the bundled study (never its codings)."""
    target.mkdir(parents=True)
    shutil.copy2(REPO / "qualcode.yaml", target / "qualcode.yaml")
    for folder in ("codebooks", "transcripts"):
        shutil.copytree(REPO / folder, target / folder)
    return target


def env() -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QUALCODE_DEBUG", "QUALCODE_NO_COLOR", "FORCE_COLOR")
    }
    return {**clean, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}


def run(
    args: Sequence[str], cwd: Path, *, script: bool = False
) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if script else [sys.executable, "-m", "qualcode"]
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def coded_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the study coded once with `qualcode code` (shared by the read-only tests)."""
    root = study_copy(tmp_path_factory.mktemp("e2e") / "study")
    result = run(["code"], root)
    assert result.returncode == 0, result.stderr
    return root


def test_console_script_is_installed() -> None:
    assert SCRIPT.is_file(), f"no console script at {SCRIPT}"


@pytest.mark.parametrize("script", [False, True], ids=["python-m", "console-script"])
def test_version(tmp_path: Path, script: bool) -> None:
    from importlib.metadata import version

    result = run(["--version"], tmp_path, script=script)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"qualcode {version('qualcode')}\n"
    assert re.fullmatch(r"qualcode \d+\.\d+\.\d+\S*\n", result.stdout)


def test_check_passes_on_the_bundled_study(tmp_path: Path) -> None:
    root = study_copy(tmp_path / "study")
    result = run(["check"], root, script=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith("All checks passed (")


def test_code_writes_one_file_per_transcript_with_its_hash(coded_study: Path) -> None:
    transcripts = sorted(p.stem for p in (coded_study / "transcripts").glob("*.txt"))
    written = sorted(p.stem for p in (coded_study / "codings" / "auto").glob("*.jsonl"))
    assert written == transcripts
    assert len(written) == 14
    for transcript_id in written:
        lines = (coded_study / "codings" / "auto" / f"{transcript_id}.jsonl").read_text(
            encoding="utf-8"
        )
        source = (coded_study / "transcripts" / f"{transcript_id}.txt").read_text(
            encoding="utf-8-sig"
        )
        normalized = source.replace("\r\n", "\n").replace("\r", "\n")
        assert json.loads(lines.split("\n")[0]) == {
            "qualcode_codings": 1,
            "transcript": transcript_id,
            "coder": "auto",
            "sha256": hashlib.sha256(normalized.encode("utf-8")).hexdigest(),
        }
        assert len(lines.split("\n")) > 3  # every interview gets some proposals


def _words(text: str) -> str:
    return " ".join(text.split())


def test_summary_by_partnership_type(coded_study: Path) -> None:
    result = run(["summary", "--by", "partnership_type"], coded_study)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    for group in GROUPS:
        assert re.search(rf"{re.escape(group)} \(n=\d+\)", out), group
    assert "Total (n=14)" in out
    # at least one quote, attributed, and really from a transcript
    quotes = re.findall(r"\[(CLT|ROC|Worker co-op)\] “(?:… )?(.+?)(?: …)?”\n\s+— ([a-z-]+),", out)
    assert len(quotes) >= 3
    assert {group for group, _, _ in quotes} == set(GROUPS)
    _, quote, transcript_id = quotes[0]
    source = (coded_study / "transcripts" / f"{transcript_id}.txt").read_text(encoding="utf-8")
    assert _words(quote) in _words(source)


def test_tally_csv_parses_and_adds_up(coded_study: Path) -> None:
    result = run(["tally", "--by", "partnership_type", "--format", "csv"], coded_study)
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    header = rows[0]
    assert header[:2] == ["code", "name"]
    groups = [re.fullmatch(r"(.+) \(n=(\d+)\)", h) for h in header[2:]]
    assert all(groups), header
    labels = [m.group(1) for m in groups if m]
    sizes = [int(m.group(2)) for m in groups if m]
    assert labels == [*GROUPS, "Total"]
    assert sum(sizes[:-1]) == sizes[-1] == 14
    from qualcode.project import load_project

    codebook = load_project(coded_study).codebook
    by_code = {row[0]: row for row in rows[1:]}
    assert len(by_code) == len(rows) - 1  # each code once
    anywhere = by_code.pop("(any code)", None)  # an optional "any code" total row
    assert set(by_code) == {code.id for code in codebook.codes}
    if anywhere is not None:
        assert max(int(row[-1]) for row in by_code.values()) <= int(anywhere[-1]) <= sizes[-1]
    for row in rows[1:]:
        assert len(row) == len(header)
        counts = [int(cell) for cell in row[2:]]
        assert sum(counts[:-1]) == counts[-1], row  # every transcript is in exactly one group
        assert all(0 <= c <= n for c, n in zip(counts, sizes, strict=True)), row
    assert any(int(row[-1]) > 0 for row in rows[1:])


def test_broken_codebook_is_a_located_error_without_traceback(tmp_path: Path) -> None:
    root = study_copy(tmp_path / "study")
    assert run(["code"], root).returncode == 0
    codings = snapshot(root / "codings")
    (root / "codebooks" / "broken.yaml").write_text(
        "codebook:\n  id: broken\n  title: Broken\ncodes:\n  - id: x\n\tname: y\n", encoding="utf-8"
    )
    for args in (["code"], ["tally"]):
        result = run(args, root)
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith("codebooks/broken.yaml:6:1: error: invalid YAML"), (
            result.stderr
        )
        assert "Traceback" not in result.stderr
    assert snapshot(root / "codings") == codings  # nothing was rewritten
    check = run(["check"], root)
    assert check.returncode == 1  # check ran and found an error
    assert "codebooks/broken.yaml:6:1: error: invalid YAML" in check.stdout
    assert "[yaml-syntax]" in check.stdout
    assert "Traceback" not in check.stdout + check.stderr


def test_code_twice_gives_byte_identical_files(tmp_path: Path) -> None:
    root = study_copy(tmp_path / "study")
    first = run(["code"], root, script=True)
    assert first.returncode == 0, first.stderr
    before = snapshot(root / "codings")
    assert len(before) == 14
    second = run(["code"], root, script=True)
    assert second.returncode == 0, second.stderr
    assert snapshot(root / "codings") == before
    proposals = re.search(
        r"coded 14 transcripts \(.*\) for coder 'auto': (\d+) new proposals", first.stderr
    )
    assert proposals, first.stderr
    assert f"0 new proposals, {proposals.group(1)} kept, 0 removed" in second.stderr


def test_export_summary_is_byte_identical(coded_study: Path, tmp_path: Path) -> None:
    outputs = [tmp_path / "one", tmp_path / "two"]
    for out in outputs:
        result = run(["export", "summary", "-o", str(out), "--by", "partnership_type"], coded_study)
        assert result.returncode == 0, result.stderr
    first, second = snapshot(outputs[0]), snapshot(outputs[1])
    assert len(first) >= 3
    assert any(name.endswith(".csv") for name in first)
    assert all(data for data in first.values())  # no empty file
    assert first == second
    # writing again into the same folder changes nothing either
    again = run(
        ["export", "summary", "-o", str(outputs[0]), "--by", "partnership_type"], coded_study
    )
    assert again.returncode == 0, again.stderr
    assert snapshot(outputs[0]) == first


def test_python_code_with_two_jobs_from_stdin_and_from_an_unguarded_script(
    tmp_path: Path, coded_study: Path
) -> None:
    root = study_copy(tmp_path / "study")
    program = "import qualcode\nprint(qualcode.code('.', coder='zed', jobs=2)['added'].sum())\n"
    # from stdin the workers cannot start: one process, with a warning, and the same codings
    piped = subprocess.run(
        [sys.executable, "-"], input=program, cwd=root, env=env(), capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert "coding in one process: worker processes need the main program" in piped.stderr
    assert snapshot(root / "codings" / "zed") == {
        k.replace("auto", "zed"): v.replace(b'"coder": "auto"', b'"coder": "zed"')
        for k, v in snapshot(coded_study / "codings" / "auto").items()
    }
    # a script without the `__main__` guard: qualcode's own error says what to do
    (root / "unguarded.py").write_text(program.replace("zed", "yan"))
    result = subprocess.run(
        [sys.executable, "unguarded.py"], cwd=root, env=env(), capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        result.stderr.rstrip()
        .splitlines()[-1]
        .startswith("qualcode.errors.UsageError: the worker processes stopped before they finished")
    )
    assert 'if __name__ == "__main__":' in result.stderr


# output larger than a pipe's buffer, so the writer is still writing when the reader goes
@pytest.mark.parametrize("output", ["table", "csv"])
def test_a_reader_that_stops_early_is_not_an_error(coded_study: Path, output: str) -> None:
    """`qualcode summary | head -1` exited 1 (rich's choice), the code for findings."""
    process = subprocess.Popen(
        [sys.executable, "-m", "qualcode", "quotes", "--per-group", "20", "-f", output],
        cwd=coded_study,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
