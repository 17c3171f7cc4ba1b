"""Lagged discovery: two time slices per AU for the engine, one node per AU in the graph.

With ``features="lagged"`` (see `causalex.discover.sampling`) the engine runs on ``2K`` variables,
``AUxx@lag`` = ``x[t - L]`` in tier 0 and ``AUxx`` = ``x[t]`` in tier 1 (the present cannot cause the
past). `fold_lagged` turns that PAG back into a PAG over the K AUs, pair by pair:

1. *cross-lag edge one way*: ``AUi@lag`` is adjacent to ``AUj`` but ``AUj@lag`` is not adjacent to
   ``AUi``: i's past explains j's present and not the reverse, so the AU edge is ``i -> j`` with the
   marks of the cross-lag edge (``-->`` when FCI found a tail at the past copy, ``o->`` or ``<->``
   otherwise);
2. *cross-lag edges both ways*: each AU's past predicts the other's present. AU mechanisms do not
   form feedback loops, so this is read as a latent common cause: ``<->``;
3. *no cross-lag edge*: the AUs move together within ``L`` with no time order between them: a
   mechanism faster than ``L`` or a common cause. The contemporaneous edge ``AUi``-``AUj`` becomes
   ``<->`` when FCI found arrowheads at both ends, else ``o-o`` (undetermined). FCI's other
   contemporaneous orientations are not used: they come from propagating the autocorrelation edges
   ``AUi@lag --> AUi`` through the present slice, which a slowly varying latent (a dataset bias that
   drives two AUs at once) readily fakes.

Self-lag edges (``AUi@lag``-``AUi``: autocorrelation) and edges among lagged copies are ignored.
"""

from __future__ import annotations

import numpy as np

from causalex.discover.background import BackgroundKnowledge
from causalex.discover.pag import ARROW, CIRCLE, NO_EDGE, PAG
from causalex.discover.sampling import lagged_name


def lagged_background(aus: list[str], background: BackgroundKnowledge | None = None) -> BackgroundKnowledge:
    """Tiers (lagged copies before present values) plus ``background`` mapped onto both slices.

    A forbidden ``a --> b`` forbids ``a --> b``, ``a@lag --> b`` and ``a@lag --> b@lag``; a required
    ``a --> b`` requires ``a@lag --> b`` (a cause leads its effect).

    Args:
        aus: the K tested AUs.
        background: rules over AU names (names outside ``aus`` are ignored).
    """
    out = BackgroundKnowledge()
    out.add_tier(0, [lagged_name(a) for a in aus])
    out.add_tier(1, list(aus))
    if background is None:
        return out
    keep = set(aus)
    for a, b in background.forbidden:
        if a in keep and b in keep:
            out.forbid(a, b).forbid(lagged_name(a), b).forbid(lagged_name(a), lagged_name(b))
    for a, b in background.required:
        if a in keep and b in keep:
            out.require(lagged_name(a), b)
    return out


def fold_lagged(pag: PAG, aus: list[str]) -> PAG:
    """Fold a PAG over ``[AU@lag..., AU...]`` into a PAG over the AUs (rules in the module docstring).

    Args:
        pag: PAG over ``2K`` nodes, the K lagged copies first, in the order of ``aus``.
        aus: the K AU names.

    Returns:
        a `PAG` over ``aus``; ``meta["fold"]`` maps ``"AUi|AUj"`` to the rule used (``lag``, ``both lags``,
        ``contemporaneous``).
    """
    k = len(aus)
    if pag.num_nodes != 2 * k:
        raise ValueError(f"lagged PAG must have {2 * k} nodes, got {pag.num_nodes}")
    m = pag.marks
    marks = np.zeros((k, k), np.int8)
    rules: dict[str, str] = {}
    for i in range(k):
        for j in range(i + 1, k):
            fwd = m[i, k + j] != NO_EDGE  # AUi@lag -- AUj
            back = m[j, k + i] != NO_EDGE  # AUj@lag -- AUi
            if fwd and back:
                marks[i, j] = marks[j, i] = ARROW
                rule = "both lags"
            elif fwd:
                marks[j, i], marks[i, j] = m[k + j, i], m[i, k + j]  # mark at i = mark at AUi@lag
                rule = "lag"
            elif back:
                marks[i, j], marks[j, i] = m[k + i, j], m[j, k + i]
                rule = "lag"
            elif m[k + i, k + j] != NO_EDGE:
                both_arrows = m[k + j, k + i] == ARROW and m[k + i, k + j] == ARROW
                marks[i, j] = marks[j, i] = ARROW if both_arrows else CIRCLE
                rule = "contemporaneous"
            if marks[i, j] != NO_EDGE:
                rules[f"{aus[i]}|{aus[j]}"] = rule
    return PAG(list(aus), marks, meta={**pag.meta, "fold": rules})
