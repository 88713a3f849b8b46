"""`qualcode check` catches what `qualcode code` would reject in qualcode.yaml.

A missing transcripts folder or metadata CSV set in qualcode.yaml, a default coder that cannot be a
folder name, an unknown encoding: each is reported at its line in qualcode.yaml (rule `config`), and
the commands that load the project stop with exit 2 and the same message, never a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import SMALL_CODEBOOK, MakeProject, write
from qualcode.cli import app
from qualcode.project import ProjectConfig, parse_config


def check(runner: CliRunner, *args: str) -> tuple[int, list[str], list[str], str]:
    """Exit code, finding lines, hint lines and stderr of `qualcode check`; never a traceback."""
    result = runner.invoke(app, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    hints = [line for line in lines if line.startswith("    hint:")]
    return result.exit_code, [line for line in lines if line not in hints], hints, result.stderr


@pytest.fixture
def project(make_project: MakeProject, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, MakeProject]:
    """A small project with transcripts/, as the current folder; its config is replaced per test."""
    root = make_project()
    monkeypatch.chdir(root)
    return root, make_project


def configure(root: Path, config: str) -> None:
    write(root / "qualcode.yaml", "codebooks: [codebooks/*.yaml]\n" + config)


# -- transcripts.folder and transcripts.metadata ----------------------------------------------------


def test_missing_transcripts_folder_is_an_error_with_did_you_mean(
    runner: CliRunner, project: tuple[Path, MakeProject]
) -> None:
    root, _ = project
    configure(root, "transcripts:\n  folder: Transcripts\n")
    if (root / "Transcripts").is_dir():
        pytest.skip("case-insensitive file system")
    code, lines, hints, stderr = check(runner)
    assert code == 1
    assert lines == [
        "qualcode.yaml:3:11: error: transcripts folder 'Transcripts' does not exist "
        "(did you mean 'transcripts'?) [config]"
    ]
    assert any("create the folder, or fix `transcripts.folder`" in h for h in hints), hints
    assert stderr.startswith("Found 1 error")
    # the same file checked as a path says the same
    code, lines, _, _ = check(runner, "qualcode.yaml")
    assert code == 1
    assert lines == [
        "qualcode.yaml:3:11: error: transcripts folder 'Transcripts' does not exist "
        "(did you mean 'transcripts'?) [config]"
    ]
    # and `code` refuses it too: check no longer passes what code rejects
    result = runner.invoke(app, ["code"])
    assert result.exit_code == 2
    assert "transcripts folder 'Transcripts' does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_transcripts_folder_in_a_subfolder(
    runner: CliRunner, project: tuple[Path, MakeProject]
) -> None:
    root, _ = project
    (root / "data" / "interviews").mkdir(parents=True)
    configure(root, "transcripts: {folder: data/interview}\n")
    code, lines, _, _ = check(runner)
    assert code == 1
    assert lines == [
        "qualcode.yaml:2:23: error: transcripts folder 'data/interview' does not exist "
        "(did you mean 'data/interviews'?) [config]"
    ]


def test_missing_transcripts_folder_without_a_near_name(
    runner: CliRunner, project: tuple[Path, MakeProject]
) -> None:
    root, _ = project
    configure(root, "transcripts:\n  folder: nowhere/at/all\n")
    code, lines, _, _ = check(runner)
    assert code == 1
    assert lines == [
        "qualcode.yaml:3:11: error: transcripts folder 'nowhere/at/all' does not exist [config]"
    ]


def test_transcripts_folder_that_is_a_file(
    runner: CliRunner, project: tuple[Path, MakeProject]
) -> None:
    root, _ = project
    write(root / "interviews", "not a folder\n")
    configure(root, "transcripts:\n  folder: interviews\n")
    code, lines, _, _ = check(runner)
    assert code == 1
    assert lines == [
        "qualcode.yaml:3:11: error: transcripts folder 'interviews' is not a folder [config]"
    ]


def test_default_transcripts_folder_missing_still_passes(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A codebook-only project: no transcripts/ folder, whether or not the config names it."""
    for config in (
        "",
        "transcripts:\n  folder: transcripts/\n  metadata: transcripts/metadata.csv\n",
    ):
        root = tmp_path / f"codebook-only-{len(config)}"
        write(root / "qualcode.yaml", config or "# all defaults\n")
        write(root / "codebooks" / "small.yaml", SMALL_CODEBOOK)
        monkeypatch.chdir(root)
        code, lines, _, stderr = check(runner, "--strict")
        assert (code, lines) == (0, []), config
        assert stderr.startswith("All checks passed")


def test_init_project_without_transcripts_still_passes(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`qualcode init` writes `folder: transcripts` out: that is still the default, not a typo."""
    target = tmp_path / "study"
    assert runner.invoke(app, ["init", str(target)]).exit_code == 0
    shutil.rmtree(target / "transcripts")
    monkeypatch.chdir(target)
    code, lines, _, stderr = check(runner, "--strict")
    assert (code, lines) == (0, [])
    assert stderr.startswith("All checks passed")


def test_missing_metadata_csv_is_a_warning(
    runner: CliRunner, project: tuple[Path, MakeProject]
) -> None:
    root, _ = project
    (root / "transcripts" / "metadata.csv").rename(root / "transcripts" / "Metadata.csv")
    configure(root, "transcripts:\n  folder: transcripts\n  metadata: transcripts/metadata.csv\n")
    assert check(runner)[0] == 0  # the default path: optional, as before
    configure(root, "transcripts:\n  folder: transcripts\n  metadata: transcripts/meta.csv\n")
    code, lines, hints, _ = check(runner)
    assert code == 0
    expected = (
        "qualcode.yaml:4:13: warning: metadata file 'transcripts/meta.csv' does not exist "
        "(did you mean 'transcripts/Metadata.csv'?) [config]"
    )
    assert expected in lines
    assert any("fix `transcripts.metadata`" in h for h in hints), hints
    code, lines, _, _ = check(runner, "--strict")
    assert code == 1
    assert expected in lines


# -- coder -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "coder",
    ["../../evil", "", "a/b", "a\\b", ".hidden", " alice", "alice ", "alice bob", "a,b"],
    ids=repr,
)
def test_bad_default_coder(
    runner: CliRunner, project: tuple[Path, MakeProject], coder: str
) -> None:
    root, _ = project
    quoted = "'" + coder.replace("'", "''") + "'"  # single-quoted YAML: backslashes are literal
    configure(root, f"segmentation: turn\ncoder: {quoted}\n")
    expected = f"qualcode.yaml:3:8: error: coder name {coder!r} cannot be used as a folder name"
    code, lines, hints, _ = check(runner)
    assert code == 1
    assert lines == [expected + " [config]"]
    assert any("coder: alice" in h for h in hints), hints
    result = runner.invoke(app, ["code"])
    assert result.exit_code == 2
    assert result.stderr.startswith(expected), result.stderr
    assert "Traceback" not in result.stderr
    assert not (root / "codings").exists()  # nothing written anywhere


def test_good_default_coder_is_used(runner: CliRunner, project: tuple[Path, MakeProject]) -> None:
    root, _ = project
    configure(root, "transcripts:\n  folder: transcripts\ncoder: alice_b-2\n")
    assert check(runner)[:2] == (0, [])
    result = runner.invoke(app, ["code"])
    assert result.exit_code == 0, result.stderr
    assert (root / "codings" / "alice_b-2").is_dir()


def test_a_number_for_coder_or_codings_is_its_name(
    runner: CliRunner, project: tuple[Path, MakeProject]
) -> None:
    root, _ = project
    configure(root, "coder: 5\ncodings: 2024\n")  # YAML reads both as integers
    assert check(runner)[:2] == (0, [])
    assert runner.invoke(app, ["code"]).exit_code == 0
    assert (root / "2024" / "5").is_dir()


# -- transcripts.encoding ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "message"),
    [("klingon", "unknown encoding 'klingon'"), ("rot13", "'rot13' is not a text encoding")],
)
def test_bad_encoding(
    runner: CliRunner, project: tuple[Path, MakeProject], encoding: str, message: str
) -> None:
    root, _ = project
    configure(root, f"transcripts:\n  folder: transcripts\n  encoding: {encoding}\n")
    expected = f"qualcode.yaml:4:13: error: {message}"
    code, lines, hints, _ = check(runner)
    assert code == 1
    assert lines == [expected + " [config]"]  # once, at the config; not once per transcript
    assert any("cp1252" in h and "latin-1" in h for h in hints), hints
    result = runner.invoke(app, ["code"])
    assert result.exit_code == 2
    assert result.stderr.startswith(expected), result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("encoding", ["cp1252", "Windows-1252", "latin-1", "utf8"])
def test_known_encoding_passes(
    runner: CliRunner, project: tuple[Path, MakeProject], encoding: str
) -> None:
    root, _ = project
    configure(root, f"transcripts:\n  folder: transcripts\n  encoding: {encoding}\n")
    assert check(runner)[:2] == (0, [])


def test_all_config_problems_in_one_run(
    runner: CliRunner, project: tuple[Path, MakeProject]
) -> None:
    root, _ = project
    configure(root, "transcripts:\n  folder: gone\n  encoding: klingon\ncoder: ''\n")
    code, lines, _, _ = check(runner)
    assert code == 1
    assert [line.split(": error: ")[0] for line in lines] == [
        "qualcode.yaml:3:11",
        "qualcode.yaml:4:13",
        "qualcode.yaml:5:8",
    ]


def test_parse_config_keeps_defaults_for_bad_values() -> None:
    """A non-strict load (what check uses) never carries an unusable coder or encoding."""
    config, diags = parse_config("coder: ../x\ntranscripts: {encoding: klingon}\n", "q.yaml")
    assert config.coder == ProjectConfig().coder
    assert config.encoding is None
    assert sorted((d.line, d.rule, d.severity.value) for d in diags) == [
        (1, "config", "error"),
        (2, "config", "error"),
    ]


def test_did_you_mean_ignores_case() -> None:
    from qualcode.diagnostics import did_you_mean

    assert did_you_mean("clt", ["CLT", "ROC", "Worker co-op"]) == " (did you mean 'CLT'?)"
    assert did_you_mean("worker coop", ["CLT", "Worker co-op"]) == " (did you mean 'Worker co-op'?)"
    assert did_you_mean("xyz", ["CLT"]) == ""


def test_a_rule_speaker_that_is_no_role_and_nobodys_label_is_reported(
    project: tuple[Path, MakeProject],
) -> None:
    root, _ = project
    runner = CliRunner()
    book = SMALL_CODEBOOK.replace(
        '          - keywords: ["housing", "homes", "land trust*"]\n',
        '          - keywords: ["housing", "homes", "land trust*"]\n'
        "            speakers: [interviwer, maria lopez, '*', Informant]\n",
    )
    write(root / "codebooks" / "small.yaml", book)
    code, findings, hints, _ = check(runner)
    assert code == 0  # a warning: the rule still loads
    [finding] = [f for f in findings if "[unknown-speaker]" in f]
    assert finding.startswith("codebooks/small.yaml:17:24: warning: rule 'housing/1'")
    assert "speaker 'interviwer' is not a role and speaks in no transcript" in finding
    assert "(did you mean 'interviewer'?)" in finding
    assert any("`qualcode transcripts` lists it" in h for h in hints)
