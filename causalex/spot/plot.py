"""A simple per-video score plot: the spotter's curves over time with the spotted intervals shaded."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from causalex.fileio import atomic_write
from causalex.viz import plot_format

_COLOURS = {"micro": "tab:red", "macro": "tab:blue"}


def plot_score_tracks(tracks: list, path: str | os.PathLike, max_videos: int = 12, title: str = "") -> Path:
    """Write a figure with one panel per video (at most ``max_videos``): curves and spotted intervals, shaded
    and named in the legend; the format (png, pdf, svg) follows the path's suffix.

    Args:
        tracks: `causalex.spot.spotter.ScoreTrack` objects.
        path: the file to write (atomically).
        max_videos: panels drawn; the rest are left out (named in the figure title).
        title: figure title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shown = tracks[:max_videos]
    fig, axes = plt.subplots(max(1, len(shown)), 1, figsize=(12, 1.9 * max(1, len(shown))), squeeze=False)
    for ax, track in zip(axes[:, 0], shown):
        for name, curve in track.curves.items():
            t = np.arange(len(curve)) / track.fps
            style = "-" if name.endswith("apex") or name == "activity" else ":"
            colour = _COLOURS.get(name.split("_")[0], "tab:gray")
            ax.plot(t, curve, style, color=colour, lw=0.8, label=name)
        for iv in track.intervals:
            rate = track.source_fps or track.fps
            ax.axvspan(iv.onset / rate, (iv.offset + 1) / rate, color=_COLOURS.get(iv.type, "tab:gray"), alpha=0.2)
        ax.set_ylabel(track.video, rotation=0, ha="right", fontsize=8)
        ax.margins(x=0)
    from matplotlib.patches import Patch

    handles, _ = axes[0, 0].get_legend_handles_labels()
    handles += [Patch(color=_COLOURS.get(kind, "tab:gray"), alpha=0.2, label=f"predicted {kind}")
                for kind in ("micro", "macro") if any(iv.type == kind for tr in shown for iv in tr.intervals)]
    axes[0, 0].legend(handles=handles, loc="upper right", fontsize=7, ncol=4)
    axes[-1, 0].set_xlabel("time (s)")
    extra = f" ({len(tracks) - len(shown)} more videos not shown)" if len(tracks) > len(shown) else ""
    fig.suptitle((title or "spotting scores") + extra, fontsize=10)
    fig.tight_layout()
    out = Path(path)
    with atomic_write(out) as tmp:
        fig.savefig(tmp, dpi=110, format=plot_format(out))
    plt.close(fig)
    return out
