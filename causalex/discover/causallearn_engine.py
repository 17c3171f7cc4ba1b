"""The reference engine: causal-learn's ``fci`` and ``pc``, silenced and converted to `PAG`.

causal-learn prints from library code (e.g. "Starting BK Orientation.", every visible edge at the end of
FCI) and shows tqdm progress bars; here everything it writes to stdout/stderr is captured and logged
at DEBUG level, progress bars are off and its warnings are suppressed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import warnings

import numpy as np

from causalex.discover.background import BackgroundKnowledge
from causalex.discover.pag import PAG

log = logging.getLogger(__name__)


@contextlib.contextmanager
def silenced():
    """Capture stdout/stderr and warnings of the block; the captured text goes to the DEBUG log."""
    out, err = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        warnings.simplefilter("ignore")
        yield
    text = (out.getvalue() + err.getvalue()).strip()
    if text:
        log.debug("causal-learn output: %s", text[:2000])


def causallearn_discover(data: np.ndarray, *, method: str, alpha: float, depth: int, node_names: list[str],
                         background: BackgroundKnowledge | None = None, max_path_length: int = -1) -> PAG:
    """Run causal-learn's FCI or PC (Fisher-z, PC-stable, ``uc_rule=0``, ``uc_priority=2``).

    Args:
        data: ``[N, K]`` float64 data (already validated).
        method: ``"fci"`` or ``"pc"``.
        alpha: significance level.
        depth: largest conditioning-set size of the adjacency search, -1 for no limit.
        node_names: K names (causal-learn orders possible-d-sep sets by name).
        background: background knowledge or None.
        max_path_length: FCI's longest discriminating path, -1 for no limit.

    Returns:
        The PAG (FCI) or CPDAG (PC).
    """
    from causallearn.search.ConstraintBased.FCI import fci
    from causallearn.search.ConstraintBased.PC import pc

    knowledge = background.to_causallearn(node_names) if background is not None else None
    with silenced():
        if method == "fci":
            graph, _ = fci(data, "fisherz", float(alpha), depth=int(depth), max_path_length=int(max_path_length),
                           verbose=False, background_knowledge=knowledge, show_progress=False,
                           node_names=list(node_names))
        else:
            graph = pc(data, float(alpha), "fisherz", stable=True, uc_rule=0, uc_priority=2,
                       background_knowledge=knowledge, verbose=False, show_progress=False,
                       node_names=list(node_names), max_k=None if depth == -1 else int(depth)).G
    pag = PAG.from_causallearn(graph, list(node_names))
    pag.meta = {"engine": "causal-learn", "method": method, "alpha": float(alpha), "depth": int(depth),
                "ci_test": "fisherz"}
    return pag
