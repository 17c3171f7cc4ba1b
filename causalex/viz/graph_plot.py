"""Plot an AU graph: AUs on a circle, PAG edges with their endpoint marks drawn as FCI writes them.

Each edge end shows its mark: an arrowhead (``>``), nothing (tail ``-``) or a small open circle
(``o``). Colour tells the edge kind at a glance (directed, latent common cause, undetermined,
undirected); kept edges are solid with a width that grows with bootstrap stability, dropped edges are
faded and dashed. AUs left out of the tests (constant in the data) are drawn grey and dashed.
"""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import numpy as np

from causalex.fileio import atomic_write
from causalex.graph import AUGraph, GraphEdge, display_edges, stability_threshold
from causalex.viz import plot_format

log = logging.getLogger(__name__)

KIND_STYLE = {  # kind family -> (colour, legend text)
    "directed": ("#1f3b73", "directed  i → j  (-->)"),
    "bidirected": ("#c0392b", "latent common cause  (<->)"),
    "circle": ("#7b3294", "undetermined end  (o->, o-o)"),
    "undirected": ("#1b7837", "undirected / prior  (---)"),
}
NODE_RADIUS = 0.085  # in units of the layout circle's radius
ARROW_LENGTH, ARROW_WIDTH, CIRCLE_RADIUS = 0.075, 0.05, 0.022
EDGE_BEND = 0.3  # each edge bends towards the centre by this fraction of its midpoint's radius


def kind_family(edge: GraphEdge) -> str:
    """``directed``, ``bidirected``, ``circle`` or ``undirected`` for the edge's pair of marks."""
    marks = {edge.source_mark, edge.target_mark}
    if "circle" in marks:
        return "circle"
    if marks == {"arrow"}:
        return "bidirected"
    return "directed" if "arrow" in marks else "undirected"


def circle_layout(nodes: list[str]) -> dict[str, np.ndarray]:
    """Node positions on the unit circle, the first node at the top, clockwise."""
    k = max(len(nodes), 1)
    return {n: np.array([math.sin(2 * math.pi * i / k), math.cos(2 * math.pi * i / k)]) for i, n in enumerate(nodes)}


def _draw_mark(ax, tip: np.ndarray, direction: np.ndarray, mark: str, colour: str, alpha: float) -> np.ndarray:
    """Draw ``mark`` whose tip touches a node at ``tip`` (``direction`` points into the node).

    Returns the point where the edge line should stop.
    """
    from matplotlib.patches import Circle, Polygon

    if mark == "arrow":
        base = tip - direction * ARROW_LENGTH
        normal = np.array([-direction[1], direction[0]]) * ARROW_WIDTH / 2
        ax.add_patch(Polygon([tip, base + normal, base - normal], closed=True, facecolor=colour, edgecolor=colour,
                             alpha=alpha, zorder=3))
        return base
    if mark == "circle":
        centre = tip - direction * CIRCLE_RADIUS
        ax.add_patch(Circle(centre, CIRCLE_RADIUS, facecolor="white", edgecolor=colour, linewidth=1.4, alpha=alpha,
                            zorder=3))
        return centre - direction * CIRCLE_RADIUS
    return tip


def _draw_edge(ax, pos: dict[str, np.ndarray], edge: GraphEdge, show_stability: bool) -> None:
    """One edge as a curve bent towards the centre (so it never runs through a neighbouring node)."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    a, b = pos[edge.source], pos[edge.target]
    ctrl = (a + b) / 2 * (1.0 - EDGE_BEND)
    dir_a = (ctrl - a) / max(np.linalg.norm(ctrl - a), 1e-9)  # leaving the source
    dir_b = (b - ctrl) / max(np.linalg.norm(b - ctrl), 1e-9)  # arriving at the target
    colour = KIND_STYLE[kind_family(edge)][0]
    alpha = 0.95 if edge.kept else 0.35
    start = _draw_mark(ax, a + dir_a * NODE_RADIUS, -dir_a, edge.source_mark, colour, alpha)
    end = _draw_mark(ax, b - dir_b * NODE_RADIUS, dir_b, edge.target_mark, colour, alpha)
    width = (0.6 + 2.0 * edge.stability) if edge.kept else 0.9
    curve = MplPath([start, ctrl, end], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3])
    ax.add_patch(PathPatch(curve, facecolor="none", edgecolor=colour, alpha=alpha, linewidth=width,
                           linestyle="-" if edge.kept else (0, (4, 3)), capstyle="butt", zorder=2))
    if show_stability and edge.kept:
        mid = 0.25 * start + 0.5 * ctrl + 0.25 * end
        ax.text(mid[0], mid[1], f"{edge.stability:.2f}", fontsize=6.5, color=colour, ha="center", va="center",
                zorder=4, bbox=dict(boxstyle="round,pad=0.12", facecolor="white", edgecolor="none", alpha=0.8))


def _legend_handles(families: list[str], with_dropped: bool):
    """Legend entries drawing the real marks (a small custom handler)."""
    from matplotlib.legend_handler import HandlerBase
    from matplotlib.lines import Line2D
    from matplotlib.patches import Circle, Polygon

    marks = {"directed": ("tail", "arrow"), "bidirected": ("arrow", "arrow"), "circle": ("circle", "arrow"),
             "undirected": ("tail", "tail"), "dropped": ("tail", "arrow")}

    class MarkedLine(HandlerBase):
        def create_artists(self, legend, orig, x0, y0, width, height, fontsize, trans):
            family = orig.get_label_family()
            colour = KIND_STYLE.get(family, KIND_STYLE["directed"])[0]
            dropped = family == "dropped"
            y = y0 + height / 2
            artists, ends = [], [x0, x0 + width]
            for end, mark, sign in ((0, marks[family][0], -1), (1, marks[family][1], 1)):
                tip = x0 + width if end else x0
                if mark == "arrow":
                    base = tip - sign * 0.45 * height * 1.6
                    artists.append(Polygon([(tip, y), (base, y + 0.32 * height), (base, y - 0.32 * height)],
                                           closed=True, facecolor=colour, edgecolor=colour, transform=trans,
                                           alpha=0.35 if dropped else 1.0))
                    ends[end] = base
                elif mark == "circle":
                    r = 0.28 * height
                    artists.append(Circle((tip - sign * r, y), r, facecolor="white", edgecolor=colour, transform=trans))
                    ends[end] = tip - sign * 2 * r
            line = Line2D(ends, [y, y], color=colour, linewidth=2.0 if not dropped else 1.0, transform=trans,
                          linestyle=(0, (4, 3)) if dropped else "-", alpha=0.35 if dropped else 1.0)
            return [line] + artists

    class Entry(Line2D):
        def __init__(self, family: str, label: str):
            super().__init__([], [], label=label)
            self._family = family

        def get_label_family(self) -> str:
            return self._family

    handles = [Entry(f, KIND_STYLE[f][1]) for f in families]
    if with_dropped:
        handles.append(Entry("dropped", "dropped by debiasing / stability (faded, dashed)"))
    return handles, {Entry: MarkedLine()}


def _subtitle(graph: AUGraph) -> str:
    prov = graph.provenance
    if prov.get("kind") == "causal discovery":
        boot = f", {prov['bootstrap']} bootstrap runs (threshold {prov['threshold']:.2f})" if prov.get("bootstrap") else ""
        if prov.get("method") == "timeseries":
            others = [c for c in prov.get("contexts", {}) if c != "main"]
            read = f"; links tested in {', '.join(others)}" if others else "; one corpus"
            return (f"TIMESERIES (lags up to {prov.get('max_lag_s')} s, alpha {prov.get('alpha')}){boot}, policy "
                    f"{prov.get('policy')}; {prov.get('n_samples', '?')} rows{read}")
        return (f"{prov.get('method', '?').upper()} ({prov.get('engine')}, {prov.get('ci_test')}, alpha "
                f"{prov.get('alpha')}){boot}, policy {prov.get('policy')}; "
                f"{prov.get('n_samples', '?')} frames, features {prov.get('sampling', {}).get('features', '?')}")
    return str(prov.get("kind", ""))


def plot_graph(graph: AUGraph, path: str | os.PathLike | None = None, *, title: str | None = None,
               show_dropped: bool = True, show_unstable: bool = False, show_stability: bool = True):
    """Draw ``graph`` on a circular AU layout.

    Args:
        graph: the AU graph (edges from `causalex.graph.display_edges`).
        path: PNG file to write (atomically); None only returns the figure.
        title: figure title (default: the graph name and edge counts).
        show_dropped: also draw dropped edges (faded, dashed).
        show_unstable: also draw edges below the bootstrap stability threshold (off by default: a
            bootstrap lists every pair adjacent in any run, which would bury the picture).
        show_stability: write the stability of kept edges at their midpoint (skipped when every
            edge has stability 1.0, i.e. without bootstrap).

    Returns:
        the matplotlib ``Figure``.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    threshold = stability_threshold(graph)
    edges = [e for e in display_edges(graph, stable_only=not show_unstable) if show_dropped or e.kept]
    unstable = len(display_edges(graph)) - len(display_edges(graph, stable_only=True))
    show_stability = show_stability and any(e.stability != 1.0 for e in edges)  # all 1.0 without bootstrap
    pos = circle_layout(graph.nodes)
    fig = Figure(figsize=(7.5, 8.0))
    ax = fig.add_axes((0.02, 0.11, 0.96, 0.8))
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_xlim(-1.2, 1.2)
    ax.set_ylim(-1.2, 1.2)
    for e in sorted(edges, key=lambda e: (e.kept, e.stability)):  # kept edges on top
        _draw_edge(ax, pos, e, show_stability)
    dropped_aus = graph.provenance.get("dropped_aus") or {}
    for node, xy in pos.items():
        untested = node in dropped_aus
        left_out = not graph.is_selected(node)  # the AU selection keeps it out of every model
        ax.add_patch(Circle(xy, NODE_RADIUS, facecolor="#f7d9d9" if left_out else "#e6e6e6" if untested else "#eef3fb",
                            edgecolor="#b22222" if left_out else "#888888" if untested else "#1f3b73", linewidth=1.3,
                            linestyle="--" if untested or left_out else "-", zorder=5))
        ax.text(xy[0], xy[1], node, ha="center", va="center", fontsize=8.5, fontweight="bold", zorder=6,
                color="#b22222" if left_out else "#777777" if untested else "#111111")
    if graph.deselected():
        fig.text(0.5, 0.085, f"not used by a model (AU selection): {', '.join(graph.deselected())} (red, dashed)",
                 ha="center", fontsize=8, color="#b22222")
    kept = sum(e.kept for e in edges)
    hidden = f" ({unstable} below stability {threshold:.2f} not drawn)" if unstable and not show_unstable else ""
    heading = f"AU graph {graph.name or ''}: {kept} kept / {len(edges) - kept} dropped edges{hidden}"
    if graph.selection_only:  # edges shown for reading, none used
        heading = f"AU graph {graph.name or ''}: {len(edges)} edges found (the model uses its AU selection only){hidden}"
    fig.suptitle(title or heading,
                 fontsize=12, y=0.975)
    fig.text(0.5, 0.925, _subtitle(graph), ha="center", fontsize=8, color="#444444", wrap=True)
    families = [f for f in KIND_STYLE if any(kind_family(e) == f for e in edges)]
    handles, handler_map = _legend_handles(families, any(not e.kept for e in edges))
    fig.legend(handles=handles, handler_map=handler_map, loc="lower center", ncol=2, fontsize=8.5, frameon=False,
               handlelength=3.2, bbox_to_anchor=(0.5, 0.02))
    if path is not None:
        path = Path(path)
        with atomic_write(path) as tmp:
            fig.savefig(tmp, dpi=150, format=plot_format(path))
        log.debug("wrote graph plot %s", path)
    return fig
