"""AU selection: which AUs (and links) a model may use, decided from the discovered graph.

Debiasing edges alone does not keep a corpus's bias out of a model: the model reads every AU node's
own features, so an AU that moves with expressions only in one corpus (lighting, a population's habit,
an extractor's artefact) reaches the read-out whatever its edges. The rule below decides per AU, and
writes a reason for each into the graph file (``AUGraph.selection``).

Evidence per link (`causalex.discover.timeseries`): its kind (``-->`` time-ordered, ``<->`` lagged both
ways: a hidden common cause, ``o-o`` contemporaneous only) and, when several corpora (contexts) were
given, whether it is *corpus-specific* (strong in one corpus, absent or much weaker in another: a
mechanism acts the same way everywhere, a bias does not; Peters, Buehlmann and Meinshausen 2016) or
*invariant*. The rule, in order:

1. A corpus-specific link is dropped (``kept = False``).
2. An AU with corpus-specific links whose specific evidence outweighs its invariant evidence (sum of
   link strengths) is **not selected**: ``corpus-specific``. An AU with a real mechanism link as well
   as a biased one keeps its mechanism (it stays selected; only the biased link goes).
3. An AU whose every link is ``<->`` stays selected with the reason ``confounded`` (it moves with other
   AUs only through a hidden common cause, or through a mechanism faster than one lag step): its links
   are dropped, the AU is kept. With one corpus the reason says that a second corpus is needed to tell
   a corpus's bias from a shared physiological cause; leaving the AU out on that evidence alone would drop
   real mechanism AUs whose lags are shorter than a step.
4. An AU with a kept time-ordered link is selected: ``mechanism``; any other AU is selected with
   ``no evidence`` (nothing says it is biased; leaving it out would only lose signal).
5. Edges touching an AU that is not selected are dropped.

With a single corpus, a bias whose latent reaches one AU before another looks exactly like a mechanism
link (no test on one corpus can tell them apart): the graph's provenance then says
``selection_contexts = 1`` and every report repeats that the selection needs a second corpus.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from causalex.discover.background import BackgroundKnowledge
from causalex.discover.debias import debias_edges
from causalex.graph import GraphEdge

REASONS = ("mechanism", "corpus-specific", "confounded", "no evidence")


def _strength(e: GraphEdge) -> float:
    """A link's evidence: its strongest per-context strength, else 1 (no context information)."""
    return max(e.context_strength.values()) if e.context_strength else 1.0


def select_aus(nodes: list[str], tested: list[str], edges: list[GraphEdge], specific: set[frozenset[str]],
               n_contexts: int) -> tuple[dict[str, dict[str, Any]], list[GraphEdge]]:
    """Apply the selection rule (module doc).

    Args:
        nodes: every AU of the graph.
        tested: AUs that entered discovery (the others are selected with ``no evidence``).
        edges: PAG edges after debiasing (``kept`` set by the policy).
        specific: AU pairs whose link is corpus-specific.
        n_contexts: number of corpora the evidence came from.

    Returns:
        (``{AU: {"selected", "reason"}}`` for every node, edges with ``kept``/``reason`` updated).
    """
    edges = _drop_specific(edges, specific)
    spec_w: dict[str, float] = {a: 0.0 for a in nodes}
    inv_w: dict[str, float] = {a: 0.0 for a in nodes}
    partners: dict[str, list[str]] = {a: [] for a in nodes}
    kinds: dict[str, set[str]] = {a: set() for a in nodes}
    for e in edges:
        pair_specific = frozenset((e.source, e.target)) in specific
        for a, b in ((e.source, e.target), (e.target, e.source)):
            kinds[a].add(e.kind)
            if pair_specific:
                spec_w[a] += _strength(e)
                partners[a].append(b)
            else:
                inv_w[a] += _strength(e)
    selection: dict[str, dict[str, Any]] = {}
    for a in nodes:
        if a not in tested:
            selection[a] = {"selected": True, "reason": "no evidence (not tested: constant or duplicate)"}
        elif spec_w[a] > 0 and spec_w[a] >= inv_w[a]:
            selection[a] = {"selected": False, "reason": f"corpus-specific: moves with {', '.join(sorted(partners[a]))} "
                                                          "in one corpus only"}
        elif kinds[a] and kinds[a] <= {"<->"}:
            others = sorted({e.target if e.source == a else e.source for e in edges if a in (e.source, e.target)})
            note = ("it holds in every corpus given" if n_contexts > 1 else
                    "with one corpus a corpus's bias cannot be told from a shared cause: give a second corpus "
                    "(--context)")
            selection[a] = {"selected": True, "reason": f"confounded: linked to {', '.join(others)} only through a "
                                                         f"hidden common cause (<->; edges dropped, the AU kept: {note})"}
        elif any(e.kept and e.kind in ("-->", "<--") and a in (e.source, e.target) for e in edges):
            selection[a] = {"selected": True, "reason": "mechanism: a time-ordered link that holds"
                                                        + (" in every corpus" if n_contexts > 1 else "")}
        else:
            selection[a] = {"selected": True, "reason": "no evidence of bias"}
    return selection, _drop_deselected(edges, selection)


def _drop_specific(edges: list[GraphEdge], specific: set[frozenset[str]]) -> list[GraphEdge]:
    """Rule 1: corpus-specific links are not kept."""
    return [replace(e, kept=False, reason=f"corpus-specific link ({_contexts_text(e)}): a corpus's bias, "
                                          "not a shared mechanism")
            if frozenset((e.source, e.target)) in specific else e for e in edges]


def _drop_deselected(edges: list[GraphEdge], selection: dict[str, dict[str, Any]]) -> list[GraphEdge]:
    """Rule 5: kept edges touching an AU that is not selected are dropped."""
    out = []
    for e in edges:
        off = [a for a in (e.source, e.target) if not selection[a]["selected"]]
        if off and e.kept:
            e = replace(e, kept=False, reason=f"{e.reason}; dropped: {' and '.join(off)} not selected")
        out.append(e)
    return out


def apply_selection(names: list[str], tested: list[str], edges: list[GraphEdge], specific: set[frozenset[str]],
                    n_contexts: int, policy: str, threshold: float = 0.0,
                    background: BackgroundKnowledge | None = None
                    ) -> tuple[dict[str, dict[str, Any]], list[GraphEdge], np.ndarray]:
    """Debias ``edges`` with ``policy`` and apply the AU selection: the graph's selection, edges and adjacency.

    The selection reads the evidence as the ``conservative`` policy does (a time-ordered link that passes the
    stability threshold and the background knowledge counts as a mechanism), whatever ``policy`` decides
    about the edges the model uses; corpus-specific links and links of AUs that are not selected are then
    dropped from the model's adjacency.

    Returns:
        (``{AU: {"selected", "reason"}}``, edges with ``kept`` / ``reason``, adjacency ``[K, K]``).
    """
    evidence, evidence_adjacency = debias_edges(names, edges, "conservative", threshold, background)
    selection, selected = select_aus(names, tested, evidence, specific, n_contexts)
    if policy == "conservative":  # the model's edges are the evidence's: debiased and selected once
        edges, adjacency = selected, evidence_adjacency
    else:
        edges, adjacency = debias_edges(names, edges, policy, threshold, background)
        edges = _drop_deselected(_drop_specific(edges, specific), selection)
    adjacency = masked_adjacency(names, adjacency, selection)
    for e in edges:
        if not e.kept:
            a, b = names.index(e.source), names.index(e.target)
            adjacency[a, b] = adjacency[b, a] = 0
    return selection, edges, adjacency


def _contexts_text(e: GraphEdge) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in e.context_strength.items()) or "one context"


def masked_adjacency(nodes: list[str], adjacency: np.ndarray, selection: dict[str, dict[str, Any]]) -> np.ndarray:
    """The adjacency with the rows and columns of AUs that are not selected cut. Shapes: ``[K, K]``."""
    out = np.array(adjacency, copy=True)
    for k, a in enumerate(nodes):
        if not selection.get(a, {}).get("selected", True):
            out[k, :] = 0
            out[:, k] = 0
    return out
