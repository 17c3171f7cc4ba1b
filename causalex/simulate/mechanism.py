"""The simulator's ground truth: a lagged AU causal mechanism, its emotion patterns and gestures.

Emotions drive only *root* AUs; the mechanism spreads their activity to the other AUs: each effect
AU follows its cause(s) ``lag_s`` seconds later with a fixed gain, plus its own noise (a linear,
roughly Gaussian structural model in time). A `MechanismSpec` holds one such mechanism; a preset
carries one (`DEFAULT_MECHANISM`, the FACS-like one below, unless it says otherwise), and
`causalex.simulate.random_mechanism` draws others.

Lags are in seconds, so a mechanism means the same at any frame rate. At ``fps`` an edge's lag is
``d = lag_s * fps`` frames: a lag of one frame or more is rounded to whole frames; a lag under one
frame (e.g. 0.02 s at 30 fps) acts within the same frame by linear fractional-delay interpolation,
``effect(t) += weight * ((1 - d) * cause(t) + d * cause(t - 1))`` (see `add_lagged`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from causalex.graph import AUGraph, GraphEdge

AU_NAMES = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15", "AU17",
            "AU20", "AU23", "AU25", "AU26", "AU45"]
AU_INDEX = {name: k for k, name in enumerate(AU_NAMES)}
BLINK_AU = "AU45"
EMOTIONS = ("negative", "positive", "surprise", "others")


@dataclass(frozen=True)
class MechanismEdge:
    """``effect(t) += weight * cause(t - lag_s)``."""

    cause: str
    effect: str
    weight: float
    lag_s: float

    def lag_in_frames(self, fps: float) -> float:
        """The exact lag in frames at ``fps`` (may be fractional, or under one frame)."""
        return self.lag_s * fps

    def lag_frames(self, fps: float) -> int:
        """The nearest whole-frame lag at ``fps`` (0 for a lag under half a frame, which acts within the frame)."""
        return int(round(self.lag_in_frames(fps)))


# Listed in a topological order (every cause appears as an effect, if at all, before it acts as a cause).
MECHANISM = (
    MechanismEdge("AU01", "AU02", 0.85, 0.07),  # inner brow raiser pulls the outer brow
    MechanismEdge("AU02", "AU05", 0.60, 0.10),  # raised brows open the upper lid
    MechanismEdge("AU12", "AU06", 0.70, 0.10),  # a smile lifts the cheeks (Duchenne)
    MechanismEdge("AU12", "AU25", 0.60, 0.13),  # a broad smile parts the lips
    MechanismEdge("AU25", "AU26", 0.70, 0.10),  # parted lips let the jaw drop
    MechanismEdge("AU04", "AU07", 0.70, 0.10),  # a frown tightens the lids ...
    MechanismEdge("AU06", "AU07", 0.40, 0.07),  # ... and so do raised cheeks (a collider at AU07)
    MechanismEdge("AU09", "AU10", 0.80, 0.07),  # a nose wrinkle raises the upper lip
    MechanismEdge("AU15", "AU17", 0.75, 0.10),  # depressed lip corners push the chin up
)

# Emotion -> alternative root-AU patterns (one is drawn per expression); weights scale the drive.
EMOTION_PATTERNS: dict[str, tuple[dict[str, float], ...]] = {
    "positive": ({"AU12": 1.0},),
    "surprise": ({"AU01": 1.0}, {"AU01": 1.0, "AU25": 0.6}),
    "negative": ({"AU04": 1.0}, {"AU09": 1.0, "AU04": 0.5}, {"AU15": 1.0, "AU04": 0.4}),
    "others": ({"AU15": 0.8}, {"AU09": 0.7}, {"AU04": 0.6, "AU01": 0.5}),
}
EXPRESSION_ROOTS = frozenset(au for patterns in EMOTION_PATTERNS.values() for p in patterns for au in p)

# Non-emotional facial actions, as large and long as macro-expressions but never labelled. Each drives
# one AU (the mechanism may still spread it), so it adds no confounding; the last two start like an
# expression (a thinking brow raise, a concentration frown) and only their strength tells them apart.
GESTURES: dict[str, float] = {  # AU -> relative strength
    "AU25": 1.0,  # opening the mouth (the mechanism adds the jaw drop)
    "AU17": 0.9,  # swallowing
    "AU07": 1.0,  # squinting
    "AU20": 0.8,  # stretching the lips
    "AU10": 0.7,  # sniffing
    "AU01": 0.6,  # raising the brows while thinking
    "AU04": 0.5,  # frowning in concentration
}

Pattern = tuple[tuple[str, float], ...]  # one root-AU pattern: (AU, drive weight) pairs


@dataclass(frozen=True)
class MechanismSpec:
    """One lagged AU causal mechanism with the emotion patterns and gestures that drive it.

    Stored as tuples so that it is hashable, like the presets that carry it; build one from dicts with
    `MechanismSpec.build`.
    """

    name: str  # "default", "random", or a user's label
    edges: tuple[MechanismEdge, ...]  # in a topological order
    emotion_patterns: tuple[tuple[str, tuple[Pattern, ...]], ...]  # emotion -> alternative root-AU patterns
    gestures: tuple[tuple[str, float], ...]  # unlabelled single-AU actions: AU -> relative strength
    seed: int | None = None  # the seed that drew it (random mechanisms)

    @classmethod
    def build(cls, name: str, edges: tuple[MechanismEdge, ...] | list[MechanismEdge],
              emotion_patterns: Mapping[str, tuple[Mapping[str, float], ...] | list[Mapping[str, float]]],
              gestures: Mapping[str, float], seed: int | None = None) -> "MechanismSpec":
        """A spec from plain containers (dict insertion order is kept: it fixes the random draws)."""
        return cls(name=name, edges=tuple(edges),
                   emotion_patterns=tuple((emo, tuple(tuple((au, float(w)) for au, w in p.items()) for p in pats))
                                          for emo, pats in emotion_patterns.items()),
                   gestures=tuple((au, float(w)) for au, w in gestures.items()), seed=seed)

    @property
    def patterns(self) -> dict[str, tuple[dict[str, float], ...]]:
        """Emotion -> alternative root-AU patterns, as dicts."""
        return {emo: tuple(dict(p) for p in pats) for emo, pats in self.emotion_patterns}

    @property
    def gesture_weights(self) -> dict[str, float]:
        """Gesture AU -> relative strength."""
        return dict(self.gestures)

    @property
    def roots(self) -> frozenset[str]:
        """AUs that the emotion patterns drive."""
        return frozenset(au for _, pats in self.emotion_patterns for p in pats for au, _ in p)

    @property
    def aus(self) -> frozenset[str]:
        """AUs of the mechanism's edges and emotion patterns (those that carry expression signal)."""
        return frozenset(au for e in self.edges for au in (e.cause, e.effect)) | self.roots

    def problems(self) -> list[str]:
        """What is wrong with this spec (empty if it is usable)."""
        out = []
        names = set(AU_NAMES)
        used = [au for e in self.edges for au in (e.cause, e.effect)] + list(self.roots)
        used += [au for au, _ in self.gestures]
        unknown = sorted(set(used) - names)
        if unknown:
            out.append(f"unknown AU(s) {', '.join(unknown)}")
        done: set[str] = set()  # causes already used: none of them may become an effect later
        pairs: set[frozenset[str]] = set()
        for e in self.edges:
            if e.cause == e.effect or e.effect in done:
                out.append(f"edges are not in a topological order of a DAG at {e.cause} -> {e.effect}")
                break
            if frozenset((e.cause, e.effect)) in pairs:
                out.append(f"two edges join {e.cause} and {e.effect}")
                break
            pairs.add(frozenset((e.cause, e.effect)))
            done.add(e.cause)
            if not (np.isfinite(e.weight) and np.isfinite(e.lag_s) and e.lag_s > 0):
                out.append(f"edge {e.cause} -> {e.effect} needs a finite weight and a lag > 0 s")
        missing = [emo for emo in EMOTIONS if not self.patterns.get(emo)]
        if missing:
            out.append(f"no emotion pattern for {', '.join(missing)}")
        return out

    def to_json(self) -> dict[str, Any]:
        """Plain dict (for corpus.json)."""
        return {"name": self.name, "seed": self.seed,
                "edges": [{"cause": e.cause, "effect": e.effect, "weight": e.weight, "lag_s": e.lag_s}
                          for e in self.edges],
                "emotion_patterns": {k: [dict(p) for p in v] for k, v in self.patterns.items()},
                "gestures": self.gesture_weights}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> "MechanismSpec":
        """The spec of `to_json`'s dict (e.g. ``corpus.json``'s ``mechanism``), to simulate with it again."""
        edges = [MechanismEdge(e["cause"], e["effect"], float(e["weight"]), float(e["lag_s"])) for e in doc["edges"]]
        return cls.build(doc.get("name", "custom"), edges, doc["emotion_patterns"], doc.get("gestures", {}),
                         doc.get("seed"))


DEFAULT_MECHANISM = MechanismSpec.build("default", MECHANISM, EMOTION_PATTERNS, GESTURES)


def add_lagged(dst: np.ndarray, src: np.ndarray, weight: float, lag: float) -> None:
    """``dst(t) += weight * src(t - lag)`` in place, for a lag in frames (see the module docstring).

    A lag of one frame or more is rounded to whole frames; a lag ``d < 1`` interpolates,
    ``dst(t) += weight * ((1 - d) * src(t) + d * src(t - 1))`` (``src(-1) = 0``); a lag of 0 adds ``src``.

    Shapes: ``dst`` and ``src`` ``[T]`` (e.g. columns of one activation array).
    """
    if lag <= 0.0:
        dst += weight * src
    elif lag < 1.0:
        past = np.concatenate([np.zeros(1), src[:-1]])
        dst += weight * ((1.0 - lag) * src + lag * past)
    else:
        n = max(1, int(round(lag)))
        if n < len(dst):
            dst[n:] += weight * src[:-n]


def apply_mechanism(activation: np.ndarray, fps: float, mechanism: MechanismSpec = DEFAULT_MECHANISM) -> np.ndarray:
    """Propagate muscle activation along ``mechanism``'s edges, in place.

    Shapes:
        activation: ``[T, K]`` float, columns in `AU_NAMES` order; each column holds that AU's own
        drive and noise on entry and its total activation on return.
    """
    for edge in mechanism.edges:
        add_lagged(activation[:, AU_INDEX[edge.effect]], activation[:, AU_INDEX[edge.cause]], edge.weight,
                   edge.lag_in_frames(fps))
    return activation


def _seconds(x: float) -> str:
    """``0.07`` -> ``"0.07"``; ``0.023`` -> ``"0.023"`` (two decimals unless that loses precision)."""
    return f"{x:.2f}" if round(x, 2) == x else f"{x:.3f}"


def _add_latent(edges: list[GraphEdge], aus: tuple[str, ...], reason: str) -> None:
    """Add ``<->`` (dropped) between every pair of ``aus``; a pair already joined gets ``reason`` appended."""
    index = {frozenset((e.source, e.target)): i for i, e in enumerate(edges)}
    for i, a in enumerate(aus):
        for b in aus[i + 1:]:
            j = index.get(frozenset((a, b)))
            if j is None:
                index[frozenset((a, b))] = len(edges)
                edges.append(GraphEdge(a, b, "arrow", "arrow", kept=False, reason=reason))
            else:
                edges[j] = replace(edges[j], reason=f"{edges[j].reason}; also {reason}")


def true_graph(bias_aus: tuple[str, ...], bias_strength: float, provenance: dict,
               mechanism: MechanismSpec = DEFAULT_MECHANISM, speech_aus: tuple[str, ...] = (),
               fps: float | None = None) -> AUGraph:
    """The ground-truth AU graph: mechanism edges ``-->`` (kept) and the latents' ``<->`` (dropped).

    A graph file holds one edge per AU pair: a latent pair that a mechanism edge already joins keeps the
    ``-->`` edge, whose reason then says ``also latent bias`` (or ``also latent speech``).

    Args:
        bias_aus: AUs the bias latent drives (a single AU makes no pair, so no ``<->``).
        bias_strength: the latent's strength; no bias ``<->`` edge is recorded when it is 0.
        provenance: extra provenance (preset, seed, bias, ...), merged into the graph's.
        mechanism: the mechanism the corpus was simulated with.
        speech_aus: AUs a speech latent moves together (``<->`` "latent speech"); empty when no speech.
        fps: the corpus frame rate; when given, each mechanism edge also records its lag in frames.
    """
    edges = [GraphEdge(e.cause, e.effect, "tail", "arrow", kept=True,
                       reason=f"true mechanism (lag {_seconds(e.lag_s)} s)") for e in mechanism.edges]
    if bias_strength > 0:
        _add_latent(edges, tuple(bias_aus), "latent bias")
    _add_latent(edges, tuple(speech_aus), "latent speech")
    lags = [{"cause": e.cause, "effect": e.effect, "weight": e.weight, "lag_s": e.lag_s} for e in mechanism.edges]
    if fps is not None:
        for row, e in zip(lags, mechanism.edges):
            row["lag_frames"] = round(e.lag_in_frames(fps), 3)
    prov = {"kind": "simulated truth",
            "mechanism": lags,
            "emotion_patterns": {k: [dict(p) for p in v] for k, v in mechanism.patterns.items()},
            "mechanism_name": mechanism.name,
            "mechanism_seed": mechanism.seed,
            **provenance}
    return AUGraph(nodes=list(AU_NAMES), edges=edges, provenance=prov, name="true")
