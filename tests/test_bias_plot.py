"""Bias plots: grouped bars carry the means and spreads, graph diff and reliance maps render."""

from __future__ import annotations

import numpy as np
import pytest

from causalex.bias import diff_graphs, spread_stats
from causalex.simulate import true_graph
from causalex.viz.bias_plot import plot_bias_bars, plot_graph_diff, plot_reliance


def _summary():
    out = {}
    for k, variant in enumerate(("causal", "full")):
        out[variant] = {}
        for row in ("micro", "macro", "overall"):
            ind, cross = spread_stats([0.6 + 0.1 * k, 0.7 + 0.1 * k]), spread_stats([0.3, 0.36])
            out[variant][row] = {"in_domain": ind, "cross_domain": cross,
                                 "drop": spread_stats([ind["mean"] - cross["mean"]])}
    return out


def test_bias_bars_heights_are_the_means(tmp_path):
    fig = plot_bias_bars(_summary(), tmp_path / "bars.png")
    assert (tmp_path / "bars.png").stat().st_size > 1000
    assert len(fig.axes) == 3
    heights = sorted(round(p.get_height(), 6) for p in fig.axes[2].patches)
    assert heights == sorted([0.65, 0.75, 0.33, 0.33])
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["-0.32", "-0.42"]  # cross minus in, per variant


def test_graph_diff_plot_marks_latent_edges_dashed(tmp_path):
    diff = diff_graphs(true_graph(("AU14", "AU23"), 1.0, {}), true_graph(("AU20", "AU45"), 1.0, {}), "A", "B")
    fig = plot_graph_diff(diff, tmp_path / "diff.png")
    dashed = [line for line in fig.axes[0].get_lines() if line.get_linestyle() == "--" and len(line.get_xdata()) == 2]
    assert len(dashed) == 2 and (tmp_path / "diff.png").is_file()


def test_reliance_heat_map(tmp_path):
    rel = {"causal": {"cross_domain": {au: spread_stats([v]) for au, v in (("AU01", 0.1), ("AU14", -0.2))}}}
    fig = plot_reliance(rel, "cross_domain", tmp_path / "rel.png")
    grid = fig.axes[0].get_images()[0].get_array()
    assert np.allclose(grid, [[0.1, -0.2]])
    assert plot_reliance(rel, "in_domain") is None
    with pytest.raises(KeyError):
        plot_bias_bars({"causal": {}}, None)


def test_bias_bars_add_the_fold_model_bars_when_present():
    summary = _summary()
    for rows in summary.values():
        for cell in rows.values():
            cell["fold_cross_domain"] = spread_stats([0.5])
    fig = plot_bias_bars(summary, None)
    assert len(fig.axes[0].patches) == 3 * 2
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()][-1] == "cross-domain, fold models"
