"""Reading text files the way researchers actually have them, and writing files atomically.

Reading: UTF-8 with or without BOM, UTF-16 with BOM, CRLF and CR line endings. Anything else (binary
files, invalid UTF-8, a directory, a file too large) becomes an `InputFileError` naming the file and,
for bad bytes, the byte offset and line, so the user knows where to look.

Writing: temp file in the same folder, fsync, rename. A crash leaves either the old or the new file.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

from qualcode.errors import InputFileError

BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def fold(text: str) -> str:
    """Case-insensitive key for names (speakers, labels): `casefold`, with Turkish İ and ı as i.

    `"GÖRÜŞMECİ".casefold()` keeps a combining dot after the i and `"KATILIMCI".casefold()` has
    no dotless ı, so neither equalled the name as written in qualcode.yaml.
    """
    if "\u0130" in text or "\u0131" in text:
        text = text.replace("\u0130", "i").replace("\u0131", "i")
    return text.casefold()


def normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF: every offset in qualcode is into this normalized text."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_bytes(
    path: Path, *, max_bytes: int | None = None, what: str = "file", regular: bool = False
) -> bytes:
    """Read a whole file, turning every OS-level failure into a message a user can act on.

    `regular` refuses pipes and devices: right for files found in a project's folders (a FIFO
    there hung every command), wrong for a path a user names (`qualcode decide <(...)`).
    """
    if not path.exists():
        if path.is_symlink():
            raise InputFileError(
                f"is a symbolic link to nothing (a broken link or a loop), expected a {what}",
                path=path,
                hint="fix or delete the link",
            )
        raise InputFileError(
            f"{what} not found", path=path, hint="check the path, or run from the project folder"
        )
    if path.is_dir():
        raise InputFileError(f"is a directory, expected a {what}", path=path)
    if regular and not path.is_file():  # a pipe would wait forever, /dev/zero never end
        raise InputFileError(
            f"is not a regular file (a pipe, socket or device), expected a {what}",
            path=path,
            hint="move it out of the project folder",
        )
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise InputFileError(
                f"{what} is {size / 1e6:.1f} MB, more than the {max_bytes / 1e6:.0f} MB allowed",
                path=path,
                hint="is this the right file?",
            )
        if max_bytes is None:
            return path.read_bytes()
        with path.open("rb") as handle:  # a device reports size 0: read no more than allowed
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise InputFileError(
                f"{what} is more than the {max_bytes / 1e6:.0f} MB allowed",
                path=path,
                hint="is this the right file?",
            )
        return data
    except PermissionError as exc:
        raise InputFileError("permission denied", path=path) from exc
    except OSError as exc:
        raise InputFileError(f"cannot read: {exc.strerror or exc}", path=path) from exc


def decode_text(data: bytes, path: Path, *, encoding: str | None = None, what: str = "file") -> str:
    """Decode bytes to text with newlines normalized.

    A BOM decides; otherwise UTF-8. `encoding` (e.g. cp1252) is a fallback for files that are not
    valid UTF-8, so one legacy file in a folder does not garble the UTF-8 and UTF-16 ones. NUL bytes
    in a file without a UTF-16 BOM mean a binary file, unless `encoding` names UTF-16/32.
    """
    for bom, name in BOMS:
        if data.startswith(bom):
            return _decode(data[len(bom) :], name, path, what, skipped=len(bom))
    wide = encoding is not None and encoding.lower().replace("_", "-").startswith(
        ("utf-16", "utf16", "utf-32", "utf32")
    )
    if wide:
        if b"\x00" not in data:  # UTF-16/32 text always has NULs; plain UTF-8 never does
            try:
                return normalize_newlines(data.decode("utf-8"))
            except UnicodeDecodeError:
                pass
        return _decode(data, encoding, path, what)  # type: ignore[arg-type]
    if b"\x00" in data:
        raise _nul_error(data, path, what)
    if encoding is None or encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        return _decode(data, "utf-8", path, what)
    try:
        return normalize_newlines(data.decode("utf-8"))
    except UnicodeDecodeError:
        return _decode(data, encoding, path, what)


# Only transcripts and their metadata CSV have an encoding setting; other files must be UTF-8.
_FALLBACK_HINT = (
    "save the file as UTF-8, or name its encoding: `encoding: cp1252` under "
    "`transcripts:` in qualcode.yaml (read by every command; `qualcode code --encoding cp1252` "
    "overrides it for one run of `code` only)"
)
_UTF8_HINT = "save the file as UTF-8 (in most editors: Save As, encoding UTF-8)"


def _nul_error(data: bytes, path: Path, what: str) -> InputFileError:
    """Why a file with NUL bytes is not read, said as precisely as the bytes allow.

    Text never holds NULs, but three kinds of files do: UTF-16 saved without a byte-order mark
    (every other byte of English text is a NUL), text with a few stray NULs (a bad copy, a
    crashed editor), and binary files (a .docx renamed .txt).
    """
    wide = utf16_without_bom(data)
    legacy_ok = what in ("transcript", "metadata CSV")
    if wide:
        return InputFileError(
            f"looks like {wide} text saved without a byte-order mark",
            path=path,
            hint=f"name its encoding: `encoding: {wide}` under `transcripts:` in qualcode.yaml "
            f"(read by every command; `--encoding {wide}` overrides it for one run of `code`), "
            "or save it as UTF-8"
            if legacy_ok
            else _UTF8_HINT,
        )
    nuls = data.count(b"\x00")
    first = data.index(b"\x00")
    before = normalize_newlines(data[:first].decode("utf-8", errors="replace"))
    if nuls <= max(4, len(data) // 100) and _is_plain_utf8(data.replace(b"\x00", b"")):
        more = f" ({nuls - 1} more after it)" if nuls > 1 else ""
        return InputFileError(
            f"NUL byte at byte offset {first}{more}: text files do not hold NULs",
            path=path,
            line=before.count("\n") + 1,
            column=len(before) - (before.rfind("\n") + 1) + 1,
            hint="delete it in an editor (it shows as ^@ or a box), or delete every NUL: "
            "`tr -d '\\000' < FILE > FIXED`",
        )
    return InputFileError(
        f"looks like a binary file, not a text {what}",
        path=path,
        hint="qualcode reads plain text (UTF-8, or UTF-16 with a byte-order mark); export the "
        "document as .txt first"
        + ("; for UTF-16 or UTF-32 text without one, name its encoding" if legacy_ok else ""),
    )


def utf16_without_bom(data: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the first bytes look like mostly-ASCII UTF-16 text."""
    sample = data[:4096]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    for name, zeros, chars in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) >= 0.9 * len(zeros) and chars.count(0) <= 0.1 * len(chars):
            with contextlib.suppress(UnicodeDecodeError):
                data.decode(name)
                return name
    return None


def _is_plain_utf8(data: bytes) -> bool:
    """UTF-8 with no control characters but tab, line breaks and form feed: text, not data."""
    if data.translate(None, _TEXT_CONTROLS) != data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


_TEXT_CONTROLS = bytes([*range(1, 9), *range(14, 32), 127])


def _decode(data: bytes, encoding: str, path: Path, what: str = "file", *, skipped: int = 0) -> str:
    """`skipped`: bytes before `data` in the file (a BOM), so the offset reported is the file's."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        # line and column from the text before the bad byte: in UTF-16 a 0x0A byte is not a
        # line break, and a column counts characters, as editors do
        before = normalize_newlines(data[: exc.start].decode(encoding, errors="replace"))
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        raise InputFileError(
            f"not valid {encoding} at byte offset {exc.start + skipped} "
            f"(byte 0x{data[exc.start]:02x})",
            path=path,
            line=line,
            column=column,
            hint=_FALLBACK_HINT if what in ("transcript", "metadata CSV") else _UTF8_HINT,
        ) from exc
    except LookupError as exc:
        raise InputFileError(f"unknown encoding {encoding!r}", path=path) from exc
    return normalize_newlines(text)


def read_text(
    path: Path,
    *,
    encoding: str | None = None,
    max_bytes: int | None = None,
    what: str = "file",
    regular: bool = False,
) -> str:
    """Read and decode a text file (see `decode_text`)."""
    data = read_bytes(path, max_bytes=max_bytes, what=what, regular=regular)
    return decode_text(data, path, encoding=encoding, what=what)


def _new_file_mode(path: Path) -> int:
    """The mode a plain `open(path, "w")` would give: the old file's, else 0o666 minus the umask.

    mkstemp creates its files 0o600; without this, every rewritten file would become private.
    """
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


@functools.cache
def _umask() -> int:
    """The process's umask, read once: reading it means setting it, which races with threads
    creating files (codings files are written from a background thread)."""
    umask = os.umask(0)
    os.umask(umask)
    return umask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers (and a crash) see either the old or the new file.

    A symbolic link is written through: its target gets the new file and the link stays.
    """
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    mode = _new_file_mode(path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except FileNotFoundError:  # the folder is made only when missing: one system call less
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        try:
            with contextlib.suppress(OSError, AttributeError):  # no fchmod on Windows
                os.fchmod(fd, mode)
            # os.write, not a file object: each system call releases and retakes the GIL, and
            # a buffered file adds three (fstat, ioctl, lseek) while the next transcript is coded
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        Path(tmp_name).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp_name).unlink()
        raise
    # fsync the directory so the rename itself survives a power cut (best effort off POSIX).
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def atomic_write_text(path: Path, text: str) -> None:
    """UTF-8, LF line endings, atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_output(path: Path, data: bytes | str) -> None:
    """Write a file the user named with `-o`: atomically when it is (or will be) a regular file.

    Into a device or a pipe (`-o /dev/stdout`, a FIFO) the data is written as to any stream:
    renaming a file over them replaced `/dev/stdout` itself. Problems are the user's to fix, so
    they are `UsageError`s, never internal errors.
    """
    from qualcode.errors import UsageError

    raw = data.encode("utf-8") if isinstance(data, str) else data
    if path.is_dir():
        raise UsageError(f"{str(path)!r} is a folder", hint="pass a file name after -o")
    try:
        if path.exists() and not path.is_file():  # a device, a FIFO, a socket
            with path.open("wb") as stream:
                stream.write(raw)
        else:
            atomic_write_bytes(path, raw)
    except OSError as exc:
        raise UsageError(
            f"cannot write {str(path)!r}: {exc.strerror or exc}",
            hint="check that its folder exists and is writable",
        ) from exc
