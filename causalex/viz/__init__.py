"""Plots of causalex results (matplotlib Agg; PNG, PDF or SVG by the file suffix)."""

from __future__ import annotations

import os
from pathlib import Path

from causalex.errors import input_error

PLOT_FORMATS = ("png", "pdf", "svg")


def plot_format(path: str | os.PathLike) -> str:
    """Image format of a plot path from its suffix (png, pdf or svg).

    Raises:
        InputError: another suffix.
    """
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in PLOT_FORMATS:
        raise input_error(path, f"plot must be a {', '.join('.' + f for f in PLOT_FORMATS)} file")
    return fmt
