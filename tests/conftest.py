"""Shared fixtures: a copy of the bundled study, small hand-made projects, and a CLI runner.

Every test works on copies in `tmp_path`, never on the repository's own files.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
BUNDLED_FILES = ("qualcode.yaml", "codebooks", "transcripts")


def write(path: Path, text: str | bytes) -> Path:
    """Write `text` (dedented) or raw bytes to `path`, creating folders; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8", newline="")
    return path


def copy_bundled(target: Path) -> Path:
    """Copy the bundled study's config, codebooks and transcripts (not its codings) to `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in BUNDLED_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    return target


@pytest.fixture
def bundled_project(tmp_path: Path) -> Path:
    """A tmp_path copy of the repository's qualcode.yaml, codebooks/ and transcripts/."""
    return copy_bundled(tmp_path / "study")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# A small, fully known project used by the coding and transcript tests.
SMALL_CONFIG = """\
codebooks:
  - codebooks/*.yaml
transcripts:
  folder: transcripts
  metadata: transcripts/metadata.csv
segmentation: turn
speakers:
  interviewer: [Interviewer, Q, I]
metadata:
  partnership_type: [CLT, ROC, Worker co-op]
"""

SMALL_CODEBOOK = """\
codebook:
  id: small
  title: Small codebook
  version: "1.0"
codes:
  - id: topics
    name: Topics
    codable: false
    children:
      - id: housing
        name: Housing
        definition: Talk about homes and housing.
        examples: ["We build affordable homes.", "Housing is health."]
        counterexamples: ["We went home early."]
        rules:
          - keywords: ["housing", "homes", "land trust*"]
            exclude: ["nursing homes"]
      - id: health
        name: Health
        definition: Talk about health care.
        examples: ["The hospital cares about health care."]
        counterexamples: ["Our healthy snacks are popular."]
        rules:
          - keywords: ["health care", "hospital*"]
      - id: anchor
        name: Anchor
        definition: The hospital as an anchor institution.
        examples: ["The hospital is an anchor for the neighbourhood."]
        counterexamples: ["The anchor of the boat."]
        rules:
          - near: {terms: [hospital, anchor], within: 5}
"""

SMALL_TRANSCRIPTS = {
    "alpha-clt": """\
        ---
        partnership_type: CLT
        ---
        Interviewer: Tell me about housing in your town.

        Maria Lopez: We run a land trust. Housing is what we do, affordable homes for families.

        Interviewer: And the hospital?

        Maria Lopez: The hospital is an anchor for us. Health care and homes go together.
        """,
    "beta-roc": """\
        Q: What do you do?

        A: I manage the resident-owned community. Nothing about the topics here.

        Q: Any partners?

        A: The hospital helped with housing repairs, not nursing homes.
        """,
}

SMALL_METADATA = "id,partnership_type,organization_type\nbeta-roc,ROC,community wealth building\n"


MakeProject = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Build a small project; every part can be replaced (None leaves it out)."""
    counter = {"n": 0}

    def build(
        *,
        config: str | None = SMALL_CONFIG,
        codebooks: Mapping[str, str] | None = None,
        transcripts: Mapping[str, str | bytes] | None = None,
        metadata: str | bytes | None = SMALL_METADATA,
        name: str | None = None,
    ) -> Path:
        counter["n"] += 1
        root = tmp_path / (name or f"project{counter['n']}")
        root.mkdir(parents=True)
        if config is not None:
            write(root / "qualcode.yaml", config)
        for filename, text in (codebooks or {"small.yaml": SMALL_CODEBOOK}).items():
            write(root / "codebooks" / filename, text)
        files = SMALL_TRANSCRIPTS if transcripts is None else transcripts
        (root / "transcripts").mkdir(exist_ok=True)
        for filename, text in files.items():
            target = root / "transcripts" / (filename if "." in filename else f"{filename}.txt")
            write(target, text)
        if metadata is not None:
            write(root / "transcripts" / "metadata.csv", metadata)
        return root

    return build
