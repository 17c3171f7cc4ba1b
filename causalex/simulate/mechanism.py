"""The simulator's ground truth: the lagged AU causal mechanism and the FACS-like emotion patterns.

Emotions drive only *root* AUs; the mechanism spreads their activity to the other AUs: each effect
AU follows its cause(s) ``lag_s`` seconds later with a fixed gain, plus its own noise (a linear,
roughly Gaussian structural model in time). The AUs tied by a preset's bias latent are outside both
the mechanism and the emotion patterns, so the dependence the latent creates between them is never a
direct causal edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from causalex.graph import AUGraph, GraphEdge

AU_NAMES = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15", "AU17",
            "AU20", "AU23", "AU25", "AU26", "AU45"]
AU_INDEX = {name: k for k, name in enumerate(AU_NAMES)}
BLINK_AU = "AU45"


@dataclass(frozen=True)
class MechanismEdge:
    """``effect(t) += weight * cause(t - lag_s)``."""

    cause: str
    effect: str
    weight: float
    lag_s: float

    def lag_frames(self, fps: float) -> int:
        """The lag in frames at ``fps`` (at least one frame)."""
        return max(1, int(round(self.lag_s * fps)))


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


def apply_mechanism(activation: np.ndarray, fps: float) -> np.ndarray:
    """Propagate muscle activation along `MECHANISM`, in place.

    Shapes:
        activation: ``[T, K]`` float, columns in `AU_NAMES` order; each column holds that AU's own
        drive and noise on entry and its total activation on return.
    """
    t = activation.shape[0]
    for edge in MECHANISM:
        lag = edge.lag_frames(fps)
        if lag < t:
            activation[lag:, AU_INDEX[edge.effect]] += edge.weight * activation[:-lag, AU_INDEX[edge.cause]]
    return activation


def true_graph(bias_aus: tuple[str, ...], bias_strength: float, provenance: dict) -> AUGraph:
    """The ground-truth AU graph: mechanism edges ``-->`` (kept) and the bias latent's ``<->`` (dropped).

    Args:
        bias_aus: AUs the bias latent ties together.
        bias_strength: the latent's strength; no ``<->`` edge is recorded when it is 0.
        provenance: extra provenance (preset, seed, ...), merged into the graph's.
    """
    edges = [GraphEdge(e.cause, e.effect, "tail", "arrow", kept=True, reason=f"true mechanism (lag {e.lag_s:.2f} s)")
             for e in MECHANISM]
    if bias_strength > 0:
        edges += [GraphEdge(a, b, "arrow", "arrow", kept=False, reason="latent bias")
                  for i, a in enumerate(bias_aus) for b in bias_aus[i + 1:]]
    prov = {"kind": "simulated truth",
            "mechanism": [{"cause": e.cause, "effect": e.effect, "weight": e.weight, "lag_s": e.lag_s}
                          for e in MECHANISM],
            "emotion_patterns": {k: [dict(p) for p in v] for k, v in EMOTION_PATTERNS.items()},
            **provenance}
    return AUGraph(nodes=list(AU_NAMES), edges=edges, provenance=prov, name="true")
