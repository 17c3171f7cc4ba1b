"""How long a training run will take: its size before it starts, and a time once the first fold is done.

A run is ``folds x epochs`` fold epochs plus the deployment model's epochs (at most ``epochs``), with the
graph discovered again in every fold for the data-driven graphs. The plan line says that before any work;
after the first fold the measured time per fold gives the time left.
"""

from __future__ import annotations

import time


def plan_line(n_folds: int, epochs: int, final_model: bool, rebuilds_graph: bool, n_videos: int,
              parallel: bool = False) -> str:
    """One line on a run's size, e.g. ``6 folds x 18 epochs + the deployment model (up to 18) = 126 epochs``
    (``parallel``: the folds run as parallel tasks, so no time estimate follows the first one)."""
    total = n_folds * epochs + (epochs if final_model else 0)
    parts = [f"{n_folds} fold{'s' if n_folds != 1 else ''} x {epochs} epoch{'s' if epochs != 1 else ''}"]
    if final_model:
        parts.append(f"the deployment model (up to {epochs})")
    graph = "; the graph is discovered again in every fold" if rebuilds_graph else ""
    after = "; the folds run in parallel" if parallel else "; a time estimate follows the first fold"
    return f"training plan: {' + '.join(parts)} = up to {total} epochs over {n_videos} videos{graph}{after}"


def format_seconds(seconds: float) -> str:
    """``42 s``, ``3.5 min`` or ``1.2 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class FoldClock:
    """Times the folds of a run and words the time left after the first one.

    Args:
        n_folds: folds of the run.
        final_model: whether a deployment model follows (counted as one more fold).
    """

    def __init__(self, n_folds: int, final_model: bool) -> None:
        self.n_units = n_folds + (1 if final_model else 0)
        self.start = time.perf_counter()
        self.timed = 0

    def fold_started(self) -> None:
        """A fold starts training (resumed folds are not timed)."""
        if self.timed == 0:
            self.start = time.perf_counter()

    def fold_done(self, done: int) -> str | None:
        """After ``done`` folds trained in this process: the time-left line (only after the first one)."""
        self.timed += 1
        if self.timed != 1:
            return None
        per_fold = time.perf_counter() - self.start
        left = max(0, self.n_units - done)
        return (f"first fold took {format_seconds(per_fold)}: about {format_seconds(per_fold * left)} left for "
                f"{left} more (folds and deployment model)")
