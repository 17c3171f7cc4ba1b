"""Which AU graph a run uses: a graph file, or a variant built by name (one flag for the ablations).

Names: ``causal`` (discovered and debiased), ``cooccurrence``, ``facs`` (FACS prior), ``full`` and
``none``. The data-driven ones (``causal``, ``cooccurrence``) are rebuilt in every fold from the fold's
non-test subjects only, so that the test subject never shapes the graph.
"""

from __future__ import annotations

import logging
from pathlib import Path

from causalex.errors import input_error
from causalex.graph import AUGraph, empty_graph, full_graph
from causalex.labels import Interval
from causalex.series import AUSeries, common_au_names
from causalex.train.config import GraphConfig

log = logging.getLogger(__name__)

GRAPH_NAMES = ("causal", "cooccurrence", "facs", "full", "none")
DATA_DRIVEN = ("causal", "cooccurrence")


def needs_data(spec: str) -> bool:
    """Whether the graph is learned from the training data (and so rebuilt per fold)."""
    return spec in DATA_DRIVEN


def _check_spec(spec: str) -> None:
    if spec not in GRAPH_NAMES and not Path(spec).is_file():
        raise input_error(spec, f"graph is neither an existing file nor one of {', '.join(GRAPH_NAMES)}")


def series_au_names(spec: str, series: list[AUSeries]) -> list[str]:
    """The model's AUs: the nodes of a graph file, else the AUs every series has.

    Raises:
        InputError: an unknown graph spec, or no AU shared by all series.
    """
    _check_spec(spec)
    if spec not in GRAPH_NAMES:
        return list(AUGraph.load(spec).nodes)
    names = common_au_names(series)
    if not names:
        raise input_error(None, "the AU series share no AU")
    dropped = sorted({a for s in series for a in s.au_names} - set(names))
    if dropped:
        log.warning("AUs missing from some series are not used: %s", ", ".join(dropped))
    return names


def restrict_graph(graph: AUGraph, au_names: list[str]) -> AUGraph:
    """The graph on ``au_names`` (in that order), keeping the edges among them.

    Raises:
        InputError: a name of ``au_names`` is not a node of the graph.
    """
    adjacency = graph.adjacency_for(au_names)
    keep = set(au_names)
    edges = [e for e in graph.edges if e.source in keep and e.target in keep]
    selection = {a: d for a, d in graph.selection.items() if a in keep}
    return AUGraph(nodes=list(au_names), edges=edges, adjacency=adjacency, provenance=dict(graph.provenance),
                   name=graph.name, selection=selection)


def videos_seen_by_graph(graph: AUGraph, series: list[AUSeries]) -> list[str]:
    """Videos of ``series`` whose data the graph was discovered from.

    Reads the per-video fingerprints a discovered graph records (``provenance["video_hashes"]``,
    `causalex.discover.pipeline.video_hashes`); graphs without them (the FACS prior, older files) see none.
    """
    from causalex.discover.pipeline import video_hashes

    seen = set((graph.provenance or {}).get("video_hashes", {}).values())
    if not seen:
        return []
    return sorted(video for video, digest in video_hashes(series).items() if digest in seen)


def resolve_graph(spec: str, series: list[AUSeries], labels: list[Interval], au_names: list[str],
                  config: GraphConfig | None = None, contexts: dict[str, list[AUSeries]] | None = None) -> AUGraph:
    """Build or load the graph ``spec`` on ``au_names``.

    Args:
        spec: a graph file, or one of `GRAPH_NAMES`.
        series: the training series (data-driven variants learn from them).
        labels: their labels.
        au_names: the model's AUs.
        config: discovery settings of the ``causal`` variant.
        contexts: other corpora (AU series only) for the ``causal`` variant's AU selection.

    Raises:
        InputError: unknown spec, unreadable file, a graph lacking a model AU.
    """
    _check_spec(spec)
    if spec == "full":
        return full_graph(au_names)
    if spec == "none":
        return empty_graph(au_names)
    if spec in GRAPH_NAMES:
        from causalex.discover.pipeline import build_graph_variant

        discovery = (config or GraphConfig()).discovery_config()
        return restrict_graph(build_graph_variant(spec, series, labels, config=discovery, au_names=au_names,
                                                  contexts=contexts if spec == "causal" else None), au_names)
    return restrict_graph(AUGraph.load(spec), au_names)
