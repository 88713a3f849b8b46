"""`qualcode check`: every codebook and configuration rule, at its exact line and column.

Each case is a small codebook (or qualcode.yaml) with one mistake; the expected output line is written
out in full, so a wrong position, severity, message or rule id fails the test.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write
from qualcode.cli import app
from qualcode.diagnostics import RULES

GOOD = """\
codebook:
  id: demo
  title: Demo
codes:
  - id: housing
    name: Housing
    definition: Homes.
    examples: ["We build homes."]
    counterexamples: ["We went out."]
    rules:
      - keywords: [homes]
"""


def run(runner: CliRunner, *args: str) -> tuple[int, list[str], str]:
    """Exit code, output lines without hint lines, and stderr; never a traceback."""
    result = runner.invoke(app, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if not line.startswith("    hint:")]
    return result.exit_code, lines, result.stderr


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def codebook_with(replacements: dict[str, str]) -> str:
    text = GOOD
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


# (case id, codebook text, expected output lines, expected hint fragment or "")
CASES: list[tuple[str, str, list[str], str]] = [
    (
        "unknown-key",
        codebook_with({"    definition: Homes.\n": "    definiton: Homes.\n"}),
        [
            "cb.yaml:5:5: error: codable code 'housing' has no definition [missing-definition]",
            "cb.yaml:7:5: error: unknown key 'definiton' in code 'housing' "
            "(did you mean 'definition'?) [unknown-key]",
        ],
        "known keys: id, name, codable",
    ),
    (
        "missing-field",
        codebook_with({"    name: Housing\n": ""}),
        ["cb.yaml:5:5: error: code 'housing' is missing required key 'name' [missing-field]"],
        "",
    ),
    (
        "missing-field-top",
        "codebook:\n  id: demo\n",
        ["cb.yaml:1:1: error: the codebook file is missing required key 'codes' [missing-field]"],
        "",
    ),
    (
        "wrong-type",
        codebook_with({'examples: ["We build homes."]': 'examples: "We build homes."'}),
        [
            "cb.yaml:8:15: error: 'examples' in code 'housing' must be a list of strings, "
            "not a string [wrong-type]"
        ],
        "write e.g. examples: [...]",
    ),
    (
        "wrong-type-item",
        codebook_with({"keywords: [homes]": "keywords: [homes, {a: 1}]"}),
        [
            "cb.yaml:11:27: error: item 2 of 'keywords' in rule 1 of code 'housing' must be a "
            "string, not a mapping [wrong-type]"
        ],
        "",
    ),
    (
        "wrong-type-unquoted-no",
        codebook_with({"keywords: [homes]": "keywords: [homes, no]"}),
        [
            "cb.yaml:11:27: error: item 2 of 'keywords' in rule 1 of code 'housing' must be a "
            "string, not true/false [wrong-type]"
        ],
        "quote it: YAML reads unquoted yes, no, on, off",
    ),
    (
        "invalid-id",
        codebook_with({"- id: housing": "- id: Housing_1"}),
        ["cb.yaml:5:9: error: code id 'Housing_1' is not a slug [invalid-id]"],
        "e.g. 'housing-1'",
    ),
    (
        "duplicate-key",
        codebook_with({"    name: Housing\n": "    name: Housing\n    name: Homes\n"}),
        [
            "cb.yaml:7:5: error: key 'name' appears twice in the same mapping (first at line 6) "
            "[duplicate-key]"
        ],
        "YAML keeps only one",
    ),
    (
        "duplicate-name",
        GOOD
        + "  - id: homes\n    name: housing\n    definition: Also homes.\n"
        + "    examples: [house]\n    rules:\n      - keywords: [house]\n",
        [
            "cb.yaml:13:11: error: name 'housing' of code 'homes' is also used by sibling "
            "'housing' (line 5) [duplicate-name]"
        ],
        "distinct names",
    ),
    (
        "duplicate-id-same-file",
        GOOD + "  - id: housing\n    name: Second\n    definition: Again.\n",
        [
            "cb.yaml:12:5: error: code id 'housing' is defined twice (first at line 5) [duplicate-id]"
        ],
        "rename one",
    ),
    (
        "missing-definition",
        codebook_with({"    definition: Homes.\n": ""}),
        ["cb.yaml:5:5: error: codable code 'housing' has no definition [missing-definition]"],
        "codable: false",
    ),
    (
        "bad-color",
        codebook_with({"    name: Housing\n": '    name: Housing\n    color: "#12345"\n'}),
        ["cb.yaml:7:12: error: color '#12345' of code 'housing' is not a hex color [bad-color]"],
        'write it as "#1f77b4"',
    ),
    (
        "invalid-keyword",
        codebook_with({"keywords: [homes]": 'keywords: [homes, "ho*mes"]'}),
        [
            "cb.yaml:11:27: error: keyword 'ho*mes': '*' is only allowed at the end "
            "(keywords of rule 1 of code 'housing') [invalid-keyword]"
        ],
        "optionally ending in *",
    ),
    (
        "invalid-regex",
        codebook_with({"- keywords: [homes]": "- keywords: [homes]\n      - regex: '[unclosed'"}),
        [
            "cb.yaml:12:16: error: invalid regex '[unclosed': missing ]: [unclosed "
            "(rule housing/2) [invalid-regex]"
        ],
        "re2/wiki/Syntax",
    ),
    (
        "invalid-regex-empty",
        codebook_with({"- keywords: [homes]": "- keywords: [homes]\n      - regex: ''"}),
        [
            "cb.yaml:12:16: error: empty regex (rule housing/2): it would never match "
            "[invalid-regex]"
        ],
        "write a pattern",
    ),
    (
        "invalid-regex-matches-empty",
        codebook_with({"- keywords: [homes]": "- keywords: [homes]\n      - regex: '\\s*'"}),
        [
            "cb.yaml:12:16: error: regex '\\s*' also matches empty text (rule housing/2), so "
            "it would be tried at every character of every transcript [invalid-regex]",
        ],
        "replace * with +",
    ),
    (
        "invalid-regex-only-a-boundary",
        codebook_with({"- keywords: [homes]": "- keywords: [homes]\n      - regex: 'homes|\\b'"}),
        [
            "cb.yaml:12:16: error: regex 'homes|\\b' also matches empty text (rule housing/2), "
            "so it would be tried at every character of every transcript [invalid-regex]",
        ],
        "`\\b` alone is a position",
    ),
    (
        "invalid-regex-lookaround",
        codebook_with(
            {"- keywords: [homes]": "- keywords: [homes]\n      - regex: '(?<!no )homes'"}
        ),
        [
            "cb.yaml:12:16: error: invalid regex '(?<!no )homes': invalid perl operator: (?<! "
            "(rule housing/2) [invalid-regex]"
        ],
        "RE2 has no lookaround or backreferences",
    ),
    (
        "invalid-rule",
        codebook_with({"- keywords: [homes]": "- keywords: [homes]\n        regex: homes"}),
        [
            "cb.yaml:11:9: error: rule 1 of code 'housing' must have exactly one of keywords, "
            "regex or near (has keywords, regex) [invalid-rule]"
        ],
        "one rule per kind",
    ),
    (
        "invalid-rule-near",
        codebook_with(
            {
                "- keywords: [homes]": "- keywords: [homes]\n      - near: {terms: [homes], within: 0}"
            }
        ),
        [
            "cb.yaml:12:15: error: 'near' of rule 2 of code 'housing' needs at least two terms "
            "and within >= 1 [invalid-rule]"
        ],
        "",
    ),
    (
        "invalid-rule-near-term-twice",
        codebook_with(
            {
                "- keywords: [homes]": "- keywords: [homes]\n"
                "      - near: {terms: [land, Land], within: 8}"
            }
        ),
        [
            "cb.yaml:12:9: error: near term 'land' is given twice (rule housing/2): one mention "
            "of it would meet both [invalid-rule]"
        ],
        "use a regex",
    ),
    (
        "example-not-coded",
        codebook_with(
            {'examples: ["We build homes."]': 'examples: ["We build homes.", "Shelter."]'}
        ),
        [
            "cb.yaml:8:35: error: example 2 of code 'housing' is not coded by its rules: "
            "'Shelter.' [example-not-coded]"
        ],
        "add a keyword",
    ),
    (
        "counterexample-coded",
        codebook_with({'counterexamples: ["We went out."]': 'counterexamples: ["Nursing homes."]'}),
        [
            "cb.yaml:9:23: error: counterexample 1 of code 'housing' is coded by rule "
            "housing/1 (matched 'homes') [counterexample-coded]"
        ],
        "add an exclude phrase",
    ),
    (
        "shared-keyword",
        GOOD
        + "  - id: shelter\n    name: Shelter\n    definition: Shelter.\n"
        + "    examples: [homes]\n    rules:\n      - keywords: [shelter, Homes]\n",
        [
            "cb.yaml:17:29: warning: keyword 'Homes' of code 'shelter' is also a keyword of "
            "code 'housing' (cb.yaml:11) [shared-keyword]"
        ],
        "keep it in one code",
    ),
    (
        "self-excluded-rule",
        codebook_with(
            {
                "- keywords: [homes]": '- keywords: [homes, "nursing homes"]\n        exclude: [nursing]'
            }
        ),
        [
            "cb.yaml:11:27: warning: keyword 'nursing homes' of rule housing/1 contains one of "
            "the rule's own exclude phrases, so it can never code anything [self-excluded-rule]"
        ],
        "narrow the exclude phrase",
    ),
    (
        "yaml-syntax",
        "codebook: {id: demo\ncodes: []\n",
        ["cb.yaml:2:6: error: invalid YAML: did not find expected ',' or '}' [yaml-syntax]"],
        "fix the YAML syntax",
    ),
    (
        "yaml-unsafe",
        "codebook: {id: demo}\ncodes: !!python/tuple [a]\n",
        ["cb.yaml:2:8: error: tag 'tag:yaml.org,2002:python/tuple' is not allowed [yaml-unsafe]"],
        "never executed",
    ),
    (
        "not-a-mapping",
        "- id: housing\n",
        [
            "cb.yaml:1:1: error: a codebook must be a mapping with 'codebook' and 'codes', "
            "but the file is a list [not-a-mapping]"
        ],
        "qualcode init",
    ),
]


@pytest.mark.parametrize(("case", "text", "expected", "hint"), CASES, ids=[c[0] for c in CASES])
def test_rule_reported_at_its_position(
    runner: CliRunner, in_tmp: Path, case: str, text: str, expected: list[str], hint: str
) -> None:
    write(in_tmp / "cb.yaml", text)
    code, lines, stderr = run(runner, "cb.yaml")
    assert lines == expected
    warnings_only = all(": warning: " in line for line in expected)
    assert code == (0 if warnings_only else 1)
    if hint:
        result = runner.invoke(app, ["check", "cb.yaml"])
        hints = [line for line in result.stdout.splitlines() if line.startswith("    hint: ")]
        assert any(hint in line for line in hints), hints
    assert stderr.count("\n") == 1 and stderr.startswith("Found ")


def test_good_codebook_is_clean(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "cb.yaml", GOOD)
    assert run(runner, "--strict", "cb.yaml") == (0, [], "All checks passed (1 file).\n")


def test_duplicate_id_across_files_names_both(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "a.yaml", GOOD)
    write(in_tmp / "b.yaml", GOOD.replace("id: demo", "id: other").replace("Homes.", "Houses."))
    code, lines, stderr = run(runner, "a.yaml", "b.yaml")
    assert code == 1
    assert lines == [
        "b.yaml:5:5: error: code id 'housing' is defined twice (first at a.yaml:5) [duplicate-id]"
    ]
    assert stderr.endswith("(2 files checked).\n")


def test_every_codebook_rule_has_a_case() -> None:
    """A new rule id in RULES must get a case here (or in the transcript/codings tests)."""
    covered = {case.split("-same-file")[0] for case, *_ in CASES}
    covered = {c.removesuffix("-top").removesuffix("-item").removesuffix("-near") for c in covered}
    covered = {c.removesuffix("-lookaround") for c in covered}
    covered |= {"duplicate-id"}  # test_duplicate_id_across_files_names_both
    covered |= {"unreadable-file"}  # test_unreadable_file_exit_2 and test_yaml_safety
    covered |= {"no-codebooks", "config"}  # project tests below
    elsewhere = {  # transcript, metadata and codings rules: test_transcripts / test_store
        "undeclared-value",
        "metadata-orphan",
        "missing-metadata",
        "metadata-conflict",
        "transcript",
        "stale-coding",
        "coding-unknown-code",
        "codings-file",
        "unknown-speaker",  # test_config_checks: it needs transcripts
    }
    assert set(RULES) - elsewhere <= covered, set(RULES) - elsewhere - covered


# -- exit codes and output formats -----------------------------------------------------------------


def test_exit_codes(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "good.yaml", GOOD)
    warn = GOOD + (
        "  - id: shelter\n    name: Shelter\n    definition: S.\n    examples: [homes]\n"
        "    rules:\n      - keywords: [homes]\n"
    )
    write(in_tmp / "warn.yaml", warn)
    write(in_tmp / "bad.yaml", codebook_with({"    definition: Homes.\n": ""}))
    assert run(runner, "good.yaml")[0] == 0
    assert run(runner, "warn.yaml")[0] == 0
    assert run(runner, "--strict", "warn.yaml")[0] == 1
    assert run(runner, "bad.yaml")[0] == 1
    assert run(runner, "missing.yaml")[0] == 2
    # an unreadable file wins over findings elsewhere: it is a usage problem
    assert run(runner, "bad.yaml", "missing.yaml")[0] == 2


def test_unreadable_file_exit_2(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "bin.yaml", b"\x00\x01\x02binary")
    code, lines, _ = run(runner, "bin.yaml")
    assert code == 2
    assert lines == [
        "bin.yaml: error: looks like a binary file, not a text codebook [unreadable-file]"
    ]


MESSY = textwrap.dedent(
    """\
    codebook:
      id: demo
    codes:
      - id: b-code
        name: B
        colour: red
      - id: a-code
        name: A
        definition: A.
        color: "#xyz"
    """
)


def test_output_sorted_and_summary_on_stderr_only(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "z.yaml", MESSY)
    other = MESSY.replace("b-code", "b2").replace("a-code", "a2").replace("id: demo", "id: two")
    write(in_tmp / "a.yaml", other)
    result = runner.invoke(app, ["check", "z.yaml", "a.yaml"])
    lines = [line for line in result.stdout.splitlines() if not line.startswith("    hint:")]
    keys = []
    for line in lines:
        path, line_no, col, _ = line.split(":", 3)
        keys.append((path, int(line_no), int(col)))
    assert keys == sorted(keys)
    assert keys[0][0] == "a.yaml" and keys[-1][0] == "z.yaml"
    assert len(lines) == 6  # 3 problems per file: missing-definition, unknown-key, bad-color
    assert "Found" not in result.stdout
    assert result.stderr == "Found 6 errors and 0 warnings (2 files checked).\n"
    quiet = runner.invoke(app, ["check", "-q", "z.yaml"])
    assert quiet.stderr == ""


def test_json_format(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "m.yaml", MESSY)
    result = runner.invoke(app, ["check", "--format", "json", "m.yaml"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [d["rule"] for d in data] == ["missing-definition", "unknown-key", "bad-color"]
    first = data[1]
    assert set(first) == {"path", "line", "column", "severity", "message", "rule", "hint"}
    assert (first["path"], first["line"], first["column"], first["severity"]) == (
        "m.yaml",
        6,
        5,
        "error",
    )
    assert "did you mean 'color'?" in first["message"]
    assert json.loads(runner.invoke(app, ["check", "-f", "json", "m.yaml"]).stdout) == data
    write(in_tmp / "ok.yaml", GOOD)
    assert json.loads(runner.invoke(app, ["check", "-f", "json", "ok.yaml"]).stdout) == []


def test_github_format(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "m.yaml", MESSY)
    result = runner.invoke(app, ["check", "--format", "github", "m.yaml"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("::error file=m.yaml,line=6,col=5,title=unknown-key::")
    assert "did you mean 'color'?" in lines[1]
    assert all(line.startswith("::error file=m.yaml,line=") for line in lines)
    write(in_tmp / "nl.yaml", b"codebook: {id: x}\ncodes: []\n\xff")
    nl = runner.invoke(app, ["check", "--format", "github", "nl.yaml"]).stdout
    assert nl.startswith("::error file=nl.yaml,line=3,col=1,title=unreadable-file::")
    write(
        in_tmp / "pct.yaml", GOOD.replace("    name: Housing\n", "    name: Housing\n    50%: x\n")
    )
    pct = runner.invoke(app, ["check", "--format", "github", "pct.yaml"]).stdout
    assert pct.startswith(
        "::error file=pct.yaml,line=7,col=5,title=unknown-key::unknown key '50%25'"
    )


def test_bad_format_is_a_usage_error(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "cb.yaml", GOOD)
    result = runner.invoke(app, ["check", "--format", "xml", "cb.yaml"])
    assert result.exit_code == 2


def test_check_a_folder_of_codebooks(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "books" / "one.yaml", GOOD)
    write(in_tmp / "books" / "two.yml", GOOD.replace("housing", "shelter").replace("demo", "two"))
    code, lines, stderr = run(runner, "books")
    assert code == 0
    assert lines == [
        "books/two.yml:11:20: warning: keyword 'homes' of code 'shelter' is also a keyword of "
        "code 'housing' (books/one.yaml:11) [shared-keyword]"
    ]
    assert stderr == "Found 0 errors and 1 warning (2 files checked).\n"


# -- the project: qualcode.yaml and the bundled study -----------------------------------------------


def test_bundled_study_checks_clean_strict(
    runner: CliRunner, bundled_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bundled_project)
    code, lines, stderr = run(runner, "--strict")
    assert (code, lines) == (0, [])
    assert stderr.startswith("All checks passed")


def test_bundled_study_via_project_option(runner: CliRunner, bundled_project: Path) -> None:
    code, lines, _ = run(runner, "--strict", "--project", str(bundled_project))
    assert (code, lines) == (0, [])


def test_bundled_codebooks_as_paths(
    runner: CliRunner, bundled_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bundled_project)
    code, lines, stderr = run(
        runner, "--strict", "codebooks/backbone-practices.yaml", "codebooks/cwb-partnerships.yaml"
    )
    assert (code, lines) == (0, [])
    assert stderr == "All checks passed (2 files).\n"
    code, lines, stderr = run(runner, "--strict", "codebooks")
    assert (code, lines, stderr) == (0, [], "All checks passed (2 files).\n")


def project_with_config(root: Path, config: str) -> Path:
    write(root / "qualcode.yaml", config)
    write(root / "codebooks" / "cb.yaml", GOOD)
    return root


CONFIG_CASES: list[tuple[str, str, list[str]]] = [
    (
        "unknown-key",
        "codebooks: [codebooks/*.yaml]\nsegmentaton: turn\n",
        [
            "qualcode.yaml:2:1: error: unknown key 'segmentaton' in qualcode.yaml "
            "(did you mean 'segmentation'?) [unknown-key]"
        ],
    ),
    (
        "duplicate-key",
        "coder: auto\ncoder: alice\n",
        ["qualcode.yaml:2:1: error: key 'coder' appears twice [duplicate-key]"],
    ),
    (
        "wrong-type",
        "segmentation: chapter\n",
        [
            "qualcode.yaml:1:15: error: segmentation must be one of turn, paragraph, sentence, "
            "not 'chapter' [wrong-type]"
        ],
    ),
    (
        "wrong-type-list",
        "codebooks: codebooks/cb.yaml\n",
        [
            "qualcode.yaml:1:12: error: 'codebooks' in qualcode.yaml must be a list of strings, "
            "not a string [wrong-type]"
        ],
    ),
    (
        "invalid-regex",
        "speakers:\n  patterns: ['^(?P<who>[A-Z]+):']\n",
        [
            "qualcode.yaml:2:14: error: speaker pattern needs a named group (?P<name>...) for "
            "the speaker [invalid-regex]"
        ],
    ),
    (
        "unknown-key-nested",
        "transcripts:\n  folder: transcripts\n  metdata: meta.csv\n",
        [
            "qualcode.yaml:3:3: error: unknown key 'metdata' in 'transcripts' "
            "(did you mean 'metadata'?) [unknown-key]"
        ],
    ),
    (
        "not-a-mapping",
        "- codebooks\n",
        ["qualcode.yaml:1:1: error: qualcode.yaml must be a mapping of settings [not-a-mapping]"],
    ),
    (
        "yaml-syntax",
        "codebooks: [a\n",
        ["qualcode.yaml:2:1: error: invalid YAML: did not find expected ',' or ']' [yaml-syntax]"],
    ),
    (
        "config",
        "codebooks:\n  - codebooks/*.yaml\n  - extra/*.yaml\n",
        ["qualcode.yaml:3:5: warning: codebook pattern 'extra/*.yaml' matches no file [config]"],
    ),
    (
        "no-codebooks",
        "codebooks: [books/*.yaml]\n",
        [
            "qualcode.yaml: error: the project loads no codebook [no-codebooks]",
            "qualcode.yaml:1:13: warning: codebook pattern 'books/*.yaml' matches no file [config]",
        ],
    ),
]


@pytest.mark.parametrize(
    ("case", "config", "expected"), CONFIG_CASES, ids=[c[0] for c in CONFIG_CASES]
)
def test_config_rules(
    runner: CliRunner, in_tmp: Path, case: str, config: str, expected: list[str]
) -> None:
    project_with_config(in_tmp, config)
    code, lines, _ = run(runner)
    assert lines == expected
    assert code == (0 if all(": warning: " in line for line in expected) else 1)


def test_config_checked_as_a_path(runner: CliRunner, in_tmp: Path) -> None:
    write(in_tmp / "qualcode.yaml", "segmentaton: turn\n")
    code, lines, stderr = run(runner, "qualcode.yaml")
    assert code == 1
    assert lines == [
        "qualcode.yaml:1:1: error: unknown key 'segmentaton' in qualcode.yaml "
        "(did you mean 'segmentation'?) [unknown-key]"
    ]
    assert stderr.endswith("(1 file checked).\n")


def test_no_project_is_a_usage_error(runner: CliRunner, in_tmp: Path) -> None:
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "no qualcode.yaml found" in result.stderr
    assert "qualcode init" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_from_a_subfolder_finds_the_project(
    runner: CliRunner, bundled_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bundled_project / "codebooks")
    code, lines, _ = run(runner, "--strict")
    assert (code, lines) == (0, [])


def test_check_project_reports_broken_codebook_in_place(
    runner: CliRunner, bundled_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(bundled_project)
    path = bundled_project / "codebooks" / "backbone-practices.yaml"
    lines = path.read_text(encoding="utf-8").split("\n")
    number = next(i for i, line in enumerate(lines) if line.strip() == "name: Managing tensions")
    lines[number] = lines[number].replace("name:", "nmae:")
    path.write_text("\n".join(lines), encoding="utf-8")
    code, out, _ = run(runner)
    assert code == 1
    assert (
        f"codebooks/backbone-practices.yaml:{number + 1}:9: error: unknown key 'nmae' in code "
        "'managing-tensions' (did you mean 'name'?) [unknown-key]"
    ) in out
    assert (
        "codebooks/backbone-practices.yaml:"
        f"{number}:9: error: code 'managing-tensions' is missing required key 'name' "
        "[missing-field]"
    ) in out


def test_a_numeric_regex_is_text_like_a_numeric_keyword() -> None:
    from qualcode.codebook.load import parse_codebook

    loaded = parse_codebook(
        "codebook: {id: x, title: X}\ncodes:\n  - id: a\n    name: A\n    definition: d\n"
        "    rules:\n      - regex: 401\n",
        "x.yaml",
    )
    assert [r.regex for r in loaded.codes[0].rules] == ["401"]


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("codes:\n  - id: a\n    name: A\n     definition: d\n", "check the indentation there"),
        ("codes:\n  - id: a\n    name: A\n   definition: d\n", "check the indentation there"),
        (
            "codes:\n  - id: b\n    name: B\n    parent: a\n    definition: d\n",
            "a code's parent is the code it is nested under",
        ),
    ],
    ids=["indented-too-far", "indented-too-little", "parent-key"],
)
def test_hints_say_what_a_new_user_got_wrong(
    runner: CliRunner, in_tmp: Path, text: str, hint: str
) -> None:
    write(in_tmp / "cb.yaml", "codebook: {id: x, title: X}\n" + text)
    result = runner.invoke(app, ["check", "cb.yaml"])
    assert result.exit_code == 1
    assert any(line.startswith("    hint: " + hint) for line in result.stdout.splitlines())


def test_rules_on_a_group_code_are_an_error(runner: CliRunner, in_tmp: Path) -> None:
    """A `rules:` block dedented one step lands on the parent group and stays valid YAML; `code`
    then proposed a code that `decide` refuses to apply."""
    write(
        in_tmp / "cb.yaml",
        "codebook: {id: x, title: X}\ncodes:\n  - id: g\n    name: G\n    codable: false\n"
        "    children:\n      - id: a\n        name: A\n        definition: d\n"
        "    rules:\n      - keywords: [homes]\n",
    )
    code, lines, _ = run(runner, "cb.yaml")
    assert code == 1
    assert lines == [
        "cb.yaml:11:9: error: code 'g' is a group (codable: false) but has rule g/1: it would "
        "propose a code nobody may apply [invalid-rule]"
    ]
