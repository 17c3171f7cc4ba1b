"""AU timeline of one video: AU intensities, ground truth vs predicted intervals, and score curves.

Three stacked panels sharing the time axis (seconds):

1. AU intensities as a heat map (one row per AU; masked frames hatched grey);
2. expressions: ground truth as filled spans, predictions as outlined boxes on top of them, macro
   and micro in different colours (so a hit reads as a box around a filled span);
3. the model's per-frame score curve per type (optional), with the ground truth shaded behind it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from causalex.fileio import atomic_write
from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.series import AUSeries

log = logging.getLogger(__name__)

TYPE_COLOURS = {"macro": "#1f77b4", "micro": "#d62728"}  # blue, red: distinct for common colour blindness too
MASK_COLOUR = "#bbbbbb"


def _spans(ax, intervals: Sequence[Interval], fps: float, y0: float, height: float, filled: bool) -> None:
    """Draw intervals as rectangles ``[onset, offset + 1) / fps`` (filled or outlined)."""
    from matplotlib.patches import Rectangle

    for iv in intervals:
        colour = TYPE_COLOURS.get(iv.type, "black")
        x0, width = iv.onset / fps, iv.length / fps
        if filled:
            ax.add_patch(Rectangle((x0, y0), width, height, facecolor=colour, alpha=0.45, edgecolor="none"))
        else:
            ax.add_patch(Rectangle((x0, y0), width, height, fill=False, edgecolor=colour, linewidth=1.8))


def _masked_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of invalid frames as ``(start, end_exclusive)``. Shapes: ``mask: [T]`` bool."""
    invalid = np.concatenate([[False], ~mask, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(invalid))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def plot_timeline(series: AUSeries, truth: Sequence[Interval] = (), predictions: Sequence[Interval] = (),
                  scores: Mapping[str, np.ndarray] | None = None, path: str | os.PathLike | None = None,
                  title: str | None = None, max_seconds: float | None = None):
    """Plot the AU timeline of one video.

    Args:
        series: the video's AU series.
        truth: ground-truth intervals (those of other videos are ignored).
        predictions: predicted intervals (those of other videos are ignored).
        scores: optional per-frame score curves by type, e.g. ``{"macro": s1, "micro": s2}``.
        path: PNG file to write (atomically); None only returns the figure.
        title: figure title (default: video and subject).
        max_seconds: show only the first ``max_seconds`` seconds (long videos stay readable).

    Shapes:
        series.values: ``[T, K]``; each ``scores[type]``: ``[T]``.

    Returns:
        The matplotlib Figure (closed after saving when ``path`` is given).

    Raises:
        ValueError: a score array whose length is not T, or an unknown type in ``scores``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fps, t_total = series.fps, series.n_frames
    scores = dict(scores or {})
    for kind, curve in scores.items():
        if kind not in EXPRESSION_TYPES:
            raise ValueError(f"unknown score type {kind!r}; valid: {', '.join(EXPRESSION_TYPES)}")
        if np.asarray(curve).shape != (t_total,):
            raise ValueError(f"{kind} scores must be [T]={t_total}, got shape {np.asarray(curve).shape}")
    t_show = t_total if max_seconds is None else min(t_total, max(1, int(round(max_seconds * fps))))
    truth = [iv for iv in truth if iv.video == series.video and iv.onset < t_show]
    predictions = [iv for iv in predictions if iv.video == series.video and iv.onset < t_show]
    end_s = t_show / fps

    n_panels = 3 if scores else 2
    ratios = [max(2.0, 0.22 * series.n_aus), 1.0] + ([1.6] if scores else [])
    fig, axes = plt.subplots(n_panels, 1, sharex=True, figsize=(13, 1.2 + 1.3 * sum(ratios)),
                             gridspec_kw={"height_ratios": ratios, "hspace": 0.08})
    ax_au, ax_iv = axes[0], axes[1]

    values = np.where(series.mask[:, None], series.values, np.nan)[:t_show]  # [T', K]
    vmax = float(np.nanpercentile(values, 99.5)) if np.isfinite(values).any() else 1.0
    image = ax_au.imshow(values.T, aspect="auto", interpolation="nearest", cmap="viridis", origin="upper",
                         extent=(0.0, end_s, series.n_aus - 0.5, -0.5), vmin=0.0, vmax=max(vmax, 1e-6))
    ax_au.set_yticks(range(series.n_aus), series.au_names, fontsize=7)
    for start, stop in _masked_runs(series.mask[:t_show]):
        ax_au.axvspan(start / fps, stop / fps, facecolor=MASK_COLOUR, hatch="///", edgecolor="white", alpha=0.9)
    colourbar = fig.colorbar(image, ax=axes, fraction=0.015, pad=0.01)
    colourbar.set_label(f"AU intensity ({series.scale})", fontsize=8)
    ax_au.set_title(title or f"{series.video}  (subject {series.subject or '?'}, {fps:g} fps)", loc="left")

    _spans(ax_iv, truth, fps, 0.1, 0.8, filled=True)
    _spans(ax_iv, predictions, fps, 0.2, 0.6, filled=False)
    ax_iv.set_ylim(0, 1)
    ax_iv.set_yticks([])
    ax_iv.set_ylabel("intervals", fontsize=8)
    legend = [Patch(facecolor=TYPE_COLOURS[k], alpha=0.45, label=f"{k} truth") for k in EXPRESSION_TYPES]
    legend += [Patch(facecolor="none", edgecolor=TYPE_COLOURS[k], linewidth=1.8, label=f"{k} predicted")
               for k in EXPRESSION_TYPES]
    ax_au.legend(handles=legend, ncol=4, fontsize=7, loc="lower right", bbox_to_anchor=(1.0, 1.0),
                 frameon=False)

    if scores:
        ax_sc = axes[2]
        _spans(ax_sc, truth, fps, 0.0, 1.0, filled=True)
        for patch in ax_sc.patches:
            patch.set_alpha(0.15)
        time_s = np.arange(t_show) / fps
        for kind in EXPRESSION_TYPES:
            if kind in scores:
                ax_sc.plot(time_s, np.asarray(scores[kind], float)[:t_show], color=TYPE_COLOURS[kind],
                           linewidth=1.0, label=f"{kind} score")
        ax_sc.set_ylim(0, 1.02)
        ax_sc.set_ylabel("score", fontsize=8)
        ax_sc.legend(fontsize=7, loc="upper right")
    axes[-1].set_xlabel("time (s)")
    axes[-1].set_xlim(0, end_s)
    if path is not None:
        path = Path(path)
        with atomic_write(path) as tmp:
            fig.savefig(tmp, dpi=110, format="png", bbox_inches="tight")
        plt.close(fig)
        log.debug("wrote timeline %s", path)
    return fig


def plot_timelines(series: Sequence[AUSeries], truth: Sequence[Interval], predictions: Sequence[Interval],
                   out_dir: str | os.PathLike, scores: Mapping[str, Mapping[str, np.ndarray]] | None = None,
                   max_videos: int | None = None, max_seconds: float | None = None) -> list[Path]:
    """One timeline PNG per video, named ``<out_dir>/timeline_<video>.png``.

    Args:
        series: AU series of the videos.
        truth, predictions: intervals of all videos.
        out_dir: folder of the PNGs (created if missing).
        scores: per video, per type score curves (``scores[video][type]: [T]``); optional.
        max_videos: plot only the first ``max_videos`` videos.
        max_seconds: see `plot_timeline`.

    Returns:
        The written paths.
    """
    out = []
    for s in list(series)[:max_videos]:
        path = Path(out_dir) / f"timeline_{s.video}.png"
        plot_timeline(s, truth, predictions, (scores or {}).get(s.video), path=path, max_seconds=max_seconds)
        out.append(path)
    return out
