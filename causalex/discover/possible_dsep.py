"""FCI's possible-d-sep phase: causal-learn's ``getPossibleDsep`` and ``removeByPossibleDsep``, batched.

For every edge (in causal-learn's edge order and endpoint order) the possible-d-sep set of each end is
searched for a separating set, trying subsets in causal-learn's order: by size, lexicographic by position
in the name-sorted candidate list, skipping the first subset of each size (its subset generator returns
one list that it mutates, and the loop reads it after advancing), and skipping subsets inside ``adj(a)``
or inside ``adj(b)``. The first independent subset removes the edge; its sepset is stored under the
key ``(a, b)`` only, as causal-learn does.

Tests are batched three ways: all subsets of a size at once through the test's shared-work
``subset_pvalue_levels`` (Fisher-z, medium candidate lists), cached subset tables with growing chunks
(small lists), or lazily generated chunks (large lists). The first independence in order is the same.
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache
from itertools import combinations, islice
from typing import Iterator

import numpy as np

from causalex.discover.citest import CITest
from causalex.discover.fci_rules import Sepsets
from causalex.discover.mark_graph import MarkGraph
from causalex.discover.pag import ARROW, CIRCLE, TAIL

SUBSET_CHUNK = 4096  # conditioning sets evaluated per CI-test call in the possible-d-sep phase
FIRST_CHUNK = 256  # first CI-test batch of an edge in the possible-d-sep phase (then x4)
TABLE_MAX_NODES = 14  # candidate lists up to this size use a cached table of all subsets
TREE_NODES = (10, 16)  # candidate lists of these sizes use the test's shared-work subset levels, if any


def possible_dsep(g: MarkGraph, x: int, y: int) -> list[int]:
    """causal-learn ``getPossibleDsep(x, y, graph, -1)``: sorted by node name, descending."""
    m, adjacency, reach = g.m, g.adjacency_lists(), g.semi_directed_matrix()
    dsep: set[int] = set()
    queue: deque[tuple[int, int]] = deque()
    visited: set[tuple[int, int]] = set()
    previous: dict[int, set[int]] = {}
    marker: tuple[int, int] | None = None
    distance = 0
    for b in g.set_order(adjacency[x]):
        if b == y:
            continue
        edge = (x, b)
        if marker is None:
            marker = edge
        queue.append(edge)
        visited.add(edge)
        previous.setdefault(x, set()).add(b)
        dsep.add(b)
    while queue:
        t = queue.popleft()
        if marker == t:
            marker = None
            distance += 1
            if distance > 1000:
                break
        a, b = t
        # causal-learn existOnePathWithPossibleParents(previous, b, x, b): a possible parent r of b
        # with a semi-directed path to x or to b
        parents = previous.get(b)
        if b == x or (parents is not None and
                      any(r != b and r != x and (reach[r][x] or reach[r][b]) for r in parents)):
            dsep.add(b)
        row_a = m[a]
        for c in adjacency[b]:
            if c == a or c == x or c == y:
                continue
            found = previous.get(c)
            if found is None:
                previous[c] = found = set()
            found.add(b)
            if (row_a[b] == ARROW and m[c][b] == ARROW) or row_a[c] != 0:  # collider at b, or a~c
                u = (a, c)  # causal-learn keeps the first node of the pair (a == x throughout)
                if u in visited:
                    continue
                visited.add(u)
                queue.append(u)
                if marker is None:
                    marker = u
    dsep.discard(x)
    dsep.discard(y)
    return sorted(dsep, key=lambda i: g.names[i], reverse=True)


def _subset_order(n: int, size: int) -> Iterator[tuple[int, ...]]:
    """Subsets of ``range(n)`` of one size in the order causal-learn's possible-d-sep loop tests them.

    Its ``DepthChoiceGenerator`` returns one list that it mutates, and the loop reads it after
    advancing, so the first subset of each size is never tested (unless it is the only one).
    """
    total = combinations(range(n), size)
    return total if size == n else islice(total, 1, None)


@lru_cache(maxsize=32)
def _subset_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    """All subsets (sizes 2..n) in causal-learn's test order: positions padded with -1, and their
    position bit masks. Shapes: ``[T, n]``, ``[T]``."""
    rows = [combo + (-1,) * (n - len(combo)) for size in range(2, n + 1) for combo in _subset_order(n, size)]
    table = np.array(rows, dtype=np.int64).reshape(len(rows), n)
    return table, _set_masks(table)


def _subset_blocks(n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blocks of subsets (positions into the candidate list, -1 padded) and their position masks."""
    if n <= TABLE_MAX_NODES:
        table, masks = _subset_table(n)
        for start in range(0, len(table), SUBSET_CHUNK):
            yield table[start:start + SUBSET_CHUNK], masks[start:start + SUBSET_CHUNK]
        return
    for size in range(2, n + 1):
        order = _subset_order(n, size)
        while True:
            flat = np.fromiter((v for combo in islice(order, SUBSET_CHUNK) for v in combo), np.int64)
            if flat.size == 0:
                break
            block = np.full((flat.size // size, n), -1, np.int64)
            block[:, :size] = flat.reshape(-1, size)
            yield block, _set_masks(block)


def _set_masks(sets: np.ndarray) -> np.ndarray:
    """Bit mask of each -1-padded row of indices < 63. Shapes: ``[B, n]`` -> ``[B]`` int64."""
    bits = np.left_shift(np.int64(1), sets.clip(min=0))
    return np.where(sets >= 0, bits, 0).sum(axis=1)


def _node_mask_lookup(candidates: list[int]):
    """Map position bit masks (over ``candidates``) to node bit masks, a byte at a time."""
    tables = []
    for start in range(0, len(candidates), 8):
        nodes = np.asarray(candidates[start:start + 8], np.int64)
        bits = (np.arange(256)[:, None] >> np.arange(len(nodes))[None, :]) & 1  # [256, <=8]
        tables.append((start, (bits * np.left_shift(np.int64(1), nodes)[None, :]).sum(axis=1)))

    def lookup(pos_masks: np.ndarray) -> np.ndarray:
        out = np.zeros(len(pos_masks), np.int64)
        for start, table in tables:
            out |= table[(pos_masks >> start) & 255]
        return out

    return lookup


def _first_separating_set(g: MarkGraph, test: CITest, run: int, a: int, b: int, candidates: list[int],
                          alpha: float, known_dependent: list[np.ndarray]) -> tuple[int, ...] | None:
    """First conditioning set (in causal-learn's order) from ``candidates`` that separates a and b.

    Sets inside ``adj(a)`` or inside ``adj(b)`` are skipped, as causal-learn does. ``known_dependent``
    holds bit masks of sets already found dependent for this pair (skipped: the test would repeat);
    the masks of the sets tested here are appended to it (bit masks need K <= 62, else no reuse).
    """
    n = len(candidates)
    if n < 2 or n > 62:
        if n > 62:
            raise ValueError(f"possible-d-sep set of {n} nodes: too many subsets to test")
        return None
    adj_a, adj_b = set(g.adjacency_lists()[a]), set(g.adjacency_lists()[b])
    inside_a = sum(1 << pos for pos, c in enumerate(candidates) if c in adj_a)  # positions in adj(a)
    inside_b = sum(1 << pos for pos, c in enumerate(candidates) if c in adj_b)
    full = (1 << n) - 1
    if inside_a == full or inside_b == full:  # every subset lies inside adj(a) or inside adj(b)
        return None
    outside_a, outside_b = np.int64(full & ~inside_a), np.int64(full & ~inside_b)
    if TREE_NODES[0] <= n <= TREE_NODES[1] and hasattr(test, "subset_pvalue_levels"):
        return _first_separating_set_tree(test, run, a, b, candidates, alpha, outside_a, outside_b)
    use_masks = g.k <= 62
    skip = np.unique(np.concatenate(known_dependent)) if use_masks and known_dependent else None
    cand = np.append(np.asarray(candidates, np.int64), -1)  # position -1 (padding) maps to -1
    node_masks = _node_mask_lookup(candidates) if use_masks else None
    lo, hi = min(a, b), max(a, b)
    step = FIRST_CHUNK
    for block, pos_masks in _subset_blocks(n):
        keep = ((pos_masks & outside_a) != 0) & ((pos_masks & outside_b) != 0)
        if not keep.any():
            continue
        sets = cand[block[keep]]  # [B, n] node indices, -1 padding last (order inside a set is free)
        if use_masks:
            masks = node_masks(pos_masks[keep])
            if skip is not None:
                fresh = ~np.isin(masks, skip)
                sets, masks = sets[fresh], masks[fresh]
            known_dependent.append(masks)  # all of them are dependent unless we return below
        start = 0
        while start < len(sets):  # small chunks first: the first hit is often early
            chunk = sets[start:start + step]
            start += step
            chunk = chunk[:, :int((chunk >= 0).sum(axis=1).max())]  # drop all-padding columns
            count = len(chunk)
            ind = test.independent(np.full(count, lo), np.full(count, hi), chunk, np.full(count, run), alpha)
            hit = np.flatnonzero(ind)
            if len(hit):
                return tuple(sorted(v for v in chunk[hit[0]].tolist() if v >= 0))
            step = min(step * 4, SUBSET_CHUNK)
    return None


@lru_cache(maxsize=256)
def _level_table(n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Size-``size`` subsets of ``range(n)`` in lexicographic order and their bit masks."""
    combos = np.array(list(combinations(range(n), size)), np.int64).reshape(-1, size)
    return combos, np.left_shift(np.int64(1), combos).sum(axis=1)


def _first_separating_set_tree(test: CITest, run: int, a: int, b: int, candidates: list[int], alpha: float,
                               outside_a: np.int64, outside_b: np.int64) -> tuple[int, ...] | None:
    """`_first_separating_set` through the test's shared-work ``subset_pvalue_levels`` (all subsets of
    a size at once, sizes in causal-learn's order, stopping at the first size with an independence)."""
    n = len(candidates)
    for size, p in test.subset_pvalue_levels(a, b, candidates, run):
        if size < 2:
            continue
        combos, masks = _level_table(n, size)
        keep = ((masks & outside_a) != 0) & ((masks & outside_b) != 0)
        if size < n:
            keep[0] = False  # causal-learn never tests the first subset of a size (see _subset_order)
        hit = np.flatnonzero(keep & (p > alpha))
        if len(hit):
            return tuple(sorted(candidates[i] for i in combos[hit[0]].tolist()))
    return None


def remove_by_possible_dsep(g: MarkGraph, test: CITest, run: int, alpha: float, sepsets: Sepsets) -> None:
    """causal-learn ``removeByPossibleDsep``: test each edge given subsets of possible-d-sep sets."""
    m = g.m
    edges = []
    for i in range(g.k):
        for j in range(i + 1, g.k):
            if m[i][j]:
                flipped = m[j][i] == ARROW and m[i][j] in (TAIL, CIRCLE)  # causal-learn's Edge normalisation
                edges.append((j, i) if flipped else (i, j))
    for a, b in edges:
        dependent: list[np.ndarray] = []  # sets tested from the first end, reused from the second
        for source, other in ((a, b), (b, a)):
            if not g.adjacent(a, b):
                break
            found = _first_separating_set(g, test, run, a, b, possible_dsep(g, source, other), alpha, dependent)
            if found is not None:
                g.remove_edge(a, b)
                sepsets[(a, b)] = frozenset(found)
