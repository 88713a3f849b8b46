"""Loading YAML safely: positions, duplicate keys, unsafe tags, alias bombs, depth, bad files.

Each bad input must give a clear one-line message naming the file (and line where there is one),
never a traceback, and do so quickly.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import write
from qualcode.cli import app
from qualcode.errors import YamlError
from qualcode.yamlio import MAX_DEPTH, key_position, load_yaml, position_of

# -- the loader ------------------------------------------------------------------------------------


def test_positions_of_keys_values_and_items() -> None:
    loaded = load_yaml("a: 1\nb:\n  - x\n  - {c: 2}\n", "f.yaml")
    doc = loaded.data
    assert doc == {"a": 1, "b": ["x", {"c": 2}]}
    assert key_position(doc, "b") == (2, 1)
    assert position_of(doc, "a") == (1, 4)
    assert position_of(doc["b"], 1) == (4, 5)
    assert position_of(doc["b"][1], "c") == (4, 9)
    assert loaded.duplicates == []


def test_duplicate_keys_are_collected_not_silently_dropped() -> None:
    loaded = load_yaml("id: a\nname: x\nid: b\n", "f.yaml")
    assert loaded.data["id"] == "a"  # the first wins; the second is reported
    [dup] = loaded.duplicates
    assert (dup.key, dup.pos, dup.first_pos) == ("id", (3, 1), (1, 1))


def test_empty_document_is_none() -> None:
    assert load_yaml("", "f.yaml").data is None
    assert load_yaml("# only a comment\n", "f.yaml").data is None


def test_syntax_error_has_line_and_column() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml("a: [1, 2\nb: 3\n", "f.yaml")
    err = info.value
    assert err.message.startswith("invalid YAML")
    assert (err.path, err.line) == ("f.yaml", 2)
    assert err.column is not None


def test_tab_indentation_hint_mentions_tabs() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml("a:\n\tb: 1\n", "f.yaml")
    assert "tab" in (info.value.hint or "").lower()
    assert info.value.line == 2


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['echo hi']\n",
        "a: !!python/name:os.system\n",
        "a: !custom 1\n",
        "a: !!binary aGVsbG8=\n",
    ],
)
def test_non_standard_tags_are_refused(text: str) -> None:
    with pytest.raises(YamlError) as info:
        load_yaml(text, "f.yaml")
    assert "is not allowed" in info.value.message
    assert info.value.line == 1


def test_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    text = f'a: !!python/object/apply:os.system ["touch {marker}"]\n'
    with pytest.raises(YamlError):
        load_yaml(text, "f.yaml")
    assert not marker.exists()


# A hang guard, not a speed test: what it guards against takes hours or never ends, while a
# loaded two-core CI machine can take a few seconds for the refusal itself.
HANG = 30.0


def billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghijk"[:levels]:
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def test_alias_bomb_refused_before_expanding() -> None:
    started = time.perf_counter()
    with pytest.raises(YamlError) as info:
        load_yaml(billion_laughs(), "bomb.yaml")
    assert time.perf_counter() - started < HANG
    assert "alias bomb" in info.value.message
    assert "alias" in (info.value.hint or "")


def test_small_aliases_are_fine() -> None:
    doc = load_yaml("base: &b [x, y]\ncopy: *b\n", "f.yaml").data
    assert doc["copy"] == ["x", "y"]


def test_merge_keys_refused() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml("base: &b {x: 1}\nother:\n  <<: *b\n", "f.yaml")
    assert "merge keys" in info.value.message
    assert info.value.line == 3


@pytest.mark.parametrize("levels", [MAX_DEPTH + 2, 10_000, 200_000])
def test_deep_nesting_refused_without_crashing(levels: int) -> None:
    # 200,000 levels used to crash libyaml's recursive composer (a segfault, not a message).
    text = "a: " + "[" * levels + "]" * levels + "\n"
    with pytest.raises(YamlError) as info:
        load_yaml(text, "deep.yaml")
    assert "nested too deeply" in info.value.message
    assert info.value.line == 1


def test_deep_block_mapping_refused() -> None:
    text = (
        "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5))
        + "  " * (MAX_DEPTH + 5)
        + "v\n"
    )
    with pytest.raises(YamlError) as info:
        load_yaml(text, "deep.yaml")
    assert "nested too deeply" in info.value.message


def test_nesting_at_the_limit_is_fine() -> None:
    depth = MAX_DEPTH - 1
    doc = load_yaml("[" * depth + "]" * depth, "f.yaml").data
    assert isinstance(doc, list)


def test_mapping_as_key_refused() -> None:
    with pytest.raises(YamlError) as info:
        load_yaml("? [a, b]\n: 1\n", "f.yaml")
    assert "plain value" in info.value.message


# -- the same inputs through `qualcode check FILE` --------------------------------------------------


def run_check(runner: CliRunner, *args: str) -> tuple[int, str, str, float]:
    started = time.perf_counter()
    result = runner.invoke(app, ["check", *args])
    elapsed = time.perf_counter() - started
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr, elapsed


BAD_FILES: list[tuple[str, bytes, int, str, str]] = [
    # name, content, exit code, expected location prefix, expected text in the message
    ("malformed.yaml", b"codebook: {id: x\ncodes: [\n", 1, "malformed.yaml:2:6:", "invalid YAML"),
    ("tabs.yaml", b"codebook:\n  id: x\n\tcodes: []\n", 1, "tabs.yaml:3:1:", "tab"),
    ("list.yaml", b"- a\n- b\n", 1, "list.yaml:1:1:", "the file is a list"),
    ("scalar.yaml", b"hello\n", 1, "scalar.yaml:1:1:", "the file is a scalar"),
    ("empty.yaml", b"", 1, "empty.yaml:1:1:", "the file is empty"),
    (
        "latin1.yaml",
        b"codebook: {id: x}\ncodes: []\nnote: caf\xe9\n",
        2,
        "latin1.yaml:3:10:",
        "byte offset 37",
    ),
    (
        "binary.yaml",
        b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)),
        2,
        "binary.yaml:",
        "binary",
    ),
    (
        "unsafe.yaml",
        b"codebook: {id: x}\ncodes: !!python/object/apply:os.getcwd []\n",
        1,
        "unsafe.yaml:2:8:",
        "is not allowed",
    ),
    ("bomb.yaml", billion_laughs().encode(), 1, "bomb.yaml:1:", "alias bomb"),
    (
        "deep.yaml",
        b"codebook: " + b"[" * 10_000 + b"]" * 10_000 + b"\n",
        1,
        "deep.yaml:1:",
        "nested too deeply",
    ),
    (
        "dupkeys.yaml",
        b"codebook: {id: x}\ncodes: []\ncodes: []\n",
        1,
        "dupkeys.yaml:3:1:",
        "appears twice",
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "exit_code", "location", "text"), BAD_FILES, ids=[b[0] for b in BAD_FILES]
)
def test_bad_codebook_files_give_clear_messages(
    runner: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    content: bytes,
    exit_code: int,
    location: str,
    text: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / name, content)
    code, out, err, elapsed = run_check(runner, name)
    assert code == exit_code
    assert elapsed < HANG
    lines = [line for line in out.splitlines() if not line.startswith("    hint:")]
    assert len(lines) == 1, out
    assert lines[0].startswith(location), out
    assert text in lines[0].lower() or text in lines[0], out
    assert err.startswith("Found 1 error")


def test_python_tag_in_codebook_is_not_executed(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "PWNED"
    write(
        tmp_path / "evil.yaml",
        f'codebook: {{id: evil}}\ncodes: !!python/object/apply:os.system ["touch {marker}"]\n',
    )
    code, out, _, _ = run_check(runner, "evil.yaml")
    assert code == 1
    assert "[yaml-unsafe]" in out
    assert "never executed" in out
    assert not marker.exists()


def test_tab_message_has_tab_hint(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "tabs.yaml", b"codebook:\n\tid: x\n")
    _, out, _, _ = run_check(runner, "tabs.yaml")
    assert "[yaml-syntax]" in out
    assert "hint: YAML does not allow tabs for indentation: indent with spaces" in out


def test_utf8_bom_is_accepted(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "bom.yaml", b"\xef\xbb\xbfcodebook: {id: bom, title: T}\ncodes: []\n")
    code, out, err, _ = run_check(runner, "bom.yaml")
    assert (code, out) == (0, "")
    assert err == "All checks passed (1 file).\n"


def test_utf16_codebook_with_bom_is_read(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "u16.yaml", "codebook: {id: u16}\ncodes: []\n".encode("utf-16"))
    code, out, _, _ = run_check(runner, "u16.yaml")
    assert (code, out) == (0, "")


def test_non_utf8_message_names_byte_offset_and_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "cp.yaml", b"codebook:\n  id: x\n  title: na\xefve\ncodes: []\n")
    code, out, _, _ = run_check(runner, "cp.yaml")
    assert code == 2
    assert out.splitlines()[0] == (
        "cp.yaml:3:12: error: not valid utf-8 at byte offset 29 (byte 0xef) [unreadable-file]"
    )


def test_directory_without_yaml(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder").mkdir()
    code, out, _, _ = run_check(runner, "folder")
    assert code == 2
    assert out.startswith("folder: error: is a directory with no .yaml files [unreadable-file]")


def test_a_transcript_is_not_read_as_a_codebook(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t1.txt").write_text("Interviewer: Hello.\nAna: Hi: there.\n- a\n")
    code, out, _, _ = run_check(runner, "t1.txt")
    assert code == 2
    assert out.startswith("t1.txt: error: is not a codebook (.yaml) or qualcode.yaml")
    assert "`qualcode check` with no file checks the whole project" in out
    assert "YAML" not in out


def test_missing_path(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, _, _ = run_check(runner, "nope.yaml")
    assert code == 2
    assert out.startswith("nope.yaml: error: codebook not found [unreadable-file]")


def test_twenty_megabyte_file_refused_quickly(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    head = b"codebook: {id: huge}\ncodes: []\n"
    write(tmp_path / "huge.yaml", head + b"#" * (20_000_000 - len(head) - 1) + b"\n")
    code, out, _, elapsed = run_check(runner, "huge.yaml")
    assert code == 2
    assert elapsed < HANG
    assert out.startswith("huge.yaml: error: codebook is 20.0 MB, more than the 5 MB allowed")


def test_unreadable_qualcode_yaml_in_project(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "qualcode.yaml", b"codebooks: [\xff]\n")
    result = runner.invoke(app, ["check"])
    assert result.exit_code == 2
    assert "qualcode.yaml" in result.stderr
    assert "error: not valid utf-8 at byte offset 12 (byte 0xff)" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_an_apostrophe_in_single_quotes_gets_a_hint_and_a_date_is_a_version(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by a helper: French keywords copied the README's single quotes ('l'économie') and
    got 'fix the YAML syntax there'; `version: 2024-01-01` was 'not a string, must be a string'
    though the JSON Schema took it."""
    monkeypatch.chdir(tmp_path)
    head = "codebook: {id: x, title: X, version: 2024-01-01}\ncodes:\n  - id: a\n    name: A\n"
    write(tmp_path / "date.yaml", (head + "    definition: D\n").encode())
    code, out, _, _ = run_check(runner, "date.yaml")
    assert code == 0, out  # a date is text to JSON Schema and editors: version "2024-01-01"
    rule = "    definition: D\n    rules:\n      - keywords: ['l'économie', \"prix\"]\n"
    write(tmp_path / "quote.yaml", (head.replace("2024-01-01", "'1'") + rule).encode())
    code, out, _, _ = run_check(runner, "quote.yaml")
    assert code == 1
    assert "quote.yaml:7:23: error: invalid YAML" in out
    assert "double it ('l''économie') or use double quotes" in out
