"""Error types shared by the library and the CLI.

`InputError` marks bad input from the user (a missing file, a malformed CSV, an unknown name).
The CLI prints its message on one line and exits with code 2; anything else is a failure (exit 1).
"""

from __future__ import annotations

import os


class InputError(ValueError):
    """Bad input: the message is one line that names the file (and row) and the problem."""


def input_error(path: str | os.PathLike | None, problem: str, row: int | None = None) -> InputError:
    """Build an `InputError` whose message reads ``<path>[, row N]: <problem>``.

    Args:
        path: the offending file or folder (None when there is no file).
        problem: what is wrong, one line.
        row: 1-based data row (header excluded) when the problem is in one row.
    """
    where = str(path) if path is not None else "input"
    if row is not None:
        where += f", row {row}"
    return InputError(f"{where}: {problem}")


def require_file(path: str | os.PathLike, what: str = "file") -> None:
    """Raise `InputError` unless ``path`` is an existing regular file."""
    if not os.path.exists(path):
        raise input_error(path, f"{what} does not exist")
    if not os.path.isfile(path):
        raise input_error(path, f"{what} is not a regular file")
