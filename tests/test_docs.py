"""The README is part of the interface: its commands must exist and CI must run its test command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qualcode.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def shell_blocks() -> list[str]:
    return re.findall(r"```(?:sh|console)\n(.*?)```", README, flags=re.DOTALL)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    blocks = shell_blocks()
    test_command = next(line for b in blocks for line in b.splitlines() if "pytest" in line)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test_command.strip() in ci.splitlines()


def test_the_first_command_installs_and_runs_the_main_job() -> None:
    first = shell_blocks()[0].strip()
    assert "pip install -e ." in first
    assert first.endswith("qualcode code && .venv/bin/qualcode summary --by partnership_type")


def readme_commands() -> list[list[str]]:
    """Each `qualcode sub [sub]` invocation in the README's shell blocks (before any option)."""
    found = []
    for block in shell_blocks():
        for line in block.splitlines():
            command = line.lstrip("$ ").split("  #")[0]
            for part in re.split(r"&&|;|\|", command):
                words = part.split()
                while words and not words[0].endswith("qualcode"):
                    words.pop(0)
                if len(words) >= 2 and not words[1].startswith("-"):
                    found.append(words[1:3])
    return found


@pytest.mark.parametrize("words", readme_commands(), ids=lambda w: " ".join(w))
def test_every_readme_command_exists(words: list[str]) -> None:
    runner = CliRunner()
    result = runner.invoke(app, [words[0], "--help"])
    assert result.exit_code == 0, f"qualcode {words[0]}: {result.output}"
    if words[0] in {"codebook", "export", "import"} and len(words) > 1:
        sub = runner.invoke(app, [*words, "--help"])
        assert sub.exit_code == 0, f"qualcode {' '.join(words)}: {sub.output}"
