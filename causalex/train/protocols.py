"""Evaluation protocols: which subjects are tested in each fold, and the inner validation split.

Registered protocols (`register_protocol` / `protocol_names`): ``loso`` (leave one subject out, the
default), ``kfold`` (k folds by subject) and ``split`` (an explicit test list). In every fold the epoch
and the decoding thresholds are chosen on *inner validation* subjects drawn from the training subjects;
``select_on_test`` (the published-paper protocol, optimistic) uses the test subjects instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from causalex.errors import InputError
from causalex.train.config import ProtocolConfig
from causalex.train.selection import OBJECTIVES

log = logging.getLogger(__name__)

SELECTION_INNER = "inner-validation"
SELECTION_TEST = "test-subjects (optimistic, as in published papers)"
SELECTION_NONE = "none (no inner-validation subject: last epoch, configured thresholds)"

_PROTOCOLS: dict[str, Callable[[list[str], ProtocolConfig, np.random.Generator], list[tuple[str, list[str]]]]] = {}


@dataclass
class Fold:
    """One train/validation/test split by subject.

    Attributes:
        name: fold id (the test subject for LOSO, ``fold1``... for k-fold, ``split``, ``final``).
        test_subjects: subjects scored out of fold (empty for the final model).
        train_subjects: subjects the weights are fitted on.
        val_subjects: subjects the epoch and thresholds are chosen on.
        selection: `SELECTION_INNER`, `SELECTION_TEST`, or `SELECTION_NONE` when the fold had too few
            training subjects to hold any out.
    """

    name: str
    test_subjects: list[str]
    train_subjects: list[str]
    val_subjects: list[str]
    selection: str = SELECTION_INNER
    notes: dict = field(default_factory=dict)


def register_protocol(name: str) -> Callable:
    """Decorator adding a protocol ``f(subjects, config, rng) -> [(fold name, test subjects)]``."""

    def deco(func: Callable) -> Callable:
        _PROTOCOLS[name] = func
        return func

    return deco


def protocol_names() -> list[str]:
    """Names of the registered protocols."""
    return sorted(_PROTOCOLS)


@register_protocol("loso")
def _loso(subjects: list[str], cfg: ProtocolConfig, rng: np.random.Generator) -> list[tuple[str, list[str]]]:
    return [(s, [s]) for s in subjects]


@register_protocol("kfold")
def _kfold(subjects: list[str], cfg: ProtocolConfig, rng: np.random.Generator) -> list[tuple[str, list[str]]]:
    if not 2 <= cfg.folds <= len(subjects):
        raise InputError(f"kfold needs 2 <= folds <= number of subjects ({len(subjects)}), got {cfg.folds}")
    order = [subjects[i] for i in rng.permutation(len(subjects))]
    return [(f"fold{k + 1}", sorted(order[k::cfg.folds])) for k in range(cfg.folds)]


@register_protocol("split")
def _split(subjects: list[str], cfg: ProtocolConfig, rng: np.random.Generator) -> list[tuple[str, list[str]]]:
    test = list(cfg.test_subjects)
    if not test:
        raise InputError("the split protocol needs test subjects (--test-subjects s01,s02)")
    unknown = [s for s in test if s not in subjects]
    if unknown:
        raise InputError(f"test subject(s) {', '.join(unknown)} not in the data (subjects: {', '.join(subjects)})")
    if len(test) == len(subjects):
        raise InputError("the split protocol needs at least one training subject")
    return [("split", sorted(test))]


def choose_validation(candidates: list[str], counts: dict[str, dict[str, int]], cfg: ProtocolConfig,
                      rng: np.random.Generator) -> list[str]:
    """Inner-validation subjects drawn from ``candidates``, covering both expression types when possible.

    Args:
        candidates: the training subjects of a fold.
        counts: ``{subject: {"micro": n, "macro": n}}`` labelled expressions.
        cfg: ``val_fraction`` and ``min_val_subjects``.
        rng: random generator.

    Returns:
        Sorted validation subjects (empty when fewer than two candidates).
    """
    if len(candidates) < 2:
        return []
    n_val = max(cfg.min_val_subjects, int(round(cfg.val_fraction * len(candidates))))
    n_val = min(n_val, len(candidates) - 1)
    order = [candidates[i] for i in rng.permutation(len(candidates))]
    chosen: list[str] = []
    for kind in ("micro", "macro"):  # first one subject with each type, then the rest at random
        if any(counts.get(s, {}).get(kind, 0) for s in chosen):
            continue
        for s in order:
            if s not in chosen and counts.get(s, {}).get(kind, 0) and len(chosen) < n_val:
                chosen.append(s)
                break
    for s in order:
        if len(chosen) >= n_val:
            break
        if s not in chosen:
            chosen.append(s)
    return sorted(chosen)


def make_folds(subjects: list[str], counts: dict[str, dict[str, int]], cfg: ProtocolConfig,
               seed: int = 0) -> list[Fold]:
    """Folds of the configured protocol, each with its inner-validation subjects.

    Raises:
        InputError: unknown protocol or selection objective, a negative rate guard, too few subjects, bad k or
            test list.
    """
    if cfg.protocol not in _PROTOCOLS:
        raise InputError(f"unknown protocol {cfg.protocol!r}; valid: {', '.join(protocol_names())}")
    if cfg.selection_metric not in OBJECTIVES:
        raise InputError(f"unknown protocol.selection_metric {cfg.selection_metric!r}; valid: {', '.join(OBJECTIVES)}")
    if cfg.max_pred_ratio < 0:
        raise InputError(f"protocol.max_pred_ratio must be >= 0 (0 = no rate guard), got {cfg.max_pred_ratio}")
    subjects = sorted(subjects)
    if len(subjects) < 2:
        raise InputError(f"the {cfg.protocol} protocol needs at least 2 subjects, got {len(subjects)}")
    rng = np.random.default_rng(seed)
    folds = []
    for name, test in _PROTOCOLS[cfg.protocol](subjects, cfg, rng):
        rest = [s for s in subjects if s not in test]
        if cfg.select_on_test:
            folds.append(Fold(name, list(test), rest, list(test), SELECTION_TEST))
            continue
        val = choose_validation(rest, counts, cfg, np.random.default_rng([seed, len(folds)]))
        folds.append(Fold(name, list(test), [s for s in rest if s not in val], val,
                          SELECTION_INNER if val else SELECTION_NONE))
    unselected = [f.name for f in folds if f.selection == SELECTION_NONE]
    if unselected:
        log.warning("fold(s) %s have a single training subject and so no inner-validation subject: they keep the "
                    "last epoch and the configured thresholds (nothing is selected); use more subjects",
                    ", ".join(unselected))
    return folds


def final_fold(subjects: list[str], counts: dict[str, dict[str, int]], cfg: ProtocolConfig, seed: int = 0) -> Fold:
    """The deployment split: every subject trains, except inner-validation subjects for selection."""
    subjects = sorted(subjects)
    val = choose_validation(subjects, counts, cfg, np.random.default_rng([seed, 10_000]))
    return Fold("final", [], [s for s in subjects if s not in val], val)
