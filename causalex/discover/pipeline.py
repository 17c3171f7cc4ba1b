"""From AU series to a saved, debiased AU graph: sampling -> engine (+ bootstrap) -> debiasing -> provenance.

`discover_graph` builds one graph; `discover_graphs` one per group (dataset, subject or expression
type); `build_graph_variant` builds any graph the model can use by name (``causal``,
``cooccurrence``, ``facs``, ``full``, ``none``), which is what the train and bias ablations call.
"""

from __future__ import annotations

import hashlib
import logging
import platform
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

import numpy as np

from causalex.devices import device_problem
from causalex.discover.background import BackgroundKnowledge
from causalex.discover.cooccurrence import DEFAULT_THRESHOLD, cooccurrence_graph
from causalex.discover.debias import check_policy, debias_edges, default_policy
from causalex.discover.facs_prior import facs_background, facs_prior_graph
from causalex.discover.lagged import fold_lagged, lagged_background
from causalex.discover.sampling import (RESAMPLE_CHOICES, FrameSample, SamplingOptions, align_au_names,
                                        collect_samples, group_series)
from causalex.discover.stability import bootstrap_pags, consensus_edges
from causalex.errors import InputError
from causalex.graph import AUGraph, empty_graph, full_graph
from causalex.labels import Interval
from causalex.series import AUSeries

log = logging.getLogger(__name__)

METHODS = ("timeseries", "fci", "pc")
ENGINES = ("fast", "causal-learn", "tigramite")
BACKGROUNDS = ("none", "facs")
GRAPH_VARIANTS = ("causal", "cooccurrence", "facs", "full", "none")


@dataclass
class DiscoveryConfig:
    """Settings of one discovery (defaults in code; the CLI overrides some)."""

    method: str = "timeseries"  # "timeseries" (lagged tests on the series, causalex.discover.timeseries), "fci"
    # (PAG over frames or two time slices: can flag latent common causes as <->) or "pc" (CPDAG, assumes none)
    max_lag_s: float = 0.3  # timeseries: longest lag tested, seconds (own past and candidate parents' past)
    min_effect: float = 0.03  # timeseries: smallest |partial correlation| that counts as a link
    label_nodes: bool = False  # timeseries: expression labels (inside micro / macro) as nodes no AU can cause
    engine: str = "fast"  # "fast" (batched, ours), "causal-learn" (reference FCI/PC) or "tigramite" (reference
    # PCMCI+ for the timeseries method: the optional tigramite extra, for comparison)
    ci_test: str = "fisherz"  # conditional-independence test
    alpha: float = 0.001  # significance level of each CI test (thousands of frames: keep it small)
    depth: int = -1  # largest conditioning set (-1: unlimited)
    bootstrap: int = 0  # bootstrap runs (0: one run on all the data, every stability 1.0)
    resample: str = "subject"  # bootstrap unit: subject, video or frame
    threshold: float = 0.5  # minimum stability of a kept edge (only with bootstrap)
    policy: str | None = None  # debiasing policy (causalex.discover.debias); None: the method's default
    # (`default_policy`: selection-only for timeseries, conservative for fci / pc)
    background: str = "none"  # "none" or "facs" (forbid edges outside the FACS prior)
    seed: int = 0  # seed of resampling and engines
    workers: int = 1  # processes for bootstrap runs that cannot be batched
    device: str = "auto"  # batched bootstrap tests: "auto" (cuda when available), "cpu", or a torch device
    sampling: SamplingOptions = field(default_factory=SamplingOptions)  # which frames are used

    @property
    def resolved_policy(self) -> str:
        """The debiasing policy this discovery applies (``policy``, else the method's default)."""
        return self.policy if self.policy is not None else default_policy(self.method)

    def validate(self) -> None:
        """Raise `InputError` for a bad value (names the valid choices)."""
        for value, choices, what in ((self.method, METHODS, "method"), (self.engine, ENGINES, "engine"),
                                     (self.background, BACKGROUNDS, "background"),
                                     (self.resample, RESAMPLE_CHOICES, "resample unit")):
            if value not in choices:
                raise InputError(f"unknown {what} {value!r}; valid: {', '.join(choices)}")
        try:
            check_policy(self.resolved_policy)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if not (np.isfinite(self.max_lag_s) and self.max_lag_s > 0):
            raise InputError(f"max lag must be > 0 seconds, got {self.max_lag_s}")
        if not 0.0 <= self.min_effect < 1.0:
            raise InputError(f"min effect must be in [0, 1), got {self.min_effect}")
        if self.label_nodes and self.method != "timeseries":
            raise InputError("label nodes need the timeseries method (--method timeseries)")
        if self.method == "timeseries" and self.engine == "causal-learn":
            raise InputError("the timeseries method runs on the fast or the tigramite engine, not causal-learn")
        if self.engine == "tigramite" and self.method != "timeseries":
            raise InputError("the tigramite engine runs the timeseries method only (--method timeseries)")
        if self.engine == "tigramite" and self.bootstrap:
            raise InputError("the tigramite engine runs once: --bootstrap needs --engine fast")
        if not 0.0 < self.alpha < 1.0:
            raise InputError(f"alpha must be in (0, 1), got {self.alpha}")
        if self.depth < -1:
            raise InputError(f"depth must be -1 (unlimited) or >= 0, got {self.depth}")
        if self.bootstrap < 0:
            raise InputError(f"bootstrap runs must be >= 0, got {self.bootstrap}")
        if not 0.0 <= self.threshold <= 1.0:
            raise InputError(f"stability threshold must be in [0, 1], got {self.threshold}")
        if self.workers < 1:
            raise InputError(f"workers must be >= 1, got {self.workers}")
        if self.seed < 0:
            raise InputError(f"seed must be >= 0, got {self.seed}")
        if problem := device_problem(self.device):
            raise InputError(problem)
        self.sampling.validate()


def _hash_series(digest: Any, s: AUSeries) -> None:
    """Feed one series' AU names, fps, mask and values (untracked frames as 0) to ``digest``."""
    digest.update(f"{','.join(s.au_names)}|{s.fps}|".encode())
    digest.update(s.mask.tobytes())
    digest.update(np.where(s.mask[:, None], s.values, 0).astype(np.float32).tobytes())


def data_hash(series: list[AUSeries], labels: list[Interval] | None = None) -> str:
    """SHA-256 over the series' arrays, AU names and video ids (sorted by video) and the labels used."""
    digest = hashlib.sha256()
    for s in sorted(series, key=lambda s: s.video):
        digest.update(f"{s.video}|".encode())
        _hash_series(digest, s)
    for iv in sorted(labels or [], key=lambda iv: (iv.video, iv.onset, iv.offset, iv.type)):
        digest.update(f"{iv.video}|{iv.onset}|{iv.offset}|{iv.type}|".encode())
    return digest.hexdigest()


def video_hashes(series: list[AUSeries]) -> dict[str, str]:
    """``{video: fingerprint}`` of each series' data (SHA-256 of AU names, fps, mask and values; 16 hex digits).

    Stored in a discovered graph's provenance, so that training can tell whether a graph file has seen
    the data of a fold's test subjects (`causalex.train.graphs.videos_seen_by_graph`).
    """
    out = {}
    for s in series:
        digest = hashlib.sha256()
        _hash_series(digest, s)
        out[s.video] = digest.hexdigest()[:16]
    return out


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries a graph depends on."""
    out = {"python": platform.python_version()}
    for dist in ("causalex", "numpy", "scipy", "causal-learn", "torch", "tigramite"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def resolve_device(device: str) -> str | None:
    """Torch device for batched CI tests: ``auto`` gives ``cuda`` when torch sees a GPU, else None (numpy)."""
    if device == "cpu":
        return None
    if device != "auto":
        return device
    try:
        import torch
    except ImportError:
        return None
    return "cuda" if torch.cuda.is_available() else None


def _restricted_background(bk: BackgroundKnowledge | None, names: list[str]) -> BackgroundKnowledge | None:
    """The rules of ``bk`` that only name nodes in ``names`` (AUs dropped from the tests are left out)."""
    if bk is None or bk.is_empty():
        return None
    keep = set(names)
    out = BackgroundKnowledge()
    for a, b in bk.forbidden:
        if a in keep and b in keep:
            out.forbid(a, b)
    for a, b in bk.required:
        if a in keep and b in keep:
            out.require(a, b)
    for node, tier in bk.tiers.items():
        if node in keep:
            out.add_tier(tier, [node])
    for tier in bk.forbidden_within_tiers:
        out.forbid_within_tier(tier)
    return out


def _resample_unit(sample: FrameSample, wanted: str) -> str:
    """``wanted`` unless the sample has fewer than 2 such units: then video, then frame (logged).

    Subjects come from the series or the labels; when no video has one the bootstrap is over videos (and
    says so), when some lack one each of those counts as its own subject (a warning names how many).
    """
    missing = sample.videos_without_subject
    if wanted == "subject" and missing:
        if len(missing) == sample.n_series:
            log.warning("no video has a subject (no subject in the series, and the labels give none for them): "
                        "bootstrapping over videos; give subjects in the labels (a subject column) to resample subjects")
            wanted = "video"
        else:
            log.warning("%d of %d video(s) have no subject in the series or the labels (e.g. %s): each counts as "
                        "its own subject in the bootstrap", len(missing), sample.n_series, missing[0])
    order = RESAMPLE_CHOICES[RESAMPLE_CHOICES.index(wanted):]
    for unit in order:
        if unit == "frame" or len(np.unique(sample.units(unit))) >= 2:
            if unit != wanted:
                log.warning("fewer than 2 %ss to resample; bootstrapping over %ss instead", wanted, unit)
            return unit
    return "frame"


def discover_graph(series: list[AUSeries], labels: list[Interval] | None = None,
                   config: DiscoveryConfig | None = None, *, au_names: list[str] | None = None,
                   background: BackgroundKnowledge | None = None, command: str = "", name: str = "causal",
                   contexts: dict[str, list[AUSeries]] | None = None) -> AUGraph:
    """Discover the debiased AU causal graph of a corpus.

    Args:
        series: AU series (every one with the same AUs, or select them with ``au_names``).
        labels: expression intervals (for ``inside_expressions`` / per-type sampling and subjects).
        config: discovery settings (default `DiscoveryConfig()`).
        au_names: AUs to use (default: those of the first series).
        background: extra background knowledge, combined with ``config.background``.
        command: the command line that produced the graph (stored in the provenance).
        name: graph name.
        contexts: other corpora, ``{name: series}`` (AU series only; ``timeseries`` method): links are
            re-tested in each corpus and a link or AU that holds in one corpus only is left out
            (`causalex.discover.selection`).

    Returns:
        an `AUGraph` over all AUs (those left out of the tests are isolated nodes) with PAG edges,
        stability, the debiased adjacency and provenance.

    Raises:
        InputError: bad settings or input (see `collect_samples`).
    """
    from causalex.discover.engines import discover_pag

    cfg = config or DiscoveryConfig()
    cfg.validate()
    cfg = replace(cfg, policy=cfg.resolved_policy)
    series = align_au_names(series, au_names)
    if cfg.method == "timeseries":
        from causalex.discover.ts_graph import discover_timeseries_graph

        return discover_timeseries_graph(series, labels, cfg, background, command, name, contexts)
    if contexts:
        raise InputError("context corpora need the timeseries method (--method timeseries)")
    sample = collect_samples(series, labels, cfg.sampling)
    nodes = sample.au_names
    bk = BackgroundKnowledge()
    if cfg.background == "facs":
        bk = facs_background(nodes)
    if background is not None:
        background.check_names(nodes)
        bk = _merge(bk, background)
    engine_bk = _restricted_background(bk, sample.tested_aus)
    if sample.lagged:
        engine_bk = lagged_background(sample.tested_aus, engine_bk)
    engine_kwargs: dict[str, Any] = dict(method=cfg.method, alpha=cfg.alpha, depth=cfg.depth,
                                         node_names=sample.variable_names, background=engine_bk)
    unit = None
    if cfg.bootstrap > 0:
        unit = _resample_unit(sample, cfg.resample)
        pags = bootstrap_pags(sample.data, sample.units(unit), cfg.bootstrap, seed=cfg.seed, engine=cfg.engine,
                              ci_test=cfg.ci_test, device=resolve_device(cfg.device), workers=cfg.workers,
                              **engine_kwargs)
        threshold = cfg.threshold
    else:
        pags = [discover_pag(sample.data, seed=cfg.seed, engine=cfg.engine, ci_test=cfg.ci_test, **engine_kwargs)]
        threshold = 0.0
    if sample.lagged:
        pags = [fold_lagged(p, sample.tested_aus) for p in pags]
    edges = consensus_edges(pags, nodes)
    edges, adjacency = debias_edges(nodes, edges, cfg.policy, threshold, None if bk.is_empty() else bk)
    prov = {
        "kind": "causal discovery",
        "data_hash": data_hash(series, labels if _labels_used(cfg) else None),
        "video_hashes": video_hashes(series),
        "n_series": sample.n_series, "n_samples": sample.n_samples, "strides_used": sample.strides,
        "tested_aus": sample.tested_aus, "dropped_aus": sample.dropped_aus,
        "engine": cfg.engine, "method": cfg.method, "ci_test": cfg.ci_test, "alpha": cfg.alpha, "depth": cfg.depth,
        "bootstrap": cfg.bootstrap, "resample": unit, "threshold": threshold, "policy": cfg.policy,
        "background": cfg.background, "seed": cfg.seed, "sampling": cfg.sampling.to_dict(),
        "versions": library_versions(), "command": command,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    kept = sum(e.kept for e in edges)
    log.info("graph %s: %d PAG edges, %d kept by the %s policy", name, len(edges), kept, cfg.policy)
    return AUGraph(nodes=nodes, edges=edges, adjacency=adjacency, provenance=prov, name=name)


def _labels_used(cfg: DiscoveryConfig) -> bool:
    return cfg.sampling.inside_expressions or cfg.sampling.expression_type is not None


def _merge(a: BackgroundKnowledge, b: BackgroundKnowledge) -> BackgroundKnowledge:
    out = BackgroundKnowledge()
    for src in (a, b):
        out.forbidden |= src.forbidden
        out.required |= src.required
        out.tiers.update(src.tiers)
        out.forbidden_within_tiers |= src.forbidden_within_tiers
    return out


def discover_graphs(series: list[AUSeries], labels: list[Interval] | None = None,
                    config: DiscoveryConfig | None = None, per: str = "dataset", *,
                    au_names: list[str] | None = None, command: str = "",
                    contexts: dict[str, list[AUSeries]] | None = None
                    ) -> tuple[dict[str, AUGraph], dict[str, str]]:
    """One graph per group: the whole corpus, each subject, or each expression type.

    A group without enough usable frames is skipped with a warning; if every group fails the first
    error is raised.

    Returns:
        (group name -> graph, skipped group name -> why).

    Raises:
        InputError: bad settings, or no group could be discovered.
    """
    cfg = config or DiscoveryConfig()
    cfg.validate()
    if labels:
        named = {iv.video for iv in labels}
        if not named & {s.video for s in series}:
            log.warning("the labels name none of the %d videos (label ids such as %r vs series ids such as %r): "
                        "they give no subjects or expressions here; rename the series or the labels' videos",
                        len(series), sorted(named)[0], series[0].video if series else "-")
    groups = group_series(series, labels, per)
    graphs: dict[str, AUGraph] = {}
    skipped: dict[str, str] = {}
    first_error: InputError | None = None
    for group, (members, expression_type) in groups.items():
        group_cfg = cfg if expression_type is None else replace(
            cfg, sampling=replace(cfg.sampling, expression_type=expression_type))
        try:
            graph = discover_graph(members, labels, group_cfg, au_names=au_names, command=command,
                                   name="causal" if per == "dataset" else f"causal-{group}", contexts=contexts)
        except InputError as exc:
            if len(groups) == 1:
                raise
            first_error = first_error or InputError(f"group {group}: {exc}")
            skipped[group] = str(exc)
            log.warning("skipping group %s: %s", group, exc)
            continue
        graph.provenance["group"] = {"per": per, "name": group}
        graphs[group] = graph
    if not graphs and first_error is not None:
        raise first_error
    return graphs, skipped


def build_graph_variant(name: str, series: list[AUSeries], labels: list[Interval] | None = None, *,
                        config: DiscoveryConfig | None = None, au_names: list[str] | None = None,
                        cooccurrence_threshold: float = DEFAULT_THRESHOLD, command: str = "",
                        contexts: dict[str, list[AUSeries]] | None = None) -> AUGraph:
    """Build the AU graph the model uses, by variant name (for the train and bias ablations).

    Args:
        name: ``causal`` (discovered, debiased), ``cooccurrence`` (label co-activation, or correlation
            without labels), ``facs`` (FACS prior), ``full`` (every pair) or ``none`` (no edges).
        series: the training corpus (``facs``, ``full`` and ``none`` only use its AU names).
        labels: expression intervals of the corpus.
        config: discovery settings for ``causal``.
        au_names: AUs to use (default: those of the first series).
        cooccurrence_threshold: edge threshold of ``cooccurrence``.
        command: stored in the provenance of ``causal``.
        contexts: other corpora (AU series only) for the ``causal`` variant's invariance tests.

    Raises:
        ValueError: unknown name (lists the valid ones).
        InputError: as the builder of the variant.
    """
    if name not in GRAPH_VARIANTS:
        raise ValueError(f"unknown graph variant {name!r}; valid: {', '.join(GRAPH_VARIANTS)}")
    if name == "causal":
        return discover_graph(series, labels, config, au_names=au_names, command=command, contexts=contexts)
    if name == "cooccurrence":
        return cooccurrence_graph(series, labels, threshold=cooccurrence_threshold, au_names=au_names)
    names = list(au_names) if au_names is not None else align_au_names(series)[0].au_names
    if name == "facs":
        return facs_prior_graph(names)
    return full_graph(names) if name == "full" else empty_graph(names)


def config_summary(cfg: DiscoveryConfig) -> dict[str, Any]:
    """The settings as a flat JSON-serialisable dict."""
    out = asdict(cfg)
    out["sampling"] = cfg.sampling.to_dict()
    return out
