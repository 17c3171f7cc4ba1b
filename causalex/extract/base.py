"""The extractor interface and its registry: one video in, one `AUSeries` out.

An extractor reads frames from a `FrameSource` one at a time (memory does not grow with the length
of the video) and returns per-frame AU values ``[T, K]`` with a validity mask ``[T]``. Backends
register themselves under a short name (``flow``, ``pyfeat``); `make_extractor` builds one by name.
"""

from __future__ import annotations

import abc
from typing import Any, Callable, Optional

from causalex.errors import InputError, input_error
from causalex.series import AUSeries

# progress(frames_done, frames_total_or_None): called from inside `Extractor.extract`.
FrameProgress = Callable[[int, Optional[int]], None]

_REGISTRY: dict[str, type["Extractor"]] = {}


class BackendUnavailable(InputError):
    """An extractor backend cannot run here; the one-line message says what to install or where to put weights."""


class Extractor(abc.ABC):
    """Turns the frames of one video into an `AUSeries`.

    Subclasses set ``name`` (registry key), ``version`` (bumped whenever the numbers they produce
    change, so that finished videos are re-extracted) and implement `check` and `extract`.
    """

    name: str = ""
    version: str = "0"

    @abc.abstractmethod
    def check(self) -> None:
        """Fail fast, without downloads, if this backend cannot run here.

        Raises:
            BackendUnavailable: one line naming what to install and where weights must be.
        """

    @abc.abstractmethod
    def extract(self, source, progress: FrameProgress | None = None) -> AUSeries:
        """Extract the AU series of one video.

        Args:
            source: a `causalex.extract.frames.FrameSource` (streamed frame by frame).
            progress: optional callback ``progress(frames_done, frames_total)``.

        Returns:
            An `AUSeries` with ``values: [T, K]`` (NaN where masked) and ``mask: [T]``,
            one row per frame the source yields.

        Raises:
            InputError: unreadable video, or no face in any frame.
        """

    def settings(self) -> dict[str, Any]:
        """JSON-serialisable options that change the output (recorded in the manifest, compared on resume)."""
        return {}


def register_extractor(name: str) -> Callable[[type[Extractor]], type[Extractor]]:
    """Class decorator adding an extractor to the registry under ``name``."""

    def deco(cls: type[Extractor]) -> type[Extractor]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"extractor {name!r} is already registered by {_REGISTRY[name].__name__}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def available_extractors() -> list[str]:
    """Names of all registered extractor backends, sorted."""
    _load_builtin_backends()
    return sorted(_REGISTRY)


def make_extractor(name: str, **options: Any) -> Extractor:
    """Build the extractor registered as ``name`` with keyword ``options``.

    Raises:
        InputError: unknown name (the message lists the valid choices), unknown or bad option.
    """
    _load_builtin_backends()
    if name not in _REGISTRY:
        raise input_error(None, f"unknown extractor backend {name!r}; choose one of {', '.join(sorted(_REGISTRY))}")
    try:
        return _REGISTRY[name](**options)
    except InputError:
        raise
    except (TypeError, ValueError) as exc:
        raise input_error(None, f"bad options for extractor {name!r}: {exc}") from exc


def _load_builtin_backends() -> None:
    # Importing the modules runs their @register_extractor decorators; all are light to import
    # (cv2/dlib/torch are imported only when an extractor runs).
    from causalex.extract import flow, pyfeat, roi  # noqa: F401
