"""Default model hyper-parameters (ActionFormer style: defaults in code, config files only override)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from causalex.model.outputs import MEGC_EMOTIONS


@dataclass
class ModelConfig:
    """Architecture of `causalex.model.SpottingNet` (graph layer over AUs, then a temporal backbone)."""

    in_features: int = 4  # F, features per AU node and frame (see causalex.model.features)
    node_hidden: int = 8  # H, hidden size of each AU node in the graph layers
    graph_layer: str = "dense"  # graph layer formulation: dense | pyg (same maths; dense measured faster)
    graph_layers: int = 2  # number of residual graph layers over the K AU nodes
    bidirectional: bool = True  # also pass messages effect -> cause (own weights) besides cause -> effect
    message_init: str = "default"  # initial weights of the neighbour messages: default (PyTorch) | zero (the
    # graph layers start as the no-graph model and use the AU graph only as far as training finds it useful)
    message_kernel: int = 1  # frames (odd) of a learned per-channel temporal filter on the neighbour messages:
    # 1 = messages between the AUs of one frame (AUW-GCN); > 1 lets a cause's recent past reach its effect
    # (the lagged mechanism; a spatio-temporal graph layer). No effect without a graph. Measured on simulated
    # casme2 (benchmarks/RESULTS.md): 9 is no better than 1 (micro F1 -0.03), so the default stays 1.
    node_embedding: bool = True  # learned per-AU identity vector added to the node input
    readout: str = "flatten"  # K node states -> one frame vector: flatten (AUW-GCN; every AU mixed by a linear
    # layer, graph or not) | mean (mean over nodes: AUs interact only through the graph layers)
    temporal_channels: int = 32  # D, channels of the temporal backbone after pooling the K nodes
    backbone: str = "tcn"  # temporal backbone (causalex.model.backbones): tcn (dilated convs, AUW-GCN) | ssm
    # (selective state-space, Mamba-style) | ssm-slowfast (slow + fast SSM paths) | transformer (local attention)
    temporal_kernel: int = 3  # tcn: kernel size of each dilated 1-D convolution (frames)
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16)  # tcn: one residual conv block per dilation (AUW-GCN style)
    dropout: float = 0.1  # dropout inside the temporal blocks
    ssm_layers: int = 2  # ssm: residual state-space blocks
    ssm_state: int = 8  # ssm: N, states per inner channel (Mamba's default is 16; the scan's time and
    # memory grow with it)
    ssm_expand: int = 2  # ssm: inner channels = expand x D
    ssm_conv: int = 4  # ssm: frames of the short causal depthwise convolution
    ssm_bidirectional: bool = True  # ssm: add a mixer over the reversed sequence (spotting is offline)
    ssm_memory: int = 240  # ssm: frames after which a frame weighs < 1/1000 in the state (8 s at 30 fps);
    # bounds the context chunked inference needs
    slow_stride: int = 4  # ssm-slowfast: frames averaged per step of the slow path
    attn_heads: int = 4  # transformer: attention heads (divide temporal_channels)
    attn_layers: int = 2  # transformer: encoder layers
    attn_window: int = 32  # transformer: frames each way a frame attends to (receptive field 2 x layers x window + 1)
    emotion_classes: tuple[str, ...] = MEGC_EMOTIONS  # classes of the emotion head
    prior_probability: float = 0.01  # initial sigmoid output of the spotting head (focal-loss init)
    dynamic: bool = False  # re-discover the AU graph per batch (fast FCI engine) instead of the fixed one
    dynamic_alpha: float = 0.01  # significance level of the per-batch discovery
    dynamic_method: str = "fci"  # engine method of the per-batch discovery: fci | pc
    dynamic_policy: str = "lenient"  # debiasing rule turning the per-batch PAG into an adjacency (as train's
    # static causal graph; measured on simulated casme2, lenient + facs beat conservative without background)
    dynamic_background: str = "facs"  # background knowledge of the per-batch discovery: facs (edges between AUs
    # that the FACS prior does not link are forbidden) | none
    dynamic_max_frames: int = 400  # evenly spaced frames of the batch that estimate its correlation (neighbouring
    # frames are nearly copies; more samples only make every CI test reject)

    def __post_init__(self) -> None:
        from causalex.model.backbones import check_backbone_name  # the registry imports torch modules

        check_backbone_name(self.backbone)

    def to_dict(self) -> dict:
        """Plain dict (JSON): tuples become lists."""
        d = asdict(self)
        d["dilations"] = list(self.dilations)
        d["emotion_classes"] = list(self.emotion_classes)
        return d

    @classmethod
    def from_dict(cls, data: dict) -> "ModelConfig":
        """Inverse of `to_dict`; unknown keys raise ValueError listing the valid ones."""
        return dataclass_from_dict(cls, data)


def check_whole_numbers(config, names: tuple[str, ...]) -> None:
    """Raise ValueError naming the first field of ``names`` in ``config`` that is not a whole number >= 1."""
    for name in names:
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{type(config).__name__}.{name} must be a whole number >= 1, got {value!r}")


def dataclass_from_dict(cls, data: dict, defaults=None):
    """Build dataclass ``cls`` from a dict, turning lists back into tuples where the default is a tuple.

    ``defaults`` (an instance of ``cls``) gives the types to check against when ``cls()`` needs arguments.

    Raises:
        ValueError: a key that is not a field of ``cls`` (the message lists the valid ones), or a value
            whose JSON type does not fit the field's default (``"three"`` for an int, ``1.5`` for an int,
            a number for a list ...), naming ``Class.field``.
    """
    names = {f.name: f for f in fields(cls)}
    unknown = [k for k in data if k not in names]
    if unknown:
        raise ValueError(f"unknown {cls.__name__} field(s) {', '.join(unknown)}; valid: {', '.join(names)}")
    kwargs = {}
    defaults = cls() if defaults is None else defaults
    for key, value in data.items():
        default = getattr(defaults, key)
        _check_value_type(f"{cls.__name__}.{key}", value, default)
        if isinstance(default, tuple) and isinstance(value, list):
            value = tuple(value)
        kwargs[key] = value
    return cls(**kwargs)


def _check_value_type(name: str, value, default) -> None:
    """Raise ValueError unless ``value`` has the JSON type of ``default`` (ints may stand for floats;
    a None default accepts a number or null)."""
    if isinstance(default, bool):
        ok, want = isinstance(value, bool), "true or false"
    elif isinstance(default, int):
        ok, want = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif isinstance(default, float) or default is None:
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)) or (default is None and value is None)
        want = "a number" + (" or null" if default is None else "")
    elif isinstance(default, str):
        ok, want = isinstance(value, str), "a string"
    elif isinstance(default, tuple):
        ok, want = isinstance(value, (list, tuple)), "a list"
        if ok and default:
            for item in value:
                _check_value_type(f"{name} item", item, default[0])
    else:
        return
    if not ok:
        raise ValueError(f"{name} must be {want}, got {value!r}")

