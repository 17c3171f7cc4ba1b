"""The spotting network: AU graph layers (dense or torch-geometric), a temporal backbone, output heads.

Modules: `config` (defaults), `features` (AU series -> node features), `graph_layers` (registry),
`backbones` (registry: `temporal` tcn, `ssm` + `ssm_scan` state-space, `transformer`), `network`
(`SpottingNet`), `inference` (chunked scoring), `dynamic_graph` (per-batch graph).
"""

from causalex.model.config import ModelConfig
from causalex.model.features import FeatureConfig, compute_node_features
from causalex.model.network import SpottingNet, build_model

__all__ = ["FeatureConfig", "ModelConfig", "SpottingNet", "build_model", "compute_node_features"]
