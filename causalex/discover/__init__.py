"""Causal discovery over AU series: CI tests, FCI/PC engines, background knowledge, the PAG type.

Engines (this package's core API)::

    from causalex.discover import discover_pag, BackgroundKnowledge
    bk = BackgroundKnowledge().forbid("AU45", "AU12")
    pag = discover_pag(values, method="fci", alpha=0.05, node_names=au_names, background=bk)
    pag.edge_kind(0, 1)          # '-->', '<->', 'o->', ...

``engine="fast"`` (default) and ``engine="causal-learn"`` return the same graph; the fast engine also
works from correlation matrices (`discover_pag_from_corr`) and runs bootstrap batches (`discover_many`).
"""

from __future__ import annotations

from causalex.discover.background import BackgroundKnowledge
from causalex.discover.citest import CI_TESTS, CITest, FisherZ, make_ci_test, register_ci_test
from causalex.discover.engines import (ENGINES, METHODS, default_node_names, discover_many, discover_pag,
                                       discover_pag_from_corr, validate_data)
from causalex.discover.pag import ARROW, CIRCLE, NO_EDGE, PAG, TAIL

__all__ = [
    "ARROW", "CIRCLE", "CI_TESTS", "CITest", "ENGINES", "FisherZ", "METHODS", "NO_EDGE", "PAG", "TAIL",
    "BackgroundKnowledge", "default_node_names", "discover_many", "discover_pag", "discover_pag_from_corr",
    "make_ci_test", "register_ci_test", "validate_data",
]
