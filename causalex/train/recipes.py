"""Named recipes: one name sets a whole published spotting method (``causalex train --recipe NAME``).

A recipe is a set of config overrides (graph layer input, temporal backbone, decoder, loss, training data),
the ``--graph`` it trains with and the node features it expects (``au``: AU activations; ``roi:<layout>``:
region optical flow from ``causalex extract --features roi --roi-layout <layout>``). Precedence, lowest
first: causalex's defaults < the recipe < ``--config`` file < explicit command-line options. The recipe's
name is recorded in the config (``ExperimentConfig.recipe``), so ``config.json`` and the checkpoint say which
recipe a model came from.

Every recipe is **our reimplementation** inside causalex's framework: the same feature normalisation, the
same heads (onset / apex / offset / inside per type, an emotion head), the same focal loss unless said
otherwise, and causalex's protocol (epoch and thresholds chosen on inner-validation subjects). What each
recipe sets, and where it deviates from its source:

``causalex`` (ours; AU features): the defaults. Time-series causal graph discovered per fold (AU selection),
    dilated TCN, apex search decoder, focal loss, sliding windows.
``auwgcn`` (AUW-GCN, ICME 2023; 12-region flow ``roi:auwgcn12``): co-occurrence graph per fold, dilated
    TCN, sliding windows. Deviations: causalex's focal loss, heads and apex/onset/offset search decoder
    stand in for AUW-GCN's own classification losses and proposal decoding.
``causal-ex`` (Causal-Ex; ``roi:auwgcn12``): as ``auwgcn`` with FCI re-run on every training batch
    (``model.dynamic``: fast FCI engine, no FACS background since the nodes are regions, ``conservative``
    policy: the ``-->`` edges). Deviation: the per-batch graph replaces the static graph instead of being
    added to a co-occurrence prior (so the static graph is ``none``).
``me-tst`` (ME-TST; 5-region flow ``roi:metst5``): selective state-space (Mamba-style) stack over whole
    videos (``data.sampling = videos``), ME-TST's peak +- k_p decoder (k_p from the mean training duration,
    threshold mean + 0.55 (max - mean)) on the inside score, no graph, synergy ``emotion-argmax`` (the
    source's option that drops no interval: its other one, ``drop-neutral``, drops nearly every interval
    with our head, which has no neutral class; benchmarks/RESULTS.md "Interval decoders"). Deviations: the
    Mamba blocks are our plain-torch selective scan (mamba-ssm's kernel only on CUDA when installed); focal
    per-frame classification stands in for ME-TST's per-frame score regression.
``me-tst-sf`` (ME-TST+; ``roi:metst5``): as ``me-tst`` with the slow-fast two-path state-space model.
    Deviation: ME-TST+'s multi-granularity ROIs are not reproduced (the 5-region layout only).
``boostingvrme`` (BoostingVRME, ACM MM 2025; 18-region flow ``roi:boosting18``): slow-fast state-space
    model over whole videos, scalable interval selection decoder (k_p from the median training duration).
    Same plain-torch deviations as ``me-tst``.
    All whole-video recipes train on videos of up to 30 s whole and on random 30-s crops of longer ones
    (``data.video_cap_s = 30``; centred crops with ``data.jitter = false``; 0 for whole videos of any
    length): an example then costs at most five 6-s windows, where CAS(ME)^2-length videos (2-5 min) would
    cost 20-50 per optimiser step.
``pesformer-like`` (PESFormer; ``roi:auwgcn12``): timestamp-classifying transformer over whole videos
    zero-padded to one length (30-s crops of longer ones, as above), no graph, apex search decoder.
    Deviations: our transformer attends over a local window (``model.attn_window``) with a relative
    position bias where PESFormer attends over the whole padded video; PESFormer's own feature pipeline is
    not reproduced (the 12-region flow that the AUW-GCN line of work uses stands in).

Features: a recipe given series of another node kind (region recipes on AU series, or the reverse) is
*warned about, not refused*: the graph layer, backbones and decoders work on any nodes, and comparing the
methods' architectures on one corpus's AU series is a legitimate experiment; the warning (and the
``features`` column of ``causalex compare``) says the recipe runs off its source's features. A trained
model is then bound to its node kind: ``causalex spot`` refuses series of another kind.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Callable

from causalex.train.config import ExperimentConfig


@dataclass(frozen=True)
class Recipe:
    """A named method: config overrides, the graph it trains with and the features it expects.

    Attributes:
        name: registry name (``--recipe``).
        source: the method it reimplements (paper / system).
        features: node kind the source uses: ``au`` or ``roi:<layout>`` (see `causalex.series.nodes_kind`).
        graph: the ``causalex train --graph`` spec (``causal``, ``cooccurrence``, ``none`` ...).
        overrides: nested config overrides (``{"model": {"backbone": "ssm"}}``) applied to the defaults.
        deviations: where our reimplementation differs from the source, one sentence each.
    """

    name: str
    source: str
    features: str
    graph: str
    overrides: dict[str, Any] = field(default_factory=dict)
    deviations: tuple[str, ...] = ()

    def config(self) -> ExperimentConfig:
        """The default config with this recipe's overrides applied (``recipe`` set to its name)."""
        config = ExperimentConfig().merged(copy.deepcopy(self.overrides))
        config.recipe = self.name
        return config

    def describe(self) -> str:
        """One line: source, features, graph and the fields the recipe sets."""
        fields = ", ".join(f"{section}.{key}={value}" for section, values in self.overrides.items()
                           for key, value in values.items())
        return (f"recipe {self.name} ({self.source}): features {self.features}, --graph {self.graph}"
                + (f", {fields}" if fields else ""))


_RECIPES: dict[str, Recipe] = {}


def register_recipe(recipe: Recipe) -> Recipe:
    """Add ``recipe`` to the registry under its name (the config it gives is checked now)."""
    recipe.config()  # a bad field or value fails at registration, not at the first run
    _RECIPES[recipe.name] = recipe
    return recipe


def recipe_names() -> list[str]:
    """Names of the registered recipes, in registration order."""
    return list(_RECIPES)


def make_recipe(name: str) -> Recipe:
    """The registered recipe ``name``.

    Raises:
        ValueError: unknown name (the message lists the valid ones).
    """
    if name not in _RECIPES:
        raise ValueError(f"unknown recipe {name!r}; valid: {', '.join(recipe_names())}")
    return _RECIPES[name]


def recipe_config(name: str, overrides: dict[str, Any] | None = None) -> ExperimentConfig:
    """The config of recipe ``name`` (``""``: the defaults) with ``overrides`` (a ``--config`` document) on top;
    the ``recipe`` field names the recipe whatever the overrides say.

    Raises:
        ValueError: unknown recipe, or an override that is not a valid config field or value.
    """
    base = make_recipe(name).config() if name else ExperimentConfig()
    config = base.merged({k: v for k, v in (overrides or {}).items() if k != "recipe"})
    config.recipe = name
    return config


def feature_mismatch(recipe: Recipe, node_names: list[str], recorded_kind: str | None = None) -> str | None:
    """One line when series with nodes ``node_names`` are not the features ``recipe`` expects, else None.

    ``au`` vs region features always differ; among region features the layout must match.
    """
    from causalex.series import describe_nodes, nodes_kind

    have = nodes_kind(node_names, recorded_kind)
    want = recipe.features
    if have == want or (want.startswith("roi") and have == "roi"):  # an unknown region layout: cannot tell
        return None
    want_words = "AU features" if want == "au" else f"region features ({want})"
    return (f"recipe {recipe.name} expects {want_words} ({recipe.source}); these series are "
            f"{describe_nodes(node_names, recorded_kind)}: it runs off its source's features (extract with "
            f"--features {'au' if want == 'au' else 'roi --roi-layout ' + want.split(':', 1)[1]} to match)")


_WINDOWS = {"data": {"sampling": "windows"}}
WHOLE_VIDEO_CAP_S = 30.0  # whole-video recipes: longer training videos give a random 30-s crop per example
_VIDEOS = {"data": {"sampling": "videos", "video_cap_s": WHOLE_VIDEO_CAP_S}}
_CROP = (f"training examples are whole videos up to {WHOLE_VIDEO_CAP_S:g} s and random {WHOLE_VIDEO_CAP_S:g}-s crops "
         "of longer ones (data.video_cap_s; 0 restores whole videos), so that a step costs at most 5 windows' worth")


def _merge(*parts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for part in parts:
        for section, values in part.items():
            out.setdefault(section, {}).update(values)
    return out


_PLAIN_TORCH_SSM = "Mamba blocks are our plain-torch selective scan (mamba-ssm's kernel only with CUDA when installed)"
_FOCAL = "causalex's focal per-frame classification stands in for the source's loss"
_BUILTINS: list[Callable[[], Recipe]] = [
    lambda: Recipe("causalex", "causalex: Causal-Ex-style AU graph", "au", "causal",
                   _merge(_WINDOWS, {"model": {"backbone": "tcn", "dynamic": False},
                                     "decode": {"decoder": "search"}, "optim": {"loss": "focal"}})),
    lambda: Recipe("auwgcn", "AUW-GCN (ICME 2023)", "roi:auwgcn12", "cooccurrence",
                   _merge(_WINDOWS, {"model": {"backbone": "tcn", "dynamic": False},
                                     "decode": {"decoder": "search"}, "optim": {"loss": "focal"}}),
                   (_FOCAL, "causalex's apex/onset/offset search decoder stands in for AUW-GCN's proposals")),
    lambda: Recipe("causal-ex", "Causal-Ex (arXiv 2503.09098)", "roi:auwgcn12", "none",
                   _merge(_WINDOWS, {"model": {"backbone": "tcn", "dynamic": True, "dynamic_method": "fci",
                                               "dynamic_background": "none", "dynamic_policy": "conservative"},
                                     "decode": {"decoder": "search"}, "optim": {"loss": "focal"}}),
                   ("the per-batch FCI graph replaces the static graph instead of adding its --> edges to a "
                    "co-occurrence prior", _FOCAL)),
    lambda: Recipe("me-tst", "ME-TST", "roi:metst5", "none",
                   _merge(_VIDEOS, {"model": {"backbone": "ssm", "dynamic": False},
                                    "decode": {"decoder": "me-tst", "score_channel": "inside", "relative_p": 0.55,
                                               "synergy": "emotion-argmax"},
                                    "optim": {"loss": "focal"}}),
                   (_PLAIN_TORCH_SSM, _FOCAL + " (ME-TST regresses one per-frame score)", _CROP)),
    lambda: Recipe("me-tst-sf", "ME-TST+ (slow-fast)", "roi:metst5", "none",
                   _merge(_VIDEOS, {"model": {"backbone": "ssm-slowfast", "dynamic": False},
                                    "decode": {"decoder": "me-tst", "score_channel": "inside", "relative_p": 0.55,
                                               "synergy": "emotion-argmax"},
                                    "optim": {"loss": "focal"}}),
                   (_PLAIN_TORCH_SSM, "ME-TST+'s multi-granularity ROIs are not reproduced (5 regions only)",
                    _FOCAL, _CROP)),
    lambda: Recipe("boostingvrme", "BoostingVRME (ACM MM 2025)", "roi:boosting18", "none",
                   _merge(_VIDEOS, {"model": {"backbone": "ssm-slowfast", "dynamic": False},
                                    "decode": {"decoder": "boostingvrme", "score_channel": "inside",
                                               "relative_p": 0.55},
                                    "optim": {"loss": "focal"}}),
                   (_PLAIN_TORCH_SSM, _FOCAL, _CROP)),
    lambda: Recipe("pesformer-like", "PESFormer", "roi:auwgcn12", "none",
                   _merge(_VIDEOS, {"model": {"backbone": "transformer", "dynamic": False},
                                    "decode": {"decoder": "search"}, "optim": {"loss": "focal"}}),
                   ("local attention (model.attn_window) with a relative position bias instead of attention over "
                    "the whole padded video", "PESFormer's feature pipeline is not reproduced (12-region flow "
                    "stands in)", _FOCAL, _CROP)),
]
for _build in _BUILTINS:
    register_recipe(_build())
