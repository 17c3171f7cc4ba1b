"""One extraction run per output folder: an exclusive lock file holding the owner's process id.

Two runs writing series and a manifest into the same folder would lose one run's manifest rows, so
`run_batch` takes ``<OUT_DIR>/.causalex-extract.lock`` before it touches anything and a second run is
refused with a one-line error naming the folder and the owner's pid. The lock is an operating-system
lock on the open file (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows): it is released when
its process ends, however it ends (even ``kill -9``), so a lock file left by a dead process never
blocks a later run. A run removes its lock file when it ends; a process that locked a file just
removed by its owner notices (the path no longer names the file it locked) and tries again.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Iterator

from causalex.errors import input_error

LOCK_NAME = ".causalex-extract.lock"


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False if another process holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _owner(path: Path) -> str:
    """``pid N`` as written in the lock file, or ``another process`` when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "another process"


@contextlib.contextmanager
def output_lock(out_dir: str | os.PathLike) -> Iterator[Path]:
    """Hold the extraction lock of ``out_dir`` (an existing folder) for the duration of the block.

    Yields:
        The lock file's path (it holds this process's pid while locked).

    Raises:
        InputError: another live process holds the lock (the message names the folder and its pid),
            or the lock file cannot be created.
    """
    path = Path(out_dir) / LOCK_NAME
    fd = _acquire(path, Path(out_dir))
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):  # still locked: a waiting run sees the file gone and retries
                path.unlink()
    finally:
        os.close(fd)


def _acquire(path: Path, out_dir: Path, tries: int = 20) -> int:
    """Open and lock ``path``; the locked file descriptor."""
    for _ in range(tries):
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise input_error(path, f"cannot create the extraction lock file ({exc.strerror or exc})") from exc
        if not _try_lock(fd):
            os.close(fd)
            raise input_error(out_dir, f"another causalex extract ({_owner(path)}) is writing to this folder; "
                                       "wait for it to finish or choose another -o folder")
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the owner removed the file between our open and our lock: take the new one
    raise input_error(path, "could not take the extraction lock (the lock file keeps being replaced)")
