"""The foundation's other commands: init, schema, codebook tree/export, --version, --debug."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import write
from qualcode import __version__
from qualcode.cli import app
from qualcode.scaffold import TEMPLATE_FILES

# -- init --------------------------------------------------------------------------------------------


def test_init_creates_a_project_that_checks_clean(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "my-study"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    for name in TEMPLATE_FILES:
        assert (target / name).is_file()
        assert f"created {target / name}" in result.stderr
    assert {p.name for p in (target / "codebooks").iterdir()} == {"example.yaml"}
    config = (target / "qualcode.yaml").read_text(encoding="utf-8")
    assert config.lstrip().startswith("#")  # commented for a first-time user
    monkeypatch.chdir(target)
    check = runner.invoke(app, ["check", "--strict"])
    assert check.exit_code == 0, check.stdout
    assert check.stdout == ""
    assert check.stderr.startswith("All checks passed")
    # and the example transcript can be coded with the example codebook
    code = runner.invoke(app, ["code"])
    assert code.exit_code == 0, code.stderr
    assert (target / "codings" / "auto" / "example-interview.jsonl").is_file()
    assert runner.invoke(app, ["check", "--strict"]).exit_code == 0
    # what a `kill -9` mid-write leaves is ignored by git and named by check
    assert "codings/*/.*.tmp" in (target / ".gitignore").read_text(encoding="utf-8")
    leftover = target / "codings" / "auto" / ".example-interview.jsonl.k2j4x1.tmp"
    leftover.write_text("{", encoding="utf-8")
    found = runner.invoke(app, ["check"])
    assert found.exit_code == 0, found.stdout
    assert found.stdout.startswith(
        "codings/auto/.example-interview.jsonl.k2j4x1.tmp: warning: temporary file left by an "
        "interrupted write"
    )


def test_init_in_a_git_folder_adds_its_ignore_lines_once(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_bytes(b"# caf\xe9 (latin-1)\nnode_modules/")
    result = runner.invoke(app, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.stderr
    assert f"added qualcode's lines to {tmp_path / '.gitignore'}" in result.stderr
    data = (tmp_path / ".gitignore").read_bytes()
    assert data.startswith(b"# caf\xe9 (latin-1)\nnode_modules/\n")  # its bytes untouched
    assert data.endswith(b"codings/*/.*.lock\ncodings/*/.*.tmp\n")


def test_init_in_current_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(app, ["init"]).exit_code == 0
    assert (tmp_path / "qualcode.yaml").is_file()


def test_init_refuses_to_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "study"
    write(target / "codebooks" / "example.yaml", "mine\n")
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 2
    assert "already exists; qualcode init never overwrites files" in result.stderr
    assert (target / "codebooks" / "example.yaml").read_text(encoding="utf-8") == "mine\n"
    assert not (target / "qualcode.yaml").exists()  # nothing written at all
    assert "Traceback" not in result.stderr


def test_init_onto_a_file_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path / "file", "x")
    result = runner.invoke(app, ["init", str(tmp_path / "file")])
    assert result.exit_code == 2
    assert "is not a folder" in result.stderr


# -- schema ------------------------------------------------------------------------------------------


def test_schema_is_a_json_schema_the_bundled_codebooks_satisfy(runner: CliRunner) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    repo = Path(__file__).resolve().parents[1]
    books = sorted((repo / "codebooks").glob("*.yaml"))
    assert len(books) >= 2
    for path in books:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        errors = list(validator.iter_errors(data))
        assert errors == [], f"{path.name}: {errors[0].message if errors else ''}"
    template = repo / "src" / "qualcode" / "templates" / "codebooks" / "example.yaml"
    assert list(validator.iter_errors(yaml.safe_load(template.read_text(encoding="utf-8")))) == []


def test_schema_rejects_what_check_rejects(runner: CliRunner) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    validator = jsonschema.validators.validator_for(schema)(schema)
    base = {
        "codebook": {"id": "demo"},
        "codes": [{"id": "a", "name": "A", "rules": [{"keywords": ["x"]}]}],
    }
    assert list(validator.iter_errors(base)) == []
    bad_key = {**base, "codes": [{"id": "a", "name": "A", "definiton": "typo"}]}
    bad_id = {**base, "codes": [{"id": "Not A Slug", "name": "A"}]}
    bad_color = {**base, "codes": [{"id": "a", "name": "A", "color": "red"}]}
    two_kinds = {
        **base,
        "codes": [{"id": "a", "name": "A", "rules": [{"keywords": ["x"], "regex": "y"}]}],
    }
    no_name = {**base, "codes": [{"id": "a"}]}
    for bad in (bad_key, bad_id, bad_color, two_kinds, no_name):
        assert list(validator.iter_errors(bad)), bad


def test_bundled_codebooks_point_editors_at_the_schema() -> None:
    repo = Path(__file__).resolve().parents[1]
    for path in sorted((repo / "codebooks").glob("*.yaml")):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path.name


# -- codebook tree and export ------------------------------------------------------------------------


def test_project_before_the_command_applies_to_it(
    runner: CliRunner, bundled_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # not inside any project
    for args in (["codebook", "tree"], ["transcripts", "--format", "csv"]):
        before = runner.invoke(app, ["--project", str(bundled_project), *args])
        after = runner.invoke(app, [*args, "--project", str(bundled_project)])
        assert before.exit_code == 0, before.stderr
        assert before.stdout == after.stdout
    # the command's own --project wins over the one before it
    result = runner.invoke(
        app, ["-p", str(tmp_path / "nowhere"), "codebook", "tree", "-p", str(bundled_project)]
    )
    assert result.exit_code == 0, result.stderr
    result = runner.invoke(app, ["-p", str(tmp_path / "nowhere"), "codebook", "tree"])
    assert result.exit_code == 2
    assert "nowhere' does not exist" in result.stderr


def test_codebook_tree(runner: CliRunner, bundled_project: Path) -> None:
    result = runner.invoke(app, ["codebook", "tree", "--project", str(bundled_project)])
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Practices of backbone organizations (backbone-practices 1.0)" in out
    assert "Backbone practices backbone-practices (group)" in out
    assert "Managing tensions managing-tensions  2 rules, 3 examples" in out
    assert "Convener convener" in out
    lines = out.splitlines()
    group = next(i for i, line in enumerate(lines) if "backbone-practices (group)" in line)
    child = next(i for i, line in enumerate(lines) if "managing-tensions" in line)
    assert child > group
    assert lines[child].index("Managing") > lines[group].index("Backbone")  # indented under it


def test_codebook_tree_of_a_given_file(runner: CliRunner, tmp_path: Path) -> None:
    from test_codebook_check import GOOD

    write(tmp_path / "cb.yaml", GOOD)
    result = runner.invoke(app, ["codebook", "tree", "-b", str(tmp_path / "cb.yaml")])
    assert result.exit_code == 0
    assert "Housing housing  1 rule, 1 example" in result.stdout


def test_codebook_tree_of_a_broken_codebook(runner: CliRunner, tmp_path: Path) -> None:
    write(tmp_path / "cb.yaml", "codebook: {id: x}\ncodes:\n  - id: a\n    nmae: A\n")
    result = runner.invoke(app, ["codebook", "tree", "-b", str(tmp_path / "cb.yaml")])
    assert result.exit_code == 2
    assert "cb.yaml:3:5: error:" in result.stderr
    assert "run `qualcode check` to see every problem" in result.stderr


def test_codebook_export_csv_one_row_per_code(runner: CliRunner, bundled_project: Path) -> None:
    from qualcode.project import load_project

    codebook = load_project(bundled_project).codebook
    result = runner.invoke(
        app, ["codebook", "export", "--format", "csv", "--project", str(bundled_project)]
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["id"] for r in rows] == [c.id for c in codebook.codes]
    assert len(rows) == len(codebook.codes) > 30
    assert set(rows[0]) >= {"id", "name", "parent", "definition", "use_when", "examples"}
    convener = next(r for r in rows if r["id"] == "convener")
    assert convener["parent"] == "roles"
    assert convener["definition"] == codebook.get("convener").definition
    assert convener["examples"].count(" | ") == len(codebook.get("convener").examples) - 1
    # a methods appendix states the whole rule: its exclude list too (found by a helper)
    loans = next(r for r in rows if r["id"] == "impact-investments-loans")
    assert "keywords: loan, loans (exclude: mortgage, mortgages, home loan" in loans["rules"]


def test_codebook_export_md(runner: CliRunner, bundled_project: Path, tmp_path: Path) -> None:
    out = tmp_path / "appendix.md"
    result = runner.invoke(
        app,
        ["codebook", "export", "-f", "md", "-o", str(out), "--project", str(bundled_project)],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("| id | name | parent |")
    assert set(lines[1].replace("|", "")) <= {"-", ":", " "}
    assert any(line.startswith("| convener | Convener | roles |") for line in lines)


# -- --version, --debug, errors --------------------------------------------------------------------


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"qualcode {__version__}\n"


def test_no_arguments_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert "Usage" in result.stdout + result.stderr
    assert "check" in result.stdout + result.stderr


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("kaboom")


def test_internal_error_without_debug_has_no_traceback(
    runner: CliRunner, bundled_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qualcode.check

    monkeypatch.setattr(qualcode.check, "check_project", _boom)
    result = runner.invoke(app, ["check", "--project", str(bundled_project)])
    assert result.exit_code == 3
    assert "internal error: RuntimeError: kaboom" in result.stderr
    assert "--debug" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_internal_error_with_debug_propagates(
    runner: CliRunner, bundled_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qualcode.check

    monkeypatch.setattr(qualcode.check, "check_project", _boom)
    result = runner.invoke(app, ["--debug", "check", "--project", str(bundled_project)])
    assert isinstance(result.exception, RuntimeError)
    assert str(result.exception) == "kaboom"
    assert result.exc_info is not None and result.exc_info[2] is not None  # a traceback to print


def test_debug_env_variable(
    runner: CliRunner, bundled_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qualcode.check

    monkeypatch.setattr(qualcode.check, "check_project", _boom)
    result = runner.invoke(
        app, ["check", "--project", str(bundled_project)], env={"QUALCODE_DEBUG": "1"}
    )
    assert isinstance(result.exception, RuntimeError)


def test_user_errors_have_no_traceback_even_for_missing_project(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(app, ["codebook", "tree", "--project", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_command_is_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["chek"])
    assert result.exit_code == 2
