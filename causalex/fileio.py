"""Atomic file writing and content hashing.

Every file causalex writes goes through `atomic_write`, so that an error or a kill never leaves a
half-written output behind: data goes to a temporary file in the target folder, which is renamed over
the target only once it is complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from causalex.errors import input_error


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` when the block succeeds.

    The caller writes the whole file to the yielded path (with any library). On an exception the
    temporary file is removed and ``path`` is left as it was.

    Args:
        path: final destination. Its folder is created if missing.
        suffix: suffix of the temporary file (defaults to the destination's own suffix, so that
            libraries that pick a format from the extension keep working).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise input_error(path.parent, f"cannot create output folder ({exc.strerror})") from exc
    if not os.access(path.parent, os.W_OK):
        raise input_error(path.parent, "output folder is not writable")
    if path.is_dir():
        raise input_error(path, "is a folder; give a file path to write")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix if suffix is not None else path.suffix,
                                   dir=path.parent)
    except OSError as exc:
        raise input_error(path, f"cannot write ({exc.strerror or exc})") from exc
    os.close(fd)
    tmp_path = Path(tmp)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
    try:
        yield tmp_path
        try:
            os.replace(tmp_path, path)
        except OSError as exc:
            raise input_error(path, f"cannot write ({exc.strerror or exc})") from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def check_output_file(path: str | os.PathLike, inputs: Iterable[str | os.PathLike | None] = ()) -> None:
    """Check, before any work, that a file can be written at ``path`` without harming an input.

    Refuses a path that is a folder, that is one of the ``inputs`` files (the command would overwrite
    what it reads; folders, missing paths and None among them are ignored), or whose folder cannot be created or written to (probed by creating and removing a
    temporary file in the nearest existing folder, so read-only mounts and permissions are caught).

    Raises:
        InputError: naming ``path`` and the problem.
    """
    path = Path(path)
    if path.is_dir():
        raise input_error(path, "is a folder; give a file path to write")
    if path.exists():
        for item in inputs:
            if item is not None and Path(item).is_file() and os.path.samefile(item, path):
                raise input_error(path, "is also an input of this command; writing there would overwrite it, "
                                        "choose another output path")
    folder = path.parent.absolute()
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise input_error(path, f"cannot write: {folder} is not a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".causalex-probe.", dir=folder)
    except OSError as exc:
        raise input_error(path, f"cannot write in {folder} ({exc.strerror or exc})") from exc
    os.close(fd)
    os.unlink(probe)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_write(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def file_sha256(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def read_utf8_text(path: str | os.PathLike, kind: str = "text") -> str:
    """The text of a UTF-8 file (a byte-order mark is dropped).

    Args:
        path: the file.
        kind: what the file should be, for the message (``text``, ``text CSV``, ...).

    Raises:
        InputError: not UTF-8 (``not a UTF-8 <kind> file (byte 0xff at offset 0)``) or unreadable.
    """
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise input_error(path, f"not a UTF-8 {kind} file (byte {exc.object[exc.start]:#04x} at offset "
                                f"{exc.start})") from None
    except OSError as exc:
        raise input_error(path, f"cannot read the file ({exc.strerror or exc})") from None
