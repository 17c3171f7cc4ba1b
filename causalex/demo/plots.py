"""The demo's report plots, drawn with `causalex.viz`: AU timelines, the causal graph, the bias bars."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from causalex.labels import EXPRESSION_TYPES, Interval
from causalex.series import AUSeries

log = logging.getLogger(__name__)

SCORE_CURVE = "inside"  # which per-frame output is drawn as "the model's score" (P(frame inside an expression))


def score_curves(track: Any, series: AUSeries) -> dict[str, np.ndarray]:
    """The model's per-type score curves of one video, on the frames of its series.

    The spotter scores at its working frame rate; curves are linearly interpolated to the series'
    own frame times when the rates or lengths differ.

    Args:
        track: a `causalex.spot.spotter.ScoreTrack` of the video (curves ``<type>_inside``, ``[T_work]``).
        series: the video's AU series (``T`` frames at ``series.fps``).

    Returns:
        ``{"macro": [T], "micro": [T]}`` in [0, 1].
    """
    out = {}
    t_series = np.arange(series.n_frames) / series.fps
    for kind in EXPRESSION_TYPES:
        curve = np.asarray(track.curves[f"{kind}_{SCORE_CURVE}"], dtype=float)  # [T_work]
        if len(curve) == series.n_frames and abs(track.fps - series.fps) < 1e-6:
            out[kind] = curve
        else:
            out[kind] = np.interp(t_series, np.arange(len(curve)) / track.fps, curve)
    return out


def draw_timelines(series: Sequence[AUSeries], truth: Sequence[Interval], predictions: Sequence[Interval],
                   tracks: Sequence[Any], out_dir: Path, max_videos: int | None = None,
                   on_plot: Callable[[int, str], None] | None = None) -> list[Path]:
    """One ``timeline_<video>.png`` per video: AU heat map, truth (filled) vs predictions (boxes), scores.

    Args:
        series: AU series of the videos (corpus B).
        truth: their labels; predictions: the spotted intervals.
        tracks: the spotter's `ScoreTrack` per video (same order as ``series``).
        out_dir: the report folder.
        max_videos: draw only the first ``max_videos`` videos (None: all).
        on_plot: called as ``on_plot(done, video)`` after each plot.
    """
    from causalex.viz.timeline import plot_timeline

    by_video = {t.video: t for t in tracks}
    paths = []
    for i, s in enumerate(list(series)[:max_videos]):
        path = Path(out_dir) / f"timeline_{s.video}.png"
        scores = score_curves(by_video[s.video], s) if s.video in by_video else None
        n_truth = sum(iv.video == s.video for iv in truth)
        n_pred = sum(iv.video == s.video for iv in predictions)
        title = f"corpus B {s.video} (subject {s.subject or '?'}): {n_truth} labelled, {n_pred} spotted"
        plot_timeline(s, truth, predictions, scores, path=path, title=title)
        paths.append(path)
        if on_plot is not None:
            on_plot(i + 1, s.video)
    return paths


def draw_graph(graph: Any, path: Path) -> Path:
    """The causal graph of corpus A (the model's graph) with its PAG marks, kept and dropped edges."""
    from causalex.viz.graph_plot import plot_graph

    kept = len(graph.kept_edges())
    plot_graph(graph, path, title=f"causal AU graph of corpus A (used by the model): {kept} kept, "
                                  f"{len(graph.edges) - kept} dropped edges")
    return path


def draw_bias(bias_doc: dict[str, Any], path: Path) -> Path:
    """In-domain vs cross-domain F1 per graph variant, from the bias report's ``summary``."""
    from causalex.viz.bias_plot import plot_bias_bars

    title = (f"F1 of models trained on {bias_doc['train']['name']}: in-domain (out of fold) vs on "
             f"{bias_doc['test']['name']} (number: cross minus in)")
    plot_bias_bars(bias_doc["summary"], path, title=title)
    return path
