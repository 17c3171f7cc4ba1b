"""The plan of a simulated corpus: subjects and their traits, videos and their lengths, and where every
expression goes (its interval, emotion, root-AU pattern and strength).

Expression counts are allocated exactly (the preset's totals), spread over videos in proportion to
their length and to how expressive each subject is, and placed without overlap and at least
``min_gap_s`` apart inside each video.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from causalex.errors import InputError
from causalex.labels import Interval
from causalex.simulate.mechanism import AU_NAMES, EMOTIONS
from causalex.simulate.presets import SimPreset

MICRO_MIN_S = 0.17  # shortest micro-expression


@dataclass
class SubjectTraits:
    """Per-subject constants of the generator.

    Attributes:
        subject: subject id (``s01``).
        noise_sd: sensor noise level.
        resting: ``[K]`` resting AU intensities.
        head_loadings: ``[K]`` leak of head pose into each AU estimate.
        blink_per_min: blink rate.
        mask_fraction: tracking-failure rate.
        macro_weight, micro_weight: how often this subject shows each expression type (relative).
        gain: expressivity, multiplies expression amplitudes.
    """

    subject: str
    noise_sd: float
    resting: np.ndarray
    head_loadings: np.ndarray
    blink_per_min: float
    mask_fraction: float
    macro_weight: float
    micro_weight: float
    gain: float


@dataclass
class PlannedExpression:
    """One expression: its label and how it drives the face.

    Attributes:
        interval: the annotation (what ``labels.csv`` holds).
        roots: root AU -> drive weight (from the emotion's pattern).
        amplitude: peak drive.
        movement: ``(onset, apex, offset)`` frames of the face movement itself, which differ from the
            annotation by the annotators' error.
    """

    interval: Interval
    roots: dict[str, float]
    amplitude: float
    movement: tuple[int, int, int]


@dataclass
class VideoPlan:
    """One video: id, subject, length in frames and its expressions (sorted by onset)."""

    video: str
    subject: str
    n_frames: int
    expressions: list[PlannedExpression] = field(default_factory=list)


def draw_subjects(preset: SimPreset, rng: np.random.Generator) -> list[SubjectTraits]:
    """Draw the traits of ``preset.n_subjects`` subjects ``s01``, ``s02``, ..."""
    out = []
    k = len(AU_NAMES)
    for i in range(preset.n_subjects):
        resting = rng.uniform(0.0, preset.resting_max, k) * (rng.random(k) < 0.6)
        loadings = rng.normal(0.0, preset.head_loading_sd, k)
        loadings[:3] *= 1.6  # brow AUs (AU01, AU02, AU04) are the most sensitive to head pitch
        loadings[-1] = 0.0  # AU45 (eye closure) is measured relative to the eye: no pose leak
        out.append(SubjectTraits(
            subject=f"s{i + 1:02d}",
            noise_sd=float(rng.uniform(*preset.noise_sd)),
            resting=resting,
            head_loadings=loadings,
            blink_per_min=float(rng.uniform(*preset.blink_per_min)),
            mask_fraction=float(rng.uniform(*preset.mask_fraction)),
            macro_weight=float(rng.gamma(2.0, 0.5)),
            micro_weight=float(rng.gamma(1.2, 1 / 1.2)),
            gain=float(rng.uniform(0.8, 1.2)),
        ))
    return out


def _video_lengths(preset: SimPreset, rng: np.random.Generator) -> np.ndarray:
    """Frames per video: log-normal durations rescaled to the preset mean, none under ``video_min_s``."""
    d = np.exp(rng.normal(0.0, preset.video_log_sd, preset.n_videos))
    d *= preset.video_mean_s / d.mean()
    for _ in range(20):  # raising the short ones shifts the mean: rescale the rest until both hold
        d = np.maximum(d, preset.video_min_s)
        d *= preset.video_mean_s / d.mean()
    d = np.maximum(d, preset.video_min_s)
    return np.round(d * preset.fps).astype(np.int64)


def expression_lengths(kind: str, n: int, preset: SimPreset, rng: np.random.Generator) -> np.ndarray:
    """Lengths in frames of ``n`` expressions of type ``kind``: micro < 0.5 s, macro in [0.5, 4] s."""
    fps = preset.fps
    if kind == "macro":
        sd, mean = 0.45, preset.macro_mean_s
        lo, hi = math.ceil(0.5 * fps), math.floor(4.0 * fps)
    else:
        sd, mean = 0.25, preset.micro_mean_s
        lo, hi = max(2, math.ceil(MICRO_MIN_S * fps)), math.ceil(0.5 * fps) - 1
    seconds = mean * np.exp(rng.normal(-sd * sd / 2, sd, n))
    return np.clip(np.round(seconds * fps), lo, hi).astype(np.int64)


def plan_corpus(preset: SimPreset, subjects: list[SubjectTraits], rng: np.random.Generator) -> list[VideoPlan]:
    """Assign videos to subjects and place every expression.

    Raises:
        InputError: if the expressions do not fit in the videos (a preset far too dense).
    """
    n_sub, n_vid = preset.n_subjects, preset.n_videos
    per_subject = 1 + rng.multinomial(n_vid - n_sub, rng.dirichlet(np.full(n_sub, 4.0)))
    owner = np.repeat(np.arange(n_sub), per_subject)
    lengths = _video_lengths(preset, rng)
    videos = []
    for s in range(n_sub):
        for j, v in enumerate(np.flatnonzero(owner == s)):
            videos.append(VideoPlan(video=f"{subjects[s].subject}_v{j + 1:02d}", subject=subjects[s].subject,
                                    n_frames=int(lengths[v])))
    gap = max(1, int(round(preset.min_gap_s * preset.fps)))
    free = np.array([v.n_frames - gap for v in videos], dtype=np.int64)
    placed: list[list[tuple[int, str]]] = [[] for _ in videos]
    events = [(int(n), "macro") for n in expression_lengths("macro", preset.n_macro, preset, rng)]
    events += [(int(n), "micro") for n in expression_lengths("micro", preset.n_micro, preset, rng)]
    events.sort(key=lambda e: -e[0])  # place the longest first so that all fit
    share = np.array([v.n_frames for v in videos], dtype=np.float64)
    macro_w = share * np.array([subjects[owner[i]].macro_weight for i in range(n_vid)])
    micro_w = share * np.array([subjects[owner[i]].micro_weight for i in range(n_vid)])
    for n, kind in events:
        fits = free >= n + gap
        if not fits.any():
            raise InputError(f"preset {preset.name!r}: the expressions do not fit in the videos; "
                             "use fewer expressions or longer videos")
        w = np.where(fits, macro_w if kind == "macro" else micro_w, 0.0)
        empty = fits & np.array([not p for p in placed])
        if kind == "macro" and empty.any():
            w = np.where(empty, w, 0.0)  # every video gets an expression, so labels name every video's subject
        v = int(rng.choice(n_vid, p=w / w.sum()))
        free[v] -= n + gap
        placed[v].append((n, kind))
    traits = {t.subject: t for t in subjects}
    patterns = preset.mechanism.patterns
    for plan, items in zip(videos, placed):
        plan.expressions = _place(plan, items, gap, preset, traits[plan.subject], patterns, rng)
    return videos


def _place(plan: VideoPlan, items: list[tuple[int, str]], gap: int, preset: SimPreset, traits: SubjectTraits,
           emotion_patterns: dict[str, tuple[dict[str, float], ...]], rng: np.random.Generator
           ) -> list[PlannedExpression]:
    """Non-overlapping positions for ``items`` (length, kind) in one video, at least ``gap`` apart; each
    expression's root AUs come from one of its emotion's ``emotion_patterns``."""
    if not items:
        return []
    order = rng.permutation(len(items))
    items = [items[i] for i in order]
    slack = plan.n_frames - sum(n for n, _ in items) - (len(items) + 1) * gap
    cuts = np.sort(rng.integers(0, slack + 1, len(items)))
    extra = np.diff(np.concatenate([[0], cuts]))
    out, cursor = [], gap
    for (n, kind), e in zip(items, extra):
        onset = cursor + int(e)
        apex = onset + int(round(rng.uniform(0.3, 0.6) * (n - 1)))
        emotion = EMOTIONS[int(rng.choice(len(EMOTIONS), p=preset.emotion_probs))]
        patterns = emotion_patterns[emotion]
        roots = {au: w * float(rng.uniform(0.75, 1.25)) for au, w in patterns[int(rng.integers(len(patterns)))].items()}
        lo, hi = preset.macro_amplitude if kind == "macro" else preset.micro_amplitude
        iv = Interval(video=plan.video, onset=onset, apex=apex, offset=onset + n - 1, type=kind, emotion=emotion,
                      subject=plan.subject)
        err = np.round(rng.normal(0.0, preset.label_jitter * n, 2)).astype(int)
        movement = (max(0, min(apex, onset + int(err[0]))), apex,
                    min(plan.n_frames - 1, max(apex, iv.offset + int(err[1]))))
        out.append(PlannedExpression(interval=iv, roots=roots, amplitude=float(rng.uniform(lo, hi)) * traits.gain,
                                     movement=movement))
        cursor = onset + n + gap
    return out
