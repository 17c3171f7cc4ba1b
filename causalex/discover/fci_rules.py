"""FCI orientation: collider orientation (R0), background knowledge and rules R1-R10.

Each function mirrors the causal-learn function of the same number (``rule0``, ``ruleR1`` ... ``rule10`` in
``causallearn.search.ConstraintBased.FCI``) step for step: the same node loops in the same order, the
same snapshots of neighbour lists, the same live re-checks after every edit. Rules are order-sensitive
on sampled data, so this is what makes the fast engine return causal-learn's PAG mark for mark.
Functions take and return the "something changed" flag as causal-learn's do.
"""

from __future__ import annotations

from collections import deque
from itertools import combinations
from typing import Callable

from causalex.discover.background import CompiledKnowledge
from causalex.discover.mark_graph import MarkGraph
from causalex.discover.pag import ARROW, CIRCLE, TAIL

Sepsets = dict[tuple[int, int], frozenset[int]]
PValue = Callable[[int, int, tuple[int, ...]], float]


def arrow_allowed(g: MarkGraph, x: int, y: int, kn: CompiledKnowledge | None) -> bool:
    """causal-learn ``is_arrow_point_allowed``: may the mark at ``y`` on ``x``-``y`` become an arrow?"""
    at_y, at_x = g.m[x][y], g.m[y][x]
    if at_y == ARROW:
        return True
    if at_y == TAIL:
        return False
    if at_x in (ARROW, TAIL) and kn is not None and kn.forbidden[x][y]:
        return False
    return at_y == CIRCLE


def orient_by_knowledge(g: MarkGraph, kn: CompiledKnowledge | None) -> None:
    """causal-learn ``fci_orient_bk`` (run right after all marks were reset to circles)."""
    if kn is None:
        return
    f, r = kn.forbidden, kn.required
    for i in range(g.k):
        for j in range(i + 1, g.k):
            if not g.adjacent(i, j):
                continue
            if f[i][j]:
                g.replace_edge(j, i, TAIL, ARROW)
            elif f[j][i] or r[i][j]:
                g.replace_edge(i, j, TAIL, ARROW)
            elif r[j][i]:
                g.replace_edge(j, i, TAIL, ARROW)


def rule0(g: MarkGraph, sepsets: Sepsets, kn: CompiledKnowledge | None) -> None:
    """Reset marks to circles, apply knowledge, orient unshielded colliders ``a *-> b <-* c``."""
    g.reorient_all(CIRCLE)
    orient_by_knowledge(g, kn)
    for b in range(g.k):
        neighbours = g.adj(b)
        for a, c in combinations(neighbours, 2):
            if g.adjacent(a, c) or g.def_collider(a, b, c):
                continue
            sepset = sepsets.get((a, c))
            if sepset is not None and b not in sepset:
                if not arrow_allowed(g, a, b, kn) or not arrow_allowed(g, c, b, kn):
                    continue
                g.set_mark(a, b, ARROW)
                g.set_mark(c, b, ARROW)


def _r1(g: MarkGraph, a: int, b: int, c: int, kn: CompiledKnowledge | None, flag: bool) -> bool:
    if g.adjacent(a, c):
        return flag
    if g.m[a][b] == ARROW and g.m[c][b] == CIRCLE:
        if not arrow_allowed(g, b, c, kn):
            return flag
        g.replace_edge(b, c, TAIL, ARROW)
        flag = True
    return flag


def _r2(g: MarkGraph, a: int, b: int, c: int, kn: CompiledKnowledge | None, flag: bool) -> bool:
    m = g.m
    if g.adjacent(a, c) and m[a][c] == CIRCLE:
        if m[a][b] == ARROW and m[b][c] == ARROW and (m[b][a] == TAIL or m[c][b] == TAIL):
            if not arrow_allowed(g, a, c, kn):
                return flag
            g.set_mark(a, c, ARROW)
            flag = True
    return flag


def rules_r1_r2(g: MarkGraph, kn: CompiledKnowledge | None, flag: bool) -> bool:
    """causal-learn ``rulesR1R2cycle``: away from colliders (R1) and away from ancestors (R2)."""
    for b in range(g.k):
        for a, c in combinations(g.adj(b), 2):
            flag = _r1(g, a, b, c, kn, flag)
            flag = _r1(g, c, b, a, kn, flag)
            flag = _r2(g, a, b, c, kn, flag)
            flag = _r2(g, c, b, a, kn, flag)
    return flag


def rule_r3(g: MarkGraph, sepsets: Sepsets, kn: CompiledKnowledge | None, flag: bool) -> bool:
    """causal-learn ``ruleR3``: double triangle."""
    m = g.m
    for b in range(g.k):
        arrows = g.into(b, ARROW)
        circles = g.into(b, CIRCLE)
        for d in circles:
            if len(arrows) < 2:
                continue
            for a, c in combinations(arrows, 2):
                if g.adjacent(a, c) or not g.adjacent(a, d) or not g.adjacent(c, d):
                    continue
                sepset = sepsets.get((a, c))
                if sepset is None or d not in sepset:
                    continue
                if m[a][d] != CIRCLE or m[c][d] != CIRCLE:
                    continue
                if not arrow_allowed(g, d, b, kn):
                    continue
                g.set_mark(d, b, ARROW)
                flag = True
    return flag


def _ddp_apply(g: MarkGraph, d: int, a: int, b: int, c: int, previous: dict[int, int], pvalue: PValue,
               alpha: float, sepsets: Sepsets, kn: CompiledKnowledge | None, flag: bool) -> tuple[bool, bool]:
    """causal-learn ``doDdpOrientation``: orient ``b`` on the discriminating path from ``d``."""
    path = []
    node = previous.get(d)
    while node is not None:
        path.append(node)
        node = previous.get(node)
    independent = pvalue(d, c, tuple(path)) > alpha
    path2 = list(path)
    path2.remove(b)
    independent2 = pvalue(d, c, tuple(path2)) > alpha
    if not independent and not independent2:
        sepset = sepsets.get((d, c))
        if sepset is None:
            return False, flag
        independent = b in sepset
    if independent:
        g.replace_edge(c, b, g.m[b][c], TAIL)
        return True, True
    if not arrow_allowed(g, a, b, kn) or not arrow_allowed(g, c, b, kn):
        return False, flag
    g.set_mark(a, b, ARROW)
    g.set_mark(c, b, ARROW)
    return True, True


def _ddp_search(g: MarkGraph, a: int, b: int, c: int, max_path_length: int, pvalue: PValue, alpha: float,
                sepsets: Sepsets, kn: CompiledKnowledge | None, flag: bool) -> bool:
    """causal-learn ``ddpOrient``: breadth-first search back from ``a`` for a discriminating path."""
    queue = deque([a])
    visited = {a, b}
    marker: int | None = None
    distance = 0
    previous = {a: b}
    c_parents = g.parents(c)
    limit = 1000 if max_path_length == -1 else max_path_length
    while queue:
        t = queue.popleft()
        if marker is None or marker == t:
            marker = t
            distance += 1
            if distance > 0 and distance > limit:
                return flag
        for d in g.into(t, ARROW):
            if d in visited:
                continue
            previous[d] = t
            if not g.def_collider(d, t, previous[t]):
                continue
            if not g.adjacent(d, c) and d != c:
                done, flag = _ddp_apply(g, d, a, b, c, previous, pvalue, alpha, sepsets, kn, flag)
                if done:
                    return flag
            if d in c_parents:
                queue.append(d)
                visited.add(d)
    return flag


def rule_r4(g: MarkGraph, max_path_length: int, pvalue: PValue, alpha: float, sepsets: Sepsets,
            kn: CompiledKnowledge | None, flag: bool) -> bool:
    """causal-learn ``ruleR4B``: definite discriminating paths (may run extra CI tests)."""
    for b in range(g.k):
        poss_a = g.out_of_arrow(b)
        poss_c = g.into(b, CIRCLE)
        for a in poss_a:
            for c in poss_c:
                if not g.is_parent(a, c) or g.m[b][c] != ARROW:
                    continue
                flag = _ddp_search(g, a, b, c, max_path_length, pvalue, alpha, sepsets, kn, flag)
    return flag


def rule_r5(g: MarkGraph, flag: bool) -> bool:
    """causal-learn ``ruleR5``: uncovered circle paths become tail-tail (its lazy path search included)."""
    m = g.m
    for b in range(g.k):
        for a in g.into(b, CIRCLE):
            if m[b][a] != CIRCLE:
                continue
            a_circle = [n for n in g.adj(a) if n not in (a, b) and m[n][a] == CIRCLE and m[a][n] == CIRCLE]
            b_circle = [n for n in g.adj(b) if n not in (a, b) and m[n][b] == CIRCLE and m[b][n] == CIRCLE]
            found = []
            for c in a_circle:
                if g.adjacent(b, c):
                    continue
                for d in b_circle:
                    if g.adjacent(a, d):
                        continue
                    found.append(g.uncovered_circle_paths(c, d, (a, b)))
            for paths in found:
                for path in paths:
                    flag = True
                    g.replace_edge(a, b, TAIL, TAIL)
                    g.replace_edge(a, path[0], TAIL, TAIL)
                    g.replace_edge(b, path[-1], TAIL, TAIL)
                    for u, v in zip(path[:-1], path[1:]):
                        g.replace_edge(u, v, TAIL, TAIL)
    return flag


def rule_r6(g: MarkGraph, flag: bool) -> bool:
    """causal-learn ``ruleR6``: ``a --- b o-* c`` gives ``b --* c``."""
    for b in range(g.k):
        if not any(g.m[b][a] == TAIL for a in g.into(b, TAIL)):
            continue
        for c in g.into(b, CIRCLE):
            flag = True
            g.set_mark(c, b, TAIL)
    return flag


def rule_r7(g: MarkGraph, flag: bool) -> bool:
    """causal-learn ``ruleR7``: ``a --o b o-* c`` with ``a``, ``c`` not adjacent gives ``b --* c``."""
    for b in range(g.k):
        circles = g.into(b, CIRCLE)
        tails_at_a = [a for a in circles if g.m[b][a] == TAIL]
        for c in circles:
            for a in tails_at_a:
                if a != c and not g.adjacent(a, c):
                    flag = True
                    g.set_mark(c, b, TAIL)
    return flag


def rule_r8(g: MarkGraph, flag: bool) -> bool:
    """causal-learn ``rule8``: ``a --> b --> c`` or ``a --o b --> c`` with ``a o-> c`` gives ``a --> c``."""
    m = g.m
    for b in range(g.k):
        for a, c in combinations(g.adj(b), 2):
            if (m[b][a] == TAIL and m[a][b] in (ARROW, CIRCLE) and m[b][c] == ARROW and m[c][b] == TAIL
                    and g.adjacent(a, c) and m[a][c] == ARROW and m[c][a] == CIRCLE):
                g.replace_edge(a, c, TAIL, ARROW)
                flag = True
    return flag


def _possible_children(g: MarkGraph, parent: int, candidates: list[int]) -> list[int]:
    """causal-learn ``find_possible_children`` (a set), in that set's iteration order."""
    kids = [n for n in candidates if n != parent and g.adjacent(parent, n) and g.m[n][parent] != ARROW]
    return g.set_order(kids)


def rule_r9(g: MarkGraph, flag: bool) -> bool:
    """causal-learn ``rule9``: ``a o-> c`` with an uncovered potentially directed path a..c gives ``a --> c``."""
    for c in range(g.k):
        for a in g.into(c, ARROW):
            if g.m[c][a] != CIRCLE:
                continue
            candidates = [n for n in g.adj(a) if n not in (a, c)]
            for b in _possible_children(g, a, candidates):
                if g.adjacent(b, c):
                    continue
                if g.uncovered_pd_path(a, b, c):
                    g.replace_edge(a, c, TAIL, ARROW)
                    flag = True
                    break
    return flag


def rule_r10(g: MarkGraph, flag: bool) -> bool:
    """causal-learn ``rule10``: ``a o-> c <-- b``, ``c <-- d`` with diverging semi-directed paths."""
    m = g.m
    for c in range(g.k):
        into_c = g.into(c, ARROW)
        if len(into_c) < 2:
            continue
        a_nodes = [a for a in into_c if m[c][a] == CIRCLE]
        for a in a_nodes:
            kids = _possible_children(g, a, [n for n in g.adj(a) if n != c])
            if len(kids) < 2:
                continue
            for b, d in combinations(into_c, 2):
                if m[c][b] != TAIL or m[c][d] != TAIL:
                    continue
                for one, two in combinations(kids, 2):
                    if not g.semi_directed(one, b) or not g.semi_directed(two, d):
                        continue
                    if not g.adjacent(one, two):
                        g.replace_edge(a, c, TAIL, ARROW)
                        flag = True
                        break
    return flag
