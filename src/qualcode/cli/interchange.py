"""Interchange with other QDA tools: `qualcode codebook import`, `qualcode export qdpx`,
`qualcode import qdpx` (REFI-QDA for NVivo, ATLAS.ti, MAXQDA, QualCoder; CSV from Taguette)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qualcode.cli.app import QualcodeGroup, app, codebook_app, export_app
from qualcode.cli.options import ProjectOpt, QuietOpt

import_app = typer.Typer(
    cls=QualcodeGroup,
    help="Import projects from other QDA tools (REFI-QDA .qdpx) and caption files (.vtt, .srt).",
    epilog="Example: `qualcode import qdpx their.qdpx -o study`; "
    "`qualcode import captions zoom/*.vtt -o transcripts`.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(import_app, name="import")

MAX_CODEBOOK_FILE_BYTES = 50_000_000


class ImportFormat(StrEnum):
    qdc = "qdc"
    csv = "csv"
    dictionary = "dictionary"


_FORMAT_BY_SUFFIX = {
    ".qdc": ImportFormat.qdc,
    ".xml": ImportFormat.qdc,
    ".csv": ImportFormat.csv,
    ".tsv": ImportFormat.csv,
    ".yaml": ImportFormat.dictionary,
    ".yml": ImportFormat.dictionary,
}


def _say_notes(notes: list[str], quiet: bool) -> None:
    from qualcode.cli.output import say

    if not quiet:
        for note in notes:
            say(f"note: {note}")


@codebook_app.command(
    name="import",
    epilog="Examples: `qualcode codebook import study.qdc -o codebooks/study.yaml` (NVivo, "
    "ATLAS.ti, MAXQDA, QualCoder); `qualcode codebook import tags.csv -o codebooks/tags.yaml` "
    "(Taguette, spreadsheets); `qualcode codebook import lexicon.yml --format dictionary`.",
)
def import_codebook(
    file: Annotated[Path, typer.Argument(help="Codebook file: .qdc, .csv or a YAML dictionary.")],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the codebook YAML here (default: stdout).",
            show_default=False,
        ),
    ] = None,
    input_format: Annotated[
        ImportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="qdc (REFI-QDA), csv or dictionary (default: from the file extension).",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing -o file.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Turn another tool's codebook into a qualcode codebook (YAML).

    Notes about what could not be carried over (code sets, missing definitions, unusable words) go
    to stderr. Check the result with `qualcode check FILE`.
    """
    from qualcode.cli.output import output_stream, say
    from qualcode.errors import UsageError
    from qualcode.project import display_path
    from qualcode.textio import read_bytes

    chosen = input_format or _FORMAT_BY_SUFFIX.get(file.suffix.casefold())
    if chosen is None:
        hint = (
            "a .qdpx is a whole project: use `qualcode import qdpx FILE -o DIR`"
            if file.suffix.casefold() == ".qdpx"
            else "pass --format qdc, csv or dictionary"
        )
        raise UsageError(f"cannot tell the format of {file} from its extension", hint=hint)
    if output is not None and output.exists() and not force:
        raise UsageError(
            f"{output} already exists", hint="pass --force to overwrite it, or choose another -o"
        )
    shown = display_path(file)
    data = read_bytes(file, max_bytes=MAX_CODEBOOK_FILE_BYTES, what="codebook file")
    if chosen is ImportFormat.qdc:
        from qualcode.refi import qdc_to_codebook_yaml

        text, notes = qdc_to_codebook_yaml(data, shown)
    elif chosen is ImportFormat.csv:
        from qualcode.codebook.importers import csv_to_codebook_yaml

        text, notes = csv_to_codebook_yaml(data, shown)
    else:
        from qualcode.codebook.importers import dictionary_to_codebook_yaml

        text, notes = dictionary_to_codebook_yaml(data, shown)
    _say_notes(notes, quiet)
    with output_stream(output) as out:
        out.write(text)
    if output is not None and not quiet:
        say(f"wrote {output}; next: qualcode check {output}")


@export_app.command(
    name="qdpx",
    epilog="Examples: `qualcode export qdpx -o study.qdpx`; "
    "`qualcode export qdpx -o study.qdpx --coder alice --coder bob`.",
)
def export_qdpx_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The .qdpx file to write.", show_default=False)
    ],
    coder: Annotated[
        list[str] | None,
        typer.Option(
            "--coder",
            "-c",
            help="Coder whose codings to export (repeatable; default: every coder).",
            show_default=False,
        ),
    ] = None,
    project: ProjectOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Export transcripts, codebook and codings as a REFI-QDA project for NVivo, ATLAS.ti, MAXQDA.

    Accepted and proposed codings are exported (rejected ones are not); each selection's
    description records its qualcode status. The file is identical for identical input.
    """
    from qualcode.cli.output import say
    from qualcode.project import load_project, refuse_project_input
    from qualcode.refi import export_qdpx

    proj = load_project(project or Path.cwd())
    refuse_project_input(proj, output)
    notes = export_qdpx(proj, coder or None, output)
    _say_notes(notes, quiet)
    if not quiet:
        say(f"wrote {output}")


@import_app.command(
    name="qdpx",
    epilog="Example: `qualcode import qdpx study.qdpx -o study && cd study && qualcode check`.",
)
def import_qdpx_command(
    file: Annotated[Path, typer.Argument(help="The REFI-QDA project (.qdpx) to import.")],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Folder for the new qualcode project.", show_default=False
        ),
    ],
    quiet: QuietOpt = False,
) -> None:
    """Create a qualcode project from a REFI-QDA project (.qdpx) exported by another QDA tool.

    Text sources become transcripts, users become coders, cases and variables become metadata.
    Notes say what was skipped (PDF, picture and audio sources, memos, sets).
    """
    from qualcode.cli.output import say
    from qualcode.refi import import_qdpx

    notes = import_qdpx(file, output)
    _say_notes(notes, quiet)
    if not quiet:
        say(f"next: cd {output} && qualcode check")


@import_app.command(
    name="captions",
    epilog="Example: `qualcode import captions zoom/*.vtt -o transcripts --interviewer 'Dana Ruiz'`.",
)
def import_captions_command(
    files: Annotated[
        list[Path], typer.Argument(help="WebVTT (.vtt, Zoom, Teams) or SubRip (.srt) files.")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Folder for the transcripts (e.g. transcripts).",
            show_default=False,
        ),
    ],
    interviewer: Annotated[
        list[str] | None,
        typer.Option(
            "--interviewer",
            help="A speaker who asks the questions (repeatable); writes every speaker's role "
            "into front matter.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace transcripts that exist.")] = False,
    quiet: QuietOpt = False,
) -> None:
    """Turn caption files into plain-text transcripts: one `[hh:mm:ss] Name:` turn per speaker.

    Cue numbers and timings are dropped, consecutive cues of one speaker are joined, and the
    speaker comes from the cue's voice tag (`<v Name>`) or a `Name:` prefix. Each FILE becomes
    OUTPUT/<name>.txt; every file is read first, so an error writes nothing.
    """
    from qualcode.captions import convert_caption_files
    from qualcode.cli.output import say

    written = convert_caption_files(files, output, interviewers=interviewer or (), force=force)
    if not quiet:
        for target in written:
            say(f"wrote {target}")
