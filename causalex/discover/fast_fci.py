"""Fast FCI after the adjacency search: R0, possible-d-sep removal, R0 again, rules R1-R10.

The sequence is causal-learn's ``fci``: circles everywhere; R0 (with background knowledge); removal by
possible-d-sep sets (`causalex.discover.possible_dsep`); circles and R0 again; then the rule loop (R1-R2,
R3, R4 only in passes where R1-R3 changed something, R5-R10) until nothing changes.
"""

from __future__ import annotations

import numpy as np

from causalex.discover.background import CompiledKnowledge
from causalex.discover.citest import CITest
from causalex.discover.fci_rules import (Sepsets, rule0, rule_r3, rule_r4, rule_r5, rule_r6, rule_r7, rule_r8,
                                         rule_r9, rule_r10, rules_r1_r2)
from causalex.discover.mark_graph import MarkGraph
from causalex.discover.pag import CIRCLE
from causalex.discover.possible_dsep import remove_by_possible_dsep

def fci_orient(adjacency: np.ndarray, sepsets: Sepsets, test: CITest, alpha: float, names: list[str],
               knowledge: CompiledKnowledge | None = None, max_path_length: int = -1,
               run: int = 0) -> tuple[np.ndarray, Sepsets]:
    """Everything of FCI after the adjacency search, for run ``run`` of ``test``.

    Args:
        adjacency: ``[K, K]`` bool skeleton from `adjacency_search`.
        sepsets: its separating sets (copied, then extended by the possible-d-sep phase).
        test: the CI test (possible-d-sep and discriminating-path tests).
        alpha: significance level.
        names: node names (causal-learn orders possible-d-sep sets by name).
        knowledge: compiled background knowledge or None.
        max_path_length: longest discriminating path searched, -1 for no limit.
        run: which run of ``test``.

    Returns:
        ``([K, K]`` int8 PAG marks, final sepsets).
    """
    sepsets = dict(sepsets)
    g = MarkGraph(np.where(adjacency, CIRCLE, 0), names)
    rule0(g, sepsets, knowledge)
    remove_by_possible_dsep(g, test, run, alpha, sepsets)
    rule0(g, sepsets, knowledge)

    def pvalue(i: int, j: int, s: tuple[int, ...]) -> float:
        return test.pvalue(i, j, s, run)

    change, first_time = True, True
    while change:
        change = rules_r1_r2(g, knowledge, False)
        change = rule_r3(g, sepsets, knowledge, change)
        if change or (first_time and knowledge is not None and knowledge.r4_first_pass):
            change = rule_r4(g, max_path_length, pvalue, alpha, sepsets, knowledge, change)
            first_time = False
        change = rule_r5(g, change)
        change = rule_r6(g, change)
        change = rule_r7(g, change)
        change = rule_r8(g, change)
        change = rule_r9(g, change)
        change = rule_r10(g, change)
    return g.to_array(), sepsets
