"""The deployment model's selection: what the cross-validation folds chose, carried over to a model that
sees every subject.

The deployment model (``model.pt``) trains on all subjects, so nothing is left to validate it on. Its
epoch is the median of the epochs the folds selected on their inner validation (the learning-rate schedule
still spans ``optim.epochs``, so it stops where a fold model stood at that epoch), and its per-type score
thresholds are chosen on the folds' inner-validation evidence pooled (`ValidationEvidence.pooled`): every
validation subject of every fold at once, where one fold's two validation subjects may hold a single
micro-expression. A type that still has too little evidence takes the rate threshold
(`causalex.train.selection`). Without validation evidence (folds of a single training subject, or folds
resumed from a run that did not record it) it keeps the configured thresholds, and says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from causalex.labels import EXPRESSION_TYPES
from causalex.train.config import ExperimentConfig
from causalex.train.protocols import SELECTION_NONE
from causalex.train.selection import SOURCE_CONFIGURED, ValidationEvidence, choose_from_evidence

log = logging.getLogger(__name__)


@dataclass
class DeploymentSelection:
    """Epoch and thresholds of the deployment model, and how they were chosen.

    Attributes:
        epoch: the epoch to stop after (None: the last).
        fold_epochs: the epochs the folds selected.
        thresholds: ``{type: threshold}`` (None: the configured ones).
        sources: ``{type: rule}`` that set each threshold.
        counts: ``{type: [tp, n_pred, n_gt]}`` on the pooled validation evidence.
        description: one line for logs, metrics.json and the checkpoint.
    """

    epoch: int | None
    fold_epochs: list[int] = field(default_factory=list)
    thresholds: dict[str, float] | None = None
    sources: dict[str, str] = field(default_factory=dict)
    counts: dict[str, list[int]] = field(default_factory=dict)
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        """Plain dict for metrics.json and the checkpoint's meta."""
        return {"epoch": self.epoch, "fold_epochs": self.fold_epochs, "thresholds": self.thresholds,
                "threshold_sources": self.sources, "pooled_validation_counts": self.counts,
                "description": self.description}


def median_epoch(epochs: list[int]) -> int | None:
    """The median of the folds' selected epochs, rounded half up (None without any)."""
    if not epochs:
        return None
    return int(np.floor(float(np.median(epochs)) + 0.5))


def deployment_selection(records: list[dict[str, Any]], evidence: list[ValidationEvidence],
                         config: ExperimentConfig) -> DeploymentSelection:
    """Epoch and thresholds for the deployment model from the folds' records and validation evidence.

    Args:
        records: per-fold records (``best_epoch``, ``selection``).
        evidence: the inner-validation evidence of every fold that selected on validation.
        config: the experiment settings (objective, rate guard, ``min_val_expressions``, decode defaults).
    """
    fold_epochs = [int(r["best_epoch"]) for r in records if r.get("selection") != SELECTION_NONE]
    epoch = median_epoch(fold_epochs)
    pooled = ValidationEvidence.pooled(evidence)
    if pooled is None:  # no fold validated (single training subjects), or folds resumed from an older run
        when = f"epoch {epoch}, the median of the folds' selected epochs" if epoch else "the last epoch"
        description = (f"no validation evidence from the folds: {when} and the configured thresholds "
                       f"(micro {config.decode.micro.threshold:g}, macro {config.decode.macro.threshold:g})")
        return DeploymentSelection(epoch, fold_epochs, None, dict.fromkeys(EXPRESSION_TYPES, SOURCE_CONFIGURED),
                                   {}, description)
    defaults = {"micro": config.decode.micro.threshold, "macro": config.decode.macro.threshold}
    choice = choose_from_evidence(pooled, defaults, objective=config.protocol.selection_metric,
                                  max_pred_ratio=config.protocol.max_pred_ratio,
                                  min_truth=config.protocol.min_val_expressions)
    per_type = ", ".join(f"{k} {choice.thresholds[k]:.2f} ({choice.sources[k]}, {choice.counts[k][2]} validation "
                         f"expression(s))" for k in EXPRESSION_TYPES)
    description = (f"epoch {epoch}, the median of the {len(fold_epochs)} fold(s)' selected epochs "
                   f"{sorted(fold_epochs)}; thresholds on the inner validation of {len(evidence)} fold(s) pooled: "
                   f"{per_type}")
    return DeploymentSelection(epoch, fold_epochs, dict(choice.thresholds), dict(choice.sources),
                               {k: list(v) for k, v in choice.counts.items()}, description)
