"""Start-up time: `qualcode --help` and `qualcode check` against a bare Typer app, in one run.

    python benchmarks/bench_startup.py [--runs 20]

The goal is `qualcode --help` within 1.3x of a Typer app that does nothing; heavy modules (pandas,
numpy, textual, openpyxl, matplotlib) must not be imported at start-up for that to hold.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BARE_APP = '''
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    print(name)
@app.command()
def bye() -> None:
    """Say bye."""
if __name__ == "__main__":
    app()
'''


def median_seconds(args: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare.py"
        bare.write_text(BARE_APP, encoding="utf-8")
        python = sys.executable
        for warm in ([python, str(bare), "--help"], [python, "-m", "qualcode", "--help"]):
            subprocess.run(warm, cwd=ROOT, capture_output=True, check=False)  # warm the disk cache
        bare_s = median_seconds([python, str(bare), "--help"], args.runs, ROOT)
        help_s = median_seconds([python, "-m", "qualcode", "--help"], args.runs, ROOT)
        bare_run_s = median_seconds([python, str(bare), "hello"], args.runs, ROOT)
        check_s = median_seconds(
            [python, "-m", "qualcode", "check", "--quiet"], max(5, args.runs // 4), ROOT
        )
        # a short command: start-up is most of it (typer 0.29 added 250 ms here: see pyproject)
        list_s = median_seconds(
            [python, "-m", "qualcode", "transcripts", "--format", "csv"],
            max(5, args.runs // 4),
            ROOT,
        )
        imports = subprocess.run(
            [
                python,
                "-c",
                "import sys, qualcode.cli; print(' '.join(sorted(m for m in "
                "('pandas','numpy','textual','openpyxl','matplotlib','lxml','rapidfuzz','pydantic') "
                "if m in sys.modules)))",
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=False,
        ).stdout.strip()
    print(f"bare Typer app --help:      {bare_s * 1000:6.0f} ms (median of {args.runs})")
    print(
        f"qualcode --help:            {help_s * 1000:6.0f} ms  ratio {help_s / bare_s:.2f}x (goal <= 1.3x)"
    )
    print(f"bare Typer app, a command:  {bare_run_s * 1000:6.0f} ms")
    print(f"qualcode transcripts (csv): {list_s * 1000:6.0f} ms")
    print(f"qualcode check (bundled):   {check_s * 1000:6.0f} ms")
    print(f"heavy modules loaded by `import qualcode.cli`: {imports or 'none'}")


if __name__ == "__main__":
    main()
