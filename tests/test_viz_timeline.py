"""AU timeline plot: spans for ground truth, outlined boxes for predictions, score curves, checks."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from causalex.simulate import generate_corpus
from causalex.viz.timeline import TYPE_COLOURS, plot_timeline, plot_timelines


@pytest.fixture(scope="module")
def corpus():
    return generate_corpus("tiny", bias=1.0, seed=0)


def _rectangles(ax):
    from matplotlib.patches import Rectangle

    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_timeline_draws_truth_filled_and_predictions_outlined(corpus, tmp_path):
    s = corpus.series[0]
    truth = [iv for iv in corpus.labels if iv.video == s.video]
    preds = [replace(iv, onset=iv.onset + 2, score=0.5) for iv in truth[:1]]
    other = replace(truth[0], video="another_video")
    scores = {"macro": np.linspace(0, 1, s.n_frames), "micro": np.zeros(s.n_frames)}
    fig = plot_timeline(s, truth + [other], preds, scores, path=tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ax_intervals, ax_scores = fig.axes[1], fig.axes[2]
    rects = _rectangles(ax_intervals)
    filled = [r for r in rects if r.get_fill()]
    outlined = [r for r in rects if not r.get_fill()]
    assert len(filled) == len(truth) and len(outlined) == 1  # the other video's label is not drawn
    iv = preds[0]
    assert outlined[0].get_x() == pytest.approx(iv.onset / s.fps)
    assert outlined[0].get_width() == pytest.approx(iv.length / s.fps)
    import matplotlib.colors as mcolors

    assert mcolors.to_hex(outlined[0].get_edgecolor()) == TYPE_COLOURS[iv.type]
    assert [line.get_label() for line in ax_scores.get_lines()] == ["macro score", "micro score"]


def test_timeline_without_scores_has_two_panels(corpus):
    fig = plot_timeline(corpus.series[1], corpus.labels, [], None, max_seconds=5)
    assert len([ax for ax in fig.axes if ax.get_label() != "<colorbar>"]) == 2
    assert fig.axes[0].get_xlim()[1] == pytest.approx(5.0)


def test_timeline_rejects_scores_of_the_wrong_length(corpus):
    s = corpus.series[0]
    with pytest.raises(ValueError, match=r"must be \[T\]"):
        plot_timeline(s, [], [], {"micro": np.zeros(s.n_frames - 1)})
    with pytest.raises(ValueError, match="unknown score type"):
        plot_timeline(s, [], [], {"apex": np.zeros(s.n_frames)})


def test_timelines_one_png_per_video(corpus, tmp_path):
    paths = plot_timelines(corpus.series, corpus.labels, [], tmp_path / "tl", max_videos=2, max_seconds=3)
    assert [p.name for p in paths] == [f"timeline_{s.video}.png" for s in corpus.series[:2]]
    assert all(p.is_file() for p in paths)
