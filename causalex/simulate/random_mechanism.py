"""Seeded random mechanisms, and the choice of a corpus's mechanism (``default``, ``random`` or a spec).

A random mechanism is a DAG over the face AUs (the blink AU45 stays out): 8-12 edges, in-degree at most
2, out-degree at most 3, at least three root AUs, at least one chain (an AU with a cause and an effect)
and one unshielded collider (two causes of an AU that are not joined), weights 0.4-0.9 and lags drawn
log-uniformly in 0.02-0.2 s, with at least one lag under a frame at 30 fps (1/30 s) and one of 3 frames
or more (0.1 s). Emotion patterns draw on its root AUs (each emotion gets a main root, spread over the
roots), gestures on 5-7 face AUs.

The random draw depends on the seed and on the AUs it must leave out or take in: a family's bias AUs
(`FAMILIES`), so that every member of a family gets the same mechanism from the same seed, and an
off-mechanism bias AU never lands in it.
"""

from __future__ import annotations

import math
from typing import Iterable

import numpy as np

from causalex.errors import InputError
from causalex.simulate.mechanism import AU_NAMES, BLINK_AU, EMOTIONS, MechanismEdge, MechanismSpec
from causalex.simulate.presets import PRESETS, SimPreset, family_of

MECHANISM_CHOICES = ("default", "random")
SEED_TAG = 0x6D656368  # "mech": keeps the mechanism's stream apart from a corpus's with the same seed
FRAME_30_S = 1.0 / 30.0  # a lag shorter than this acts within one frame at 30 fps
LONG_LAG_S = 0.1  # three frames at 30 fps
MAX_TRIES = 2000
MAX_OUT_DEGREE = 3  # effects of one AU
MIN_ROOTS = 3  # so that the four emotions do not all start from the same one or two AUs


def random_mechanism(seed: int, avoid: Iterable[str] = (), include: Iterable[str] = (),
                     n_edges: tuple[int, int] = (8, 12), weight: tuple[float, float] = (0.4, 0.9),
                     lag_s: tuple[float, float] = (0.02, 0.2), max_in_degree: int = 2) -> MechanismSpec:
    """Draw a random lagged mechanism with its emotion patterns and gestures.

    Args:
        seed: random seed (>= 0); the same seed and arguments give the same mechanism.
        avoid: AUs that must stay out of the edges and emotion patterns (off-mechanism bias AUs).
        include: AUs that must be in the edges (bias AUs that are meant to be on the mechanism).
        n_edges: inclusive range of the number of edges.
        weight: range of the edge weights (uniform, 2 decimals).
        lag_s: range of the lags in seconds (log-uniform, in ms).
        max_in_degree: most causes of one AU.

    Raises:
        InputError: a bad seed or AU name, ``avoid`` and ``include`` overlapping, or no DAG that fits.
    """
    avoid, include = sorted(set(avoid)), sorted(set(include))
    unknown = sorted(set(avoid + include) - set(AU_NAMES))
    if unknown:
        raise InputError(f"unknown AU(s) {', '.join(unknown)}; valid: {', '.join(AU_NAMES)}")
    both = sorted(set(avoid) & set(include)) or [BLINK_AU] * (BLINK_AU in include)
    if both:
        raise InputError(f"cannot both leave out and take in AU(s) {', '.join(both)} (the blink AU is always left out)")
    if isinstance(seed, bool) or int(seed) != seed or seed < 0:
        raise InputError(f"mechanism seed must be a whole number >= 0, got {seed}")
    if not (1 <= n_edges[0] <= n_edges[1] and 0 < lag_s[0] <= lag_s[1] and max_in_degree >= 1):
        raise InputError(f"bad random mechanism ranges: n_edges {n_edges}, lag_s {lag_s}, in-degree {max_in_degree}")
    rng = np.random.default_rng(np.random.SeedSequence([SEED_TAG, int(seed)]))
    candidates = [au for au in AU_NAMES if au != BLINK_AU and au not in avoid]
    for _ in range(MAX_TRIES):
        order = [str(a) for a in rng.permutation(candidates)]
        pairs = _draw_pairs(rng, order, int(rng.integers(n_edges[0], n_edges[1] + 1)), max_in_degree)
        if pairs and _acceptable(pairs, include):
            break
    else:
        raise InputError(f"no random mechanism with {n_edges} edges fits {len(candidates)} AUs "
                         f"(in-degree <= {max_in_degree}, taking in {', '.join(include) or 'none'})")
    position = {au: i for i, au in enumerate(order)}
    pairs.sort(key=lambda p: (position[p[0]], position[p[1]]))  # topological: all of a cause's causes come first
    lags = _draw_lags(rng, len(pairs), lag_s)
    edges = [MechanismEdge(a, b, round(float(rng.uniform(*weight)), 2), lag) for (a, b), lag in zip(pairs, lags)]
    effects = {b for _, b in pairs}
    roots = [a for a in order if a in {c for c, _ in pairs} and a not in effects]
    face = [au for au in AU_NAMES if au != BLINK_AU]  # gestures may move any face AU: they confound nothing
    return MechanismSpec.build("random", edges, _draw_patterns(rng, roots), _draw_gestures(rng, face, roots),
                               seed=int(seed))


def _draw_pairs(rng: np.random.Generator, order: list[str], n: int, max_in: int) -> list[tuple[str, str]]:
    """``n`` distinct cause -> effect pairs, causes before effects in ``order``; pairs touching an AU
    already used are three times as likely (connected structures rather than scattered pairs)."""
    pairs: list[tuple[str, str]] = []
    indeg, outdeg = dict.fromkeys(order, 0), dict.fromkeys(order, 0)
    for _ in range(n):
        used = {au for p in pairs for au in p}
        allowed = [(a, b) for i, a in enumerate(order) for b in order[i + 1:]
                   if indeg[b] < max_in and outdeg[a] < MAX_OUT_DEGREE and (a, b) not in pairs]
        if not allowed:
            return []
        w = np.array([3.0 if (a in used or b in used) else 1.0 for a, b in allowed])
        a, b = allowed[int(rng.choice(len(allowed), p=w / w.sum()))]
        pairs.append((a, b))
        indeg[b] += 1
        outdeg[a] += 1
    return pairs


def _acceptable(pairs: list[tuple[str, str]], include: list[str]) -> bool:
    """A chain, an unshielded collider, `MIN_ROOTS` roots or more, and every ``include`` AU in an edge."""
    causes = {a for a, _ in pairs}
    effects = {b for _, b in pairs}
    joined = {frozenset(p) for p in pairs}
    parents: dict[str, list[str]] = {}
    for a, b in pairs:
        parents.setdefault(b, []).append(a)
    collider = any(len(ps) == 2 and frozenset(ps) not in joined for ps in parents.values())
    roots = causes - effects
    return bool(causes & effects) and collider and len(roots) >= MIN_ROOTS and set(include) <= causes | effects


def _draw_lags(rng: np.random.Generator, n: int, lag_s: tuple[float, float]) -> list[float]:
    """``n`` log-uniform lags (ms precision), with one under 1/30 s and one of 0.1 s or more when the range allows."""
    lo, hi = lag_s
    need_short, need_long = lo < FRAME_30_S and n >= 2, hi >= LONG_LAG_S and n >= 2
    for _ in range(MAX_TRIES):
        lags = [max(0.001, round(float(math.exp(rng.uniform(math.log(lo), math.log(hi)))), 3)) for _ in range(n)]
        if (not need_short or min(lags) < FRAME_30_S) and (not need_long or max(lags) >= LONG_LAG_S):
            return lags
    return lags


def _draw_patterns(rng: np.random.Generator, roots: list[str]) -> dict[str, list[dict[str, float]]]:
    """Emotion -> 1-3 root-AU patterns: the emotion's main root (roots spread over emotions), sometimes a
    second root at a lower weight; later patterns start from other roots."""
    main = [str(r) for r in rng.permutation(roots)]
    out: dict[str, list[dict[str, float]]] = {}
    for i, emotion in enumerate(EMOTIONS):
        patterns = []
        for j in range(int(rng.integers(1, 4))):
            first = main[i % len(main)] if j == 0 else str(rng.choice(roots))
            pattern = {first: 1.0 if j == 0 else round(float(rng.uniform(0.6, 1.0)), 2)}
            others = [r for r in roots if r != first]
            if others and rng.random() < 0.5:
                pattern[str(rng.choice(others))] = round(float(rng.uniform(0.4, 0.7)), 2)
            if all(set(pattern) != set(q) for q in patterns):
                patterns.append(pattern)
        out[emotion] = patterns
    return out


def _draw_gestures(rng: np.random.Generator, candidates: list[str], roots: list[str]) -> dict[str, float]:
    """5-7 gesture AUs with strengths 0.7-1.0; a gesture on a root (it starts like an expression) is weaker."""
    picks = rng.choice(len(candidates), size=min(len(candidates), int(rng.integers(5, 8))), replace=False)
    out = {}
    for i in picks:
        au = candidates[int(i)]
        out[au] = round(float(rng.uniform(0.4, 0.65) if au in roots else rng.uniform(0.7, 1.0)), 2)
    return out


def mechanism_constraints(presets: Iterable[SimPreset]) -> tuple[list[str], list[str]]:
    """``(include, avoid)`` AUs for a random mechanism shared by ``presets``: the bias AUs of those whose
    bias is on the mechanism, and of those whose bias is not.

    Raises:
        InputError: an AU is on the mechanism for one preset and off it for another.
    """
    include, avoid = set(), set()
    for p in presets:
        (include if p.bias.on_mechanism else avoid).update(p.bias.aus)
    include.discard(BLINK_AU)  # the blink AU is never in a mechanism, whatever a bias asks
    clash = sorted(include & avoid)
    if clash:
        raise InputError(f"bias AU(s) {', '.join(clash)} are on the mechanism in one preset and off it in another")
    return sorted(include), sorted(avoid)


def resolve_mechanism(choice: str | MechanismSpec, preset: SimPreset, mechanism_seed: int | None,
                      seed: int = 0) -> MechanismSpec:
    """The mechanism a corpus of ``preset`` is simulated with.

    Args:
        choice: ``"default"`` (the preset's own mechanism: the built-in FACS-like one for every shipped
            preset), ``"random"`` (a `random_mechanism`), or a `MechanismSpec`.
        preset: the corpus's preset (overrides applied); a random mechanism leaves out or takes in the
            bias AUs of its whole family (`family_of`), with this preset's own bias in place of its entry.
        mechanism_seed: seed of a random mechanism (None: ``seed``).
        seed: the corpus seed.

    Raises:
        InputError: an unknown choice (the message lists the valid ones) or a bad seed.
    """
    if isinstance(choice, MechanismSpec):
        return choice
    if choice not in MECHANISM_CHOICES:
        raise InputError(f"unknown mechanism {choice!r}; valid: {', '.join(MECHANISM_CHOICES)} (or a MechanismSpec)")
    if choice == "default":
        return preset.mechanism
    members = [preset] + [PRESETS[m] for m in family_of(preset.name) if m != preset.name and m in PRESETS]
    include, avoid = mechanism_constraints(members)
    return random_mechanism(seed if mechanism_seed is None else mechanism_seed, avoid=avoid, include=include)
