"""Automatic coding: apply the codebook's rules to transcripts and store proposals per coder.

One transcript at a time (memory does not grow with the corpus), optionally in worker processes.
Each transcript's codings file is rewritten atomically, so an interrupted run leaves every file either
old or new, and the next run simply completes the job.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qualcode.engine import Matcher, compile_rules, segment_views
from qualcode.errors import QualcodeError, UsageError, warn
from qualcode.store import (
    Coding,
    CodingsFile,
    MergeReport,
    anchor_of,
    first_codings_text,
    is_consensus,
    merge_proposals,
    parse_codings_bytes,
    proposed_coding,
    read_codings_bytes,
    refuse_if_in_session,
    validate_coder_name,
    write_codings_text,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    from qualcode.project import Project
    from qualcode.transcripts import Transcript


def propose_codings(transcript: Transcript, matcher: Matcher) -> list[Coding]:
    """One proposal per (code, segment) that any rule hits, citing every rule that hit.

    In (segment, code) order, which is the order the codings file is sorted in.
    """
    segments = transcript.segments
    text = transcript.text
    proposals = []
    anchor_seg, anchor = -1, ""
    for seg_no, code_id, rule_ids in matcher.coded_segments(text, segment_views(segments)):
        segment = segments[seg_no]
        if seg_no != anchor_seg:
            anchor_seg, anchor = seg_no, anchor_of(text[segment.start : segment.end])
        proposals.append(
            proposed_coding(code_id, segment.id, segment.start, segment.end, rule_ids, anchor)
        )
    return proposals


def recoder(project: Project) -> Callable[[CodingsFile, Transcript], CodingsFile]:
    """What `qualcode code` makes of a codings file on an edited transcript, without writing it.

    For the tables and agreement of codings whose transcript changed: they count what the next
    `qualcode code` would store. The matcher is compiled on first use only (most runs have no
    edited transcript).
    """
    compiled: list[Matcher] = []

    def recode(old: CodingsFile, transcript: Transcript) -> CodingsFile:
        if not compiled:
            compiled.append(compile_rules(project.codebook))
        matcher = compiled[0]
        # a consensus is only re-anchored, as `qualcode code` does to it
        proposals = [] if old.merged_from else propose_codings(transcript, matcher)
        merged, _ = merge_proposals(old, proposals, transcript, old.coder, matcher.rule_ids)
        return merged

    return recode


@dataclass(frozen=True)
class TranscriptResult:
    transcript_id: str
    size: int = 0
    proposals: int = 0
    report: MergeReport = field(default_factory=MergeReport)
    warnings: tuple[str, ...] = ()
    error: QualcodeError | None = None


def code_one(
    project: Project, matcher: Matcher, transcript_id: str, coder: str
) -> TranscriptResult:
    """Code one transcript and write its codings file; input problems are returned, not raised."""
    (result,) = code_transcripts(project, matcher, [transcript_id], coder)
    return result


def code_transcripts(
    project: Project, matcher: Matcher, transcript_ids: Iterable[str], coder: str
) -> Iterator[TranscriptResult]:
    """Code transcripts in order, yielding each result once its codings file is on disk.

    Files are written (temp file, fsync, rename) by a background thread while the next
    transcripts are coded: waiting for the disk was up to a third of a run, and fsync releases
    the GIL. At most `_WRITES_PENDING` files wait to be written, so memory stays flat.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    pending: deque[tuple[TranscriptResult, Future[Path] | None]] = deque()
    merged = is_consensus(project, coder)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="qualcode-write") as writer:
        try:
            for transcript_id in transcript_ids:
                result, text = _code_in_memory(project, matcher, transcript_id, coder, merged)
                written = (
                    None
                    if text is None
                    else writer.submit(write_codings_text, project, coder, transcript_id, text)
                )
                pending.append((result, written))
                if len(pending) > _WRITES_PENDING:
                    yield _once_written(*pending.popleft())
            while pending:
                yield _once_written(*pending.popleft())
        except BaseException:  # a crash or Ctrl-C: write nothing more than was reported
            for _, written in pending:
                if written is not None:
                    written.cancel()
            raise


# Enough to ride out a slow fsync (two workers' fsyncs queue up in the filesystem's journal).
_WRITES_PENDING = 4


def _code_in_memory(
    project: Project, matcher: Matcher, transcript_id: str, coder: str, merged: bool = False
) -> tuple[TranscriptResult, str | None]:
    """The transcript's result and the new text of its codings file.

    The text is None when there is nothing to write: on an error, and when the file would not
    change (a re-run with the same text and rules leaves every file, and its mtime, alone).
    A consensus from `qualcode merge` (`merged`) is only re-anchored: rule proposals there
    would count as decisions nobody made (the coders may have rejected them).
    """
    try:
        refuse_if_in_session(project, coder, transcript_id)
        transcript = project.corpus.load(transcript_id)
        stored = read_codings_bytes(project, coder, transcript_id)
        text: str | None
        if merged and stored is None:  # merge makes these files; nothing to re-anchor
            return TranscriptResult(transcript_id, len(transcript.text), 0, MergeReport()), None
        if stored is None:  # coded for the first time: every proposal is new, nothing to merge
            found = matcher.coded_segments(transcript.text, segment_views(transcript.segments))
            text = first_codings_text(transcript, coder, found)
            proposed, report = len(found), MergeReport(added=len(found))
        else:
            old = parse_codings_bytes(project, coder, transcript_id, stored)
            proposals = [] if merged else propose_codings(transcript, matcher)
            merged, report = merge_proposals(old, proposals, transcript, coder, matcher.rule_ids)
            text, proposed = merged.to_text(), len(proposals)
            if text.encode("utf-8", "surrogatepass") == _as_stored(stored):
                text = None
    except QualcodeError as exc:
        return TranscriptResult(transcript_id, error=exc), None
    result = TranscriptResult(
        transcript_id, len(transcript.text), proposed, report, transcript.warnings
    )
    return result, text


def _as_stored(data: bytes) -> bytes:
    """A codings file's bytes with CRLF as LF: git with core.autocrlf (Windows) checks files
    out with CRLF, and rewriting each one with LF showed every file as modified."""
    return data.replace(b"\r\n", b"\n") if b"\r" in data else data


def _once_written(result: TranscriptResult, written: Future[Path] | None) -> TranscriptResult:
    if written is not None:
        try:
            written.result()
        except QualcodeError as exc:  # disk full...: the old file is unchanged
            return TranscriptResult(result.transcript_id, error=exc)
    return result


# Worker-process state: the project and compiled matcher, built once per worker.
_worker: dict[str, object] = {}


def _init_worker(root: str, encoding: str | None = None) -> None:
    from dataclasses import replace

    from qualcode.project import load_project

    project = load_project(root)
    if encoding != project.config.encoding:  # e.g. `qualcode code --encoding cp1252`
        project.config = replace(project.config, encoding=encoding)
    _worker["project"] = project
    _worker["matcher"] = compile_rules(project.codebook)
    _collect_less()  # for the worker's whole life


def _work(args: tuple[list[str], str]) -> list[TranscriptResult]:
    transcript_ids, coder = args
    return list(code_transcripts(_worker["project"], _worker["matcher"], transcript_ids, coder))  # type: ignore[arg-type]


def run_plan(
    project: Project, transcript_ids: str | Sequence[str] | None, coder: str | None
) -> tuple[list[str], str]:
    """The transcripts to code (all when none are named; an id named twice is coded once) and
    the coder (the project's default when None), checked before any work: an unknown id, a
    coder name that cannot be a folder, or a broken codebook raises here, not in every result."""
    coder_name = validate_coder_name(coder or project.config.coder)
    _ = project.codebook
    from qualcode.api import as_names

    named = as_names(transcript_ids)  # `"a2, r1"` is two ids, not six letters
    ids = list(dict.fromkeys(named)) if named else project.require_transcripts()
    for transcript_id in ids:
        project.corpus.file(transcript_id)  # unknown ids -> message with did-you-mean
    return ids, coder_name


def code_corpus(
    project: Project,
    transcript_ids: str | Sequence[str] | None = None,
    coder: str | None = None,
    *,
    jobs: int = 1,
    on_result: Callable[[TranscriptResult], None] | None = None,
) -> list[TranscriptResult]:
    """Code the given transcripts (all by default) and return one result per transcript, in
    the order given; a transcript that cannot be read has its error in its result."""
    results = list(iter_code_corpus(project, transcript_ids, coder, jobs=jobs))
    if on_result:
        for result in results:
            on_result(result)
    return results


def iter_code_corpus(
    project: Project,
    transcript_ids: str | Sequence[str] | None = None,
    coder: str | None = None,
    *,
    jobs: int = 1,
) -> Iterator[TranscriptResult]:
    """Like `code_corpus`, yielding results as they finish (for progress bars)."""
    if jobs < 1:
        raise UsageError(f"jobs must be 1 or more, not {jobs}")
    ids, coder_name = run_plan(project, transcript_ids, coder)
    yield from _run(project, ids, coder_name, jobs)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the cyclic garbage collector less often while coding.

    Each transcript allocates thousands of small objects (a proposal per coded segment and code)
    that die with it and form no cycles; with the default threshold the collector walks them,
    and every object of the project and the matcher, many times per transcript. That was a
    fifth of a run with a rich codebook.
    """
    threshold = _collect_less()
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()


def _collect_less() -> tuple[int, int, int]:
    """Freeze what exists now (project, codebook, matcher: it lives for the whole run) and raise
    the gen-0 threshold; returns the old thresholds."""
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, *threshold[1:])
    return threshold


def _run(
    project: Project, transcript_ids: Sequence[str], coder: str, jobs: int
) -> Iterator[TranscriptResult]:
    if jobs <= 1 or len(transcript_ids) < 2:
        matcher = compile_rules(project.codebook)
        with _fewer_collections():
            yield from code_transcripts(project, matcher, transcript_ids, coder)
        return
    import multiprocessing
    import sys
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if main_file is not None and not Path(main_file).is_file():
        # `python - <<EOF`: each worker would first run the main program from a file that is
        # not there ('<stdin>'), and die
        warn("coding in one process: worker processes need the main program to be a file")
        yield from _run(project, transcript_ids, coder, 1)
        return

    # forkserver, not fork: the progress bar's thread may hold a lock at the moment of a fork.
    # Workers fork from a server that has imported qualcode already; each compiles the matcher
    # once (the main process does not need one).
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["qualcode.autocode", "qualcode.project"])
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(transcript_ids)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(str(Path(project.root)), project.config.encoding),
    ) as pool:
        # Several transcripts per task, so a worker codes some while it writes others; at least
        # four tasks per worker, so that they all finish at about the same time.
        size = max(1, min(16, len(transcript_ids) // (4 * jobs)))
        batches = [list(transcript_ids[i : i + size]) for i in range(0, len(transcript_ids), size)]
        try:
            for results in pool.map(_work, [(batch, coder) for batch in batches]):
                yield from results
        except BrokenProcessPool:
            raise UsageError(
                "the worker processes stopped before they finished (files already coded are "
                "written; the others are as they were)",
                hint='in a Python script, run the coding under `if __name__ == "__main__":`; '
                "else use one process (jobs=1), or look for a lack of memory",
            ) from None
