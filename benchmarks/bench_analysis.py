"""Analysis speed: `tally` and `quotes` on 1,000 synthetic transcripts with 100,000 codings.

    python benchmarks/bench_analysis.py

Reports, for the library (in one process) and the CLI (whole command):
- reading transcripts + codings once (`load_analysis_data`),
- `tally` and `quotes` on that data (their own work; goal: under 1 s each),
- `qualcode tally --by partnership_type` and `qualcode quotes` wall time and the start-up share.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import transcript_text, vocabulary

N_TRANSCRIPTS = 1000
N_CODINGS = 100_000
N_CODES = 50


def build(root: Path) -> None:
    from qualcode.project import load_project
    from qualcode.store import Coding, CodingsFile, SegmentNote, anchor_of, write_codings

    rng = random.Random(5)
    vocab = vocabulary()
    (root / "codebooks").mkdir(parents=True)
    (root / "transcripts").mkdir()
    (root / "qualcode.yaml").write_text(
        "metadata:\n  partnership_type: [CLT, ROC, Worker co-op]\n", encoding="utf-8"
    )
    codes = [f"code-{i:02d}" for i in range(N_CODES)]
    lines = [
        "codebook: {id: bench}",
        "codes:",
        "  - id: all",
        "    name: All",
        "    codable: false",
        "    children:",
    ]
    for i, code in enumerate(codes):
        lines += [
            f"      - id: {code}",
            f"        name: Code {i:02d}",
            "        definition: Synthetic.",
            "        rules:",
            f"          - keywords: [{vocab[i * 7]}]",
        ]
    (root / "codebooks" / "bench.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    types = ["CLT", "ROC", "Worker co-op"]
    meta = ["id,partnership,partnership_type"]
    for t in range(N_TRANSCRIPTS):
        (root / "transcripts" / f"t{t:04d}.txt").write_text(
            transcript_text(rng, vocab, 6000), encoding="utf-8"
        )
        meta.append(f"t{t:04d},P{t % 40:02d},{types[t % 3]}")
    (root / "transcripts" / "metadata.csv").write_text("\n".join(meta) + "\n", encoding="utf-8")
    project = load_project(root)
    per_transcript = N_CODINGS // N_TRANSCRIPTS
    for transcript in project.corpus:
        segs = [s for s in transcript.segments if s.role == "informant"]
        chosen: dict[tuple[str, str], Coding] = {}
        while len(chosen) < per_transcript:
            seg = rng.choice(segs)
            code = rng.choice(codes)
            status = rng.choice(["proposed", "proposed", "accepted", "rejected"])
            chosen[(code, seg.id)] = Coding(
                code,
                seg.id,
                seg.start,
                seg.end,
                "rule",
                status,
                (f"{code}/1",),
                "",
                anchor_of(transcript.text[seg.start : seg.end]),
            )
        notes = [SegmentNote(s.id, s.start, s.end, reviewed=True) for s in segs[:5]]
        write_codings(
            project,
            CodingsFile(transcript.id, "auto", transcript.sha256, list(chosen.values()), notes),
        )


def timed(label: str, fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    print(f"{label:46s} {time.perf_counter() - start:6.2f} s")
    return result


def main() -> None:
    from qualcode.analysis import load_analysis_data, quotes, tally
    from qualcode.project import load_project

    root = Path(tempfile.mkdtemp(prefix="qualcode-bench-analysis-"))
    try:
        timed(
            f"build {N_TRANSCRIPTS} transcripts, {N_CODINGS:,} codings", lambda: build(root / "p")
        )
        project = load_project(root / "p")
        data = timed(
            "load_analysis_data (read all, once)",
            lambda: load_analysis_data(project, keep_text=True),
        )
        print(f"  codings counted (not rejected): {len(data.coded):,}")
        timed(
            "tally(by=partnership_type) own work",
            lambda: tally(project, ["partnership_type"], data=data),
        )
        timed(
            "tally(count=informants, percent) own work",
            lambda: tally(
                project, ["partnership_type"], count="informants", percent=True, data=data
            ),
        )
        timed(
            "quotes(by=partnership_type, 3 per group) own work",
            lambda: quotes(project, None, ["partnership_type"], per_group=3, data=data),
        )
        q = [sys.executable, "-m", "qualcode"]
        start = time.perf_counter()
        subprocess.run([*q, "--help"], cwd=root / "p", capture_output=True, check=True)
        startup = time.perf_counter() - start
        for args in (
            ["tally", "--by", "partnership_type", "--format", "csv"],
            ["quotes", "--by", "partnership_type", "--format", "csv"],
        ):
            start = time.perf_counter()
            subprocess.run([*q, *args], cwd=root / "p", capture_output=True, check=True)
            wall = time.perf_counter() - start
            print(
                f"CLI qualcode {' '.join(args[:3]):36s} {wall:6.2f} s (start-up {startup:.2f} s, "
                f"{100 * startup / wall:.0f}%)"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
