"""Plots of the cross-dataset bias evaluation: F1 bars per graph variant, the graph diff, AU reliance.

* `plot_bias_bars`: one panel per score row (micro, macro, overall); per graph variant, an in-domain
  bar and a cross-domain bar (plus, when present, the fold models on the test corpus, hatched) with
  error bars = spread over seeds, and the drop (full model) written above.
* `plot_graph_diff`: AU nodes on a circle; edges in both graphs grey, in A only blue, in B only
  orange, different kinds purple; edges FCI marks ``<->`` (latent common cause) dashed.
* `plot_reliance`: heat map of the F1 lost when one AU is removed at test time, per variant.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from causalex.fileio import atomic_write

log = logging.getLogger(__name__)

DOMAIN_STYLE = {"in_domain": ("in-domain (out of fold)", "#4c72b0"), "cross_domain": ("cross-domain", "#dd8452"),
                "fold_cross_domain": ("cross-domain, fold models", "#f2c19e")}
DIFF_STYLE = {"same": ("#9a9a9a", "in both"), "only_a": ("#1f77b4", "only in {a}"),
              "only_b": ("#ff7f0e", "only in {b}"), "changed": ("#9467bd", "different kind")}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | os.PathLike | None) -> None:
    if path is None:
        return
    with atomic_write(Path(path)) as tmp:
        fig.savefig(tmp, dpi=110, format="png", bbox_inches="tight")
    _pyplot().close(fig)
    log.debug("wrote %s", path)


def plot_bias_bars(summary: Mapping[str, Mapping[str, Mapping[str, Any]]], path: str | os.PathLike | None = None,
                   title: str = "", rows: tuple[str, ...] = ("micro", "macro", "overall")):
    """Grouped bars of in-domain vs cross-domain F1 per graph variant, one panel per score row.

    Args:
        summary: ``{variant: {row: {"in_domain": stats, "cross_domain": stats, "drop": stats}}}`` as
            returned by `causalex.bias.summary.summarise_runs` (stats have ``mean`` and ``std``).
        path: PNG to write (atomically); None only returns the figure.
        title: figure title.
        rows: score rows to draw, one panel each.

    Returns:
        The matplotlib Figure.
    """
    plt = _pyplot()
    variants = list(summary)
    x = np.arange(len(variants))
    domains = ["in_domain", "cross_domain"]
    if all("fold_cross_domain" in summary[v][r] for v in variants for r in rows):
        domains.append("fold_cross_domain")
    width = 0.8 / len(domains)
    fig, axes = plt.subplots(1, len(rows), figsize=(4.2 * len(rows), 4.2), sharey=True, squeeze=False)
    for ax, row in zip(axes[0], rows):
        for k, domain in enumerate(domains):
            label, colour = DOMAIN_STYLE[domain]
            means = [summary[v][row][domain]["mean"] for v in variants]
            spreads = [summary[v][row][domain]["std"] for v in variants]
            ax.bar(x + (k - (len(domains) - 1) / 2) * width, means, width, yerr=spreads, capsize=3, color=colour,
                   label=label, error_kw={"elinewidth": 1.0}, hatch="//" if domain == "fold_cross_domain" else None,
                   edgecolor="white" if domain == "fold_cross_domain" else None)
        for i, v in enumerate(variants):
            cell = summary[v][row]
            top = max(cell[d]["mean"] + cell[d]["std"] for d in domains)
            drop = cell["drop"]["mean"]
            if math.isfinite(drop) and math.isfinite(top):
                ax.text(i, top + 0.02, f"{-drop:+.2f}", ha="center", va="bottom", fontsize=8,
                        color="#b22222" if drop > 0 else "#2e7d32")
        ax.set_xticks(x, variants, rotation=20)
        ax.set_title(f"{row} F1", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    axes[0][0].set_ylabel("F1 (mean over seeds, bar = spread)")
    axes[0][0].set_ylim(0, 1.05)
    axes[0][0].legend(fontsize=8, loc="upper left")
    fig.suptitle(title or "In-domain vs cross-domain F1 per graph variant (number: cross minus in)", fontsize=11)
    fig.tight_layout()
    _save(fig, path)
    return fig


def plot_graph_diff(diff, path: str | os.PathLike | None = None, title: str = "", max_listed: int = 34):
    """Draw the diff of two AU graphs (a `causalex.bias.graph_diff.GraphDiff`).

    Left: AU nodes on a circle, edges coloured by group (dashed where either graph has ``<->``).
    Right: the differing pairs as text, ``AUa kind-in-A | kind-in-B AUb``, in the group's colour.

    Args:
        diff: the graph diff.
        path: PNG to write (atomically); None only returns the figure.
        title: figure title (default names both corpora).
        max_listed: at most this many pairs are listed on the right (the rest are counted).

    Returns:
        The matplotlib Figure.
    """
    plt = _pyplot()
    from matplotlib.lines import Line2D

    nodes = diff.nodes
    angle = np.pi / 2 - 2 * np.pi * np.arange(len(nodes)) / max(len(nodes), 1)
    pos = {n: (math.cos(a), math.sin(a)) for n, a in zip(nodes, angle)}
    fig, (ax, ax_text) = plt.subplots(1, 2, figsize=(11.5, 7.2), gridspec_kw={"width_ratios": [1.6, 1.0]})
    listed: list[tuple[str, str]] = []
    for group in ("same", "only_a", "only_b", "changed"):
        colour, _ = DIFF_STYLE[group]
        for change in getattr(diff, group):
            (x0, y0), (x1, y1) = pos[change.a], pos[change.b]
            latent = "<->" in (change.kind_a, change.kind_b)
            ax.plot([x0, x1], [y0, y1], color=colour, linewidth=1.0 if group == "same" else 2.2,
                    linestyle="--" if latent else "-", alpha=0.5 if group == "same" else 0.9, zorder=1)
            if group != "same":
                listed.append((f"{change.a} {change.kind_a or '·':>3} | {change.kind_b or '·':<3} {change.b}", colour))
    for n, (x, y) in pos.items():
        ax.scatter([x], [y], s=650, color="white", edgecolor="#333333", zorder=4)
        ax.text(x, y, n, ha="center", va="center", fontsize=8, zorder=5)
    handles = [Line2D([0], [0], color=c, linewidth=2.2, label=lab.format(a=diff.name_a, b=diff.name_b))
               for c, lab in DIFF_STYLE.values()]
    handles.append(Line2D([0], [0], color="black", linestyle="--", label="<-> (latent) in either"))
    ax.legend(handles=handles, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, frameon=False)
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-1.2, 1.2)
    ax.set_aspect("equal")
    ax.axis("off")
    ax_text.axis("off")
    ax_text.text(0.0, 1.0, f"pair: kind in {diff.name_a} | kind in {diff.name_b}  (· = no edge)", fontsize=8.5,
                 weight="bold", va="top", transform=ax_text.transAxes)
    for i, (text, colour) in enumerate(listed[:max_listed]):
        ax_text.text(0.0, 0.95 - i * 0.027, text, fontsize=8.5, family="monospace", color=colour, va="top",
                     transform=ax_text.transAxes)
    if len(listed) > max_listed:
        ax_text.text(0.0, 0.95 - max_listed * 0.027, f"... and {len(listed) - max_listed} more (report.json)",
                     fontsize=8, va="top", transform=ax_text.transAxes)
    fig.suptitle(title or f"AU graph diff: {diff.name_a} vs {diff.name_b} ({len(diff.same)} pairs the same)",
                 fontsize=11)
    fig.tight_layout()
    _save(fig, path)
    return fig


def plot_reliance(reliance: Mapping[str, Mapping[str, Mapping[str, Any]]], domain: str = "cross_domain",
                  path: str | os.PathLike | None = None, title: str = ""):
    """Heat map of the F1 lost when one AU is removed at test time (rows: variants, columns: AUs).

    Args:
        reliance: ``{variant: {domain: {AU: stats}}}`` from `causalex.bias.summary.summarise_reliance`.
        domain: ``in_domain`` or ``cross_domain``.
        path: PNG to write (atomically); None only returns the figure.
        title: figure title.

    Returns:
        The matplotlib Figure, or None when no variant has reliance scores for ``domain``.
    """
    plt = _pyplot()
    variants = [v for v in reliance if domain in reliance[v]]
    if not variants:
        return None
    aus = list(reliance[variants[0]][domain])
    grid = np.array([[reliance[v][domain].get(au, {"mean": np.nan})["mean"] for au in aus] for v in variants])
    limit = max(float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 0.0, 0.02)
    fig, ax = plt.subplots(figsize=(0.55 * len(aus) + 2.5, 0.5 * len(variants) + 1.8))
    image = ax.imshow(grid, cmap="RdBu_r", vmin=-limit, vmax=limit, aspect="auto")
    for i in range(len(variants)):
        for j in range(len(aus)):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=6.5,
                        color="white" if abs(grid[i, j]) > 0.6 * limit else "black")
    ax.set_xticks(range(len(aus)), aus, rotation=60, fontsize=8)
    ax.set_yticks(range(len(variants)), variants, fontsize=8)
    fig.colorbar(image, ax=ax, fraction=0.03, pad=0.01).set_label("F1 lost without the AU", fontsize=8)
    label = DOMAIN_STYLE.get(domain, (domain,))[0]
    ax.set_title(title or f"AU reliance ({label}): overall F1 lost when the AU is removed", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return fig
