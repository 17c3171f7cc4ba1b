"""From AU series (one labelled corpus, optionally other corpora as contexts) to a time-series AU graph.

`timeseries_graph` runs `causalex.discover.timeseries` on the corpus, re-tests every link it finds in each
other corpus (`link_invariance`; a context never adds links: a model trained on the corpus never sees a
link that only another corpus shows), applies the debiasing policy to the PAG edges and
the AU selection rule (`causalex.discover.selection`). Context corpora contribute AU series only: their
labels are never read, so the common case of a labelled public corpus plus one's own unlabelled
recordings (or the test corpus of a bias study) is covered without leakage.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

import numpy as np

from causalex.discover.background import BackgroundKnowledge
from causalex.discover.lag_moments import LagMoments, lag_frames, lag_moments
from causalex.discover.pag import ARROW, MARK_NAME, NO_EDGE, TAIL
from causalex.discover.selection import apply_selection
from causalex.discover.stability import consensus_edges
from causalex.discover.invariance import link_invariance
from causalex.discover.timeseries import TimeSeriesOptions, TimeSeriesResult, discover_timeseries
from causalex.discover.sampling import expression_frames, subject_of
from causalex.errors import InputError, input_error
from causalex.labels import Interval
from causalex.graph import AUGraph, GraphEdge, reverse_kind
from causalex.resample import resample_intervals, resample_series
from causalex.series import AUSeries

log = logging.getLogger(__name__)

MAIN_CONTEXT = "main"
MIN_SD = 1e-6  # an AU whose sd over the rows is below this is constant
DUPLICATE_R = 1.0 - 1e-9  # |r| above this: the AU is an exact copy of another


def _check_contexts(series: list[AUSeries], contexts: dict[str, list[AUSeries]], names: list[str]) -> None:
    """Every context corpus must be non-empty, another corpus (no video of the main one), with its AUs."""
    from causalex.discover.pipeline import video_hashes

    mine = {digest: video for video, digest in video_hashes(series).items()}
    for name, members in contexts.items():
        shared = [mine[d] for d in video_hashes(members).values() if d in mine]
        if shared:
            raise InputError(f"context corpus {name!r} holds {len(shared)} video(s) of the labelled corpus itself (e.g. "
                             f"{shared[0]}): a context must be another corpus, or it tests nothing")
        if name == MAIN_CONTEXT:
            raise InputError(f"context name {MAIN_CONTEXT!r} is reserved for the labelled corpus")
        if not members:
            raise InputError(f"context corpus {name!r} has no AU series")
        for s in members:
            missing = [a for a in names if a not in s.au_names]
            if missing:
                raise input_error(s.meta.get("file", s.video), f"context corpus {name!r} lacks AU(s) "
                                  f"{', '.join(missing)} of the labelled corpus; give series with the same AUs "
                                  "(or choose the AUs with --aus)")


def at_working_rate(series: list[AUSeries], opts: TimeSeriesOptions) -> list[AUSeries]:
    """Series faster than one frame per lag step (``1 / step_s``, 30 fps by default) box-filtered down to it.

    Partial correlations given "the own past at lags 1..L steps" mean the same thing at every frame rate only
    when a step is one frame: at 200 fps the frames between two grid lags would carry information that no
    test conditions on, and a link's strength would differ between a 30 fps and a 200 fps corpus for that
    reason alone (an invariance test would then call mechanism links corpus-specific). Slower series keep
    their rate (their grid lags are whole frames, see `lag_frames`).
    """
    rate = 1.0 / opts.step_s
    return [resample_series(s, rate) if s.fps > rate * (1 + 1e-6) else s for s in series]


def _usable_rows(series: list[AUSeries], opts: TimeSeriesOptions) -> list[str]:
    """Videos too short for the lag window (they give no rows), for the error message and a warning."""
    short = []
    for s in series:
        top = int(lag_frames(s.fps, opts.step_s, 2 * opts.n_lags)[-1])
        if s.n_frames <= top + 1:
            short.append(s.video)
    return short


def working_rate_rows(originals: list[AUSeries], working: list[AUSeries], labels: list[Interval],
                      margin_s: float, expression_type: str | None) -> list[np.ndarray]:
    """Frames inside labelled expressions (widened by ``margin_s``) of each working-rate series.

    Labels are in each original series' frames; they are mapped to the working rate first.
    """
    out = []
    for s, w in zip(originals, working):
        mine = [iv for iv in labels if iv.video == s.video]
        if w.fps != s.fps:
            mine = resample_intervals(mine, s.fps, w.fps, w.n_frames)
        out.append(expression_frames(w, mine, margin_s, expression_type))
    return out


@dataclass
class _Columns:
    """AU columns plus expression-label columns of one video (what `lag_moments` reads of a series)."""

    values: np.ndarray  # [T, K + labels]
    mask: np.ndarray  # [T]
    fps: float
    au_names: list[str]  # AU names, then the label node names
    video: str


def label_links(originals: list[AUSeries], working: list[AUSeries], labels: list[Interval], names: list[str],
                opts: TimeSeriesOptions) -> list[dict[str, Any]]:
    """Links from expression-label nodes to AUs (the labels as variables that no AU can cause).

    Each expression type present in ``labels`` becomes a per-frame indicator ("inside a micro-expression",
    "inside a macro-expression", at the working rate) that enters the time-series tests as an exogenous
    variable beside the AUs. An AU the labels reach directly (not only through another AU) gets a link
    ``micro --> AU12`` with its lag: the AUs that *start* an expression, as opposed to those that follow them
    through the mechanism.

    Returns:
        ``[{"label", "au", "lag_s", "strength"}]``, strongest first.

    Raises:
        InputError: no labelled expression of any type in the series' videos.
    """
    videos = {s.video for s in originals}
    types = [t for t in ("micro", "macro") if any(iv.type == t and iv.video in videos for iv in labels)]
    missing = [t for t in ("micro", "macro") if t not in types]
    if not types:
        raise InputError("label nodes: the labels hold no expression in these videos; nothing to link")
    if missing:
        log.warning("label nodes: no %s-expression in the labels of these videos; no %s node", missing[0], missing[0])
    columns = []
    for s, w in zip(originals, working):
        inside = [working_rate_rows([s], [w], labels, 0.0, t)[0].astype(np.float64) for t in types]
        columns.append(_Columns(np.hstack([w.values, np.stack(inside, axis=1)]), w.mask, w.fps, names + types, w.video))
    moments = lag_moments(columns, 2 * opts.n_lags, opts.step_s)
    flat = degenerate_aus(moments)
    keep = [k for k, a in enumerate(moments.au_names) if a not in flat]
    moments = moments.subset(keep)
    exogenous = frozenset(k for k, a in enumerate(moments.au_names) if a in types)
    result = discover_timeseries(moments, opts, exogenous=exogenous)
    out = []
    for (i, j), ev in result.evidence.items():
        if (i in exogenous) == (j in exogenous) or result.pag.marks[i, j] == NO_EDGE:
            continue
        label, au = (i, j) if i in exogenous else (j, i)
        lag = ev.forward_lag if label == i else ev.backward_lag
        strength = max(ev.forward, ev.backward, ev.contemporaneous)
        out.append({"label": moments.au_names[label], "au": moments.au_names[au], "lag_s": round(lag * opts.step_s, 4),
                    "strength": round(float(strength), 4)})
    return sorted(out, key=lambda d: -d["strength"])


def min_rows(opts: TimeSeriesOptions) -> int:
    """Fewest usable rows per corpus: four per value in the largest conditioning set (own lags, parents, the
    cause's past)."""
    return 4 * (3 * opts.n_lags + opts.max_parents) + 10


def degenerate_aus(moments: LagMoments) -> dict[str, str]:
    """AUs that cannot enter the tests: constant over the rows, or an exact copy of an earlier AU."""
    k = moments.k
    cov = moments.cov[:k, :k]
    sd = np.sqrt(np.clip(np.diag(cov), 0, None))
    out: dict[str, str] = {}
    kept: list[int] = []
    for a in range(k):
        if sd[a] < MIN_SD:
            out[moments.au_names[a]] = "constant in the usable frames"
            continue
        for b in kept:
            if abs(cov[a, b]) / (sd[a] * sd[b]) > DUPLICATE_R:
                out[moments.au_names[a]] = f"duplicate of {moments.au_names[b]}"
                break
        else:
            kept.append(a)
    return out


def _check_rows(moments: LagMoments, names: list[str], every: list[AUSeries], opts: TimeSeriesOptions) -> None:
    """Refuse a corpus or context with too few usable rows (one line saying why and what to change)."""
    short = _usable_rows(every, opts)
    need = min_rows(opts)
    for g, name in enumerate(names):
        n = moments.group_n.get(g, 0)
        if n < need:
            window = 2 * opts.n_lags * opts.step_s
            raise InputError(f"{'the corpus' if g == 0 else f'context corpus {name!r}'} gives {n} usable frame(s) "
                             f"for time-series discovery, need at least {need}: every row needs {window:.2f} s of "
                             f"valid frames before it (twice --max-lag {opts.max_lag_s:g} s); {len(short)} video(s) "
                             "are shorter than that; lower --max-lag or give longer or more videos")
    if short:
        log.warning("%d video(s) shorter than the %.2f s lag window give no rows (e.g. %s)", len(short),
                    2 * opts.n_lags * opts.step_s, short[0])


def _edges(names: list[str], result: TimeSeriesResult, invariance: dict, context_names: list[str],
           step_s: float) -> tuple[list[GraphEdge], set[frozenset[str]]]:
    """PAG edges of one result with their lag and per-context strength, and the corpus-specific pairs."""
    edges, specific = [], set()
    m = result.pag.marks
    for (i, j), ev in result.evidence.items():
        if m[i, j] == NO_EDGE:
            continue
        fwd = m[i, j] == ARROW and m[j, i] == TAIL
        back = m[j, i] == ARROW and m[i, j] == TAIL
        lag = ev.forward_lag if fwd else ev.backward_lag if back else max(ev.forward_lag, ev.backward_lag)
        inv = invariance.get((i, j))
        strengths = {context_names[g]: v for g, v in inv.strengths.items()} if inv else {}
        edges.append(GraphEdge(names[i], names[j], MARK_NAME[int(m[j, i])], MARK_NAME[int(m[i, j])],
                               lag_s=round(lag * step_s, 4), context_strength=strengths))
        if inv is not None and inv.specific:
            specific.add(frozenset((names[i], names[j])))
    return edges, specific


def _bootstrap(moments: LagMoments, opts: TimeSeriesOptions, runs: int, seed: int, full: list[GraphEdge],
               names: list[str]) -> list[GraphEdge]:
    """Edges of the full-data run with stability and majority marks over ``runs`` draws of group-0 units."""
    rng = np.random.default_rng(seed)
    mine = sorted(u for u in moments.unit_sums if u[0] == 0)
    others = {u: 1 for u in moments.unit_sums if u[0] != 0}
    pags = []
    for _ in range(runs):
        draws = rng.multinomial(len(mine), np.full(len(mine), 1.0 / len(mine)))
        sample = moments.resampled({**others, **{u: int(c) for u, c in zip(mine, draws)}})
        if sample.group_n.get(0, 0) < min_rows(opts):
            continue
        pags.append(discover_timeseries(sample, opts, group=0).pag)
    if not pags:
        raise InputError("no bootstrap draw had enough usable frames; use fewer --bootstrap units or --bootstrap 0")
    found = {frozenset((e.source, e.target)): e for e in consensus_edges(pags, names)}
    out = []
    for e in full:
        c = found.get(frozenset((e.source, e.target)))
        if c is None:
            out.append(replace(e, stability=0.0, mark_stability={}))
            continue
        same_way = c.source == e.source
        marks = (c.source_mark, c.target_mark) if same_way else (c.target_mark, c.source_mark)
        freq = c.mark_stability if same_way else {reverse_kind(k): v for k, v in c.mark_stability.items()}
        out.append(replace(e, source_mark=marks[0], target_mark=marks[1], stability=c.stability,
                           mark_stability=freq))
    return out


def timeseries_graph(series: list[AUSeries], names: list[str], opts: TimeSeriesOptions, policy: str,
                     background: BackgroundKnowledge | None, contexts: dict[str, list[AUSeries]] | None = None, *,
                     rows: list[np.ndarray | None] | None = None, units: list[int] | None = None,
                     bootstrap: int = 0, threshold: float = 0.5, seed: int = 0
                     ) -> tuple[list[GraphEdge], np.ndarray, dict[str, dict[str, Any]], dict[str, Any]]:
    """Discover the AU graph of ``series`` with time-series tests; contexts are other corpora (unlabelled).

    Args:
        series: the corpus (AU columns ``names``) at the working rate (`at_working_rate`).
        names: the AUs (graph nodes).
        opts: time-series settings.
        policy: debiasing policy of `causalex.discover.debias`.
        background: forbidden / required edges.
        contexts: ``{name: series}`` of other corpora (AU series only; brought to the working rate here).
        rows: per series of ``series``, ``[T]`` bool frames allowed as a row's present (None: all).
        units: per series of ``series``, its bootstrap unit (subject) index.
        bootstrap: bootstrap draws over ``units`` (0: none, every stability 1).
        threshold: minimum stability of a kept edge (with ``bootstrap``).
        seed: seed of the draws.

    Returns:
        (edges, adjacency ``[K, K]``, selection, provenance fields).

    Raises:
        InputError: a context without series or lacking AUs; too few usable frames (a lag window longer
            than the videos); fewer than 2 AUs that vary.
    """
    contexts = {name: at_working_rate(members, opts) for name, members in (contexts or {}).items()}
    _check_contexts(series, contexts, names)
    every = [s if s.au_names == names else s.select(names) for s in series]
    groups = [0] * len(every)
    unit_ids = list(units) if units is not None else [0] * len(every)
    row_masks = list(rows) if rows is not None else [None] * len(every)
    context_names = [MAIN_CONTEXT] + list(contexts)
    for g, name in enumerate(contexts, 1):
        members = [s if s.au_names == names else s.select(names) for s in contexts[name]]
        every += members
        groups += [g] * len(members)
        unit_ids += list(range(len(members)))
        row_masks += [None] * len(members)
    moments = lag_moments(every, 2 * opts.n_lags, opts.step_s, groups, unit_ids if bootstrap else None, row_masks)
    _check_rows(moments, context_names, every, opts)
    dropped = degenerate_aus(moments)
    for au, why in dropped.items():
        log.warning("%s left out of discovery (%s); it stays an isolated node", au, why)
    tested = [a for a in names if a not in dropped]
    if len(tested) < 2:
        raise InputError(f"fewer than 2 AUs vary ({', '.join(tested) or 'none'}); nothing to discover")
    moments = moments.subset([names.index(a) for a in tested])
    result = discover_timeseries(moments, opts, group=0)  # the labelled corpus's graph; contexts test its links
    invariance = link_invariance(moments, result, opts)
    edges, specific = _edges(tested, result, invariance, context_names, opts.step_s)
    if bootstrap:
        edges = _bootstrap(moments, opts, bootstrap, seed, edges, tested)
    selection, edges, adjacency = apply_selection(names, tested, edges, specific, len(context_names), policy,
                                                  threshold if bootstrap else 0.0, background)
    prov = {"n_samples": int(moments.n), "contexts": {name: {"videos": sum(1 for g in groups if g == k),
                                                            "rows": int(moments.group_n.get(k, 0))}
                                                     for k, name in enumerate(context_names)},
            "selection_contexts": len(context_names), "tested_aus": tested, "dropped_aus": dropped,
            "timeseries": {**result.meta}, "corpus_specific_links": sorted("-".join(sorted(p)) for p in specific)}
    log.info("time-series graph: %d links (%d corpus-specific), %d AUs not selected; %d corpus/corpora compared (the "
             "labelled one and %d context(s))", len(edges), len(specific), sum(not d["selected"] for d in selection.values()),
             len(context_names), len(context_names) - 1)
    return edges, adjacency, selection, prov


def discover_timeseries_graph(series: list[AUSeries], labels: list[Interval] | None, cfg: Any,
                              background: BackgroundKnowledge | None, command: str, name: str,
                              contexts: dict[str, list[AUSeries]] | None) -> AUGraph:
    """`causalex.discover.pipeline.discover_graph` for the ``timeseries`` method: settings, rows, bootstrap
    units and provenance around `timeseries_graph` (``series`` already aligned to one AU list)."""
    from causalex.discover.facs_prior import facs_background
    from causalex.discover.pipeline import _labels_used, _merge, data_hash, library_versions, video_hashes

    nodes = list(series[0].au_names)
    opts_s = cfg.sampling
    rows = None
    if opts_s.inside_expressions or opts_s.expression_type is not None:
        if not labels:
            raise InputError("keeping frames inside expressions needs labels (pass a labels CSV)")
        rows = True
    subjects_of = [subject_of(s, labels) for s in series]
    if cfg.bootstrap and cfg.resample == "subject" and all(x == s.video and not s.subject
                                                           for x, s in zip(subjects_of, series)):
        log.warning("no video has a subject (no subject in the series, and the labels give none for them): "
                    "bootstrapping over videos; give subjects in the labels (a subject column) to resample subjects")
        cfg = replace(cfg, resample="video")
    subject_index = {name: k for k, name in enumerate(sorted(set(subjects_of)))}
    bk = facs_background(nodes) if cfg.background == "facs" else BackgroundKnowledge()
    if background is not None:
        background.check_names(nodes)
        bk = _merge(bk, background)
    opts = TimeSeriesOptions(max_lag_s=cfg.max_lag_s, alpha=cfg.alpha, min_effect=cfg.min_effect)
    working = at_working_rate(series, opts)
    if rows:
        rows = working_rate_rows(series, working, labels, opts_s.margin_s, opts_s.expression_type)
    if opts_s.features != "lagged" or opts_s.stride or opts_s.center != "none":
        log.info("the timeseries method uses every valid frame and its own lags: --features/--lag/--stride/"
                 "--center apply to fci/pc only")
    unit = _timeseries_unit(cfg, subject_index) if cfg.bootstrap else None
    units = None if unit is None else ([subject_index[x] for x in subjects_of] if unit == "subject"
                                       else list(range(len(series))))
    if cfg.engine == "tigramite":  # the reference PCMCI+ (optional extra), for comparison
        from causalex.discover.tigramite_engine import tigramite_graph

        if contexts or rows:
            raise InputError("the tigramite engine takes one corpus and every frame: no --context, "
                             "--inside-expressions or --per type")
        edges, adjacency, selection, extra = tigramite_graph(working, nodes, opts, cfg.policy,
                                                             None if bk.is_empty() else bk)
    else:
        edges, adjacency, selection, extra = timeseries_graph(
            working, nodes, opts, cfg.policy, None if bk.is_empty() else bk, contexts, rows=rows, units=units,
            bootstrap=cfg.bootstrap, threshold=cfg.threshold, seed=cfg.seed)
    links: list[dict[str, Any]] = []
    if cfg.label_nodes:
        if not labels:
            raise InputError("label nodes need labels (pass a labels CSV)")
        links = label_links(series, working, labels, nodes, opts)
        for au in {d["au"] for d in links}:
            first = next(d for d in links if d["au"] == au)
            selection[au] = {**selection[au], "reason": f"{selection[au]['reason']}; moves with "
                             f"{first['label']}-expressions directly (lag {first['lag_s']:g} s)"}
    subjects = sorted(subject_index)
    prov = {
        "kind": "causal discovery", "data_hash": data_hash(series, labels if _labels_used(cfg) else None),
        "video_hashes": video_hashes(series),
        "n_series": len(series), "n_subjects": len(subjects), **extra,
        "engine": cfg.engine, "method": cfg.method, "ci_test": "parcorr" if cfg.engine == "tigramite" else "fisherz", "alpha": cfg.alpha, "depth": cfg.depth,
        "max_lag_s": cfg.max_lag_s, "min_effect": cfg.min_effect, "bootstrap": cfg.bootstrap, "resample": unit,
        "threshold": cfg.threshold if cfg.bootstrap else 0.0, "sampling": cfg.sampling.to_dict(),
        "policy": cfg.policy, "background": cfg.background, "seed": cfg.seed,
        "labels_read": ("subjects and expression frames" if _labels_used(cfg) or cfg.label_nodes
                        else "subjects only" if labels else "no"), "label_nodes": bool(cfg.label_nodes),
        "versions": library_versions(), "command": command,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return AUGraph(nodes=nodes, edges=edges, adjacency=adjacency, provenance=prov, name=name, selection=selection,
                   label_links=links)


def _timeseries_unit(cfg: Any, subject_index: dict[str, int]) -> str:
    """Bootstrap unit of the timeseries method: whole subjects (or videos); frames would cut the series."""
    if cfg.resample == "frame":
        raise InputError("the timeseries method resamples subjects or videos (a frame bootstrap would cut the "
                         "series' time order); use --resample subject or video")
    if cfg.resample == "subject" and len(subject_index) < 2:
        log.warning("fewer than 2 subjects to resample; bootstrapping over videos instead")
        return "video"
    return cfg.resample
