"""Training: windows and targets, losses, protocols (LOSO, k-fold, split), the loop, selection, runs.

The entry point is `causalex.train.experiment.run_experiment`; `ExperimentConfig` holds the defaults.
"""

from causalex.train.config import DataConfig, ExperimentConfig, OptimConfig, ProtocolConfig

__all__ = ["DataConfig", "ExperimentConfig", "OptimConfig", "ProtocolConfig"]
