"""What causalex knows about one video when it answers questions: its spotted events and their AUs.

An event is a predicted interval (from a predictions CSV, or a labels CSV read as one) with the AUs that
rise inside it, measured on the video's AU series. An AU *rises* in ``[onset, offset]`` when its peak inside
the interval exceeds its level just before the onset (the median over the preceding ``max(length, fps / 2)``
frames; the interval's own minimum when no frame precedes) by at least `RiseRule`'s threshold: an absolute
floor in the series' scale, a multiple of the AU's frame-to-frame noise, and a fraction of the strongest rise of
that event (so a small co-movement beside a large one is not listed). Untracked frames are left out, and so
are the AUs the rule ignores (blinks; with ``--ignore-aus``, e.g. the AUs a causal graph left out as a dataset bias).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from causalex.labels import Interval, to_megc_emotion
from causalex.megc.facs import COARSE_CLASSES, FINE_CLASSES, coarse_from_aus, fine_from_aus
from causalex.series import AUSeries

MICRO_MAX_S = 0.5  # a clip without a spotted event counts as a micro-expression up to this length (MEGC rule)


@dataclass(frozen=True)
class RiseRule:
    """When an AU counts as rising inside an event (defaults tuned on simulated OpenFace-scale corpora,
    benchmarks/RESULTS.md "MEGC tasks on a simulated corpus")."""

    min_rise_intensity: float = 0.25  # absolute floor on intensity scales (OpenFace 0-5)
    min_rise_probability: float = 0.08  # absolute floor on probability scales (py-feat 0-1)
    noise_multiple: float = 4.0  # rise >= this many robust SDs of the AU's frame-to-frame noise
    relative: float = 0.5  # rise >= this fraction of the event's strongest rise
    ignore: tuple[str, ...] = ("AU45",)  # AUs never listed: blinks are not coded as expression AUs


def au_noise(series: AUSeries) -> np.ndarray:
    """Robust SD of each AU's frame-to-frame noise: ``1.4826 * MAD(diff) / sqrt(2)`` over valid frame pairs.

    Shapes: ``series.values: [T, K]`` -> ``[K]``.
    """
    ok = series.mask[1:] & series.mask[:-1]
    if ok.sum() < 2:
        return np.zeros(series.n_aus, dtype=np.float64)
    diff = np.diff(series.values.astype(np.float64), axis=0)[ok]
    mad = np.median(np.abs(diff - np.median(diff, axis=0)), axis=0)
    return 1.4826 * mad / np.sqrt(2.0)


def au_rises(series: AUSeries, onset: int, offset: int) -> np.ndarray:
    """Rise of every AU inside frames ``[onset, offset]`` (inclusive) over its level before the onset.

    Shapes: ``series.values: [T, K]`` -> ``[K]`` (0 where the interval has no valid frame).
    """
    t = series.n_frames
    onset, offset = max(0, min(onset, t - 1)), max(0, min(offset, t - 1))
    inside = np.arange(onset, offset + 1)
    inside = inside[series.mask[inside]]
    if inside.size == 0:
        return np.zeros(series.n_aus)
    values = series.values.astype(np.float64)
    span = max(offset - onset + 1, int(round(series.fps / 2)))
    before = np.arange(max(0, onset - span), onset)
    before = before[series.mask[before]] if before.size else before
    base = np.median(values[before], axis=0) if before.size else values[inside].min(axis=0)
    return np.maximum(values[inside].max(axis=0) - base, 0.0)


def rising_aus(series: AUSeries, onset: int, offset: int, rule: RiseRule = RiseRule(),
               noise: np.ndarray | None = None) -> frozenset[str]:
    """AUs that rise inside ``[onset, offset]`` (see the module text); at least the strongest one when any
    AU moves at all.

    Args:
        series: the video's AU series.
        onset, offset: inclusive frames.
        rule: thresholds.
        noise: `au_noise` of the series (computed when None).
    """
    rises = au_rises(series, onset, offset)
    rises[[k for k, name in enumerate(series.au_names) if name in rule.ignore]] = 0.0
    if not rises.size or rises.max() <= 0:
        return frozenset()
    noise = au_noise(series) if noise is None else noise
    floor = rule.min_rise_probability if series.scale.startswith("probability") else rule.min_rise_intensity
    threshold = np.maximum(np.maximum(floor, rule.noise_multiple * noise), rule.relative * rises.max())
    chosen = {series.au_names[k] for k in np.flatnonzero(rises >= threshold)}
    return frozenset(chosen or {series.au_names[int(np.argmax(rises))]})


@dataclass(frozen=True)
class Event:
    """One expression as the answers see it.

    Attributes:
        onset, offset: inclusive frames.
        type: ``micro`` or ``macro``.
        coarse: MEGC coarse class (negative / positive / surprise / others).
        fine: fine-grained class (anger, happiness, ...).
        aus: AU codes that rise inside it (empty without an AU series).
        score: the prediction's score (1 for labels).
        spotted: False for a clip that no prediction covers (its type and classes come from its AUs).
    """

    onset: int
    offset: int
    type: str
    coarse: str
    fine: str
    aus: frozenset[str] = frozenset()
    score: float = 1.0
    spotted: bool = True


def classes_of(word: str, aus: frozenset[str]) -> tuple[str, str]:
    """``(coarse, fine)`` of an emotion word (a coarse MEGC class or a dataset word such as ``happiness``);
    an empty word takes both from the AUs (`coarse_from_aus`, `fine_from_aus`)."""
    word = word.strip().lower()
    coarse = to_megc_emotion(word) if word else coarse_from_aus(aus)
    if word in FINE_CLASSES:
        fine = word
    elif word and word not in COARSE_CLASSES:
        fine = word  # a dataset word the fine classes do not list (e.g. "repression"): kept as written
    else:
        fine = fine_from_aus(coarse, aus)
    return coarse, fine


@dataclass
class VideoEvidence:
    """A video's events (sorted by onset) and AU series (None when not given)."""

    video: str
    events: list[Event] = field(default_factory=list)
    series: AUSeries | None = None
    rule: RiseRule = RiseRule()

    def aus_in(self, onset: int, offset: int) -> frozenset[str]:
        """AUs rising inside ``[onset, offset]`` (empty without a series)."""
        if self.series is None:
            return frozenset()
        if not hasattr(self, "_noise"):
            self._noise = au_noise(self.series)
        return rising_aus(self.series, onset, offset, self.rule, self._noise)

    def clip_event(self, onset: int, offset: int) -> Event:
        """An event for a clip no prediction covers: type by length, classes from the AUs that rise in it."""
        aus = self.aus_in(onset, offset)
        fps = self.series.fps if self.series is not None else 30.0
        kind = "micro" if (offset - onset + 1) / fps <= MICRO_MAX_S else "macro"
        coarse, fine = classes_of("", aus)
        return Event(onset, offset, kind, coarse, fine, aus, score=0.0, spotted=False)

    def main_event(self, window: tuple[int, int] | None) -> Event | None:
        """The event a clip question is about: the one overlapping ``window`` most (then the higher score);
        without a window the highest-scoring event of the video. A window that no event overlaps, or a video
        without events, gives `clip_event` over the window (or the whole series); None when there is neither
        an event nor a series."""
        if window is not None:
            lo, hi = window
            overlaps = [(min(hi, e.offset) - max(lo, e.onset) + 1, e.score, e) for e in self.events]
            overlaps = [o for o in overlaps if o[0] > 0]
            if overlaps:
                return max(overlaps, key=lambda o: (o[0], o[1]))[2]
            return self.clip_event(lo, hi)
        if self.events:
            return max(self.events, key=lambda e: e.score)
        if self.series is not None:
            return self.clip_event(0, self.series.n_frames - 1)
        return None


def build_evidence(predictions: list[Interval], series: list[AUSeries], rule: RiseRule = RiseRule()
                   ) -> dict[str, VideoEvidence]:
    """Evidence for every video that has predictions or a series: events with their AUs and classes.

    Args:
        predictions: spotted (or labelled) intervals, with ``emotion`` where known.
        series: AU series by video (may be empty: AU questions then cannot be answered from data).
        rule: when an AU counts as rising.
    """
    out = {s.video: VideoEvidence(s.video, series=s, rule=rule) for s in series}
    for p in predictions:
        out.setdefault(p.video, VideoEvidence(p.video, rule=rule))
    for p in sorted(predictions, key=lambda iv: (iv.video, iv.onset, iv.offset)):
        ev = out[p.video]
        aus = ev.aus_in(p.onset, p.offset)
        coarse, fine = classes_of(p.emotion, aus)
        ev.events.append(Event(p.onset, p.offset, p.type, coarse, fine, aus, p.score))
    return out
