"""Aggregate per-seed bias runs: in-domain vs cross-domain F1, the drop, and AU reliance, over seeds.

The *spread* is the sample standard deviation over seeds (``ddof=1``; 0 with one seed). The *drop*
is ``in-domain F1 - cross-domain F1`` per seed, then averaged: a positive drop means the model does
worse on the other corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from causalex.metrics import SpottingResult
from causalex.metrics.spotting import SCORE_ROWS, TypeScore

DOMAINS = ("in_domain", "cross_domain")


def spread_stats(values: Sequence[float]) -> dict[str, Any]:
    """Mean, spread (sample std, 0 for one value), min, max and the values themselves."""
    arr = np.asarray(list(values), float)
    if arr.size == 0:
        return {"mean": float("nan"), "std": float("nan"), "min": float("nan"), "max": float("nan"), "values": []}
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if arr.size > 1 else 0.0,
            "min": float(arr.min()), "max": float(arr.max()), "values": arr.tolist()}


@dataclass
class RelianceScores:
    """F1 of one trained model with each AU removed at test time.

    Attributes:
        base: F1 per row (``micro``/``macro``/``overall``) with every AU present.
        removed: ``{AU: {row: F1}}`` with that AU removed.
    """

    base: dict[str, float]
    removed: dict[str, dict[str, float]]

    def drops(self, row: str = "overall") -> dict[str, float]:
        """``{AU: base F1 - F1 without the AU}`` for one score row (positive: the model relies on it)."""
        return {au: self.base[row] - scores[row] for au, scores in self.removed.items()}

    def to_json(self) -> dict[str, Any]:
        """``{"base": {...}, "removed": {...}}``."""
        return {"base": self.base, "removed": self.removed}


@dataclass
class SeedRun:
    """Results of one graph variant and one seed.

    Attributes:
        variant: graph variant name.
        seed: training seed.
        in_domain: scores of the pooled out-of-fold (LOSO) predictions on the training corpus.
        cross_domain: scores of the model trained on all of the training corpus, on the test corpus.
        fold_cross_domain: scores on the test corpus of each in-domain fold model (a control: the same
            models that give the in-domain scores, so the gap is domain shift alone, not a model trained
            on more subjects or selected on other validation subjects).
        reliance: AU reliance per domain (``in_domain``/``cross_domain``), when computed.
        seconds: wall time per stage (``train_loso``, ``train_full``, ``predict``, ``reliance``...).
        files: predictions CSVs written for this run, per domain.
    """

    variant: str
    seed: int
    in_domain: SpottingResult
    cross_domain: SpottingResult
    fold_cross_domain: list[SpottingResult] = field(default_factory=list)
    reliance: dict[str, RelianceScores] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def f1(self, domain: str, row: str) -> float:
        """F1 of one domain (``in_domain``, ``cross_domain`` or ``fold_cross_domain``) and score row.

        ``fold_cross_domain`` pools the counts of the fold models on the test corpus, as ``in_domain`` pools the
        counts of their out-of-fold predictions, so that the two compare like for like.
        """
        if domain == "fold_cross_domain":
            if not self.fold_cross_domain:
                return np.nan
            scores = [r[row] for r in self.fold_cross_domain]
            return TypeScore.from_counts(sum(s.tp for s in scores), sum(s.n_pred for s in scores),
                                         sum(s.n_gt for s in scores)).f1
        return getattr(self, domain)[row].f1

    def to_json(self) -> dict[str, Any]:
        """JSON document of the run (scores as `SpottingResult.to_json`)."""
        return {"variant": self.variant, "seed": self.seed, "in_domain": self.in_domain.to_json(),
                "cross_domain": self.cross_domain.to_json(),
                "fold_cross_domain": [r.to_json() for r in self.fold_cross_domain],
                "reliance": {d: r.to_json() for d, r in self.reliance.items()},
                "seconds": self.seconds, "files": self.files}


def summarise_runs(runs: Sequence[SeedRun]) -> dict[str, dict[str, dict[str, Any]]]:
    """In-domain F1, cross-domain F1 and the drop over seeds, per variant and score row.

    Returns:
        ``{variant: {row: {"in_domain": stats, "cross_domain": stats, "drop": stats}}}`` with
        `spread_stats` dicts; variants in the order they first appear. When the runs carry fold-model
        scores on the test corpus, ``fold_cross_domain`` (their pooled F1) and ``drop_same_models``
        (in-domain minus that) are added.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for variant in dict.fromkeys(r.variant for r in runs):
        mine = [r for r in runs if r.variant == variant]
        out[variant] = {}
        for row in SCORE_ROWS:
            cell = {d: spread_stats([r.f1(d, row) for r in mine]) for d in DOMAINS}
            cell["drop"] = spread_stats([r.f1("in_domain", row) - r.f1("cross_domain", row) for r in mine])
            if all(r.fold_cross_domain for r in mine):
                cell["fold_cross_domain"] = spread_stats([r.f1("fold_cross_domain", row) for r in mine])
                cell["drop_same_models"] = spread_stats([r.f1("in_domain", row) - r.f1("fold_cross_domain", row)
                                                         for r in mine])
            out[variant][row] = cell
    return out


def summarise_reliance(runs: Sequence[SeedRun], row: str = "overall") -> dict[str, dict[str, dict[str, Any]]]:
    """Mean F1 drop per removed AU over seeds, per variant and domain.

    Returns:
        ``{variant: {domain: {AU: stats}}}`` (`spread_stats` of ``base F1 - F1 without the AU``);
        domains (and variants) without reliance scores are left out.
    """
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for variant in dict.fromkeys(r.variant for r in runs):
        mine = [r for r in runs if r.variant == variant]
        for domain in DOMAINS:
            scores = [r.reliance[domain] for r in mine if domain in r.reliance]
            if scores:
                aus = list(scores[0].removed)
                out.setdefault(variant, {})[domain] = {au: spread_stats([s.drops(row)[au] for s in scores])
                                                       for au in aus}
    return out


def top_reliance(reliance: dict[str, dict[str, Any]], n: int = 3) -> list[tuple[str, float]]:
    """The ``n`` AUs whose removal costs the most F1 (from one ``{AU: stats}`` dict), largest first."""
    ranked = sorted(reliance.items(), key=lambda kv: -kv[1]["mean"])
    return [(au, stats["mean"]) for au, stats in ranked[:n]]
