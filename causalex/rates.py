"""Frame rates causalex accepts for a face video (no heavy imports: the CLI reads these at start-up).

A rate outside ``[FPS_MIN, FPS_MAX]`` is a mistake, not a video: OpenFace timestamps written in
milliseconds read as 0.03 fps and would make resampling to the working rate allocate gigabytes.
"""

from __future__ import annotations

import math
import numbers

FPS_MIN = 1.0  # slowest frame rate accepted (time-lapse webcams go down to a few fps)
FPS_MAX = 1000.0  # fastest (SAMM-LV is 200 fps; high-speed cameras reach about 1000)


def fps_problem(fps: float) -> str | None:
    """Why ``fps`` is not a usable frame rate (one phrase), or None when it is."""
    if not isinstance(fps, numbers.Real):
        return f"{fps!r} is not a number of frames per second"
    if not (math.isfinite(fps) and FPS_MIN <= fps <= FPS_MAX):
        return f"{float(fps):g} fps is not between {FPS_MIN:g} and {FPS_MAX:g} fps"
    return None


__all__ = ["FPS_MAX", "FPS_MIN", "fps_problem"]
