"""Default training settings (ActionFormer style: defaults in code with a comment per field).

`ExperimentConfig` gathers everything a run needs; it round-trips through JSON (``config.json`` of a
model folder) and accepts partial overrides (``--config overrides.json``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from causalex.model.config import ModelConfig, dataclass_from_dict
from causalex.model.features import FeatureConfig
from causalex.rates import FPS_MAX, FPS_MIN
from causalex.spot.decoding import DecodeConfig


@dataclass
class DataConfig:
    """How videos become training windows and targets (all durations in seconds)."""

    working_fps: float = 30.0  # every series is resampled to this rate before features are computed
    window_s: float = 6.0  # training window length (context + core + context); also the shortest video
    context_s: float = 1.0  # frames this close to a window end give context but no loss
    neutral_ratio: float = 1.0  # expression-free windows per expression window, re-drawn every epoch
    micro_repeat: int = 3  # windows per micro-expression and epoch (micro-expressions are rare)
    sigma_ratio: float = 0.12  # width of the onset/offset target bumps, fraction of the expression length
    apex_sigma_ratio: float = 0.25  # width of the apex bump, fraction of the expression length
    sigma_min_s: float = 0.05  # minimum width of every bump, seconds
    jitter: bool = True  # random window offset each epoch (else a fixed tiling)
    sampling: str = "windows"  # what one training example is: windows (sliding windows around expressions +
    # neutral ones) | videos (every training video whole once per epoch, zero-padded to one length and masked
    # in the loss, as PESFormer trains; a video longer than video_cap_s gives a random crop of that length)
    video_cap_s: float = 0.0  # videos sampling: length cap, seconds (0 = the longest training video)
    video_repeats: int = 0  # videos sampling: examples of each video per epoch; 0 = as many examples per epoch as
    # windows sampling draws from the same videos, so that an epoch is the same number of optimiser steps either way
    # (once per epoch left whole-video training at 2-5 steps an epoch on small corpora: undertrained at equal epochs)


@dataclass
class OptimConfig:
    """Optimisation: AdamW with warm-up and cosine decay, focal losses."""

    epochs: int = 18  # passes over the training windows (the best epoch is picked on validation)
    validate_from: float = 0.3  # validation (and epoch selection) starts after this fraction of the epochs
    batch_size: int = 0  # windows per step; 0 = auto (`auto_batch_size`: up to 16, small enough for min_steps)
    min_steps: int = 30  # auto batch size: at least this many optimiser steps per epoch (small corpora)
    lr: float = 3e-3  # peak learning rate
    weight_decay: float = 1e-2  # AdamW decoupled weight decay
    warmup_epochs: float = 1.0  # linear warm-up length, in epochs
    grad_clip: float = 1.0  # max gradient norm (0 = off)
    ema_decay: float = 0.99  # exponential moving average of the weights per step, used for selection (0 = off)
    loss: str = "focal"  # spotting loss (registry in causalex.train.losses): focal | bce | boundary (focal with
    # extra weight on the onset/offset channels near true boundaries, MELDAE-style)
    focal_gamma: float = 2.0  # focusing exponent of the focal loss
    boundary_weight: float = 2.0  # boundary loss: errors at a true onset/offset cost up to 1 + this times more
    label_smoothing: float = 0.05  # targets t -> t (1 - eps) + eps / 2; emotion CE smoothing too
    micro_weight: float = 2.0  # loss weight of the micro channels (micro-expressions are rarer)
    emotion_weight: float = 0.2  # weight of the emotion cross-entropy (frames inside labelled expressions)
    amp: bool = True  # mixed precision when training on CUDA (ignored on CPU)
    threads: int = 1  # torch CPU threads (0 = torch's default; the model is small: more threads mostly add overhead)


def auto_batch_size(n_windows: int, optim: OptimConfig, largest: int = 16, smallest: int = 2) -> int:
    """Windows per step: ``optim.batch_size`` when set, else the largest size up to ``largest`` that still gives
    ``optim.min_steps`` steps per epoch of ``n_windows`` windows (never below ``smallest``)."""
    if optim.batch_size > 0:
        return optim.batch_size
    return int(min(largest, max(smallest, n_windows // max(1, optim.min_steps))))


@dataclass
class ProtocolConfig:
    """How subjects are split into folds and how the epoch and thresholds are selected."""

    protocol: str = "loso"  # loso | kfold | split (registry in causalex.train.protocols)
    folds: int = 5  # number of folds for kfold
    test_subjects: tuple[str, ...] = ()  # test subjects of the split protocol
    val_fraction: float = 0.2  # share of the training subjects held out as inner validation
    min_val_subjects: int = 2  # at least this many inner-validation subjects
    selection_metric: str = "type_mean"  # epoch chosen by: type_mean (mean of micro and macro F1) | overall
    max_pred_ratio: float = 3.0  # rate guard of the threshold choice: a type may predict at most this many
    # intervals per validation ground truth of that type (F1 there < 2 / (1 + ratio)); 0 = off. Measured LOSO
    # on five corpora (benchmarks/RESULTS.md): never worse, +0.026 micro F1 for the causal graph, +0.004 no graph
    min_val_expressions: int = 3  # a type with fewer validation expressions (or none found at any threshold) is not
    # tuned on validation F1: its threshold makes the validation videos get as many predictions as the training
    # label rate gives (causalex.train.selection, "rate fallback")
    select_on_test: bool = False  # OPTIMISTIC: choose epoch/thresholds on the test subjects (published-paper protocol)
    final_model: bool = True  # also train the deployment model on all subjects (epoch: median of the folds' choices;
    # thresholds: chosen on the folds' inner validation pooled)


@dataclass
class GraphConfig:
    """How the data-driven graphs (``causal``, ``cooccurrence``) are built in each fold."""

    method: str = "timeseries"  # discovery algorithm of the causal graph: timeseries (lagged tests, AU selection)
    # | fci | pc. fci with lenient + facs was level with no graph over ten corpora and kept the bias AUs
    alpha: float | None = None  # significance level of the CI tests (None: `causalex discover`'s default)
    stride: int | None = None  # keep every N-th frame (None: discover's default, auto; see discover.sampling)
    policy: str | None = None  # debiasing rule from PAG to adjacency (causalex.discover.debias); None: selection-only
    # for timeseries (the model uses the AU selection, no edge: edges were level with none, in and across corpora),
    # lenient for fci/pc. lenient keeps undetermined o-o / o-> edges and drops only the <-> ones; conservative
    # keeps --> only
    background: str | None = None  # None: none for timeseries (mechanisms outside FACS pairs stay), facs for
    # fci/pc. Background knowledge of the discovery: facs (edges between AUs that the FACS
    # prior does not link are forbidden) | none. lenient + facs beat conservative without background (wrong
    # edges kept, true o-o ones dropped) on five corpora; over ten it is level with no graph (benchmarks/RESULTS.md)

    def discovery_config(self) -> "DiscoveryConfig":  # noqa: F821 (imported lazily: discover is heavy)
        """The `causalex.discover.pipeline.DiscoveryConfig` these settings give: `causalex discover`'s
        defaults except where a field is set here, so ``--graph causal`` in a fold builds the graph that
        ``causalex discover`` builds from the same subjects."""
        from causalex.discover.debias import TIMESERIES_POLICY
        from causalex.discover.pipeline import DiscoveryConfig
        from causalex.discover.sampling import SamplingOptions

        ts = self.method == "timeseries"
        cfg = DiscoveryConfig(method=self.method,
                              policy=self.policy or (TIMESERIES_POLICY if ts else "lenient"),
                              background=self.background or ("none" if ts else "facs"))
        if self.alpha is not None:
            cfg.alpha = self.alpha
        cfg.sampling = SamplingOptions() if self.stride is None else SamplingOptions(stride=self.stride)
        return cfg


def _between(low: float, high: float, *, open_low: bool = False, open_high: bool = False):
    """A predicate and its words for a value range (``(lo, hi]``-style bounds; ``inf`` for none)."""
    def ok(v: float) -> bool:
        return math.isfinite(v) and (v > low if open_low else v >= low) and (v < high if open_high else v <= high)
    left, right = "(" if open_low else "[", ")" if open_high else "]"
    return ok, f"in {left}{low:g}, {high:g}{right}"


VALUE_RANGES = {  # (section, field) -> (predicate, words): values every run needs, checked when a config is read
    ("optim", "epochs"): _between(1, math.inf, open_high=True),
    ("optim", "validate_from"): _between(0, 1),
    ("optim", "batch_size"): _between(0, math.inf, open_high=True),
    ("optim", "min_steps"): _between(1, math.inf, open_high=True),
    ("optim", "lr"): _between(0, math.inf, open_low=True, open_high=True),
    ("optim", "weight_decay"): _between(0, math.inf, open_high=True),
    ("optim", "warmup_epochs"): _between(0, math.inf, open_high=True),
    ("optim", "grad_clip"): _between(0, math.inf, open_high=True),
    ("optim", "ema_decay"): _between(0, 1, open_high=True),
    ("optim", "focal_gamma"): _between(0, math.inf, open_high=True),
    ("optim", "boundary_weight"): _between(0, math.inf, open_high=True),
    ("optim", "label_smoothing"): _between(0, 1, open_high=True),
    ("optim", "micro_weight"): _between(0, math.inf, open_high=True),
    ("optim", "emotion_weight"): _between(0, math.inf, open_high=True),
    ("protocol", "min_val_expressions"): _between(1, math.inf, open_high=True),
    ("data", "working_fps"): _between(FPS_MIN, FPS_MAX),
    ("data", "window_s"): _between(0, math.inf, open_low=True, open_high=True),
    ("data", "context_s"): _between(0, math.inf, open_high=True),
    ("data", "neutral_ratio"): _between(0, math.inf, open_high=True),
    ("data", "micro_repeat"): _between(1, math.inf, open_high=True),
    ("data", "sigma_ratio"): _between(0, math.inf, open_low=True, open_high=True),
    ("data", "apex_sigma_ratio"): _between(0, math.inf, open_low=True, open_high=True),
    ("data", "sigma_min_s"): _between(0, math.inf, open_low=True, open_high=True),
    ("data", "video_cap_s"): _between(0, math.inf, open_high=True),
    ("data", "video_repeats"): _between(0, math.inf, open_high=True),
}
SAMPLING_MODES = ("windows", "videos")  # DataConfig.sampling


def check_value_ranges(config: "ExperimentConfig") -> None:
    """Raise ValueError naming the first field of ``config`` outside its `VALUE_RANGES` range."""
    for (section, name), (ok, words) in VALUE_RANGES.items():
        value = getattr(getattr(config, section), name)
        if not ok(float(value)):
            raise ValueError(f"{type(getattr(config, section)).__name__}.{name} must be {words}, got {value!r}")
    if config.data.sampling not in SAMPLING_MODES:
        raise ValueError(f"unknown DataConfig.sampling {config.data.sampling!r}; valid: {', '.join(SAMPLING_MODES)}")
    from causalex.train.losses import loss_names  # torch: imported when a config is checked

    if config.optim.loss not in loss_names():
        raise ValueError(f"unknown OptimConfig.loss {config.optim.loss!r}; valid: {', '.join(loss_names())}")
    if 2 * config.data.context_s >= config.data.window_s:
        raise ValueError(f"DataConfig.context_s ({config.data.context_s:g} s) must be under half of window_s "
                         f"({config.data.window_s:g} s): the window needs frames that carry a loss")


@dataclass
class ExperimentConfig:
    """Everything a training run needs. Serialised as ``config.json`` in the model folder."""

    features: FeatureConfig = field(default_factory=FeatureConfig)  # node features
    model: ModelConfig = field(default_factory=ModelConfig)  # architecture
    data: DataConfig = field(default_factory=DataConfig)  # windows and targets
    optim: OptimConfig = field(default_factory=OptimConfig)  # optimiser and losses
    decode: DecodeConfig = field(default_factory=DecodeConfig)  # interval decoding (thresholds tuned)
    protocol: ProtocolConfig = field(default_factory=ProtocolConfig)  # folds and selection
    graph: GraphConfig = field(default_factory=GraphConfig)  # per-fold graph discovery
    seed: int = 0  # seeds numpy and torch: equal seeds give equal runs on the same machine
    recipe: str = ""  # named recipe the run started from (causalex.train.recipes; "" = none): a record only

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON)."""
        out = {
            "features": self.features.to_dict(),
            "model": self.model.to_dict(),
            "data": asdict(self.data),
            "optim": asdict(self.optim),
            "decode": self.decode.to_dict(),
            "protocol": {**asdict(self.protocol), "test_subjects": list(self.protocol.test_subjects)},
            "graph": asdict(self.graph),
            "seed": self.seed,
            "recipe": self.recipe,
        }
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ExperimentConfig":
        """Build from a (possibly partial) dict; missing fields keep their defaults.

        Raises:
            ValueError: an unknown section or field (the message lists the valid ones).
        """
        sections = {"features": FeatureConfig, "model": ModelConfig, "data": DataConfig, "optim": OptimConfig,
                    "protocol": ProtocolConfig, "graph": GraphConfig}
        unknown = [k for k in data if k not in (*sections, "decode", "seed", "recipe")]
        if unknown:
            raise ValueError(f"unknown config section(s) {', '.join(unknown)}; valid: "
                             f"{', '.join((*sections, 'decode', 'seed', 'recipe'))}")
        for name in (*sections, "decode"):
            if name in data and not isinstance(data[name], dict):
                raise ValueError(f"config section {name!r} must be an object of fields, got {data[name]!r}")
        kwargs: dict[str, Any] = {}
        for name, cls_ in sections.items():
            if name in data:
                kwargs[name] = dataclass_from_dict(cls_, data[name])
        if "decode" in data:
            kwargs["decode"] = DecodeConfig.from_dict(data["decode"])
        if "recipe" in data:
            if not isinstance(data["recipe"], str):
                raise ValueError(f"recipe must be a recipe name (a string), got {data['recipe']!r}")
            kwargs["recipe"] = data["recipe"]
        if "seed" in data:
            seed = data["seed"]
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
            kwargs["seed"] = seed
        config = cls(**kwargs)
        check_value_ranges(config)
        return config

    def merged(self, overrides: dict[str, Any]) -> "ExperimentConfig":
        """A copy with nested ``overrides`` applied (``{"optim": {"epochs": 3}}``)."""
        base = self.to_dict()
        for section, values in overrides.items():
            if isinstance(values, dict) and isinstance(base.get(section), dict):
                for key, value in values.items():
                    if isinstance(value, dict) and isinstance(base[section].get(key), dict):
                        base[section][key] = {**base[section][key], **value}
                    else:
                        base[section][key] = value
            else:
                base[section] = values
        return ExperimentConfig.from_dict(base)
