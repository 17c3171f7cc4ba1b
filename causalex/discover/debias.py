"""Debiasing: the documented rule that turns a PAG (with stability) into the adjacency the model uses.

FCI marks each edge end as a tail, an arrowhead or a circle (undetermined). A dataset bias (lighting,
the AU extractor, a subject population) acts on several AUs at once: it is a latent common cause, and
FCI reports the dependence it creates as ``<->`` (or, when it cannot tell, with circles). The rule:

=========  ==========================  =========================================================
edge       ``conservative`` (default)  ``lenient``
=========  ==========================  =========================================================
``-->``    keep, message i -> j        keep, message i -> j
``<->``    drop (latent common cause)  drop (latent common cause)
``o->``    drop (may be confounded)    keep as i -> j (the arrowhead rules out j causing i)
``o-o``    drop (undetermined)         keep, messages both ways
``---``    drop (undirected)           keep, messages both ways
=========  ==========================  =========================================================

``keep-all`` keeps every adjacency (``-->`` one way, anything else both ways): no debiasing, for
ablations. ``selection-only`` keeps no edge: the model passes no message between AUs and uses the graph
only through its AU selection (`causalex.discover.selection`: the AUs a corpus's bias moves are left out);
the edges stay in the file, marked unused, for a reader. Whatever the policy, an edge is dropped first when its stability (fraction of bootstrap
runs in which it appears) is below the threshold, and a message direction that the background
knowledge forbids is removed (the edge is dropped when no direction is left); a required edge
``a --> b`` is always kept one way. Dropped edges stay in the graph file with ``kept = False`` and the
reason, so a reader sees what the dataset suggested and why the model ignores it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from causalex.discover.background import BackgroundKnowledge
from causalex.graph import GraphEdge

POLICIES = ("conservative", "lenient", "keep-all", "selection-only")
DEFAULT_POLICY = "conservative"  # of the frame-level methods (fci, pc)
TIMESERIES_POLICY = "selection-only"  # of the timeseries method: its edges were level with none for spotting
# (in-domain over ten corpora, cross-domain over five corpus pairs; benchmarks/RESULTS.md), its AU selection not


def default_policy(method: str) -> str:
    """The debiasing policy a discovery ``method`` uses when none is given: ``selection-only`` for
    ``timeseries``, ``conservative`` for ``fci`` / ``pc``."""
    return TIMESERIES_POLICY if method == "timeseries" else DEFAULT_POLICY

# policy -> edge kind (read source -> target) -> (message directions, reason). Directions: "fwd" means
# source -> target, "back" target -> source; an empty tuple drops the edge.
_RULES: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "conservative": {
        "o->": ((), "undetermined tail (o->): may be a latent common cause"),
        "<-o": ((), "undetermined tail (<-o): may be a latent common cause"),
        "o-o": ((), "undetermined orientation (o-o)"),
        "---": ((), "undirected (---): direction unknown"),
    },
    "lenient": {
        "o->": (("fwd",), "possibly directed (o->), kept one way"),
        "<-o": (("back",), "possibly directed (<-o), kept one way"),
        "o-o": (("fwd", "back"), "undetermined (o-o), kept both ways"),
        "---": (("fwd", "back"), "undirected (---), kept both ways"),
    },
    "keep-all": {},
    "selection-only": {},
}
_COMMON = {
    "-->": (("fwd",), "directed (-->)"),
    "<--": (("back",), "directed (<--)"),
    "<->": ((), "latent common cause (<->)"),
}


def check_policy(policy: str) -> str:
    """Return ``policy`` if it is known, else raise ValueError listing the valid names."""
    if policy not in POLICIES:
        raise ValueError(f"unknown debiasing policy {policy!r}; valid: {', '.join(POLICIES)}")
    return policy


def edge_rule(kind: str, policy: str) -> tuple[tuple[str, ...], str]:
    """Message directions (``fwd``/``back``) and reason the policy gives an edge kind like ``o->``."""
    check_policy(policy)
    if policy == "selection-only":
        return (), f"{edge_rule(kind, 'conservative')[1]}; not used (the model uses the AU selection only)"
    if policy == "keep-all":
        if kind in ("-->", "<--"):
            return _COMMON[kind]
        return ("fwd", "back"), f"kept both ways ({kind}, no debiasing)"
    if kind in _COMMON:
        return _COMMON[kind]
    rules = _RULES[policy]
    if kind in rules:
        return rules[kind]
    # remaining kinds mix a tail and a circle (-o / o-): FCI's selection-bias patterns, rare
    return ((), f"undetermined orientation ({kind})") if policy == "conservative" else (
        ("fwd", "back"), f"undetermined ({kind}), kept both ways")


def debias_edges(nodes: list[str], edges: list[GraphEdge], policy: str = DEFAULT_POLICY,
                 threshold: float = 0.0, background: BackgroundKnowledge | None = None
                 ) -> tuple[list[GraphEdge], np.ndarray]:
    """Apply the debiasing rule to PAG edges.

    Args:
        nodes: the K node names (adjacency order).
        edges: PAG edges with marks and stability (their ``kept``/``reason`` are overwritten).
        policy: one of `POLICIES`.
        threshold: edges with ``stability < threshold`` are dropped.
        background: forbidden / required directed edges (tiers included through ``is_forbidden``).

    Returns:
        (edges with ``kept`` and ``reason`` set, adjacency ``[K, K]`` int8 with ``A[i, j] = 1`` for a
        message i -> j).

    Raises:
        ValueError: unknown policy.
    """
    check_policy(policy)
    index = {n: i for i, n in enumerate(nodes)}
    adj = np.zeros((len(nodes), len(nodes)), np.int8)
    out = []
    for e in edges:
        src, dst = e.source, e.target
        if background is not None and (background.is_required(src, dst) or background.is_required(dst, src)):
            a, b = (src, dst) if background.is_required(src, dst) else (dst, src)
            adj[index[a], index[b]] = 1
            out.append(replace(e, kept=True, reason=f"required by background knowledge ({a} --> {b})"))
            continue
        if e.stability < threshold:
            out.append(replace(e, kept=False, reason=f"below stability threshold ({e.stability:.2f} < {threshold:.2f})"))
            continue
        dirs, reason = edge_rule(e.kind, policy)
        pairs = [(src, dst) if d == "fwd" else (dst, src) for d in dirs]
        if background is not None and pairs:
            allowed = [p for p in pairs if not background.is_forbidden(*p)]
            if not allowed:
                out.append(replace(e, kept=False, reason=f"forbidden by background knowledge ({e.kind})"))
                continue
            for a, b in pairs:
                if (a, b) not in allowed:
                    reason += f"; {a} -> {b} forbidden by background knowledge"
            pairs = allowed
        for a, b in pairs:
            adj[index[a], index[b]] = 1
        out.append(replace(e, kept=bool(pairs), reason=reason))
    return out, adj
