"""The full-screen session driven by Textual's Pilot at 80x24, headless.

No async test plugin is installed, so each test runs its coroutine with asyncio.run. What is checked
is what a coder relies on: each key press is on disk at once, and the screen shows where they are.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qualcode.project import load_project
from qualcode.scaffold import scaffold_project
from qualcode.session import SessionState
from qualcode.store import lock_path, parse_codings
from qualcode.tui import SessionApp

SECOND = """\
Interviewer: Who brought everyone to the table?

Ana Diaz: Our director convened the lenders and the city.

Interviewer: Anything else?

Ana Diaz: We donated a parcel. That was the easy part.
"""


@pytest.fixture
def project(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "study"
    scaffold_project(root)
    (root / "transcripts" / "second.txt").write_text(SECOND, encoding="utf-8")
    return load_project(root)


def saved(project, transcript: str = "example-interview") -> dict[tuple[str, str], object]:  # type: ignore[no-untyped-def]
    path = project.codings_dir / "alice" / f"{transcript}.jsonl"
    codings = parse_codings(path.read_text(encoding="utf-8"), str(path))
    return {(c.segment, c.code): c for c in codings.codings}


def shown(app: SessionApp, widget_id: str) -> str:
    return str(app.screen.query_one(widget_id).content)  # type: ignore[attr-defined]


def test_the_main_flows(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    state = SessionState.open(project, "alice")

    async def flow() -> None:
        app = SessionApp(state)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert "example-interview (1/2)" in shown(app, "#status")
            assert "segment 1/2" in shown(app, "#status")
            assert "ran the rules" in shown(app, "#message")
            assert "Interviewer: How did the partnership start?" in shown(app, "#before")

            await pilot.press("a")  # accept the selected proposal
            assert saved(project)["t2", "convener"].status == "accepted"  # type: ignore[attr-defined]
            await pilot.press("x")
            assert saved(project)["t2", "convener"].status == "rejected"  # type: ignore[attr-defined]
            await pilot.press("z")
            assert saved(project)["t2", "convener"].status == "accepted"  # type: ignore[attr-defined]
            assert "undid: rejected convener" in shown(app, "#message")
            await pilot.press("y")
            assert saved(project)["t2", "convener"].status == "rejected"  # type: ignore[attr-defined]
            await pilot.press("enter")  # Enter accepts too
            assert saved(project)["t2", "convener"].status == "accepted"  # type: ignore[attr-defined]

            await pilot.press("c", *"cont", "enter")  # add via fuzzy search
            await pilot.pause()
            added = saved(project)[("t2", "contributor")]
            assert (added.origin, added.status) == ("human", "accepted")  # type: ignore[attr-defined]
            await pilot.press("plus", "q", "escape")  # cancelled: nothing added
            await pilot.press("m", *"ok", "enter")  # memo on the selected code
            await pilot.pause()
            assert saved(project)["t2", "contributor"].memo == "ok"  # type: ignore[attr-defined]
            await pilot.press("k", "m", "a", "enter")  # k selects the code above
            await pilot.pause()
            assert saved(project)["t2", "convener"].memo == "a"  # type: ignore[attr-defined]
            await pilot.press("M", *"S M", "enter")
            await pilot.pause()
            assert "✎ S M" in app.screen.query_one("#segment-box").border_subtitle
            await pilot.press("j", "minus")  # remove the code we added
            assert ("t2", "contributor") not in saved(project)

            await pilot.press("n")
            assert "segment 2/2" in shown(app, "#status")
            assert "1/2 reviewed" in shown(app, "#status")
            await pilot.press("p", "u")
            assert "segment 2/2" in shown(app, "#status")
            await pilot.press("t")
            assert "second (2/2)" in shown(app, "#status")
            await pilot.press("slash", *"LAND", "enter")  # wraps to the first transcript
            await pilot.pause()
            assert "example-interview" in shown(app, "#status")
            assert "segment 1/2" in shown(app, "#status")
            await pilot.press("slash", *"zq", "enter")
            await pilot.pause()
            assert "not found" in shown(app, "#message")

            await pilot.press("question_mark")
            await pilot.pause()
            assert type(app.screen).__name__ == "HelpScreen"
            await pilot.press("space")
            await pilot.pause()
            assert type(app.screen).__name__ == "CodingScreen"

            screenshot = app.save_screenshot("session.svg", path=str(tmp_path))
            assert "example" in Path(screenshot).read_text(encoding="utf-8")
            await pilot.press("q")
            await pilot.pause()
        assert app.return_code == 0

    try:
        asyncio.run(flow())
    finally:
        state.close()
    assert not lock_path(project, "alice", "example-interview").exists()


def test_quit_and_reopen_resumes_where_the_coder_stopped(project) -> None:  # type: ignore[no-untyped-def]
    async def first_visit() -> None:
        with SessionState.open(project, "alice") as state:
            app = SessionApp(state)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.press("a", "n", "q")
                await pilot.pause()

    asyncio.run(first_visit())
    assert saved(project)["t2", "convener"].status == "accepted"  # type: ignore[attr-defined]

    # a killed session leaves its lock behind; the next one clears it and says so
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock = lock_path(project, "alice", "example-interview")
    lock.write_text(json.dumps({"pid": dead.pid, "host": os.uname().nodename, "since": 0}))

    async def second_visit() -> None:
        with SessionState.open(project, "alice") as state:
            app = SessionApp(state)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                assert "segment 2/2" in shown(app, "#status")
                assert "1/2 reviewed" in shown(app, "#status")
                assert "cleared a stale lock" in shown(app, "#message")
                await pilot.press("q")

    asyncio.run(second_visit())


def test_ctrl_c_quits_at_once(project) -> None:  # type: ignore[no-untyped-def]
    async def visit() -> None:
        with SessionState.open(project, "bob") as state:
            app = SessionApp(state)
            async with app.run_test(size=(80, 24)) as pilot:
                await pilot.press("a", "ctrl+c")
                await pilot.pause()
                assert not app.is_running
            assert app.return_code == 130  # the exit code of an interrupted command

    asyncio.run(visit())
