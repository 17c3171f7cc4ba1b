"""Logging helpers shared by the library and the CLI."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def info_logs_off(name: str = "causalex") -> Iterator[None]:
    """INFO logs of logger ``name`` and its children off inside the block, unless debug logging is on
    (``--verbose``); warnings stay. For work that reports its progress another way, or repeats a log per fold.
    """
    logger = logging.getLogger(name)
    level = logger.level
    if not logger.isEnabledFor(logging.DEBUG):
        logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


__all__ = ["info_logs_off"]
