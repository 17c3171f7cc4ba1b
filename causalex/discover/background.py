"""Background knowledge shared by both engines: forbidden and required directed edges, and tiers.

Semantics follow causal-learn's ``BackgroundKnowledge``: ``forbid(a, b)`` forbids the directed edge
``a --> b`` (an edge ``a <-- b`` stays possible); ``require(a, b)`` requires ``a --> b``; nodes of a later
tier cannot cause nodes of an earlier tier (``add_tier``), and ``forbid_within_tier`` forbids edges inside a tier.
The same object feeds the fast engine (through the index matrices) and causal-learn (`to_causallearn`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from causalex.errors import InputError


@dataclass
class CompiledKnowledge:
    """Background knowledge as index matrices for the fast engine.

    Attributes:
        forbidden: ``[K, K]`` bool, ``forbidden[i][j]``: ``i --> j`` is forbidden.
        required: ``[K, K]`` bool, ``required[i][j]``: ``i --> j`` is required.
        r4_first_pass: causal-learn's FCI runs rule R4 in its first pass even without changes when
            explicit forbidden and required edges and tiers are all present; True in that case.
    """

    forbidden: list[list[bool]]
    required: list[list[bool]]
    r4_first_pass: bool


class BackgroundKnowledge:
    """Builder of background knowledge over node NAMES (methods chain: ``bk.forbid(a, b).require(c, d)``)."""

    def __init__(self) -> None:
        self.forbidden: set[tuple[str, str]] = set()
        self.required: set[tuple[str, str]] = set()
        self.tiers: dict[str, int] = {}
        self.forbidden_within_tiers: set[int] = set()

    def forbid(self, a: str, b: str) -> "BackgroundKnowledge":
        """Forbid the directed edge ``a --> b``."""
        self.forbidden.add(self._pair(a, b))
        return self

    def require(self, a: str, b: str) -> "BackgroundKnowledge":
        """Require the directed edge ``a --> b`` (orients it where the edge exists)."""
        self.required.add(self._pair(a, b))
        return self

    def add_tier(self, tier_index: int, nodes: Iterable[str]) -> "BackgroundKnowledge":
        """Put ``nodes`` in tier ``tier_index`` (>= 0): no edge from a later tier into an earlier one."""
        if not isinstance(tier_index, int) or isinstance(tier_index, bool) or tier_index < 0:
            raise InputError(f"background knowledge: tier index must be a non-negative int, got {tier_index!r}")
        for node in nodes:
            self.tiers[str(node)] = tier_index
        return self

    def forbid_within_tier(self, tier_index: int) -> "BackgroundKnowledge":
        """Forbid every directed edge between two nodes of tier ``tier_index``."""
        self.forbidden_within_tiers.add(int(tier_index))
        return self

    @staticmethod
    def _pair(a: str, b: str) -> tuple[str, str]:
        a, b = str(a), str(b)
        if a == b:
            raise InputError(f"background knowledge: edge {a} -> {b} is a self loop")
        return a, b

    def is_empty(self) -> bool:
        """True when no rule was added."""
        return not (self.forbidden or self.required or self.tiers)

    def is_forbidden(self, a: str, b: str) -> bool:
        """Whether the directed edge ``a --> b`` is forbidden (explicitly or by tiers)."""
        if (a, b) in self.forbidden:
            return True
        if a in self.tiers and b in self.tiers:
            ta, tb = self.tiers[a], self.tiers[b]
            return ta > tb or (ta == tb and ta in self.forbidden_within_tiers)
        return False

    def is_required(self, a: str, b: str) -> bool:
        """Whether the directed edge ``a --> b`` is required."""
        return (a, b) in self.required

    def check_names(self, node_names: list[str]) -> None:
        """Raise `InputError` if a rule names a node that is not in ``node_names``."""
        known = set(node_names)
        named = {n for pair in self.forbidden | self.required for n in pair} | set(self.tiers)
        unknown = sorted(named - known)
        if unknown:
            raise InputError(f"background knowledge names unknown node(s) {', '.join(unknown)}; "
                             f"nodes are {', '.join(node_names)}")

    def forbidden_matrix(self, node_names: list[str]) -> np.ndarray:
        """``F[i, j] = True`` when ``i --> j`` is forbidden. Shapes: returns ``[K, K]`` bool."""
        self.check_names(node_names)
        k = len(node_names)
        out = np.zeros((k, k), bool)
        for i, a in enumerate(node_names):
            for j, b in enumerate(node_names):
                if i != j:
                    out[i, j] = self.is_forbidden(a, b)
        return out

    def required_matrix(self, node_names: list[str]) -> np.ndarray:
        """``R[i, j] = True`` when ``i --> j`` is required. Shapes: returns ``[K, K]`` bool."""
        self.check_names(node_names)
        index = {n: i for i, n in enumerate(node_names)}
        out = np.zeros((len(node_names), len(node_names)), bool)
        for a, b in self.required:
            out[index[a], index[b]] = True
        return out

    def compile(self, node_names: list[str]) -> CompiledKnowledge:
        """Index matrices for the nodes ``node_names`` (see `CompiledKnowledge`)."""
        has_tiers = bool(self.tiers or self.forbidden_within_tiers)
        return CompiledKnowledge(forbidden=self.forbidden_matrix(node_names).tolist(),
                                 required=self.required_matrix(node_names).tolist(),
                                 r4_first_pass=bool(self.forbidden and self.required and has_tiers))

    def to_causallearn(self, nodes: list[Any]) -> Any:
        """causal-learn ``BackgroundKnowledge`` with the same rules.

        Args:
            nodes: causal-learn ``Node`` objects (e.g. ``GeneralGraph.get_nodes()``) or names; names
                become ``GraphNode`` objects (causal-learn compares nodes by name).
        """
        from causallearn.graph.GraphNode import GraphNode
        from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge as CLBackground

        by_name = {}
        for node in nodes:
            obj = GraphNode(node) if isinstance(node, str) else node
            by_name[obj.get_name()] = obj
        self.check_names(list(by_name))
        out = CLBackground()
        for a, b in sorted(self.forbidden):
            out.add_forbidden_by_node(by_name[a], by_name[b])
        for a, b in sorted(self.required):
            out.add_required_by_node(by_name[a], by_name[b])
        for name, tier in sorted(self.tiers.items()):
            out.add_node_to_tier(by_name[name], tier)
        for tier in sorted(self.forbidden_within_tiers):
            out.forbid_within_tier(tier)
        return out

    def __repr__(self) -> str:
        return (f"BackgroundKnowledge(forbidden={sorted(self.forbidden)}, required={sorted(self.required)}, "
                f"tiers={dict(sorted(self.tiers.items(), key=lambda kv: kv[1]))})")
