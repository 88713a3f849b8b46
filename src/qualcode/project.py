"""A qualcode project: a folder with `qualcode.yaml`, its codebooks, transcripts and codings.

`qualcode.yaml` is found by walking up from the current directory (like git), so commands work from
any subfolder. Every path in it is relative to the folder that holds it.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qualcode.diagnostics import Diagnostic, error
from qualcode.errors import ConfigError, InputFileError, QualcodeError, YamlError
from qualcode.fields import Field, check_mapping
from qualcode.textio import read_text
from qualcode.yamlio import load_yaml, position_of

if TYPE_CHECKING:
    from qualcode.codebook.model import Codebook
    from qualcode.transcripts import Corpus

CONFIG_NAME = "qualcode.yaml"
SEGMENT_KINDS = ("turn", "paragraph", "sentence")
DEFAULT_INTERVIEWER_LABELS = (
    "interviewer",
    "int",
    "iv",
    "q",
    "i",
    "moderator",
    "facilitator",
    "researcher",
    "question",
)
# Labels that are an informant wherever they appear, even once (`Q: ... A: ...`).
DEFAULT_INFORMANT_LABELS = (
    "a", "r", "answer", "respondent", "interviewee", "participant", "narrator",
)  # fmt: skip

CONFIG_FIELDS: dict[str, Field] = {
    "codebooks": Field(("array",), "Codebook files or globs to load.", items="string"),
    "transcripts": Field(("object",), "Where transcripts live and how to read them."),
    "segmentation": Field(("string",), "Unit of coding: turn, paragraph or sentence."),
    "speakers": Field(("object",), "Speaker label patterns and roles."),
    "metadata": Field(("object",), "Declared values per metadata attribute."),
    "codings": Field(("string",), "Folder of the coders' codings (default codings)."),
    "coder": Field(("string",), "Default coder name (default auto)."),
    "title": Field(("string",), "The study's name, for the report and exports (default: folder)."),
}
TRANSCRIPT_FIELDS: dict[str, Field] = {
    "folder": Field(("string",), "Folder of transcript files."),
    "metadata": Field(("string",), "CSV with one row per transcript id."),
    "extensions": Field(("array",), "File extensions read as transcripts.", items="string"),
    "encoding": Field(("string",), "Text encoding when a file has no BOM (default utf-8)."),
}
SPEAKER_FIELDS: dict[str, Field] = {
    "interviewer": Field(("array",), "Labels of interviewer turns.", items="string"),
    "informant": Field(("array",), "Labels always treated as informants.", items="string"),
    "patterns": Field(("array",), "Extra regexes for a label line (group 'name').", items="string"),
}


@dataclass(frozen=True)
class ProjectConfig:
    """Settings from qualcode.yaml, with defaults filled in."""

    codebooks: tuple[str, ...] = ("codebooks/*.yaml", "codebooks/*.yml")
    transcripts_folder: str = "transcripts"
    metadata_csv: str = "transcripts/metadata.csv"
    extensions: tuple[str, ...] = (".txt", ".md")
    encoding: str | None = None
    segmentation: str = "turn"
    interviewer_labels: tuple[str, ...] = DEFAULT_INTERVIEWER_LABELS
    informant_labels: tuple[str, ...] = DEFAULT_INFORMANT_LABELS
    label_patterns: tuple[str, ...] = ()
    declared_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    codings_folder: str = "codings"
    coder: str = "auto"
    title: str = ""  # the report's and a .qdpx's project name; the folder's name when empty


def display_path(path: Path) -> str:
    """Paths in messages are relative to the current folder when inside it (clickable, short)."""
    try:
        # the folder resolved, not the file: a link in a loop cannot be resolved, and a link is
        # named as it lies in its folder
        return str((path.parent.resolve() / path.name).relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # RuntimeError: a symlink loop (Python 3.11)
        return str(path)


def refuse_project_input(project: Project | None, path: Path, *, what: str = "-o") -> None:
    """Refuse an output path that would overwrite what the project reads.

    `report -o transcripts/x.txt` replaced an interview with HTML, `export qdpx -o
    codings/alice/x.jsonl` a coder's decisions with a ZIP: nothing is ever lost, so an output
    must lie outside the transcripts and codings folders and must not be a codebook or the
    config. `path` may be a file or the folder a command writes into.
    """
    from qualcode.errors import UsageError

    if project is None:
        return
    try:
        target = path.resolve()
        folders = [project.transcripts_dir.resolve(), project.codings_dir.resolve()]
        files = [
            *(p.resolve() for p in project.codebook_paths()),
            project.metadata_path.resolve(),
            *([project.config_path.resolve()] if project.config_path else []),
        ]
    except (OSError, RuntimeError):  # unresolvable (a link loop): the write reports it
        return
    inside = next((f for f in folders if target == f or f in target.parents), None)
    if inside is None and target not in files and _matches_codebook_glob(project, target):
        # a new file there would be read as a codebook, and break every command after it
        raise UsageError(
            f"{what} {str(path)!r} would be read as one of the project's codebooks (it matches "
            f"`codebooks:` in {CONFIG_NAME})",
            hint="write results outside the codebooks folder (e.g. -o results/...)",
        )
    if inside is not None or target in files:
        shown = display_path(inside) if inside is not None else display_path(target)
        raise UsageError(
            f"{what} {str(path)!r} would overwrite the project's own "
            + (f"files in {shown}" if inside is not None else shown),
            hint="write results outside the transcripts, codings and codebook files "
            "(e.g. -o results/...)",
        )


def _matches_codebook_glob(project: Project, target: Path) -> bool:
    import fnmatch

    try:
        relative = target.relative_to(project.root.resolve()).as_posix()
    except (ValueError, OSError, RuntimeError):
        return False
    return any(fnmatch.fnmatch(relative, pattern) for pattern in project.config.codebooks)


def find_project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding qualcode.yaml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def parse_config(text: str, path: str) -> tuple[ProjectConfig, list[Diagnostic]]:
    """Parse qualcode.yaml text; problems are returned, never raised (for `qualcode check`)."""
    diags: list[Diagnostic] = []
    try:
        loaded = load_yaml(text, path)
    except YamlError as exc:
        rule = "yaml-syntax" if exc.message.startswith("invalid YAML") else "yaml-unsafe"
        pos = (exc.line, exc.column or 1) if exc.line else None
        return ProjectConfig(), [error(path, pos, exc.message, rule, exc.hint or "")]
    for dup in loaded.duplicates:
        diags.append(
            error(path, dup.pos, f"key {dup.key!r} appears twice", "duplicate-key", "keep one")
        )
    doc = loaded.data
    if doc is None:
        return ProjectConfig(), diags  # an empty qualcode.yaml means "all defaults"
    if not isinstance(doc, dict):
        diags.append(
            error(path, (1, 1), "qualcode.yaml must be a mapping of settings", "not-a-mapping")
        )
        return ProjectConfig(), diags
    diags += check_mapping(doc, CONFIG_FIELDS, path, "qualcode.yaml")
    values: dict[str, Any] = {}
    if isinstance(doc.get("codebooks"), list):
        values["codebooks"] = tuple(str(v) for v in doc["codebooks"])
    transcripts = doc.get("transcripts")
    if isinstance(transcripts, dict):
        diags += check_mapping(transcripts, TRANSCRIPT_FIELDS, path, "'transcripts'")
        if transcripts.get("folder"):
            values["transcripts_folder"] = str(transcripts["folder"])
        if transcripts.get("metadata"):
            values["metadata_csv"] = str(transcripts["metadata"])
        if isinstance(transcripts.get("extensions"), list):
            values["extensions"] = tuple(
                e if str(e).startswith(".") else f".{e}"
                for e in map(str, transcripts["extensions"])
            )
        if transcripts.get("encoding"):
            encoding = str(transcripts["encoding"])
            problem = check_encoding(encoding, path, position_of(transcripts, "encoding"))
            if problem:
                diags.append(problem)  # and keep the default, so nothing else trips over it
            else:
                values["encoding"] = encoding
    if isinstance(doc.get("title"), (str, int, float)) and str(doc["title"]).strip():
        values["title"] = str(doc["title"]).strip()
    segmentation = doc.get("segmentation")
    if segmentation is not None:
        if segmentation in SEGMENT_KINDS:
            values["segmentation"] = segmentation
        else:
            diags.append(
                error(
                    path,
                    position_of(doc, "segmentation"),
                    f"segmentation must be one of {', '.join(SEGMENT_KINDS)}, not {segmentation!r}",
                    "wrong-type",
                )
            )
    speakers = doc.get("speakers")
    if isinstance(speakers, dict):
        diags += check_mapping(speakers, SPEAKER_FIELDS, path, "'speakers'")
        if isinstance(speakers.get("interviewer"), list):
            values["interviewer_labels"] = tuple(str(s).casefold() for s in speakers["interviewer"])
        if isinstance(speakers.get("informant"), list):
            values["informant_labels"] = tuple(str(s).casefold() for s in speakers["informant"])
        if isinstance(speakers.get("patterns"), list):
            values["label_patterns"] = tuple(str(s) for s in speakers["patterns"])
            diags += _check_label_patterns(speakers["patterns"], path)
    metadata = doc.get("metadata")
    if isinstance(metadata, dict):
        declared = {}
        for attr, allowed in metadata.items():
            if not isinstance(allowed, list):
                diags.append(
                    error(
                        path,
                        position_of(metadata, attr),
                        f"metadata.{attr} must be a list of allowed values",
                        "wrong-type",
                    )
                )
                continue
            declared[str(attr)] = tuple(str(v) for v in allowed)
        values["declared_values"] = declared
    # `coder: 5` is the coder "5", as `type_ok` lets numbers stand for text
    if (codings := _as_text(doc.get("codings"))) is not None:
        values["codings_folder"] = codings
    if (coder := _as_text(doc.get("coder"))) is not None:
        problem = _check_coder(coder, path, position_of(doc, "coder"))
        if problem:
            diags.append(problem)
        else:
            values["coder"] = coder
    return ProjectConfig(**values), diags


def _as_text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value)


def check_encoding(encoding: str, path: str, pos: tuple[int, int] | None) -> Diagnostic | None:
    """`transcripts.encoding` must name a text codec Python knows (as `--encoding` must)."""
    import codecs

    hint = "e.g. utf-8, cp1252, latin-1, utf-16; or remove `encoding:` to read UTF-8"
    try:
        info = codecs.lookup(encoding)
    except LookupError:
        return error(path, pos, f"unknown encoding {encoding!r}", "config", hint)
    if not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib...: bytes.decode fails
        return error(path, pos, f"{encoding!r} is not a text encoding", "config", hint)
    return None


def _check_coder(coder: str, path: str, pos: tuple[int, int] | None) -> Diagnostic | None:
    """The default coder becomes a folder under codings/: the same rule as `--coder`."""
    from qualcode.store import validate_coder_name

    try:
        validate_coder_name(coder)
    except QualcodeError as exc:
        return error(
            path,
            pos,
            exc.message,
            "config",
            "use letters, digits, '-' or '_', e.g. `coder: alice` (it names codings/alice/)",
        )
    return None


def _check_label_patterns(patterns: list[Any], path: str) -> list[Diagnostic]:
    import re

    import re2

    found = []
    for i, pattern in enumerate(patterns):
        try:
            compiled = re.compile(str(pattern))
            options = re2.Options()
            options.log_errors = False
            re2.compile(str(pattern), options)  # what the scanner uses: linear time
        except (re.error, re2.error) as exc:
            reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
            found.append(
                error(
                    path,
                    position_of(patterns, i),
                    f"invalid speaker pattern: {reason}",
                    "invalid-regex",
                    "patterns use RE2 syntax: no lookaround or backreferences",
                )
            )
            continue
        if "name" not in compiled.groupindex:
            found.append(
                error(
                    path,
                    position_of(patterns, i),
                    "speaker pattern needs a named group (?P<name>...) for the speaker",
                    "invalid-regex",
                )
            )
    return found


@dataclass
class Project:
    """A loaded project. Codebook, corpus and codings are loaded on first use."""

    root: Path
    config: ProjectConfig
    config_path: Path | None = None
    config_diagnostics: list[Diagnostic] = field(default_factory=list)

    def __repr__(self) -> str:  # the generated one prints the whole config: pages in a notebook
        return f"<Project {str(self.root)!r}>"

    def relative(self, path: Path) -> str:
        """How a path is shown in messages: relative to the current folder when inside it."""
        return display_path(path)

    def codebook_paths(self) -> list[Path]:
        """Files matched by the `codebooks` globs, in a stable order, each once."""
        seen: dict[Path, None] = {}
        for pattern in self.config.codebooks:
            matches = sorted(glob.glob(str(self.root / pattern), recursive=True))  # noqa: PTH207
            if not matches and not glob.has_magic(pattern):
                matches = [str(self.root / pattern)]  # reported as missing by check
            for match in matches:
                seen.setdefault(Path(match), None)
        return list(seen)

    @property
    def transcripts_dir(self) -> Path:
        return self.root / self.config.transcripts_folder

    @property
    def metadata_path(self) -> Path:
        return self.root / self.config.metadata_csv

    @property
    def codings_dir(self) -> Path:
        return self.root / self.config.codings_folder

    @cached_property
    def codebook(self) -> Codebook:
        from qualcode.codebook.load import load_codebook_files

        paths = self.codebook_paths()
        if not paths:
            raise ConfigError(
                "the project loads no codebook",
                path=self.config_path,
                hint="add YAML files to codebooks/ or list them under `codebooks:` in qualcode.yaml",
            )
        return load_codebook_files(paths, display=self.relative)

    @cached_property
    def corpus(self) -> Corpus:
        from qualcode.transcripts import load_corpus

        return load_corpus(self)

    def require_transcripts(self) -> list[str]:
        """The transcript ids; none is an error, as nothing could be coded or counted."""
        if ids := self.corpus.ids:
            return ids
        from qualcode.errors import UsageError

        raise UsageError(
            f"the project has no transcripts (none in {display_path(self.transcripts_dir)})",
            hint="add interview files ("
            + ", ".join(self.config.extensions)
            + ") to the transcripts folder; `qualcode check` names files there it cannot read",
        )


def load_project(path: str | Path = ".", *, strict: bool = True) -> Project:
    """Find and load the project at or above `path`.

    With `strict`, a broken qualcode.yaml raises ConfigError; otherwise its problems are kept in
    `config_diagnostics` (that is how `qualcode check` reports them all).
    """
    start = Path(path)
    if not start.exists():
        raise ConfigError(f"project folder {str(start)!r} does not exist")
    root = find_project_root(start if start.is_dir() else start.parent)
    if root is None:
        raise ConfigError(
            f"no {CONFIG_NAME} found in {str(start.resolve())!r} or any folder above it",
            hint="run `qualcode init DIR` to create a project, or pass --project DIR",
        )
    config_path = root / CONFIG_NAME
    try:
        text = read_text(config_path, max_bytes=1_000_000, what="qualcode.yaml")
    except InputFileError as exc:
        raise ConfigError(exc.message, path=config_path, hint=exc.hint) from exc
    shown = display_path(config_path)
    config, diags = parse_config(text, shown)
    errors = [d for d in diags if d.severity == "error"]
    if strict and errors:
        first = errors[0]
        raise ConfigError(
            first.message,
            path=first.path,
            line=first.line or None,
            column=first.column or None,
            hint=first.hint or "run `qualcode check` to see every problem",
        )
    return Project(root=root, config=config, config_path=config_path, config_diagnostics=diags)


def config_position(project: Project, *keys: str) -> tuple[int, int] | None:
    """Line and column of a setting's value in qualcode.yaml (None when it cannot be found)."""
    if project.config_path is None:
        return None
    try:
        node = load_yaml(read_text(project.config_path, max_bytes=1_000_000), "qualcode.yaml").data
    except QualcodeError:
        return None
    pos = None
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return pos
        pos = position_of(node, key)
        node = node[key]
    return pos
